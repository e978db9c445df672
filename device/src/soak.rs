//! The soak run: the whole kiosk loop on replayed held-out frames for a fixed time, with
//! faults injected (bad frames, stalls, a lost camera) and the model switched back and
//! forth, while the process's resident memory is sampled. A kiosk runs for months: its
//! memory must settle after warm-up and stay there. Loading and dropping models makes it
//! rise and fall; what counts is whether the second half after warm-up sits higher than
//! the first (their medians).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::config::RecoveryConfig;
use crate::controls::Action;
use crate::demo;
use crate::display::NullPanel;
use crate::engine::Engine;
use crate::kiosk::{Kiosk, sleep_unless_stopped};
use crate::model_switch::ModelSwitcher;
use crate::region::GuideBox;
use crate::source::fault::{Fault, FaultySource};
use crate::source::replay::Replay;

/// What to soak.
#[derive(Debug, Clone)]
pub struct SoakConfig {
    /// Models the mode button steps through (the first runs first).
    pub models: Vec<PathBuf>,
    /// The asl-alphabet dataset the frames come from (each model's held-out frames).
    pub frames: PathBuf,
    /// The word spelled over and over.
    pub word: String,
    /// How long the loop runs.
    pub duration: Duration,
    /// How often resident memory is sampled.
    pub sample_every: Duration,
    /// Memory before this is warm-up (allocators and caches filling).
    pub warm_up: Duration,
    /// How often the mode button is pressed.
    pub switch_every: Duration,
}

/// One memory sample.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RssSample {
    /// Seconds since the start.
    pub secs: f64,
    /// Resident set size, KiB (`VmRSS`).
    pub rss_kib: u64,
}

/// What a soak run saw.
#[derive(Debug, Clone, Serialize)]
pub struct SoakReport {
    /// Seconds run.
    pub seconds: f64,
    /// Frames classified.
    pub frames: u64,
    /// Frames dropped by injected faults.
    pub dropped: u64,
    /// Injected camera losses recovered from.
    pub lost: u64,
    /// Mode-button presses (model switches asked for).
    pub switches: u64,
    /// Letters and word breaks committed.
    pub edits: u64,
    /// Median resident memory in the first half after warm-up, KiB.
    pub first_half_median_kib: u64,
    /// Median resident memory in the second half, KiB.
    pub second_half_median_kib: u64,
    /// Lowest resident memory in the first and second half, KiB.
    pub floors_kib: [u64; 2],
    /// Highest resident memory in the first and second half, KiB (samples taken while a
    /// model is loading hold two models: transient).
    pub peaks_kib: [u64; 2],
    /// Resident memory at the end, KiB.
    pub end_rss_kib: u64,
    /// `second_half_median_kib - first_half_median_kib`: memory that keeps growing
    /// shows here, while the rise and fall of loading and dropping models does not.
    pub growth_kib: i64,
    /// Least-squares slope of resident memory after warm-up, MiB an hour.
    pub slope_mib_per_hour: f64,
    /// Every sample.
    pub samples: Vec<RssSample>,
}

/// The process's resident memory in KiB (`VmRSS` in /proc/self/status).
pub fn rss_kib() -> Result<u64> {
    crate::bench::proc_status("VmRSS").context("/proc/self/status has no readable VmRSS line")
}

/// Faults every few hundred frames, repeating: a bad frame every 397th, a 20 ms stall
/// every 1009th, the camera lost for two reopen attempts every 4001st.
fn faults(up_to: u64) -> Vec<(u64, Fault)> {
    let mut v = Vec::new();
    for n in 1..up_to {
        if n % 4001 == 0 {
            v.push((n, Fault::Lost { reopens: 2 }));
        } else if n % 1009 == 0 {
            v.push((n, Fault::Stall(Duration::from_millis(20))));
        } else if n % 397 == 0 {
            v.push((n, Fault::BadFrame));
        }
    }
    v
}

/// Runs the soak and returns what it saw.
pub fn soak(cfg: &SoakConfig) -> Result<SoakReport> {
    let first = cfg.models.first().context("soak needs at least one model")?;
    let engine = Engine::load(first)?;
    let heldout = demo::heldout_list(first)?;
    let files = demo::word_frames(&cfg.frames, &engine.card().classes, &cfg.word, 15, 6, heldout.as_ref())?;
    let replay = Replay::new(files, 15.0)?.looped(true);
    // Faults for more frames than the loop can reach (1,000 fps).
    let source = FaultySource::new(replay, faults(cfg.duration.as_secs().max(1) * 1000));
    let recovery = RecoveryConfig { initial_backoff_ms: 10, max_backoff_ms: 40, ..RecoveryConfig::default() };
    let (tx, rx) = channel();
    let mut kiosk = Kiosk::builder(source, GuideBox::default(), engine, NullPanel { size: (240, 240) })
        .recovery(recovery)
        .models(Some(ModelSwitcher::new(cfg.models.clone(), None)))
        .controls(Some(rx))
        .build();
    let stop: Arc<AtomicBool> = kiosk.stop_flag();

    let start = Instant::now();
    let samples = Arc::new(Mutex::new(Vec::new()));
    let sampler = {
        let (samples, stop, every) = (samples.clone(), stop.clone(), cfg.sample_every);
        std::thread::spawn(move || -> Result<()> {
            while !stop.load(Ordering::Relaxed) {
                let s = RssSample { secs: start.elapsed().as_secs_f64(), rss_kib: rss_kib()? };
                tracing::info!(secs = format!("{:.0}", s.secs), rss_mib = format!("{:.1}", s.rss_kib as f64 / 1024.0), "soak");
                samples.lock().unwrap().push(s);
                sleep_unless_stopped(&stop, every);
            }
            Ok(())
        })
    };
    let switches = {
        let (stop, every, until) = (stop.clone(), cfg.switch_every, cfg.duration);
        std::thread::spawn(move || {
            let mut n = 0u64;
            loop {
                sleep_unless_stopped(&stop, every);
                if stop.load(Ordering::Relaxed) || start.elapsed() >= until || tx.send(Action::Mode).is_err() {
                    return n;
                }
                n += 1;
            }
        })
    };
    let timer = {
        let (stop, d) = (stop.clone(), cfg.duration);
        std::thread::spawn(move || {
            sleep_unless_stopped(&stop, d);
            stop.store(true, Ordering::Relaxed);
        })
    };
    let run = kiosk.run();
    stop.store(true, Ordering::Relaxed);
    timer.join().expect("timer thread");
    let switches = switches.join().expect("switch thread");
    sampler.join().expect("sampler thread")?;
    let summary = run?;
    let mut samples = samples.lock().unwrap().clone();
    samples.push(RssSample { secs: start.elapsed().as_secs_f64(), rss_kib: rss_kib()? });

    let warm = cfg.warm_up.as_secs_f64();
    let after: Vec<RssSample> = samples.iter().copied().filter(|s| s.secs > warm).collect();
    let (first, second) = after.split_at(after.len() / 2);
    let kib = |v: &[RssSample]| -> Vec<u64> {
        let mut k: Vec<u64> = v.iter().map(|s| s.rss_kib).collect();
        k.sort_unstable();
        k
    };
    let (a, b) = (kib(first), kib(second));
    let median = |k: &[u64]| shared::stats::percentile_sorted(k, 0.5).unwrap_or(0);
    let (first_median, second_median) = (median(&a), median(&b));
    Ok(SoakReport {
        seconds: start.elapsed().as_secs_f64(),
        frames: summary.frames,
        dropped: summary.dropped,
        lost: summary.lost,
        switches,
        edits: summary.committed,
        first_half_median_kib: first_median,
        second_half_median_kib: second_median,
        floors_kib: [a.first().copied().unwrap_or(0), b.first().copied().unwrap_or(0)],
        peaks_kib: [a.last().copied().unwrap_or(0), b.last().copied().unwrap_or(0)],
        end_rss_kib: samples.last().map_or(0, |s| s.rss_kib),
        growth_kib: second_median as i64 - first_median as i64,
        slope_mib_per_hour: slope(&after) / 1024.0 * 3600.0,
        samples,
    })
}

/// Least-squares slope of `rss_kib` over `secs` (KiB a second); 0 with fewer than two samples.
fn slope(v: &[RssSample]) -> f64 {
    let n = v.len() as f64;
    if v.len() < 2 {
        return 0.0;
    }
    let (mx, my) = (v.iter().map(|s| s.secs).sum::<f64>() / n, v.iter().map(|s| s.rss_kib as f64).sum::<f64>() / n);
    let sxx: f64 = v.iter().map(|s| (s.secs - mx).powi(2)).sum();
    let sxy: f64 = v.iter().map(|s| (s.secs - mx) * (s.rss_kib as f64 - my)).sum();
    if sxx > 0.0 { sxy / sxx } else { 0.0 }
}

/// The report as a Markdown table of memory over time (one row per `every` seconds).
pub fn table(r: &SoakReport, every: f64) -> String {
    let mut out = String::from("| time (s) | RSS (MiB) |\n|---:|---:|\n");
    let mut next = 0.0;
    for s in &r.samples {
        if s.secs + 1e-9 >= next {
            out += &format!("| {:.0} | {:.1} |\n", s.secs, s.rss_kib as f64 / 1024.0);
            next = s.secs + every;
        }
    }
    out
}

/// Writes the report as JSON to `path` (atomically).
pub fn write_report(r: &SoakReport, path: &Path) -> Result<()> {
    let json = serde_json::to_string_pretty(r)?;
    shared::atomic::write(path, json.as_bytes()).with_context(|| format!("writing {}", path.display()))
}
