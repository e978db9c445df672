//! `host-train latency`: tract inference latency of ONNX files side by side.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;

/// Arguments of `host-train latency`.
#[derive(Args, Debug)]
pub struct LatencyArgs {
    /// ONNX files written by `export`.
    #[arg(required = true)]
    pub models: Vec<PathBuf>,
    /// Timed runs per model (after 5 warm-up runs).
    #[arg(long, default_value_t = 50)]
    pub runs: usize,
    /// Print JSON lines.
    #[arg(long)]
    pub json: bool,
    /// Also time each int8 weight-only file with its weights dequantized to float
    /// before tract loads it (what a loader can do to keep the 4x smaller file).
    /// Static int8 forms (QDQ, QLinear) are timed as stored.
    #[arg(long)]
    pub dequantize_at_load: bool,
}

/// Times each model in `a` (batch 1) and prints a table or JSON lines.
pub fn run(a: LatencyArgs) -> Result<()> {
    let mut first: Option<f64> = None;
    if !a.json {
        println!(
            "{:<56}{:<26}{:>8}{:>10}{:>10}{:>10}{:>12}{:>8}",
            "model (tract, batch 1)", "form", "MMAC", "p50 ms", "mean ms", "p90 ms", "bytes", "ratio"
        );
    }
    let mut runs: Vec<(&PathBuf, shared::ModelCard, bool)> = Vec::new();
    for path in &a.models {
        let (card, _) = shared::ModelCard::read_onnx(path).with_context(|| format!("cannot use {}", path.display()))?;
        let weights_only = matches!(&card.quantization, shared::card::Quantization::Int8 { form, .. } if form.starts_with(shared::tract_model::WEIGHTS_ONLY));
        if a.dequantize_at_load && weights_only {
            runs.push((path, card.clone(), false));
            runs.push((path, card, true));
        } else {
            runs.push((path, card, false));
        }
    }
    for (path, card, dequantize) in &runs {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let engine = if *dequantize {
            shared::tract_model::TractModel::from_bytes(&bytes, path)?
        } else {
            shared::tract_model::TractModel::from_bytes_as_stored(&bytes, path)?
        };
        let x = vec![0.1f32; card.preprocess.tensor_len()];
        for _ in 0..5 {
            engine.run(&x)?;
        }
        let mut times: Vec<f64> = (0..a.runs.max(1))
            .map(|_| {
                let start = Instant::now();
                engine.run(&x).map(|_| start.elapsed().as_secs_f64() * 1000.0)
            })
            .collect::<Result<_, _>>()?;
        let [p50, p90] = shared::stats::percentiles(&mut times, &[0.5, 0.9])[..] else { unreachable!("at least one run") };
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        let bytes = std::fs::metadata(path)?.len();
        let ratio = p50 / *first.get_or_insert(p50);
        let label = format!("{}{}", path.display(), if *dequantize { " (dequantized at load)" } else { "" });
        let form = match &card.quantization {
            shared::card::Quantization::Float32 => "float32".to_string(),
            shared::card::Quantization::Int8 { form, calibration_images } if *calibration_images > 0 => {
                format!("{form} ({calibration_images} cal)")
            }
            shared::card::Quantization::Int8 { form, .. } => form.clone(),
        };
        if a.json {
            println!(
                "{}",
                serde_json::json!({"model": label, "file": path, "engine": "tract", "form": form, "dequantized_at_load": dequantize, "mmac": engine.macs as f64 / 1e6, "p50_ms": p50, "mean_ms": mean, "p90_ms": p90, "bytes": bytes, "ratio_to_first": ratio, "quantization": card.quantization})
            );
        } else {
            println!(
                "{:<56}{:<26}{:>8.1}{:>10.3}{:>10.3}{:>10.3}{:>12}{:>8.2}",
                label,
                form,
                engine.macs as f64 / 1e6,
                p50,
                mean,
                p90,
                bytes,
                ratio
            );
        }
    }
    Ok(())
}
