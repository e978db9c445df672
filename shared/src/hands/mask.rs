//! The landmark mask of seed 002 §4.5.3: the hand's skeleton (bones and joints) drawn
//! in white on black, the hand scaled into a square with a margin, and its mirror
//! image, so a classifier sees the hand's shape and nothing of the room.

use image::{Rgb, RgbImage};

use super::landmarks::{CONNECTIONS, POINTS};
use super::{BoxPx, Point};
use crate::card::MaskStyle;

const WHITE: Rgb<u8> = Rgb([255, 255, 255]);

/// Finger colours of [`MaskStyle::Fingers`]: thumb, index, middle, ring, little.
pub const FINGER_COLORS: [[u8; 3]; 5] = [[255, 40, 40], [255, 255, 0], [0, 255, 0], [0, 255, 255], [255, 0, 255]];

/// Draws `points` as a skeleton on a black `size x size` image: the hand's box is
/// centred and scaled to fill `1 - 2 * margin` of the side.
pub fn draw(points: &[Point; POINTS], size: u32, margin: f32) -> RgbImage {
    let mut img = RgbImage::new(size, size);
    draw_into(&mut img, Some(points), margin, MaskStyle::White);
    img
}

/// The finger (0 thumb .. 4 little) a landmark belongs to; `None` for the wrist.
fn finger_of(point: usize) -> Option<usize> {
    (point > 0).then(|| (point - 1) / 4)
}

/// The colour of bone `a -> b`: its finger's, or white for the palm's edges (knuckle to
/// knuckle, wrist to knuckle).
fn bone_color(a: usize, b: usize, style: MaskStyle) -> Rgb<u8> {
    match (style, finger_of(b)) {
        (MaskStyle::Fingers, Some(f)) if b == a + 1 || (a == 0 && b == 1) => Rgb(FINGER_COLORS[f]),
        _ => WHITE,
    }
}

/// Draws into a square `img` (cleared first), reusing its pixels: the kiosk's
/// allocation-free form of [`draw`]. With no points the mask stays black (no hand).
pub fn draw_into(img: &mut RgbImage, points: Option<&[Point; POINTS]>, margin: f32, style: MaskStyle) {
    img.pixels_mut().for_each(|p| *p = Rgb([0, 0, 0]));
    let Some(points) = points else { return };
    let size = img.width().min(img.height());
    let b = BoxPx::around(points);
    let side = b.width().max(b.height()).max(1e-3);
    let scale = size as f32 * (1.0 - 2.0 * margin) / side;
    let (cx, cy) = ((b.x0 + b.x1) / 2.0, (b.y0 + b.y1) / 2.0);
    let at = |p: &Point| ((p.x - cx) * scale + size as f32 / 2.0, (p.y - cy) * scale + size as f32 / 2.0);
    let thick = (size as f32 / 48.0).max(1.0);
    // Far to near (MediaPipe's z grows away from the camera), so nearer bones and
    // joints cover farther ones where fingers cross.
    let mut bones: Vec<(f32, usize, usize)> =
        CONNECTIONS.iter().map(|&(a, c)| ((points[a].z + points[c].z) / 2.0, a, c)).collect();
    bones.sort_by(|x, y| y.0.total_cmp(&x.0));
    for (_, a, c) in bones {
        line(img, at(&points[a]), at(&points[c]), thick, bone_color(a, c, style));
        for j in [a, c] {
            let q = at(&points[j]);
            let color = match (style, finger_of(j)) {
                (MaskStyle::Fingers, Some(f)) => Rgb(FINGER_COLORS[f]),
                _ => WHITE,
            };
            line(img, q, q, thick * 1.6, color);
        }
    }
}

/// The mirror image (left-right) of a mask.
pub fn mirror(img: &RgbImage) -> RgbImage {
    image::imageops::flip_horizontal(img)
}

/// A segment `a -> b` of width `width`, round-capped.
fn line(img: &mut RgbImage, a: (f32, f32), b: (f32, f32), width: f32, color: Rgb<u8>) {
    let r = width / 2.0;
    let (x0, x1) = ((a.0.min(b.0) - r).floor().max(0.0) as u32, (a.0.max(b.0) + r).ceil().max(0.0) as u32);
    let (y0, y1) = ((a.1.min(b.1) - r).floor().max(0.0) as u32, (a.1.max(b.1) + r).ceil().max(0.0) as u32);
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    for y in y0..y1.min(img.height()) {
        for x in x0..x1.min(img.width()) {
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            let t = if len2 > 0.0 { (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
            let (qx, qy) = (a.0 + t * dx - px, a.1 + t * dy - py);
            if qx * qx + qy * qy <= r * r {
                img.put_pixel(x, y, color);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mask_is_white_bones_on_black_and_its_mirror_flips_it() {
        // A hand pointing up: wrist at the bottom, fingers fanned above it.
        let points: [Point; POINTS] = std::array::from_fn(|i| {
            if i == 0 {
                return Point { x: 50.0, y: 100.0, z: 0.0 };
            }
            let finger = (i - 1) / 4;
            let joint = (i - 1) % 4 + 1;
            Point { x: 20.0 + 15.0 * finger as f32, y: 80.0 - 12.0 * joint as f32, z: 0.0 }
        });
        let m = draw(&points, 96, 0.1);
        let white = m.pixels().filter(|p| p.0 == [255, 255, 255]).count();
        let black = m.pixels().filter(|p| p.0 == [0, 0, 0]).count();
        assert_eq!(white + black, 96 * 96, "only white and black");
        assert!(white > 300 && black > 96 * 96 / 2, "{white} white, {black} black");
        // The margin stays black.
        assert!((0..96).all(|i| m.get_pixel(i, 0).0 == [0, 0, 0] && m.get_pixel(0, i).0 == [0, 0, 0]));
        let f = mirror(&m);
        assert!((0..96).all(|y| (0..96).all(|x| f.get_pixel(x, y) == m.get_pixel(95 - x, y))));
        assert_ne!(f, m, "this hand is not symmetric");
    }

    #[test]
    fn finger_masks_colour_each_finger_and_draw_the_nearer_finger_on_top() {
        let color_count = |m: &RgbImage, c: [u8; 3]| m.pixels().filter(|p| p.0 == c).count();
        // As above, with the index finger's middle bone crossing the middle finger.
        let hand = |index_z: f32| -> [Point; POINTS] {
            std::array::from_fn(|i| {
                let (finger, joint) = ((i.max(1) - 1) / 4, (i.max(1) - 1) % 4 + 1);
                let z = if i == 0 { 0.0 } else if finger == 1 { index_z } else { 0.0 };
                match i {
                    0 => Point { x: 50.0, y: 100.0, z },
                    6 => Point { x: 40.0, y: 56.0, z },
                    7 => Point { x: 60.0, y: 44.0, z },
                    8 => Point { x: 66.0, y: 36.0, z },
                    _ => Point { x: 20.0 + 15.0 * finger as f32, y: 80.0 - 12.0 * joint as f32, z },
                }
            })
        };
        let mut front = RgbImage::new(96, 96);
        draw_into(&mut front, Some(&hand(-0.5)), 0.1, MaskStyle::Fingers);
        for c in FINGER_COLORS {
            assert!(color_count(&front, c) > 20, "finger colour {c:?} missing");
        }
        assert!(color_count(&front, [255, 255, 255]) > 20, "the palm is white");
        let mut behind = RgbImage::new(96, 96);
        draw_into(&mut behind, Some(&hand(0.5)), 0.1, MaskStyle::Fingers);
        let (yellow, green) = (FINGER_COLORS[1], FINGER_COLORS[2]);
        assert!(color_count(&front, yellow) > color_count(&behind, yellow), "the index covers the middle finger when nearer");
        assert!(color_count(&behind, green) > color_count(&front, green), "and is covered by it when farther");
        // White masks do not depend on depth, and no hand leaves the mask black.
        let (mut a, mut b) = (RgbImage::new(96, 96), RgbImage::new(96, 96));
        draw_into(&mut a, Some(&hand(-0.5)), 0.1, MaskStyle::White);
        draw_into(&mut b, Some(&hand(0.5)), 0.1, MaskStyle::White);
        assert_eq!(a, b);
        draw_into(&mut a, None, 0.1, MaskStyle::White);
        assert!(a.pixels().all(|p| p.0 == [0, 0, 0]));
    }
}
