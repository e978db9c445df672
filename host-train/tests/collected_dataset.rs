//! The loop issue 12 closes, first half: what the kiosk's collection mode writes is a
//! dataset host-train reads as it is, and a write cut short by a power loss (a hidden
//! temporary file) is never read back as data.

use std::path::Path;

use device::collect::{CollectConfig, Collector};
use device::config::RecoveryConfig;
use device::decode::{Decoder, DecoderConfig};
use device::display::NullPanel;
use device::engine::Engine;
use device::kiosk::{Ended, Kiosk};
use device::region::GuideBox;
use device::source::replay::Replay;
use host_train::data::{self, LoadOptions};

#[test]
fn host_train_loads_what_the_kiosk_collected() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // (In host-train's tests, not the workspace e2e crate: linking libtorch needs the
    // rpath host-train's build script sets.)
    let shared = shared::paths::shared_dir_from(&root).expect("../shared is needed");
    let model = root.join("models/asl-alphabet-int8.onnx");
    let out = std::env::temp_dir().join(format!("signspell-e2e-collected-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);

    let engine = Engine::load(&model).unwrap();
    let cfg = CollectConfig {
        out: out.clone(),
        signer: "ben".into(),
        letters: vec!["W".into(), "Y".into()],
        per_letter: 3,
        every: 2,
        settle: 2,
    };
    let n = cfg.settle + cfg.per_letter * cfg.every;
    let files = device::demo::word_frames(&shared.join("data/asl-alphabet"), &engine.card().classes, "WY", n, 0, None).unwrap();
    let collector = Collector::new(cfg, engine.card(), "replay".into()).unwrap();
    let decoder = Decoder::new(DecoderConfig::default(), engine.card().classes.clone());
    let mut kiosk = Kiosk::builder(Replay::new(files, 30.0).unwrap(), GuideBox::default(), engine, NullPanel { size: (240, 240) })
        .decoder(decoder)
        .recovery(RecoveryConfig::default())
        .collector(collector)
        .build();
    assert_eq!(kiosk.run().unwrap().ended, Ended::Collected);

    // A write a power cut interrupted: the temporary file shared::atomic leaves.
    std::fs::write(out.join("W/.ben-0003.png.4242.tmp"), &b"\x89PNG\r\n half"[..]).unwrap();

    let ds = data::load(&out, &LoadOptions { classes: Some("asl-alphabet-29".into()), ..LoadOptions::default() }).unwrap();
    assert_eq!(ds.samples.len(), 6, "three of each letter, nothing else: {:?}", ds.skipped);
    assert!(ds.skipped.is_empty());
    let label = |name: &str| ds.classes.classes.iter().position(|c| c.label == name).unwrap() as u32;
    assert_eq!(ds.samples.iter().filter(|s| s.label == label("W")).count(), 3);
    assert_eq!(ds.samples.iter().filter(|s| s.label == label("Y")).count(), 3);
    assert_eq!(ds.classes.name, "asl-alphabet-29", "the model's own class table, for fine-tuning it");
    std::fs::remove_dir_all(&out).unwrap();
}
