//! Running a model over samples: a training checkpoint in libtorch ([`evaluate`]) or an
//! exported file in tract as the device runs it ([`evaluate_onnx`]), and the report of
//! either ([`report_for`], [`report_named`]).

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use shared::PreprocessSpec;
use tch::Device;
use tch::nn::ModuleT;

use crate::data::Dataset;
use crate::data::augment::AugmentConfig;
use crate::data::loader::{self, LoaderConfig};
use crate::eval::{self, Report};
use crate::train::{Model, batch_tensors};

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

/// The fraction of samples predicted right.
pub fn accuracy(e: &Evaluation) -> f64 {
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
