//! The device side of the bad-input table (docs/bad-inputs.md): each bad file goes
//! through the `device` binary as a user would run it, and the error must name the file
//! and say what is wrong. `cargo test -p device --test bad_inputs -- --nocapture`
//! prints the message each row of the table quotes.

mod common;

use std::path::{Path, PathBuf};

use shared::card::CARD_KEY;
use shared::onnx::set_metadata;
use shared::ModelCard;

use common::{bin, model, scratch, shared_dir};

/// Runs `device args...`, which must fail, and returns its stderr; prints the last line
/// (the whole error chain) for the table.
fn fails(row: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    let out = bin().args(args.iter().map(|a| a.as_ref())).env("RUST_BACKTRACE", "0").env("RUST_LIB_BACKTRACE", "0").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{row}: the command succeeded\n{err}");
    assert!(!err.contains("panicked"), "{row}: a panic instead of an error\n{err}");
    let shown = err.lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join(" / ");
    println!("| {row} | `{shown}` |");
    err
}

fn assert_says(err: &str, parts: &[&str]) {
    for p in parts {
        assert!(err.contains(p), "the error lacks {p:?}:\n{err}");
    }
}

fn picture() -> PathBuf {
    shared_dir().join("data/asl-alphabet/A/A1008.jpg")
}

fn int8() -> PathBuf {
    model("asl-alphabet-int8.onnx")
}

#[test]
fn bad_pictures_are_named_by_classify() {
    let dir = scratch("bad-pictures");
    let jpeg = std::fs::read(picture()).unwrap();
    let cut = dir.join("cut.jpg");
    std::fs::write(&cut, &jpeg[..jpeg.len() / 2]).unwrap();
    let err = fails("truncated JPEG", &[&"classify", &"--model", &int8(), &cut]);
    assert_says(&err, &["cut.jpg"]);

    let mut png = Vec::new();
    image::open(picture()).unwrap().write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    let (cut_png, flipped_png) = (dir.join("cut.png"), dir.join("flipped.png"));
    std::fs::write(&cut_png, &png[..png.len() * 2 / 3]).unwrap();
    let err = fails("truncated PNG", &[&"classify", &"--model", &int8(), &cut_png]);
    assert_says(&err, &["cut.png"]);
    // Bytes in the compressed pixel data changed: the chunk's CRC no longer matches.
    let mut bad = png.clone();
    let mid = bad.len() / 2;
    for b in &mut bad[mid..mid + 16] {
        *b ^= 0x5a;
    }
    std::fs::write(&flipped_png, &bad).unwrap();
    let err = fails("PNG with corrupt pixel data", &[&"classify", &"--model", &int8(), &flipped_png]);
    assert_says(&err, &["flipped.png"]);

    let text = dir.join("notes.jpg");
    std::fs::write(&text, "this is a text file named like a picture\n").unwrap();
    let err = fails("a text file named .jpg", &[&"classify", &"--model", &int8(), &text]);
    assert_says(&err, &["notes.jpg"]);
}

#[test]
fn models_that_are_not_models_are_refused_with_their_name() {
    let dir = scratch("bad-models");
    let text = dir.join("notes.onnx");
    std::fs::write(&text, "not a model\n").unwrap();
    let err = fails("ONNX that is not ONNX (text)", &[&"card", &text]);
    assert_says(&err, &["notes.onnx"]);

    let bytes = std::fs::read(int8()).unwrap();
    let half = dir.join("half.onnx");
    std::fs::write(&half, &bytes[..bytes.len() / 2]).unwrap();
    let err = fails("ONNX cut in half (a copy that stopped)", &[&"card", &half]);
    assert_says(&err, &["half.onnx"]);

    let err = fails("a picture given as the model", &[&"classify", &"--model", &picture(), &picture()]);
    assert_says(&err, &["A1008.jpg"]);

    let mediapipe = shared_dir().join("models/mediapipe/palm_detection_lite.onnx");
    let err = fails("an ONNX model without a model card", &[&"card", &mediapipe]);
    assert_says(&err, &["palm_detection_lite.onnx", "model card"]);
}

#[test]
fn a_card_that_disagrees_with_its_graph_is_refused() {
    let dir = scratch("forged-card");
    let path = int8();
    let bytes = std::fs::read(&path).unwrap();
    let (mut card, _) = ModelCard::read_onnx(&path).unwrap();
    // The card says 160 px where the graph takes 224 (a stale or hand-edited card).
    card.preprocess.width = 160;
    card.preprocess.height = 160;
    let forged = dir.join("forged.onnx");
    std::fs::write(&forged, set_metadata(&bytes, CARD_KEY, &card.to_json(), &forged).unwrap()).unwrap();
    let err = fails("a card whose input size disagrees with the graph", &[&"card", &forged]);
    assert_says(&err, &["forged.onnx", "160"]);

    // The classes disagree with the graph's output.
    let (mut card, _) = ModelCard::read_onnx(&path).unwrap();
    card.classes = shared::ClassTable::asl_digits();
    let fewer = dir.join("ten-classes.onnx");
    std::fs::write(&fewer, set_metadata(&bytes, CARD_KEY, &card.to_json(), &fewer).unwrap()).unwrap();
    let err = fails("a card with 10 classes on a 29-output graph", &[&"classify", &"--model", &fewer, &picture()]);
    assert_says(&err, &["ten-classes.onnx", "10"]);
}

/// A kiosk config around the shipped model with `extra` appended.
fn config(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join("kiosk.toml");
    let text = format!("model = {:?}\n[display]\nkind = \"none\"\n{extra}", int8());
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn bad_configs_are_refused_at_start_naming_the_setting() {
    let dir = scratch("bad-configs");
    let cases: [(&str, &str, &[&str]); 6] = [
        ("config: a lexicon folder without word lists", "[decoder]\nlexicon = \"nowhere\"\n", &["lexicon", "nowhere", "words.tsv"]),
        ("config: a number given as text", "[decoder]\nwindow = \"three\"\n", &["window", "invalid type"]),
        ("config: a misspelt setting", "[decoder]\nwindw = 3\n", &["windw"]),
        ("config: a button pin given by name", "[controls]\nclear = \"GPIO5\"\n", &["clear"]),
        ("config: two buttons on one pin", "[controls]\nclear = 5\nspeak = 5\n", &["controls.speak = 5", "controls.clear"]),
        (
            "config: a button on the panel's data/command pin",
            "[display]\nkind = \"spi\"\n[controls]\nmode = 25\n",
            &["controls.mode = 25", "dc_line"],
        ),
    ];
    for (row, extra, parts) in cases {
        // Each case replaces the [display] table when it brings its own.
        let text = if extra.contains("[display]") {
            format!("model = {:?}\n{extra}", int8())
        } else {
            std::fs::read_to_string(config(&dir, "")).unwrap() + extra
        };
        let path = dir.join("kiosk.toml");
        std::fs::write(&path, text).unwrap();
        let err = fails(row, &[&"run", &"--config", &path]);
        assert_says(&err, &["kiosk.toml"]);
        assert_says(&err, parts);
    }
    let missing = dir.join("missing.toml");
    let err = fails("config: the file is missing", &[&"run", &"--config", &missing]);
    assert_says(&err, &["missing.toml"]);
    let path = dir.join("kiosk.toml");
    std::fs::write(&path, "model = \"gone.onnx\"\n[display]\nkind = \"none\"\n").unwrap();
    let err = fails("config: the model it names is missing", &[&"run", &"--config", &path]);
    assert_says(&err, &["gone.onnx"]);
}
