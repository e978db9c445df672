//! Inference: the model file and its card loaded into tract (through `shared`, exactly
//! as the export gate ran it), preprocessing driven by the card, and optional mirrored
//! inference. The device hard-codes no input size, normalization or class.

use std::path::Path;

use anyhow::{Context, Result};
use image::{DynamicImage, RgbImage};
use shared::hands::landmarks::POINTS;
use shared::hands::{Point, mask};
use shared::tract_model::{PlanForm, TractModel};
use shared::{Frame, Layout, ModelCard, Preprocessor, Roi};

/// One classification.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// One probability per class.
    pub probs: Vec<f32>,
    /// The most probable class.
    pub top: usize,
    /// Its probability.
    pub confidence: f32,
}

impl Prediction {
    /// From probabilities.
    pub fn from_probs(probs: Vec<f32>) -> Self {
        let (top, confidence) =
            probs.iter().copied().enumerate().fold((0, f32::MIN), |(bi, bp), (i, p)| if p > bp { (i, p) } else { (bi, bp) });
        Self { probs, top, confidence }
    }

    /// The `k` most probable classes, best first.
    pub fn top_k(&self, k: usize) -> Vec<(usize, f32)> {
        let mut v: Vec<(usize, f32)> = self.probs.iter().copied().enumerate().collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        v.truncate(k);
        v
    }
}

/// A loaded model with its preprocessing.
pub struct Engine {
    model: TractModel,
    pre: Preprocessor,
    input: Vec<f32>,
    mirror: Vec<f32>,
    /// The landmark mask drawn each frame (landmark-mask models only; reused).
    mask: Option<DynamicImage>,
    /// Set by [`Engine::preprocess_landmarks`] when a landmark-feature model got no hand:
    /// the next [`Engine::infer`] answers `nothing` without running the model.
    no_hand: bool,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("model", &self.model).finish()
    }
}

/// Sets how many threads tract's matrix products use (1: the calling thread only).
pub fn set_threads(threads: usize) {
    use tract_linalg::multithread::{set_default_executor, Executor};
    set_default_executor(if threads > 1 { Executor::multithread(threads) } else { Executor::SingleThread });
}

impl Engine {
    /// Loads and checks `path` (card against graph), optimizes once and warms up.
    pub fn load(path: &Path) -> Result<Self> {
        Self::load_as(path, PlanForm::default())
    }

    /// [`Engine::load`] into a plan of the given form (to compare forms).
    pub fn load_as(path: &Path, form: PlanForm) -> Result<Self> {
        let model = TractModel::load_as(path, form).with_context(|| format!("cannot use model {}", path.display()))?;
        let pre = Preprocessor::new(model.card.preprocess.clone())
            .with_context(|| format!("{}: the card's preprocessing is unusable", path.display()))?;
        let len = model.card.preprocess.tensor_len();
        let spec = &model.card.preprocess;
        let mask = model.card.input.mask_margin().map(|_| DynamicImage::ImageRgb8(RgbImage::new(spec.width, spec.height)));
        let mut engine = Self { model, pre, input: vec![0.0; len], mirror: vec![0.0; len], mask, no_hand: false };
        for _ in 0..3 {
            engine.infer(false).with_context(|| format!("{}: warm-up inference failed", path.display()))?;
        }
        Ok(engine)
    }

    /// The model card.
    pub fn card(&self) -> &ModelCard {
        &self.model.card
    }

    /// The preprocessed input tensor the next [`Engine::infer`] runs.
    pub fn input(&self) -> &[f32] {
        &self.input
    }

    /// The model file's size in bytes.
    pub fn file_bytes(&self) -> usize {
        self.model.file_bytes
    }

    /// Multiply-accumulates of one inference (tract's count).
    pub fn macs(&self) -> u64 {
        self.model.macs
    }

    /// Preprocesses `roi` of a raw frame into the input tensor.
    pub fn preprocess_frame(&mut self, frame: &Frame<'_>, roi: Option<Roi>) -> Result<()> {
        self.pictures_only()?;
        self.pre.frame_into(frame, roi, &mut self.input).context("preprocessing the frame")
    }

    /// Preprocesses a decoded image into the input tensor.
    pub fn preprocess_image(&mut self, image: &DynamicImage) -> Result<()> {
        self.pictures_only()?;
        self.pre.image_into(image, None, &mut self.input).context("preprocessing the image")
    }

    fn pictures_only(&self) -> Result<()> {
        if self.model.card.input.landmark_features().is_some() {
            anyhow::bail!("model '{}' classifies hand landmarks, not pictures: find the hand first", self.model.card.name);
        }
        Ok(())
    }

    /// Whether the model needs the hand-landmark stage: it classifies landmark masks or
    /// landmark features (its card's `input`).
    pub fn wants_landmarks(&self) -> bool {
        self.model.card.input.needs_landmarks()
    }

    /// Turns the hand's landmarks into the model's input: the landmark features
    /// (`shared::features`), or the mask drawn from them (all black without a hand);
    /// an error for models that classify pictures.
    pub fn preprocess_landmarks(&mut self, points: Option<&[Point; POINTS]>) -> Result<()> {
        let input = self.model.card.input;
        if let Some(spec) = input.landmark_features() {
            let out: &mut [f32; shared::features::LEN] =
                self.input.as_mut_slice().try_into().context("the input is not the feature vector's length")?;
            // A degenerate hand (every point on the wrist) is no hand.
            self.no_hand = match points {
                Some(p) => shared::features::features_into(p, spec, out).is_err(),
                None => true,
            };
            return Ok(());
        }
        let (Some(margin), Some(style), Some(DynamicImage::ImageRgb8(mask))) =
            (input.mask_margin(), input.mask_style(), &mut self.mask)
        else {
            anyhow::bail!("model '{}' classifies pictures, not landmark masks", self.model.card.name);
        };
        mask::draw_into(mask, points, margin, style);
        let mask = self.mask.as_ref().expect("set above");
        self.pre.image_into(mask, None, &mut self.input).context("preprocessing the landmark mask")
    }

    /// The landmark features of the last [`Self::preprocess_landmarks`], for a model that
    /// reads them and a hand that was found (what the speller remembers of a signer).
    pub fn landmark_features(&self) -> Option<&[f32; shared::features::LEN]> {
        if self.no_hand || self.model.card.input.landmark_features().is_none() {
            return None;
        }
        self.input.as_slice().try_into().ok()
    }

    /// Runs the model on the preprocessed input; with `mirrored`, averages the
    /// probabilities of the input and its left-right mirror.
    /// Landmark-feature models ignore `mirrored` (their features read both hands
    /// alike) and answer `nothing` with certainty when the last landmarks had no hand.
    pub fn infer(&mut self, mirrored: bool) -> Result<Prediction> {
        let features = self.model.card.input.landmark_features().is_some();
        if features && self.no_hand {
            let classes = &self.model.card.classes;
            let mut probs = vec![0.0; classes.len()];
            probs[classes.by_label("nothing").map_or(0, |c| c.index as usize)] = 1.0;
            return Ok(Prediction::from_probs(probs));
        }
        let mut probs = self.model.probabilities(&self.input)?;
        if mirrored && !features {
            mirror_into(&self.input, &mut self.mirror, self.model.input_shape(), self.model.card.preprocess.layout);
            let other = self.model.probabilities(&self.mirror)?;
            probs.iter_mut().zip(other).for_each(|(p, q)| *p = 0.5 * (*p + q));
        }
        Ok(Prediction::from_probs(probs))
    }

    /// Times every node of the model's plan on the current input (see
    /// [`TractModel::profile`]).
    pub fn profile(&self, runs: usize) -> Result<Vec<shared::tract_model::NodeTime>> {
        Ok(self.model.profile(&self.input, runs)?)
    }

    /// Preprocesses and classifies one decoded image.
    pub fn classify_image(&mut self, image: &DynamicImage, mirrored: bool) -> Result<Prediction> {
        self.preprocess_image(image)?;
        self.infer(mirrored)
    }
}

/// Writes the left-right mirror of an input tensor of `shape` into `out`.
fn mirror_into(input: &[f32], out: &mut [f32], shape: [usize; 4], layout: Layout) {
    match layout {
        Layout::Nchw => {
            let w = shape[3];
            for (src, dst) in input.chunks_exact(w).zip(out.chunks_exact_mut(w)) {
                dst.iter_mut().zip(src.iter().rev()).for_each(|(d, s)| *d = *s);
            }
        }
        Layout::Nhwc => {
            let (w, c) = (shape[2], shape[3]);
            for (src, dst) in input.chunks_exact(w * c).zip(out.chunks_exact_mut(w * c)) {
                for (x, px) in dst.chunks_exact_mut(c).enumerate() {
                    px.copy_from_slice(&src[(w - 1 - x) * c..(w - x) * c]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_reverses_each_row_in_both_layouts() {
        let x: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let mut out = vec![0.0; 12];
        mirror_into(&x, &mut out, [1, 2, 2, 3], Layout::Nchw);
        assert_eq!(out, [2., 1., 0., 5., 4., 3., 8., 7., 6., 11., 10., 9.]);
        mirror_into(&x, &mut out, [1, 2, 2, 3], Layout::Nhwc);
        assert_eq!(out, [3., 4., 5., 0., 1., 2., 9., 10., 11., 6., 7., 8.]);
    }
}
