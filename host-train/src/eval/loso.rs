//! Leave-one-source-out: the honest measure of a kiosk that meets strangers. Each
//! source of the corpus (a signer, a landmark author, a photo collection) is held out
//! in turn; a model trained on all the others reads its letters. Pictures in which no
//! hand was found count as wrong (the kiosk would show nothing). The mean over held-out
//! sources is the headline number.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;
use shared::loso::{FoldOutputs, FrameOutput, LosoOutputs};
use tch::Device;

use super::remembered::{self, HeldOut, Remembered};
use super::{Report, compute, write_reports};
use crate::data::hand_corpus::Corpus;
use crate::train::landmark_model::{LandmarkTrainConfig, train};

/// What one held-out source scored.
#[derive(Debug, Clone, Serialize)]
pub struct Fold {
    /// The held-out source.
    pub held_out: String,
    /// Its letter samples (A..Z).
    pub letters: usize,
    /// Of those, samples in which a hand was found.
    pub hands: usize,
    /// Letters read right (no hand counts as wrong).
    pub correct: usize,
    /// `correct / letters`.
    pub accuracy: f64,
    /// Accuracy over the samples with a hand.
    pub accuracy_where_found: f64,
    /// Training samples with a hand (from every other source).
    pub trained_on: usize,
    /// The held-out signer remembered: half its pictures read with a few letters of
    /// the other half in a [`shared::signer::SignerMemory`].
    pub remembered: Vec<Remembered>,
    /// Classification report over the letters (predictions may be any class).
    #[serde(skip)]
    pub report: Report,
}

/// Every fold and their mean.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// How the models were trained.
    pub config: LandmarkTrainConfig,
    /// One per held-out source that has letters.
    pub folds: Vec<Fold>,
    /// Mean of the folds' accuracies.
    pub mean_accuracy: f64,
    /// Each fold's confusions and a sample of its outputs (`NAME.loso.json` beside an
    /// exported model).
    #[serde(skip)]
    pub outputs: LosoOutputs,
}

/// Frames per letter and source kept in [`LosoOutputs`] (evenly spaced over the source).
pub const FRAMES_PER_LETTER: usize = 30;

/// Up to [`FRAMES_PER_LETTER`] evenly spaced frames of each class (in the source's
/// order), with the features the model read.
fn sample_frames(truth: &[usize], probs: &[Option<Vec<f32>>], features: &[Option<[f32; shared::features::LEN]>], classes: usize) -> Vec<FrameOutput> {
    let mut frames = Vec::new();
    for c in 0..classes {
        let of: Vec<usize> = (0..truth.len()).filter(|&i| truth[i] == c).collect();
        let step = of.len().div_ceil(FRAMES_PER_LETTER).max(1);
        frames.extend(
            of.iter()
                .step_by(step)
                .map(|&i| FrameOutput::new(c as u32, probs[i].as_deref()).with_features(features[i].as_ref().filter(|_| probs[i].is_some()).map(|f| &f[..]))),
        );
    }
    frames
}

impl Summary {
    /// The table of folds in Markdown.
    pub fn to_markdown(&self) -> String {
        let sizes: Vec<String> = remembered::PER_LETTER.iter().map(|n| format!("{n} remembered a letter")).collect();
        let mut s = format!(
            "| held-out source (split: by source) | letters | hand found | accuracy | where found | trained on | second half: alone | {} |\n|---|---:|---:|---:|---:|---:|---:|{}\n",
            sizes.join(" | "),
            "---:|".repeat(sizes.len())
        );
        let pct = |v: f64| format!("{:.2}%", 100.0 * v);
        for f in &self.folds {
            let alone = f.remembered.first().map_or(String::new(), |r| pct(r.alone_accuracy()));
            let with: Vec<String> = f.remembered.iter().map(|r| pct(r.accuracy())).collect();
            s += &format!(
                "| {} | {} | {:.1}% | **{:.2}%** | {:.2}% | {} | {alone} | {} |\n",
                f.held_out,
                f.letters,
                100.0 * f.hands as f64 / f.letters.max(1) as f64,
                100.0 * f.accuracy,
                100.0 * f.accuracy_where_found,
                f.trained_on,
                with.join(" | ")
            );
        }
        let mean = |g: &dyn Fn(&Fold) -> f64| self.folds.iter().map(g).sum::<f64>() / self.folds.len().max(1) as f64;
        let alone = mean(&|f: &Fold| f.remembered.first().map_or(0.0, Remembered::alone_accuracy));
        let with: Vec<String> = (0..remembered::PER_LETTER.len()).map(|k| pct(mean(&|f: &Fold| f.remembered.get(k).map_or(0.0, Remembered::accuracy)))).collect();
        s += &format!("| **mean over sources** | | | **{:.2}%** | | | {} | {} |\n", 100.0 * self.mean_accuracy, pct(alone), with.join(" | "));
        s
    }
}

/// Runs the protocol over every source with letters; with `out`, writes each fold's
/// report files into `out/<source>/` and the summary as `out/loso.json` and
/// `out/loso.md`.
pub fn leave_one_source_out(corpus: &Corpus, cfg: &LandmarkTrainConfig, device: Device, out: Option<&Path>) -> Result<Summary> {
    let nothing = corpus.classes.by_label("nothing").map(|c| c.index as usize).unwrap_or(0);
    let labels: Vec<String> = corpus.classes.labels().into_iter().map(String::from).collect();
    let mut folds = Vec::new();
    let mut outputs = LosoOutputs { version: shared::loso::VERSION, classes: labels.clone(), folds: Vec::new() };
    for (src, info) in corpus.sources.iter().enumerate() {
        let test: Vec<usize> = (0..corpus.samples.len())
            .filter(|&i| corpus.samples[i].source == src && corpus.is_letter(corpus.samples[i].label))
            .collect();
        if test.is_empty() {
            continue;
        }
        let train_idx: Vec<usize> = (0..corpus.samples.len()).filter(|&i| corpus.samples[i].source != src).collect();
        let trained_on = train_idx.iter().filter(|&&i| corpus.samples[i].points.is_some()).count();
        let model = train(corpus, &train_idx, cfg, device)?;
        let hands: Vec<_> = test.iter().map(|&i| corpus.samples[i].points).collect();
        let probs = model.hand_probabilities(&hands)?;
        let pred: Vec<usize> = probs.iter().map(|p| p.as_deref().map_or(nothing, crate::eval::argmax)).collect();
        let truth: Vec<usize> = test.iter().map(|&i| corpus.samples[i].label as usize).collect();
        let mut confusion = vec![vec![0u32; labels.len()]; labels.len()];
        for (&t, &p) in truth.iter().zip(&pred) {
            confusion[t][p] += 1;
        }
        // Each hand's features once, for the sampled frames and the memory.
        let features: Vec<_> = hands.iter().map(|h| h.as_ref().and_then(|p| shared::features::features(p, cfg.features()).ok())).collect();
        let frames = sample_frames(&truth, &probs, &features, labels.len());
        outputs.folds.push(FoldOutputs { source: info.name.clone(), confusion, frames });
        let correct = pred.iter().zip(&truth).filter(|(p, t)| p == t).count();
        let found = hands.iter().filter(|h| h.is_some()).count();
        let correct_found = pred.iter().zip(&truth).zip(&hands).filter(|((p, t), h)| h.is_some() && p == t).count();
        let held: Vec<HeldOut<'_>> = test
            .iter()
            .zip(&probs)
            .zip(&features)
            .map(|((&i, p), f)| HeldOut { truth: corpus.samples[i].label as usize, id: &corpus.samples[i].id, features: f.as_ref(), probs: p.as_deref() })
            .collect();
        let remembered = remembered::measure(&held, labels.len());
        let mut report = compute(&truth, &pred, &labels)?;
        report.split = Some(format!("leave-one-source-out: {} held out", info.name));
        report.model = Some("landmark-mlp".into());
        let fold = Fold {
            held_out: info.name.clone(),
            letters: test.len(),
            hands: found,
            correct,
            accuracy: correct as f64 / test.len() as f64,
            accuracy_where_found: correct_found as f64 / found.max(1) as f64,
            trained_on,
            remembered,
            report,
        };
        tracing::info!(held_out = %fold.held_out, accuracy = format!("{:.2}%", 100.0 * fold.accuracy), hands = found, letters = test.len(), "fold done");
        if let Some(dir) = out {
            write_reports(&dir.join(&fold.held_out), &fold.report, &[])?;
        }
        folds.push(fold);
    }
    let mean_accuracy = folds.iter().map(|f| f.accuracy).sum::<f64>() / folds.len().max(1) as f64;
    let summary = Summary { config: cfg.clone(), folds, mean_accuracy, outputs };
    if let Some(dir) = out {
        std::fs::create_dir_all(dir)?;
        shared::atomic::write(&dir.join("loso.json"), serde_json::to_string_pretty(&summary)?.as_bytes())?;
        shared::atomic::write(&dir.join("loso.md"), summary.to_markdown().as_bytes())?;
        summary.outputs.save(&dir.join("loso-outputs.json"))?;
    }
    Ok(summary)
}
