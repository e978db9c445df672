//! The resolved training configuration, saved as `config.toml` in the run directory
//! so a run can be resumed and reproduced.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use shared::card::{InputSource, MaskStyle, SplitKind};
use shared::preprocess::{ColorMode, PreprocessSpec};

use super::optim::OptimConfig;
use super::schedule::ScheduleKind;
use crate::data::augment::AugmentConfig;
use crate::data::landmarks::InputConfig;
use crate::data::split::SplitOptions;
use crate::data::{Format, LoadOptions};

/// Input normalization.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Normalization {
    /// Scale to 0..1, then the ImageNet mean and std (RGB; their average for gray).
    Imagenet,
    /// Scale to 0..1 only.
    Unit,
    /// Scale to -1..1 (mean and std 0.5): what TensorFlow's MobileNets were trained on.
    Symmetric,
}

/// Which validation metric selects the best checkpoint and drives early stopping.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum SelectBy {
    /// Higher validation accuracy is better.
    ValAccuracy,
    /// Lower validation loss is better.
    ValLoss,
}

/// Everything a run needs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Dataset path.
    pub dataset: PathBuf,
    /// Dataset format (`None`: detected).
    pub format: Option<Format>,
    /// Force a built-in class table.
    pub classes: Option<String>,
    /// Skip corrupt files instead of failing.
    pub skip_bad: bool,
    /// Keep only the first N samples of each class (quick runs).
    pub limit_per_class: Option<usize>,
    /// Split kind.
    pub split: SplitKind,
    /// Split and run seed.
    pub seed: u64,
    /// Validation fraction.
    pub val_fraction: f64,
    /// Test fraction.
    pub test_fraction: f64,
    /// Frames per group in grouped splits.
    pub group_size: usize,
    /// Architecture (registry name).
    pub arch: String,
    /// Width multiplier.
    pub width: f64,
    /// Input side in pixels.
    pub input_size: u32,
    /// Input colour.
    pub color: ColorMode,
    /// Input normalization.
    pub normalization: Normalization,
    /// Dropout before the classifier.
    pub dropout: f64,
    /// Channel-attention reduction ratio.
    pub ca_reduction: i64,
    /// Augmentation.
    pub augment: AugmentConfig,
    /// Optimizer.
    pub optim: OptimConfig,
    /// Learning-rate schedule.
    pub schedule: ScheduleKind,
    /// Plateau patience (epochs).
    pub plateau_patience: usize,
    /// One-cycle warm-up fraction of the steps (PyTorch's `pct_start`).
    #[serde(default = "super::schedule::default_warmup")]
    pub warmup_fraction: f64,
    /// Weight the loss by inverse class frequency.
    pub class_weights: bool,
    /// Label smoothing (0 = off).
    pub label_smoothing: f64,
    /// Clip the gradients' global norm to this.
    pub clip_grad: Option<f64>,
    /// Epochs.
    pub epochs: usize,
    /// Batch size.
    pub batch: usize,
    /// Stop after this many epochs without improvement.
    pub early_stop: Option<usize>,
    /// Metric for the best checkpoint and early stopping.
    pub select_by: SelectBy,
    /// Threads decoding and augmenting.
    pub loader_threads: usize,
    /// Batches prepared ahead.
    pub prefetch: usize,
    /// TFLite file whose ImageNet weights initialize the backbone.
    #[serde(default)]
    pub pretrained: Option<PathBuf>,
    /// Batch norms keep their running statistics while training.
    #[serde(default)]
    pub freeze_bn: bool,
    /// The pictures themselves, or their hands' landmark masks.
    #[serde(default)]
    pub input: InputConfig,
    /// A training checkpoint whose weights start the run (fine-tuning a shipped model;
    /// instead of `pretrained`).
    #[serde(default)]
    pub init: Option<PathBuf>,
    /// Another dataset whose samples join the training part (the original data mixed
    /// into an adaptation, so nothing else is forgotten).
    #[serde(default)]
    pub mix: Option<MixConfig>,
}

/// Samples of another dataset added to the training part only.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MixConfig {
    /// The dataset (same class table as the run's).
    pub dataset: PathBuf,
    /// At most this many samples of each class (in the dataset's fixed order).
    pub per_class: Option<usize>,
    /// A file listing samples to leave out, one path per line relative to the
    /// dataset's root (e.g. a model's `NAME.heldout.txt`, so its test pictures stay
    /// unseen).
    pub exclude: Option<PathBuf>,
}

impl TrainConfig {
    /// The preprocessing the model is trained with (and its card will carry).
    pub fn preprocess(&self) -> PreprocessSpec {
        let s = self.input_size;
        match (self.normalization, self.color) {
            (Normalization::Imagenet, ColorMode::Rgb) => PreprocessSpec::imagenet(s, s),
            (Normalization::Imagenet, ColorMode::Gray) => {
                PreprocessSpec { mean: vec![0.449], std: vec![0.226], ..PreprocessSpec::unit(s, s, ColorMode::Gray) }
            }
            (Normalization::Unit, c) => PreprocessSpec::unit(s, s, c),
            (Normalization::Symmetric, c) => {
                let n = c.channels();
                PreprocessSpec { mean: vec![0.5; n], std: vec![0.5; n], ..PreprocessSpec::unit(s, s, c) }
            }
        }
    }

    /// Dataset loading options.
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            format: self.format,
            skip_bad: self.skip_bad,
            classes: self.classes.clone(),
            limit_per_class: self.limit_per_class,
            ..LoadOptions::default()
        }
    }

    /// Split options.
    pub fn split_options(&self) -> SplitOptions {
        SplitOptions {
            kind: self.split,
            seed: self.seed,
            val_fraction: self.val_fraction,
            test_fraction: self.test_fraction,
            group_size: self.group_size,
        }
    }

    /// The split a dataset gets when none is asked for: a Kaggle CSV folder's own test
    /// part (sign-mnist ships one), else stratified.
    pub fn default_split(format: Format, dataset: &Path) -> SplitKind {
        if format == Format::KaggleCsv && dataset.is_dir() { SplitKind::Dataset } else { SplitKind::Stratified }
    }

    /// The augmentation of picture inputs: off with `no_augment`, else the defaults;
    /// the flip probability is `hflip`, or none for handwritten digits (file-name labels).
    pub fn picture_augment(no_augment: bool, hflip: Option<f64>, format: Format) -> AugmentConfig {
        let mut augment = if no_augment { AugmentConfig::off() } else { AugmentConfig::default() };
        let handwritten = format == Format::FileNameLabels;
        augment.hflip = hflip.unwrap_or(if handwritten { 0.0 } else { augment.hflip });
        augment
    }

    /// The augmentation of landmark masks: a mask has no colour, light or sensor, so only
    /// the geometric augmentations of `base` mean anything (and a tight crop would cut
    /// fingers off); the hand itself turns by up to `yaw`/`pitch` degrees, its bones scale
    /// by 1 ± `bones` and its points move by `noise` before each mask is drawn.
    pub fn mask_augment(base: AugmentConfig, yaw: f64, pitch: f64, bones: f64, noise: f64) -> AugmentConfig {
        AugmentConfig {
            crop_area: [0.85, 1.0],
            brightness: 0.0,
            contrast: 0.0,
            saturation: 0.0,
            white_balance: 0.0,
            blur: 0.0,
            noise: 0.0,
            landmark_yaw_deg: yaw,
            landmark_pitch_deg: pitch,
            landmark_bones: bones,
            landmark_noise: noise,
            ..base
        }
    }

    /// Landmark-mask inputs: `margin` must lie in 0..0.5; the hand models default to
    /// `../shared/models/mediapipe` and the cache to a `landmarks` folder beside the run
    /// directory `run_dir` (shared by the runs there).
    pub fn landmark_mask_input(
        margin: f32,
        style: MaskStyle,
        models: Option<PathBuf>,
        cache_dir: Option<PathBuf>,
        run_dir: &Path,
    ) -> Result<InputConfig> {
        if !(0.0..0.5).contains(&margin) {
            bail!("--mask-margin must lie in 0..0.5, got {margin}");
        }
        let beside_run = run_dir.parent().unwrap_or(Path::new(".")).join("landmarks");
        let models = match models {
            Some(m) => m,
            None => shared::paths::models_dir()
                .map(|d| d.join("mediapipe"))
                .context("no ../shared/models/mediapipe: pass --hands-models DIR (or set SIGNSPELL_SHARED)")?,
        };
        Ok(InputConfig::LandmarkMask { margin, style, models, cache_dir: cache_dir.unwrap_or(beside_run) })
    }

    /// Checks the settings no type rules out.
    pub fn validate(&self) -> Result<()> {
        if !(self.warmup_fraction > 0.0 && self.warmup_fraction < 1.0) {
            bail!("--warmup-fraction must lie strictly between 0 and 1, got {}", self.warmup_fraction);
        }
        Ok(())
    }

    /// This config set up to fine-tune the model in ONNX file `model` (`train --init`):
    /// what its card says about the network, input and classes, and its training
    /// checkpoint beside it (`NAME.safetensors`) as the starting weights.
    pub fn init_from_model(self, model: &Path) -> Result<Self> {
        let mut cfg = self;
        let (card, _) = shared::ModelCard::read_onnx(model).with_context(|| format!("--init {}", model.display()))?;
        let stem = model.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let stem = stem.strip_suffix("-int8").unwrap_or(&stem);
        let checkpoint = model.with_file_name(format!("{stem}.safetensors"));
        if !checkpoint.is_file() {
            bail!("{}: the training checkpoint of {} is not there (it ships beside the model)", checkpoint.display(), model.display());
        }
        let hyper = &card.architecture.hyperparameters;
        let number = |k: &str| hyper.get(k).and_then(|v| v.as_f64());
        let p = &card.preprocess;
        cfg.arch = card.architecture.name.clone();
        cfg.width = number("width").unwrap_or(1.0);
        cfg.input_size = p.width;
        cfg.dropout = number("dropout").unwrap_or(cfg.dropout);
        if let Some(r) = number("ca_reduction") {
            cfg.ca_reduction = r as i64;
        }
        cfg.color = p.color;
        // The normalization whose spec is the card's; any other preprocessing is not ours.
        let wanted = p.clone();
        cfg.normalization = [Normalization::Symmetric, Normalization::Imagenet, Normalization::Unit]
            .into_iter()
            .find(|n| TrainConfig { normalization: *n, ..cfg.clone() }.preprocess() == wanted)
            .with_context(|| format!("{}: its preprocessing {wanted:?} is not one host-train makes", model.display()))?;
        cfg.classes = Some(card.classes.name.clone());
        cfg.input = match (card.input, &cfg.input) {
            (InputSource::Crop, _) => InputConfig::Crop,
            (InputSource::LandmarkMask { margin, style }, InputConfig::LandmarkMask { models, cache_dir, .. }) => {
                InputConfig::LandmarkMask { margin, style, models: models.clone(), cache_dir: cache_dir.clone() }
            }
            (InputSource::LandmarkMask { .. }, InputConfig::Crop) => {
                bail!("{} classifies landmark masks: add --input landmark-mask (its margin and style come from the card)", model.display())
            }
            (InputSource::Landmarks { .. }, _) => {
                bail!("{} classifies landmark features: train it with `host-train landmarks`", model.display())
            }
        };
        cfg.pretrained = None;
        cfg.init = Some(checkpoint);
        Ok(cfg)
    }

    /// Writes `config.toml` into `dir`, atomically.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let path = dir.join("config.toml");
        let text = toml::to_string_pretty(self).context("serializing the config")?;
        shared::atomic::write(&path, text.as_bytes()).with_context(|| format!("writing {}", path.display()))
    }

    /// Reads `config.toml` from `dir`.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join("config.toml");
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("{}: not a valid training config", path.display()))
    }
}
