//! Collection mode in the real kiosk loop on replayed frames: it prompts each letter,
//! writes the hand regions (and landmarks, with the hand follower) as an image-folder
//! dataset with a manifest, continues a signer's numbering across sessions, and stops
//! with the reason on screen when it cannot write.

use std::path::{Path, PathBuf};

use device::collect::{CollectConfig, Collector};
use device::demo;
use device::display::NullPanel;
use device::engine::Engine;
use device::kiosk::{Ended, Kiosk};
use device::region::{self, GuideBox, HandRegion};
use device::source::replay::Replay;

mod common;

use common::{scratch, shared_dir};

fn model() -> PathBuf {
    common::model("asl-alphabet-int8.onnx")
}

/// Runs collection of `letters` into `out` on replayed frames of those letters.
fn collect<R: HandRegion>(out: &Path, letters: &str, per_letter: usize, region: R) -> Kiosk<Replay, R, NullPanel> {
    let engine = Engine::load(&model()).unwrap();
    let cfg = CollectConfig {
        out: out.to_path_buf(),
        signer: "ana".into(),
        letters: letters.chars().map(|c| c.to_string()).collect(),
        per_letter,
        every: 2,
        settle: 3,
    };
    let n = cfg.settle + cfg.per_letter * cfg.every;
    let files = demo::word_frames(&shared_dir().join("data/asl-alphabet"), &engine.card().classes, letters, n, 0, None).unwrap();
    let replay = Replay::new(files, 30.0).unwrap();
    let collector = Collector::new(cfg, engine.card(), "replay".into()).unwrap();
    assert_eq!(collector.prompt(), format!("Sign {}: 0/{per_letter}", &letters[..1]));
    Kiosk::builder(replay, region, engine, NullPanel { size: (240, 240) }).collector(collector).build()
}

fn files(dir: &Path, ext: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(ext))
        .collect();
    v.sort();
    v
}

#[test]
fn letters_are_prompted_and_written_as_an_image_folder_with_a_manifest() {
    let out = scratch("folder");
    let mut kiosk = collect(&out, "AB", 4, GuideBox::default());
    let summary = kiosk.run().unwrap();
    assert_eq!(summary.ended, Ended::Collected);
    let c = kiosk.collector().unwrap();
    assert!(c.finished() && !c.failed());
    assert_eq!(c.prompt(), format!("Done: 8 samples in {}", out.display()));
    for letter in ["A", "B"] {
        assert_eq!(files(&out.join(letter), ".png"), ["ana-0000.png", "ana-0001.png", "ana-0002.png", "ana-0003.png"]);
        let img = image::open(out.join(letter).join("ana-0000.png")).unwrap();
        assert_eq!((img.width(), img.height()), (200, 200), "the guide box: the whole 200x200 frame");
    }
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["signer"], "ana");
    assert_eq!(manifest["finished"], true);
    assert_eq!(manifest["samples"], serde_json::json!({"A": 4, "B": 4}));
    assert_eq!(manifest["classes"], "asl-alphabet-29");
    assert_eq!(manifest["camera"], "replay");

    // A second session of the same signer adds to the letter, never over it.
    let mut kiosk = collect(&out, "A", 2, GuideBox::default());
    assert_eq!(kiosk.run().unwrap().ended, Ended::Collected);
    assert_eq!(files(&out.join("A"), ".png").len(), 6);
    assert!(out.join("A/ana-0005.png").is_file());
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn with_the_hand_follower_each_picture_has_its_landmarks() {
    let out = scratch("landmarks");
    let hands = device::region::HandsConfig { models: shared_dir().join("models/mediapipe"), detect_every: 10, margin: 0.25, plan: None };
    let region = region::from_config(&GuideBox { hands: Some(hands), ..GuideBox::default() }).unwrap();
    let mut kiosk = collect(&out, "L", 3, region);
    assert_eq!(kiosk.run().unwrap().ended, Ended::Collected);
    let pngs = files(&out.join("L"), ".png");
    assert_eq!(pngs.len(), 3);
    for png in pngs {
        let img = image::open(out.join("L").join(&png)).unwrap();
        let json = out.join("L").join(png.replace(".png", ".json"));
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        let points = v["points"].as_array().unwrap();
        assert_eq!(points.len(), 21);
        // In the crop's pixels: inside it, give or take the box's margin.
        let (w, h) = (img.width() as f64, img.height() as f64);
        assert!(points.iter().all(|p| {
            let (x, y) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
            x > -0.1 * w && x < 1.1 * w && y > -0.1 * h && y < 1.1 * h
        }));
    }
    // Each sample's last second of landmarks (J, Z and double letters are movements).
    let tracks = std::fs::read_to_string(out.join("L/ana-tracks.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = tracks.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.iter().map(|l| l["sample"].as_str().unwrap()).collect::<Vec<_>>(), ["ana-0000", "ana-0001", "ana-0002"]);
    for l in &lines {
        let frames = l["frames"].as_array().unwrap();
        assert!(frames.len() >= 4 && frames.len() <= device::collect::TRACK_FRAMES, "{}", frames.len());
        assert!(frames.iter().filter(|f| !f.is_null()).all(|f| f.as_array().unwrap().len() == 21));
        assert!(frames.iter().any(|f| !f.is_null()), "a hand was tracked");
    }
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn a_folder_it_cannot_write_stops_collection_and_says_where() {
    let out = scratch("blocked");
    std::fs::create_dir_all(&out).unwrap();
    // A file where B's folder must go: A is written, then collection stops.
    std::fs::write(out.join("B"), b"in the way").unwrap();
    let mut kiosk = collect(&out, "AB", 2, GuideBox::default());
    assert_eq!(kiosk.run().unwrap().ended, Ended::Collected);
    let c = kiosk.collector().unwrap();
    assert!(c.failed() && !c.finished());
    assert!(c.prompt().starts_with("Collection stopped") && c.prompt().contains(&out.join("B").display().to_string()), "{}", c.prompt());
    assert_eq!(files(&out.join("A"), ".png").len(), 2, "what was written stays");
    assert!(files(&out.join("A"), ".tmp").is_empty() && files(&out.join("A"), "").iter().all(|f| !f.starts_with('.')));
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn bad_settings_are_refused_before_anything_is_written() {
    let engine = Engine::load(&model()).unwrap();
    let out = scratch("refused").join("dataset");
    let base = CollectConfig { out: out.clone(), ..CollectConfig::default() };
    let err = Collector::new(CollectConfig { signer: "ana/../x".into(), ..base.clone() }, engine.card(), String::new()).unwrap_err();
    assert!(err.to_string().contains("signer id"), "{err}");
    let err = Collector::new(CollectConfig { letters: vec!["Ä".into()], ..base.clone() }, engine.card(), String::new()).unwrap_err();
    assert!(err.to_string().contains("'Ä' is not a class"), "{err}");
    assert!(!out.exists());
}
