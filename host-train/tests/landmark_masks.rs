//! Landmarks of a real dataset found once with MediaPipe's models in tract and cached,
//! and the landmark masks that replace the pictures for mask models.

use std::path::{Path, PathBuf};

use host_train::data::landmarks::{self, cache_path};
use host_train::data::{self, LoadOptions};
use shared::ClassKind;

fn shared_dir() -> PathBuf {
    shared::paths::shared_dir_from(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("../shared not found (set SIGNSPELL_SHARED)")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("signspell-landmarks-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn landmarks_are_found_cached_and_drawn_as_masks() {
    let root = shared_dir().join("data/asl-alphabet");
    let models = shared_dir().join("models/mediapipe");
    let mut ds = data::load(&root, &LoadOptions { limit_per_class: Some(2), ..LoadOptions::default() }).unwrap();
    let cache = scratch("cache");
    let hands = landmarks::landmarks(&ds, &models, &cache).unwrap();
    assert_eq!(hands.len(), ds.samples.len());

    let is_nothing = |label: u32| ds.classes.get(label as usize).unwrap().kind == ClassKind::Nothing;
    let (mut letters, mut letters_found, mut nothing_found) = (0, 0, 0);
    for (s, h) in ds.samples.iter().zip(&hands) {
        assert_eq!(h.source, s.source);
        if let Some(points) = h.hand_points() {
            // Near the picture: a wrist cut off by the edge is extrapolated a little past
            // it (P35.jpg: 5.5% of the side).
            let (w, h) = (s.image.width() as f32, s.image.height() as f32);
            assert!(points.iter().all(|p| p.x > -0.15 * w && p.x < 1.15 * w && p.y > -0.15 * h && p.y < 1.15 * h), "{}", s.source);
        }
        if is_nothing(s.label) {
            nothing_found += usize::from(h.points.is_some());
        } else {
            letters += 1;
            letters_found += usize::from(h.points.is_some());
        }
    }
    assert_eq!(letters, 56);
    assert!(letters_found >= 52, "a hand in only {letters_found} of {letters} letter pictures");
    assert_eq!(nothing_found, 0, "hands found in empty rooms");

    // The cache holds a header and one line per sample, and is what a second call reads:
    // a point edited in the file comes back.
    let file = cache_path(&cache, &ds);
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), ds.samples.len() + 1);
    let first = hands.iter().position(|h| h.points.is_some()).unwrap();
    let mut edited: landmarks::SampleHand = hands[first].clone();
    edited.points.as_mut().unwrap()[0][0] = 12345.0;
    let line = serde_json::to_string(&hands[first]).unwrap();
    let text = text.replacen(&line, &serde_json::to_string(&edited).unwrap(), 1);
    std::fs::write(&file, &text).unwrap();
    let again = landmarks::landmarks(&ds, &models, &cache).unwrap();
    assert_eq!(again[first].points.as_ref().unwrap()[0][0], 12345.0, "the second call read the cache");
    assert_eq!(again.len(), hands.len());

    // A damaged record is an error naming the file and line, not a silent recomputation.
    let mut lines: Vec<&str> = text.lines().collect();
    lines[2] = "{\"source\": 7";
    std::fs::write(&file, lines.join("\n")).unwrap();
    let err = format!("{:#}", landmarks::landmarks(&ds, &models, &cache).unwrap_err());
    assert!(err.contains("asl-alphabet.landmarks.jsonl") && err.contains("line 3"), "{err}");

    // Masks: white bones where a hand was found, all black where none was.
    let draw = landmarks::MaskDraw { size: 64, margin: 0.1, style: shared::card::MaskStyle::White };
    let masks = landmarks::to_masks(&mut ds, &hands, draw).unwrap();
    let without: Vec<usize> = masks.without_hand().collect();
    assert_eq!(without.len(), ds.samples.len() - hands.iter().filter(|h| h.points.is_some()).count());
    for (i, s) in ds.samples.iter().enumerate() {
        let img = s.image.as_rgb8().expect("masks are RGB");
        assert_eq!((img.width(), img.height()), (64, 64));
        let white = img.pixels().filter(|p| p.0 == [255, 255, 255]).count();
        if without.contains(&i) {
            assert_eq!(white, 0, "{}", s.source);
        } else {
            assert!(white > 100, "{}: {white} white pixels", s.source);
        }
    }
    std::fs::remove_dir_all(&cache).unwrap();
}

#[test]
fn missing_hand_models_are_named() {
    let root = shared_dir().join("data/asl-alphabet");
    let ds = data::load(&root, &LoadOptions { limit_per_class: Some(1), ..LoadOptions::default() }).unwrap();
    let cache = scratch("missing");
    let err = format!("{:#}", landmarks::landmarks(&ds, &cache.join("nowhere"), &cache).unwrap_err());
    assert!(err.contains("nowhere") && err.contains("palm_detection_lite.onnx"), "{err}");
    std::fs::remove_dir_all(&cache).unwrap();
}
