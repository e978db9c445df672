//! `host-train train`: trains a model on a dataset, then evaluates its best checkpoint on
//! the test split. The flags map onto [`TrainConfig`]; the policy that fills in what they
//! leave open (split, augmentation, landmark-mask inputs) lives there.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use shared::card::{MaskStyle, SplitKind};
use shared::preprocess::ColorMode;

use crate::data::Format;
use crate::data::landmarks::InputConfig;
use crate::train::optim::{OptimConfig, OptimKind};
use crate::train::schedule::ScheduleKind;
use crate::train::{self, MixConfig, Normalization, SelectBy, TrainConfig};

/// Arguments of `host-train train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Dataset: an image folder, a Kaggle CSV (or folder of them), an AHDD folder,
    /// X.npy/Y.npy folder or an .npz file.
    #[arg(long, required_unless_present = "resume")]
    pub dataset: Option<PathBuf>,
    /// Dataset format (detected when not given).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Force a built-in class table (e.g. arsl2018-29).
    #[arg(long)]
    pub classes: Option<String>,
    /// Skip corrupt or truncated files, reporting how many.
    #[arg(long)]
    pub skip_bad: bool,
    /// Use only the first N samples of each class.
    #[arg(long)]
    pub limit_per_class: Option<usize>,
    /// Architecture.
    #[arg(long, default_value = "mobilenetv2")]
    pub arch: String,
    /// Width multiplier.
    #[arg(long, default_value_t = 1.0)]
    pub width: f64,
    /// Input side in pixels.
    #[arg(long, default_value_t = 128)]
    pub input_size: u32,
    /// Input colour.
    #[arg(long, value_enum, default_value = "rgb")]
    pub color: ColorArg,
    /// Input normalization.
    #[arg(long, value_enum, default_value = "imagenet")]
    pub normalization: Normalization,
    /// Dropout before the classifier.
    #[arg(long, default_value_t = 0.2)]
    pub dropout: f64,
    /// Channel-attention reduction ratio.
    #[arg(long, default_value_t = 16)]
    pub ca_reduction: i64,
    /// Epochs.
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Batch size.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Optimizer.
    #[arg(long, value_enum, default_value = "adamw")]
    pub optimizer: OptimKind,
    /// Peak learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Weight decay.
    #[arg(long, default_value_t = 1e-4)]
    pub weight_decay: f64,
    /// SGD momentum.
    #[arg(long, default_value_t = 0.9)]
    pub momentum: f64,
    /// Learning-rate schedule.
    #[arg(long, value_enum, default_value = "onecycle")]
    pub schedule: ScheduleKind,
    /// Plateau schedule patience (epochs).
    #[arg(long, default_value_t = 2)]
    pub plateau_patience: usize,
    /// One-cycle warm-up: the fraction of the steps spent rising to the peak rate
    /// (PyTorch's pct_start).
    #[arg(long, default_value_t = 0.3)]
    pub warmup_fraction: f64,
    /// Weight the loss by inverse class frequency.
    #[arg(long)]
    pub class_weights: bool,
    /// Label smoothing.
    #[arg(long, default_value_t = 0.0)]
    pub label_smoothing: f64,
    /// Clip the gradients' global norm.
    #[arg(long)]
    pub clip_grad: Option<f64>,
    /// Stop after N epochs without improvement.
    #[arg(long)]
    pub early_stop: Option<usize>,
    /// Metric selecting the best checkpoint.
    #[arg(long, value_enum, default_value = "val-accuracy")]
    pub select_by: SelectBy,
    /// Split kind (default: the dataset's own test split when it has one, else
    /// stratified).
    #[arg(long, value_enum)]
    pub split: Option<SplitArg>,
    /// Validation fraction.
    #[arg(long, default_value_t = 0.15)]
    pub val_fraction: f64,
    /// Test fraction.
    #[arg(long, default_value_t = 0.15)]
    pub test_fraction: f64,
    /// Consecutive frames per group (grouped split).
    #[arg(long, default_value_t = 10)]
    pub group_size: usize,
    /// Seed for the split, initialization, augmentation and shuffling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Initialize from ImageNet MobileNetV2 weights in a TFLite file (e.g.
    /// ../shared/models/mobilenet_v2_imagenet/mobilenet_v2_1.0_224_quant.tflite);
    /// needs --arch mobilenetv2 --width 1.0, best with --normalization symmetric.
    #[arg(long)]
    pub pretrained: Option<PathBuf>,
    /// Keep batch-norm statistics fixed while training (fine-tuning pretrained weights).
    #[arg(long)]
    pub freeze_bn: bool,
    /// Turn augmentation off.
    #[arg(long)]
    pub no_augment: bool,
    /// Horizontal flip probability (default 0.5; 0 for handwritten digits).
    #[arg(long)]
    pub hflip: Option<f64>,
    /// Threads decoding and augmenting.
    #[arg(long, default_value_t = 1)]
    pub loader_threads: usize,
    /// Batches prepared ahead of the model.
    #[arg(long, default_value_t = 4)]
    pub prefetch: usize,
    /// What the model sees: the pictures, or the hand's landmarks drawn as a skeleton
    /// on black (found once with MediaPipe's models and cached).
    #[arg(long, value_enum, default_value = "crop")]
    pub input: InputArg,
    /// Landmark masks: black margin around the hand, as a fraction of the side.
    #[arg(long, default_value_t = 0.1)]
    pub mask_margin: f32,
    /// Landmark masks: white bones (seed 002), or each finger in its own colour with
    /// nearer bones over farther ones.
    #[arg(long, value_enum, default_value = "white")]
    pub mask_style: MaskStyleArg,
    /// Landmark masks: turn the hand by up to this many degrees about the vertical axis
    /// before drawing each training mask (another viewpoint).
    #[arg(long, default_value_t = 0.0)]
    pub landmark_yaw: f64,
    /// Landmark masks: the same about the horizontal axis.
    #[arg(long, default_value_t = 0.0)]
    pub landmark_pitch: f64,
    /// Landmark masks: scale each bone by 1 ± up to this (another hand's proportions).
    #[arg(long, default_value_t = 0.0)]
    pub landmark_bones: f64,
    /// Landmark masks: point noise, as a fraction of the hand's size (rougher landmarks).
    #[arg(long, default_value_t = 0.0)]
    pub landmark_noise: f64,
    /// Landmark masks: folder with palm_detection_lite.onnx and hand_landmark_lite.onnx
    /// (default: ../shared/models/mediapipe, found from the working directory up).
    #[arg(long)]
    pub hands_models: Option<PathBuf>,
    /// Landmark masks: where the per-dataset landmark caches live (default: a
    /// `landmarks` folder beside the run directory, shared by the runs there).
    #[arg(long)]
    pub landmarks_cache: Option<PathBuf>,
    /// Fine-tune a shipped model: its card (this ONNX file) sets the architecture,
    /// input, normalization and classes, and its training checkpoint beside it
    /// (`NAME.safetensors`) the starting weights. Overrides --arch, --width,
    /// --input-size, --color, --normalization, --dropout, --classes and --input.
    #[arg(long)]
    pub init: Option<PathBuf>,
    /// Add this dataset's samples to the training part (e.g. the model's original data,
    /// so adaptation forgets nothing); same class table.
    #[arg(long)]
    pub mix: Option<PathBuf>,
    /// With --mix: at most N samples of each class.
    #[arg(long)]
    pub mix_per_class: Option<usize>,
    /// With --mix: leave out the files listed here (paths relative to the mixed
    /// dataset's root, e.g. models/asl-alphabet.heldout.txt).
    #[arg(long)]
    pub mix_exclude: Option<PathBuf>,
    /// Run directory (config, split, checkpoints, metrics, reports).
    #[arg(long)]
    pub out: PathBuf,
    /// Continue the run in --out from its last checkpoint (its saved config wins).
    #[arg(long)]
    pub resume: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputArg {
    Crop,
    LandmarkMask,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum MaskStyleArg {
    White,
    Fingers,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ColorArg {
    Rgb,
    Gray,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SplitArg {
    Stratified,
    Grouped,
    Dataset,
}

/// Trains per `a` on `device` (resuming with `--resume`) and prints the test report.
pub fn run(a: TrainArgs, device: tch::Device) -> Result<()> {
    let out = a.out.clone();
    let (cfg, resume) = config(a)?;
    let report = train::train(&cfg, &out, device, resume)?;
    println!("{}", report.to_text());
    Ok(())
}

/// The run's config: the saved one when resuming, else the flags' with
/// [`TrainConfig`]'s defaults for what they leave open; and whether to resume.
pub fn config(a: TrainArgs) -> Result<(TrainConfig, bool)> {
    if a.resume && a.out.join("config.toml").exists() {
        return Ok((TrainConfig::load(&a.out)?, true));
    }
    let dataset = a.dataset.context("--dataset is required (or --resume with an existing run)")?;
    let format = match a.format {
        Some(f) => f,
        None => crate::data::detect_format(&dataset)?,
    };
    let split = match a.split {
        Some(SplitArg::Stratified) => SplitKind::Stratified,
        Some(SplitArg::Grouped) => SplitKind::Grouped,
        Some(SplitArg::Dataset) => SplitKind::Dataset,
        None => TrainConfig::default_split(format, &dataset),
    };
    let mut augment = TrainConfig::picture_augment(a.no_augment, a.hflip, format);
    let input = match a.input {
        InputArg::Crop => InputConfig::Crop,
        InputArg::LandmarkMask => {
            let style = match a.mask_style {
                MaskStyleArg::White => MaskStyle::White,
                MaskStyleArg::Fingers => MaskStyle::Fingers,
            };
            let input = TrainConfig::landmark_mask_input(a.mask_margin, style, a.hands_models, a.landmarks_cache, &a.out)?;
            augment = TrainConfig::mask_augment(augment, a.landmark_yaw, a.landmark_pitch, a.landmark_bones, a.landmark_noise);
            input
        }
    };
    let cfg = TrainConfig {
        dataset,
        format: Some(format),
        classes: a.classes,
        skip_bad: a.skip_bad,
        limit_per_class: a.limit_per_class,
        split,
        seed: a.seed,
        val_fraction: a.val_fraction,
        test_fraction: a.test_fraction,
        group_size: a.group_size,
        arch: a.arch,
        width: a.width,
        input_size: a.input_size,
        color: match a.color {
            ColorArg::Rgb => ColorMode::Rgb,
            ColorArg::Gray => ColorMode::Gray,
        },
        normalization: a.normalization,
        dropout: a.dropout,
        ca_reduction: a.ca_reduction,
        augment,
        optim: OptimConfig { kind: a.optimizer, lr: a.lr, weight_decay: a.weight_decay, momentum: a.momentum },
        schedule: a.schedule,
        plateau_patience: a.plateau_patience,
        warmup_fraction: a.warmup_fraction,
        class_weights: a.class_weights,
        label_smoothing: a.label_smoothing,
        clip_grad: a.clip_grad,
        epochs: a.epochs,
        batch: a.batch,
        early_stop: a.early_stop,
        select_by: a.select_by,
        loader_threads: a.loader_threads,
        prefetch: a.prefetch,
        pretrained: a.pretrained,
        freeze_bn: a.freeze_bn,
        input,
        init: None,
        mix: a.mix.map(|dataset| MixConfig { dataset, per_class: a.mix_per_class, exclude: a.mix_exclude }),
    };
    cfg.validate()?;
    let cfg = match &a.init {
        Some(model) => cfg.init_from_model(model)?,
        None => cfg,
    };
    Ok((cfg, a.resume))
}
