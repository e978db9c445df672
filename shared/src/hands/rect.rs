//! The rotated square the landmark model looks at: from a palm's keypoints
//! (`DetectionsToRectsCalculator` + `RectTransformationCalculator` with
//! `palm_detection_detection_to_roi.pbtxt`'s options) or from the last frame's
//! landmarks (`hand_landmark_landmarks_to_roi.pbtxt`), so the hand points up in the crop.

use std::f32::consts::PI;

use super::{Palm, Point};

/// A rectangle in frame pixels rotated by `rotation` radians about its centre.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RotatedRect {
    /// Centre column.
    pub cx: f32,
    /// Centre row.
    pub cy: f32,
    /// Width before rotation.
    pub w: f32,
    /// Height before rotation.
    pub h: f32,
    /// Clockwise rotation in radians (image coordinates, y down).
    pub rotation: f32,
}

/// An angle in -pi..pi.
fn normalize(a: f32) -> f32 {
    a - 2.0 * PI * ((a + PI) / (2.0 * PI)).floor()
}

/// The rotation that turns the direction `from -> to` to point up.
fn rotation(from: (f32, f32), to: (f32, f32)) -> f32 {
    normalize(PI / 2.0 - (-(to.1 - from.1)).atan2(to.0 - from.0))
}

impl RotatedRect {
    /// The crop for a palm: its box, turned so that wrist -> middle finger base points
    /// up, shifted half a box towards the fingers and enlarged 2.6x to a square.
    pub fn from_palm(palm: &Palm) -> Self {
        let (k0, k2) = (palm.keypoints[0], palm.keypoints[2]);
        let b = palm.bbox;
        Self {
            cx: (b.x0 + b.x1) / 2.0,
            cy: (b.y0 + b.y1) / 2.0,
            w: b.width(),
            h: b.height(),
            rotation: rotation((k0.x, k0.y), (k2.x, k2.y)),
        }
        .transformed(2.6, 0.0, -0.5)
    }

    /// The crop for the next frame from this frame's 21 landmarks: oriented by the wrist
    /// and the index, middle and ring finger bases, around the palm and finger bases,
    /// enlarged 2x to a square and shifted 0.1 towards the fingers.
    pub fn from_landmarks(points: &[Point; 21]) -> Self {
        const SUBSET: [usize; 12] = [0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18];
        let wrist = points[0];
        let (mx, my) = ((points[5].x + points[13].x) / 2.0, (points[5].y + points[13].y) / 2.0);
        let to = ((mx + points[9].x) / 2.0, (my + points[9].y) / 2.0);
        let r = rotation((wrist.x, wrist.y), to);
        // The subset's box in a frame turned by -r, its centre turned back.
        let (c, s) = (r.cos(), r.sin());
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for &i in &SUBSET {
            let p = points[i];
            let (u, v) = (p.x * c + p.y * s, -p.x * s + p.y * c);
            x0 = x0.min(u);
            y0 = y0.min(v);
            x1 = x1.max(u);
            y1 = y1.max(v);
        }
        let (u, v) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        Self { cx: u * c - v * s, cy: u * s + v * c, w: x1 - x0, h: y1 - y0, rotation: r }.transformed(2.0, 0.0, -0.1)
    }

    /// Shifts by `(shift_x, shift_y)` of its size along its own axes, then makes it a
    /// square of `scale` times its longer side.
    pub fn transformed(self, scale: f32, shift_x: f32, shift_y: f32) -> Self {
        let (c, s) = (self.rotation.cos(), self.rotation.sin());
        let dx = self.w * shift_x * c - self.h * shift_y * s;
        let dy = self.w * shift_x * s + self.h * shift_y * c;
        let side = self.w.max(self.h) * scale;
        Self { cx: self.cx + dx, cy: self.cy + dy, w: side, h: side, rotation: self.rotation }
    }

    /// Intersection over union of the two rectangles' upright bounding boxes: how far a
    /// palm's crop and a tracked crop are the same hand (MediaPipe's
    /// `AssociationNormRectCalculator` compares crops the same way).
    pub fn overlap(&self, other: &Self) -> f32 {
        let bounds = |r: &Self| {
            let corners = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)].map(|(u, v)| r.to_frame(u, v));
            corners.iter().fold((f32::MAX, f32::MAX, f32::MIN, f32::MIN), |(x0, y0, x1, y1), &(x, y)| (x0.min(x), y0.min(y), x1.max(x), y1.max(y)))
        };
        let (a, b) = (bounds(self), bounds(other));
        let inter = (a.2.min(b.2) - a.0.max(b.0)).max(0.0) * (a.3.min(b.3) - a.1.max(b.1)).max(0.0);
        let area = |r: (f32, f32, f32, f32)| (r.2 - r.0) * (r.3 - r.1);
        let union = area(a) + area(b) - inter;
        if union > 0.0 { inter / union } else { 0.0 }
    }

    /// The frame point at `(u, v)` in 0..1 of the crop.
    pub fn to_frame(&self, u: f32, v: f32) -> (f32, f32) {
        self.frame_map()(u, v)
    }

    /// [`Self::to_frame`] with the rotation's sine and cosine computed once, for mapping
    /// many points (a crop's every pixel).
    pub fn frame_map(&self) -> impl Fn(f32, f32) -> (f32, f32) + '_ {
        let (c, s) = (self.rotation.cos(), self.rotation.sin());
        move |u, v| {
            let (x, y) = ((u - 0.5) * self.w, (v - 0.5) * self.h);
            (self.cx + x * c - y * s, self.cy + x * s + y * c)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upright_hand_needs_no_rotation_and_a_sideways_one_a_quarter_turn() {
        assert!(rotation((0.0, 10.0), (0.0, 0.0)).abs() < 1e-6);
        // Fingers pointing right (+x): the crop turns a quarter clockwise.
        assert!((rotation((0.0, 0.0), (10.0, 0.0)) - PI / 2.0).abs() < 1e-6);
        let r = RotatedRect { cx: 50.0, cy: 50.0, w: 20.0, h: 20.0, rotation: 0.0 };
        assert_eq!(r.to_frame(0.5, 0.5), (50.0, 50.0));
        assert_eq!(r.to_frame(0.0, 0.0), (40.0, 40.0));
        // Shifting up by half the height moves the centre up by 10 px, then 2x square.
        let t = r.transformed(2.0, 0.0, -0.5);
        assert_eq!((t.cx, t.cy, t.w, t.h), (50.0, 40.0, 40.0, 40.0));
    }

    #[test]
    fn overlap_is_one_for_the_same_crop_and_falls_as_crops_part() {
        let r = RotatedRect { cx: 50.0, cy: 50.0, w: 20.0, h: 20.0, rotation: 0.0 };
        assert!((r.overlap(&r) - 1.0).abs() < 1e-6);
        // Moved half its width: a third of the union is shared.
        let moved = RotatedRect { cx: 60.0, ..r };
        assert!((r.overlap(&moved) - 1.0 / 3.0).abs() < 1e-5, "{}", r.overlap(&moved));
        assert_eq!(r.overlap(&RotatedRect { cx: 90.0, ..r }), 0.0);
        // A quarter turn of a square is the same square.
        assert!((r.overlap(&RotatedRect { rotation: PI / 2.0, ..r }) - 1.0).abs() < 1e-4);
    }
}
