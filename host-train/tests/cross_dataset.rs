//! `train::evaluate_onnx` measures a shipped model on another dataset of the same
//! signs, matching classes by what they mean: the ASL model on sign-mnist (other
//! signers, labels 0..24 for the letters A..Y without J).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use host_train::data::{self, LoadOptions};
use host_train::train;
use shared::tract_model::TractModel;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn sign_mnist(per_class: usize) -> Arc<data::Dataset> {
    let path = root().join("../shared/data/sign-mnist/sign_mnist_test.csv.gz");
    Arc::new(data::load(&path, &LoadOptions { limit_per_class: Some(per_class), ..Default::default() }).unwrap())
}

#[test]
fn the_asl_model_reads_sign_mnist_letters_as_its_own_classes() {
    let ds = sign_mnist(3);
    let engine = TractModel::load(&root().join("models/asl-alphabet.onnx")).unwrap();
    let indices: Vec<usize> = (0..ds.samples.len()).collect();
    let e = train::evaluate_onnx(&engine, &ds, &indices, 16, &train::loader_pool(1).unwrap()).unwrap();
    assert_eq!(e.labels.len(), 24 * 3);
    let names: BTreeSet<&str> = e.labels.iter().map(|&l| engine.card.classes.classes[l].label.as_str()).collect();
    let letters: BTreeSet<&str> = "ABCDEFGHIKLMNOPQRSTUVWXY".split_terminator("").skip(1).collect();
    assert_eq!(names, letters, "sign-mnist's 0..24 are the model's A..Y");
    assert!(e.preds.iter().all(|&p| p < engine.card.classes.len()));
    assert!(e.loss.is_finite() && e.loss > 0.0);
}

#[test]
fn a_model_without_the_datasets_signs_is_refused_by_name() {
    // The digits model has a class labelled "0", but it means zero, not A.
    let ds = sign_mnist(1);
    let engine = TractModel::load(&root().join("models/sign-language-digits.onnx")).unwrap();
    let err = train::evaluate_onnx(&engine, &ds, &[0], 1, &train::loader_pool(1).unwrap()).unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("sign-language-digits.onnx") && msg.contains("has no class '0' ('A')"), "{msg}");
}
