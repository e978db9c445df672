//! Image preprocessing: from a decoded image or a raw camera buffer to the model's f32
//! input tensor, exactly as the model card's [`PreprocessSpec`] says.
//!
//! The path is the same for every source: take the region of interest (the whole
//! picture, or the hand region), crop it to the target aspect where the resize mode asks
//! for it, resize it with `fast_image_resize` (default filter: bilinear convolution,
//! antialiased when shrinking, as PIL does), convert the colour, then normalize each
//! channel through a 256-entry lookup table `(v * scale - mean[c]) / std[c]`. Every step
//! is integer arithmetic or one f32 expression per value, so the output is deterministic
//! and the same on x86_64 and aarch64.

mod frame;
mod pipeline;
mod spec;

pub use frame::{Frame, PixelFormat, Roi};
pub use pipeline::Preprocessor;
pub use spec::{ColorMode, Layout, PreprocessSpec, ResizeFilter, ResizeMode};

/// What went wrong while preparing a model input.
#[derive(Debug, thiserror::Error)]
pub enum PreprocessError {
    /// The spec itself is unusable (zero size, wrong number of means, zero std, ...).
    #[error("invalid preprocessing spec: {0}")]
    InvalidSpec(String),
    /// The source picture has no pixels.
    #[error("empty image: {width}x{height}")]
    EmptyImage { width: u32, height: u32 },
    /// A raw buffer is shorter than its declared geometry needs.
    #[error("{format:?} buffer of {got} bytes is too small for {width}x{height} with stride {stride} (needs {need})")]
    BufferTooSmall {
        format: PixelFormat,
        width: u32,
        height: u32,
        stride: usize,
        need: usize,
        got: usize,
    },
    /// A raw buffer's geometry is impossible (stride shorter than a row, odd YUYV width).
    #[error("invalid {format:?} frame geometry: {reason}")]
    BadGeometry { format: PixelFormat, reason: String },
    /// The region of interest is empty or not inside the picture.
    #[error("region {roi:?} is not inside the {width}x{height} picture")]
    RoiOutside { roi: Roi, width: u32, height: u32 },
    /// The output slice does not have the spec's tensor length.
    #[error("output buffer holds {got} values, the spec needs {expected}")]
    OutputLen { expected: usize, got: usize },
    /// The resize library refused the operation.
    #[error("resize failed: {0}")]
    Resize(String),
}
