//! The spelled text: wrapped at spaces (or anywhere in a word too long for a line),
//! scrolled so its end is always on screen. Text with Arabic letters is drawn right to
//! left, right-aligned, in the Arabic font (letters in isolated form: no shaping).

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use u8g2_fonts::FontRenderer;
use u8g2_fonts::types::{HorizontalAlignment, VerticalPosition};

use super::layout::Layout;
use super::{fonts, theme};

/// Whether `c` is an Arabic letter or Arabic presentation form.
pub fn is_arabic(c: char) -> bool {
    matches!(c as u32, 0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF)
}

/// `text` in drawing order for a right-to-left script: its characters reversed.
pub fn visual_order(text: &str) -> String {
    text.chars().rev().collect()
}

/// Splits `text` into lines no wider than `max_width`, where `width_of` gives each
/// character's advance. Breaks at the last space that fits (the space is dropped),
/// else inside the word; a `'\n'` always breaks. Always at least one (maybe empty) line.
pub fn wrap(text: &str, max_width: u32, width_of: impl Fn(char) -> u32) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut width = 0u32;
    let mut last_space: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if c == '\n' {
            lines.push(&text[start..i]);
            (start, width, last_space) = (i + 1, 0, None);
            continue;
        }
        let w = width_of(c);
        if width + w > max_width && i > start {
            if c == ' ' {
                lines.push(&text[start..i]);
                (start, width, last_space) = (i + 1, 0, None);
                continue;
            }
            match last_space.filter(|&sp| sp > start) {
                Some(sp) => {
                    lines.push(&text[start..sp]);
                    start = sp + 1;
                    width = text[start..i].chars().map(&width_of).sum();
                }
                None => {
                    lines.push(&text[start..i]);
                    (start, width) = (i, 0);
                }
            }
            last_space = None;
        }
        if c == ' ' {
            last_space = Some(i);
        }
        width += w;
    }
    lines.push(&text[start..]);
    lines
}

/// The font the spelled text is drawn in for `layout` (the Arabic font for Arabic text).
fn text_font(layout: &Layout, arabic: bool) -> FontRenderer {
    if arabic {
        let [font, _] = fonts::arabic_fonts();
        font.with_ignore_unknown_chars(true)
    } else {
        fonts::bold_font(layout.text_line_height())
    }
}

/// Only this many characters at the end of the text are wrapped (far more than a screen
/// holds), so a long session costs no more per frame than a short one.
pub const WRAP_TAIL_CHARS: usize = 400;

/// The end of `text` that is wrapped: all of it when short, else its last
/// [`WRAP_TAIL_CHARS`] characters from the first word start among them.
fn tail(text: &str) -> &str {
    let Some((cut, _)) = text.char_indices().rev().nth(WRAP_TAIL_CHARS - 1) else { return text };
    let rest = &text[cut..];
    match rest.find([' ', '\n']) {
        Some(space) if space + 1 < rest.len() => &rest[space + 1..],
        _ => rest,
    }
}

/// The lines of `text` that show in `layout`'s text area: the last
/// [`Layout::text_lines`] of its wrapping, in logical (typed) order.
pub fn visible_lines<'t>(text: &'t str, layout: &Layout) -> Vec<&'t str> {
    let text = tail(text);
    let font = text_font(layout, text.chars().any(is_arabic));
    let lines = wrap(text, layout.text.size.width, |c| fonts::text_width(&font, c.encode_utf8(&mut [0; 4])));
    let keep = (layout.text_lines.max(1) as usize).min(lines.len());
    lines[lines.len() - keep..].to_vec()
}

/// Draws the end of `text` into `layout`'s text area, one line per line slot from the top.
pub fn draw_text<D: DrawTarget<Color = Rgb565>>(target: &mut D, layout: &Layout, text: &str) -> Result<(), D::Error> {
    let arabic = tail(text).chars().any(is_arabic);
    let font = text_font(layout, arabic);
    let area = layout.text;
    let line_height = layout.text_line_height() as i32;
    let mut clipped = target.clipped(&area);
    for (row, line) in visible_lines(text, layout).into_iter().enumerate() {
        let y = area.top_left.y + row as i32 * line_height + line_height / 2;
        let (x, align, shown) = if arabic {
            (area.top_left.x + area.size.width as i32 - 1, HorizontalAlignment::Right, visual_order(line))
        } else {
            (area.top_left.x, HorizontalAlignment::Left, line.to_string())
        };
        fonts::draw_text(
            &mut clipped,
            &font,
            &shown,
            Point::new(x, y),
            VerticalPosition::Center,
            align,
            theme::FOREGROUND,
        )?;
    }
    Ok(())
}
