//! `host-train eval`: re-evaluates a run's best checkpoint (or an exported ONNX file in
//! tract) and writes its reports.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::data::split::Split;
use crate::model;
use crate::train::{self, Model, TrainConfig};

/// Arguments of `host-train eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Run directory written by `train`.
    #[arg(long)]
    pub run: PathBuf,
    /// Evaluate on another dataset (all of it, or its own test split with --split test).
    #[arg(long)]
    pub dataset: Option<PathBuf>,
    /// Which samples: test, val, train (the run's split) or all.
    #[arg(long, default_value = "test")]
    pub split: String,
    /// Where to write the reports (default: the run directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Batch size.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Evaluate this exported ONNX file in tract (as the device runs it) instead of
    /// the run's best checkpoint in libtorch.
    #[arg(long)]
    pub onnx: Option<PathBuf>,
    /// With --dataset: read it with this built-in class table (default: its own).
    #[arg(long)]
    pub classes: Option<String>,
}

/// Evaluates per `a` on `device`, writes the reports and prints the text report.
pub fn run(a: EvalArgs, device: tch::Device) -> Result<()> {
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
                .filter(|(_, s)| s.subset == Some(crate::data::Subset::Test))
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
    crate::eval::write_reports(&out, &report, &history)?;
    println!("{}", report.to_text());
    Ok(())
}

fn read_history(run: &Path) -> Result<Vec<crate::eval::EpochRecord>> {
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
