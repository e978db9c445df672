//! Hand landmarks with MediaPipe's palm detector and hand-landmark model, run in tract
//! (feature `tract`): the hand-region stage the kiosk and host-train share.
//!
//! The path of a frame (seed 002 §4.5.2, MediaPipe Hands):
//! - [`palm`]: the frame letterboxed to 192x192 -> 2016 anchor boxes with 7 palm
//!   keypoints -> weighted non-max suppression -> palms in frame pixels;
//! - [`rect`]: a palm (or the previous frame's landmarks) -> the rotated square crop the
//!   landmark model expects, hand pointing up;
//! - [`landmarks`]: that crop at 224x224 -> 21 points, presence and handedness, mapped
//!   back to frame pixels;
//! - [`crate::features`]: the 21 points as position-, size- and handedness-free numbers, the
//!   input of landmark classifiers;
//! - [`mask`]: the 21 points drawn as a skeleton on black (seed 002 §4.5.3), the input of
//!   landmark-mask classifiers.
//!
//! The models are `palm_detection_lite.onnx` and `hand_landmark_lite.onnx` from
//! `../shared/models/mediapipe/` (Apache-2.0), NHWC float inputs in 0..1.

pub mod anchors;
pub mod landmarks;
pub mod mask;
pub mod palm;
mod pipelined;
pub mod rect;
mod tracker;

use std::path::{Path, PathBuf};

pub use landmarks::{HandLandmarker, Landmarks};
pub use palm::{Palm, PalmDetector};
pub use pipelined::PipelinedTracker;
pub use rect::RotatedRect;
pub use tracker::{Hand, HandTimings, HandTracker, TrackerConfig, SAME_HAND, SETTLE};

/// Why a hand model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum HandsError {
    /// tract refused the file or failed to run it.
    #[error("{path}: tract cannot {stage}: {source:#}")]
    Tract { path: PathBuf, stage: &'static str, source: anyhow::Error },
    /// The model's outputs are not the ones MediaPipe's model has.
    #[error("{path}: {problem}")]
    Outputs { path: PathBuf, problem: String },
}

/// File name of the palm detector in the MediaPipe models folder.
pub const PALM_MODEL: &str = "palm_detection_lite.onnx";
/// File name of the hand-landmark model in the MediaPipe models folder.
pub const LANDMARK_MODEL: &str = "hand_landmark_lite.onnx";

pub use crate::features::Point;

/// An axis-aligned box in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BoxPx {
    /// Left edge.
    pub x0: f32,
    /// Top edge.
    pub y0: f32,
    /// Right edge.
    pub x1: f32,
    /// Bottom edge.
    pub y1: f32,
}

impl BoxPx {
    /// Width.
    pub fn width(&self) -> f32 {
        self.x1 - self.x0
    }
    /// Height.
    pub fn height(&self) -> f32 {
        self.y1 - self.y0
    }
    /// Intersection over union with `other`.
    pub fn iou(&self, other: &BoxPx) -> f32 {
        let w = (self.x1.min(other.x1) - self.x0.max(other.x0)).max(0.0);
        let h = (self.y1.min(other.y1) - self.y0.max(other.y0)).max(0.0);
        let inter = w * h;
        let union = self.width() * self.height() + other.width() * other.height() - inter;
        if union > 0.0 { inter / union } else { 0.0 }
    }
    /// The box around `points`.
    pub fn around(points: &[Point]) -> BoxPx {
        let mut b = BoxPx { x0: f32::MAX, y0: f32::MAX, x1: f32::MIN, y1: f32::MIN };
        for p in points {
            b.x0 = b.x0.min(p.x);
            b.y0 = b.y0.min(p.y);
            b.x1 = b.x1.max(p.x);
            b.y1 = b.y1.max(p.y);
        }
        b
    }
}

/// Loads an ONNX file into an optimized tract plan with its input fixed to `shape`.
pub(crate) fn load_plan(path: &Path, shape: &[usize], form: crate::tract_model::PlanForm) -> Result<std::sync::Arc<tract_onnx::prelude::TypedRunnableModel>, HandsError> {
    use tract_onnx::prelude::*;
    let err = |stage: &'static str| move |source: anyhow::Error| HandsError::Tract { path: path.to_path_buf(), stage, source };
    tract_onnx::onnx()
        .model_for_path(path)
        .map_err(err("read the model"))?
        .with_input_fact(0, f32::fact(shape).into())
        .map_err(err("fix the input shape"))?
        .into_typed()
        .and_then(|m| crate::tract_model::decluttered(m, form))
        .map_err(err("type the graph"))
        .and_then(|m| crate::tract_model::runnable(m, form).map_err(err("optimize the graph")))
}

/// `v.floor()` as an integer, without the library call `f32::floor` is on x86-64's
/// baseline (no SSE4.1): a cast truncates toward zero, one less below zero.
#[inline(always)]
fn floor(v: f32) -> i64 {
    let t = v as i64;
    if (t as f32) > v { t - 1 } else { t }
}

/// Bilinear sample of an RGB image at `(x, y)` (pixel centres at +0.5), in 0..1; black
/// outside the image.
pub(crate) fn sample_rgb(img: &image::RgbImage, x: f32, y: f32) -> [f32; 3] {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let (fx, fy) = (x - 0.5, y - 0.5);
    let (x0, y0) = (floor(fx), floor(fy));
    let (ax, ay) = (fx - x0 as f32, fy - y0 as f32);
    let mut out = [0f32; 3];
    for (dx, dy, wgt) in [(0, 0, (1.0 - ax) * (1.0 - ay)), (1, 0, ax * (1.0 - ay)), (0, 1, (1.0 - ax) * ay), (1, 1, ax * ay)] {
        let (px, py) = (x0 + dx, y0 + dy);
        if wgt == 0.0 || px < 0 || py < 0 || px >= w || py >= h {
            continue;
        }
        let p = img.get_pixel(px as u32, py as u32).0;
        for c in 0..3 {
            out[c] += wgt * p[c] as f32;
        }
    }
    out.map(|v| v / 255.0)
}

/// Points [`sample_row`] takes in one pass (a crop's row: 224 for the landmark model).
const ROW: usize = 256;

/// [`sample_rgb`] at each point `(xs[i], ys[i])` into `out[3 * i..]`, with the same
/// values. [`ROW`] points at a time, each in two passes so that the first vectorises:
/// the four taps' weights and where they start, for every point; then the reads,
/// straight from the buffer where all four pixels are inside the image (a tap of weight
/// 0 adds +0.0 there, which changes nothing), by [`sample_rgb`] where not.
pub(crate) fn sample_row(img: &image::RgbImage, xs: &[f32], ys: &[f32], out: &mut [f32]) {
    for ((xs, ys), out) in xs.chunks(ROW).zip(ys.chunks(ROW)).zip(out.chunks_mut(3 * ROW)) {
        sample_points(img, xs, ys, out);
    }
}

/// [`sample_row`] for at most [`ROW`] points.
fn sample_points(img: &image::RgbImage, xs: &[f32], ys: &[f32], out: &mut [f32]) {
    let n = xs.len().min(ys.len()).min(ROW);
    let (w, h) = (img.width() as i64, img.height() as i64);
    let (raw, row) = (img.as_raw(), img.width() as usize * 3);
    let (mut at, mut weights) = ([usize::MAX; ROW], [[0f32; 4]; ROW]);
    for i in 0..n {
        let (fx, fy) = (xs[i] - 0.5, ys[i] - 0.5);
        let (x0, y0) = (floor(fx), floor(fy));
        let (ax, ay) = (fx - x0 as f32, fy - y0 as f32);
        weights[i] = [(1.0 - ax) * (1.0 - ay), ax * (1.0 - ay), (1.0 - ax) * ay, ax * ay];
        let inside = x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h;
        at[i] = if inside { y0 as usize * row + x0 as usize * 3 } else { usize::MAX };
    }
    for i in 0..n {
        let o: &mut [f32; 3] = (&mut out[3 * i..3 * i + 3]).try_into().expect("three values a point");
        if at[i] == usize::MAX {
            *o = sample_rgb(img, xs[i], ys[i]);
            continue;
        }
        let (top, bottom): (&[u8; 6], &[u8; 6]) =
            (raw[at[i]..at[i] + 6].try_into().expect("two pixels"), raw[at[i] + row..at[i] + row + 6].try_into().expect("two pixels"));
        let [w00, w10, w01, w11] = weights[i];
        for c in 0..3 {
            let mut v = 0f32;
            v += w00 * top[c] as f32;
            v += w10 * top[3 + c] as f32;
            v += w01 * bottom[c] as f32;
            v += w11 * bottom[3 + c] as f32;
            o[c] = v / 255.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_of_samples_has_exactly_the_values_of_one_sample_at_a_time() {
        let img = image::RgbImage::from_fn(23, 17, |x, y| image::Rgb([(x * 11 + y * 7) as u8, (x * y) as u8, (255 - x * 3) as u8]));
        // Inside, on the last pixel's edge, on whole and half pixels, outside on every side;
        // more points than one pass takes.
        let points: Vec<(f32, f32)> = (0..600).map(|i| ((i as f32 * 0.137) % 27.0 - 2.0, (i * 7 % 23) as f32 * 0.91 - 1.5)).collect();
        let (xs, ys): (Vec<f32>, Vec<f32>) = points.iter().copied().unzip();
        let mut got = vec![f32::NAN; 3 * points.len()];
        sample_row(&img, &xs, &ys, &mut got);
        for (i, &(x, y)) in points.iter().enumerate() {
            let want = sample_rgb(&img, x, y);
            assert_eq!(got[3 * i..3 * i + 3].iter().map(|v| v.to_bits()).collect::<Vec<_>>(), want.map(f32::to_bits), "at ({x}, {y})");
        }
        assert!(points.iter().any(|&(x, y)| x > 1.0 && x < 22.0 && y > 1.0 && y < 16.0), "some points are inside");
        assert!(points[ROW..].iter().any(|&(x, y)| x > 1.0 && x < 22.0 && y > 1.0 && y < 16.0), "and some after the first pass");
        assert!(points.iter().any(|&(x, _)| x < 0.0 || x > 23.0), "some points are outside");
    }
}
