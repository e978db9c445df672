//! The pipelined kiosk: capture on its own thread ([`Prefetch`]) and the panel on its own
//! thread ([`PanelThread`]) spell what the one-thread loop spells from the same real
//! frames, survive a lost camera behind the capture thread, drop old frames and screens
//! instead of queueing them, and report a failing panel.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use device::display::pipelined::PanelThread;
use device::display::{CountingPanel, FrameBuffer, Panel};
use device::kiosk::Ended;
use device::source::fault::{Fault, FaultySource};
use device::source::prefetch::{Handoff, Prefetch};
use device::source::{FrameSource, SourceError};

use common::model;

#[test]
fn the_pipelined_loop_spells_what_the_one_thread_loop_spells() {
    let (engine, replay) = common::held_out_word(&model("asl-alphabet.onnx"), "HELLO");
    let frames = replay.files().len() as u64;
    let one_thread = common::kiosk(engine, replay).run().unwrap();

    let (engine, replay) = common::held_out_word(&model("asl-alphabet.onnx"), "HELLO");
    let counting = Arc::new(Mutex::new(CountingPanel::new((240, 240))));
    let source = Prefetch::start(replay, Handoff::Every).unwrap();
    let panel = PanelThread::start(counting.clone()).unwrap();
    let mut kiosk = common::kiosk_on(engine, source, panel);
    let piped = kiosk.run().unwrap();
    assert_eq!(piped.ended, Ended::Finished);
    assert_eq!(piped.frames, frames, "a replay behind the capture thread loses no frame");
    assert_eq!(piped.text, "HELLO");
    assert_eq!(piped.edits, one_thread.edits, "the same letters at the same frames");
    let pushes = counting.lock().unwrap().pushes;
    assert!(pushes >= 1 && pushes <= frames, "{pushes} screens sent for {frames} frames");
    let latency = kiosk.timings().latencies();
    // A latency for every screen sent, the last ones too (the run waits for them).
    assert_eq!(latency.count as u64, pushes, "one latency per screen sent");
    assert!(latency.p50 > 0.0 && kiosk.timings().throughput_fps() > 0.0);
}

#[test]
fn a_camera_lost_behind_the_capture_thread_is_reopened() {
    let (engine, replay) = common::held_out_word(&model("asl-alphabet.onnx"), "HI");
    let frames = replay.files().len() as u64;
    let faults = [(3, Fault::BadFrame), (25, Fault::Lost { reopens: 2 })];
    let source = Prefetch::start(FaultySource::new(replay, faults), Handoff::Every).unwrap();
    let summary = common::builder(engine, source).recovery(common::quick_recovery()).build().run().unwrap();
    assert_eq!(summary.ended, Ended::Finished);
    assert_eq!((summary.lost, summary.dropped), (1, 1));
    assert_eq!(summary.frames, frames - 1, "every frame but the bad one is classified");
    assert_eq!(summary.text, "HI");
}

#[test]
fn a_live_source_drops_old_frames_but_never_an_error() {
    let (_, replay) = common::held_out_word(&model("asl-alphabet.onnx"), "AB");
    let files = replay.files().len() as u64;
    let mut source = Prefetch::start(replay, Handoff::Latest).unwrap();
    let (mut seen, mut last) = (0u64, None);
    let end = loop {
        // A kiosk slower than the camera.
        std::thread::sleep(Duration::from_millis(15));
        match source.next_frame() {
            Ok(f) => {
                assert!(last.is_none_or(|l| f.sequence > l), "frames come in order");
                last = Some(f.sequence);
                seen += 1;
            }
            Err(e) => break e,
        }
    };
    assert!(matches!(end, SourceError::Finished), "the end is delivered, not dropped: {end}");
    assert!(source.dropped() > 0, "old frames were replaced");
    assert_eq!(seen + source.dropped(), files, "each frame was either taken or replaced");
}

/// A panel whose every push fails, as an unplugged SPI panel's does.
struct Broken;

impl Panel for Broken {
    fn push(&mut self, _frame: &FrameBuffer) -> anyhow::Result<()> {
        std::thread::sleep(Duration::from_millis(5));
        anyhow::bail!("spidev: no such device")
    }
    fn size(&self) -> (u32, u32) {
        (240, 240)
    }
}

#[test]
fn a_failing_panel_behind_its_thread_is_reported_and_new_screens_replace_old_ones() {
    let mut panel = PanelThread::start(Broken).unwrap();
    let screen = FrameBuffer::new(240, 240);
    panel.push(&screen).expect("the first hand-off cannot know yet");
    panel.flush();
    let err = panel.push(&screen).expect_err("the failure is reported by the next push");
    assert!(format!("{err:#}").contains("no such device"), "{err:#}");
    // Screens faster than the panel: the older waiting screen is replaced.
    for _ in 0..20 {
        let _ = panel.push(&screen);
    }
    panel.flush();
    assert!(panel.replaced() > 0, "old screens were dropped, not queued");
}

#[test]
fn the_whole_pipeline_spells_held_out_words_with_the_default_model() {
    use device::kiosk::Kiosk;
    use device::region::{self, GuideBox};
    // As `device run` builds it: capture, palm detection, two landmark threads and the
    // panel each on their own thread, frames delivered at a pace (15 a letter at 10 fps:
    // 1.5 s a letter, the default hold being 0.6 s).
    let path = model(device::demo::DEFAULT_MODEL);
    for word in ["HELLO", "CAB"] {
        let engine = device::engine::Engine::load(&path).unwrap();
        let heldout = device::demo::heldout_list(&path).unwrap().expect("held-out list");
        let files = device::demo::word_frames(&common::shared_dir().join("data/asl-alphabet"), &engine.card().classes, word, 15, 6, Some(&heldout)).unwrap();
        // A camera's frames: each letter held still (its first held-out photo, 15 times).
        let mut held = files.clone();
        for i in 1..held.len() {
            if held[i].parent() == files[i - 1].parent() {
                held[i] = held[i - 1].clone();
            }
        }
        // A second of an empty room first: the threads' first runs are slow.
        let room = files.iter().find(|f| f.parent().is_some_and(|d| d.ends_with("nothing"))).expect("frames of nothing between letters");
        let files: Vec<_> = std::iter::repeat_n(room.clone(), 10).chain(held).collect();
        let frames = files.len() as u64;
        let letter_frames = files.iter().filter(|f| !f.parent().is_some_and(|d| d.ends_with("nothing"))).count() as u64;
        let replay = device::source::replay::Replay::new(files, 10.0).unwrap().paced(true);
        let config = GuideBox { palm_thread: true, landmark_threads: 2, ..GuideBox::default() };
        let region = region::for_model(&config, engine.wants_landmarks(), Some(common::mediapipe())).unwrap();
        let source = Prefetch::start(replay, Handoff::Every).unwrap();
        let panel = PanelThread::start(CountingPanel::new((240, 240))).unwrap();
        let mut kiosk = Kiosk::builder(source, region, engine, panel).build();
        let summary = kiosk.run().unwrap();
        assert_eq!(summary.frames, frames);
        let (_, with_hand) = kiosk.region().hand_stats().unwrap();
        assert!(with_hand * 10 >= letter_frames * 7, "{word}: a hand in {with_hand} of {frames} frames, {letter_frames} of them letters");
        // Exactly, as the one-thread loop reads them, however the threads run: the palm
        // thread's answer on the tracked hand keeps the track (no jump taken for a double
        // letter), a frame handed over before the track was known does not lose it, and
        // a letter's first frame, with no hand tracked, waits for the palm detector.
        assert_eq!(summary.text, word);
    }
}
