//! Where finished screens go: a panel takes a whole [`FrameBuffer`] at a time, so the
//! kiosk loop never knows whether it talks to an SPI panel, PNG files or nothing.
//!
//! - [`spi`]: an ST7789 (240x240) or ILI9341 (320x240) through `mipidsi` over
//!   `linux-embedded-hal` (spidev, gpio-cdev pins);
//! - [`png`]: writes each pushed screen as a numbered PNG (demos, tests, docs);
//! - [`NullPanel`]: drops screens; [`CountingPanel`] drops them too but counts what the
//!   SPI panel would have sent (benchmarks).

mod framebuffer;
pub mod pipelined;
pub mod png;
pub mod spi;

pub use framebuffer::FrameBuffer;

use crate::config::{DisplayConfig, DisplayKind};

/// The panel `config` describes: the SPI panel, PNG files in `png_dir`, or nothing, at
/// `size` (SPI panels know theirs). The one place a kiosk's screen is built.
pub fn open(config: &DisplayConfig) -> anyhow::Result<Box<dyn Panel + Send>> {
    let [w, h] = config.size;
    Ok(match config.kind {
        DisplayKind::Spi => Box::new(spi::SpiPanel::open(&config.spi)?),
        DisplayKind::Png => Box::new(png::PngPanel::new(&config.png_dir, w, h)?),
        DisplayKind::None => Box::new(NullPanel { size: (w, h) }),
    })
}

/// PNG files in `dir` when given, else nothing, at `size`: the screens of a run that has
/// no kiosk config (`device demo`, a collection rehearsal).
pub fn png_or_none(dir: Option<&std::path::Path>, size: (u32, u32)) -> anyhow::Result<Box<dyn Panel + Send>> {
    let config = DisplayConfig {
        kind: if dir.is_some() { DisplayKind::Png } else { DisplayKind::None },
        png_dir: dir.map(std::path::Path::to_path_buf).unwrap_or_default(),
        size: [size.0, size.1],
        ..DisplayConfig::default()
    };
    open(&config)
}

/// A screen that shows finished frame buffers.
pub trait Panel {
    /// Shows `frame` (the same size as [`Panel::size`]).
    fn push(&mut self, frame: &FrameBuffer) -> anyhow::Result<()>;
    /// Shows `frame`, whose camera frame was captured at `captured`; a panel that sends
    /// on another thread times the screen from there ([`Panel::shown_latencies`]).
    fn push_captured(&mut self, frame: &FrameBuffer, _captured: std::time::Instant) -> anyhow::Result<()> {
        self.push(frame)
    }
    /// Capture-to-pixels milliseconds of the screens sent since the last call, for a
    /// panel that sends on its own thread ([`pipelined::PanelThread`]); `None` for one
    /// whose push returns once the pixels are out (the kiosk times those itself).
    fn shown_latencies(&mut self) -> Option<Vec<f64>> {
        None
    }
    /// Waits until every screen handed over is out, for a panel that sends on its own
    /// thread; others are done when their push returns.
    fn finish_sending(&mut self) {}
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
}

/// A panel that shows nothing.
#[derive(Debug, Clone, Copy)]
pub struct NullPanel {
    /// Width and height the UI lays out for.
    pub size: (u32, u32),
}

impl Panel for NullPanel {
    fn push(&mut self, _frame: &FrameBuffer) -> anyhow::Result<()> {
        Ok(())
    }
    fn size(&self) -> (u32, u32) {
        self.size
    }
}

/// A panel that shows nothing but counts what [`spi::SpiPanel`] would send for each
/// screen: the whole first screen, then only the bands that changed.
#[derive(Debug, Clone, Default)]
pub struct CountingPanel {
    /// Width and height the UI lays out for.
    pub size: (u32, u32),
    shown: spi::Shown,
    /// Pixels sent so far.
    pub pixels_sent: u64,
    /// Windows (address set + memory write) sent so far.
    pub windows_sent: u64,
    /// Screens pushed so far.
    pub pushes: u64,
}

impl CountingPanel {
    /// Bytes a window costs besides its pixels: CASET and RASET with 4 parameter bytes
    /// each, and RAMWR.
    pub const WINDOW_BYTES: u64 = 11;

    /// A counting panel of `size`.
    pub fn new(size: (u32, u32)) -> Self {
        Self { size, ..Self::default() }
    }

    /// Zeroes the counts (the screen shown stays).
    pub fn reset_counts(&mut self) {
        (self.pixels_sent, self.windows_sent, self.pushes) = (0, 0, 0);
    }

    /// SPI bytes a pushed screen cost on average (RGB565: 2 bytes a pixel).
    pub fn bytes_per_push(&self) -> f64 {
        (self.pixels_sent * 2 + self.windows_sent * Self::WINDOW_BYTES) as f64 / self.pushes.max(1) as f64
    }

    /// SPI bytes of a whole screen in one window (what every push cost before bands).
    pub fn bytes_full_screen(&self) -> f64 {
        (u64::from(self.size.0) * u64::from(self.size.1) * 2 + Self::WINDOW_BYTES) as f64
    }
}

impl Panel for CountingPanel {
    fn push(&mut self, frame: &FrameBuffer) -> anyhow::Result<()> {
        for band in self.shown.bands(frame) {
            self.pixels_sent += (band.rows.len() * band.columns.len()) as u64;
            self.windows_sent += 1;
        }
        self.shown.remember(frame);
        self.pushes += 1;
        Ok(())
    }
    fn size(&self) -> (u32, u32) {
        self.size
    }
}

impl<P: Panel + ?Sized> Panel for Box<P> {
    fn push(&mut self, frame: &FrameBuffer) -> anyhow::Result<()> {
        (**self).push(frame)
    }
    fn push_captured(&mut self, frame: &FrameBuffer, captured: std::time::Instant) -> anyhow::Result<()> {
        (**self).push_captured(frame, captured)
    }
    fn shown_latencies(&mut self) -> Option<Vec<f64>> {
        (**self).shown_latencies()
    }
    fn finish_sending(&mut self) {
        (**self).finish_sending()
    }
    fn size(&self) -> (u32, u32) {
        (**self).size()
    }
}

/// A panel shared with whoever else holds the `Arc` (a benchmark reads a
/// [`CountingPanel`]'s counts while the kiosk, or its panel thread, pushes).
impl<P: Panel> Panel for std::sync::Arc<std::sync::Mutex<P>> {
    fn push(&mut self, frame: &FrameBuffer) -> anyhow::Result<()> {
        self.lock().map_err(|_| anyhow::anyhow!("the panel's lock is poisoned"))?.push(frame)
    }
    fn size(&self) -> (u32, u32) {
        self.lock().map_or((0, 0), |p| p.size())
    }
}
