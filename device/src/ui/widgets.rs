//! The small parts of the screen: camera preview, guide box, confidence bar, fps, status.

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{Line, PrimitiveStyle, PrimitiveStyleBuilder, Rectangle, StrokeAlignment};
use u8g2_fonts::types::{HorizontalAlignment, VerticalPosition};

use super::layout::fit_preview;
use super::{Preview, fonts, theme};

/// Width of the guide box's outline in pixels.
pub const GUIDE_STROKE: u32 = 2;

/// Draws `preview` into `area` (nearest-neighbour, aspect ratio kept, centred) and
/// returns where the picture landed. A picture whose buffer is shorter than
/// `width * height * 3` bytes, or that is empty, is drawn as "no picture" and gives `None`.
pub fn draw_preview<D: DrawTarget<Color = Rgb565>>(
    target: &mut D,
    area: Rectangle,
    preview: &Preview<'_>,
) -> Result<Option<Rectangle>, D::Error> {
    let needed = u64::from(preview.width) * u64::from(preview.height) * 3;
    let shown = match fit_preview(area, preview.width, preview.height) {
        Some(shown) if (preview.rgb.len() as u64) >= needed => shown,
        _ => {
            draw_no_preview(target, area)?;
            return Ok(None);
        }
    };
    let (sw, sh) = (shown.size.width as usize, shown.size.height as usize);
    let (pw, ph) = (preview.width as usize, preview.height as usize);
    let columns: Vec<usize> = (0..sw).map(|x| (x * pw / sw).min(pw - 1)).collect();
    let rgb = preview.rgb;
    let colors = (0..sh).flat_map(|y| {
        let row = (y * ph / sh).min(ph - 1) * pw;
        columns.iter().map(move |&col| {
            let i = (row + col) * 3;
            Rgb565::new(rgb[i] >> 3, rgb[i + 1] >> 2, rgb[i + 2] >> 3)
        })
    });
    target.fill_contiguous(&shown, colors)?;
    Ok(Some(shown))
}

/// Fills the preview `area` to show there is no camera picture.
pub fn draw_no_preview<D: DrawTarget<Color = Rgb565>>(target: &mut D, area: Rectangle) -> Result<(), D::Error> {
    target.fill_solid(&area, theme::NO_PREVIEW)?;
    let font = fonts::small_font();
    fonts::draw_text(
        target,
        &font,
        "no picture",
        area.center(),
        VerticalPosition::Center,
        HorizontalAlignment::Center,
        theme::DIM,
    )
}

/// Draws the guide box outline ([`GUIDE_STROKE`] pixels, inside `rect`) in [`theme::GUIDE`].
pub fn draw_guide_box<D: DrawTarget<Color = Rgb565>>(target: &mut D, rect: Rectangle) -> Result<(), D::Error> {
    let style = PrimitiveStyleBuilder::new()
        .stroke_color(theme::GUIDE)
        .stroke_width(GUIDE_STROKE)
        .stroke_alignment(StrokeAlignment::Inside)
        .build();
    rect.into_styled(style).draw(target)
}

/// Draws the hand's skeleton (MediaPipe's 21 bones) over the preview `shown` of a
/// `width x height` frame; `points` are frame pixels.
pub fn draw_landmarks<D: DrawTarget<Color = Rgb565>>(
    target: &mut D,
    points: &[shared::hands::Point; 21],
    width: u32,
    height: u32,
    shown: Rectangle,
) -> Result<(), D::Error> {
    let (sx, sy) = (shown.size.width as f32 / width.max(1) as f32, shown.size.height as f32 / height.max(1) as f32);
    let at = |p: &shared::hands::Point| {
        shown.top_left + Point::new((p.x * sx).round() as i32, (p.y * sy).round() as i32)
    };
    let style = PrimitiveStyle::with_stroke(theme::LANDMARKS, 1);
    for (a, b) in shared::hands::landmarks::CONNECTIONS {
        Line::new(at(&points[a]), at(&points[b])).into_styled(style).draw(target)?;
    }
    Ok(())
}

/// How many of `inner_width` pixels the bar fills for `confidence` (clamped to 0..1;
/// NaN counts as 0), rounded to the nearest pixel.
pub fn confidence_fill_width(inner_width: u32, confidence: f32) -> u32 {
    let c = if confidence.is_nan() { 0.0 } else { confidence.clamp(0.0, 1.0) };
    ((inner_width as f32 * c).round() as u32).min(inner_width)
}

/// Draws the confidence bar in `area`: a 1 px [`theme::BAR_OUTLINE`] outline, the
/// inside filled from the left in proportion to `confidence` with
/// [`theme::confidence_color`], the rest [`theme::BAR_EMPTY`]. Each pixel is drawn once.
pub fn draw_confidence_bar<D: DrawTarget<Color = Rgb565>>(
    target: &mut D,
    area: Rectangle,
    confidence: f32,
) -> Result<(), D::Error> {
    if area.size.width < 3 || area.size.height < 3 {
        return Ok(());
    }
    let outline = PrimitiveStyleBuilder::new()
        .stroke_color(theme::BAR_OUTLINE)
        .stroke_width(1)
        .stroke_alignment(StrokeAlignment::Inside)
        .build();
    area.into_styled(outline).draw(target)?;
    let inner = area.offset(-1);
    let filled = confidence_fill_width(inner.size.width, confidence);
    let fill = Rectangle::new(inner.top_left, Size::new(filled, inner.size.height));
    let rest = Rectangle::new(
        inner.top_left + Point::new(filled as i32, 0),
        Size::new(inner.size.width - filled, inner.size.height),
    );
    if filled > 0 {
        target.fill_solid(&fill, theme::confidence_color(confidence))?;
    }
    if rest.size.width > 0 {
        target.fill_solid(&rest, theme::BAR_EMPTY)?;
    }
    Ok(())
}

/// The fps readout's text: "12 fps", or "-- fps" while unknown.
pub fn fps_label(fps: f32) -> String {
    if fps.is_finite() && fps > 0.0 { format!("{fps:.0} fps") } else { "-- fps".to_string() }
}

/// Draws the fps readout right-aligned in `area`.
pub fn draw_fps<D: DrawTarget<Color = Rgb565>>(target: &mut D, area: Rectangle, fps: f32) -> Result<(), D::Error> {
    let font = fonts::small_font();
    let right = Point::new(area.top_left.x + area.size.width as i32 - 1, area.center().y);
    fonts::draw_text(
        &mut target.clipped(&area),
        &font,
        &fps_label(fps),
        right,
        VerticalPosition::Center,
        HorizontalAlignment::Right,
        theme::DIM,
    )
}

/// Draws the status line in `area`: `status` white on a red band (the largest bold font
/// it fits; cut at the right when even the smallest does not), or the dim
/// [`super::HINT`] when there is no status.
pub fn draw_status<D: DrawTarget<Color = Rgb565>>(
    target: &mut D,
    area: Rectangle,
    status: Option<&str>,
) -> Result<(), D::Error> {
    let mut clipped = target.clipped(&area);
    let inner = area.offset(-2);
    match status {
        Some(status) => {
            clipped.fill_solid(&area, theme::STATUS_BACKGROUND)?;
            let (font, position, align) = match fonts::bold_font_fitting(status, inner) {
                Some(font) => (font, area.center(), HorizontalAlignment::Center),
                None => (
                    fonts::bold_font(inner.size.height),
                    Point::new(inner.top_left.x, area.center().y),
                    HorizontalAlignment::Left,
                ),
            };
            fonts::draw_text(&mut clipped, &font, status, position, VerticalPosition::Center, align, theme::STATUS_TEXT)
        }
        None => {
            let font = fonts::bold_font_fitting(super::HINT, inner).unwrap_or_else(fonts::small_font);
            fonts::draw_text(
                &mut clipped,
                &font,
                super::HINT,
                area.center(),
                VerticalPosition::Center,
                HorizontalAlignment::Center,
                theme::DIM,
            )
        }
    }
}
