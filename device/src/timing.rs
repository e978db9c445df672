//! Per-stage timings of the kiosk loop, for `device bench` and the fps on screen.

use std::time::{Duration, Instant};

use serde::Serialize;

/// The stages of one frame, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Waiting for and decoding a camera frame (or reading a replayed file).
    Capture,
    /// Finding the hand region.
    Region,
    /// Cropping, resizing and normalizing into the input tensor.
    Preprocess,
    /// The model (both passes with mirrored inference).
    Inference,
    /// Probabilities to letters and words.
    Decode,
    /// Drawing the screen into memory.
    Draw,
    /// Sending the screen to the panel.
    Push,
}

impl Stage {
    /// All stages in order.
    pub const ALL: [Stage; 7] =
        [Stage::Capture, Stage::Region, Stage::Preprocess, Stage::Inference, Stage::Decode, Stage::Draw, Stage::Push];

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Capture => "capture+decode",
            Stage::Region => "hand region",
            Stage::Preprocess => "preprocess",
            Stage::Inference => "inference",
            Stage::Decode => "decode",
            Stage::Draw => "draw",
            Stage::Push => "display push",
        }
    }
}

/// Milliseconds recorded per stage, plus whole frames: the last [`Timings::KEPT`] of each
/// (a kiosk runs for months; the memory stays bounded).
#[derive(Debug, Clone, Default)]
pub struct Timings {
    stages: [Window; 7],
    frames: Window,
    /// Frame read to pixels out, per frame.
    latency: Window,
    /// When the first timed frame started and the last one ended (throughput).
    span: Option<(Instant, Instant, u64)>,
}

/// The last [`Timings::KEPT`] values of a series, in a ring.
#[derive(Debug, Clone, Default)]
struct Window {
    values: Vec<f64>,
    seen: usize,
}

impl Window {
    fn push(&mut self, v: f64) {
        if self.values.len() < Timings::KEPT {
            self.values.push(v);
        } else {
            self.values[self.seen % Timings::KEPT] = v;
        }
        self.seen += 1;
    }
}

/// Percentiles of one series, in ms.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Summary {
    /// Samples.
    pub count: usize,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Mean.
    pub mean: f64,
}

impl Summary {
    /// Percentiles of `values` (nearest rank); zeros when empty.
    pub fn of(values: &[f64]) -> Self {
        if values.is_empty() {
            return Self { count: 0, p50: 0.0, p90: 0.0, p99: 0.0, mean: 0.0 };
        }
        let mut v = values.to_vec();
        let [p50, p90, p99] = shared::stats::percentiles(&mut v, &[0.5, 0.9, 0.99])[..] else { unreachable!("three quantiles of a non-empty series") };
        Self { count: v.len(), p50, p90, p99, mean: v.iter().sum::<f64>() / v.len() as f64 }
    }
}

impl Timings {
    /// Values kept per series (the most recent); 8 series of 16,384 take 1 MiB.
    pub const KEPT: usize = 16_384;

    /// Records a stage's duration.
    pub fn record(&mut self, stage: Stage, d: Duration) {
        self.stages[stage as usize].push(d.as_secs_f64() * 1000.0);
    }

    /// Records a whole frame's duration.
    pub fn frame(&mut self, d: Duration) {
        self.frames.push(d.as_secs_f64() * 1000.0);
    }

    /// Records a frame's latency: from the source having it to its screen out.
    pub fn latency(&mut self, ms: f64) {
        self.latency.push(ms);
    }

    /// Records that a frame started at `start` and ended at `end` (for throughput).
    pub fn span(&mut self, start: Instant, end: Instant) {
        let (first, _, n) = self.span.unwrap_or((start, end, 0));
        self.span = Some((first, end, n + 1));
    }

    /// Frames a second from the first timed frame's start to the last one's end (frames
    /// overlap in the pipelined kiosk, so this is not 1000 / mean frame ms).
    pub fn throughput_fps(&self) -> f64 {
        match self.span {
            Some((a, b, n)) if b > a => n as f64 / b.duration_since(a).as_secs_f64(),
            _ => 0.0,
        }
    }

    /// Seconds from the first timed frame's start to the last one's end.
    pub fn wall_s(&self) -> f64 {
        self.span.map_or(0.0, |(a, b, _)| b.duration_since(a).as_secs_f64())
    }

    /// Summary of the latencies (the last [`Timings::KEPT`]).
    pub fn latencies(&self) -> Summary {
        Summary::of(&self.latency.values)
    }

    /// Summary of a stage (its last [`Timings::KEPT`] values).
    pub fn stage(&self, stage: Stage) -> Summary {
        Summary::of(&self.stages[stage as usize].values)
    }

    /// Summary of whole frames (the last [`Timings::KEPT`]).
    pub fn frames(&self) -> Summary {
        Summary::of(&self.frames.values)
    }

    /// Forgets everything (after warm-up).
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

/// How long a pipeline thread has worked (capture, panel), shared with whoever reports
/// it: busy time over the run's wall time is how loaded the thread is.
#[derive(Debug, Default)]
pub struct ThreadBusy(std::sync::atomic::AtomicU64);

impl ThreadBusy {
    /// Adds a stretch of work.
    pub fn add(&self, d: Duration) {
        self.0.fetch_add(d.as_nanos() as u64, std::sync::atomic::Ordering::Relaxed);
    }

    /// Milliseconds worked since the start or the last [`ThreadBusy::reset`].
    pub fn ms(&self) -> f64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1e6
    }

    /// Starts counting again (after a warm-up).
    pub fn reset(&self) {
        self.0.store(0, std::sync::atomic::Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = Summary::of(&v);
        assert_eq!((s.p50, s.p90, s.p99, s.count), (50.0, 90.0, 99.0, 100));
        assert_eq!(s.mean, 50.5);
        assert_eq!(Summary::of(&[]).count, 0);
    }

    #[test]
    fn only_the_last_values_are_kept() {
        let mut t = Timings::default();
        for i in 0..Timings::KEPT + 10 {
            t.frame(Duration::from_millis(if i < 10 { 1000 } else { 5 }));
        }
        let s = t.frames();
        assert_eq!(s.count, Timings::KEPT);
        assert_eq!(s.p99, 5.0, "the first ten frames have been overwritten");
    }
}
