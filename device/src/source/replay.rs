//! Replays image files (or folders of them, in name order) as camera frames at a given
//! frame rate. Timestamps are `index / fps`, so replays are deterministic; `paced`
//! also sleeps to the frame rate, as a live demo should.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{CapturedFrame, FrameSource, SourceError};

/// Image extensions a replay picks up from folders.
const IMAGE_EXTENSIONS: [&str; 5] = ["jpg", "jpeg", "png", "bmp", "ppm"];

/// A replay of image files.
#[derive(Debug, Clone)]
pub struct Replay {
    files: Vec<PathBuf>,
    next: usize,
    fps: f64,
    paced: bool,
    looped: bool,
    started: Option<Instant>,
    rounds: u64,
}

impl Replay {
    /// A replay of `files` in the given order at `fps` frames a second.
    pub fn new(files: Vec<PathBuf>, fps: f64) -> Result<Self, SourceError> {
        if files.is_empty() {
            return Err(SourceError::Unusable { origin: "replay".into(), reason: "no image files to replay".into() });
        }
        if !(fps.is_finite() && fps > 0.0) {
            return Err(SourceError::Unusable { origin: "replay".into(), reason: format!("fps {fps} is not positive") });
        }
        Ok(Self { files, next: 0, fps, paced: false, looped: false, started: None, rounds: 0 })
    }

    /// A replay of the images under `paths` (files, or folders searched recursively in
    /// name order).
    pub fn from_paths(paths: &[PathBuf], fps: f64) -> Result<Self, SourceError> {
        let mut files = Vec::new();
        for p in paths {
            collect_images(p, &mut files)?;
        }
        Self::new(files, fps)
    }

    /// Sleep so that frames come at the frame rate (live demos).
    pub fn paced(mut self, paced: bool) -> Self {
        self.paced = paced;
        self
    }

    /// Start again at the first file after the last (benchmarks).
    pub fn looped(mut self, looped: bool) -> Self {
        self.looped = looped;
        self
    }

    /// The files in replay order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }
}

/// Adds the image files under `path` (a file or a folder, recursively, sorted).
pub fn collect_images(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), SourceError> {
    let unusable = |reason: String| SourceError::Unusable { origin: path.display().to_string(), reason };
    let meta = std::fs::metadata(path).map_err(|e| unusable(format!("cannot read: {e}")))?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| unusable(format!("cannot list: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            collect_images(&e, out)?;
        } else if e
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| IMAGE_EXTENSIONS.contains(&x.to_ascii_lowercase().as_str()))
        {
            out.push(e);
        }
    }
    Ok(())
}

impl FrameSource for Replay {
    fn next_frame(&mut self) -> Result<CapturedFrame, SourceError> {
        if self.next == self.files.len() {
            if !self.looped {
                return Err(SourceError::Finished);
            }
            self.next = 0;
            self.rounds += 1;
        }
        let index = self.rounds * self.files.len() as u64 + self.next as u64;
        let path = self.files[self.next].clone();
        self.next += 1;
        let timestamp = Duration::from_secs_f64(index as f64 / self.fps);
        if self.paced {
            let start = *self.started.get_or_insert_with(Instant::now);
            if let Some(wait) = timestamp.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        let origin = path.display().to_string();
        // A camera has the frame now: reading and decoding it is the source's work.
        let read_at = Instant::now();
        let image = shared::image_io::decode_file(&path)
            .map_err(|e| SourceError::BadFrame { origin: origin.clone(), reason: e.to_string() })?
            .into_rgb8();
        Ok(CapturedFrame { read_at, ..CapturedFrame::from_rgb(image, timestamp, index, origin) })
    }

    fn reopen(&mut self) -> Result<(), SourceError> {
        Ok(())
    }

    fn describe(&self) -> String {
        format!("replay of {} images at {} fps", self.files.len(), self.fps)
    }
}
