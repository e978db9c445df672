//! The epoch loop: one pass over the training part ([`train_epoch`]), then validation,
//! the best checkpoint, early stopping and the last checkpoint ([`fit`]).

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use tch::nn::ModuleT;
use tch::{Device, Kind, Tensor};

use super::checkpoint::{self, RunFiles};
use super::optim::Optimizer;
use super::progress::{self, EpochBar};
use super::state::RunState;
use super::{Model, SelectBy, TrainConfig, batch_tensors};
use crate::data::Dataset;
use crate::data::loader::{self, LoaderConfig};
use crate::data::split::Split;
use crate::eval::EpochRecord;
use crate::eval::run::{accuracy, evaluate};

/// What every epoch of a run works with.
pub(crate) struct Fit<'a> {
    pub cfg: &'a TrainConfig,
    pub model: &'a Model,
    pub ds: &'a Arc<Dataset>,
    pub split: &'a Split,
    pub pool: &'a Arc<rayon::ThreadPool>,
    /// Class weights of the loss (`--class-weights`).
    pub weights: Option<Tensor>,
    pub loader: LoaderConfig,
    pub steps_per_epoch: u64,
}

/// What one pass over the training part measured.
struct EpochStats {
    loss_sum: f64,
    correct: i64,
    seen: usize,
    /// The learning rate of the last step.
    lr: f64,
    /// Seconds spent waiting for the loader.
    waited: f64,
    start: Instant,
    train_secs: f64,
}

/// Trains from the epoch after `state.epoch` to `cfg.epochs` (or an early stop), saving
/// the best and last checkpoints and `metrics.jsonl` after each epoch.
pub(crate) fn fit(f: &Fit, opt: &mut Optimizer, state: &mut RunState, run_dir: &Path, files: &RunFiles) -> Result<()> {
    let cfg = f.cfg;
    for epoch in state.epoch + 1..=cfg.epochs {
        if state.should_stop(cfg.early_stop) {
            tracing::info!(epoch = state.epoch, best_epoch = state.best_epoch, "early stop");
            break;
        }
        tch::manual_seed((cfg.seed as i64).wrapping_mul(1000).wrapping_add(epoch as i64));
        let stats = train_epoch(f, opt, state, epoch)?;
        let val = evaluate(f.model, f.ds, &f.split.val, &f.loader.spec, cfg.batch, f.pool)?;
        let record = EpochRecord {
            epoch,
            train_loss: stats.loss_sum / stats.seen as f64,
            train_accuracy: stats.correct as f64 / stats.seen as f64,
            val_loss: val.loss,
            val_accuracy: accuracy(&val),
            lr: stats.lr,
            seconds: stats.start.elapsed().as_secs_f64(),
            images_per_sec: stats.seen as f64 / stats.train_secs,
        };
        progress::log_epoch(&record, cfg.epochs, stats.waited / stats.train_secs);
        state.history.push(record);
        let metric = match cfg.select_by {
            SelectBy::ValAccuracy => accuracy(&val),
            SelectBy::ValLoss => -val.loss,
        };
        state.schedule.end_epoch(metric);
        if state.observe(epoch, metric) {
            checkpoint::save(&files.best, &f.model.vs, &[])?;
        }
        state.epoch = epoch;
        write_metrics(run_dir, &state.history)?;
        files.save_last(&f.model.vs, opt, state)?;
    }
    Ok(())
}

/// One pass over the training part, stepping the optimizer and the schedule.
fn train_epoch(f: &Fit, opt: &mut Optimizer, state: &mut RunState, epoch: usize) -> Result<EpochStats> {
    let (cfg, model) = (f.cfg, f.model);
    let device = model.vs.device();
    let shape = f.loader.spec.input_shape();
    let bar = EpochBar::new(epoch, cfg.epochs, f.steps_per_epoch);
    let start = Instant::now();
    let (mut loss_sum, mut correct, mut seen, mut waited) = (0.0, 0i64, 0usize, 0.0);
    let mut lr = state.schedule.lr_at(state.step);
    let batches = loader::epoch(f.ds.clone(), &f.split.train, &f.loader, epoch as u64, f.pool.clone());
    loop {
        let wait_start = Instant::now();
        let Ok(b) = batches.recv() else { break };
        waited += wait_start.elapsed().as_secs_f64();
        let b = b?;
        let n = b.y.len();
        let (x, y) = batch_tensors(&b, &shape, device);
        let logits = model.net.forward_t(&x, true);
        let loss = model.loss(&logits, &y, f.weights.as_ref(), cfg.label_smoothing);
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
        bar.step(loss_sum / seen as f64, correct as f64 / seen as f64, seen as f64 / secs, waited / secs);
    }
    bar.finish();
    Ok(EpochStats { loss_sum, correct, seen, lr, waited, start, train_secs: start.elapsed().as_secs_f64() })
}

/// Inverse-frequency class weights over the training samples, mean 1.
pub(crate) fn class_weights(ds: &Dataset, train: &[usize], device: Device) -> Tensor {
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
pub(crate) fn write_metrics(run_dir: &Path, history: &[EpochRecord]) -> Result<()> {
    let mut text = String::new();
    for r in history {
        text += &serde_json::to_string(r)?;
        text.push('\n');
    }
    let path = run_dir.join("metrics.jsonl");
    shared::atomic::write(&path, text.as_bytes()).with_context(|| format!("writing {}", path.display()))
}
