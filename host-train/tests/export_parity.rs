//! Export end to end: short real training runs of every exportable architecture, then
//! float and int8 ONNX files that pass the tract parity gate, carry a card that
//! `shared` validates against the graph, and load in tract on their own.

mod common;

use std::path::Path;

use common::{DIGIT_CNN, data, host_train, scratch};

/// What the int8 export of a briefly trained model must do.
#[derive(Clone, Copy, PartialEq)]
enum Int8 {
    /// Pass the parity gate.
    Passes,
    /// Pass the gate, or be refused by it with nothing written: a model trained for a
    /// few epochs from scratch may sit near ties that int8 weights flip (ResNet18 +
    /// BiLSTM: 98% of top-1 on an AMD EPYC with AVX2, where the gate asks 99%; it
    /// passed on earlier hosts).
    PassesOrRefused,
}

/// Trains `arch` briefly on `dataset`, exports float and int8, and checks both files.
fn train_and_export(name: &str, dataset: &Path, epochs: usize, extra: &[&str]) {
    train_export_check(name, dataset, epochs, extra, Int8::Passes, |_, _| {});
}

/// As [`train_and_export`], then `check(run_dir, float_model)` before cleaning up.
fn train_export_check(name: &str, dataset: &Path, epochs: usize, extra: &[&str], int8_must: Int8, check: impl Fn(&Path, &Path)) {
    let dir = scratch(name);
    let run = dir.join("run");
    let epochs = epochs.to_string();
    let mut args =
        vec!["train", "--dataset", dataset.to_str().unwrap(), "--epochs", &epochs, "--out", run.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = host_train(&args);
    assert!(out.status.success(), "{name}: training failed: {}", String::from_utf8_lossy(&out.stderr));
    for int8 in [false, true] {
        let file = dir.join(if int8 { "model-int8.onnx" } else { "model.onnx" });
        let mut args =
            vec!["export", "--run", run.to_str().unwrap(), "--out", file.to_str().unwrap(), "--parity-images", "100"];
        if int8 {
            args.push("--int8");
        }
        let out = host_train(&args);
        if int8 && int8_must == Int8::PassesOrRefused && !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("parity gate failed for") && err.contains("nothing written"), "{name}: int8 export failed, not by the gate: {err}");
            assert!(!file.exists(), "{name}: a refused int8 file must not be written");
            eprintln!("{name}: int8 refused by the parity gate: {}", err.lines().find(|l| l.contains("parity gate")).unwrap_or_default());
            continue;
        }
        assert!(out.status.success(), "{name} int8={int8}: export failed: {}", String::from_utf8_lossy(&out.stderr));
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["parity"]["passed"], true, "{summary}");
        assert_eq!(summary["parity"]["images"], 100, "{summary}");
        if !int8 {
            assert_eq!(summary["parity"]["top1_agreement"], 1.0, "{summary}");
            let (d, r) = (
                summary["parity"]["max_abs_diff"].as_f64().unwrap(),
                summary["parity"]["logit_range"].as_f64().unwrap(),
            );
            assert!(d <= 1e-3 * r, "{name}: max diff {d} vs range {r}");
        }
        // The card reads back validated against the graph; tract loads the file alone.
        let (card, info) = shared::ModelCard::read_onnx(&file).unwrap();
        assert_eq!(info.opsets, vec![(String::new(), 13)]);
        assert_eq!(matches!(card.quantization, shared::card::Quantization::Int8 { .. }), int8);
        let model =
            tract_onnx::onnx().model_for_path(&file).unwrap().into_optimized().unwrap().into_runnable().unwrap();
        let x = vec![0f32; card.preprocess.tensor_len()];
        use tract_onnx::prelude::*;
        let y =
            model.run(tvec!(Tensor::from_shape(&card.preprocess.input_shape(), &x).unwrap().into_tvalue())).unwrap();
        assert_eq!(y[0].len(), card.output_len());
        if int8 {
            // Dequantizing the weights at load computes the same function with float weights.
            let loaded = shared::tract_model::TractModel::load(&file).unwrap();
            let z = loaded.run(&x).unwrap();
            let a = y[0].to_plain_array_view::<f32>().unwrap();
            let b = &z;
            for (p, q) in a.iter().zip(b.iter()) {
                assert!((p - q).abs() <= 1e-4 * p.abs().max(1.0), "{name}: {p} vs {q} after dequantizing at load");
            }
        }
    }
    let float = std::fs::metadata(dir.join("model.onnx")).unwrap().len();
    if let Ok(int8) = std::fs::metadata(dir.join("model-int8.onnx")).map(|m| m.len()) {
        assert!(int8 * 3 < float, "{name}: int8 file {int8} B is not much smaller than float {float} B");
    }
    check(&run, &dir.join("model.onnx"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mobilenetv2_with_attention_exports() {
    train_and_export(
        "mnv2ca",
        &data("sign-language-digits"),
        2,
        &["--arch", "mobilenetv2-ca", "--width", "0.35", "--input-size", "32", "--limit-per-class", "40"],
    );
}

#[test]
fn plain_mobilenetv2_exports() {
    train_and_export(
        "mnv2",
        &data("asl-alphabet"),
        2,
        &[
            "--arch",
            "mobilenetv2",
            "--width",
            "0.35",
            "--input-size",
            "32",
            "--limit-per-class",
            "12",
            "--split",
            "grouped",
            "--group-size",
            "2",
        ],
    );
}

#[test]
fn custom_cnn_exports() {
    // Trained well enough that its logits are not near-ties (the int8 gate compares
    // top-1 decisions, which an untrained model flips on any perturbation).
    train_and_export(
        "cnn",
        &data("ahdd1-test"),
        6,
        &[&DIGIT_CNN[..], &["--limit-per-class", "100", "--lr", "3e-3"]].concat(),
    );
}

#[test]
fn binary_mlp_exports() {
    // Seed 003's task: sign-language digits 0 vs 5 at 28x28 gray, one sigmoid logit.
    let dir = scratch("zero-vs-five");
    for d in ["0", "5"] {
        std::os::unix::fs::symlink(data("sign-language-digits").join(d), dir.join(d)).unwrap();
    }
    // Seed 003 trains the MLP without augmentation; trained on noise and blur it stays
    // near ties after two epochs, and the int8 gate compares top-1 decisions.
    train_export_check(
        "mlp",
        &dir,
        3,
        &["--arch", "mlp", "--input-size", "28", "--color", "gray", "--normalization", "unit", "--no-augment"],
        Int8::Passes,
        |run, file| {
            // tract counts the multiply-accumulates of the two layers: 784x128 + 128x1.
            assert_eq!(shared::tract_model::TractModel::load(file).unwrap().macs, 784 * 128 + 128);
            // `eval --onnx` runs the exported file in tract over the run's test split: the
            // float export decides as libtorch does.
            let out_dir = run.join("tract-eval");
            let out = host_train(&[
                "eval",
                "--run",
                run.to_str().unwrap(),
                "--onnx",
                file.to_str().unwrap(),
                "--out",
                out_dir.to_str().unwrap(),
            ]);
            assert!(out.status.success(), "eval --onnx failed: {}", String::from_utf8_lossy(&out.stderr));
            let read =
                |p: &Path| -> serde_json::Value { serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap() };
            let (tract, torch) = (read(&out_dir.join("report.json")), read(&run.join("report.json")));
            assert_eq!(tract["samples"], torch["samples"]);
            let (a, b) = (tract["accuracy"].as_f64().unwrap(), torch["accuracy"].as_f64().unwrap());
            assert!((a - b).abs() <= 1.0 / torch["samples"].as_f64().unwrap() + 1e-9, "tract {a} vs libtorch {b}");
            assert!(tract["model"].as_str().unwrap().contains("tract"), "{tract}");
        },
    );
}

/// The seeds' fixed architectures on Arabic handwritten digits at 28x28 gray: short runs
/// that learn enough for decisive logits, then the float and int8 gates.
fn seed_model_exports(name: &str, arch: &str, size: &str, epochs: usize, extra: &[&str]) {
    let mut args =
        vec!["--arch", arch, "--input-size", size, "--color", "gray", "--limit-per-class", "100", "--hflip", "0"];
    args.extend_from_slice(extra);
    train_and_export(name, &data("ahdd1-test"), epochs, &args);
}

#[test]
fn lenet5_exports() {
    seed_model_exports("lenet5", "lenet5", "28", 4, &["--lr", "3e-3"]);
}

#[test]
fn resco_mini_exports() {
    seed_model_exports("resco", "resco-mini", "28", 4, &["--lr", "3e-3", "--dropout", "0.5"]);
}

#[test]
fn alexnet_exports() {
    // Two epochs: its int8 form agrees on all 100 images (three took 49 s more training
    // in CI's longest test binary; fewer pictures left the int8 gate at its 99% edge).
    seed_model_exports("alexnet", "alexnet", "28", 2, &["--lr", "3e-4", "--dropout", "0.5"]);
}

// 32 px: ResNet18's five halvings leave a 1x1 map. With and without channel attention
// as two tests, so that they run side by side with the others.
#[test]
fn resnet18_with_attention_exports() {
    seed_model_exports("resnet18-ca", "resnet18-ca", "32", 4, &["--lr", "3e-3"]);
}

#[test]
fn resnet18_exports() {
    seed_model_exports("resnet18", "resnet18", "32", 4, &["--lr", "3e-3"]);
}

#[test]
fn attention_lstm_exports() {
    // 64 px: a 2x2 feature map, so the LSTMs and the attention run over 4 positions;
    // the ONNX graph holds two bidirectional LSTM nodes. 40 pictures a digit (the float
    // gate's logits are decisive; 100 took about twice as long).
    train_export_check(
        "attention-lstm",
        &data("ahdd1-test"),
        4,
        &[
            "--arch",
            "attention-lstm",
            "--input-size",
            "64",
            "--color",
            "gray",
            "--limit-per-class",
            "40",
            "--hflip",
            "0",
            "--clip-grad",
            "1.0",
        ],
        Int8::PassesOrRefused,
        |_, file| {
            use tract_onnx::prelude::Framework;
            let model = tract_onnx::onnx().proto_model_for_path(file).unwrap();
            let ops: Vec<_> = model.graph.unwrap().node.iter().map(|n| n.op_type.clone()).collect();
            assert_eq!(ops.iter().filter(|o| *o == "LSTM").count(), 2, "{ops:?}");
            assert!(ops.iter().any(|o| o == "Softmax"), "{ops:?}");
        },
    );
}

#[test]
fn landmark_mask_model_exports_with_its_input_in_the_card() {
    // Landmarks found once (cached beside the run), masks drawn at 32 px; the parity
    // gate runs on the same masks.
    train_export_check(
        "mask",
        &data("asl-alphabet"),
        6,
        &[
            "--arch",
            "custom-cnn",
            "--width",
            "0.25",
            "--input-size",
            "32",
            "--limit-per-class",
            "20",
            "--lr",
            "3e-3",
            "--input",
            "landmark-mask",
            "--mask-style",
            "fingers",
        ],
        Int8::Passes,
        |run, model| {
            let (card, _) = shared::ModelCard::read_onnx(model).unwrap();
            assert_eq!(card.input, shared::card::InputSource::LandmarkMask { margin: 0.1, style: shared::card::MaskStyle::Fingers });
            let cache = run.parent().unwrap().join("landmarks").join("asl-alphabet.landmarks.jsonl");
            let lines = std::fs::read_to_string(&cache).unwrap().lines().count();
            assert_eq!(lines, 29 * 20 + 1, "{}", cache.display());
            let config = std::fs::read_to_string(run.join("config.toml")).unwrap();
            assert!(config.contains("kind = \"landmark_mask\"") && config.contains("brightness = 0.0"), "{config}");
        },
    );
}
