//! A `DrawTarget` adapter that draws every pixel as a `factor` x `factor` square, so a
//! small font (the Arabic ones are 16-20 px) can be shown large.

use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;

/// Draws into `target` with each pixel blown up `factor` times; the adapter's
/// `(0, 0)` lands on `origin` in the target.
pub struct Scaled<'a, D> {
    target: &'a mut D,
    origin: Point,
    factor: u32,
}

impl<'a, D: DrawTarget> Scaled<'a, D> {
    /// Wraps `target`; a `factor` of 0 is taken as 1.
    pub fn new(target: &'a mut D, origin: Point, factor: u32) -> Self {
        Self { target, origin, factor: factor.max(1) }
    }

    /// Where the adapter's `point` lands in the target (its square's top-left corner).
    pub fn to_target(&self, point: Point) -> Point {
        self.origin + point * self.factor as i32
    }
}

impl<D: DrawTarget> Dimensions for Scaled<'_, D> {
    fn bounding_box(&self) -> Rectangle {
        let outer = self.target.bounding_box();
        let f = self.factor as i32;
        let top_left = (outer.top_left - self.origin).component_div(Point::new(f, f));
        Rectangle::new(top_left, Size::new(outer.size.width / self.factor + 1, outer.size.height / self.factor + 1))
    }
}

impl<D: DrawTarget> DrawTarget for Scaled<'_, D> {
    type Color = D::Color;
    type Error = D::Error;

    fn draw_iter<I: IntoIterator<Item = Pixel<Self::Color>>>(&mut self, pixels: I) -> Result<(), Self::Error> {
        let square = Size::new(self.factor, self.factor);
        for Pixel(p, c) in pixels {
            let at = self.to_target(p);
            self.target.fill_solid(&Rectangle::new(at, square), c)?;
        }
        Ok(())
    }
}
