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
use rand::Rng;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use shared::card::{InputSource, MaskStyle};
use shared::hands::landmarks::POINTS;
use shared::hands::{self, HandTracker, Point, TrackerConfig};

use super::Dataset;
use super::augment::AugmentConfig;

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
    /// MediaPipe's world landmarks (metres, about the hand's centre), when found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub world: Option<Vec<[f32; 3]>>,
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
    #[serde(default, skip_serializing_if = "Prepare::is_as_is")]
    prepare: Prepare,
}

/// What is done to a picture before the hand is looked for in it.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Prepare {
    /// The picture as loaded.
    #[default]
    AsIs,
    /// Tiny hand crops (sign-mnist's 28x28): enlarged to `side` x `side` (Catmull-Rom),
    /// then framed by `border` x `side` pixels of repeated edge on every side, so that
    /// the whole hand sits inside the crop the landmark model reads.
    Enlarge {
        /// Side after enlarging, in pixels.
        side: u32,
        /// Border on each side, as a fraction of `side`.
        border: f32,
    },
}

impl Prepare {
    fn is_as_is(&self) -> bool {
        *self == Prepare::AsIs
    }

    /// The picture the hand is looked for in.
    pub fn apply(&self, img: &DynamicImage) -> RgbImage {
        match *self {
            Prepare::AsIs => img.to_rgb8(),
            Prepare::Enlarge { side, border } => {
                let big = img.resize_exact(side, side, image::imageops::FilterType::CatmullRom).to_rgb8();
                let b = (border.max(0.0) * side as f32).round() as u32;
                let out_side = side + 2 * b;
                RgbImage::from_fn(out_side, out_side, |x, y| {
                    let sx = x.saturating_sub(b).min(side - 1);
                    let sy = y.saturating_sub(b).min(side - 1);
                    *big.get_pixel(sx, sy)
                })
            }
        }
    }
}

/// The cache file of `ds` in `cache_dir`.
pub fn cache_path(cache_dir: &Path, ds: &Dataset) -> PathBuf {
    cache_dir.join(format!("{}.landmarks.jsonl", ds.name))
}

/// The landmarks of every sample of `ds`, in sample order: read from the cache where it
/// has them, computed (on all cores) and saved where it does not.
pub fn landmarks(ds: &Dataset, models: &Path, cache_dir: &Path) -> Result<Vec<SampleHand>> {
    landmarks_prepared(ds, models, cache_dir, Prepare::AsIs, hands::SETTLE)
}

/// [`landmarks`] of pictures prepared by `prepare` first (the points are in the prepared
/// picture's pixels), with `settle` settling passes ([`TrackerConfig::settle`]); the
/// cache records both, so other preparations or passes compute again.
pub fn landmarks_prepared(ds: &Dataset, models: &Path, cache_dir: &Path, prepare: Prepare, settle: usize) -> Result<Vec<SampleHand>> {
    let path = cache_path(cache_dir, ds);
    let header = Header {
        dataset: ds.root.display().to_string(),
        palm_model_bytes: file_len(&models.join(hands::PALM_MODEL))?,
        landmark_model_bytes: file_len(&models.join(hands::LANDMARK_MODEL))?,
        tracker: TrackerConfig { settle, ..TrackerConfig::default() },
        prepare,
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
                        let hand = tracker.find(&prepare.apply(&s.image)).with_context(|| format!("finding the hand in {}", s.source))?;
                        bar.inc(1);
                        Ok(SampleHand {
                            source: s.source.clone(),
                            points: hand.as_ref().map(|h| h.landmarks.points.iter().map(|p| [p.x, p.y, p.z]).collect()),
                            right_hand: hand.as_ref().map_or(0.0, |h| h.landmarks.right_hand),
                            presence: hand.as_ref().map_or(0.0, |h| h.landmarks.presence),
                            world: hand.as_ref().and_then(|h| h.landmarks.world.as_ref()).map(|w| w.iter().map(|p| [p.x, p.y, p.z]).collect()),
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

/// How masks are drawn: the model's input side, margin and style.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaskDraw {
    /// Side in pixels (the model's input size).
    pub size: u32,
    /// Black margin around the hand's box, as a fraction of the side.
    pub margin: f32,
    /// Colours.
    pub style: MaskStyle,
}

impl MaskDraw {
    /// The mask of `points` (black for `None`).
    pub fn draw(&self, points: Option<&[Point; POINTS]>) -> DynamicImage {
        let mut mask = RgbImage::new(self.size, self.size);
        hands::mask::draw_into(&mut mask, points, self.margin, self.style);
        DynamicImage::ImageRgb8(mask)
    }
}

/// The landmarks behind a dataset's masks, so training can draw each epoch's mask from
/// moved points ([`augment_points`]).
#[derive(Debug, Clone)]
pub struct Masks {
    /// How they were drawn.
    pub draw: MaskDraw,
    /// Each sample's points; `None` where no hand was found.
    pub points: Vec<Option<[Point; POINTS]>>,
}

impl Masks {
    /// Indices of the samples in which no hand was found.
    pub fn without_hand(&self) -> impl Iterator<Item = usize> + '_ {
        self.points.iter().enumerate().filter(|(_, p)| p.is_none()).map(|(i, _)| i)
    }
}

/// Replaces every picture of `ds` by its landmark mask (black where no hand was found)
/// and returns the points behind them.
pub fn to_masks(ds: &mut Dataset, hands: &[SampleHand], draw: MaskDraw) -> Result<Masks> {
    if hands.len() != ds.samples.len() {
        bail!("{} landmark records for {} samples", hands.len(), ds.samples.len());
    }
    let points: Vec<_> = hands.iter().map(SampleHand::hand_points).collect();
    for (s, p) in ds.samples.iter_mut().zip(&points) {
        s.image = draw.draw(p.as_ref());
    }
    Ok(Masks { draw, points })
}

/// The hand seen from another angle and drawn by another hand: the points turned about
/// their centre by a random yaw and pitch (out of the picture's plane, using their
/// depth), each bone's length scaled, and landmark noise added, per
/// [`AugmentConfig`]'s `landmark_*` settings.
pub fn augment_points(points: &[Point; POINTS], cfg: &AugmentConfig, rng: &mut impl Rng) -> [Point; POINTS] {
    let n = POINTS as f32;
    let c = points.iter().fold([0f32; 3], |a, p| [a[0] + p.x / n, a[1] + p.y / n, a[2] + p.z / n]);
    let yaw = (rng.random_range(-1.0..=1.0) * cfg.landmark_yaw_deg).to_radians() as f32;
    let pitch = (rng.random_range(-1.0..=1.0) * cfg.landmark_pitch_deg).to_radians() as f32;
    let (sy, cy, sp, cp) = (yaw.sin(), yaw.cos(), pitch.sin(), pitch.cos());
    let mut out: [Point; POINTS] = std::array::from_fn(|i| {
        let (x, y, z) = (points[i].x - c[0], points[i].y - c[1], points[i].z - c[2]);
        // Yaw about the vertical axis, then pitch about the horizontal one.
        let (x, z) = (x * cy + z * sy, -x * sy + z * cy);
        let (y, z) = (y * cp - z * sp, y * sp + z * cp);
        Point { x: x + c[0], y: y + c[1], z: z + c[2] }
    });
    if cfg.landmark_bones > 0.0 {
        // Parents come before children in MediaPipe's order: rebuild each finger from
        // the wrist out with scaled bones.
        let turned = out;
        for j in 1..POINTS {
            let parent = if (j - 1) % 4 == 0 { 0 } else { j - 1 };
            let s = rng.random_range(1.0 - cfg.landmark_bones..=1.0 + cfg.landmark_bones) as f32;
            let (a, b) = (turned[parent], turned[j]);
            out[j] = Point {
                x: out[parent].x + s * (b.x - a.x),
                y: out[parent].y + s * (b.y - a.y),
                z: out[parent].z + s * (b.z - a.z),
            };
        }
    }
    if cfg.landmark_joints_deg > 0.0 {
        // Each finger's joints from the knuckle out: the points beyond a joint turn
        // about it.
        for f in 0..5 {
            let base = 1 + 4 * f;
            for k in base..base + 3 {
                let t = (rng.random_range(-1.0..=1.0) * cfg.landmark_joints_deg).to_radians() as f32;
                let (s, c) = t.sin_cos();
                let o = out[k];
                for p in &mut out[k + 1..base + 4] {
                    let (x, y) = (p.x - o.x, p.y - o.y);
                    (p.x, p.y) = (o.x + x * c - y * s, o.y + x * s + y * c);
                }
            }
        }
    }
    if cfg.landmark_noise > 0.0 {
        let b = hands::BoxPx::around(&out);
        let sigma = cfg.landmark_noise as f32 * b.width().max(b.height());
        let k = sigma * 6f32.sqrt();
        for p in &mut out {
            p.x += (rng.random::<f32>() + rng.random::<f32>() - 1.0) * k;
            p.y += (rng.random::<f32>() + rng.random::<f32>() - 1.0) * k;
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn hand() -> [Point; POINTS] {
        std::array::from_fn(|i| {
            let (finger, joint) = ((i.max(1) - 1) / 4, (i.max(1) - 1) % 4 + 1);
            match i {
                0 => Point { x: 50.0, y: 100.0, z: 0.0 },
                _ => Point { x: 20.0 + 15.0 * finger as f32, y: 80.0 - 12.0 * joint as f32, z: -2.0 * joint as f32 },
            }
        })
    }

    fn dist(a: &Point, b: &Point) -> f32 {
        ((a.x - b.x).powi(2) + (a.y - b.y).powi(2) + (a.z - b.z).powi(2)).sqrt()
    }

    #[test]
    fn enlarging_frames_the_crop_with_its_own_edge() {
        let img = DynamicImage::ImageLuma8(image::GrayImage::from_fn(28, 28, |x, y| image::Luma([(x * 9) as u8 ^ (y as u8)])));
        let prepared = Prepare::Enlarge { side: 224, border: 0.25 }.apply(&img);
        assert_eq!(prepared.dimensions(), (336, 336));
        let big = img.resize_exact(224, 224, image::imageops::FilterType::CatmullRom).to_rgb8();
        // The middle is the enlarged crop; the border repeats its outermost pixels.
        assert_eq!(prepared.get_pixel(56 + 100, 56 + 37), big.get_pixel(100, 37));
        assert_eq!(prepared.get_pixel(0, 0), big.get_pixel(0, 0));
        assert_eq!(prepared.get_pixel(335, 100), big.get_pixel(223, 44));
        assert_eq!(prepared.get_pixel(10, 335), big.get_pixel(0, 223));
        assert_eq!(Prepare::AsIs.apply(&img), img.to_rgb8());
    }

    #[test]
    fn turning_keeps_bone_lengths_and_scaling_stays_in_its_bounds() {
        let h = hand();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let off = AugmentConfig::default();
        assert_eq!(augment_points(&h, &off, &mut rng), h, "no landmark settings, no change");

        let turn = AugmentConfig { landmark_yaw_deg: 40.0, landmark_pitch_deg: 30.0, ..AugmentConfig::default() };
        let bones = AugmentConfig { landmark_bones: 0.1, ..AugmentConfig::default() };
        for _ in 0..20 {
            let t = augment_points(&h, &turn, &mut rng);
            assert_ne!(t, h);
            let b = augment_points(&h, &bones, &mut rng);
            assert_eq!(b[0], h[0], "the wrist stays");
            for (a, c) in hands::landmarks::CONNECTIONS {
                let before = dist(&h[a], &h[c]);
                assert!((dist(&t[a], &t[c]) - before).abs() < 1e-3 * before.max(1.0), "a turn keeps bone {a}-{c}");
                // Knuckle-to-knuckle edges are not bones of a chain; chain bones scale.
                if c == a + 1 || a == 0 {
                    let r = dist(&b[a], &b[c]) / before;
                    assert!((0.9 - 1e-4..=1.1 + 1e-4).contains(&r), "bone {a}-{c} scaled by {r}");
                }
            }
        }
        // Bent joints keep every bone's length and the palm; the fingers move.
        let bend = AugmentConfig { landmark_joints_deg: 15.0, ..AugmentConfig::default() };
        let j = augment_points(&h, &bend, &mut rng);
        for (a, c) in hands::landmarks::CONNECTIONS {
            let before = dist(&h[a], &h[c]);
            assert!((dist(&j[a], &j[c]) - before).abs() < 1e-3 * before.max(1.0), "a bend keeps bone {a}-{c}");
        }
        assert!([0, 1, 5, 9, 13, 17].iter().all(|&k| j[k] == h[k]), "the wrist and knuckles stay");
        assert!([4, 8, 12, 16, 20].iter().all(|&k| j[k] != h[k]), "every fingertip moves");
        let noisy = AugmentConfig { landmark_noise: 0.02, ..AugmentConfig::default() };
        let n = augment_points(&h, &noisy, &mut rng);
        // The hand is 80 px tall: 2% noise moves points by a few pixels, never far.
        let moved: Vec<f32> = h.iter().zip(&n).map(|(a, b)| dist(a, b)).collect();
        assert!(moved.iter().any(|d| *d > 0.1) && moved.iter().all(|d| *d < 8.0), "{moved:?}");
    }
}
