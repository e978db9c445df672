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
    /// The decoders' confidence threshold (`[decoder] threshold`; the shipped configs'
    /// value for the landmark classifier).
    #[arg(long, default_value_t = 0.3)]
    pub threshold: f32,
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
    let bench = crate::spell_bench::run(&loso, &lexicon, a.seed, a.threshold)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&bench)?);
    } else {
        println!("{}", bench.to_markdown());
    }
    Ok(())
}
