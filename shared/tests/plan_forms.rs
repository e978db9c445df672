//! The plan forms tract can run a shipped model in (tract's own, channel-last, and
//! channel-last with Signspell's depthwise op) compute the same probabilities on real
//! held-out pictures, and the kiosk's form really runs the replacement op.
#![cfg(feature = "tract")]

mod common;

use std::path::{Path, PathBuf};

use common::data;
use shared::tract_model::{PlanForm, TractModel};
use shared::Preprocessor;

fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models").join(name)
}

/// Every 60th held-out picture of the ASL alphabet model (about 20, across the letters).
fn pictures() -> Vec<image::DynamicImage> {
    let list = std::fs::read_to_string(shipped("asl-alphabet.heldout.txt")).unwrap();
    list.lines().step_by(60).map(|l| shared::image_io::decode_file(&data("asl-alphabet").join(l)).unwrap()).collect()
}

#[test]
fn every_plan_form_computes_the_same_probabilities() {
    let pictures = pictures();
    assert!(pictures.len() >= 15, "{} pictures", pictures.len());
    for name in [
        "asl-alphabet.onnx",
        "asl-alphabet-int8.onnx",
        "asl-alphabet-mask.onnx",
        "sign-language-digits.onnx",
        "arsl2018.onnx",
        "arsl2018-int8.onnx",
    ] {
        let forms: Vec<TractModel> = PlanForm::ALL.iter().map(|&f| TractModel::load_as(&shipped(name), f).unwrap()).collect();
        let mut pre = Preprocessor::new(forms[0].card.preprocess.clone()).unwrap();
        let mut worst = 0f32;
        for picture in &pictures {
            let x = pre.image(picture).unwrap();
            let reference = forms[0].probabilities(&x).unwrap();
            let top = |p: &[f32]| p.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
            for (form, model) in PlanForm::ALL.iter().zip(&forms).skip(1) {
                let p = model.probabilities(&x).unwrap();
                worst = reference.iter().zip(&p).map(|(a, b)| (a - b).abs()).fold(worst, f32::max);
                assert_eq!(top(&p), top(&reference), "{name}: {} changes the top class", form.name());
            }
        }
        assert!(worst < 1e-4, "{name}: probabilities differ by up to {worst} between plan forms");
    }
}

#[test]
fn the_kiosk_form_runs_no_tract_depthwise_layer() {
    let x = Preprocessor::new(TractModel::load(&shipped("asl-alphabet.onnx")).unwrap().card.preprocess.clone())
        .unwrap()
        .image(&pictures()[0])
        .unwrap();
    let ops = |form| -> Vec<String> {
        TractModel::load_as(&shipped("asl-alphabet.onnx"), form).unwrap().profile(&x, 1).unwrap().into_iter().map(|n| n.op).collect()
    };
    let count = |ops: &[String], op: &str| ops.iter().filter(|o| *o == op).count();
    let tract = ops(PlanForm::Tract);
    let ours = ops(PlanForm::default());
    // MobileNetV2 has 17 depthwise layers; all of them move to the replacement, and the
    // ReLU6 after each is fused into it.
    assert_eq!(count(&tract, "DepthWiseConv"), 17, "{tract:?}");
    assert_eq!((count(&ours, "DepthWiseConv"), count(&ours, "ChannelLastDepthwise")), (0, 17), "{ours:?}");
    // The depthwise-only form runs the replacement too, in tract's layout.
    let only = ops(PlanForm::TractDepthwise);
    assert_eq!((count(&only, "DepthWiseConv"), count(&only, "ChannelLastDepthwise")), (0, 17), "{only:?}");
    let clips = |ops: &[String]| ops.iter().filter(|o| o.contains("Max")).count();
    assert!(clips(&ours) < clips(&tract) - 15, "clips not fused: {} vs {}", clips(&ours), clips(&tract));
}
