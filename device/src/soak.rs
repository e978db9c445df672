//! The soak run: the whole kiosk loop on replayed held-out frames for a fixed time, with
//! faults injected (bad frames, stalls, a lost camera) and the model switched back and
//! forth, while the process's resident memory is sampled. A kiosk runs for months: its
//! memory must settle after warm-up and stay there.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::config::RecoveryConfig;
use crate::controls::Action;
use crate::decode::{Decoder, DecoderConfig};
use crate::demo;
use crate::display::NullPanel;
use crate::engine::Engine;
use crate::kiosk::Kiosk;
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
    /// Resident memory at the end of warm-up, KiB.
    pub warm_rss_kib: u64,
    /// Highest resident memory after warm-up, KiB.
    pub max_rss_kib: u64,
    /// Resident memory at the end, KiB.
    pub end_rss_kib: u64,
    /// `max_rss_kib - warm_rss_kib`.
    pub growth_kib: i64,
    /// Every sample.
    pub samples: Vec<RssSample>,
}

/// The process's resident memory in KiB, from /proc/self/status.
pub fn rss_kib() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("/proc/self/status has no VmRSS line")
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
    let decoder = Decoder::new(DecoderConfig::default(), engine.card().classes.clone());
    let recovery = RecoveryConfig { initial_backoff_ms: 10, max_backoff_ms: 40, ..RecoveryConfig::default() };
    let mut kiosk = Kiosk::new(source, GuideBox::default(), engine, decoder, NullPanel { size: (240, 240) }, recovery);
    kiosk.models = Some(ModelSwitcher::new(cfg.models.clone(), None));
    let (tx, rx) = channel();
    kiosk.controls = Some(rx);
    let stop: Arc<AtomicBool> = kiosk.stop.clone();

    let start = Instant::now();
    let samples = Arc::new(Mutex::new(Vec::new()));
    let sampler = {
        let (samples, stop, every) = (samples.clone(), stop.clone(), cfg.sample_every);
        std::thread::spawn(move || -> Result<()> {
            while !stop.load(Ordering::Relaxed) {
                let s = RssSample { secs: start.elapsed().as_secs_f64(), rss_kib: rss_kib()? };
                tracing::info!(secs = format!("{:.0}", s.secs), rss_mib = format!("{:.1}", s.rss_kib as f64 / 1024.0), "soak");
                samples.lock().unwrap().push(s);
                sleep_unless(&stop, every);
            }
            Ok(())
        })
    };
    let switches = {
        let (stop, every, until) = (stop.clone(), cfg.switch_every, cfg.duration);
        std::thread::spawn(move || {
            let mut n = 0u64;
            loop {
                sleep_unless(&stop, every);
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
            sleep_unless(&stop, d);
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
    let warm_rss = samples.iter().take_while(|s| s.secs <= warm).last().or(samples.first()).map_or(0, |s| s.rss_kib);
    let after: Vec<u64> = samples.iter().filter(|s| s.secs > warm).map(|s| s.rss_kib).collect();
    let max_rss = after.iter().copied().max().unwrap_or(warm_rss);
    Ok(SoakReport {
        seconds: start.elapsed().as_secs_f64(),
        frames: summary.frames,
        dropped: summary.dropped,
        lost: summary.lost,
        switches,
        edits: summary.committed,
        warm_rss_kib: warm_rss,
        max_rss_kib: max_rss,
        end_rss_kib: samples.last().map_or(0, |s| s.rss_kib),
        growth_kib: max_rss as i64 - warm_rss as i64,
        samples,
    })
}

fn sleep_unless(stop: &AtomicBool, d: Duration) {
    let until = Instant::now() + d;
    while Instant::now() < until && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(20).min(until - Instant::now()));
    }
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
