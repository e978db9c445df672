//! Hand landmarks of a dataset, computed once with `shared::hands` (MediaPipe's palm
//! and landmark models in tract, the code the device runs) and cached as JSON lines;
//! and the landmark masks (seed 002 §4.5.3) that replace the pictures when a model is
//! trained on [`InputConfig::LandmarkMask`].
//!
//! The cache holds one line per sample, keyed by [`Sample::source`], after a header
//! naming the dataset and the two models' sizes; a header that disagrees (other data,
//! other models) discards the cache. Writes are atomic, every [`SAVE_EVERY`] samples,
//! so a killed run keeps most of its work and never leaves a half-written file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use image::{DynamicImage, RgbImage};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use shared::card::{InputSource, MaskStyle};
use shared::hands::landmarks::POINTS;
use shared::hands::{self, HandTracker, Point, TrackerConfig};

use super::Dataset;

/// Samples computed between two atomic saves of the cache.
pub const SAVE_EVERY: usize = 500;

/// What a model is trained on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum InputConfig {
    /// The pictures themselves (the hand region of the frame on the device).
    #[default]
    Crop,
    /// The hand's landmarks drawn as a skeleton on black.
    LandmarkMask {
        /// Black margin around the hand's box, as a fraction of the side.
        margin: f32,
        /// How bones and joints are coloured.
        #[serde(default)]
        style: MaskStyle,
        /// Folder with MediaPipe's `palm_detection_lite.onnx` and
        /// `hand_landmark_lite.onnx`.
        models: PathBuf,
        /// Folder of landmark caches, one `<dataset>.landmarks.jsonl` per dataset.
        cache_dir: PathBuf,
    },
}

impl InputConfig {
    /// What the model card says about the input.
    pub fn source(&self) -> InputSource {
        match self {
            InputConfig::Crop => InputSource::Crop,
            InputConfig::LandmarkMask { margin, style, .. } => InputSource::LandmarkMask { margin: *margin, style: *style },
        }
    }
}

/// The hand found in one sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleHand {
    /// [`Sample::source`](super::Sample::source).
    pub source: String,
    /// The 21 points in the decoded picture's pixels, when a hand was found.
    pub points: Option<Vec<[f32; 3]>>,
    /// Probability that it is a right hand.
    #[serde(default)]
    pub right_hand: f32,
    /// The landmark model's presence score.
    #[serde(default)]
    pub presence: f32,
}

impl SampleHand {
    /// The points as `shared::hands` points, when a hand was found.
    pub fn hand_points(&self) -> Option<[Point; POINTS]> {
        let p = self.points.as_ref()?;
        (p.len() == POINTS).then(|| std::array::from_fn(|i| Point { x: p[i][0], y: p[i][1], z: p[i][2] }))
    }
}

/// The cache file's first line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Header {
    dataset: String,
    palm_model_bytes: u64,
    landmark_model_bytes: u64,
    tracker: TrackerConfig,
}

/// The cache file of `ds` in `cache_dir`.
pub fn cache_path(cache_dir: &Path, ds: &Dataset) -> PathBuf {
    cache_dir.join(format!("{}.landmarks.jsonl", ds.name))
}

/// The landmarks of every sample of `ds`, in sample order: read from the cache where it
/// has them, computed (on all cores) and saved where it does not.
pub fn landmarks(ds: &Dataset, models: &Path, cache_dir: &Path) -> Result<Vec<SampleHand>> {
    let path = cache_path(cache_dir, ds);
    let header = Header {
        dataset: ds.root.display().to_string(),
        palm_model_bytes: file_len(&models.join(hands::PALM_MODEL))?,
        landmark_model_bytes: file_len(&models.join(hands::LANDMARK_MODEL))?,
        tracker: TrackerConfig::default(),
    };
    let mut known = read_cache(&path, &header)?;
    let missing: Vec<usize> =
        (0..ds.samples.len()).filter(|&i| !known.contains_key(&ds.samples[i].source)).collect();
    if !missing.is_empty() {
        std::fs::create_dir_all(cache_dir).with_context(|| format!("creating {}", cache_dir.display()))?;
        tracing::info!(cached = known.len(), to_compute = missing.len(), cache = %path.display(), "finding hands");
        let bar = ProgressBar::new(missing.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("hands [{bar:30}] {pos}/{len} eta {eta}").expect("valid template"),
        );
        let start = Instant::now();
        for chunk in missing.chunks(SAVE_EVERY) {
            let found: Vec<SampleHand> = chunk
                .par_iter()
                .map_init(
                    || HandTracker::load(models, header.tracker).map_err(anyhow::Error::from),
                    |tracker, &i| {
                        let tracker = tracker.as_mut().map_err(|e| anyhow::anyhow!("{e:#}"))?;
                        let s = &ds.samples[i];
                        let hand = tracker.find(&s.image.to_rgb8()).with_context(|| format!("finding the hand in {}", s.source))?;
                        bar.inc(1);
                        Ok(SampleHand {
                            source: s.source.clone(),
                            points: hand.as_ref().map(|h| h.landmarks.points.iter().map(|p| [p.x, p.y, p.z]).collect()),
                            right_hand: hand.as_ref().map_or(0.0, |h| h.landmarks.right_hand),
                            presence: hand.as_ref().map_or(0.0, |h| h.landmarks.presence),
                        })
                    },
                )
                .collect::<Result<_>>()?;
            known.extend(found.into_iter().map(|h| (h.source.clone(), h)));
            write_cache(&path, &header, &known)?;
        }
        bar.finish_and_clear();
        tracing::info!(
            samples = missing.len(),
            ms_per_sample = format!("{:.1}", start.elapsed().as_secs_f64() * 1000.0 / missing.len() as f64),
            "hands found and cached"
        );
    }
    Ok(ds.samples.iter().map(|s| known.remove(&s.source).expect("every sample was computed")).collect())
}

/// Replaces every picture of `ds` by its landmark mask, `size` pixels square (black
/// where no hand was found), and returns the indices of the samples without a hand.
pub fn to_masks(ds: &mut Dataset, hands: &[SampleHand], size: u32, margin: f32, style: MaskStyle) -> Result<Vec<usize>> {
    if hands.len() != ds.samples.len() {
        bail!("{} landmark records for {} samples", hands.len(), ds.samples.len());
    }
    let mut without = Vec::new();
    for (i, (s, h)) in ds.samples.iter_mut().zip(hands).enumerate() {
        let points = h.hand_points();
        if points.is_none() {
            without.push(i);
        }
        let mut mask = RgbImage::new(size, size);
        hands::mask::draw_into(&mut mask, points.as_ref(), margin, style);
        s.image = DynamicImage::ImageRgb8(mask);
    }
    Ok(without)
}

fn file_len(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path).with_context(|| format!("hand model {}", path.display()))?.len())
}

fn read_cache(path: &Path, header: &Header) -> Result<HashMap<String, SampleHand>> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(HashMap::new()) };
    let mut lines = text.lines();
    let found: Option<Header> = lines.next().and_then(|l| serde_json::from_str(l).ok());
    if found.as_ref() != Some(header) {
        tracing::warn!(cache = %path.display(), "landmark cache is for other data or models: computing again");
        return Ok(HashMap::new());
    }
    lines
        .enumerate()
        .map(|(n, l)| {
            let h: SampleHand =
                serde_json::from_str(l).with_context(|| format!("{}: line {} is not a landmark record", path.display(), n + 2))?;
            if h.points.as_ref().is_some_and(|p| p.len() != POINTS) {
                bail!("{}: line {} has {} points, not {POINTS}", path.display(), n + 2, h.points.as_ref().map_or(0, |p| p.len()));
            }
            Ok((h.source.clone(), h))
        })
        .collect()
}

/// Writes every known record (also those of samples this load left out), sorted.
fn write_cache(path: &Path, header: &Header, known: &HashMap<String, SampleHand>) -> Result<()> {
    let mut text = serde_json::to_string(header)? + "\n";
    let mut records: Vec<_> = known.values().collect();
    records.sort_by(|a, b| super::natural_cmp(&a.source, &b.source));
    for h in records {
        text += &serde_json::to_string(h)?;
        text.push('\n');
    }
    shared::atomic::write(path, text.as_bytes()).with_context(|| format!("writing {}", path.display()))
}
