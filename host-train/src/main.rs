//! `host-train`: trains, evaluates and benchmarks Signspell's models with libtorch.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use host_train::data::Format;
use host_train::data::augment::AugmentConfig;
use host_train::data::landmarks::InputConfig;
use host_train::data::split::Split;
use host_train::export::{ExportOptions, WeightForm};
use host_train::model::{self, ModelSpec};
use host_train::runtime;
use host_train::train::optim::{OptimConfig, OptimKind};
use host_train::train::schedule::ScheduleKind;
use host_train::train::{self, MixConfig, Model, Normalization, SelectBy, TrainConfig};
use shared::card::{MaskStyle, SplitKind};
use shared::preprocess::ColorMode;
use tch::nn::ModuleT;
use tch::{Kind, Tensor};

/// Signspell's host trainer.
#[derive(Parser, Debug)]
#[command(name = "host-train", version, about)]
struct Cli {
    /// CPU threads for libtorch (default: one per core). Use fewer when another
    /// process holds a core: libtorch's threads collapse when they must share.
    #[arg(long, global = true)]
    threads: Option<usize>,
    /// Run on the CPU even when a GPU is available.
    #[arg(long, global = true)]
    cpu: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Train a model on a dataset; evaluates the best checkpoint on the test split.
    Train(Box<TrainArgs>),
    /// Evaluate a run's best checkpoint and write its reports.
    Eval(EvalArgs),
    /// Export a run's best checkpoint to ONNX (float or int8) with its model card,
    /// after the tract parity gate passes.
    Export(ExportArgs),
    /// Measure tract inference latency of ONNX files side by side (batch 1, one
    /// thread), e.g. a float and an int8 export of the same run.
    Latency(LatencyArgs),
    /// Measure training throughput (images/s) of an architecture on random inputs.
    Bench(BenchArgs),
    /// List the files of one part of a run's split, relative to the dataset root (e.g.
    /// the held-out test frames shipped beside a model as `NAME.heldout.txt`).
    SplitFiles(SplitFilesArgs),
    /// Print an architecture's layers with output shapes and parameter counts, ending
    /// with `total params: N`.
    Summary(SummaryArgs),
    /// Train the landmark classifier on every source of hands: measured leave one
    /// source out, then trained on all and exported (`--export FILE`).
    Landmarks(host_train::cmd::landmarks::LandmarksArgs),
    /// Print the libtorch runtime: device, CUDA backend, threads (JSON).
    Info,
}

#[derive(Args, Debug)]
struct SummaryArgs {
    /// Architecture (see `train --arch`).
    #[arg(long)]
    arch: String,
    /// Classes.
    #[arg(long)]
    classes: usize,
    /// Input side in pixels.
    #[arg(long, default_value_t = 224)]
    input_size: i64,
    /// Input channels (3 for RGB, 1 for gray).
    #[arg(long, default_value_t = 3)]
    channels: i64,
    /// Width multiplier (scalable architectures only).
    #[arg(long, default_value_t = 1.0)]
    width: f64,
    /// Print the rows as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct TrainArgs {
    /// Dataset: an image folder, a Kaggle CSV (or folder of them), an AHDD folder,
    /// X.npy/Y.npy folder or an .npz file.
    #[arg(long, required_unless_present = "resume")]
    dataset: Option<PathBuf>,
    /// Dataset format (detected when not given).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Force a built-in class table (e.g. arsl2018-29).
    #[arg(long)]
    classes: Option<String>,
    /// Skip corrupt or truncated files, reporting how many.
    #[arg(long)]
    skip_bad: bool,
    /// Use only the first N samples of each class.
    #[arg(long)]
    limit_per_class: Option<usize>,
    /// Architecture.
    #[arg(long, default_value = "mobilenetv2")]
    arch: String,
    /// Width multiplier.
    #[arg(long, default_value_t = 1.0)]
    width: f64,
    /// Input side in pixels.
    #[arg(long, default_value_t = 128)]
    input_size: u32,
    /// Input colour.
    #[arg(long, value_enum, default_value = "rgb")]
    color: ColorArg,
    /// Input normalization.
    #[arg(long, value_enum, default_value = "imagenet")]
    normalization: Normalization,
    /// Dropout before the classifier.
    #[arg(long, default_value_t = 0.2)]
    dropout: f64,
    /// Channel-attention reduction ratio.
    #[arg(long, default_value_t = 16)]
    ca_reduction: i64,
    /// Epochs.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Batch size.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Optimizer.
    #[arg(long, value_enum, default_value = "adamw")]
    optimizer: OptimKind,
    /// Peak learning rate.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Weight decay.
    #[arg(long, default_value_t = 1e-4)]
    weight_decay: f64,
    /// SGD momentum.
    #[arg(long, default_value_t = 0.9)]
    momentum: f64,
    /// Learning-rate schedule.
    #[arg(long, value_enum, default_value = "onecycle")]
    schedule: ScheduleKind,
    /// Plateau schedule patience (epochs).
    #[arg(long, default_value_t = 2)]
    plateau_patience: usize,
    /// One-cycle warm-up: the fraction of the steps spent rising to the peak rate
    /// (PyTorch's pct_start).
    #[arg(long, default_value_t = 0.3)]
    warmup_fraction: f64,
    /// Weight the loss by inverse class frequency.
    #[arg(long)]
    class_weights: bool,
    /// Label smoothing.
    #[arg(long, default_value_t = 0.0)]
    label_smoothing: f64,
    /// Clip the gradients' global norm.
    #[arg(long)]
    clip_grad: Option<f64>,
    /// Stop after N epochs without improvement.
    #[arg(long)]
    early_stop: Option<usize>,
    /// Metric selecting the best checkpoint.
    #[arg(long, value_enum, default_value = "val-accuracy")]
    select_by: SelectBy,
    /// Split kind (default: the dataset's own test split when it has one, else
    /// stratified).
    #[arg(long, value_enum)]
    split: Option<SplitArg>,
    /// Validation fraction.
    #[arg(long, default_value_t = 0.15)]
    val_fraction: f64,
    /// Test fraction.
    #[arg(long, default_value_t = 0.15)]
    test_fraction: f64,
    /// Consecutive frames per group (grouped split).
    #[arg(long, default_value_t = 10)]
    group_size: usize,
    /// Seed for the split, initialization, augmentation and shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Initialize from ImageNet MobileNetV2 weights in a TFLite file (e.g.
    /// ../shared/models/mobilenet_v2_imagenet/mobilenet_v2_1.0_224_quant.tflite);
    /// needs --arch mobilenetv2 --width 1.0, best with --normalization symmetric.
    #[arg(long)]
    pretrained: Option<PathBuf>,
    /// Keep batch-norm statistics fixed while training (fine-tuning pretrained weights).
    #[arg(long)]
    freeze_bn: bool,
    /// Turn augmentation off.
    #[arg(long)]
    no_augment: bool,
    /// Horizontal flip probability (default 0.5; 0 for handwritten digits).
    #[arg(long)]
    hflip: Option<f64>,
    /// Threads decoding and augmenting.
    #[arg(long, default_value_t = 1)]
    loader_threads: usize,
    /// Batches prepared ahead of the model.
    #[arg(long, default_value_t = 4)]
    prefetch: usize,
    /// What the model sees: the pictures, or the hand's landmarks drawn as a skeleton
    /// on black (found once with MediaPipe's models and cached).
    #[arg(long, value_enum, default_value = "crop")]
    input: InputArg,
    /// Landmark masks: black margin around the hand, as a fraction of the side.
    #[arg(long, default_value_t = 0.1)]
    mask_margin: f32,
    /// Landmark masks: white bones (seed 002), or each finger in its own colour with
    /// nearer bones over farther ones.
    #[arg(long, value_enum, default_value = "white")]
    mask_style: MaskStyleArg,
    /// Landmark masks: turn the hand by up to this many degrees about the vertical axis
    /// before drawing each training mask (another viewpoint).
    #[arg(long, default_value_t = 0.0)]
    landmark_yaw: f64,
    /// Landmark masks: the same about the horizontal axis.
    #[arg(long, default_value_t = 0.0)]
    landmark_pitch: f64,
    /// Landmark masks: scale each bone by 1 ± up to this (another hand's proportions).
    #[arg(long, default_value_t = 0.0)]
    landmark_bones: f64,
    /// Landmark masks: point noise, as a fraction of the hand's size (rougher landmarks).
    #[arg(long, default_value_t = 0.0)]
    landmark_noise: f64,
    /// Landmark masks: folder with palm_detection_lite.onnx and hand_landmark_lite.onnx
    /// (default: ../shared/models/mediapipe, found from the working directory up).
    #[arg(long)]
    hands_models: Option<PathBuf>,
    /// Landmark masks: where the per-dataset landmark caches live (default: a
    /// `landmarks` folder beside the run directory, shared by the runs there).
    #[arg(long)]
    landmarks_cache: Option<PathBuf>,
    /// Fine-tune a shipped model: its card (this ONNX file) sets the architecture,
    /// input, normalization and classes, and its training checkpoint beside it
    /// (`NAME.safetensors`) the starting weights. Overrides --arch, --width,
    /// --input-size, --color, --normalization, --dropout, --classes and --input.
    #[arg(long)]
    init: Option<PathBuf>,
    /// Add this dataset's samples to the training part (e.g. the model's original data,
    /// so adaptation forgets nothing); same class table.
    #[arg(long)]
    mix: Option<PathBuf>,
    /// With --mix: at most N samples of each class.
    #[arg(long)]
    mix_per_class: Option<usize>,
    /// With --mix: leave out the files listed here (paths relative to the mixed
    /// dataset's root, e.g. models/asl-alphabet.heldout.txt).
    #[arg(long)]
    mix_exclude: Option<PathBuf>,
    /// Run directory (config, split, checkpoints, metrics, reports).
    #[arg(long)]
    out: PathBuf,
    /// Continue the run in --out from its last checkpoint (its saved config wins).
    #[arg(long)]
    resume: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum InputArg {
    Crop,
    LandmarkMask,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum MaskStyleArg {
    White,
    Fingers,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ColorArg {
    Rgb,
    Gray,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SplitArg {
    Stratified,
    Grouped,
    Dataset,
}

#[derive(Args, Debug)]
struct EvalArgs {
    /// Run directory written by `train`.
    #[arg(long)]
    run: PathBuf,
    /// Evaluate on another dataset (all of it, or its own test split with --split test).
    #[arg(long)]
    dataset: Option<PathBuf>,
    /// Which samples: test, val, train (the run's split) or all.
    #[arg(long, default_value = "test")]
    split: String,
    /// Where to write the reports (default: the run directory).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Batch size.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Evaluate this exported ONNX file in tract (as the device runs it) instead of
    /// the run's best checkpoint in libtorch.
    #[arg(long)]
    onnx: Option<PathBuf>,
    /// With --dataset: read it with this built-in class table (default: its own).
    #[arg(long)]
    classes: Option<String>,
}

#[derive(Args, Debug)]
struct ExportArgs {
    /// Run directory written by `train`.
    #[arg(long)]
    run: PathBuf,
    /// Output file (default: models/<card name>.onnx).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Store weights as int8 (per-channel, weight-only: 4x smaller files, float
    /// speed in tract, which dequantizes them at load). Same as --int8-form weights-only.
    #[arg(long)]
    int8: bool,
    /// Int8 form (implies --int8): weights-only (default), or a static form calibrated
    /// on the run's training images: qdq-tensor (QDQ, per-tensor i8 weights, u8
    /// activations), qdq-channel (QDQ, per-channel weights), qlinear (QLinearConv +
    /// QLinearMatMul, per-channel weights).
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(WeightForm::NAMES))]
    int8_form: Option<String>,
    /// Images that calibrate the static int8 forms (spread evenly over the pool).
    #[arg(long, default_value_t = 200)]
    calib_images: usize,
    /// Calibrate on this dataset (any format `train` reads) instead of the run's
    /// training split.
    #[arg(long)]
    calibration: Option<PathBuf>,
    /// Held-out images the parity gate compares (at least 100).
    #[arg(long, default_value_t = 200)]
    parity_images: usize,
}

#[derive(Args, Debug)]
struct LatencyArgs {
    /// ONNX files written by `export`.
    #[arg(required = true)]
    models: Vec<PathBuf>,
    /// Timed runs per model (after 5 warm-up runs).
    #[arg(long, default_value_t = 50)]
    runs: usize,
    /// Print JSON lines.
    #[arg(long)]
    json: bool,
    /// Also time each int8 weight-only file with its weights dequantized to float
    /// before tract loads it (what a loader can do to keep the 4x smaller file).
    /// Static int8 forms (QDQ, QLinear) are timed as stored.
    #[arg(long)]
    dequantize_at_load: bool,
}

#[derive(Args, Debug)]
struct BenchArgs {
    /// Architecture.
    #[arg(long, default_value = "mobilenetv2")]
    arch: String,
    /// Width multiplier.
    #[arg(long, default_value_t = 1.0)]
    width: f64,
    /// Input side.
    #[arg(long, default_value_t = 224)]
    input_size: i64,
    /// Input channels.
    #[arg(long, default_value_t = 3)]
    channels: i64,
    /// Classes.
    #[arg(long, default_value_t = 29)]
    classes: usize,
    /// Batch size.
    #[arg(long, default_value_t = 32)]
    batch: i64,
    /// Timed steps (after 2 warm-up steps).
    #[arg(long, default_value_t = 10)]
    steps: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = runtime::init(cli.threads, cli.cpu);
    tracing::info!(device = ?rt.device, threads = rt.threads, cuda = %rt.cuda_backend, "libtorch ready");
    match cli.command {
        Command::Info => {
            // Prove libtorch computes on the chosen device, not only that it loaded.
            let x = Tensor::from_slice(&[1f32, 2., 3.]).to_device(rt.device);
            let sum = (&x * &x).sum(Kind::Float).double_value(&[]);
            let mut v = serde_json::to_value(&rt)?;
            v["check_sum_of_squares"] = serde_json::json!(sum);
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        Command::Train(args) => {
            let out = args.out.clone();
            let (cfg, resume) = train_config(*args)?;
            let report = train::train(&cfg, &out, rt.device, resume)?;
            println!("{}", report.to_text());
        }
        Command::Eval(args) => eval(args, rt.device)?,
        Command::Landmarks(a) => {
            let outcome = host_train::cmd::landmarks::run(&a, rt.device)?;
            println!("{}", serde_json::to_string_pretty(&outcome.exported)?);
        }
        Command::Summary(a) => summary(a)?,
        Command::Export(a) => {
            let form = match (&a.int8_form, a.int8) {
                (Some(name), _) => WeightForm::int8(name).context("unknown --int8-form")?,
                (None, true) => WeightForm::Int8WeightOnly,
                (None, false) => WeightForm::Float,
            };
            let out = match a.out {
                Some(o) => o,
                None => host_train::export::default_out(&a.run, form)?,
            };
            if a.parity_images < 100 {
                bail!("--parity-images must be at least 100");
            }
            let summary = host_train::export::export(&ExportOptions {
                run: a.run,
                out,
                form,
                parity_images: a.parity_images,
                calib_images: a.calib_images,
                calibration: a.calibration,
            })?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        Command::Bench(args) => bench(args, rt.device, rt.threads)?,
        Command::Latency(args) => latency(args)?,
        Command::SplitFiles(args) => split_files(args)?,
    }
    Ok(())
}

fn train_config(a: TrainArgs) -> Result<(TrainConfig, bool)> {
    if a.resume && a.out.join("config.toml").exists() {
        return Ok((TrainConfig::load(&a.out)?, true));
    }
    let dataset = a.dataset.context("--dataset is required (or --resume with an existing run)")?;
    let format = match a.format {
        Some(f) => f,
        None => host_train::data::detect_format(&dataset)?,
    };
    let split = match a.split {
        Some(SplitArg::Stratified) => SplitKind::Stratified,
        Some(SplitArg::Grouped) => SplitKind::Grouped,
        Some(SplitArg::Dataset) => SplitKind::Dataset,
        None if format == Format::KaggleCsv && dataset.is_dir() => SplitKind::Dataset,
        None => SplitKind::Stratified,
    };
    let handwritten = format == Format::FileNameLabels;
    let mut augment = if a.no_augment { AugmentConfig::off() } else { AugmentConfig::default() };
    augment.hflip = a.hflip.unwrap_or(if handwritten { 0.0 } else { augment.hflip });
    let input = match a.input {
        InputArg::Crop => InputConfig::Crop,
        InputArg::LandmarkMask => {
            if !(0.0..0.5).contains(&a.mask_margin) {
                bail!("--mask-margin must lie in 0..0.5, got {}", a.mask_margin);
            }
            // A mask has no colour, light or sensor: only the geometric augmentations
            // mean anything, and a tight crop would cut fingers off.
            augment = AugmentConfig {
                crop_area: [0.85, 1.0],
                brightness: 0.0,
                contrast: 0.0,
                saturation: 0.0,
                white_balance: 0.0,
                blur: 0.0,
                noise: 0.0,
                landmark_yaw_deg: a.landmark_yaw,
                landmark_pitch_deg: a.landmark_pitch,
                landmark_bones: a.landmark_bones,
                landmark_noise: a.landmark_noise,
                ..augment
            };
            let beside_run = a.out.parent().unwrap_or(Path::new(".")).join("landmarks");
            let models = match a.hands_models {
                Some(m) => m,
                None => shared::paths::models_dir()
                    .map(|d| d.join("mediapipe"))
                    .context("no ../shared/models/mediapipe: pass --hands-models DIR (or set SIGNSPELL_SHARED)")?,
            };
            InputConfig::LandmarkMask {
                margin: a.mask_margin,
                style: match a.mask_style {
                    MaskStyleArg::White => MaskStyle::White,
                    MaskStyleArg::Fingers => MaskStyle::Fingers,
                },
                models,
                cache_dir: a.landmarks_cache.unwrap_or(beside_run),
            }
        }
    };
    if !(a.warmup_fraction > 0.0 && a.warmup_fraction < 1.0) {
        bail!("--warmup-fraction must lie strictly between 0 and 1, got {}", a.warmup_fraction);
    }
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
    let cfg = match &a.init {
        Some(model) => cfg.init_from_model(model)?,
        None => cfg,
    };
    Ok((cfg, a.resume))
}

fn eval(a: EvalArgs, device: tch::Device) -> Result<()> {
    let mut cfg = TrainConfig::load(&a.run)?;
    let own_data = a.dataset.is_none();
    if let Some(d) = a.dataset {
        cfg.dataset = d;
        cfg.format = None;
        cfg.limit_per_class = None;
        // Its own labels: the run's forced table (e.g. from --init) may not name them.
        cfg.classes = a.classes.clone();
    }
    let ds = train::load_dataset(&cfg)?;
    let indices: Vec<usize> = match (a.split.as_str(), own_data) {
        ("all", _) => (0..ds.samples.len()).collect(),
        (s @ ("test" | "val" | "train"), true) => {
            let split = Split::load(&a.run.join("split.json"), &ds)?;
            match s {
                "test" => split.test,
                "val" => split.val,
                _ => split.train,
            }
        }
        ("test", false) => {
            let own: Vec<usize> = ds
                .samples
                .iter()
                .enumerate()
                .filter(|(_, s)| s.subset == Some(host_train::data::Subset::Test))
                .map(|(i, _)| i)
                .collect();
            if own.is_empty() {
                bail!("{} has no test split of its own: use --split all", cfg.dataset.display());
            }
            own
        }
        (other, _) => bail!("--split must be test, val, train or all, not '{other}'"),
    };
    let pool = train::loader_pool(cfg.loader_threads)?;
    let report = match &a.onnx {
        Some(path) => {
            let engine = shared::tract_model::TractModel::load(path)
                .with_context(|| format!("cannot use {}", path.display()))?;
            // The run's architecture with the file's classes, for the parameter count.
            let params = model::parameter_count(&Model::build(&cfg, engine.card.classes.len(), device)?.vs);
            let e = train::evaluate_onnx(&engine, &ds, &indices, a.batch, &pool)?;
            let name = format!("{} ({}, tract)", cfg.arch, path.display());
            let labels: Vec<String> = engine.card.classes.classes.iter().map(|c| c.label.clone()).collect();
            train::report_named(&name, &labels, &e, params, &a.split)?
        }
        None => {
            let model = Model::build(&cfg, ds.classes.len(), device)?;
            train::checkpoint::load(&train::best_checkpoint(&a.run), &model.vs)?;
            let e = train::evaluate(&model, &ds, &indices, &cfg.preprocess(), a.batch, &pool)?;
            train::report_for(&model, &ds, &e, model::parameter_count(&model.vs), &a.split)?
        }
    };
    let out = a.out.unwrap_or(a.run.clone());
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let history = read_history(&a.run)?;
    host_train::eval::write_reports(&out, &report, &history)?;
    println!("{}", report.to_text());
    Ok(())
}

fn read_history(run: &std::path::Path) -> Result<Vec<host_train::eval::EpochRecord>> {
    let path = run.join("metrics.jsonl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Vec::new());
    };
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{}: line {} is not an epoch record", path.display(), i + 1))
        })
        .collect()
}

fn summary(a: SummaryArgs) -> Result<()> {
    let spec = ModelSpec {
        arch: a.arch,
        classes: a.classes,
        in_channels: a.channels,
        input_size: a.input_size,
        width: a.width,
        dropout: 0.0,
        ca_reduction: 16,
        frozen_bn: false,
    };
    let vs = tch::nn::VarStore::new(tch::Device::Cpu);
    let net = model::build(&vs.root(), &spec)?;
    let rows = net.summary(&vs, spec.in_channels, spec.input_size);
    let total = model::parameter_count(&vs);
    if a.json {
        println!("{}", serde_json::json!({"arch": spec.arch, "rows": rows, "total_params": total}));
    } else {
        print!("{}", model::summary_table(&rows, total));
    }
    Ok(())
}

fn bench(a: BenchArgs, device: tch::Device, threads: i32) -> Result<()> {
    tch::manual_seed(0);
    let spec = ModelSpec {
        arch: a.arch.clone(),
        classes: a.classes,
        in_channels: a.channels,
        input_size: a.input_size,
        width: a.width,
        dropout: 0.2,
        ca_reduction: 16,
        frozen_bn: false,
    };
    let vs = tch::nn::VarStore::new(device);
    let net = model::build(&vs.root(), &spec)?;
    let params = model::parameter_count(&vs);
    let mut opt = host_train::train::optim::Optimizer::new(
        &vs,
        OptimConfig { kind: OptimKind::Adamw, lr: 1e-3, weight_decay: 1e-4, momentum: 0.9 },
    );
    let x = Tensor::randn([a.batch, a.channels, a.input_size, a.input_size], (Kind::Float, device));
    let y = Tensor::randint(a.classes as i64, [a.batch], (Kind::Int64, device));
    let mut step = || {
        let loss = net.forward_t(&x, true).cross_entropy_for_logits(&y);
        opt.zero_grad();
        loss.backward();
        opt.step(1e-3);
        loss.double_value(&[])
    };
    for _ in 0..2 {
        step();
    }
    let start = Instant::now();
    for _ in 0..a.steps {
        step();
    }
    let secs = start.elapsed().as_secs_f64();
    let ips = (a.steps as i64 * a.batch) as f64 / secs;
    if a.json {
        println!(
            "{}",
            serde_json::json!({"engine": "tch", "arch": a.arch, "width": a.width, "input_size": a.input_size,
                "batch": a.batch, "steps": a.steps, "threads": threads, "device": format!("{device:?}"),
                "parameters": params, "images_per_sec": ips, "ms_per_step": secs * 1000.0 / a.steps as f64})
        );
    } else {
        println!(
            "tch {} width {} input {} batch {}: {:.1} images/s ({:.1} ms/step, {} threads, {params} params)",
            a.arch,
            a.width,
            a.input_size,
            a.batch,
            ips,
            secs * 1000.0 / a.steps as f64,
            threads
        );
    }
    Ok(())
}

fn latency(a: LatencyArgs) -> Result<()> {
    let mut first: Option<f64> = None;
    if !a.json {
        println!(
            "{:<56}{:<26}{:>8}{:>10}{:>10}{:>10}{:>12}{:>8}",
            "model (tract, batch 1)", "form", "MMAC", "p50 ms", "mean ms", "p90 ms", "bytes", "ratio"
        );
    }
    let mut runs: Vec<(&PathBuf, shared::ModelCard, bool)> = Vec::new();
    for path in &a.models {
        let (card, _) = shared::ModelCard::read_onnx(path).with_context(|| format!("cannot use {}", path.display()))?;
        let weights_only = matches!(&card.quantization, shared::card::Quantization::Int8 { form, .. } if form.starts_with(shared::tract_model::WEIGHTS_ONLY));
        if a.dequantize_at_load && weights_only {
            runs.push((path, card.clone(), false));
            runs.push((path, card, true));
        } else {
            runs.push((path, card, false));
        }
    }
    for (path, card, dequantize) in &runs {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let engine = if *dequantize {
            shared::tract_model::TractModel::from_bytes(&bytes, path)?
        } else {
            shared::tract_model::TractModel::from_bytes_as_stored(&bytes, path)?
        };
        let x = vec![0.1f32; card.preprocess.tensor_len()];
        for _ in 0..5 {
            engine.run(&x)?;
        }
        let mut times: Vec<f64> = (0..a.runs.max(1))
            .map(|_| {
                let start = Instant::now();
                engine.run(&x).map(|_| start.elapsed().as_secs_f64() * 1000.0)
            })
            .collect::<Result<_, _>>()?;
        let [p50, p90] = shared::stats::percentiles(&mut times, &[0.5, 0.9])[..] else { unreachable!("at least one run") };
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        let bytes = std::fs::metadata(path)?.len();
        let ratio = p50 / *first.get_or_insert(p50);
        let label = format!("{}{}", path.display(), if *dequantize { " (dequantized at load)" } else { "" });
        let form = match &card.quantization {
            shared::card::Quantization::Float32 => "float32".to_string(),
            shared::card::Quantization::Int8 { form, calibration_images } if *calibration_images > 0 => {
                format!("{form} ({calibration_images} cal)")
            }
            shared::card::Quantization::Int8 { form, .. } => form.clone(),
        };
        if a.json {
            println!(
                "{}",
                serde_json::json!({"model": label, "file": path, "engine": "tract", "form": form, "dequantized_at_load": dequantize, "mmac": engine.macs as f64 / 1e6, "p50_ms": p50, "mean_ms": mean, "p90_ms": p90, "bytes": bytes, "ratio_to_first": ratio, "quantization": card.quantization})
            );
        } else {
            println!(
                "{:<56}{:<26}{:>8.1}{:>10.3}{:>10.3}{:>10.3}{:>12}{:>8.2}",
                label,
                form,
                engine.macs as f64 / 1e6,
                p50,
                mean,
                p90,
                bytes,
                ratio
            );
        }
    }
    Ok(())
}

#[derive(Args, Debug)]
struct SplitFilesArgs {
    /// Run directory written by `train`.
    #[arg(long)]
    run: PathBuf,
    /// Which part: train, val or test.
    #[arg(long, default_value = "test")]
    part: String,
}

fn split_files(a: SplitFilesArgs) -> Result<()> {
    let cfg = host_train::train::TrainConfig::load(&a.run)?;
    let ds = host_train::train::load_dataset(&cfg)?;
    let split = host_train::data::split::Split::load(&a.run.join("split.json"), &ds)?;
    let part = match a.part.as_str() {
        "train" => &split.train,
        "val" => &split.val,
        "test" => &split.test,
        other => anyhow::bail!("--part {other}: use train, val or test"),
    };
    let root = cfg.dataset.as_path();
    for &i in part {
        let source = Path::new(&ds.samples[i].source);
        println!("{}", source.strip_prefix(root).unwrap_or(source).display());
    }
    Ok(())
}
