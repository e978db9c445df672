//! Where finished screens go: a panel takes a whole [`FrameBuffer`] at a time, so the
//! kiosk loop never knows whether it talks to an SPI panel, PNG files or nothing.
//!
//! - [`spi`]: an ST7789 (240x240) or ILI9341 (320x240) through `mipidsi` over
//!   `linux-embedded-hal` (spidev, gpio-cdev pins);
//! - [`png`]: writes each pushed screen as a numbered PNG (demos, tests, docs);
//! - [`NullPanel`]: drops screens (benchmarks of everything but the panel).

mod framebuffer;
pub mod png;
pub mod spi;

pub use framebuffer::FrameBuffer;

/// A screen that shows finished frame buffers.
pub trait Panel {
    /// Shows `frame` (the same size as [`Panel::size`]).
    fn push(&mut self, frame: &FrameBuffer) -> anyhow::Result<()>;
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

impl<P: Panel + ?Sized> Panel for Box<P> {
    fn push(&mut self, frame: &FrameBuffer) -> anyhow::Result<()> {
        (**self).push(frame)
    }
    fn size(&self) -> (u32, u32) {
        (**self).size()
    }
}
