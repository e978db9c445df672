//! A panel that writes screens as PNG files: `frame_00001.png`, `frame_00002.png`, ...
//! in a folder (demos, tests, docs). Each file is written atomically.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{FrameBuffer, Panel};

/// Encodes `frame` as an RGB PNG.
pub fn encode_png(frame: &FrameBuffer) -> Result<Vec<u8>> {
    let image = image::RgbImage::from_raw(frame.width(), frame.height(), frame.to_rgb888())
        .context("frame buffer size does not match its pixels")?;
    let mut bytes = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .context("encoding the screen as PNG")?;
    Ok(bytes)
}

/// Writes `frame` as a PNG file at `path` (atomically: a reader never sees half a file).
pub fn save_png(frame: &FrameBuffer, path: &Path) -> Result<()> {
    let bytes = encode_png(frame).with_context(|| format!("writing {}", path.display()))?;
    shared::atomic::write(path, &bytes).with_context(|| format!("writing screen PNG {}", path.display()))
}

/// Writes every pushed screen as the next numbered PNG in a folder.
#[derive(Debug)]
pub struct PngPanel {
    dir: PathBuf,
    size: (u32, u32),
    written: u64,
}

impl PngPanel {
    /// A `width` x `height` panel writing into `dir` (created if missing).
    pub fn new(dir: impl Into<PathBuf>, width: u32, height: u32) -> Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).with_context(|| format!("creating screen folder {}", dir.display()))?;
        Ok(Self { dir, size: (width, height), written: 0 })
    }

    /// The folder the PNGs go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How many screens were written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The path of the `n`-th screen (1-based): `DIR/frame_0000n.png`.
    pub fn frame_path(&self, n: u64) -> PathBuf {
        self.dir.join(format!("frame_{n:05}.png"))
    }
}

impl Panel for PngPanel {
    fn push(&mut self, frame: &FrameBuffer) -> Result<()> {
        let path = self.frame_path(self.written + 1);
        if (frame.width(), frame.height()) != self.size {
            anyhow::bail!(
                "screen {}x{} does not fit the {}x{} PNG panel (not writing {})",
                frame.width(),
                frame.height(),
                self.size.0,
                self.size.1,
                path.display()
            );
        }
        save_png(frame, &path)?;
        self.written += 1;
        Ok(())
    }

    fn size(&self) -> (u32, u32) {
        self.size
    }
}
