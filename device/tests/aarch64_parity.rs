//! The shipped model's logits on real held-out images, against the values recorded on
//! x86_64 in `tests/golden/asl-alphabet-logits.json`. CI runs this test natively and as
//! aarch64 code under qemu (`-cpu cortex-a72`): tract's aarch64 kernels must give the
//! same numbers within 1e-4 absolute (measured differences are ~1e-5 and below).
//!
//! Re-record after replacing the model: `SIGNSPELL_RECORD_GOLDEN=1 cargo test -p device
//! --test aarch64_parity` on x86_64.

use std::path::Path;

use shared::tract_model::TractModel;
use shared::Preprocessor;

const TOLERANCE: f32 = 1e-4;
const IMAGES: [&str; 6] = ["A/", "G/", "M/", "S/", "del/", "space/"];

mod common;

use common::root;

#[test]
fn logits_match_the_x86_64_recording() {
    let golden_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/asl-alphabet-logits.json");
    let data = common::shared_dir().join("data/asl-alphabet");
    let heldout = std::fs::read_to_string(root().join("models/asl-alphabet.heldout.txt")).unwrap();
    let mut results = serde_json::Map::new();
    for name in ["asl-alphabet.onnx", "asl-alphabet-int8.onnx"] {
        let model = TractModel::load(&root().join("models").join(name)).unwrap();
        let mut pre = Preprocessor::new(model.card.preprocess.clone()).unwrap();
        let mut per_image = serde_json::Map::new();
        for prefix in IMAGES {
            let rel = heldout.lines().find(|l| l.starts_with(prefix)).unwrap();
            let image = shared::image_io::decode_file(&data.join(rel)).unwrap();
            let logits = model.run(&pre.image(&image).unwrap()).unwrap();
            per_image.insert(rel.to_string(), serde_json::json!(logits));
        }
        results.insert(name.to_string(), per_image.into());
    }
    let results = serde_json::Value::Object(results);
    if std::env::var_os("SIGNSPELL_RECORD_GOLDEN").is_some() {
        assert_eq!(std::env::consts::ARCH, "x86_64", "record the golden logits on x86_64");
        shared::atomic::write(&golden_path, serde_json::to_string_pretty(&results).unwrap().as_bytes()).unwrap();
    }
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&golden_path).expect("golden logits missing: record them (see the module doc)"),
    )
    .unwrap();
    let mut worst = 0f32;
    for (model, images) in golden.as_object().unwrap() {
        for (image, want) in images.as_object().unwrap() {
            let got = &results[model][image];
            let (want, got): (Vec<f32>, Vec<f32>) =
                (serde_json::from_value(want.clone()).unwrap(), serde_json::from_value(got.clone()).unwrap());
            assert_eq!(want.len(), got.len(), "{model} {image}: the model changed; re-record the golden logits");
            for (w, g) in want.iter().zip(&got) {
                worst = worst.max((w - g).abs());
                assert!((w - g).abs() <= TOLERANCE, "{model} {image} on {}: {g} vs recorded {w}", std::env::consts::ARCH);
            }
        }
    }
    eprintln!("{}: largest |logit difference| to the x86_64 recording: {worst:e}", std::env::consts::ARCH);
}
