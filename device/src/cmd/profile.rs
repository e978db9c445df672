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
    /// With --hands: time every plan form instead, one run of each in turn (so a busy
    /// host slows them alike), and print each form's median and 10th percentile in ms.
    #[arg(long)]
    pub compare_plans: bool,
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
    if a.compare_plans {
        let which = a.hands.as_deref().context("--compare-plans compares the plan forms of a hand model: give --hands palm or landmarks")?;
        let lines = compare_plans(which, &picture.to_rgb8(), runs)?;
        if a.json {
            println!("{}", serde_json::to_string(&lines)?);
        } else {
            println!("{:<26}{:>10}{:>10}  ({} runs of each, in turn)", "plan form", "p50 ms", "p10 ms", runs);
            for l in &lines {
                println!("{:<26}{:>10.3}{:>10.3}", l.plan.name(), l.p50_ms, l.p10_ms);
            }
        }
        return Ok(());
    }
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

/// One plan form's times in `device profile --compare-plans`.
#[derive(Debug, serde::Serialize)]
pub struct PlanTime {
    /// The form.
    pub plan: shared::tract_model::PlanForm,
    /// Median ms a run.
    pub p50_ms: f64,
    /// 10th percentile ms a run (the host at its quietest).
    pub p10_ms: f64,
}

/// Every plan form of a hand model on the picture's input, one run of each in turn.
fn compare_plans(which: &str, rgb: &image::RgbImage, runs: usize) -> Result<Vec<PlanTime>> {
    use shared::tract_model::PlanForm;
    let dir = mediapipe_dir(None)?;
    let mut forms: Vec<(PlanForm, Box<dyn FnMut() -> Result<()>>)> = Vec::new();
    for form in PlanForm::ALL {
        if which == "palm" {
            let mut palm = shared::hands::PalmDetector::load_as(&dir.join(shared::hands::PALM_MODEL), form)?;
            let input = palm.input_tensor(rgb, 0.5).to_vec();
            forms.push((form, Box::new(move || palm.run_raw(&input).map(drop).map_err(Into::into))));
        } else {
            let mut lm = shared::hands::HandLandmarker::load_as(&dir.join(shared::hands::LANDMARK_MODEL), form)?;
            let side = rgb.width().min(rgb.height()) as f32;
            let rect = shared::hands::RotatedRect { cx: rgb.width() as f32 / 2.0, cy: rgb.height() as f32 / 2.0, w: side, h: side, rotation: 0.0 };
            let input = lm.input_tensor(rgb, &rect).to_vec();
            forms.push((form, Box::new(move || lm.run_raw(&input).map(drop).map_err(Into::into))));
        }
    }
    let mut times = vec![Vec::with_capacity(runs); forms.len()];
    for round in 0..runs + 3 {
        for (i, (_, run)) in forms.iter_mut().enumerate() {
            let t = std::time::Instant::now();
            run()?;
            if round >= 3 {
                times[i].push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    Ok(forms
        .iter()
        .zip(&mut times)
        .map(|((plan, _), t)| {
            let [p50, p10] = shared::stats::percentiles(t, &[0.5, 0.1])[..] else { unreachable!("two quantiles") };
            PlanTime { plan: *plan, p50_ms: p50, p10_ms: p10 }
        })
        .collect())
}
