//! The landmark mask of seed 002 §4.5.3: the hand's skeleton (bones and joints) drawn
//! in white on black, the hand scaled into a square with a margin, and its mirror
//! image, so a classifier sees the hand's shape and nothing of the room.

use image::{Rgb, RgbImage};

use super::landmarks::{CONNECTIONS, POINTS};
use super::{BoxPx, Point};

/// Draws `points` as a skeleton on a black `size x size` image: the hand's box is
/// centred and scaled to fill `1 - 2 * margin` of the side.
pub fn draw(points: &[Point; POINTS], size: u32, margin: f32) -> RgbImage {
    let mut img = RgbImage::new(size, size);
    draw_into(&mut img, Some(points), margin);
    img
}

/// Draws into a square `img` (cleared first), reusing its pixels: the kiosk's
/// allocation-free form of [`draw`]. With no points the mask stays black (no hand).
pub fn draw_into(img: &mut RgbImage, points: Option<&[Point; POINTS]>, margin: f32) {
    img.pixels_mut().for_each(|p| *p = Rgb([0, 0, 0]));
    let Some(points) = points else { return };
    let size = img.width().min(img.height());
    let b = BoxPx::around(points);
    let side = b.width().max(b.height()).max(1e-3);
    let scale = size as f32 * (1.0 - 2.0 * margin) / side;
    let (cx, cy) = ((b.x0 + b.x1) / 2.0, (b.y0 + b.y1) / 2.0);
    let at = |p: &Point| ((p.x - cx) * scale + size as f32 / 2.0, (p.y - cy) * scale + size as f32 / 2.0);
    let thick = (size as f32 / 48.0).max(1.0);
    for (a, c) in CONNECTIONS {
        line(img, at(&points[a]), at(&points[c]), thick, Rgb([255, 255, 255]));
    }
    for p in points {
        let q = at(p);
        line(img, q, q, thick * 1.6, Rgb([255, 255, 255]));
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
}
