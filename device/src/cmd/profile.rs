//! `device profile`: every node of a model's tract plan timed on a real input, per
//! operator kind and the most expensive nodes.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::{default_dataset, mediapipe_dir, model_or_default};
use crate::engine::{self, Engine};
use crate::source::replay::Replay;

/// Arguments of `device profile`.
#[derive(clap::Args, Debug)]
pub struct ProfileArgs {
    /// The ONNX model (default: the shipped ASL landmark classifier, models/asl-landmarks.onnx).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// The picture whose input is profiled (default: the first held-out picture of the
    /// ASL alphabet dataset).
    #[arg(long)]
    pub image: Option<PathBuf>,
    /// Timed runs.
    #[arg(long, default_value_t = 100)]
    pub runs: usize,
    /// tract threads.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// How tract's plans are built: tract, channel-last, channel-last-depthwise or
    /// tract-depthwise (default: what the kiosk runs, each model's measured best).
    #[arg(long)]
    pub plan: Option<shared::tract_model::PlanForm>,
    /// Profile one of MediaPipe's hand models instead (`palm` or `landmarks`, from
    /// ../shared/models/mediapipe or where the .deb installs them).
    #[arg(long, value_parser = ["palm", "landmarks"])]
    pub hands: Option<String>,
    /// Nodes listed in the table.
    #[arg(long, default_value_t = 15)]
    pub top: usize,
    /// Print JSON (every node) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Write the profiled input tensor here, little-endian f32 (for timing another
    /// engine on the same input: scripts/bench_onnxruntime.py).
    #[arg(long)]
    pub save_input: Option<PathBuf>,
}

/// Runs `device profile`.
pub fn run(a: ProfileArgs) -> Result<()> {
    engine::set_threads(a.threads);
    let model = model_or_default(a.model);
    let image = match a.image {
        Some(i) => i,
        None => Replay::from_paths(&[default_dataset()?], 30.0)?.files()[0].clone(),
    };
    let picture = shared::image_io::decode_file(&image)?;
    let runs = a.runs.max(1);
    let (model, run_ms, nodes, input) = match a.hands {
        Some(which) => profile_hands(&which, picture.to_rgb8(), a.plan, runs)?,
        None => {
            let mut engine = Engine::load_as(&model, a.plan.unwrap_or_default())?;
            engine.preprocess_image(&picture)?;
            let run_ms = mean_ms(runs, || engine.infer(false).map(drop))?;
            (model, run_ms, engine.profile(runs)?, engine.input().to_vec())
        }
    };
    if let Some(path) = &a.save_input {
        let bytes: Vec<u8> = input.iter().flat_map(|v| v.to_le_bytes()).collect();
        shared::atomic::write(path, &bytes).with_context(|| format!("cannot write the input to {}", path.display()))?;
    }
    let report = crate::profile::ProfileReport::new(model, image, a.threads, runs, run_ms, nodes);
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.table(a.top));
    }
    Ok(())
}

/// Mean milliseconds of `runs` calls of `run`.
fn mean_ms(runs: usize, mut run: impl FnMut() -> Result<()>) -> Result<f64> {
    let started = std::time::Instant::now();
    for _ in 0..runs {
        run()?;
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0 / runs.max(1) as f64)
}

/// `device profile --hands`: one of MediaPipe's models on the picture (the palm
/// detector's letterboxed input, or the landmark model's crop of the centred square):
/// the model file, the mean ms of an ordinary run, every node's time and the input.
fn profile_hands(
    which: &str,
    rgb: image::RgbImage,
    plan: Option<shared::tract_model::PlanForm>,
    runs: usize,
) -> Result<(PathBuf, f64, Vec<shared::tract_model::NodeTime>, Vec<f32>)> {
    let dir = mediapipe_dir(None)?;
    if which == "palm" {
        let path = dir.join(shared::hands::PALM_MODEL);
        let mut palm = shared::hands::PalmDetector::load_as(&path, plan.unwrap_or(shared::hands::palm::PLAN))?;
        let input = palm.input_tensor(&rgb, 0.5).to_vec();
        let run_ms = mean_ms(runs, || palm.run_raw(&input).map(drop).map_err(Into::into))?;
        let nodes = palm.profile(&input, runs)?;
        return Ok((path, run_ms, nodes, input));
    }
    let path = dir.join(shared::hands::LANDMARK_MODEL);
    let mut landmarks = shared::hands::HandLandmarker::load_as(&path, plan.unwrap_or(shared::hands::landmarks::PLAN))?;
    let side = rgb.width().min(rgb.height()) as f32;
    let rect = shared::hands::RotatedRect {
        cx: rgb.width() as f32 / 2.0,
        cy: rgb.height() as f32 / 2.0,
        w: side,
        h: side,
        rotation: 0.0,
    };
    let input = landmarks.input_tensor(&rgb, &rect).to_vec();
    let run_ms = mean_ms(runs, || landmarks.run_raw(&input).map(drop).map_err(Into::into))?;
    let nodes = landmarks.profile(&input, runs)?;
    Ok((path, run_ms, nodes, input))
}
