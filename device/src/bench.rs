//! `device bench`: per-stage latency of the real kiosk loop (p50/p90/p99), end-to-end
//! and model-only fps, peak memory and threads, as a table for people or JSON.

use std::path::PathBuf;

use serde::Serialize;

use crate::timing::{Stage, Summary, Timings};

/// One stage's line.
#[derive(Debug, Clone, Serialize)]
pub struct StageLine {
    /// The stage.
    pub stage: Stage,
    /// Its name in the table.
    pub name: &'static str,
    /// Percentiles in ms.
    #[serde(flatten)]
    pub ms: Summary,
}

/// A benchmark's results.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// The model file.
    pub model: PathBuf,
    /// Its size in bytes.
    pub model_bytes: usize,
    /// Millions of multiply-accumulates per inference (tract's count).
    pub model_mmac: f64,
    /// The card's quantization form.
    pub quantization: String,
    /// Where frames came from.
    pub source: String,
    /// tract threads.
    pub threads: usize,
    /// Mirrored inference (two passes a frame).
    pub mirrored: bool,
    /// Frames measured (after warm-up).
    pub frames: usize,
    /// Each stage.
    pub stages: Vec<StageLine>,
    /// Whole frames.
    pub frame_ms: Summary,
    /// Frames a second through the whole loop (1000 / mean frame ms).
    pub end_to_end_fps: f64,
    /// Whether capture, palm detection and the panel ran on threads of their own.
    pub pipelined: bool,
    /// Frames a second over the timed run's wall time: the frame period is 1000 / this.
    /// With the pipeline, frames overlap, so it can exceed `end_to_end_fps`.
    pub throughput_fps: f64,
    /// From the source having a frame to its screen sent, per frame (ms).
    pub latency_ms: Summary,
    /// How busy each thread was over the timed run.
    pub thread_busy: Vec<ThreadLine>,
    /// Frames a second the busiest thread could take, its work a frame as measured:
    /// the kiosk's capacity (equal to the throughput when nothing waits).
    pub capacity_fps: f64,
    /// Frames a second of the model alone (1000 / mean inference ms).
    pub model_fps: f64,
    /// Share of frame time spent outside inference.
    pub non_inference_share: f64,
    /// Loading the model: read, card check, optimize, warm-up (ms).
    pub model_load_ms: f64,
    /// Peak resident memory (VmHWM), KiB.
    pub peak_rss_kib: Option<u64>,
    /// Threads of the process at the end.
    pub process_threads: Option<u64>,
    /// The hand-region models' own runs, when the region follows the hand.
    pub hands: Option<HandsStages>,
    /// From the start of `main` to the first frame pushed to the panel: config, model
    /// load, plan, warm-up, hand models, first capture and draw (ms).
    pub startup_ms: Option<f64>,
    /// Heap allocations a frame, whole process, over the timed frames (0 when the
    /// binary does not count them).
    pub allocations_per_frame: f64,
    /// SPI bytes a frame's screen costs when only changed bands are sent (what
    /// [`crate::display::spi::SpiPanel`] sends), and a whole screen's bytes.
    pub spi_bytes_per_frame: f64,
    /// A whole screen in SPI bytes (what every frame cost before bands).
    pub spi_bytes_full_screen: f64,
}

/// One thread's work over the timed run.
#[derive(Debug, Clone, Serialize)]
pub struct ThreadLine {
    /// `kiosk` (the loop), `palm`, `capture` or `panel`.
    pub thread: &'static str,
    /// Milliseconds it worked.
    pub busy_ms: f64,
    /// Its work over the run's wall time (1.0: never idle).
    pub share: f64,
}

/// What the hand-region stage spends in MediaPipe's two models.
#[derive(Debug, Clone, Serialize)]
pub struct HandsStages {
    /// The palm detector runs every this many frames (more while no hand is found).
    pub detect_every: usize,
    /// Palm detector runs (letterbox and decoding included).
    pub palm_ms: Summary,
    /// Landmark model runs (crop and mapping included).
    pub landmark_ms: Summary,
    /// Frames measured in which a hand was found.
    pub frames_with_hand: u64,
}

/// A field of `/proc/self/status` as a number (`VmHWM`, `Threads`).
pub fn proc_status(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?;
    line[field.len() + 1..].split_whitespace().next()?.parse().ok()
}

impl BenchReport {
    /// Builds the report from the loop's timings.
    #[allow(clippy::too_many_arguments)] // one line per field of the report
    pub fn new(
        timings: &Timings,
        model: PathBuf,
        model_bytes: usize,
        model_macs: u64,
        quantization: String,
        source: String,
        threads: usize,
        mirrored: bool,
        model_load_ms: f64,
    ) -> Self {
        let stages: Vec<StageLine> =
            Stage::ALL.iter().map(|&s| StageLine { stage: s, name: s.name(), ms: timings.stage(s) }).collect();
        let frame_ms = timings.frames();
        let inference = timings.stage(Stage::Inference).mean;
        Self {
            model,
            model_bytes,
            model_mmac: model_macs as f64 / 1e6,
            quantization,
            source,
            threads,
            mirrored,
            frames: frame_ms.count,
            stages,
            frame_ms,
            end_to_end_fps: if frame_ms.mean > 0.0 { 1000.0 / frame_ms.mean } else { 0.0 },
            pipelined: false,
            throughput_fps: timings.throughput_fps(),
            latency_ms: timings.latencies(),
            thread_busy: Vec::new(),
            capacity_fps: 0.0,
            model_fps: if inference > 0.0 { 1000.0 / inference } else { 0.0 },
            non_inference_share: if frame_ms.mean > 0.0 { 1.0 - inference / frame_ms.mean } else { 0.0 },
            model_load_ms,
            peak_rss_kib: proc_status("VmHWM"),
            process_threads: proc_status("Threads"),
            hands: None,
            startup_ms: None,
            allocations_per_frame: 0.0,
            spi_bytes_per_frame: 0.0,
            spi_bytes_full_screen: 0.0,
        }
    }

    /// The table for people.
    pub fn table(&self) -> String {
        let mut s = format!(
            "model {} ({} bytes, {:.1} MMAC, {}), {} threads{}, {} frames from {}\n",
            self.model.display(),
            self.model_bytes,
            self.model_mmac,
            self.quantization,
            self.threads,
            if self.mirrored { ", mirrored" } else { "" },
            self.frames,
            self.source
        );
        s += &format!("{:<16}{:>10}{:>10}{:>10}{:>10}\n", "stage", "p50 ms", "p90 ms", "p99 ms", "mean ms");
        for l in self.stages.iter().map(|l| (l.name, l.ms)).chain([("whole frame", self.frame_ms)]) {
            s += &format!("{:<16}{:>10.3}{:>10.3}{:>10.3}{:>10.3}\n", l.0, l.1.p50, l.1.p90, l.1.p99, l.1.mean);
        }
        if let Some(h) = &self.hands {
            for (name, m) in [("  palm model", h.palm_ms), ("  landmarks", h.landmark_ms)] {
                s += &format!("{:<16}{:>10.3}{:>10.3}{:>10.3}{:>10.3}  ({} runs)\n", name, m.p50, m.p90, m.p99, m.mean, m.count);
            }
            s += &format!(
                "  (hand region: palm detection every {} frames, landmarks every frame; a hand in {} of {} frames)\n",
                h.detect_every, h.frames_with_hand, self.frames
            );
        }
        s += &format!(
            "{}: {:.1} frames a second (frame period {:.2} ms); latency frame to screen p50 {:.2} ms, p99 {:.2} ms\n",
            if self.pipelined { "pipelined" } else { "one thread" },
            self.throughput_fps,
            if self.throughput_fps > 0.0 { 1000.0 / self.throughput_fps } else { 0.0 },
            self.latency_ms.p50,
            self.latency_ms.p99
        );
        for t in &self.thread_busy {
            s += &format!("  thread {:<8} busy {:>5.1}% ({:.0} ms, {:.2} ms a frame)\n", t.thread, t.share * 100.0, t.busy_ms, t.busy_ms / self.frames.max(1) as f64);
        }
        s += &format!(
            "capacity {:.1} frames a second (period {:.2} ms): the busiest thread's work a frame\n",
            self.capacity_fps,
            if self.capacity_fps > 0.0 { 1000.0 / self.capacity_fps } else { 0.0 }
        );
        s += &format!(
            "end-to-end {:.1} fps, model only {:.1} fps, {:.0}% of frame time outside inference\n",
            self.end_to_end_fps,
            self.model_fps,
            self.non_inference_share * 100.0
        );
        s += &format!(
            "SPI: {:.0} bytes a frame in changed bands (a whole screen: {:.0}; {:.2} ms against {:.2} ms at 32 MHz)\n",
            self.spi_bytes_per_frame,
            self.spi_bytes_full_screen,
            self.spi_bytes_per_frame * 8.0 / 32e3,
            self.spi_bytes_full_screen * 8.0 / 32e3
        );
        s += &format!(
            "{:.0} heap allocations a frame; model load {:.0} ms, first frame on screen {} ms after start, peak RSS {} MiB, {} threads\n",
            self.allocations_per_frame,
            self.model_load_ms,
            self.startup_ms.map_or("?".into(), |t| format!("{t:.0}")),
            self.peak_rss_kib.map_or("?".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
            self.process_threads.map_or("?".into(), |t| t.to_string())
        );
        s
    }
}
