//! Training: the loop, its optimizers and schedules, checkpoints and resume, and the
//! evaluation at its end. [`train`] puts the pieces together: the data and its split
//! (mixing in [`crate::data::mix`]), the starting weights ([`checkpoint`]), the epoch
//! loop ([`epoch`], with [`progress`] and early stopping in [`state`]), the test
//! evaluation ([`crate::eval::run`]) and the draft model card ([`card`]).

pub mod card;
pub mod checkpoint;
pub mod config;
pub mod epoch;
pub mod landmark_model;
pub mod optim;
pub mod progress;
pub mod schedule;
pub mod state;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use shared::card::OutputKind;
use tch::{Device, Kind, Reduction, Tensor, nn};

use crate::data::Dataset;
use crate::data::landmarks::{self, InputConfig};
use crate::data::loader::{self, LoaderConfig};
use crate::data::mix::{drop_handless_training, mix_in};
use crate::data::split::Split;
use crate::eval::{self, Report};
pub use crate::eval::run::{Evaluation, evaluate, evaluate_onnx, report_for, report_named};
use crate::model::{self, ModelSpec, Net};
pub use config::{MixConfig, Normalization, SelectBy, TrainConfig};
use checkpoint::RunFiles;
use epoch::Fit;
use optim::Optimizer;
use state::RunState;

/// A model with its weights in a variable store.
pub struct Model {
    /// Where the weights live.
    pub vs: nn::VarStore,
    /// The network.
    pub net: Net,
    /// What was built.
    pub spec: ModelSpec,
}

impl Model {
    /// Builds the model a config describes, for `classes` classes, on `device`.
    pub fn build(cfg: &TrainConfig, classes: usize, device: Device) -> Result<Self> {
        let spec = ModelSpec {
            arch: cfg.arch.clone(),
            classes,
            in_channels: cfg.color.channels() as i64,
            input_size: cfg.input_size as i64,
            width: cfg.width,
            dropout: cfg.dropout,
            ca_reduction: cfg.ca_reduction,
            frozen_bn: cfg.freeze_bn,
        };
        let vs = nn::VarStore::new(device);
        let net = model::build(&vs.root(), &spec)?;
        Ok(Self { vs, net, spec })
    }

    pub(crate) fn binary(&self) -> bool {
        self.spec.output_kind() == OutputKind::BinaryLogit
    }

    pub(crate) fn loss(&self, logits: &Tensor, y: &Tensor, weights: Option<&Tensor>, smoothing: f64) -> Tensor {
        if self.binary() {
            let target = y.to_kind(Kind::Float);
            let w = weights.map(|w| w.index_select(0, y));
            logits.squeeze_dim(1).binary_cross_entropy_with_logits::<&Tensor>(
                &target,
                w.as_ref(),
                None,
                Reduction::Mean,
            )
        } else {
            logits.cross_entropy_loss(y, weights, Reduction::Mean, -100, smoothing)
        }
    }

    pub(crate) fn predict(&self, logits: &Tensor) -> Tensor {
        if self.binary() { logits.squeeze_dim(1).gt(0.0).to_kind(Kind::Int64) } else { logits.argmax(-1, false) }
    }
}

/// A loader thread pool of `threads` threads.
pub fn loader_pool(threads: usize) -> Result<Arc<rayon::ThreadPool>> {
    Ok(Arc::new(
        rayon::ThreadPoolBuilder::new().num_threads(threads.max(1)).thread_name(|i| format!("loader-{i}")).build()?,
    ))
}

/// Loads the dataset a config names and reports what was skipped.
pub fn load_dataset(cfg: &TrainConfig) -> Result<Arc<Dataset>> {
    let start = Instant::now();
    let mut ds = crate::data::load(&cfg.dataset, &cfg.load_options())?;
    if let InputConfig::LandmarkMask { margin, style, models, cache_dir } = &cfg.input {
        let hands = landmarks::landmarks(&ds, models, cache_dir)?;
        let draw = landmarks::MaskDraw { size: cfg.input_size, margin: *margin, style: *style };
        let masks = landmarks::to_masks(&mut ds, &hands, draw)?;
        let without = masks.without_hand().count();
        ds.masks = Some(masks);
        tracing::info!(
            with_hand = ds.samples.len() - without,
            without_hand = without,
            "pictures replaced by landmark masks"
        );
    }
    tracing::info!(
        dataset = %cfg.dataset.display(),
        format = ?ds.format,
        samples = ds.samples.len(),
        classes = ds.classes.len(),
        skipped = ds.skipped.len(),
        seconds = format!("{:.1}", start.elapsed().as_secs_f64()),
        "dataset loaded"
    );
    Ok(Arc::new(ds))
}

/// Trains per `cfg` into `run_dir` (continuing from its last checkpoint when `resume`),
/// evaluates the best checkpoint on the test split, writes the reports and the draft
/// model card, and returns the test report.
pub fn train(cfg: &TrainConfig, run_dir: &Path, device: Device, resume: bool) -> Result<Report> {
    std::fs::create_dir_all(run_dir).with_context(|| format!("creating {}", run_dir.display()))?;
    cfg.save(run_dir)?;
    let (ds, split) = prepare_data(cfg, run_dir, resume)?;
    let spec = cfg.preprocess();
    spec.validate()?;
    tch::manual_seed(cfg.seed as i64);
    let model = Model::build(cfg, ds.classes.len(), device)?;
    let params = model::parameter_count(&model.vs);
    tracing::info!(arch = %cfg.arch, params, train = split.train.len(), val = split.val.len(), test = split.test.len(), "model built");

    let steps_per_epoch = split.train.len().div_ceil(cfg.batch) as u64;
    let mut opt = Optimizer::new(&model.vs, cfg.optim.clone());
    let files = RunFiles::new(run_dir);
    let mut state = start_weights(cfg, &model, &mut opt, &files, resume, steps_per_epoch)?;
    let pool = loader_pool(cfg.loader_threads)?;
    let fit = Fit {
        cfg,
        model: &model,
        ds: &ds,
        split: &split,
        pool: &pool,
        weights: cfg.class_weights.then(|| epoch::class_weights(&ds, &split.train, device)),
        loader: LoaderConfig {
            spec: spec.clone(),
            augment: cfg.augment.clone(),
            batch: cfg.batch,
            shuffle: true,
            seed: cfg.seed,
            prefetch: cfg.prefetch,
        },
        steps_per_epoch,
    };
    epoch::fit(&fit, &mut opt, &mut state, run_dir, &files)?;
    finish(&fit, run_dir, &files, &state, params)
}

/// The dataset and its split (saved as `split.json`, reused on resume), with the mixed-in
/// samples added to the training part and handless masks left out of it.
fn prepare_data(cfg: &TrainConfig, run_dir: &Path, resume: bool) -> Result<(Arc<Dataset>, Split)> {
    let ds = load_dataset(cfg)?;
    let split_path = run_dir.join("split.json");
    let split = if resume && split_path.exists() {
        Split::load(&split_path, &ds)?
    } else {
        let s = crate::data::split::make_split(&ds, &cfg.split_options())?;
        s.save(&split_path)?;
        s
    };
    if split.train.is_empty() || split.val.is_empty() || split.test.is_empty() {
        bail!(
            "split has {} train, {} val, {} test samples: each needs at least one",
            split.train.len(),
            split.val.len(),
            split.test.len()
        );
    }
    let (ds, split) = mix_in(cfg, ds, split)?;
    let split = drop_handless_training(&ds, split);
    Ok((ds, split))
}

/// The run's starting point: its last checkpoint when resuming, else the `--init`
/// checkpoint or the pretrained TFLite weights (or a fresh initialization).
fn start_weights(
    cfg: &TrainConfig,
    model: &Model,
    opt: &mut Optimizer,
    files: &RunFiles,
    resume: bool,
    steps_per_epoch: u64,
) -> Result<RunState> {
    if resume && files.last.exists() {
        return files.resume(&model.vs, opt);
    }
    if let Some(path) = &cfg.init {
        checkpoint::load(path, &model.vs).with_context(|| format!("starting from {}", path.display()))?;
        tracing::info!("initialized from the checkpoint {}", path.display());
    } else if let Some(path) = &cfg.pretrained {
        let loaded = model::pretrained::load_mobilenetv2(&model.vs, &model.spec, path)?;
        tracing::info!(convs = loaded.convs, classifier = loaded.classifier, "initialized from {}", path.display());
    }
    Ok(RunState::new(cfg, steps_per_epoch))
}

/// Evaluates the best checkpoint on the test split and writes the reports and the draft
/// model card.
fn finish(f: &Fit, run_dir: &Path, files: &RunFiles, state: &RunState, params: u64) -> Result<Report> {
    checkpoint::load(&files.best, &f.model.vs)?;
    let test = evaluate(f.model, f.ds, &f.split.test, &f.loader.spec, f.cfg.batch, f.pool)?;
    let report = report_for(f.model, f.ds, &test, params, "test")?;
    eval::write_reports(run_dir, &report, &state.history)?;
    let card = card::draft_card(f.cfg, f.ds, f.split, f.model, params, &report);
    shared::atomic::write(&run_dir.join("card.json"), card.to_json().as_bytes())?;
    tracing::info!(
        accuracy = format!("{:.4}", report.accuracy),
        best_epoch = state.best_epoch,
        "test report written to {}",
        run_dir.display()
    );
    Ok(report)
}

/// A batch as input and label tensors on `device`; `shape` is the spec's input shape.
pub(crate) fn batch_tensors(b: &loader::Batch, shape: &[usize; 4], device: Device) -> (Tensor, Tensor) {
    let n = b.y.len() as i64;
    let x = Tensor::from_slice(&b.x).view([n, shape[1] as i64, shape[2] as i64, shape[3] as i64]).to_device(device);
    (x, Tensor::from_slice(&b.y).to_device(device))
}

/// The run directory's best checkpoint.
pub fn best_checkpoint(run_dir: &Path) -> PathBuf {
    run_dir.join("checkpoints").join("best.safetensors")
}
