//! The real SPI panel path (config -> `build_panel` -> mipidsi -> our SPI interface)
//! on mock `embedded-hal` parts that record every byte with the DC level it went out at.

use std::cell::RefCell;
use std::convert::Infallible;
use std::rc::Rc;

use device::display::spi::{PanelModel, SPI_CHUNK, SpiConfig, SpiPanel, build_panel};
use device::display::{FrameBuffer, Panel};
use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::pixelcolor::raw::ToBytes;
use embedded_graphics::prelude::*;
use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{ErrorType, OutputPin};
use embedded_hal::spi::{self, Operation, SpiDevice};

const SWRESET: u8 = 0x01;
const SLPOUT: u8 = 0x11;
const NORON: u8 = 0x13;
const INVOFF: u8 = 0x20;
const INVON: u8 = 0x21;
const DISPON: u8 = 0x29;
const CASET: u8 = 0x2A;
const RASET: u8 = 0x2B;
const RAMWR: u8 = 0x2C;
const MADCTL: u8 = 0x36;
const COLMOD: u8 = 0x3A;

/// What the mock hardware saw.
#[derive(Default)]
struct Wire {
    dc_high: bool,
    /// Every byte written, with the DC level at the time (true: data).
    bytes: Vec<(bool, u8)>,
    /// The length of every SPI write.
    write_sizes: Vec<usize>,
    /// Reset pin levels in order.
    reset: Vec<bool>,
    /// Backlight pin levels in order.
    backlight: Vec<bool>,
}

type Shared = Rc<RefCell<Wire>>;

struct MockSpi(Shared);

impl spi::ErrorType for MockSpi {
    type Error = Infallible;
}

impl SpiDevice for MockSpi {
    fn transaction(&mut self, operations: &mut [Operation<'_, u8>]) -> Result<(), Infallible> {
        let mut wire = self.0.borrow_mut();
        for op in operations {
            let written: &[u8] = match op {
                Operation::Write(bytes) => bytes,
                Operation::Transfer(_, bytes) => bytes,
                Operation::TransferInPlace(bytes) => bytes,
                Operation::Read(_) | Operation::DelayNs(_) => continue,
            };
            let dc = wire.dc_high;
            wire.write_sizes.push(written.len());
            wire.bytes.extend(written.iter().map(|&b| (dc, b)));
        }
        Ok(())
    }
}

/// An SPI device whose every transfer fails.
struct BrokenSpi;

impl spi::ErrorType for BrokenSpi {
    type Error = spi::ErrorKind;
}

impl SpiDevice for BrokenSpi {
    fn transaction(&mut self, _: &mut [Operation<'_, u8>]) -> Result<(), spi::ErrorKind> {
        Err(spi::ErrorKind::Other)
    }
}

#[derive(Clone, Copy)]
enum Role {
    Dc,
    Reset,
    Backlight,
}

struct MockPin(Shared, Role);

impl ErrorType for MockPin {
    type Error = Infallible;
}

impl MockPin {
    fn set(&mut self, high: bool) {
        let mut wire = self.0.borrow_mut();
        match self.1 {
            Role::Dc => wire.dc_high = high,
            Role::Reset => wire.reset.push(high),
            Role::Backlight => wire.backlight.push(high),
        }
    }
}

impl OutputPin for MockPin {
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.set(false);
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        self.set(true);
        Ok(())
    }
}

struct NoDelay;

impl DelayNs for NoDelay {
    fn delay_ns(&mut self, _ns: u32) {}
}

/// The byte stream as commands: each DC-low byte with the DC-high bytes after it.
/// Fails on data before any command.
fn commands(bytes: &[(bool, u8)]) -> Vec<(u8, Vec<u8>)> {
    let mut out: Vec<(u8, Vec<u8>)> = Vec::new();
    for &(data, b) in bytes {
        if data {
            out.last_mut().expect("data bytes before any command").1.push(b);
        } else {
            out.push((b, Vec::new()));
        }
    }
    out
}

fn find(cmds: &[(u8, Vec<u8>)], cmd: u8) -> Option<(usize, &[u8])> {
    cmds.iter().position(|(c, _)| *c == cmd).map(|i| (i, cmds[i].1.as_slice()))
}

/// Builds a panel from `cfg` on fresh mocks; `with_reset` wires a reset pin.
fn build(cfg: &SpiConfig, with_reset: bool) -> (Shared, impl Panel + use<>) {
    let wire = Shared::default();
    let reset = with_reset.then(|| MockPin(wire.clone(), Role::Reset));
    let panel = build_panel(
        cfg,
        MockSpi(wire.clone()),
        MockPin(wire.clone(), Role::Dc),
        reset,
        Some(MockPin(wire.clone(), Role::Backlight)),
        &mut NoDelay,
    )
    .unwrap();
    (wire, panel)
}

fn st7789() -> SpiConfig {
    SpiConfig { model: PanelModel::St7789, ..SpiConfig::default() }
}

fn ili9341() -> SpiConfig {
    SpiConfig { model: PanelModel::Ili9341, ..SpiConfig::default() }
}

/// A frame whose pixels all differ from their neighbours: `(x, y)` -> a colour from x and y.
fn pattern_frame(width: u32, height: u32) -> FrameBuffer {
    let mut fb = FrameBuffer::new(width, height);
    let pixels = (0..height).flat_map(|y| {
        (0..width).map(move |x| {
            Pixel(Point::new(x as i32, y as i32), Rgb565::new((x % 32) as u8, (y % 64) as u8, ((x + y) % 32) as u8))
        })
    });
    fb.draw_iter(pixels).unwrap();
    fb.draw_iter([Pixel(Point::zero(), Rgb565::new(0b10101, 0b110011, 0b01010))]).unwrap();
    fb
}

#[test]
fn st7789_init_sequence_without_reset_pin() {
    let (wire, panel) = build(&st7789(), false);
    assert_eq!(panel.size(), (240, 240));
    let wire = wire.borrow();
    let cmds = commands(&wire.bytes);
    let sequence: Vec<u8> = cmds.iter().map(|(c, _)| *c).collect();
    // Software reset first (no reset pin), then sleep out, MADCTL, invert, pixel format, normal, display on.
    assert_eq!(sequence, [SWRESET, SLPOUT, MADCTL, INVON, COLMOD, NORON, DISPON], "{cmds:x?}");
    assert_eq!(find(&cmds, COLMOD).unwrap().1, [0x55], "16-bit RGB565");
    assert_eq!(find(&cmds, SWRESET).unwrap().1, [] as [u8; 0]);
    assert_eq!(find(&cmds, MADCTL).unwrap().1, [0x00], "rotation 0, RGB");
    assert!(wire.reset.is_empty());
    assert_eq!(wire.backlight, [true], "backlight switched on");
}

#[test]
fn st7789_with_reset_pin_pulses_it_instead_of_swreset() {
    let cfg = SpiConfig { invert_colors: Some(false), ..st7789() };
    let (wire, _panel) = build(&cfg, true);
    let wire = wire.borrow();
    assert_eq!(wire.reset, [false, true], "reset pulsed low then released");
    let cmds = commands(&wire.bytes);
    assert!(find(&cmds, SWRESET).is_none());
    assert!(find(&cmds, INVOFF).is_some() && find(&cmds, INVON).is_none(), "{cmds:x?}");
    assert_eq!(cmds.last().unwrap().0, DISPON);
}

#[test]
fn st7789_push_sends_the_window_then_every_pixel_big_endian() {
    let (wire, mut panel) = build(&st7789(), false);
    wire.borrow_mut().bytes.clear();
    wire.borrow_mut().write_sizes.clear();
    let frame = pattern_frame(240, 240);
    panel.push(&frame).unwrap();

    let wire = wire.borrow();
    let cmds = commands(&wire.bytes);
    assert_eq!(cmds.iter().map(|(c, _)| *c).collect::<Vec<_>>(), [CASET, RASET, RAMWR]);
    assert_eq!(cmds[0].1, [0, 0, 0, 239]);
    assert_eq!(cmds[1].1, [0, 0, 0, 239]);
    let data = &cmds[2].1;
    assert_eq!(data.len(), 240 * 240 * 2);
    let expected: Vec<u8> = frame.pixels().iter().flat_map(|p| p.to_be_bytes()).collect();
    assert_eq!(data[..2], Rgb565::new(0b10101, 0b110011, 0b01010).to_be_bytes());
    assert_eq!(data[..2], [0b1010_1110, 0b0110_1010]);
    assert_eq!(*data, expected, "every pixel in order, RGB565 big-endian");
    assert!(wire.write_sizes.iter().all(|&n| n <= SPI_CHUNK), "spidev-sized writes");
    // 115200 bytes in 4096-byte writes, plus the 3 command bytes and 2 window parameters.
    assert_eq!(wire.write_sizes.len(), 3 + 2 + 115_200usize.div_ceil(SPI_CHUNK));
}

#[test]
fn st7789_rotated_180_uses_the_bottom_of_the_controller_memory() {
    let cfg = SpiConfig { rotation: Some(180), ..st7789() };
    let (wire, mut panel) = build(&cfg, false);
    wire.borrow_mut().bytes.clear();
    panel.push(&FrameBuffer::new(240, 240)).unwrap();
    let cmds = commands(&wire.borrow().bytes.clone());
    assert_eq!(cmds[0], (CASET, vec![0, 0, 0, 239]));
    assert_eq!(cmds[1], (RASET, vec![0, 80, 1, 63]), "rows 80..=319 of the 240x320 memory");
}

#[test]
fn ili9341_is_landscape_320x240_and_bgr_by_default() {
    let (wire, mut panel) = build(&ili9341(), true);
    assert_eq!(panel.size(), (320, 240));
    let init = commands(&wire.borrow().bytes.clone());
    for cmd in [SLPOUT, DISPON, MADCTL] {
        assert!(find(&init, cmd).is_some(), "{cmd:#x} in {init:x?}");
    }
    assert_eq!(find(&init, COLMOD).unwrap().1, [0x55]);
    let madctl = find(&init, MADCTL).unwrap().1[0];
    assert_ne!(madctl & 0x20, 0, "rows and columns swapped for landscape: {madctl:#x}");
    assert_ne!(madctl & 0x08, 0, "BGR: {madctl:#x}");
    assert!(find(&init, SLPOUT).unwrap().0 < find(&init, DISPON).unwrap().0);

    wire.borrow_mut().bytes.clear();
    let frame = pattern_frame(320, 240);
    panel.push(&frame).unwrap();
    let cmds = commands(&wire.borrow().bytes.clone());
    assert_eq!(cmds[0], (CASET, vec![0, 0, 1, 63]), "columns 0..=319");
    assert_eq!(cmds[1], (RASET, vec![0, 0, 0, 239]));
    assert_eq!(cmds[2].0, RAMWR);
    assert_eq!(cmds[2].1.len(), 320 * 240 * 2);
    assert_eq!(cmds[2].1[..2], frame.pixels()[0].to_be_bytes());
}

#[test]
fn a_frame_of_the_wrong_size_is_refused() {
    let (wire, mut panel) = build(&st7789(), false);
    wire.borrow_mut().bytes.clear();
    let err = panel.push(&FrameBuffer::new(320, 240)).unwrap_err();
    assert!(format!("{err:#}").contains("320x240"), "{err:#}");
    assert!(wire.borrow().bytes.is_empty(), "nothing sent");
}

#[test]
fn bad_rotation_and_failing_bus_give_clear_errors() {
    let wire = Shared::default();
    let cfg = SpiConfig { rotation: Some(45), ..st7789() };
    let err = build_panel(
        &cfg,
        MockSpi(wire.clone()),
        MockPin(wire.clone(), Role::Dc),
        None::<MockPin>,
        None::<MockPin>,
        &mut NoDelay,
    )
    .err()
    .unwrap();
    assert!(format!("{err:#}").contains("rotation 45"), "{err:#}");

    let cfg = SpiConfig { spidev: "/dev/spidev1.2".into(), ..st7789() };
    let err =
        build_panel(&cfg, BrokenSpi, MockPin(wire.clone(), Role::Dc), None::<MockPin>, None::<MockPin>, &mut NoDelay)
            .err()
            .unwrap();
    let msg = format!("{err:#}");
    assert!(msg.contains("/dev/spidev1.2") && msg.contains("ST7789"), "{msg}");

    let cfg = SpiConfig { size: Some([240, 400]), ..ili9341() };
    let err = build_panel(
        &cfg,
        MockSpi(wire.clone()),
        MockPin(wire.clone(), Role::Dc),
        None::<MockPin>,
        None::<MockPin>,
        &mut NoDelay,
    )
    .err()
    .unwrap();
    assert!(format!("{err:#}").contains("InvalidDisplaySize"), "{err:#}");
}

#[test]
fn open_on_a_missing_spidev_names_it_and_hints_to_enable_spi() {
    let dir = std::env::temp_dir().join(format!("signspell-no-spi-{}", std::process::id()));
    let path = dir.join("spidev7.7");
    let cfg = SpiConfig { spidev: path.clone(), ..st7789() };
    let err = SpiPanel::open(&cfg).err().expect("no such device");
    let msg = format!("{err:#}");
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("enable SPI"), "{msg}");
}

#[test]
fn config_reads_from_toml_with_defaults() {
    let cfg: SpiConfig = toml::from_str("").unwrap();
    assert_eq!(cfg, SpiConfig::default());
    assert_eq!(cfg.spidev, std::path::PathBuf::from("/dev/spidev0.0"));
    assert_eq!(cfg.screen_size(), (240, 240));

    let cfg: SpiConfig = toml::from_str(
        r#"
        model = "ili9341"
        spidev = "/dev/spidev0.1"
        speed_hz = 40000000
        dc_line = 24
        reset_line = 25
        backlight_line = 18
        rotation = 270
        offset = [0, 0]
        "#,
    )
    .unwrap();
    assert_eq!(cfg.model, PanelModel::Ili9341);
    assert_eq!((cfg.dc_line, cfg.reset_line, cfg.backlight_line), (24, Some(25), Some(18)));
    assert_eq!(cfg.screen_size(), (320, 240));
    assert_eq!(cfg.effective_rotation(), 270);

    let err = toml::from_str::<SpiConfig>("colour = \"red\"").unwrap_err();
    assert!(err.to_string().contains("colour"), "{err}");
    let err = toml::from_str::<SpiConfig>("model = \"ssd1306\"").unwrap_err();
    assert!(err.to_string().contains("ssd1306"), "{err}");
}

#[test]
fn later_pushes_send_only_the_rows_and_columns_that_changed() {
    let (wire, mut panel) = build(&st7789(), false);
    let mut frame = pattern_frame(240, 240);
    panel.push(&frame).unwrap();
    wire.borrow_mut().bytes.clear();

    // The same screen again: nothing goes over the bus.
    panel.push(&frame).unwrap();
    assert!(wire.borrow().bytes.is_empty(), "an unchanged screen is not sent");

    // Two changes far apart: a pixel at (10, 20), and a block over columns 100..=149 of
    // rows 200..=201. Each becomes its own window with exactly its pixels.
    let red = Rgb565::RED;
    frame.draw_iter([Pixel(Point::new(10, 20), red)]).unwrap();
    frame.draw_iter((100..150).flat_map(|x| [200, 201].map(|y| Pixel(Point::new(x, y), red)))).unwrap();
    panel.push(&frame).unwrap();
    let cmds = commands(&wire.borrow().bytes.clone());
    assert_eq!(cmds.iter().map(|(c, _)| *c).collect::<Vec<_>>(), [CASET, RASET, RAMWR, CASET, RASET, RAMWR], "{cmds:x?}");
    assert_eq!((cmds[0].1.as_slice(), cmds[1].1.as_slice()), ([0, 10, 0, 10].as_slice(), [0, 20, 0, 20].as_slice()));
    assert_eq!(cmds[2].1, red.to_be_bytes());
    assert_eq!((cmds[3].1.as_slice(), cmds[4].1.as_slice()), ([0, 100, 0, 149].as_slice(), [0, 200, 0, 201].as_slice()));
    assert_eq!(cmds[5].1, [red.to_be_bytes(); 100].concat());
    let sent: usize = wire.borrow().bytes.len();
    assert!(sent < 250, "{sent} bytes instead of a 115,200-byte screen");
}
