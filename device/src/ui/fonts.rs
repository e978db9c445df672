//! Font choice by available height, text measuring, and drawing that keeps only the
//! target's own errors (a glyph a font lacks is skipped, never an error).

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;
use u8g2_fonts::types::{FontColor, HorizontalAlignment, VerticalPosition};
use u8g2_fonts::{FontRenderer, fonts};

/// The large letter fonts (logisoso, Latin-1), largest first.
fn letter_fonts() -> [FontRenderer; 13] {
    [
        FontRenderer::new::<fonts::u8g2_font_logisoso58_tf>(),
        FontRenderer::new::<fonts::u8g2_font_logisoso54_tf>(),
        FontRenderer::new::<fonts::u8g2_font_logisoso50_tf>(),
        FontRenderer::new::<fonts::u8g2_font_logisoso46_tf>(),
        FontRenderer::new::<fonts::u8g2_font_logisoso42_tf>(),
        FontRenderer::new::<fonts::u8g2_font_logisoso38_tf>(),
        FontRenderer::new::<fonts::u8g2_font_logisoso34_tf>(),
        FontRenderer::new::<fonts::u8g2_font_logisoso30_tf>(),
        FontRenderer::new::<fonts::u8g2_font_logisoso26_tf>(),
        FontRenderer::new::<fonts::u8g2_font_logisoso22_tf>(),
        FontRenderer::new::<fonts::u8g2_font_logisoso20_tf>(),
        FontRenderer::new::<fonts::u8g2_font_logisoso18_tf>(),
        FontRenderer::new::<fonts::u8g2_font_logisoso16_tf>(),
    ]
}

/// Bold text fonts (Helvetica bold, Latin-1), largest first.
fn bold_fonts() -> [FontRenderer; 6] {
    [
        FontRenderer::new::<fonts::u8g2_font_helvB24_tf>(),
        FontRenderer::new::<fonts::u8g2_font_helvB18_tf>(),
        FontRenderer::new::<fonts::u8g2_font_helvB14_tf>(),
        FontRenderer::new::<fonts::u8g2_font_helvB12_tf>(),
        FontRenderer::new::<fonts::u8g2_font_helvB10_tf>(),
        FontRenderer::new::<fonts::u8g2_font_helvB08_tf>(),
    ]
}

/// Fonts with Arabic glyphs, preferred first (10x20 is the larger of the two).
pub(crate) fn arabic_fonts() -> [FontRenderer; 2] {
    [FontRenderer::new::<fonts::u8g2_font_10x20_t_arabic>(), FontRenderer::new::<fonts::u8g2_font_unifont_t_arabic>()]
}

/// The small font of the fps readout.
pub(crate) fn small_font() -> FontRenderer {
    FontRenderer::new::<fonts::u8g2_font_helvR08_tf>().with_ignore_unknown_chars(true)
}

/// Height of a font's capitals (its ascent), at least 1.
pub(crate) fn cap_height(font: &FontRenderer) -> u32 {
    u32::try_from(font.get_ascent()).unwrap_or(0).max(1)
}

/// Height of a full line (ascent plus descent).
pub(crate) fn line_height(font: &FontRenderer) -> u32 {
    (i32::from(font.get_ascent()) - i32::from(font.get_descent())).max(1) as u32
}

/// The largest letter font whose capitals leave a margin in `height`, strict about
/// unknown glyphs (so a missing glyph can be detected and another font tried).
pub(crate) fn letter_font(height: u32) -> FontRenderer {
    let all = letter_fonts();
    let last = all[all.len() - 1].clone();
    all.into_iter().find(|f| cap_height(f) + 8 <= height).unwrap_or(last)
}

/// The largest bold font whose full line fits `height` (unknown glyphs skipped).
pub(crate) fn bold_font(height: u32) -> FontRenderer {
    let all = bold_fonts();
    let last = all[all.len() - 1].clone();
    all.into_iter().find(|f| line_height(f) + 2 <= height).unwrap_or(last).with_ignore_unknown_chars(true)
}

/// The largest bold font in which `text` fits `area` on one line, if any does.
pub(crate) fn bold_font_fitting(text: &str, area: Rectangle) -> Option<FontRenderer> {
    bold_fonts()
        .into_iter()
        .map(|f| f.with_ignore_unknown_chars(true))
        .find(|f| line_height(f) <= area.size.height && text_width(f, text) <= area.size.width)
}

/// Width of `text` in `font` in pixels (unknown glyphs count 0 in lenient fonts).
pub(crate) fn text_width(font: &FontRenderer, text: &str) -> u32 {
    font.get_rendered_dimensions(text, Point::zero(), VerticalPosition::Baseline)
        .map(|d| d.advance.x.max(0) as u32)
        .unwrap_or(0)
}

/// Whether `font` has a glyph for `c`.
pub(crate) fn has_glyph(font: &FontRenderer, c: char) -> bool {
    font.get_rendered_dimensions(c, Point::zero(), VerticalPosition::Top).is_ok()
}

/// Draws `text` anchored at `position` (vertical and horizontal anchors as given).
/// Font-side problems (a missing glyph) draw nothing more; only the target's errors return.
pub(crate) fn draw_text<D: DrawTarget<Color = Rgb565>>(
    target: &mut D,
    font: &FontRenderer,
    text: &str,
    position: Point,
    vertical: VerticalPosition,
    horizontal: HorizontalAlignment,
    color: Rgb565,
) -> Result<(), D::Error> {
    match font.render_aligned(text, position, vertical, horizontal, FontColor::Transparent(color), target) {
        Ok(_) => Ok(()),
        Err(u8g2_fonts::Error::DisplayError(e)) => Err(e),
        Err(u8g2_fonts::Error::GlyphNotFound(_) | u8g2_fonts::Error::BackgroundColorNotSupported) => Ok(()),
    }
}
