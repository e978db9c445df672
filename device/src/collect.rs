//! Collection mode: the kiosk prompts one letter at a time, records the signer's hand
//! region (and its landmarks, when the region stage finds them) every few frames, and
//! writes an image-folder dataset that host-train reads as it is:
//!
//! ```text
//! OUT/manifest.json              signer, times, model, camera, samples per letter
//! OUT/<label>/<signer>-0007.png  the hand region as the camera saw it
//! OUT/<label>/<signer>-0007.json its 21 landmarks in the PNG's pixels (if found)
//! ```
//!
//! Every file is written atomically (a hidden temporary file, synced, renamed), so a
//! power cut or a full disk never leaves a half-written picture that looks like data:
//! host-train skips hidden files. A failed write stops collection with its reason on
//! screen; what was written before stays valid.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use shared::hands::Point;
use shared::{ClassKind, Frame, ModelCard, Roi};

/// What to collect.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectConfig {
    /// The dataset folder (created; earlier samples in it are kept).
    pub out: PathBuf,
    /// Who signs: letters, digits, `-` and `_` (it names the files).
    pub signer: String,
    /// Class labels to prompt, in order (e.g. `A`, `B`); empty: every letter and digit
    /// of the model's classes.
    pub letters: Vec<String>,
    /// Samples per letter.
    pub per_letter: usize,
    /// Keep every this many frames (consecutive frames are near duplicates).
    pub every: usize,
    /// Frames skipped after each new prompt, while the person changes sign.
    pub settle: usize,
}

impl Default for CollectConfig {
    fn default() -> Self {
        Self {
            out: PathBuf::from("collected"),
            signer: "signer".into(),
            letters: Vec::new(),
            per_letter: 30,
            every: 3,
            settle: 20,
        }
    }
}

#[derive(Debug, Serialize)]
struct Manifest {
    signer: String,
    started_unix: u64,
    updated_unix: u64,
    model: String,
    classes: String,
    camera: String,
    per_letter: usize,
    every: usize,
    /// Samples written per label, this session.
    samples: BTreeMap<String, usize>,
    finished: bool,
}

/// Records samples from the kiosk loop ([`Collector::record`] once per frame).
#[derive(Debug)]
pub struct Collector {
    cfg: CollectConfig,
    letters: Vec<String>,
    manifest: Manifest,
    letter: usize,
    taken: usize,
    frames: usize,
    next_index: u32,
    rgb: Vec<u8>,
    status: String,
    failed: bool,
    /// The hand in the last [`TRACK_FRAMES`] frames (camera pixels; none: no hand).
    track: std::collections::VecDeque<Option<[Point; 21]>>,
}

/// Frames of landmark track kept with each sample (a second at 15 fps): the movement
/// that led to it, for J, Z and double letters.
pub const TRACK_FRAMES: usize = 15;

fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Collector {
    /// Checks the config against the model's classes and writes the first manifest.
    pub fn new(cfg: CollectConfig, card: &ModelCard, camera: String) -> Result<Self> {
        if cfg.signer.is_empty() || !cfg.signer.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            bail!("signer id '{}' must be letters, digits, '-' or '_' (it names the files)", cfg.signer);
        }
        if cfg.per_letter == 0 || cfg.every == 0 {
            bail!("per_letter and every must be at least 1");
        }
        let letters: Vec<String> = if cfg.letters.is_empty() {
            card.classes.classes.iter().filter(|c| matches!(c.kind, ClassKind::Letter | ClassKind::Digit)).map(|c| c.label.clone()).collect()
        } else {
            for l in &cfg.letters {
                if !card.classes.classes.iter().any(|c| &c.label == l) {
                    bail!("'{l}' is not a class of model '{}' ({})", card.name, card.classes.name);
                }
            }
            cfg.letters.clone()
        };
        std::fs::create_dir_all(&cfg.out).with_context(|| format!("creating {}", cfg.out.display()))?;
        let manifest = Manifest {
            signer: cfg.signer.clone(),
            started_unix: now_unix(),
            updated_unix: now_unix(),
            model: card.name.clone(),
            classes: card.classes.name.clone(),
            camera,
            per_letter: cfg.per_letter,
            every: cfg.every,
            samples: BTreeMap::new(),
            finished: false,
        };
        let mut c = Self {
            cfg,
            letters,
            manifest,
            letter: 0,
            taken: 0,
            frames: 0,
            next_index: 0,
            rgb: Vec::new(),
            status: String::new(),
            failed: false,
            track: std::collections::VecDeque::with_capacity(TRACK_FRAMES),
        };
        c.start_letter()?;
        c.write_manifest()?;
        Ok(c)
    }

    /// The line the screen shows: the letter to sign and the progress, or the end.
    pub fn prompt(&self) -> &str {
        &self.status
    }

    /// Whether every letter has its samples.
    pub fn finished(&self) -> bool {
        self.letter >= self.letters.len()
    }

    /// Whether a write failed and collection stopped.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Finished or failed: nothing more will be recorded.
    pub fn done(&self) -> bool {
        self.failed || self.finished()
    }

    /// Samples written per label, this session.
    pub fn samples(&self) -> &BTreeMap<String, usize> {
        &self.manifest.samples
    }

    /// Looks at one frame: every `every` frames after the settle time, writes the hand
    /// region `roi` (skipped when there is none) and `landmarks`. A write error stops
    /// collection; it is returned and shown on screen.
    pub fn record(&mut self, frame: &Frame<'_>, roi: Option<Roi>, landmarks: Option<&[Point; 21]>) -> Result<()> {
        if self.done() {
            return Ok(());
        }
        self.frames += 1;
        if self.track.len() == TRACK_FRAMES {
            self.track.pop_front();
        }
        self.track.push_back(landmarks.copied());
        let since = self.frames.saturating_sub(self.cfg.settle);
        let Some(roi) = roi.filter(|_| since > 0 && (since - 1) % self.cfg.every == 0) else { return Ok(()) };
        let result = self.write_sample(frame, roi, landmarks).and_then(|()| self.count_sample());
        if let Err(e) = &result {
            self.failed = true;
            self.status = format!("Collection stopped: {e:#}");
        }
        result
    }

    fn count_sample(&mut self) -> Result<()> {
        self.taken += 1;
        let label = self.letters[self.letter].clone();
        *self.manifest.samples.entry(label).or_default() += 1;
        if self.taken == self.cfg.per_letter {
            self.letter += 1;
            self.taken = 0;
            self.frames = 0;
            if self.done() {
                self.manifest.finished = true;
            } else {
                self.start_letter()?;
            }
            self.write_manifest()?;
        }
        self.update_status();
        Ok(())
    }

    fn start_letter(&mut self) -> Result<()> {
        let dir = self.cfg.out.join(&self.letters[self.letter]);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        // Continue the signer's numbering: earlier sessions' files are never replaced.
        let prefix = format!("{}-", self.cfg.signer);
        self.next_index = std::fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|n| n.strip_prefix(&prefix)?.strip_suffix(".png")?.parse::<u32>().ok())
            .map(|n| n + 1)
            .max()
            .unwrap_or(0);
        self.update_status();
        Ok(())
    }

    fn update_status(&mut self) {
        self.status = match self.letters.get(self.letter) {
            Some(l) => format!("Sign {l}: {}/{}", self.taken, self.cfg.per_letter),
            None => {
                let n: usize = self.manifest.samples.values().sum();
                format!("Done: {n} samples in {}", self.cfg.out.display())
            }
        };
    }

    fn write_sample(&mut self, frame: &Frame<'_>, roi: Roi, landmarks: Option<&[Point; 21]>) -> Result<()> {
        frame.to_rgb(&mut self.rgb).context("converting the frame")?;
        let full = image::RgbImage::from_raw(frame.width, frame.height, std::mem::take(&mut self.rgb))
            .context("frame size does not match its pixels")?;
        let crop = image::imageops::crop_imm(&full, roi.x, roi.y, roi.width, roi.height).to_image();
        self.rgb = full.into_raw();
        let mut png = Vec::new();
        crop.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).context("encoding PNG")?;
        let stem = format!("{}-{:04}", self.cfg.signer, self.next_index);
        let dir = self.cfg.out.join(&self.letters[self.letter]);
        if let Some(points) = landmarks {
            // In the PNG's pixels, written first: a picture never exists without them.
            let rel: Vec<[f32; 3]> = points.iter().map(|p| [p.x - roi.x as f32, p.y - roi.y as f32, p.z]).collect();
            write(&dir.join(format!("{stem}.json")), serde_json::to_string(&serde_json::json!({ "points": rel }))?.as_bytes())?;
        }
        write(&dir.join(format!("{stem}.png")), &png)?;
        self.append_track(&dir, &stem)?;
        self.next_index += 1;
        Ok(())
    }

    /// One JSON line per sample in `<letter>/<signer>-tracks.jsonl`: the sample's name
    /// and its last second of landmarks, oldest first, in camera pixels (`null`: no hand).
    fn append_track(&self, dir: &Path, stem: &str) -> Result<()> {
        use std::io::Write;
        let frames: Vec<Option<Vec<[f32; 3]>>> =
            self.track.iter().map(|h| h.as_ref().map(|p| p.iter().map(|p| [p.x, p.y, p.z]).collect())).collect();
        let mut line = serde_json::to_string(&serde_json::json!({ "sample": stem, "frames": frames }))?;
        line.push('\n');
        let path = dir.join(format!("{}-tracks.jsonl", self.cfg.signer));
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(line.as_bytes()))
            .with_context(|| format!("writing {}", path.display()))
    }

    fn write_manifest(&mut self) -> Result<()> {
        self.manifest.updated_unix = now_unix();
        let json = serde_json::to_string_pretty(&self.manifest)?;
        write(&self.cfg.out.join("manifest.json"), json.as_bytes())
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    shared::atomic::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}
