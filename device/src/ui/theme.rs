//! Colours of the screen. Pure colours where a test pattern names them
//! (`MockDisplay` patterns know K, R, G, B, Y, M, C, W).

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;

/// Behind everything.
pub const BACKGROUND: Rgb565 = Rgb565::BLACK;
/// The letter and the spelled text.
pub const FOREGROUND: Rgb565 = Rgb565::WHITE;
/// The guide box over the preview.
pub const GUIDE: Rgb565 = Rgb565::YELLOW;
/// The hand's skeleton over the preview.
pub const LANDMARKS: Rgb565 = Rgb565::CYAN;
/// The letter asked for while a signer teaches the kiosk their hand, drawn large in
/// place of the reading, so that the two are never mistaken for each other.
pub const PROMPT: Rgb565 = Rgb565::MAGENTA;
/// The confidence bar's outline.
pub const BAR_OUTLINE: Rgb565 = Rgb565::WHITE;
/// The confidence bar's unfilled part.
pub const BAR_EMPTY: Rgb565 = Rgb565::BLACK;
/// Fill below [`MID_CONFIDENCE`].
pub const BAR_LOW: Rgb565 = Rgb565::RED;
/// Fill from [`MID_CONFIDENCE`] to [`HIGH_CONFIDENCE`].
pub const BAR_MID: Rgb565 = Rgb565::YELLOW;
/// Fill from [`HIGH_CONFIDENCE`] up.
pub const BAR_HIGH: Rgb565 = Rgb565::GREEN;
/// Confidence from which the bar turns from red to yellow.
pub const MID_CONFIDENCE: f32 = 0.5;
/// Confidence from which the bar turns green.
pub const HIGH_CONFIDENCE: f32 = 0.8;
/// The status band's background.
pub const STATUS_BACKGROUND: Rgb565 = Rgb565::RED;
/// The status band's text.
pub const STATUS_TEXT: Rgb565 = Rgb565::WHITE;
/// The hint and the fps readout.
pub const DIM: Rgb565 = Rgb565::new(18, 36, 18);
/// The preview area while there is no camera picture.
pub const NO_PREVIEW: Rgb565 = Rgb565::new(4, 8, 4);

/// The bar's fill colour for `confidence`.
pub fn confidence_color(confidence: f32) -> Rgb565 {
    if confidence >= HIGH_CONFIDENCE {
        BAR_HIGH
    } else if confidence >= MID_CONFIDENCE {
        BAR_MID
    } else {
        BAR_LOW
    }
}
