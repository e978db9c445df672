//! A V4L2 camera: MJPEG (decoded to RGB24) or YUYV (passed through), at a chosen
//! resolution and frame rate; the negotiated format is logged, because drivers round.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Deserialize;
use shared::PixelFormat;
use v4l::buffer::Type;
use v4l::io::mmap::Stream;
use v4l::io::traits::CaptureStream;
use v4l::video::Capture;
use v4l::{Device, FourCC};

use super::{CapturedFrame, FrameSource, SourceError};

/// Camera settings (`[camera]` in the kiosk config).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CameraConfig {
    /// V4L2 device node.
    pub device: PathBuf,
    /// Requested width.
    pub width: u32,
    /// Requested height.
    pub height: u32,
    /// Requested frames per second.
    pub fps: u32,
    /// Pixel format to ask for: `MJPG` or `YUYV`.
    pub fourcc: String,
    /// A frame slower than this counts as a stall (ms).
    pub timeout_ms: u64,
}

impl Default for CameraConfig {
    fn default() -> Self {
        Self { device: "/dev/video0".into(), width: 640, height: 480, fps: 30, fourcc: "MJPG".into(), timeout_ms: 2000 }
    }
}

/// An open V4L2 capture stream.
pub struct Camera {
    cfg: CameraConfig,
    // The stream borrows nothing from the device but must be dropped before it.
    stream: Option<Stream<'static>>,
    device: Option<Device>,
    format: Option<v4l::Format>,
    started: Instant,
}

impl std::fmt::Debug for Camera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Camera").field("cfg", &self.cfg).field("format", &self.format.as_ref().map(|f| f.to_string())).finish()
    }
}

impl Camera {
    /// A camera that is not open yet: the first frame reports it lost, so the kiosk
    /// shows a message and retries until it appears.
    pub fn closed(cfg: CameraConfig) -> Self {
        Self { cfg, stream: None, device: None, format: None, started: Instant::now() }
    }

    /// Opens the camera and starts streaming.
    pub fn open(cfg: CameraConfig) -> Result<Self, SourceError> {
        let mut cam = Self::closed(cfg);
        cam.start()?;
        Ok(cam)
    }

    fn origin(&self) -> String {
        self.cfg.device.display().to_string()
    }

    fn start(&mut self) -> Result<(), SourceError> {
        self.stream = None;
        self.device = None;
        let origin = self.origin();
        let fourcc_bytes: [u8; 4] = self.cfg.fourcc.as_bytes().try_into().map_err(|_| SourceError::Unusable {
            origin: origin.clone(),
            reason: format!("fourcc '{}' is not four characters (use MJPG or YUYV)", self.cfg.fourcc),
        })?;
        let lost = |what: &str, e: std::io::Error| SourceError::Lost { origin: origin.clone(), reason: format!("{what}: {e}") };
        let dev = Device::with_path(&self.cfg.device).map_err(|e| lost("cannot open", e))?;
        let mut fmt = dev.format().map_err(|e| lost("cannot read the format", e))?;
        fmt.width = self.cfg.width;
        fmt.height = self.cfg.height;
        fmt.fourcc = FourCC::new(&fourcc_bytes);
        let fmt = dev.set_format(&fmt).map_err(|e| lost("cannot set the format", e))?;
        let fourcc = fmt.fourcc.repr;
        if &fourcc != b"MJPG" && &fourcc != b"YUYV" {
            return Err(SourceError::Unusable {
                origin,
                reason: format!("the driver offers {} instead of MJPG or YUYV", fmt.fourcc),
            });
        }
        let params = dev
            .set_params(&v4l::video::capture::Parameters::with_fps(self.cfg.fps))
            .map_err(|e| lost("cannot set the frame rate", e))?;
        tracing::info!(device = %origin, format = %fmt.fourcc, width = fmt.width, height = fmt.height,
            interval = %params.interval, "camera format negotiated");
        let mut stream = Stream::with_buffers(&dev, Type::VideoCapture, 4).map_err(|e| lost("cannot map buffers", e))?;
        stream.set_timeout(Duration::from_millis(self.cfg.timeout_ms));
        self.stream = Some(stream);
        self.device = Some(dev);
        self.format = Some(fmt);
        Ok(())
    }
}

impl FrameSource for Camera {
    fn next_frame(&mut self) -> Result<CapturedFrame, SourceError> {
        let origin = self.origin();
        let (Some(stream), Some(fmt)) = (self.stream.as_mut(), self.format.as_ref()) else {
            return Err(SourceError::Lost { origin, reason: "not open".into() });
        };
        let (buf, meta) = match stream.next() {
            Ok(x) => x,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                return Err(SourceError::Stalled { origin, waited: Duration::from_millis(self.cfg.timeout_ms) });
            }
            Err(e) => {
                self.stream = None;
                return Err(SourceError::Lost { origin, reason: e.to_string() });
            }
        };
        let used = (meta.bytesused as usize).min(buf.len());
        let timestamp = self.started.elapsed();
        let read_at = Instant::now();
        let (width, height) = (fmt.width, fmt.height);
        if &fmt.fourcc.repr == b"MJPG" {
            let image = shared::image_io::decode_bytes(&buf[..used], &self.cfg.device)
                .map_err(|e| SourceError::BadFrame { origin: origin.clone(), reason: e.to_string() })?
                .into_rgb8();
            return Ok(CapturedFrame { read_at, ..CapturedFrame::from_rgb(image, timestamp, meta.sequence as u64, origin) });
        }
        let stride = (fmt.stride as usize).max(width as usize * 2);
        if used < stride * height as usize {
            return Err(SourceError::BadFrame { origin, reason: format!("short YUYV frame: {used} bytes") });
        }
        Ok(CapturedFrame {
            data: buf[..stride * height as usize].to_vec(),
            width,
            height,
            stride,
            format: PixelFormat::Yuyv,
            timestamp,
            sequence: meta.sequence as u64,
            origin,
            read_at,
        })
    }

    fn reopen(&mut self) -> Result<(), SourceError> {
        self.start()
    }

    fn describe(&self) -> String {
        match &self.format {
            Some(f) => format!("camera {} {} {}x{}", self.origin(), f.fourcc, f.width, f.height),
            None => format!("camera {} (closed)", self.origin()),
        }
    }
}
