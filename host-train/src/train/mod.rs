//! Training: the loop, its optimizers and schedules, checkpoints and resume, and the
//! evaluation at its end.

pub mod checkpoint;
pub mod config;
pub mod landmark_model;
pub mod optim;
pub mod schedule;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use shared::{ClassKind, PreprocessSpec};
use shared::card::{Architecture, DatasetInfo, ModelCard, OutputKind, Producer, Quantization};
use tch::nn::ModuleT;
use tch::{Device, Kind, Reduction, Tensor, nn};

use crate::data::Dataset;
use crate::data::landmarks::{self, InputConfig};
use crate::data::augment::AugmentConfig;
use crate::data::loader::{self, LoaderConfig};
use crate::data::split::Split;
use crate::eval::{self, EpochRecord, Report};
use crate::model::{self, ModelSpec, Net};
pub use config::{MixConfig, Normalization, SelectBy, TrainConfig};
use optim::Optimizer;
use schedule::Schedule;

/// The tensor of the last checkpoint that holds the run state (UTF-8 JSON bytes).
const RUN_STATE: &str = "run.state";

/// Progress saved with each checkpoint (inside it as [`RUN_STATE`], and as
/// `checkpoints/state.json` to read).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RunState {
    /// Epochs completed.
    epoch: usize,
    /// Optimizer steps taken.
    step: u64,
    /// Best selection metric (higher is better) and its epoch.
    best: f64,
    best_epoch: usize,
    /// Epochs since the best.
    bad_epochs: usize,
    schedule: Schedule,
    history: Vec<EpochRecord>,
}

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

    fn binary(&self) -> bool {
        self.spec.output_kind() == OutputKind::BinaryLogit
    }

    fn loss(&self, logits: &Tensor, y: &Tensor, weights: Option<&Tensor>, smoothing: f64) -> Tensor {
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

    fn predict(&self, logits: &Tensor) -> Tensor {
        if self.binary() { logits.squeeze_dim(1).gt(0.0).to_kind(Kind::Int64) } else { logits.argmax(-1, false) }
    }
}

/// The result of running a model over samples.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// True class per sample.
    pub labels: Vec<usize>,
    /// Predicted class per sample.
    pub preds: Vec<usize>,
    /// Mean loss.
    pub loss: f64,
    /// Inference throughput (batched, preprocessing excluded).
    pub samples_per_sec: f64,
}

/// Runs `model` over `indices` of `ds` without augmentation.
pub fn evaluate(
    model: &Model,
    ds: &Arc<Dataset>,
    indices: &[usize],
    spec: &PreprocessSpec,
    batch: usize,
    pool: &Arc<rayon::ThreadPool>,
) -> Result<Evaluation> {
    let cfg =
        LoaderConfig { spec: spec.clone(), augment: AugmentConfig::off(), batch, shuffle: false, seed: 0, prefetch: 2 };
    let shape = spec.input_shape();
    let device = model.vs.device();
    let (mut labels, mut preds, mut loss_sum, mut infer_secs) = (Vec::new(), Vec::new(), 0.0, 0.0);
    for b in loader::epoch(ds.clone(), indices, &cfg, 0, pool.clone()) {
        let b = b?;
        let n = b.y.len() as i64;
        let (x, y) = batch_tensors(&b, &shape, device);
        let start = Instant::now();
        let (loss, pred) = tch::no_grad(|| {
            let logits = model.net.forward_t(&x, false);
            (model.loss(&logits, &y, None, 0.0).double_value(&[]), model.predict(&logits))
        });
        let pred: Vec<i64> = Vec::<i64>::try_from(pred.to_device(Device::Cpu))?;
        infer_secs += start.elapsed().as_secs_f64();
        loss_sum += loss * n as f64;
        preds.extend(pred.iter().map(|&p| p as usize));
        labels.extend(b.y.iter().map(|&l| l as usize));
    }
    if labels.is_empty() {
        bail!("nothing to evaluate: the split is empty");
    }
    let n = labels.len() as f64;
    Ok(Evaluation { loss: loss_sum / n, samples_per_sec: n / infer_secs.max(1e-9), labels, preds })
}

/// Runs an exported model in tract (as the device does) over `indices` of `ds`,
/// preprocessed by the model card's own spec, one image at a time.
///
/// Labels and predictions are in the model's class space: each dataset class is
/// matched to the model's class of the same text (the letter or digit it means), or of
/// the same label for `nothing`, `del` and `space`, so a model can be measured on
/// another dataset of the same signs, e.g. the ASL model on sign-mnist's other signers
/// (whose labels are 0..24 for A..Y).
pub fn evaluate_onnx(
    engine: &shared::tract_model::TractModel,
    ds: &Arc<Dataset>,
    indices: &[usize],
    batch: usize,
    pool: &Arc<rayon::ThreadPool>,
) -> Result<Evaluation> {
    let model_classes = &engine.card.classes;
    let to_model: Vec<usize> = ds
        .classes
        .classes
        .iter()
        .map(|c| {
            // What a letter or digit means is its text; `nothing`, `del`, `space` go by label.
            let found = if c.text().is_empty() {
                model_classes.by_label(&c.label)
            } else {
                model_classes.classes.iter().find(|m| m.text() == c.text())
            };
            found.map(|m| m.index as usize).with_context(|| {
                format!(
                    "{}: the model has no class '{}' ('{}') of the dataset",
                    engine.path.display(),
                    c.label,
                    c.text()
                )
            })
        })
        .collect::<Result<_>>()?;
    let spec = engine.card.preprocess.clone();
    let cfg =
        LoaderConfig { spec: spec.clone(), augment: AugmentConfig::off(), batch, shuffle: false, seed: 0, prefetch: 2 };
    let len = spec.tensor_len();
    let (mut labels, mut preds, mut loss_sum, mut infer_secs) = (Vec::new(), Vec::new(), 0.0, 0.0);
    for b in loader::epoch(ds.clone(), indices, &cfg, 0, pool.clone()) {
        let b = b?;
        for (x, &y) in b.x.chunks_exact(len).zip(&b.y) {
            let y = to_model[y as usize];
            let start = Instant::now();
            let probs = engine.probabilities(x)?;
            infer_secs += start.elapsed().as_secs_f64();
            let (pred, p_true) = if probs.len() == 1 {
                let p1 = probs[0] as f64;
                (usize::from(p1 > 0.5), if y == 1 { p1 } else { 1.0 - p1 })
            } else {
                let top = probs.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i);
                (top, probs[y] as f64)
            };
            loss_sum -= p_true.max(1e-12).ln();
            preds.push(pred);
            labels.push(y);
        }
    }
    if labels.is_empty() {
        bail!("nothing to evaluate: the split is empty");
    }
    let n = labels.len() as f64;
    Ok(Evaluation { loss: loss_sum / n, samples_per_sec: n / infer_secs.max(1e-9), labels, preds })
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
    let spec = cfg.preprocess();
    spec.validate()?;
    tch::manual_seed(cfg.seed as i64);
    let model = Model::build(cfg, ds.classes.len(), device)?;
    let params = model::parameter_count(&model.vs);
    tracing::info!(arch = %cfg.arch, params, train = split.train.len(), val = split.val.len(), test = split.test.len(), "model built");

    let steps_per_epoch = split.train.len().div_ceil(cfg.batch) as u64;
    let mut opt = Optimizer::new(&model.vs, cfg.optim.clone());
    let ckpt_dir = run_dir.join("checkpoints");
    let (last_path, best_path, state_path) =
        (ckpt_dir.join("last.safetensors"), ckpt_dir.join("best.safetensors"), ckpt_dir.join("state.json"));
    let mut state = RunState {
        epoch: 0,
        step: 0,
        // Finite: JSON has no infinities, and the state must read back.
        best: f64::MIN,
        best_epoch: 0,
        bad_epochs: 0,
        schedule: Schedule::new(cfg.schedule, cfg.optim.lr, steps_per_epoch * cfg.epochs as u64, cfg.plateau_patience)
            .with_warmup(cfg.warmup_fraction),
        history: Vec::new(),
    };
    if resume && last_path.exists() {
        let rest = checkpoint::load(&last_path, &model.vs)?;
        opt.load_state(&rest);
        // The run state travels inside the checkpoint, so weights, optimizer and progress
        // always come from one atomic write; state.json is its readable copy.
        let text = match rest.iter().find(|(k, _)| k == RUN_STATE) {
            Some((_, t)) => String::from_utf8(Vec::<u8>::try_from(t)?)
                .with_context(|| format!("{}: run state is not UTF-8", last_path.display()))?,
            None => std::fs::read_to_string(&state_path).with_context(|| format!("reading {}", state_path.display()))?,
        };
        state =
            serde_json::from_str(&text).with_context(|| format!("{}: not a valid run state", last_path.display()))?;
        tracing::info!(epoch = state.epoch, "resumed from {}", last_path.display());
    } else if let Some(path) = &cfg.init {
        checkpoint::load(path, &model.vs).with_context(|| format!("starting from {}", path.display()))?;
        tracing::info!("initialized from the checkpoint {}", path.display());
    } else if let Some(path) = &cfg.pretrained {
        let loaded = model::pretrained::load_mobilenetv2(&model.vs, &model.spec, path)?;
        tracing::info!(convs = loaded.convs, classifier = loaded.classifier, "initialized from {}", path.display());
    }

    let weights = cfg.class_weights.then(|| class_weights(&ds, &split.train, device));
    let pool = loader_pool(cfg.loader_threads)?;
    let loader_cfg = LoaderConfig {
        spec: spec.clone(),
        augment: cfg.augment.clone(),
        batch: cfg.batch,
        shuffle: true,
        seed: cfg.seed,
        prefetch: cfg.prefetch,
    };
    let shape = spec.input_shape();
    for epoch in state.epoch + 1..=cfg.epochs {
        if cfg.early_stop.is_some_and(|p| state.bad_epochs >= p) {
            tracing::info!(epoch = state.epoch, best_epoch = state.best_epoch, "early stop");
            break;
        }
        tch::manual_seed((cfg.seed as i64).wrapping_mul(1000).wrapping_add(epoch as i64));
        let bar = ProgressBar::new(steps_per_epoch);
        bar.set_style(
            ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {msg} eta {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("{epoch}/{}", cfg.epochs));
        let start = Instant::now();
        let (mut loss_sum, mut correct, mut seen) = (0.0, 0i64, 0usize);
        let mut lr = state.schedule.lr_at(state.step);
        let batches = loader::epoch(ds.clone(), &split.train, &loader_cfg, epoch as u64, pool.clone());
        let mut waited = 0.0;
        loop {
            let wait_start = Instant::now();
            let Ok(b) = batches.recv() else { break };
            waited += wait_start.elapsed().as_secs_f64();
            let b = b?;
            let n = b.y.len();
            let (x, y) = batch_tensors(&b, &shape, device);
            let logits = model.net.forward_t(&x, true);
            let loss = model.loss(&logits, &y, weights.as_ref(), cfg.label_smoothing);
            opt.zero_grad();
            loss.backward();
            if let Some(max) = cfg.clip_grad {
                opt.clip_grad_norm(max);
            }
            lr = state.schedule.lr_at(state.step);
            opt.step(lr);
            state.step += 1;
            let l = loss.double_value(&[]);
            if !l.is_finite() {
                bail!("training diverged at epoch {epoch}: loss {l} (try a lower --lr or --clip-grad)");
            }
            loss_sum += l * n as f64;
            correct += model.predict(&logits).eq_tensor(&y).sum(Kind::Int64).int64_value(&[]);
            seen += n;
            let secs = start.elapsed().as_secs_f64();
            bar.set_message(format!(
                "loss {:.4} acc {:.3} {:.0} img/s, waiting for data {:.0}%",
                loss_sum / seen as f64,
                correct as f64 / seen as f64,
                seen as f64 / secs,
                100.0 * waited / secs
            ));
            bar.inc(1);
        }
        bar.finish_and_clear();
        let train_secs = start.elapsed().as_secs_f64();
        let val = evaluate(&model, &ds, &split.val, &spec, cfg.batch, &pool)?;
        let val_acc = accuracy(&val);
        let record = EpochRecord {
            epoch,
            train_loss: loss_sum / seen as f64,
            train_accuracy: correct as f64 / seen as f64,
            val_loss: val.loss,
            val_accuracy: val_acc,
            lr,
            seconds: start.elapsed().as_secs_f64(),
            images_per_sec: seen as f64 / train_secs,
        };
        tracing::info!(
            "epoch {epoch}/{}: train loss {:.4} acc {:.4} | val loss {:.4} acc {:.4} | {:.0} img/s, {:.0} s, {:.0}% waiting for data",
            cfg.epochs,
            record.train_loss,
            record.train_accuracy,
            record.val_loss,
            record.val_accuracy,
            record.images_per_sec,
            record.seconds,
            100.0 * waited / train_secs
        );
        state.history.push(record);
        let metric = match cfg.select_by {
            SelectBy::ValAccuracy => val_acc,
            SelectBy::ValLoss => -val.loss,
        };
        state.schedule.end_epoch(metric);
        if metric > state.best {
            state.best = metric;
            state.best_epoch = epoch;
            state.bad_epochs = 0;
            checkpoint::save(&best_path, &model.vs, &[])?;
        } else {
            state.bad_epochs += 1;
        }
        state.epoch = epoch;
        write_metrics(run_dir, &state.history)?;
        let json = serde_json::to_string_pretty(&state)?;
        let mut extra = opt.state_tensors();
        extra.push((RUN_STATE.to_string(), Tensor::from_slice(json.as_bytes())));
        checkpoint::save(&last_path, &model.vs, &extra)?;
        shared::atomic::write(&state_path, json.as_bytes())
            .with_context(|| format!("writing {}", state_path.display()))?;
    }

    checkpoint::load(&best_path, &model.vs)?;
    let test = evaluate(&model, &ds, &split.test, &spec, cfg.batch, &pool)?;
    let report = report_for(&model, &ds, &test, params, "test")?;
    eval::write_reports(run_dir, &report, &state.history)?;
    let card = draft_card(cfg, &ds, &split, &model, params, &report);
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
fn batch_tensors(b: &loader::Batch, shape: &[usize; 4], device: Device) -> (Tensor, Tensor) {
    let n = b.y.len() as i64;
    let x = Tensor::from_slice(&b.x).view([n, shape[1] as i64, shape[2] as i64, shape[3] as i64]).to_device(device);
    (x, Tensor::from_slice(&b.y).to_device(device))
}

fn accuracy(e: &Evaluation) -> f64 {
    e.labels.iter().zip(&e.preds).filter(|(a, b)| a == b).count() as f64 / e.labels.len().max(1) as f64
}

/// Builds the report of an evaluation.
pub fn report_for(model: &Model, ds: &Dataset, e: &Evaluation, params: u64, split: &str) -> Result<Report> {
    let labels: Vec<String> = ds.classes.classes.iter().map(|c| c.label.clone()).collect();
    report_named(&model.spec.arch, &labels, e, params, split)
}

/// The report of an evaluation of the model named `name` whose class indices name
/// `labels`.
pub fn report_named(name: &str, labels: &[String], e: &Evaluation, params: u64, split: &str) -> Result<Report> {
    let mut report = eval::compute(&e.labels, &e.preds, labels)?;
    report.loss = Some(e.loss);
    report.parameters = Some(params);
    report.inference_samples_per_sec = Some(e.samples_per_sec);
    report.split = Some(split.to_string());
    report.model = Some(name.to_string());
    Ok(report)
}

/// Inverse-frequency class weights over the training samples, mean 1.
fn class_weights(ds: &Dataset, train: &[usize], device: Device) -> Tensor {
    let k = ds.classes.len();
    let mut counts = vec![0f64; k];
    for &i in train {
        counts[ds.samples[i].label as usize] += 1.0;
    }
    let n = train.len() as f64;
    let w: Vec<f32> = counts.iter().map(|&c| if c > 0.0 { (n / (k as f64 * c)) as f32 } else { 0.0 }).collect();
    Tensor::from_slice(&w).to_device(device)
}

/// Rewrites `metrics.jsonl` (one line per epoch) atomically.
fn write_metrics(run_dir: &Path, history: &[EpochRecord]) -> Result<()> {
    let mut text = String::new();
    for r in history {
        text += &serde_json::to_string(r)?;
        text.push('\n');
    }
    let path = run_dir.join("metrics.jsonl");
    shared::atomic::write(&path, text.as_bytes()).with_context(|| format!("writing {}", path.display()))
}

/// The model card export will store in the ONNX file (float; export fills in
/// quantization).
fn draft_card(
    cfg: &TrainConfig,
    ds: &Dataset,
    split: &Split,
    model: &Model,
    params: u64,
    report: &Report,
) -> ModelCard {
    let mut hyper = BTreeMap::new();
    hyper.insert("width".to_string(), serde_json::json!(cfg.width));
    hyper.insert("input_size".to_string(), serde_json::json!(cfg.input_size));
    hyper.insert("dropout".to_string(), serde_json::json!(cfg.dropout));
    if cfg.arch.ends_with("-ca") || cfg.arch == "custom-cnn" {
        hyper.insert("ca_reduction".to_string(), serde_json::json!(cfg.ca_reduction));
    }
    let name = ds.root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| ds.name.clone());
    ModelCard {
        schema: shared::card::SCHEMA.into(),
        schema_version: shared::card::SCHEMA_VERSION,
        name: format!("{name}-{}-{}-{}", cfg.arch, cfg.width, cfg.input_size),
        classes: ds.classes.clone(),
        preprocess: cfg.preprocess(),
        input: cfg.input.source(),
        output: model.spec.output_kind(),
        architecture: Architecture { name: cfg.arch.clone(), hyperparameters: hyper },
        parameters: params,
        dataset: DatasetInfo {
            name: ds.name.clone(),
            path: Some(cfg.dataset.display().to_string()),
            split: split.info(),
        },
        metrics: BTreeMap::from([
            ("test_accuracy".to_string(), report.accuracy),
            ("test_macro_f1".to_string(), report.macro_avg.f1),
        ]),
        quantization: Quantization::Float32,
        producer: Producer { name: "host-train".into(), version: env!("CARGO_PKG_VERSION").into() },
    }
}

/// Appends the samples of `cfg.mix` (same class table) to the dataset and their indices
/// to the training part; validation and test stay the run's own data.
fn mix_in(cfg: &TrainConfig, ds: Arc<Dataset>, mut split: Split) -> Result<(Arc<Dataset>, Split)> {
    let Some(mix) = &cfg.mix else { return Ok((ds, split)) };
    let mix_cfg = TrainConfig { dataset: mix.dataset.clone(), format: None, limit_per_class: None, mix: None, ..cfg.clone() };
    let other = load_dataset(&mix_cfg)?;
    if other.classes != ds.classes {
        bail!(
            "{}: class table '{}' is not the run's '{}' (pass --classes {})",
            mix.dataset.display(),
            other.classes.name,
            ds.classes.name,
            ds.classes.name
        );
    }
    let exclude: std::collections::HashSet<String> = match &mix.exclude {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("reading {}", p.display()))?
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect(),
        None => Default::default(),
    };
    let relative = |source: &str| {
        Path::new(source).strip_prefix(&other.root).map(|r| r.to_string_lossy().into_owned()).unwrap_or_else(|_| source.to_string())
    };
    let mut ds = Arc::unwrap_or_clone(ds);
    let mut per_class = vec![0usize; other.classes.len()];
    let (mut added, mut excluded) = (0, 0);
    for (i, s) in other.samples.iter().enumerate() {
        if exclude.contains(&relative(&s.source)) {
            excluded += 1;
            continue;
        }
        let n = &mut per_class[s.label as usize];
        if mix.per_class.is_some_and(|cap| *n >= cap) {
            continue;
        }
        *n += 1;
        split.train.push(ds.samples.len());
        ds.samples.push(s.clone());
        if let (Some(m), Some(o)) = (&mut ds.masks, &other.masks) {
            m.points.push(o.points[i]);
        }
        added += 1;
    }
    if exclude.len() > excluded {
        tracing::warn!(listed = exclude.len(), matched = excluded, "some excluded files are not in {}", mix.dataset.display());
    }
    tracing::info!(added, excluded, dataset = %mix.dataset.display(), "mixed into the training part");
    Ok((Arc::new(ds), split))
}

/// Landmark-mask training leaves out the training samples in which no hand was found
/// (a black mask labelled with a letter would teach the model that a black mask is that
/// letter), except in classes that show no hand (`nothing`). Validation and test keep
/// every sample, so their accuracy counts the pictures the hand stage misses.
fn drop_handless_training(ds: &Dataset, mut split: Split) -> Split {
    let Some(masks) = &ds.masks else { return split };
    let without: std::collections::HashSet<usize> = masks.without_hand().collect();
    let before = split.train.len();
    split.train.retain(|i| {
        !without.contains(i) || ds.classes.get(ds.samples[*i].label as usize).is_some_and(|c| c.kind == ClassKind::Nothing)
    });
    tracing::info!(left_out = before - split.train.len(), "training samples without a hand left out");
    split
}

/// The run directory's best checkpoint.
pub fn best_checkpoint(run_dir: &Path) -> PathBuf {
    run_dir.join("checkpoints").join("best.safetensors")
}
