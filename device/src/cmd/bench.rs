//! `device bench`: every stage of the kiosk loop timed on replayed frames, with
//! startup, allocations a frame and SPI bytes a frame ([`crate::bench`]).

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::{default_dataset, default_mediapipe, model_or_default, parse_size};
use crate::bench;
use crate::decode::DecoderConfig;
use crate::display::CountingPanel;
use crate::engine::{self, Engine};
use crate::kiosk::Kiosk;
use crate::region::{self, GuideBox, HandsConfig};
use crate::source::FrameSource;
use crate::source::replay::Replay;

/// Arguments of `device bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// The ONNX model (default: the shipped ASL landmark classifier, models/asl-landmarks.onnx).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Frames to time (after 20 warm-up frames).
    #[arg(long, default_value_t = 300)]
    pub frames: u64,
    /// tract threads.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Image files or folders to replay (default: ../shared/data/asl-alphabet).
    #[arg(long)]
    pub source: Vec<PathBuf>,
    /// Mirrored inference (two passes a frame).
    #[arg(long)]
    pub mirrored: bool,
    /// How tract's plans are built: tract, channel-last, channel-last-depthwise or
    /// tract-depthwise (default: what the kiosk runs, each model's measured best).
    #[arg(long)]
    pub plan: Option<shared::tract_model::PlanForm>,
    /// Screen size drawn.
    #[arg(long, default_value = "240x240", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Write the model inputs of the first 32 timed frames here, as little-endian f32
    /// one tensor after another (for timing another engine on the same inputs).
    #[arg(long)]
    pub save_inputs: Option<PathBuf>,
    /// Follow the hand with MediaPipe's models from this folder (e.g.
    /// ../shared/models/mediapipe) instead of the fixed guide box; the table then
    /// shows the palm and landmark models' own times.
    #[arg(long)]
    pub hands: Option<PathBuf>,
    /// With --hands: run the palm detector every N frames.
    #[arg(long, default_value_t = 10)]
    pub detect_every: usize,
}

/// Runs `device bench` and prints its table (or JSON).
pub fn run(a: BenchArgs) -> Result<()> {
    engine::set_threads(a.threads);
    let model = model_or_default(a.model);
    let started = std::time::Instant::now();
    let engine = Engine::load_as(&model, a.plan.unwrap_or_default())?;
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let sources = if a.source.is_empty() { vec![default_dataset()?] } else { a.source };
    let replay = Replay::from_paths(&sources, 30.0)?.looped(true);
    let described = replay.describe();
    let (bytes, quantization, macs) = (engine.file_bytes(), format!("{:?}", engine.card().quantization), engine.macs());
    // A landmark-mask model gets the hand follower anyway; built here so --plan reaches it.
    let hands = a.hands.or_else(|| engine.wants_landmarks().then(default_mediapipe).flatten());
    let region = GuideBox {
        hands: hands.map(|models| HandsConfig { models, detect_every: a.detect_every, margin: 0.25, plan: a.plan }),
        ..GuideBox::default()
    };
    let region = region::for_model(&region, engine.wants_landmarks(), default_mediapipe())?;
    let mut kiosk = Kiosk::builder(replay, region, engine, CountingPanel::new(a.size))
        .decoder_config(DecoderConfig { mirrored: a.mirrored, ..DecoderConfig::default() })
        .max_frames(20)
        .build();
    kiosk.run()?;
    kiosk.clear_timings();
    kiosk.panel_mut().reset_counts();
    kiosk.region_mut().restart_hand_stats();
    kiosk.set_max_frames(Some(a.frames.max(1)));
    kiosk.keep_inputs(if a.save_inputs.is_some() { 32 } else { 0 });
    let allocations = crate::alloc_count::allocations();
    kiosk.run()?;
    let allocations = crate::alloc_count::allocations() - allocations;
    if let (Some(path), Some(kept)) = (&a.save_inputs, kiosk.kept_inputs()) {
        let bytes: Vec<u8> = kept.iter().flat_map(|v| v.to_le_bytes()).collect();
        shared::atomic::write(path, &bytes).with_context(|| format!("cannot write the inputs to {}", path.display()))?;
    }
    let mut report = bench::BenchReport::new(kiosk.timings(), model, bytes, macs, quantization, described, a.threads, a.mirrored, load_ms);
    report.allocations_per_frame = allocations as f64 / a.frames.max(1) as f64;
    report.spi_bytes_per_frame = kiosk.panel().bytes_per_push();
    report.spi_bytes_full_screen = kiosk.panel().bytes_full_screen();
    report.startup_ms = match (super::started(), kiosk.first_frame_at()) {
        (Some(start), Some(first)) => Some(first.duration_since(start).as_secs_f64() * 1000.0),
        _ => None,
    };
    if let Some((t, frames_with_hand)) = kiosk.region().hand_stats() {
        report.hands = Some(bench::HandsStages {
            detect_every: a.detect_every,
            palm_ms: crate::timing::Summary::of(&t.palm_ms),
            landmark_ms: crate::timing::Summary::of(&t.landmark_ms),
            frames_with_hand,
        });
    }
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}
