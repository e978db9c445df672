//! Speech: the kiosk speaks each completed word (a fake speaker behind the same trait
//! records it), and the espeak-ng worker runs the configured program with the voice and
//! the word without ever holding up the caller.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use device::config::RecoveryConfig;
use device::decode::{Decoder, DecoderConfig};
use device::demo;
use device::display::NullPanel;
use device::engine::Engine;
use device::kiosk::Kiosk;
use device::region::GuideBox;
use device::source::replay::Replay;
use device::speech::{Espeak, SpeechConfig, Speaker};

/// Records what it is asked to say.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Speaker for Recorder {
    fn say(&mut self, text: &str) {
        self.0.lock().unwrap().push(text.to_string());
    }
}

fn model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/asl-alphabet-int8.onnx")
}

#[test]
fn the_kiosk_speaks_each_completed_word() {
    let engine = Engine::load(&model()).unwrap();
    let heldout = demo::heldout_list(&model()).unwrap().expect("held-out list");
    let root = shared::paths::shared_dir_from(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap().join("data/asl-alphabet");
    let files = demo::word_frames(&root, &engine.card().classes, "HI A", 15, 6, Some(&heldout)).unwrap();
    let decoder = Decoder::new(DecoderConfig::default(), engine.card().classes.clone());
    let mut kiosk =
        Kiosk::new(Replay::new(files, 10.0).unwrap(), GuideBox::default(), engine, decoder, NullPanel { size: (240, 240) }, RecoveryConfig::default());
    let said = Recorder::default();
    kiosk.speaker = Box::new(said.clone());
    let summary = kiosk.run().unwrap();
    assert_eq!(summary.text, "HI A");
    // "HI" was completed by the space; "A" is still being spelled.
    assert_eq!(*said.0.lock().unwrap(), ["HI"]);
}

#[test]
fn espeak_runs_the_program_with_the_voice_off_the_callers_thread() {
    let dir = std::env::temp_dir().join(format!("signspell-speech-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (release, out) = (dir.join("release"), dir.join("said.txt"));
    // A stand-in for espeak-ng that waits until the test lets it go: if `say` waited
    // for the program, the test would never reach the line that releases it.
    let program = dir.join("fake-espeak");
    std::fs::write(
        &program,
        format!("#!/bin/sh\nwhile [ ! -e '{}' ]; do sleep 0.01; done\necho \"$@\" >> '{}'\n", release.display(), out.display()),
    )
    .unwrap();
    std::fs::set_permissions(&program, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    let config = SpeechConfig { enabled: true, program, ..SpeechConfig::default() };
    let mut speaker = Espeak::start(&config, "en-us");
    speaker.say("HELLO");
    speaker.say("WORLD");
    std::fs::write(&release, b"").unwrap();
    let start = Instant::now();
    let said = loop {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        if text.lines().count() == 2 || start.elapsed() > Duration::from_secs(20) {
            break text;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(said, "-v en-us HELLO\n-v en-us WORLD\n", "in order, with the voice");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn speech_config_defaults_off_and_names_unknown_keys() {
    let c: SpeechConfig = toml::from_str("").unwrap();
    assert_eq!(c, SpeechConfig::default());
    assert!(!c.enabled && c.program == Path::new("espeak-ng") && c.voice.is_none());
    let c: SpeechConfig = toml::from_str("enabled = true\nvoice = \"ar\"").unwrap();
    assert!(c.enabled && c.voice.as_deref() == Some("ar"));
    let err = toml::from_str::<SpeechConfig>("enable = true").unwrap_err().to_string();
    assert!(err.contains("enable"), "{err}");
}
