//! SPI panels through mipidsi: an ST7789 (240x240) or an ILI9341 (320x240 landscape).
//!
//! [`build_panel`] makes a [`SpiPanel`] from any `embedded-hal` SPI device, pins and
//! delay (tests pass mocks); [`SpiPanel::open`] does it on Linux with spidev and
//! gpio-cdev lines as [`SpiConfig`] (the `[display]` table of the config) says.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use embedded_graphics::pixelcolor::Rgb565;
use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{ErrorType, OutputPin};
use embedded_hal::spi::SpiDevice;
use linux_embedded_hal::gpio_cdev::{Chip, LineRequestFlags};
use linux_embedded_hal::spidev::{SpiModeFlags, SpidevOptions};
use linux_embedded_hal::{CdevPin, SpidevDevice};
use mipidsi::dcs::{InterfaceExt, SetAddressMode, SoftReset};
use mipidsi::interface::{Interface, InterfaceKind, InterfacePixelFormat, SpiError};
use mipidsi::models::{ILI9341Rgb565, Model, ModelInitError, ST7789};
use mipidsi::options::{ColorInversion, ColorOrder, ModelOptions, Orientation, Rotation};
use mipidsi::{Builder, Display};
use serde::Deserialize;

use super::{FrameBuffer, Panel};

/// The panel's controller.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum PanelModel {
    /// ST7789, 240x240 IPS (e.g. Waveshare 1.3" HAT); colours inverted by default.
    #[default]
    St7789,
    /// ILI9341, 240x320 glass shown as 320x240 landscape; BGR subpixels by default.
    Ili9341,
}

impl PanelModel {
    /// The glass in the controller's own (unrotated) orientation: width, height.
    pub fn native_size(self) -> (u16, u16) {
        match self {
            PanelModel::St7789 => (240, 240),
            PanelModel::Ili9341 => (240, 320),
        }
    }

    /// The rotation (degrees) used when the config gives none.
    pub fn default_rotation(self) -> u16 {
        match self {
            PanelModel::St7789 => 0,
            PanelModel::Ili9341 => 90,
        }
    }
}

impl std::fmt::Display for PanelModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PanelModel::St7789 => "ST7789",
            PanelModel::Ili9341 => "ILI9341",
        })
    }
}

/// How to reach and set up the SPI panel (`[display]` in the config). Every field has a default.
#[derive(Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct SpiConfig {
    /// The controller: "st7789" or "ili9341".
    pub model: PanelModel,
    /// The spidev device (default /dev/spidev0.0: SPI0, chip select 0).
    pub spidev: PathBuf,
    /// SPI clock in Hz (default 32 MHz); mode 0, 8-bit words.
    pub speed_hz: u32,
    /// The GPIO chip of the control lines (default /dev/gpiochip0).
    pub gpiochip: PathBuf,
    /// The data/command line (BCM number; default 25).
    pub dc_line: u32,
    /// The reset line, if wired (Waveshare HATs: 27); without it a software reset is sent.
    pub reset_line: Option<u32>,
    /// The backlight line, if wired (Waveshare HATs: 24); switched on at start.
    pub backlight_line: Option<u32>,
    /// Rotation in degrees, 0/90/180/270 (default: 0 for ST7789, 90 for ILI9341).
    pub rotation: Option<u16>,
    /// Invert colours (default: true for ST7789, false for ILI9341).
    pub invert_colors: Option<bool>,
    /// BGR subpixel order (default: false for ST7789, true for ILI9341).
    pub bgr: Option<bool>,
    /// The glass's size in the controller's orientation, `[width, height]`
    /// (default: 240x240 for ST7789, 240x320 for ILI9341).
    pub size: Option<[u16; 2]>,
    /// Offset of the glass in the controller's memory, `[x, y]`, unrotated (default `[0, 0]`).
    pub offset: [u16; 2],
}

impl Default for SpiConfig {
    fn default() -> Self {
        Self {
            model: PanelModel::St7789,
            spidev: PathBuf::from("/dev/spidev0.0"),
            speed_hz: 32_000_000,
            gpiochip: PathBuf::from("/dev/gpiochip0"),
            dc_line: 25,
            reset_line: None,
            backlight_line: None,
            rotation: None,
            invert_colors: None,
            bgr: None,
            size: None,
            offset: [0, 0],
        }
    }
}

impl SpiConfig {
    /// The rotation in effect.
    pub fn effective_rotation(&self) -> u16 {
        self.rotation.unwrap_or(self.model.default_rotation())
    }

    /// The screen's width and height as the UI sees it (after rotation).
    pub fn screen_size(&self) -> (u32, u32) {
        let [w, h] = self.size.unwrap_or(self.model.native_size().into());
        match self.effective_rotation() {
            90 | 270 => (u32::from(h), u32::from(w)),
            _ => (u32::from(w), u32::from(h)),
        }
    }

    fn orientation(&self) -> Result<Orientation> {
        let degrees = self.effective_rotation();
        let rotation = Rotation::try_from_degree(i32::from(degrees))
            .map_err(|_| anyhow!("display rotation {degrees} is not one of 0, 90, 180, 270"))?;
        Ok(Orientation::new().rotate(rotation))
    }
}

/// The controller picked at run time; both take RGB565 over 4-wire SPI.
pub enum PanelKind {
    /// ST7789.
    St7789(ST7789),
    /// ILI9341 in RGB565 mode.
    Ili9341(ILI9341Rgb565),
}

impl From<PanelModel> for PanelKind {
    fn from(model: PanelModel) -> Self {
        match model {
            PanelModel::St7789 => PanelKind::St7789(ST7789),
            PanelModel::Ili9341 => PanelKind::Ili9341(ILI9341Rgb565),
        }
    }
}

// Both controllers share everything but `init`, which is dispatched below.
const _: () = assert!(
    ST7789::FRAMEBUFFER_SIZE.0 == ILI9341Rgb565::FRAMEBUFFER_SIZE.0
        && ST7789::FRAMEBUFFER_SIZE.1 == ILI9341Rgb565::FRAMEBUFFER_SIZE.1
        && ST7789::RESET_DURATION == ILI9341Rgb565::RESET_DURATION
);

impl Model for PanelKind {
    type ColorFormat = Rgb565;
    const FRAMEBUFFER_SIZE: (u16, u16) = ST7789::FRAMEBUFFER_SIZE;
    const RESET_DURATION: u32 = ST7789::RESET_DURATION;

    fn init<DELAY, DI>(
        &mut self,
        di: &mut DI,
        delay: &mut DELAY,
        options: &ModelOptions,
    ) -> Result<SetAddressMode, ModelInitError<DI::Error>>
    where
        DELAY: DelayNs,
        DI: Interface,
    {
        match self {
            PanelKind::St7789(m) => m.init(di, delay, options),
            PanelKind::Ili9341(m) => m.init(di, delay, options),
        }
    }
}

/// Bytes per SPI write: the Linux spidev default transfer limit (`bufsiz`).
pub const SPI_CHUNK: usize = 4096;

/// A mipidsi 4-wire SPI interface that owns its transfer buffer ([`SPI_CHUNK`] bytes):
/// DC low for a command byte, high for its parameters and pixel data.
pub struct BufferedSpi<SPI, DC> {
    spi: SPI,
    dc: DC,
    buffer: Vec<u8>,
}

impl<SPI: SpiDevice, DC: OutputPin> BufferedSpi<SPI, DC> {
    /// Wraps an SPI device and its data/command pin.
    pub fn new(spi: SPI, dc: DC) -> Self {
        Self { spi, dc, buffer: Vec::with_capacity(SPI_CHUNK) }
    }

    /// Gives the SPI device and the DC pin back.
    pub fn release(self) -> (SPI, DC) {
        (self.spi, self.dc)
    }
}

impl<SPI: SpiDevice, DC: OutputPin> Interface for BufferedSpi<SPI, DC> {
    type Word = u8;
    type Error = SpiError<SPI::Error, DC::Error>;
    const KIND: InterfaceKind = InterfaceKind::Serial4Line;

    fn send_command(&mut self, command: u8, args: &[u8]) -> Result<(), Self::Error> {
        self.dc.set_low().map_err(SpiError::Dc)?;
        self.spi.write(&[command]).map_err(SpiError::Spi)?;
        self.dc.set_high().map_err(SpiError::Dc)?;
        if !args.is_empty() {
            self.spi.write(args).map_err(SpiError::Spi)?;
        }
        Ok(())
    }

    fn send_pixels<const N: usize>(&mut self, pixels: impl IntoIterator<Item = [u8; N]>) -> Result<(), Self::Error> {
        let per_write = (SPI_CHUNK / N.max(1)).max(1);
        let mut pixels = pixels.into_iter();
        loop {
            self.buffer.clear();
            for pixel in pixels.by_ref().take(per_write) {
                self.buffer.extend_from_slice(&pixel);
            }
            if self.buffer.is_empty() {
                return Ok(());
            }
            self.spi.write(&self.buffer).map_err(SpiError::Spi)?;
        }
    }

    fn send_repeated_pixel<const N: usize>(&mut self, pixel: [u8; N], count: u32) -> Result<(), Self::Error> {
        let per_write = (SPI_CHUNK / N.max(1)).max(1) as u32;
        self.buffer.clear();
        for _ in 0..count.min(per_write) {
            self.buffer.extend_from_slice(&pixel);
        }
        let mut left = count;
        while left > 0 {
            let n = left.min(per_write);
            self.spi.write(&self.buffer[..n as usize * N]).map_err(SpiError::Spi)?;
            left -= n;
        }
        Ok(())
    }
}

/// A reset pin that may not be wired: with `None` it does nothing.
pub struct OptionalPin<P>(pub Option<P>);

impl<P: OutputPin> ErrorType for OptionalPin<P> {
    type Error = P::Error;
}

impl<P: OutputPin> OutputPin for OptionalPin<P> {
    fn set_low(&mut self) -> Result<(), Self::Error> {
        self.0.as_mut().map_or(Ok(()), OutputPin::set_low)
    }
    fn set_high(&mut self) -> Result<(), Self::Error> {
        self.0.as_mut().map_or(Ok(()), OutputPin::set_high)
    }
}

/// An initialised mipidsi display plus its (optional) backlight pin, as a [`Panel`].
pub struct SpiPanel<DI, M, RST, BL>
where
    DI: Interface,
    M: Model<ColorFormat = Rgb565>,
    Rgb565: InterfacePixelFormat<DI::Word>,
    RST: OutputPin,
    BL: OutputPin,
{
    display: Display<DI, M, RST>,
    backlight: Option<BL>,
    size: (u32, u32),
    name: String,
    /// What the panel shows now (unknown until a push succeeds, and after one fails).
    shown: Shown,
}

impl<DI, M, RST, BL> SpiPanel<DI, M, RST, BL>
where
    DI: Interface,
    M: Model<ColorFormat = Rgb565>,
    Rgb565: InterfacePixelFormat<DI::Word>,
    RST: OutputPin,
    BL: OutputPin,
{
    /// Wraps an initialised `display` of `size` (as the UI sees it); switches the
    /// backlight on. `name` (e.g. the spidev path) goes into error messages.
    pub fn new(display: Display<DI, M, RST>, size: (u32, u32), backlight: Option<BL>, name: &str) -> Result<Self> {
        let mut panel = Self { display, backlight, size, name: name.to_string(), shown: Shown::default() };
        panel.set_backlight(true)?;
        Ok(panel)
    }

    /// Switches the backlight (if wired) on or off.
    pub fn set_backlight(&mut self, on: bool) -> Result<()> {
        if let Some(pin) = self.backlight.as_mut() {
            let result = if on { pin.set_high() } else { pin.set_low() };
            result.map_err(|e| anyhow!("switching the backlight of the panel on {} failed: {e:?}", self.name))?;
        }
        Ok(())
    }

    /// The mipidsi display, for anything beyond whole-screen pushes (the next push then
    /// sends the whole screen).
    pub fn display_mut(&mut self) -> &mut Display<DI, M, RST> {
        self.shown.forget();
        &mut self.display
    }
}

impl<DI, M, RST, BL> Panel for SpiPanel<DI, M, RST, BL>
where
    DI: Interface,
    M: Model<ColorFormat = Rgb565>,
    Rgb565: InterfacePixelFormat<DI::Word>,
    RST: OutputPin,
    BL: OutputPin,
{
    fn push(&mut self, frame: &FrameBuffer) -> Result<()> {
        let (w, h) = self.size;
        if (frame.width(), frame.height()) != (w, h) {
            bail!("screen {}x{} does not fit the {w}x{h} panel on {}", frame.width(), frame.height(), self.name);
        }
        if u16::try_from(w).is_err() || u16::try_from(h).is_err() || w == 0 || h == 0 {
            bail!("the panel on {} has an impossible size {w}x{h}", self.name);
        }
        let pixels = frame.pixels();
        for band in self.shown.bands(frame) {
            let (x0, x1) = (band.columns.start as u16, band.columns.end as u16 - 1);
            let (y0, y1) = (band.rows.start as u16, band.rows.end as u16 - 1);
            let colors = band.rows.clone().flat_map(|y| pixels[y * w as usize..][band.columns.clone()].iter().copied());
            if let Err(e) = self.display.set_pixels(x0, y0, x1, y1, colors) {
                self.shown.forget();
                bail!("writing a screen to the panel on {} failed: {e:?}", self.name);
            }
        }
        self.shown.remember(frame);
        Ok(())
    }

    fn size(&self) -> (u32, u32) {
        self.size
    }
}

/// Rows `rows` of a screen, columns `columns` of each: one window sent to the panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Band {
    /// The rows, top to bottom.
    pub rows: std::ops::Range<usize>,
    /// The columns, the same for every row of the band.
    pub columns: std::ops::Range<usize>,
}

/// What a panel shows, so that a push sends only what changed.
#[derive(Debug, Clone, Default)]
pub struct Shown {
    /// The last screen sent whole (empty: unknown).
    pixels: Vec<Rgb565>,
}

impl Shown {
    /// The windows to send for `frame`: the whole screen while what is shown is unknown
    /// (or of another size), else [`changed_bands`].
    pub fn bands(&self, frame: &FrameBuffer) -> Vec<Band> {
        let (w, h) = (frame.width() as usize, frame.height() as usize);
        if self.pixels.len() == frame.pixels().len() {
            changed_bands(&self.pixels, frame.pixels(), w)
        } else {
            vec![Band { rows: 0..h, columns: 0..w }]
        }
    }

    /// `frame` is now on the panel.
    pub fn remember(&mut self, frame: &FrameBuffer) {
        self.pixels.clear();
        self.pixels.extend_from_slice(frame.pixels());
    }

    /// What the panel shows is unknown (a failed write): the next push sends it whole.
    pub fn forget(&mut self) {
        self.pixels.clear();
    }
}

/// Where `new` differs from `old` (two screens `width` pixels wide), as bands of
/// consecutive changed rows, each with the columns that changed in any of its rows. A
/// screen is sent as these windows only: the camera preview, the letter and the text
/// each change in their own rows, the rest of the screen is not sent again.
pub fn changed_bands(old: &[Rgb565], new: &[Rgb565], width: usize) -> Vec<Band> {
    let mut bands: Vec<Band> = Vec::new();
    for (y, (a, b)) in old.chunks_exact(width).zip(new.chunks_exact(width)).enumerate() {
        let Some(first) = a.iter().zip(b).position(|(p, q)| p != q) else { continue };
        let last = width - a.iter().rev().zip(b.iter().rev()).position(|(p, q)| p != q).expect("a pixel differs");
        match bands.last_mut() {
            Some(band) if band.rows.end == y => {
                band.rows.end = y + 1;
                band.columns = band.columns.start.min(first)..band.columns.end.max(last);
            }
            _ => bands.push(Band { rows: y..y + 1, columns: first..last }),
        }
    }
    bands
}

/// The panel [`build_panel`] makes from an SPI device, DC, reset and backlight pins.
pub type BuiltPanel<SPI, DC, RST, BL> = SpiPanel<BufferedSpi<SPI, DC>, PanelKind, OptionalPin<RST>, BL>;

/// The panel built on Linux by [`SpiPanel::open`].
pub type LinuxSpiPanel = BuiltPanel<SpidevDevice, CdevPin, CdevPin, CdevPin>;

/// Resets and initialises the panel `cfg` describes over `spi` and `dc` (plus the
/// optional `reset` and `backlight` pins): a hardware reset pulse when `reset` is given,
/// else a software reset (SWRESET); then the controller's init sequence through mipidsi.
/// Works with any `embedded-hal` implementation; `cfg`'s device paths and line numbers
/// are only used in messages.
pub fn build_panel<SPI, DC, RST, BL, DELAY>(
    cfg: &SpiConfig,
    spi: SPI,
    dc: DC,
    reset: Option<RST>,
    backlight: Option<BL>,
    delay: &mut DELAY,
) -> Result<BuiltPanel<SPI, DC, RST, BL>>
where
    SPI: SpiDevice,
    DC: OutputPin,
    RST: OutputPin,
    BL: OutputPin,
    DELAY: DelayNs,
{
    let name = cfg.spidev.display().to_string();
    let orientation = cfg.orientation()?;
    let (w, h) = cfg.size.map(|[w, h]| (w, h)).unwrap_or(cfg.model.native_size());
    let invert = cfg.invert_colors.unwrap_or(cfg.model == PanelModel::St7789);
    let bgr = cfg.bgr.unwrap_or(cfg.model == PanelModel::Ili9341);

    let mut di = BufferedSpi::new(spi, dc);
    if reset.is_none() {
        di.write_command(SoftReset)
            .map_err(|e| anyhow!("sending a software reset to the {} panel on {name} failed: {e:?}", cfg.model))?;
        delay.delay_ms(150);
    }
    let display = Builder::new(PanelKind::from(cfg.model), di)
        .display_size(w, h)
        .display_offset(cfg.offset[0], cfg.offset[1])
        .orientation(orientation)
        .invert_colors(if invert { ColorInversion::Inverted } else { ColorInversion::Normal })
        .color_order(if bgr { ColorOrder::Bgr } else { ColorOrder::Rgb })
        .reset_pin(OptionalPin(reset))
        .init(delay)
        .map_err(|e| anyhow!("initialising the {} panel on {name} failed: {e:?}", cfg.model))?;
    SpiPanel::new(display, cfg.screen_size(), backlight, &name)
}

impl LinuxSpiPanel {
    /// Opens the panel `cfg` describes: spidev (mode 0, `speed_hz`), the DC, reset and
    /// backlight lines on `gpiochip`, then resets and initialises it.
    pub fn open(cfg: &SpiConfig) -> Result<Self> {
        let spi = open_spidev(cfg)?;
        let mut chip = Chip::new(&cfg.gpiochip).with_context(|| {
            format!("opening GPIO chip {} (does it exist, and may this user use it?)", cfg.gpiochip.display())
        })?;
        let dc = output_line(&mut chip, cfg, cfg.dc_line, "dc", 0)?;
        let reset = cfg.reset_line.map(|line| output_line(&mut chip, cfg, line, "reset", 1)).transpose()?;
        let backlight = cfg.backlight_line.map(|line| output_line(&mut chip, cfg, line, "backlight", 0)).transpose()?;
        build_panel(cfg, spi, dc, reset, backlight, &mut linux_embedded_hal::Delay)
    }
}

/// Opens and configures the spidev device, explaining the usual failures.
fn open_spidev(cfg: &SpiConfig) -> Result<SpidevDevice> {
    let path = &cfg.spidev;
    let mut spi = SpidevDevice::open(path).map_err(|e| {
        let hint = match e.inner().kind() {
            std::io::ErrorKind::NotFound => {
                " (no such device: enable SPI with `sudo raspi-config` -> Interface Options -> SPI, \
                 or `dtparam=spi=on` in /boot/firmware/config.txt, then reboot)"
            }
            std::io::ErrorKind::PermissionDenied => {
                " (permission denied: add the user to the `spi` group, e.g. `sudo usermod -aG spi $USER`)"
            }
            _ => "",
        };
        anyhow!("opening SPI device {}{hint}: {}", path.display(), e.inner())
    })?;
    let options =
        SpidevOptions::new().bits_per_word(8).max_speed_hz(cfg.speed_hz).mode(SpiModeFlags::SPI_MODE_0).build();
    spi.configure(&options)
        .with_context(|| format!("configuring SPI device {} (mode 0, {} Hz)", path.display(), cfg.speed_hz))?;
    Ok(spi)
}

/// Requests GPIO `line` of `chip` as an output named `signspell-<what>`, at `initial`.
fn output_line(chip: &mut Chip, cfg: &SpiConfig, line: u32, what: &str, initial: u8) -> Result<CdevPin> {
    let chip_path = cfg.gpiochip.display();
    let handle = chip
        .get_line(line)
        .and_then(|l| l.request(LineRequestFlags::OUTPUT, initial, &format!("signspell-{what}")))
        .with_context(|| {
            format!("requesting GPIO line {line} ({what}) on {chip_path} as an output (wrong number, or in use?)")
        })?;
    CdevPin::new(handle).with_context(|| format!("reading GPIO line {line} ({what}) on {chip_path}"))
}
