//! The fuzz targets' checks (fuzz/checks.rs) run in CI on the inputs that matter: every
//! input a fuzzing run found to crash (kept in fuzz/regressions/<target>/, fixed since),
//! and real seeds (the shipped models, their cards, pictures from ../shared/data, camera
//! frames of real pictures) with damaged copies of each.

mod common;

#[path = "../../fuzz/checks.rs"]
mod checks;

use std::path::{Path, PathBuf};

use common::data;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The saved crashing inputs of one target.
fn regressions(target: &str) -> Vec<Vec<u8>> {
    let dir = repo().join("fuzz/regressions").join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    entries.map(|e| std::fs::read(e.unwrap().path()).unwrap()).collect()
}

/// `bytes`, then copies of it cut at a few lengths and with bytes overwritten.
fn damaged(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![bytes.to_vec()];
    for cut in [1, 2, 3, 5, 8] {
        out.push(bytes[..bytes.len() * cut / 9].to_vec());
    }
    for (k, step) in [(0x55u8, 97usize), (0xff, 1013), (0x00, 4099)] {
        let mut b = bytes.to_vec();
        for i in (step / 2..b.len()).step_by(step) {
            b[i] ^= k.wrapping_add(i as u8);
        }
        out.push(b);
    }
    out
}

fn shipped_models() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo().join("models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "onnx"))
        .collect();
    v.sort();
    assert!(v.len() >= 4, "the shipped models are in models/");
    v
}

#[test]
fn onnx_model_check_on_shipped_models_and_damaged_copies() {
    let mut n = 0;
    for path in shipped_models() {
        for b in damaged(&std::fs::read(&path).unwrap()) {
            checks::onnx_model(&b);
            n += 1;
        }
    }
    for b in regressions("onnx_model") {
        checks::onnx_model(&b);
    }
    assert!(n > 0);
}

#[test]
fn card_json_check_on_shipped_cards_and_damaged_copies() {
    for path in shipped_models() {
        let (card, _) = shared::ModelCard::read_onnx(&path).unwrap();
        let json = card.to_json();
        for b in damaged(json.as_bytes()) {
            checks::card_json(&b);
        }
    }
    for b in regressions("card_json") {
        checks::card_json(&b);
    }
}

fn pictures() -> Vec<PathBuf> {
    vec![data("asl-alphabet/A/A1008.jpg"), data("sign-language-digits/0/IMG_1118.JPG")]
}

#[test]
fn image_decode_check_on_real_pictures_and_damaged_copies() {
    for path in pictures() {
        let jpeg = std::fs::read(&path).unwrap();
        let img = image::load_from_memory(&jpeg).unwrap();
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let mut bmp = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut bmp), image::ImageFormat::Bmp).unwrap();
        for bytes in [jpeg, png, bmp] {
            for b in damaged(&bytes) {
                checks::image_decode(&b);
            }
        }
    }
    for b in regressions("image_decode") {
        checks::image_decode(&b);
    }
}

#[test]
fn camera_frame_check_on_real_frames_with_odd_geometry() {
    let img = image::open(data("asl-alphabet/A/A1008.jpg")).unwrap().resize_exact(64, 48, image::imageops::FilterType::Triangle).to_rgb8();
    let rgb = img.into_raw();
    for head in [[63u8, 47, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [63, 47, 1, 3, 1, 8, 4, 30, 1, 20, 7, 0], [200, 47, 1, 0, 1, 250, 250, 5, 0, 5, 3, 0]] {
        let mut b = head.to_vec();
        b.extend(&rgb);
        for d in damaged(&b) {
            checks::camera_frame(&d);
        }
    }
    for b in regressions("camera_frame") {
        checks::camera_frame(&b);
    }
}
