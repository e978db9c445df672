//! `host-train summary`: an architecture's layers with output shapes and parameter counts.

use anyhow::Result;
use clap::Args;

use crate::model::{self, ModelSpec};

/// Arguments of `host-train summary`.
#[derive(Args, Debug)]
pub struct SummaryArgs {
    /// Architecture (see `train --arch`).
    #[arg(long)]
    pub arch: String,
    /// Classes.
    #[arg(long)]
    pub classes: usize,
    /// Input side in pixels.
    #[arg(long, default_value_t = 224)]
    pub input_size: i64,
    /// Input channels (3 for RGB, 1 for gray).
    #[arg(long, default_value_t = 3)]
    pub channels: i64,
    /// Width multiplier (scalable architectures only).
    #[arg(long, default_value_t = 1.0)]
    pub width: f64,
    /// Print the rows as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Prints the summary of `a`'s architecture (a table, or JSON with `--json`).
pub fn run(a: SummaryArgs) -> Result<()> {
    let spec = ModelSpec {
        arch: a.arch,
        classes: a.classes,
        in_channels: a.channels,
        input_size: a.input_size,
        width: a.width,
        dropout: 0.0,
        ca_reduction: 16,
        frozen_bn: false,
    };
    let vs = tch::nn::VarStore::new(tch::Device::Cpu);
    let net = model::build(&vs.root(), &spec)?;
    let rows = net.summary(&vs, spec.in_channels, spec.input_size);
    let total = model::parameter_count(&vs);
    if a.json {
        println!("{}", serde_json::json!({"arch": spec.arch, "rows": rows, "total_params": total}));
    } else {
        print!("{}", model::summary_table(&rows, total));
    }
    Ok(())
}
