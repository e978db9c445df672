//! The resolved training configuration, saved as `config.toml` in the run directory
//! so a run can be resumed and reproduced.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use shared::card::SplitKind;
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
