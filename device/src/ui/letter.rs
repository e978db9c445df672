//! The current letter, drawn as large as its area allows.
//!
//! One character is a glyph: from the large Latin font when it has it, else from an
//! Arabic font blown up with [`Scaled`], else the letter's name is shown as a word.
//! Labels of several characters ("space", "del") are words; "nothing" shows nothing.

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;
use u8g2_fonts::FontRenderer;
use u8g2_fonts::types::{HorizontalAlignment, VerticalPosition};

use super::scaled::Scaled;
use super::text::{is_arabic, visual_order};
use super::{fonts, theme};

/// How a class label shows in the letter area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LetterShape<'a> {
    /// Nothing (no letter, or the "nothing" class).
    Blank,
    /// One character, drawn large.
    Glyph(char),
    /// A word ("SPACE", "DEL", a multi-character label), drawn as large as it fits.
    Word(&'a str),
}

/// How `label` shows: "nothing"/"none"/blank -> [`LetterShape::Blank`]; "space" ->
/// "SPACE"; "del"/"delete"/"backspace" -> "DEL"; one character -> a glyph; other
/// labels as words.
pub fn shape(label: &str) -> LetterShape<'_> {
    let label = label.trim();
    let mut chars = label.chars();
    match (chars.next(), chars.next()) {
        (None, _) => return LetterShape::Blank,
        (Some(c), None) => return LetterShape::Glyph(c),
        _ => {}
    }
    match label.to_ascii_lowercase().as_str() {
        "nothing" | "none" | "blank" => LetterShape::Blank,
        "space" => LetterShape::Word("SPACE"),
        "del" | "delete" | "backspace" => LetterShape::Word("DEL"),
        _ => LetterShape::Word(label),
    }
}

/// Draws `letter` centred in `area` in the foreground colour; `name` stands in when no
/// font has the glyph (a large "?" when there is no name either). Draws nothing for
/// `None` or a blank label.
pub fn draw_letter<D: DrawTarget<Color = Rgb565>>(
    target: &mut D,
    area: Rectangle,
    letter: Option<&str>,
    name: Option<&str>,
) -> Result<(), D::Error> {
    draw_letter_in(target, area, letter, name, theme::FOREGROUND)
}

/// As [`draw_letter`], in `color` (e.g. [`theme::PROMPT`] for a letter asked for).
pub fn draw_letter_in<D: DrawTarget<Color = Rgb565>>(
    target: &mut D,
    area: Rectangle,
    letter: Option<&str>,
    name: Option<&str>,
    color: Rgb565,
) -> Result<(), D::Error> {
    let mut clipped = target.clipped(&area);
    match letter.map(shape).unwrap_or(LetterShape::Blank) {
        LetterShape::Blank => Ok(()),
        LetterShape::Word(word) => draw_word(&mut clipped, area, word, color),
        LetterShape::Glyph(c) => {
            let large = fonts::letter_font(area.size.height);
            if fonts::has_glyph(&large, c) {
                return draw_scaled(&mut clipped, area, &large, c.encode_utf8(&mut [0; 4]), 1, color);
            }
            for font in fonts::arabic_fonts() {
                if fonts::has_glyph(&font, c) {
                    let factor = glyph_scale(&font, c, area);
                    return draw_scaled(&mut clipped, area, &font, c.encode_utf8(&mut [0; 4]), factor, color);
                }
            }
            match name {
                Some(name) => draw_word(&mut clipped, area, name, color),
                None => draw_scaled(&mut clipped, area, &large, "?", 1, color),
            }
        }
    }
}

/// The whole-number factor that makes glyph `c` of `font` as large as fits `area`
/// (a 4 px margin all round), at least 1.
fn glyph_scale(font: &FontRenderer, c: char, area: Rectangle) -> u32 {
    let Ok(Some(bbox)) = font.get_rendered_dimensions(c, Point::zero(), VerticalPosition::Top).map(|d| d.bounding_box)
    else {
        return 1;
    };
    let by_width = area.size.width.saturating_sub(8) / bbox.size.width.max(1);
    let by_height = area.size.height.saturating_sub(8) / bbox.size.height.max(1);
    by_width.min(by_height).max(1)
}

/// Draws `text` in `font` and `color`, blown up `factor` times, its inked box centred
/// on `area`'s centre.
fn draw_scaled<D: DrawTarget<Color = Rgb565>>(
    target: &mut D,
    area: Rectangle,
    font: &FontRenderer,
    text: &str,
    factor: u32,
    color: Rgb565,
) -> Result<(), D::Error> {
    let bbox = match font.get_rendered_dimensions(text, Point::zero(), VerticalPosition::Top) {
        Ok(d) => d.bounding_box,
        Err(_) => None,
    };
    let Some(bbox) = bbox else { return Ok(()) };
    let f = factor as i32;
    // Put the glyph's box centre (in scaled pixels) on the area's centre.
    let half = Point::new(bbox.size.width as i32 * f / 2, bbox.size.height as i32 * f / 2);
    let origin = area.center() - bbox.top_left * f - half;
    let mut scaled = Scaled::new(target, origin, factor);
    fonts::draw_text(
        &mut scaled,
        font,
        text,
        Point::zero(),
        VerticalPosition::Top,
        HorizontalAlignment::Left,
        color,
    )
}

/// Draws `word` in `color`, centred in `area`, in the largest bold font it fits (the
/// smallest, cut, if none); an Arabic word in the Arabic font, right to left, blown up as
/// far as it fits.
fn draw_word<D: DrawTarget<Color = Rgb565>>(target: &mut D, area: Rectangle, word: &str, color: Rgb565) -> Result<(), D::Error> {
    let inner = area.offset(-2);
    if word.chars().any(is_arabic) {
        let [font, _] = fonts::arabic_fonts();
        let font = font.with_ignore_unknown_chars(true);
        let visual = visual_order(word);
        let width = fonts::text_width(&font, &visual).max(1);
        let factor = (inner.size.width / width).min(inner.size.height / fonts::line_height(&font)).max(1);
        return draw_scaled(target, area, &font, &visual, factor, color);
    }
    let font = fonts::bold_font_fitting(word, inner).unwrap_or_else(|| fonts::bold_font(0));
    fonts::draw_text(
        target,
        &font,
        word,
        area.center(),
        VerticalPosition::Center,
        HorizontalAlignment::Center,
        color,
    )
}
