//! Speech: the kiosk speaks each completed word (a fake speaker behind the same trait
//! records it), and the espeak-ng worker runs the configured program with the voice and
//! the word without ever holding up the caller.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use device::speech::{Espeak, SpeechConfig, Speaker};
use shared::ClassTable;

#[test]
fn the_kiosk_speaks_each_completed_word() {
    let (mut kiosk, said) = common::speaking_kiosk("asl-alphabet-int8.onnx", "HI A");
    let summary = kiosk.run().unwrap();
    assert_eq!(summary.text, "HI A");
    // "HI" was completed by the space; "A" is still being spelled.
    assert_eq!(said.all(), ["HI"]);
}

#[test]
fn espeak_runs_the_program_with_the_voice_off_the_callers_thread() {
    let dir = common::scratch("speech");
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
    // An Arabic model switched in: the next word in its voice.
    speaker.use_classes(&ClassTable::arsl2018());
    speaker.say("SALAM");
    std::fs::write(&release, b"").unwrap();
    let start = Instant::now();
    let said = loop {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        if text.lines().count() == 3 || start.elapsed() > Duration::from_secs(20) {
            break text;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(said, "-v en-us HELLO\n-v en-us WORLD\n-v ar SALAM\n", "in order, each with its voice");
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
