//! `host-train landmarks`: the landmark classifier from every source of hands, measured
//! leave-one-source-out, then trained on all sources and exported for the device.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use shared::ModelCard;
use shared::card::{Architecture, DatasetInfo, InputSource, OutputKind, Producer, Quantization, SplitInfo, SplitKind};
use shared::features::{self, LEN};
use tch::Device;

use crate::data::hand_corpus::{self, Corpus, CorpusOptions};
use crate::eval::loso;
use crate::export::WeightForm;
use crate::export::landmark::export;
use crate::model::landmark_mlp;
use crate::train::landmark_model::{LandmarkTrainConfig, train};

/// How the landmark classifier is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LandmarkSplit {
    /// Each source held out in turn (the honest number for strangers).
    LeaveOneSourceOut,
    /// No measurement: only train on everything (with `--export`).
    None,
}

/// Arguments of `host-train landmarks`.
#[derive(Args, Debug, Clone)]
pub struct LandmarksArgs {
    /// The shared folder with `data/` and `models/mediapipe/` (default: `$SIGNSPELL_SHARED`
    /// or `../shared`).
    #[arg(long)]
    pub shared: Option<PathBuf>,
    /// How to measure.
    #[arg(long, value_enum, default_value = "leave-one-source-out")]
    pub split: LandmarkSplit,
    /// Folder for reports.
    #[arg(long, default_value = "runs/landmarks")]
    pub out: PathBuf,
    /// Folder of landmark caches (default: OUT/hands-cache).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Train on every source and write the model here (float ONNX with its card).
    #[arg(long)]
    pub export: Option<PathBuf>,
    /// Files of `asl-alphabet` (one per line, relative to it, e.g. `A/A752.jpg`) kept out
    /// of the exported model's training and copied beside it as `NAME.heldout.txt`, so
    /// that `device demo` and the tests replay frames it never saw.
    #[arg(long)]
    pub hold_out: Option<PathBuf>,
    /// Also score these exported picture or mask models on every source they can read
    /// (written to `OUT/compare.md`): the other rows of the table.
    #[arg(long)]
    pub compare: Vec<PathBuf>,
    /// Training settings as TOML (any field of `LandmarkTrainConfig`; the rest default).
    /// `--epochs`, `--seed`, `--members` and `--no-depth` apply on top.
    #[arg(long)]
    pub train_config: Option<PathBuf>,
    /// The 2-D variant: never read depth.
    #[arg(long)]
    pub no_depth: bool,
    /// Training epochs (default: the config's, 60).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Seed (default: the config's, 0).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Networks in the ensemble, their logits averaged (default: the config's).
    #[arg(long)]
    pub members: Option<usize>,
    /// At most this many pictures or rows per class and source (quick runs).
    #[arg(long)]
    pub limit_per_class: Option<usize>,
    /// Settling passes of the landmark model on each picture, as `device classify` and
    /// the kiosk's tracking read a hand (0: the palm detector's crop alone; each value
    /// has its own cache).
    #[arg(long, default_value_t = shared::hands::SETTLE)]
    pub settle: usize,
}

impl LandmarksArgs {
    fn config(&self) -> Result<LandmarkTrainConfig> {
        let base = match &self.train_config {
            Some(p) => {
                let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
                toml::from_str(&text).with_context(|| format!("{}: not a landmark training config", p.display()))?
            }
            None => LandmarkTrainConfig::default(),
        };
        Ok(LandmarkTrainConfig {
            epochs: self.epochs.unwrap_or(base.epochs),
            seed: self.seed.unwrap_or(base.seed),
            members: self.members.unwrap_or(base.members),
            depth: base.depth && !self.no_depth,
            ..base
        })
    }
}

/// What a run measured and wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LandmarksOutcome {
    /// The corpus's sources with their counts.
    pub sources: Vec<hand_corpus::SourceInfo>,
    /// Leave-one-source-out, when run.
    pub loso: Option<loso::Summary>,
    /// Scores of `--compare` models.
    pub compared: Vec<crate::eval::shipped::SourceScore>,
    /// The exported files, when asked.
    pub exported: Vec<crate::export::landmark::LandmarkExport>,
}

/// Runs `host-train landmarks`.
pub fn run(args: &LandmarksArgs, device: Device) -> Result<LandmarksOutcome> {
    let shared_dir = match &args.shared {
        Some(s) => s.clone(),
        None => shared::paths::shared_dir().context("no shared folder: pass --shared or set SIGNSPELL_SHARED")?,
    };
    let opts = CorpusOptions {
        data: shared_dir.join("data"),
        models: shared_dir.join("models/mediapipe"),
        cache_dir: args.cache_dir.clone().unwrap_or_else(|| args.out.join("hands-cache")),
        limit_per_class: args.limit_per_class,
        settle: args.settle,
    };
    let corpus = hand_corpus::build(&opts)?;
    for s in &corpus.sources {
        tracing::info!(source = %s.name, samples = s.samples, hands = s.hands, "source");
    }
    let cfg = args.config()?;
    let summary = match args.split {
        LandmarkSplit::LeaveOneSourceOut => {
            let s = loso::leave_one_source_out(&corpus, &cfg, device, Some(&args.out))?;
            println!("{}", s.to_markdown());
            Some(s)
        }
        LandmarkSplit::None => None,
    };
    let mut compared = Vec::new();
    for m in &args.compare {
        compared.extend(crate::eval::shipped::score(&corpus, m, &opts.data, args.limit_per_class)?);
    }
    if !compared.is_empty() {
        let mut md = String::from("| model | source | letters | accuracy |\n|---|---|---:|---:|\n");
        for c in &compared {
            md += &format!("| {} | {} | {} | {:.2}% |\n", c.model.display(), c.source, c.letters, 100.0 * c.accuracy);
        }
        println!("{md}");
        std::fs::create_dir_all(&args.out)?;
        shared::atomic::write(&args.out.join("compare.md"), md.as_bytes())?;
    }
    let mut exported = Vec::new();
    if let Some(out) = &args.export {
        let held_files: std::collections::HashSet<String> = match &args.hold_out {
            Some(p) => std::fs::read_to_string(p)
                .with_context(|| format!("reading {}", p.display()))?
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect(),
            None => Default::default(),
        };
        let alphabet = corpus.source("asl-alphabet");
        let is_held = |i: usize| {
            let s = &corpus.samples[i];
            let mut parts = s.id.rsplitn(3, '/');
            let (file, class) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            Some(s.source) == alphabet && held_files.contains(&format!("{class}/{file}"))
        };
        let all: Vec<usize> = (0..corpus.samples.len()).filter(|&i| !is_held(i)).collect();
        tracing::info!(train = all.len(), held_out = corpus.samples.len() - all.len(), "training the model to export");
        let model = train(&corpus, &all, &cfg, device)?;
        let params = crate::model::parameter_count(&model.vs);
        let trained = all.iter().filter(|&&i| corpus.samples[i].points.is_some()).count() as u64;
        let split = SplitInfo {
            kind: SplitKind::LeaveOneSourceOut,
            seed: Some(cfg.seed),
            train: trained,
            val: 0,
            test: (corpus.samples.len() - all.len()) as u64,
        };
        let card = card(&corpus, &cfg, summary.as_ref(), &opts, out, params, split)?;
        let rows = gate_rows(&corpus, &cfg);
        // Float only: the file is about 100 kB and tract runs it in microseconds, so int8
        // would save nothing that matters.
        exported.push(export(&model, &card, &rows, out, WeightForm::Float)?);
        if let Some(p) = &args.hold_out {
            let stem = out.file_stem().unwrap_or_default().to_string_lossy();
            let dest = out.with_file_name(format!("{stem}.heldout.txt"));
            shared::atomic::write(&dest, &std::fs::read(p)?).with_context(|| format!("writing {}", dest.display()))?;
        }
        if let Some(s) = &summary {
            let dest = shared::loso::LosoOutputs::path_for(out);
            s.outputs.save(&dest).with_context(|| format!("writing {}", dest.display()))?;
        }
        for e in &exported {
            tracing::info!(path = %e.path.display(), bytes = e.bytes, top1 = e.top1_agreement, max_diff = e.max_abs_diff, "exported");
        }
    }
    Ok(LandmarksOutcome { sources: corpus.sources.clone(), loso: summary, compared, exported })
}

/// Real feature rows for the parity gate: up to 500 hands spread over the corpus.
fn gate_rows(corpus: &Corpus, cfg: &LandmarkTrainConfig) -> Vec<[f32; LEN]> {
    let hands: Vec<_> = corpus.samples.iter().filter_map(|s| s.points.as_ref().map(|p| (p, s.depth))).collect();
    let step = (hands.len() / 500).max(1);
    hands
        .iter()
        .step_by(step)
        .filter_map(|(p, depth)| features::features(p, shared::features::FeatureSpec { depth: cfg.depth && *depth, ..shared::features::FeatureSpec::V1 }).ok())
        .collect()
}

/// The model card: landmark input, the corpus's sources, the leave-one-source-out
/// numbers as metrics; `split` counts the hands trained on and the frames held out.
fn card(
    corpus: &Corpus,
    cfg: &LandmarkTrainConfig,
    loso: Option<&loso::Summary>,
    opts: &CorpusOptions,
    out: &std::path::Path,
    params: u64,
    split: SplitInfo,
) -> Result<ModelCard> {
    let mut metrics = BTreeMap::new();
    if let Some(s) = loso {
        metrics.insert("loso_mean_accuracy".to_string(), s.mean_accuracy);
        for f in &s.folds {
            metrics.insert(format!("loso_accuracy.{}", f.held_out), f.accuracy);
            metrics.insert(format!("loso_hands_found.{}", f.held_out), f.hands as f64 / f.letters.max(1) as f64);
        }
    }
    let hyper: BTreeMap<String, serde_json::Value> = [
        ("hidden".to_string(), serde_json::json!(landmark_mlp::HIDDEN)),
        ("dropout".to_string(), serde_json::json!(cfg.dropout)),
        ("features".to_string(), serde_json::json!(LEN)),
        ("train".to_string(), serde_json::to_value(cfg)?),
    ]
    .into();
    let sources: Vec<String> = corpus.sources.iter().map(|s| format!("{} ({} samples, {} hands)", s.name, s.samples, s.hands)).collect();
    let name = out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "asl-landmarks".into());
    Ok(ModelCard {
        schema: shared::card::SCHEMA.into(),
        schema_version: shared::card::SCHEMA_VERSION,
        name,
        classes: corpus.classes.clone(),
        preprocess: features::preprocess_spec(),
        input: InputSource::Landmarks { features: cfg.features() },
        output: OutputKind::Logits,
        architecture: Architecture { name: "landmark-mlp".into(), hyperparameters: hyper },
        parameters: params,
        dataset: DatasetInfo {
            name: sources.join("; "),
            path: Some(opts.data.display().to_string()),
            split,
        },
        metrics,
        quantization: Quantization::Float32,
        producer: Producer { name: "host-train".into(), version: env!("CARGO_PKG_VERSION").into() },
    })
}
