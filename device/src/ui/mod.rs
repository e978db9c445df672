//! The kiosk's screen, drawn with `embedded-graphics` on any `DrawTarget<Color = Rgb565>`.
//!
//! [`draw`] lays the screen out for the target's size ([`Layout::for_size`]): the camera
//! preview with the guide box, the current letter large with its confidence bar, the
//! spelled text (its end always visible), the loop's fps and a status line.
//!
//! - [`layout`]: where each part goes for a screen size;
//! - [`theme`]: colours and font choices;
//! - [`widgets`]: preview, guide box, hand landmarks, confidence bar, fps, status band;
//! - [`letter`]: the large current letter (Latin, Arabic, or a word like "SPACE");
//! - [`text`]: the spelled text, wrapped and scrolled;
//! - [`scaled`]: a `DrawTarget` adapter that blows pixels up (small Arabic glyphs).

mod fonts;
pub mod layout;
pub mod letter;
pub mod scaled;
pub mod text;
pub mod theme;
pub mod widgets;

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;

pub use layout::Layout;

/// A camera picture to show as the preview: packed RGB24.
#[derive(Clone, Copy, Debug)]
pub struct Preview<'a> {
    /// Packed RGB24 pixels, `width * height * 3` bytes.
    pub rgb: &'a [u8],
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Everything the screen shows for one frame.
#[derive(Clone, Copy, Debug, Default)]
pub struct View<'a> {
    /// The camera picture (None: no camera picture, e.g. the camera is lost).
    pub preview: Option<Preview<'a>>,
    /// The guide box in preview (camera frame) coordinates.
    pub guide: Option<shared::Roi>,
    /// The hand's 21 landmarks in preview (camera frame) pixels, drawn as a skeleton.
    pub landmarks: Option<&'a [shared::hands::Point; 21]>,
    /// The letter the decoder currently sees (display text: "A", "space", an Arabic letter).
    pub letter: Option<&'a str>,
    /// The letter's Latin name (e.g. "ba" for "ب"), shown when no font has its glyph.
    pub letter_name: Option<&'a str>,
    /// Its confidence, 0..1.
    pub confidence: f32,
    /// The spelled text so far.
    pub text: &'a str,
    /// Frames per second of the whole loop.
    pub fps: f32,
    /// A status line (e.g. "camera lost, retrying"), shown instead of the hint.
    pub status: Option<&'a str>,
    /// While the signer teaches the kiosk their hand: the letter asked for, drawn large
    /// in [`theme::PROMPT`] in place of the reading (the bar still shows the reading's
    /// confidence, how steadily the hand is held).
    pub asked: Option<&'a str>,
}

/// The hint shown in the status line while there is no status.
pub const HINT: &str = "Sign inside the box";

/// Draws `view` over the whole of `target`, laid out for its size.
pub fn draw<D: DrawTarget<Color = Rgb565>>(target: &mut D, view: &View<'_>) -> Result<(), D::Error> {
    let layout = Layout::for_size(target.bounding_box().size.width, target.bounding_box().size.height);
    draw_with_layout(target, view, &layout)
}

/// Draws `view` with an explicit `layout` (normally [`Layout::for_size`] of the target).
pub fn draw_with_layout<D: DrawTarget<Color = Rgb565>>(
    target: &mut D,
    view: &View<'_>,
    layout: &Layout,
) -> Result<(), D::Error> {
    target.clear(theme::BACKGROUND)?;
    match view.preview {
        Some(preview) => {
            let shown = widgets::draw_preview(target, layout.preview, &preview)?;
            if let (Some(shown), Some(guide)) = (shown, view.guide) {
                let mapped = layout::map_roi(guide, preview.width, preview.height, shown);
                widgets::draw_guide_box(&mut target.clipped(&shown), mapped)?;
            }
            if let (Some(shown), Some(points)) = (shown, view.landmarks) {
                widgets::draw_landmarks(&mut target.clipped(&shown), points, preview.width, preview.height, shown)?;
            }
        }
        None => widgets::draw_no_preview(target, layout.preview)?,
    }
    match view.asked {
        Some(asked) => letter::draw_letter_in(target, layout.letter, Some(asked), None, theme::PROMPT)?,
        None => letter::draw_letter(target, layout.letter, view.letter, view.letter_name)?,
    }
    let confidence = if view.letter.is_some() { view.confidence } else { 0.0 };
    widgets::draw_confidence_bar(target, layout.confidence, confidence)?;
    widgets::draw_fps(target, layout.fps, view.fps)?;
    text::draw_text(target, layout, view.text)?;
    widgets::draw_status(target, layout.status, view.status)
}
