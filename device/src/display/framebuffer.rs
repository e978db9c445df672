//! An in-memory RGB565 screen that the UI draws into before it is pushed to a panel.

use embedded_graphics::pixelcolor::{Rgb565, Rgb888};
use embedded_graphics::prelude::*;

/// A `width x height` RGB565 picture in memory; implements [`DrawTarget`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameBuffer {
    width: u32,
    height: u32,
    pixels: Vec<Rgb565>,
}

impl FrameBuffer {
    /// A black frame buffer.
    pub fn new(width: u32, height: u32) -> Self {
        Self { width, height, pixels: vec![Rgb565::BLACK; (width * height) as usize] }
    }

    /// Becomes a copy of `other` (its size too), reusing this buffer's memory.
    pub fn copy_from(&mut self, other: &FrameBuffer) {
        (self.width, self.height) = (other.width, other.height);
        self.pixels.clear();
        self.pixels.extend_from_slice(&other.pixels);
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The pixels, row by row.
    pub fn pixels(&self) -> &[Rgb565] {
        &self.pixels
    }

    /// The pixel at `(x, y)`, if inside.
    pub fn pixel(&self, x: u32, y: u32) -> Option<Rgb565> {
        (x < self.width && y < self.height).then(|| self.pixels[(y * self.width + x) as usize])
    }

    /// The picture as packed RGB24 (for PNG files).
    pub fn to_rgb888(&self) -> Vec<u8> {
        self.pixels
            .iter()
            .flat_map(|&p| {
                let c: Rgb888 = p.into();
                [c.r(), c.g(), c.b()]
            })
            .collect()
    }
}

impl OriginDimensions for FrameBuffer {
    fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }
}

impl DrawTarget for FrameBuffer {
    type Color = Rgb565;
    type Error = std::convert::Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<Rgb565>>>(&mut self, pixels: I) -> Result<(), Self::Error> {
        for Pixel(p, c) in pixels {
            if p.x >= 0 && p.y >= 0 && (p.x as u32) < self.width && (p.y as u32) < self.height {
                self.pixels[(p.y as u32 * self.width + p.x as u32) as usize] = c;
            }
        }
        Ok(())
    }

    fn clear(&mut self, color: Rgb565) -> Result<(), Self::Error> {
        self.pixels.fill(color);
        Ok(())
    }
}
