//! `device spell-bench`: words spelled from frames of people the model never saw, by the
//! plain and the lexicon decoder side by side ([`crate::spell_bench`]).

use anyhow::{Context, Result};
use shared::loso::LosoOutputs;

/// Arguments of `device spell-bench`.
#[derive(clap::Args, Debug, Clone)]
pub struct SpellBenchArgs {
    /// The model's leave-one-source-out outputs (default: the shipped default model's,
    /// models/asl-landmarks.loso.json).
    #[arg(long)]
    pub loso: Option<std::path::PathBuf>,
    /// Folder with words.tsv and names.tsv (default: device/assets/lexicon, else
    /// /usr/share/signspell/lexicon).
    #[arg(long)]
    pub lexicon: Option<std::path::PathBuf>,
    /// Seed of the pictures chosen per letter.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The decoders' confidence threshold (`[decoder] threshold`; default: the landmark
    /// classifier's when the config sets none).
    #[arg(long, default_value_t = crate::decode::letters::LANDMARK_THRESHOLD)]
    pub threshold: f32,
    /// The probability `space` and `del` need (`[decoder] control_threshold`; 0: the
    /// threshold's, as before 2026-12-02).
    #[arg(long, default_value_t = crate::decode::letters::CONTROL_THRESHOLD)]
    pub control_threshold: f32,
    /// The posterior at which the lexicon decoder shows (and the word's end takes) its
    /// proposal (`[decoder] propose_at`; default: the decoder's).
    #[arg(long)]
    pub propose_at: Option<f32>,
    /// How many times the signed letters' posterior a proposal needs
    /// (`[decoder] propose_over`; default: the decoder's).
    #[arg(long)]
    pub propose_over: Option<f32>,
    /// Share of the word prior on the lists' words, the rest on strings in no list
    /// (default: the decoder's).
    #[arg(long)]
    pub in_list: Option<f32>,
    /// Print JSON (with every word spelled) instead of the Markdown table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `device spell-bench` and prints its table.
pub fn run(a: SpellBenchArgs) -> Result<()> {
    let loso = a.loso.clone().unwrap_or_else(|| LosoOutputs::path_for(&crate::demo::shipped_model(crate::demo::DEFAULT_MODEL)));
    let lexicon = match &a.lexicon {
        Some(l) => l.clone(),
        None => crate::decode::lexicon::default_dir().context("no word lists found: pass --lexicon")?,
    };
    let mut settings = crate::spell_bench::Settings { seed: a.seed, threshold: crate::spell_bench::Thresholds { letter: a.threshold, control: a.control_threshold }, ..Default::default() };
    settings.rule.at = a.propose_at.unwrap_or(settings.rule.at);
    settings.rule.over_signed = a.propose_over.unwrap_or(settings.rule.over_signed);
    settings.rule.check().map_err(|e| anyhow::anyhow!("--propose-at/--propose-over: {e}"))?;
    if let Some(s) = a.in_list {
        anyhow::ensure!(s > 0.0 && s < 1.0, "--in-list {s} is not between 0 and 1");
        settings.in_list = s;
    }
    let bench = crate::spell_bench::run(&loso, &lexicon, settings)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&bench)?);
    } else {
        println!("{}", bench.to_markdown());
    }
    Ok(())
}
