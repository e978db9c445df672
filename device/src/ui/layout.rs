//! Where each part of the screen goes, for a given screen size.
//!
//! Two layouts are drawn by hand: 240x240 (ST7789) and 320x240 (ILI9341 landscape).
//! Any other size gets the one nearest in aspect ratio, scaled to fit.

use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;

/// The areas of the screen, in screen pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The whole screen.
    pub screen: Size,
    /// The camera preview (the picture is fitted inside, keeping its aspect ratio).
    pub preview: Rectangle,
    /// The current letter, drawn large.
    pub letter: Rectangle,
    /// The confidence bar under the letter (outline included).
    pub confidence: Rectangle,
    /// The frames-per-second readout (right-aligned).
    pub fps: Rectangle,
    /// The spelled text.
    pub text: Rectangle,
    /// How many lines of spelled text fit into [`Layout::text`].
    pub text_lines: u32,
    /// The status line (or the hint).
    pub status: Rectangle,
}

const fn rect(x: i32, y: i32, w: u32, h: u32) -> Rectangle {
    Rectangle::new(Point::new(x, y), Size::new(w, h))
}

/// The 240x240 layout (ST7789 square panels).
const SQUARE: Layout = Layout {
    screen: Size::new(240, 240),
    preview: rect(0, 0, 160, 120),
    letter: rect(160, 0, 80, 94),
    confidence: rect(164, 96, 72, 14),
    fps: rect(160, 110, 78, 12),
    text: rect(2, 124, 236, 84),
    text_lines: 3,
    status: rect(0, 210, 240, 30),
};

/// The 320x240 layout (ILI9341 in landscape).
const WIDE: Layout = Layout {
    screen: Size::new(320, 240),
    preview: rect(0, 0, 192, 144),
    letter: rect(192, 0, 128, 112),
    confidence: rect(200, 114, 112, 16),
    fps: rect(192, 132, 126, 12),
    text: rect(4, 148, 312, 64),
    text_lines: 2,
    status: rect(0, 214, 320, 26),
};

impl Layout {
    /// The layout for a `width` x `height` screen: 240x240 and 320x240 exactly, any other
    /// size the nearest of those in aspect ratio, scaled to the screen.
    pub fn for_size(width: u32, height: u32) -> Layout {
        let (w, h) = (width.max(1), height.max(1));
        if (w, h) == (240, 240) {
            return SQUARE;
        }
        if (w, h) == (320, 240) {
            return WIDE;
        }
        let aspect = w as f32 / h as f32;
        let square_gap = (aspect - 1.0).abs();
        let wide_gap = (aspect - 320.0 / 240.0).abs();
        let base = if square_gap <= wide_gap { SQUARE } else { WIDE };
        base.scaled(Size::new(w, h))
    }

    /// This layout stretched to `screen`, every area scaled in x and y.
    fn scaled(&self, screen: Size) -> Layout {
        let sx = |v: i64| (v * i64::from(screen.width) / i64::from(self.screen.width)) as i32;
        let sy = |v: i64| (v * i64::from(screen.height) / i64::from(self.screen.height)) as i32;
        let scale = |r: Rectangle| {
            let x0 = sx(i64::from(r.top_left.x));
            let y0 = sy(i64::from(r.top_left.y));
            let x1 = sx(i64::from(r.top_left.x) + i64::from(r.size.width));
            let y1 = sy(i64::from(r.top_left.y) + i64::from(r.size.height));
            Rectangle::new(Point::new(x0, y0), Size::new((x1 - x0).max(1) as u32, (y1 - y0).max(1) as u32))
        };
        Layout {
            screen,
            preview: scale(self.preview),
            letter: scale(self.letter),
            confidence: scale(self.confidence),
            fps: scale(self.fps),
            text: scale(self.text),
            text_lines: self.text_lines,
            status: scale(self.status),
        }
    }

    /// The height of one line of spelled text.
    pub fn text_line_height(&self) -> u32 {
        (self.text.size.height / self.text_lines.max(1)).max(1)
    }
}

/// Where a `width` x `height` picture shows inside `area`: as large as fits, aspect
/// ratio kept, centred. `None` for an empty picture or area.
pub fn fit_preview(area: Rectangle, width: u32, height: u32) -> Option<Rectangle> {
    if width == 0 || height == 0 || area.size.width == 0 || area.size.height == 0 {
        return None;
    }
    let (aw, ah) = (u64::from(area.size.width), u64::from(area.size.height));
    let (pw, ph) = (u64::from(width), u64::from(height));
    // Fit by width unless that makes the picture too tall.
    let (w, h) = if pw * ah >= ph * aw { (aw, (ph * aw / pw).max(1)) } else { ((pw * ah / ph).max(1), ah) };
    let x = area.top_left.x + ((aw - w) / 2) as i32;
    let y = area.top_left.y + ((ah - h) / 2) as i32;
    Some(Rectangle::new(Point::new(x, y), Size::new(w as u32, h as u32)))
}

/// Maps `roi`, in the coordinates of a `width` x `height` picture, onto `shown`
/// (where that picture is drawn on screen). Parts outside the picture are cut off.
pub fn map_roi(roi: shared::Roi, width: u32, height: u32, shown: Rectangle) -> Rectangle {
    let (w, h) = (u64::from(width.max(1)), u64::from(height.max(1)));
    let (sw, sh) = (u64::from(shown.size.width), u64::from(shown.size.height));
    let x0 = u64::from(roi.x).min(w);
    let y0 = u64::from(roi.y).min(h);
    let x1 = (u64::from(roi.x) + u64::from(roi.width)).min(w);
    let y1 = (u64::from(roi.y) + u64::from(roi.height)).min(h);
    let (sx0, sy0) = (x0 * sw / w, y0 * sh / h);
    let (sx1, sy1) = (x1 * sw / w, y1 * sh / h);
    Rectangle::new(
        shown.top_left + Point::new(sx0 as i32, sy0 as i32),
        Size::new((sx1 - sx0) as u32, (sy1 - sy0) as u32),
    )
}
