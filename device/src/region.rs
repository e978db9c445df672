//! Where the hand is in a frame. Today a fixed guide box that the screen shows and the
//! user puts their hand in; a landmark-based hand detector plugs in behind the same
//! trait later.

use serde::Deserialize;
use shared::{Frame, Roi};

/// Finds the region of a frame the classifier looks at.
pub trait HandRegion {
    /// The region for `frame`, or `None` when there is no hand to classify.
    fn locate(&mut self, frame: &Frame<'_>) -> Option<Roi>;
}

/// A fixed box given as fractions of the frame (`[region]` in the kiosk config).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GuideBox {
    /// Side of a centred square, as a fraction of the frame's shorter side; used when
    /// `rect` is not given.
    pub square: f32,
    /// `[x, y, width, height]` as fractions of the frame's width and height.
    pub rect: Option<[f32; 4]>,
}

impl Default for GuideBox {
    fn default() -> Self {
        Self { square: 1.0, rect: None }
    }
}

impl GuideBox {
    /// Checks the fractions.
    pub fn validate(&self) -> Result<(), String> {
        let ok = |v: f32| v.is_finite() && (0.0..=1.0).contains(&v);
        if !(ok(self.square) && self.square > 0.0) {
            return Err(format!("region.square {} is not in (0, 1]", self.square));
        }
        if let Some([x, y, w, h]) = self.rect
            && !(ok(x) && ok(y) && ok(w) && ok(h) && w > 0.0 && h > 0.0 && x + w <= 1.0 + 1e-6 && y + h <= 1.0 + 1e-6)
        {
            return Err(format!("region.rect {:?} does not lie inside the frame", [x, y, w, h]));
        }
        Ok(())
    }

    /// The box in pixels for a `width x height` frame (at least one pixel, inside).
    pub fn roi(&self, width: u32, height: u32) -> Roi {
        let (fw, fh) = (width as f32, height as f32);
        let (x, y, w, h) = match self.rect {
            Some([x, y, w, h]) => (x * fw, y * fh, w * fw, h * fh),
            None => {
                let side = self.square * fw.min(fh);
                ((fw - side) / 2.0, (fh - side) / 2.0, side, side)
            }
        };
        let x = (x.round() as u32).min(width - 1);
        let y = (y.round() as u32).min(height - 1);
        let w = (w.round() as u32).clamp(1, width - x);
        let h = (h.round() as u32).clamp(1, height - y);
        Roi::new(x, y, w, h)
    }
}

impl HandRegion for GuideBox {
    fn locate(&mut self, frame: &Frame<'_>) -> Option<Roi> {
        Some(self.roi(frame.width, frame.height))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centred_square_in_a_wide_frame() {
        let g = GuideBox { square: 0.75, rect: None };
        assert_eq!(g.roi(640, 480), Roi::new(140, 60, 360, 360));
        assert_eq!(GuideBox::default().roi(200, 200), Roi::full(200, 200));
    }

    #[test]
    fn rect_stays_inside() {
        let g = GuideBox { square: 1.0, rect: Some([0.5, 0.5, 0.5, 0.5]) };
        assert!(g.validate().is_ok());
        let r = g.roi(101, 99);
        assert!(r.x + r.width <= 101 && r.y + r.height <= 99);
        assert!(GuideBox { square: 1.0, rect: Some([0.6, 0.0, 0.5, 1.0]) }.validate().is_err());
        assert!(GuideBox { square: 0.0, rect: None }.validate().is_err());
    }
}
