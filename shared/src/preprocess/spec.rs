//! The preprocessing spec: what a model expects as input, stored in its model card.

use serde::{Deserialize, Serialize};

use super::PreprocessError;

/// ImageNet channel means (RGB), for inputs scaled to 0..1.
pub const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
/// ImageNet channel standard deviations (RGB), for inputs scaled to 0..1.
pub const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];

/// Largest accepted input side, a guard against absurd specs.
pub const MAX_SIDE: u32 = 4096;

/// Colour of the model input.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ColorMode {
    /// Three channels, R, G, B.
    Rgb,
    /// One channel: luma `(77 R + 150 G + 29 B + 128) >> 8` (BT.601 weights in 8-bit
    /// fixed point; they sum to 256 so a gray pixel keeps its value).
    Gray,
}

/// How the picture is fitted to the input size.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum ResizeMode {
    /// Scale each axis independently to the input size (aspect ratio not kept).
    Stretch,
    /// Crop the largest centred region of the input's aspect ratio, then scale.
    CenterCrop,
    /// Scale to fit inside the input keeping the aspect ratio, centre it, and fill the
    /// borders with `fill` (RGB; its luma for gray inputs).
    Letterbox {
        /// Border colour, RGB.
        fill: [u8; 3],
    },
}

/// The resampling filter (all from `fast_image_resize`; convolution filters widen
/// their support when shrinking, so downscaling is antialiased as in PIL).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ResizeFilter {
    /// Nearest neighbour.
    Nearest,
    /// Bilinear (triangle) convolution. The default.
    #[default]
    Bilinear,
    /// Catmull-Rom cubic convolution.
    CatmullRom,
    /// Lanczos with a = 3.
    Lanczos3,
}

/// Memory layout of the input tensor (batch of one).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// `[1, C, H, W]`, as PyTorch models take.
    #[default]
    Nchw,
    /// `[1, H, W, C]`, as the MediaPipe models take.
    Nhwc,
}

/// Everything needed to turn a picture into the model's input tensor.
///
/// Each value `v` (0..=255) of channel `c` becomes `(v * scale - mean[c]) / std[c]`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PreprocessSpec {
    /// Input width in pixels.
    pub width: u32,
    /// Input height in pixels.
    pub height: u32,
    /// Input colour.
    pub color: ColorMode,
    /// How the picture is fitted to `width` x `height`.
    pub resize: ResizeMode,
    /// The resampling filter.
    #[serde(default)]
    pub filter: ResizeFilter,
    /// Factor applied to the 0..=255 byte values before normalization (e.g. 1/255).
    pub scale: f32,
    /// Per-channel mean subtracted after scaling (one per channel).
    pub mean: Vec<f32>,
    /// Per-channel standard deviation divided by (one per channel).
    pub std: Vec<f32>,
    /// Tensor layout.
    #[serde(default)]
    pub layout: Layout,
}

impl PreprocessSpec {
    /// RGB, stretched, bilinear, scaled to 0..1 and normalized with the ImageNet mean and
    /// std, NCHW: the recipe of the seed models.
    pub fn imagenet(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            color: ColorMode::Rgb,
            resize: ResizeMode::Stretch,
            filter: ResizeFilter::Bilinear,
            scale: 1.0 / 255.0,
            mean: IMAGENET_MEAN.to_vec(),
            std: IMAGENET_STD.to_vec(),
            layout: Layout::Nchw,
        }
    }

    /// Values scaled to 0..1 with no further normalization, stretched, bilinear, NCHW.
    pub fn unit(width: u32, height: u32, color: ColorMode) -> Self {
        let n = color.channels();
        Self {
            width,
            height,
            color,
            resize: ResizeMode::Stretch,
            filter: ResizeFilter::Bilinear,
            scale: 1.0 / 255.0,
            mean: vec![0.0; n],
            std: vec![1.0; n],
            layout: Layout::Nchw,
        }
    }

    /// Number of input channels (3 for RGB, 1 for gray).
    pub fn channels(&self) -> usize {
        self.color.channels()
    }

    /// Input tensor shape, batch of one, in the spec's layout.
    pub fn input_shape(&self) -> [usize; 4] {
        let (c, h, w) = (self.channels(), self.height as usize, self.width as usize);
        match self.layout {
            Layout::Nchw => [1, c, h, w],
            Layout::Nhwc => [1, h, w, c],
        }
    }

    /// Number of f32 values in one input tensor.
    pub fn tensor_len(&self) -> usize {
        self.channels() * self.width as usize * self.height as usize
    }

    /// Checks that the spec can be applied: sizes within 1..=[`MAX_SIDE`], one finite
    /// mean and one finite non-zero std per channel, a finite positive scale.
    pub fn validate(&self) -> Result<(), PreprocessError> {
        let bad = |m: String| Err(PreprocessError::InvalidSpec(m));
        if self.width == 0 || self.height == 0 || self.width > MAX_SIDE || self.height > MAX_SIDE {
            return bad(format!(
                "input size {}x{} is outside 1..={MAX_SIDE}",
                self.width, self.height
            ));
        }
        let n = self.channels();
        if self.mean.len() != n || self.std.len() != n {
            return bad(format!(
                "{:?} input has {n} channel(s) but {} mean(s) and {} std(s)",
                self.color,
                self.mean.len(),
                self.std.len()
            ));
        }
        if let Some(m) = self.mean.iter().find(|m| !m.is_finite()) {
            return bad(format!("mean {m} is not finite"));
        }
        if let Some(s) = self.std.iter().find(|s| !s.is_finite() || **s == 0.0) {
            return bad(format!("std {s} must be finite and non-zero"));
        }
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return bad(format!("scale {} must be finite and positive", self.scale));
        }
        Ok(())
    }

    /// The 256-entry table `(v * scale - mean[c]) / std[c]` of channel `c`.
    pub(crate) fn lut(&self, c: usize) -> [f32; 256] {
        let mut t = [0f32; 256];
        for (v, out) in t.iter_mut().enumerate() {
            *out = (v as f32 * self.scale - self.mean[c]) / self.std[c];
        }
        t
    }
}

impl ColorMode {
    /// Number of channels of this colour mode.
    pub fn channels(self) -> usize {
        match self {
            ColorMode::Rgb => 3,
            ColorMode::Gray => 1,
        }
    }
}

/// BT.601 luma in 8-bit fixed point; weights sum to 256, so `luma(v, v, v) == v`.
#[inline]
pub(crate) fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((77 * r as u32 + 150 * g as u32 + 29 * b as u32 + 128) >> 8) as u8
}
