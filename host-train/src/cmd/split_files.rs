//! `host-train split-files`: the files of one part of a run's split.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;

/// Arguments of `host-train split-files`.
#[derive(Args, Debug)]
pub struct SplitFilesArgs {
    /// Run directory written by `train`.
    #[arg(long)]
    pub run: PathBuf,
    /// Which part: train, val or test.
    #[arg(long, default_value = "test")]
    pub part: String,
}

/// Prints the files of `a.part`, relative to the dataset root, one a line.
pub fn run(a: SplitFilesArgs) -> Result<()> {
    let cfg = crate::train::TrainConfig::load(&a.run)?;
    let ds = crate::train::load_dataset(&cfg)?;
    let split = crate::data::split::Split::load(&a.run.join("split.json"), &ds)?;
    let part = match a.part.as_str() {
        "train" => &split.train,
        "val" => &split.val,
        "test" => &split.test,
        other => anyhow::bail!("--part {other}: use train, val or test"),
    };
    let root = cfg.dataset.as_path();
    for &i in part {
        let source = Path::new(&ds.samples[i].source);
        println!("{}", source.strip_prefix(root).unwrap_or(source).display());
    }
    Ok(())
}
