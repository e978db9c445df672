//! `device bench`: every stage of the kiosk loop timed on replayed frames, with
//! startup, allocations a frame and SPI bytes a frame ([`crate::bench`]).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};

use super::{default_dataset, default_mediapipe, model_or_default, parse_size};
use crate::bench;
use crate::decode::DecoderConfig;
use crate::display::pipelined::PanelThread;
use crate::display::{CountingPanel, Panel};
use crate::engine::{self, Engine};
use crate::kiosk::Kiosk;
use crate::region::{self, GuideBox, HandsConfig};
use crate::source::FrameSource;
use crate::source::prefetch::{Handoff, Prefetch};
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
    /// Run the loop as the camera kiosk does (`[engine] pipelined`): capture, palm
    /// detection and the panel on threads of their own, frames overlapping; without it,
    /// every stage in one thread, one frame after another.
    #[arg(long)]
    pub pipelined: bool,
    /// Deliver the replayed frames at this rate, as a camera does (default: as fast as
    /// the loop takes them). A pipelined kiosk is measured at a camera's rate: its threads'
    /// busy shares give its capacity.
    #[arg(long)]
    pub fps: Option<f64>,
    /// With --pipelined and a hand follower: landmark threads taking frames in turn
    /// (`[engine] landmark_threads`).
    #[arg(long, default_value_t = 1)]
    pub landmark_threads: usize,
}

/// Runs `device bench` and prints its table (or JSON).
pub fn run(a: BenchArgs) -> Result<()> {
    engine::set_threads(a.threads);
    let model = model_or_default(a.model);
    let started = std::time::Instant::now();
    let engine = Engine::load_as(&model, a.plan.unwrap_or_default())?;
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let sources = if a.source.is_empty() { vec![default_dataset()?] } else { a.source };
    let replay = Replay::from_paths(&sources, a.fps.unwrap_or(30.0))?.looped(true).paced(a.fps.is_some());
    let described = replay.describe();
    let (bytes, quantization, macs) = (engine.file_bytes(), format!("{:?}", engine.card().quantization), engine.macs());
    // A landmark-mask model gets the hand follower anyway; built here so --plan reaches it.
    let hands = a.hands.or_else(|| engine.wants_landmarks().then(default_mediapipe).flatten());
    let region = GuideBox {
        hands: hands.map(|models| HandsConfig { models, detect_every: a.detect_every, margin: 0.25, plan: a.plan }),
        palm_thread: a.pipelined,
        landmark_threads: if a.pipelined { a.landmark_threads.max(1) } else { 1 },
        ..GuideBox::default()
    };
    let region = region::for_model(&region, engine.wants_landmarks(), default_mediapipe())?;
    let counting = Arc::new(Mutex::new(CountingPanel::new(a.size)));
    let mut busy = Vec::new();
    let (source, panel): (Box<dyn FrameSource + Send>, Box<dyn Panel + Send>) = if a.pipelined {
        // At a camera's rate the kiosk takes the latest frame, as with a camera.
        let handoff = if a.fps.is_some() { Handoff::Latest } else { Handoff::Every };
        let source = Prefetch::start(replay, handoff).context("cannot start the capture thread")?;
        let panel = PanelThread::start(counting.clone()).context("cannot start the panel thread")?;
        busy = vec![("capture", source.busy.clone()), ("panel", panel.busy.clone())];
        (Box::new(source), Box::new(panel))
    } else {
        (Box::new(replay), Box::new(counting.clone()))
    };
    let mut kiosk = Kiosk::builder(source, region, engine, panel)
        .decoder_config(DecoderConfig { mirrored: a.mirrored, ..DecoderConfig::default() })
        .max_frames(20)
        .build();
    kiosk.run()?;
    // A hand follower warms up until it has found the hand: the palm thread's first
    // answer takes longer than 20 frames without one.
    for _ in 0..50 {
        if kiosk.region().hand_stats().is_none_or(|(_, with_hand)| with_hand > 0) {
            break;
        }
        kiosk.set_max_frames(Some(10));
        kiosk.run()?;
    }
    kiosk.clear_timings();
    counting.lock().expect("the panel's lock").reset_counts();
    busy.iter().for_each(|(_, b)| b.reset());
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
    {
        let counting = counting.lock().expect("the panel's lock");
        report.spi_bytes_per_frame = counting.bytes_per_push();
        report.spi_bytes_full_screen = counting.bytes_full_screen();
    }
    report.startup_ms = match (super::started(), kiosk.first_frame_at()) {
        (Some(start), Some(first)) => Some(first.duration_since(start).as_secs_f64() * 1000.0),
        _ => None,
    };
    report.pipelined = a.pipelined;
    let wall_ms = kiosk.timings().wall_s() * 1000.0;
    // The loop's own work: a paced replay's wait, and with the pipeline the wait for the
    // capture thread's hand-off, are not work.
    let mut kiosk_ms = report.frame_ms.mean * report.frame_ms.count as f64;
    if a.pipelined || a.fps.is_some() {
        kiosk_ms -= report.stages[crate::timing::Stage::Capture as usize].ms.mean * report.frame_ms.count as f64;
    }
    report.thread_busy.push(bench::ThreadLine { thread: "kiosk", busy_ms: kiosk_ms, share: kiosk_ms / wall_ms.max(1e-9) });
    if let Some((t, _)) = kiosk.region().hand_stats().filter(|_| a.pipelined) {
        let ms: f64 = t.palm_ms.iter().sum();
        report.thread_busy.push(bench::ThreadLine { thread: "palm", busy_ms: ms, share: ms / wall_ms.max(1e-9) });
        if a.landmark_threads > 1 {
            // Each landmark thread's share (they take frames in turn).
            let ms = t.landmark_ms.iter().sum::<f64>() / a.landmark_threads as f64;
            report.thread_busy.push(bench::ThreadLine { thread: "landmark", busy_ms: ms, share: ms / wall_ms.max(1e-9) });
            // The loop's time includes waiting for the landmark threads' answers.
            report.thread_busy[0].thread = "kiosk (with waits)";
        }
    }
    for (thread, b) in &busy {
        report.thread_busy.push(bench::ThreadLine { thread, busy_ms: b.ms(), share: b.ms() / wall_ms.max(1e-9) });
    }
    let busiest = report.thread_busy.iter().map(|t| t.busy_ms).fold(0.0, f64::max);
    report.capacity_fps = if busiest > 0.0 { report.frame_ms.count as f64 * 1000.0 / busiest } else { 0.0 };
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
