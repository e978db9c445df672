//! `host-train export`: a run's best checkpoint to ONNX (float or int8) with its card.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::export::{ExportOptions, WeightForm};

/// Arguments of `host-train export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Run directory written by `train`.
    #[arg(long)]
    pub run: PathBuf,
    /// Output file (default: models/<card name>.onnx).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Store weights as int8 (per-channel, weight-only: 4x smaller files, float
    /// speed in tract, which dequantizes them at load). Same as --int8-form weights-only.
    #[arg(long)]
    pub int8: bool,
    /// Int8 form (implies --int8): weights-only (default), or a static form calibrated
    /// on the run's training images: qdq-tensor (QDQ, per-tensor i8 weights, u8
    /// activations), qdq-channel (QDQ, per-channel weights), qlinear (QLinearConv +
    /// QLinearMatMul, per-channel weights).
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(WeightForm::NAMES))]
    pub int8_form: Option<String>,
    /// Images that calibrate the static int8 forms (spread evenly over the pool).
    #[arg(long, default_value_t = 200)]
    pub calib_images: usize,
    /// Calibrate on this dataset (any format `train` reads) instead of the run's
    /// training split.
    #[arg(long)]
    pub calibration: Option<PathBuf>,
    /// Held-out images the parity gate compares (at least 100).
    #[arg(long, default_value_t = 200)]
    pub parity_images: usize,
}

/// Exports per `a` and prints the export summary (JSON).
pub fn run(a: ExportArgs) -> Result<()> {
    let form = match (&a.int8_form, a.int8) {
        (Some(name), _) => WeightForm::int8(name).context("unknown --int8-form")?,
        (None, true) => WeightForm::Int8WeightOnly,
        (None, false) => WeightForm::Float,
    };
    let out = match a.out {
        Some(o) => o,
        None => crate::export::default_out(&a.run, form)?,
    };
    if a.parity_images < 100 {
        bail!("--parity-images must be at least 100");
    }
    let summary = crate::export::export(&ExportOptions {
        run: a.run,
        out,
        form,
        parity_images: a.parity_images,
        calib_images: a.calib_images,
        calibration: a.calibration,
    })?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}
