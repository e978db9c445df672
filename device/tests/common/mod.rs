//! What the device tests share: the shipped models, ../shared's data, a kiosk on a
//! shipped model's held-out frames, a speaker that records, and scratch folders.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use device::config::RecoveryConfig;
use device::decode::DecoderConfig;
use device::demo;
use device::display::{NullPanel, Panel};
use device::engine::Engine;
use device::kiosk::{Kiosk, KioskBuilder};
use device::region::GuideBox;
use device::source::FrameSource;
use device::source::replay::Replay;
use device::speech::Speaker;

/// The workspace root (the checkout).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `device` binary, run from the workspace root as the README runs it.
pub fn bin() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_device"));
    c.current_dir(root());
    c
}

/// A shipped model in ../models.
pub fn model(name: &str) -> PathBuf {
    root().join("models").join(name)
}

/// The shared data and pretrained models: `$SIGNSPELL_SHARED` when set, else the
/// `shared/` beside the checkout (`shared::paths::shared_dir_from`, as the binary finds
/// it). Every device test finds ../shared through here.
pub fn shared_dir() -> PathBuf {
    shared::paths::shared_dir_from(&root()).expect("../shared (or $SIGNSPELL_SHARED) is needed for the device tests")
}

/// An empty folder of its own for a test: unique to this process and this call, so
/// tests running in parallel never share one (`name` only makes it readable).
pub fn scratch(name: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("signspell-device-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The model at `path` and a 10 fps replay of `word` spelled from its held-out
/// asl-alphabet pictures (15 frames a letter, 6 of `nothing` between letters).
pub fn held_out_word(path: &Path, word: &str) -> (Engine, Replay) {
    let engine = Engine::load(path).unwrap();
    let heldout = demo::heldout_list(path).unwrap().expect("the shipped model has a held-out list");
    let root = shared_dir().join("data/asl-alphabet");
    let files = demo::word_frames(&root, &engine.card().classes, word, 15, 6, Some(&heldout)).unwrap();
    (engine, Replay::new(files, 10.0).unwrap())
}

/// A kiosk with the guide box, default decoding and no screen.
pub fn kiosk<S: FrameSource>(engine: Engine, source: S) -> Kiosk<S, GuideBox, NullPanel> {
    kiosk_on(engine, source, NullPanel { size: (240, 240) })
}

/// A kiosk builder with the guide box, default decoding, no screen and quick retries
/// (as [`kiosk`]), for a test to add what it needs.
pub fn builder<S: FrameSource>(engine: Engine, source: S) -> KioskBuilder<S, GuideBox, NullPanel> {
    Kiosk::builder(source, GuideBox::default(), engine, NullPanel { size: (240, 240) }).recovery(quick_recovery())
}

/// A kiosk with the guide box and default decoding drawing on `panel`; lost cameras are
/// retried quickly (5 ms, up to 20 ms).
pub fn kiosk_on<S: FrameSource, P: Panel>(engine: Engine, source: S, panel: P) -> Kiosk<S, GuideBox, P> {
    Kiosk::builder(source, GuideBox::default(), engine, panel).decoder_config(DecoderConfig::default()).recovery(quick_recovery()).build()
}

/// Lost cameras retried quickly in tests: 5 ms, doubling up to 20 ms.
pub fn quick_recovery() -> RecoveryConfig {
    RecoveryConfig { initial_backoff_ms: 5, max_backoff_ms: 20, ..Default::default() }
}

/// A kiosk (as [`kiosk`]) replaying `word` from the held-out pictures of the shipped
/// model `name`, with a speaker that records what it says.
pub fn speaking_kiosk(name: &str, word: &str) -> (Kiosk<Replay, GuideBox, NullPanel>, Said) {
    let (engine, replay) = held_out_word(&model(name), word);
    let said = Said::default();
    let kiosk = Kiosk::builder(replay, GuideBox::default(), engine, NullPanel { size: (240, 240) })
        .recovery(quick_recovery())
        .speaker(Box::new(said.clone()))
        .build();
    (kiosk, said)
}

/// A speaker that records what it is asked to say.
#[derive(Clone, Default)]
pub struct Said(pub Arc<Mutex<Vec<String>>>);

impl Said {
    /// Everything said so far.
    pub fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl Speaker for Said {
    fn say(&mut self, text: &str) {
        self.0.lock().unwrap().push(text.to_string());
    }
}

/// MediaPipe's hand models in ../shared.
pub fn mediapipe() -> PathBuf {
    shared_dir().join("models/mediapipe")
}

/// Reads the first `per_letter` held-out asl-alphabet pictures of every letter A..Z
/// through MediaPipe's landmark stage and `engine` (a landmark model, the file at
/// `path`); returns (right, seen).
pub fn held_out_letters_by_landmarks(engine: &mut Engine, path: &Path, per_letter: usize, mirrored: bool) -> (usize, usize) {
    use shared::hands::{HandTracker, TrackerConfig};
    let heldout = demo::heldout_list(path).unwrap().expect("the model ships its held-out list");
    let mut tracker = HandTracker::load(&mediapipe(), TrackerConfig::default()).unwrap();
    let classes = engine.card().classes.clone();
    let (mut seen, mut right) = (0, 0);
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ".chars() {
        let mut files: Vec<&String> = heldout.iter().filter(|f| f.starts_with(&format!("{letter}/"))).collect();
        files.sort();
        for f in files.into_iter().take(per_letter) {
            let img = image::open(shared_dir().join("data/asl-alphabet").join(f)).unwrap().to_rgb8();
            let hand = tracker.find(&img).unwrap();
            engine.preprocess_landmarks(hand.as_ref().map(|h| &h.landmarks.points)).unwrap();
            let p = engine.infer(mirrored).unwrap();
            seen += 1;
            right += usize::from(classes.get(p.top).unwrap().label == letter.to_string());
        }
    }
    (right, seen)
}

/// The hands MediaPipe finds in the first `n` asl-alphabet pictures of `class` (in
/// file order) that have one, in picture pixels.
pub fn real_hands(class: &str, n: usize) -> Vec<[shared::hands::Point; 21]> {
    use shared::hands::{HandTracker, TrackerConfig};
    let mut tracker = HandTracker::load(&mediapipe(), TrackerConfig::default()).unwrap();
    let dir = shared_dir().join("data/asl-alphabet").join(class);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut hands = Vec::new();
    for f in files {
        if hands.len() == n {
            break;
        }
        tracker.reset();
        let img = image::open(&f).unwrap().to_rgb8();
        hands.extend(tracker.find(&img).unwrap().map(|h| h.landmarks.points));
    }
    assert_eq!(hands.len(), n, "{class}: too few pictures with a hand");
    hands
}
