//! Where frames come from, behind one trait: a V4L2 camera ([`camera`]), a replay of
//! image files at a given fps ([`replay`]), and a fault-injecting wrapper for tests
//! ([`fault`]).

pub mod camera;
pub mod fault;
pub mod prefetch;
pub mod replay;

use std::time::Duration;

use shared::{Frame, PixelFormat, PreprocessError};

/// One captured frame, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedFrame {
    /// Pixel bytes, `stride` bytes a row.
    pub data: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bytes from one row to the next.
    pub stride: usize,
    /// RGB24 or YUYV.
    pub format: PixelFormat,
    /// Capture time since the source started (replays: frame index / fps).
    pub timestamp: Duration,
    /// Frame number from the source.
    pub sequence: u64,
    /// Where the frame came from (a file for replays, the device for cameras).
    pub origin: String,
    /// When the source had the frame (a camera: the buffer dequeued; a replay: the file
    /// about to be read), before decoding it: the kiosk's latency, frame to pixels, is
    /// timed from here, and the source's work on the frame is what follows.
    pub read_at: std::time::Instant,
}

impl CapturedFrame {
    /// A frame from a decoded picture.
    pub fn from_rgb(image: image::RgbImage, timestamp: Duration, sequence: u64, origin: String) -> Self {
        let (width, height) = image.dimensions();
        let read_at = std::time::Instant::now();
        Self { data: image.into_raw(), width, height, stride: width as usize * 3, format: PixelFormat::Rgb24, timestamp, sequence, origin, read_at }
    }

    /// A borrowed, checked view for preprocessing.
    pub fn frame(&self) -> Result<Frame<'_>, PreprocessError> {
        Frame::with_stride(&self.data, self.width, self.height, self.stride, self.format)
    }
}

/// Why a source gave no frame.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// No frame arrived in time; the source may still recover by itself.
    #[error("{origin}: no frame within {waited:?}")]
    Stalled { origin: String, waited: Duration },
    /// The device is gone (unplugged, driver error); call [`FrameSource::reopen`].
    #[error("{origin}: camera lost: {reason}")]
    Lost { origin: String, reason: String },
    /// One frame could not be decoded; the next may be fine.
    #[error("{origin}: bad frame: {reason}")]
    BadFrame { origin: String, reason: String },
    /// The source cannot be used at all (wrong path, unsupported format, empty folder).
    #[error("{origin}: {reason}")]
    Unusable { origin: String, reason: String },
    /// A replay reached its end.
    #[error("end of frames")]
    Finished,
}

/// A source of frames.
pub trait FrameSource {
    /// The next frame, waiting for it if needed.
    fn next_frame(&mut self) -> Result<CapturedFrame, SourceError>;
    /// Tries to open the source again after [`SourceError::Lost`].
    fn reopen(&mut self) -> Result<(), SourceError>;
    /// A short description for logs (device and negotiated format, or the folder).
    fn describe(&self) -> String;
}

impl<S: FrameSource + ?Sized> FrameSource for Box<S> {
    fn next_frame(&mut self) -> Result<CapturedFrame, SourceError> {
        (**self).next_frame()
    }
    fn reopen(&mut self) -> Result<(), SourceError> {
        (**self).reopen()
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}
