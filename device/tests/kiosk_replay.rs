//! The real kiosk loop on real held-out frames from ../shared/data/asl-alphabet with the
//! shipped model: it spells the word, and it survives a camera that drops frames,
//! stalls, stops sending frames, disappears for ten seconds, and a display that fails.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use device::config::RecoveryConfig;
use device::decode::{DecoderConfig, Edit};
use device::demo;
use device::display::{FrameBuffer, Panel};
use device::engine::Engine;
use device::kiosk::{Ended, Kiosk};
use device::region::GuideBox;
use device::source::fault::{Fault, FaultySource};
use device::source::replay::Replay;

use common::model;

fn dataset() -> PathBuf {
    common::shared_dir().join("data/asl-alphabet")
}

/// A panel that keeps every screen it was given.
#[derive(Default)]
struct Recorder {
    screens: Vec<FrameBuffer>,
}

impl Panel for Recorder {
    fn push(&mut self, frame: &FrameBuffer) -> anyhow::Result<()> {
        self.screens.push(frame.clone());
        Ok(())
    }
    fn size(&self) -> (u32, u32) {
        (240, 240)
    }
}

fn word_replay(model_path: &Path, word: &str) -> (Engine, Replay) {
    common::held_out_word(model_path, word)
}

fn kiosk<S: device::source::FrameSource>(engine: Engine, source: S) -> Kiosk<S, GuideBox, Recorder> {
    common::kiosk_on(engine, source, Recorder::default())
}

/// The kiosk spells HELLO from held-out frames with `name`: five commits, one screen a frame.
fn spells_hello(name: &str) {
    let (engine, replay) = word_replay(&model(name), "HELLO");
    let frames = replay.files().len() as u64;
    let mut k = kiosk(engine, replay);
    let summary = k.run().unwrap();
    assert_eq!(summary.ended, Ended::Finished);
    assert_eq!(summary.text, "HELLO", "{name}");
    assert_eq!(summary.frames, frames);
    assert_eq!(k.panel().screens.len() as u64, frames, "one screen a frame");
    let letters: Vec<&Edit> = summary.edits.iter().collect();
    assert_eq!(letters.len(), 5, "{name}: exactly five commits, no stray letters: {letters:?}");
}

// Float and int8 are two tests, so that they run side by side (under qemu each takes
// minutes).
#[test]
fn held_out_frames_spell_hello_float() {
    spells_hello("asl-alphabet.onnx");
}

#[test]
fn held_out_frames_spell_hello_int8() {
    spells_hello("asl-alphabet-int8.onnx");
}

#[test]
fn kiosk_recovers_from_bad_frames_stalls_and_a_lost_camera() {
    let (engine, replay) = word_replay(&model("asl-alphabet.onnx"), "HI");
    let frames = replay.files().len() as u64;
    let faults = [(3, Fault::BadFrame), (12, Fault::Stall(Duration::from_millis(20))), (25, Fault::Lost { reopens: 2 })];
    let mut k = kiosk(engine, FaultySource::new(replay, faults));
    let summary = k.run().unwrap();
    assert_eq!(summary.ended, Ended::Finished);
    assert_eq!(summary.lost, 1);
    assert_eq!(summary.dropped, 2);
    assert_eq!(k.source().reopen_attempts, 3, "two failed reopens, then the camera is back");
    assert_eq!(summary.frames, frames - 2, "every frame but the bad and the stalled one is classified");
    // While the camera was gone the kiosk kept drawing: one status screen per stall and
    // per reopen attempt.
    assert_eq!(k.panel().screens.len() as u64, summary.frames + 1 + 3);
    assert_eq!(summary.text, "HI");
}

#[test]
fn camera_gone_for_ten_seconds_comes_back_and_the_word_goes_on() {
    let (engine, replay) = word_replay(&model("asl-alphabet.onnx"), "HI");
    let frames = replay.files().len() as u64;
    let gone = Duration::from_secs(10);
    let recovery = RecoveryConfig { initial_backoff_ms: 250, max_backoff_ms: 2000, ..Default::default() };
    let source = FaultySource::new(replay, [(frames / 2, Fault::Gone(gone))]);
    let mut k = Kiosk::builder(source, GuideBox::default(), engine, Recorder::default()).recovery(recovery).build();
    let start = std::time::Instant::now();
    let summary = k.run().unwrap();
    let took = start.elapsed();
    assert_eq!(summary.ended, Ended::Finished);
    assert_eq!((summary.lost, summary.dropped), (1, 0));
    assert_eq!(summary.frames, frames, "no frame is lost to the outage");
    assert_eq!(summary.text, "HI");
    assert!(took >= gone, "the kiosk waited the outage out ({took:?})");
    // Backoff 0.25, 0.5, 1, 2, 2, ... s: the tenth second is reached on the 8th attempt,
    // and the kiosk shows it is retrying each time.
    let attempts = k.source().reopen_attempts;
    assert!((7..=9).contains(&attempts), "{attempts} reopen attempts for a 10 s outage");
    assert_eq!(k.panel().screens.len() as u64, frames + attempts as u64);
}

#[test]
fn frames_that_stop_get_the_camera_reopened() {
    let (engine, replay) = word_replay(&model("asl-alphabet.onnx"), "HI");
    let frames = replay.files().len() as u64;
    let source = FaultySource::new(replay, [(frames / 2, Fault::Stop(Duration::from_millis(30)))]);
    let mut k = kiosk(engine, source);
    let summary = k.run().unwrap();
    assert_eq!(summary.ended, Ended::Finished);
    let stalls = RecoveryConfig::default().stalls_before_reopen as u64;
    assert_eq!(summary.dropped, stalls, "the stalls before the reopen");
    assert_eq!(summary.lost, 1, "stopped frames count as a lost camera once");
    assert_eq!(k.source().reopen_attempts, 1);
    assert_eq!(summary.frames, frames);
    assert_eq!(summary.text, "HI");
    // A status screen for each stall but the last, then one for the reopen.
    assert_eq!(k.panel().screens.len() as u64, frames + stalls);
}

#[test]
fn stop_flag_ends_the_loop_before_the_next_frame() {
    let (engine, replay) = word_replay(&model("asl-alphabet.onnx"), "A");
    let mut k = kiosk(engine, replay);
    k.stop_flag().store(true, std::sync::atomic::Ordering::Relaxed);
    let summary = k.run().unwrap();
    assert_eq!((summary.ended, summary.frames), (Ended::Stopped, 0));
}

#[test]
fn mirrored_inference_still_spells() {
    let (engine, replay) = word_replay(&model("asl-alphabet.onnx"), "LO");
    let mut k = Kiosk::builder(replay, GuideBox::default(), engine, Recorder::default())
        .decoder_config(DecoderConfig { mirrored: true, ..Default::default() })
        .build();
    assert_eq!(k.run().unwrap().text, "LO");
}

/// A panel whose bus fails for a while (an SPI write error), then works again.
struct Flaky {
    pushes: u64,
    failing: std::ops::Range<u64>,
    shown: u64,
}

impl Panel for Flaky {
    fn push(&mut self, _frame: &FrameBuffer) -> anyhow::Result<()> {
        self.pushes += 1;
        if self.failing.contains(&self.pushes) {
            anyhow::bail!("/dev/spidev0.0: write failed (injected)");
        }
        self.shown += 1;
        Ok(())
    }
    fn size(&self) -> (u32, u32) {
        (240, 240)
    }
}

#[test]
fn display_errors_do_not_stop_the_kiosk() {
    let (engine, replay) = word_replay(&model("asl-alphabet.onnx"), "HI");
    let frames = replay.files().len() as u64;
    let panel = Flaky { pushes: 0, failing: 5..15, shown: 0 };
    let mut k = Kiosk::builder(replay, GuideBox::default(), engine, panel).build();
    let summary = k.run().unwrap();
    assert_eq!(summary.ended, Ended::Finished);
    assert_eq!(summary.display_errors, 10);
    assert_eq!(k.panel().shown, frames - 10, "the panel shows screens again once the bus works");
    assert_eq!(summary.text, "HI", "spelling goes on while the screen is failing");
}

#[test]
fn a_long_word_reuses_held_out_frames_instead_of_failing() {
    // Nine letters need 9 x 6 `nothing` frames; the held-out split has 40. They are
    // reused in order rather than the demo refusing the word.
    let engine = Engine::load(&model("asl-alphabet.onnx")).unwrap();
    let heldout = demo::heldout_list(&model("asl-alphabet.onnx")).unwrap().unwrap();
    let files = demo::word_frames(&dataset(), &engine.card().classes, "SIGNSPELL", 15, 6, Some(&heldout)).unwrap();
    assert_eq!(files.len(), 9 * 15 + 9 * 6);
    let nothing: Vec<&PathBuf> = files.iter().filter(|f| f.parent().unwrap().ends_with("nothing")).collect();
    assert_eq!(nothing.len(), 54);
    assert_eq!(nothing[40], nothing[0], "the 41st `nothing` frame is the first again");
    assert!(files.iter().all(|f| heldout.contains(&f.strip_prefix(dataset()).unwrap().to_string_lossy().to_string())));
}

/// The guide box, except that every `fail_every`-th frame the stage cannot look.
#[derive(Debug)]
struct FailingRegion {
    located: u64,
    fail_every: u64,
}

impl device::region::HandRegion for FailingRegion {
    fn locate(&mut self, frame: &shared::Frame<'_>) -> anyhow::Result<Option<shared::Roi>> {
        self.located += 1;
        if self.located.is_multiple_of(self.fail_every) {
            anyhow::bail!("hand model failed on frame {}", self.located);
        }
        Ok(Some(GuideBox::default().roi(frame.width, frame.height)))
    }
}

#[test]
fn hand_region_errors_are_counted_and_the_kiosk_goes_on() {
    let (engine, replay) = word_replay(&model("asl-alphabet.onnx"), "HI");
    let frames = replay.files().len() as u64;
    let region = FailingRegion { located: 0, fail_every: 10 };
    let mut k = Kiosk::builder(replay, region, engine, Recorder::default()).build();
    let summary = k.run().unwrap();
    assert_eq!(summary.ended, Ended::Finished);
    assert_eq!(summary.region_errors, frames / 10, "each failed frame is counted");
    assert_eq!(summary.frames, frames, "and still classified and shown");
    assert_eq!(k.panel().screens.len() as u64, frames);
    assert_eq!(summary.text, "HI", "spelling goes on around the failed frames");
}
