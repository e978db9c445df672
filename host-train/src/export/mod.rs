//! Export: a trained run to an ONNX file the device runs with tract, with the model
//! card inside, checked by a parity gate before the file is written.
//!
//! The gate loads the written bytes in tract and pushes real held-out images through
//! both libtorch and tract: float files must agree on every top-1 and within 1e-3 of
//! the logit range; int8 files must agree on at least 99% of top-1 and lose at most one
//! accuracy point. A file that fails the gate is not written.
//!
//! Int8 forms: weight-only per-channel (`DequantizeLinear` of constant weights, which
//! `shared::tract_model` dequantizes at load), or a static form calibrated on the run's
//! training images ([`quantize`]: QDQ per tensor, QDQ per channel, or `QLinearConv` +
//! `QLinearMatMul`).

mod emit;
mod graph;
pub mod landmark;
pub mod quantize;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use prost::Message;
use serde::Serialize;
use shared::card::Quantization;
use shared::{ModelCard, Preprocessor};
use tch::nn::ModuleT;
use tch::{Device, Tensor};

pub use emit::WeightForm;
use graph::Weights;

use crate::data::split::Split;
use crate::train::{self, Model, TrainConfig};

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Run directory written by `train`.
    pub run: PathBuf,
    /// Output ONNX file.
    pub out: PathBuf,
    /// Weight form.
    pub form: WeightForm,
    /// Held-out images pushed through both engines (at least 100).
    pub parity_images: usize,
    /// Images that calibrate the static int8 forms.
    pub calib_images: usize,
    /// A dataset to calibrate on instead of the run's training split.
    pub calibration: Option<PathBuf>,
}

/// The parity gate's measurements.
#[derive(Debug, Clone, Serialize)]
pub struct Parity {
    /// Images compared.
    pub images: usize,
    /// Share of images whose top-1 class agrees between libtorch (float) and tract.
    pub top1_agreement: f64,
    /// Largest absolute logit difference.
    pub max_abs_diff: f64,
    /// Range of the libtorch logits over the images (max - min).
    pub logit_range: f64,
    /// Accuracy of libtorch (float) on the images.
    pub accuracy_torch: f64,
    /// Accuracy of tract on the images.
    pub accuracy_tract: f64,
    /// Whether the gate passed.
    pub passed: bool,
}

/// The result of an export.
#[derive(Debug, Clone, Serialize)]
pub struct ExportSummary {
    /// Written file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: usize,
    /// Weight form.
    pub form: String,
    /// The quantization recorded in the card.
    pub quantization: Quantization,
    /// Gate measurements.
    pub parity: Parity,
}

fn weights(vs: &tch::nn::VarStore) -> Result<Weights> {
    vs.variables()
        .into_iter()
        .map(|(name, t)| {
            let t = t.to_device(Device::Cpu).to_kind(tch::Kind::Float).contiguous();
            let data = Vec::<f32>::try_from(t.flatten(0, -1)).with_context(|| format!("reading {name}"))?;
            Ok((name, (t.size(), data)))
        })
        .collect()
}

/// Exports a run: builds the graph, stores the card, runs the parity gate, and writes
/// the file atomically only when the gate passes.
pub fn export(opts: &ExportOptions) -> Result<ExportSummary> {
    let cfg = TrainConfig::load(&opts.run)?;
    let card_path = opts.run.join("card.json");
    let card_json = std::fs::read_to_string(&card_path).with_context(|| format!("reading {}", card_path.display()))?;
    let mut card = ModelCard::from_json(&card_json, &card_path)?;
    let ds = train::load_dataset(&cfg)?;
    let split = Split::load(&opts.run.join("split.json"), &ds)?;
    let model = Model::build(&cfg, ds.classes.len(), Device::Cpu)?;
    train::checkpoint::load(&train::best_checkpoint(&opts.run), &model.vs)?;

    let mut proto = emit::model(&model.spec, &weights(&model.vs)?, opts.form)?;
    card.quantization = match opts.form {
        WeightForm::Float => Quantization::Float32,
        WeightForm::Int8WeightOnly => Quantization::Int8 {
            form: format!("{}-per-channel", shared::tract_model::WEIGHTS_ONLY),
            calibration_images: 0,
        },
        WeightForm::Int8Static(form) => {
            let inputs = match &opts.calibration {
                Some(path) => {
                    let calib = crate::data::load(path, &cfg.load_options())
                        .with_context(|| format!("loading the calibration dataset {}", path.display()))?;
                    let all: Vec<usize> = (0..calib.samples.len()).collect();
                    calibration_inputs(&card, &calib, &all, opts.calib_images)?
                }
                None => calibration_inputs(&card, &ds, &split.train, opts.calib_images)?,
            };
            proto = quantize::quantize(&proto, form, &card.preprocess.input_shape(), &inputs)
                .with_context(|| format!("quantizing {} as {}", opts.run.display(), form.card_form()))?;
            Quantization::Int8 { form: form.card_form().into(), calibration_images: inputs.len() as u64 }
        }
    };
    let bytes = card.embed(&proto.encode_to_vec(), &opts.out)?;

    // Held-out images: validation first, then test, at least `parity_images` when the
    // run has that many. A run with fewer than 100 (an adaptation to one signer) tops up
    // with training images: the gate compares two computations of one function, and
    // any real input does for that.
    let mut images: Vec<usize> = split.val.iter().chain(&split.test).copied().collect();
    if images.len() < 100 {
        tracing::warn!(held_out = images.len(), "few held-out images: the parity gate also uses training images");
        images.extend(split.train.iter().copied());
    }
    images.truncate(opts.parity_images);
    if images.len() < 100 {
        bail!(
            "the parity gate needs at least 100 images; {} has {}",
            opts.run.join("split.json").display(),
            images.len()
        );
    }
    let parity = gate(&model, &ds, &images, &bytes, &opts.out, opts.form)?;
    if !parity.passed {
        bail!(
            "parity gate failed for {}: top-1 agreement {:.2}%, max |logit diff| {:.3e} (range {:.3}), accuracy {:.2}% (tract) vs {:.2}% (libtorch); nothing written",
            opts.out.display(),
            parity.top1_agreement * 100.0,
            parity.max_abs_diff,
            parity.logit_range,
            parity.accuracy_tract * 100.0,
            parity.accuracy_torch * 100.0
        );
    }
    write_model(&opts.out, &bytes)?;
    Ok(ExportSummary {
        path: opts.out.clone(),
        bytes: bytes.len(),
        form: format!("{:?}", opts.form),
        quantization: card.quantization.clone(),
        parity,
    })
}

/// Up to `n` training images, spread evenly over the training split, preprocessed as
/// the card says: the calibration set of the static int8 forms (never the held-out
/// images the gate compares).
fn calibration_inputs(card: &ModelCard, ds: &crate::data::Dataset, train: &[usize], n: usize) -> Result<Vec<Vec<f32>>> {
    if n == 0 || train.is_empty() {
        bail!("static int8 needs calibration images (--calib-images > 0 and a training split)");
    }
    let n = n.min(train.len());
    let mut pre = Preprocessor::new(card.preprocess.clone())?;
    (0..n).map(|k| Ok(pre.image(&ds.samples[train[k * train.len() / n]].image)?)).collect()
}

/// Runs the images through libtorch and through tract on `bytes`, and applies the gate.
fn gate(
    model: &Model,
    ds: &Arc<crate::data::Dataset>,
    images: &[usize],
    bytes: &[u8],
    out: &Path,
    form: WeightForm,
) -> Result<Parity> {
    let engine = shared::tract_model::TractModel::from_bytes(bytes, out)?;
    let shape = engine.input_shape();
    let mut pre = Preprocessor::new(engine.card.preprocess.clone())?;
    let mut tally = Tally::new();
    let (mut right_torch, mut right_tract) = (0usize, 0usize);
    for &i in images {
        let sample = &ds.samples[i];
        let x = pre.image(&sample.image)?;
        let torch: Vec<f32> = tch::no_grad(|| {
            let t = Tensor::from_slice(&x).view([1, shape[1] as i64, shape[2] as i64, shape[3] as i64]);
            Vec::<f32>::try_from(model.net.forward_t(&t, false).flatten(0, -1))
        })?;
        let (pt, pr) = tally.add(&torch, &engine.run(&x)?)?;
        right_torch += (pt == sample.label as usize) as usize;
        right_tract += (pr == sample.label as usize) as usize;
    }
    let n = images.len() as f64;
    let (acc_torch, acc_tract) = (right_torch as f64 / n, right_tract as f64 / n);
    let passed = tally.agrees(form) && (form == WeightForm::Float || acc_tract >= acc_torch - 0.01);
    Ok(Parity {
        images: images.len(),
        top1_agreement: tally.top1(),
        max_abs_diff: tally.max_diff,
        logit_range: tally.range(),
        accuracy_torch: acc_torch,
        accuracy_tract: acc_tract,
        passed,
    })
}

/// libtorch's and tract's raw outputs for the same inputs, compared: what every parity
/// gate (picture and landmark models) judges.
struct Tally {
    inputs: usize,
    agree: usize,
    max_diff: f64,
    lo: f64,
    hi: f64,
}

impl Tally {
    fn new() -> Self {
        Self { inputs: 0, agree: 0, max_diff: 0.0, lo: f64::MAX, hi: f64::MIN }
    }

    /// Adds one input's outputs; returns the class each engine picks (libtorch, tract).
    fn add(&mut self, torch: &[f32], tract: &[f32]) -> Result<(usize, usize)> {
        if tract.len() != torch.len() {
            bail!("tract returns {} values, libtorch {}", tract.len(), torch.len());
        }
        for (a, b) in torch.iter().zip(tract) {
            self.max_diff = self.max_diff.max((a - b).abs() as f64);
            self.lo = self.lo.min(*a as f64);
            self.hi = self.hi.max(*a as f64);
        }
        let (pt, pr) = (top_class(torch), top_class(tract));
        self.inputs += 1;
        self.agree += (pt == pr) as usize;
        Ok((pt, pr))
    }

    /// Share of inputs whose class agrees.
    fn top1(&self) -> f64 {
        self.agree as f64 / self.inputs.max(1) as f64
    }

    /// Range of libtorch's outputs (max - min).
    fn range(&self) -> f64 {
        (self.hi - self.lo).max(1e-12)
    }

    /// Float: every class agrees and every output is within 1e-3 of the range; int8: at
    /// least 99% of classes agree.
    fn agrees(&self, form: WeightForm) -> bool {
        match form {
            WeightForm::Float => self.agree == self.inputs && self.max_diff <= 1e-3 * self.range(),
            WeightForm::Int8WeightOnly | WeightForm::Int8Static(_) => self.top1() >= 0.99,
        }
    }
}

/// The class a raw output picks: a binary logit's sign, else the largest value.
fn top_class(v: &[f32]) -> usize {
    if v.len() == 1 { (v[0] > 0.0) as usize } else { crate::eval::argmax(v) }
}

/// Writes a gated file atomically, creating its folder.
fn write_model(out: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    shared::atomic::write(out, bytes).with_context(|| format!("writing {}", out.display()))
}

/// The default output path for a run: `models/<card name>.onnx` (with `-int8`).
pub fn default_out(run: &Path, form: WeightForm) -> Result<PathBuf> {
    let card_path = run.join("card.json");
    let card = ModelCard::from_json(
        &std::fs::read_to_string(&card_path).with_context(|| format!("reading {}", card_path.display()))?,
        &card_path,
    )?;
    let suffix = match form {
        WeightForm::Float => String::new(),
        WeightForm::Int8WeightOnly => "-int8".into(),
        WeightForm::Int8Static(f) => format!("-int8-{}", f.card_form()),
    };
    Ok(PathBuf::from("models").join(format!("{}{suffix}.onnx", card.name)))
}
