//! Adaptation: every shipped model's training checkpoint (`models/NAME.safetensors`) is
//! the shipped model, and `train --init MODEL.onnx` fine-tunes it on a new signer's
//! samples, laid out as the kiosk's collection mode writes them, with the original data
//! mixed in, and reads that signer better afterwards.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use host_train::data::{self, LoadOptions};
use host_train::train::{Model, TrainConfig, checkpoint};
use shared::Preprocessor;
use tch::nn::ModuleT;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A config as `train --init` makes it: the card's network, the checkpoint beside it.
fn config_for(model: &Path) -> TrainConfig {
    // The shipped ASL model's own training config, as `train --init` completes it.
    let text = std::fs::read_to_string(root().join("models/reports/asl-alphabet/train-config.toml")).unwrap();
    let mut base: TrainConfig = toml::from_str(&text).unwrap();
    if model.to_string_lossy().contains("mask") {
        let dir = std::env::temp_dir();
        base.input = host_train::data::landmarks::InputConfig::LandmarkMask {
            margin: 0.1,
            style: shared::card::MaskStyle::White,
            models: dir.clone(),
            cache_dir: dir,
        };
    }
    base.init_from_model(model).unwrap()
}

#[test]
fn each_shipped_checkpoint_is_its_shipped_model() {
    let picture = image::open(common::data("asl-alphabet/A/A1008.jpg")).unwrap();
    for name in ["asl-alphabet", "asl-alphabet-mask", "sign-language-digits", "arsl2018"] {
        let onnx = root().join(format!("models/{name}.onnx"));
        let cfg = config_for(&onnx);
        assert_eq!(cfg.init.as_deref(), Some(root().join(format!("models/{name}.safetensors")).as_path()));
        let tract = shared::tract_model::TractModel::load(&onnx).unwrap();
        let mut pre = Preprocessor::new(tract.card.preprocess.clone()).unwrap();
        let mut x = vec![0f32; tract.card.preprocess.tensor_len()];
        pre.image_into(&picture, None, &mut x).unwrap();
        let want = tract.run(&x).unwrap();

        let model = Model::build(&cfg, tract.card.classes.len(), tch::Device::Cpu).unwrap();
        checkpoint::load(cfg.init.as_ref().unwrap(), &model.vs).unwrap();
        let shape: Vec<i64> = tract.card.preprocess.input_shape().iter().map(|&d| d as i64).collect();
        let got = model.net.forward_t(&tch::Tensor::from_slice(&x).reshape(&shape), false);
        let got: Vec<f32> = got.reshape([-1]).try_into().unwrap();
        let range = want.iter().fold(0f32, |m, v| m.max(v.abs()));
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() <= 1e-3 * range.max(1.0), "{name}: libtorch {a} vs tract {b}");
        }
    }
}

#[test]
fn a_missing_checkpoint_or_a_mask_model_without_masks_is_named() {
    let dir = std::env::temp_dir().join(format!("signspell-adapt-missing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("asl-alphabet.onnx");
    std::fs::copy(root().join("models/asl-alphabet.onnx"), &copy).unwrap();
    let cfg = config_for(&root().join("models/asl-alphabet.onnx"));
    let err = format!("{:#}", cfg.clone().init_from_model(&copy).unwrap_err());
    assert!(err.contains("asl-alphabet.safetensors") && err.contains("training checkpoint"), "{err}");
    let crop = TrainConfig { input: host_train::data::landmarks::InputConfig::Crop, ..cfg };
    let err = format!("{:#}", crop.init_from_model(&root().join("models/asl-alphabet-mask.onnx")).unwrap_err());
    assert!(err.contains("--input landmark-mask"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `n` pictures per letter of sign-mnist's training file (other people's hands) written
/// as the kiosk's collection mode lays them out: `<dir>/<letter>/<signer>-NNNN.png`.
fn collected_from_sign_mnist(dir: &Path, n: usize) {
    let ds = data::load(&common::data("sign-mnist/sign_mnist_train.csv.gz"), &LoadOptions { limit_per_class: Some(n), ..LoadOptions::default() })
        .unwrap();
    let mut count = std::collections::HashMap::new();
    for s in &ds.samples {
        let letter = &ds.classes.get(s.label as usize).unwrap().display;
        let k = count.entry(letter.clone()).or_insert(0);
        std::fs::create_dir_all(dir.join(letter)).unwrap();
        s.image.save(dir.join(letter).join(format!("smnist-{k:04}.png"))).unwrap();
        *k += 1;
    }
}

#[test]
fn adapting_the_shipped_model_reads_the_new_signer_better() {
    let dir = std::env::temp_dir().join(format!("signspell-adapt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let collected = dir.join("collected");
    collected_from_sign_mnist(&collected, 10);
    let run = dir.join("run");
    let ht = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_host-train"))
            .current_dir(root())
            .args(["--threads", "1"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let asl = common::data("asl-alphabet");
    let out = ht(&[
        "train",
        "--init",
        "models/asl-alphabet.onnx",
        "--dataset",
        collected.to_str().unwrap(),
        "--mix",
        asl.to_str().unwrap(),
        "--mix-per-class",
        "2",
        "--mix-exclude",
        "models/asl-alphabet.heldout.txt",
        "--freeze-bn",
        "--epochs",
        "4",
        "--lr",
        "3e-4",
        "--test-fraction",
        "0.3",
        "--out",
        run.to_str().unwrap(),
    ]);
    let log = common::plain(&String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{log}");
    assert!(log.contains("added=58"), "2 of each of the 29 classes mixed in: {log}");
    let config = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(config.contains("asl-alphabet.safetensors") && config.contains("[mix]"), "{config}");

    // The same held-out samples of the new signer, before (the shipped model in tract)
    // and after (the adapted run's best checkpoint).
    let before_dir = dir.join("before");
    let out = ht(&["eval", "--run", run.to_str().unwrap(), "--onnx", "models/asl-alphabet.onnx", "--out", before_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let acc = |p: PathBuf| -> f64 {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        v["accuracy"].as_f64().unwrap()
    };
    let (before, after) = (acc(before_dir.join("report.json")), acc(run.join("report.json")));
    eprintln!("the new signer's held-out accuracy: {before:.4} before, {after:.4} after");
    assert!(after > before + 0.1, "the new signer's held-out accuracy went from {before} to {after}");
    std::fs::remove_dir_all(&dir).unwrap();
}
