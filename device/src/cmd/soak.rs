//! `device soak`: the kiosk loop for a fixed time with faults and model switches,
//! resident memory sampled ([`crate::soak`]); fails when memory keeps growing.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};

use super::default_dataset;
use crate::demo;

/// Arguments of `device soak`.
#[derive(clap::Args, Debug)]
pub struct SoakArgs {
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 1200)]
    pub seconds: u64,
    /// Models the mode button steps through (default: the shipped ASL alphabet model,
    /// int8 and float).
    #[arg(long)]
    pub model: Vec<PathBuf>,
    /// The asl-alphabet dataset folder (default: ../shared/data/asl-alphabet).
    #[arg(long)]
    pub frames: Option<PathBuf>,
    /// The word spelled over and over.
    #[arg(long, default_value = "SIGNSPELL")]
    pub word: String,
    /// Seconds between memory samples.
    #[arg(long, default_value_t = 10)]
    pub sample_every: u64,
    /// Seconds of warm-up before memory is held to the bound.
    #[arg(long, default_value_t = 300)]
    pub warm_up: u64,
    /// Seconds between model switches.
    #[arg(long, default_value_t = 60)]
    pub switch_every: u64,
    /// Largest rise of the second half's median memory over the first half's (after
    /// warm-up), MiB.
    #[arg(long, default_value_t = 8.0)]
    pub max_growth_mib: f64,
    /// Write the report (every sample) as JSON here.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs `device soak` and prints its table and summary.
pub fn run(a: SoakArgs) -> Result<()> {
    let models = if a.model.is_empty() {
        // Both picture models: the soak's kiosk has the fixed guide box, on which the
        // default landmark classifier would be refused at every switch.
        vec![demo::shipped_model("asl-alphabet-int8.onnx"), demo::shipped_model("asl-alphabet.onnx")]
    } else {
        a.model.clone()
    };
    let cfg = crate::soak::SoakConfig {
        models,
        frames: match a.frames {
            Some(f) => f,
            None => default_dataset()?,
        },
        word: a.word.clone(),
        duration: Duration::from_secs(a.seconds),
        sample_every: Duration::from_secs(a.sample_every.max(1)),
        warm_up: Duration::from_secs(a.warm_up),
        switch_every: Duration::from_secs(a.switch_every.max(1)),
    };
    let r = crate::soak::soak(&cfg)?;
    if let Some(out) = &a.out {
        crate::soak::write_report(&r, out)?;
    }
    print!("{}", crate::soak::table(&r, (a.seconds as f64 / 10.0).max(a.sample_every as f64)));
    let mib = |k: u64| k as f64 / 1024.0;
    println!(
        "{:.0} s: {} frames ({:.1} fps), {} dropped, {} camera losses, {} model switches, {} edits; \
         RSS after the {} s warm-up, first half / second half: median {:.1} / {:.1} MiB, floor {:.1} / {:.1} MiB, \
         peak {:.1} / {:.1} MiB, end {:.1} MiB; growth of the median {:.2} MiB (bound {:.1} MiB), trend {:+.1} MiB/hour",
        r.seconds,
        r.frames,
        r.frames as f64 / r.seconds,
        r.dropped,
        r.lost,
        r.switches,
        r.edits,
        a.warm_up,
        mib(r.first_half_median_kib),
        mib(r.second_half_median_kib),
        mib(r.floors_kib[0]),
        mib(r.floors_kib[1]),
        mib(r.peaks_kib[0]),
        mib(r.peaks_kib[1]),
        mib(r.end_rss_kib),
        r.growth_kib as f64 / 1024.0,
        a.max_growth_mib,
        r.slope_mib_per_hour
    );
    if r.growth_kib as f64 / 1024.0 > a.max_growth_mib {
        bail!(
            "resident memory sat {:.2} MiB higher in the second half than in the first (medians), more than {:.1} MiB",
            r.growth_kib as f64 / 1024.0,
            a.max_growth_mib
        );
    }
    Ok(())
}
