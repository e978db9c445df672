//! `host-train bench`: training throughput of an architecture on random inputs.

use std::time::Instant;

use anyhow::Result;
use clap::Args;
use tch::nn::ModuleT;
use tch::{Kind, Tensor};

use crate::model::{self, ModelSpec};
use crate::train::optim::{OptimConfig, OptimKind};

/// Arguments of `host-train bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Architecture.
    #[arg(long, default_value = "mobilenetv2")]
    pub arch: String,
    /// Width multiplier.
    #[arg(long, default_value_t = 1.0)]
    pub width: f64,
    /// Input side.
    #[arg(long, default_value_t = 224)]
    pub input_size: i64,
    /// Input channels.
    #[arg(long, default_value_t = 3)]
    pub channels: i64,
    /// Classes.
    #[arg(long, default_value_t = 29)]
    pub classes: usize,
    /// Batch size.
    #[arg(long, default_value_t = 32)]
    pub batch: i64,
    /// Timed steps (after 2 warm-up steps).
    #[arg(long, default_value_t = 10)]
    pub steps: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Measures training images/s per `a` on `device` and prints it.
pub fn run(a: BenchArgs, device: tch::Device, threads: i32) -> Result<()> {
    tch::manual_seed(0);
    let spec = ModelSpec {
        arch: a.arch.clone(),
        classes: a.classes,
        in_channels: a.channels,
        input_size: a.input_size,
        width: a.width,
        dropout: 0.2,
        ca_reduction: 16,
        frozen_bn: false,
    };
    let vs = tch::nn::VarStore::new(device);
    let net = model::build(&vs.root(), &spec)?;
    let params = model::parameter_count(&vs);
    let mut opt = crate::train::optim::Optimizer::new(
        &vs,
        OptimConfig { kind: OptimKind::Adamw, lr: 1e-3, weight_decay: 1e-4, momentum: 0.9 },
    );
    let x = Tensor::randn([a.batch, a.channels, a.input_size, a.input_size], (Kind::Float, device));
    let y = Tensor::randint(a.classes as i64, [a.batch], (Kind::Int64, device));
    let mut step = || {
        let loss = net.forward_t(&x, true).cross_entropy_for_logits(&y);
        opt.zero_grad();
        loss.backward();
        opt.step(1e-3);
        loss.double_value(&[])
    };
    for _ in 0..2 {
        step();
    }
    let start = Instant::now();
    for _ in 0..a.steps {
        step();
    }
    let secs = start.elapsed().as_secs_f64();
    let ips = (a.steps as i64 * a.batch) as f64 / secs;
    if a.json {
        println!(
            "{}",
            serde_json::json!({"engine": "tch", "arch": a.arch, "width": a.width, "input_size": a.input_size,
                "batch": a.batch, "steps": a.steps, "threads": threads, "device": format!("{device:?}"),
                "parameters": params, "images_per_sec": ips, "ms_per_step": secs * 1000.0 / a.steps as f64})
        );
    } else {
        println!(
            "tch {} width {} input {} batch {}: {:.1} images/s ({:.1} ms/step, {} threads, {params} params)",
            a.arch,
            a.width,
            a.input_size,
            a.batch,
            ips,
            secs * 1000.0 / a.steps as f64,
            threads
        );
    }
    Ok(())
}
