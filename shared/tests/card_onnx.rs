//! The model card against real ONNX files (the MediaPipe models in ../shared/models):
//! lossless metadata editing, and every validation error.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{data, model, scratch};
use shared::card::{Architecture, CardError, DatasetInfo, OutputKind, Producer, Quantization, SplitInfo, SplitKind, CARD_KEY};
use shared::onnx::{set_metadata, Dim, OnnxError, OnnxInfo, ELEM_FLOAT};
use shared::preprocess::{Layout, PreprocessSpec};
use shared::{ClassTable, ModelCard};

fn card(preprocess: PreprocessSpec, classes: ClassTable) -> ModelCard {
    ModelCard {
        schema: shared::card::SCHEMA.into(),
        schema_version: shared::card::SCHEMA_VERSION,
        name: "test".into(),
        classes,
        preprocess,
        input: shared::card::InputSource::Crop,
        output: OutputKind::Logits,
        architecture: Architecture { name: "mobilenetv2".into(), hyperparameters: BTreeMap::from([("width".into(), 0.5.into())]) },
        parameters: 1234,
        dataset: DatasetInfo {
            name: "asl-alphabet".into(),
            path: None,
            split: SplitInfo { kind: SplitKind::Grouped, seed: Some(7), train: 4000, val: 800, test: 1000 },
        },
        metrics: BTreeMap::from([("accuracy".into(), 0.97)]),
        quantization: Quantization::Int8 { form: "weights-only".into(), calibration_images: 200 },
        producer: Producer { name: "host-train".into(), version: "0.1.0".into() },
    }
}

fn nhwc_224() -> PreprocessSpec {
    PreprocessSpec { layout: Layout::Nhwc, ..PreprocessSpec::imagenet(224, 224) }
}

#[test]
fn reads_real_mediapipe_declarations() {
    let info = OnnxInfo::read(&model("mediapipe/hand_landmark_lite.onnx")).unwrap();
    assert_eq!(info.inputs.len(), 1, "initializers are not inputs");
    let input = &info.inputs[0];
    assert_eq!(input.elem_type, ELEM_FLOAT);
    let dims = input.dims.as_ref().unwrap();
    assert_eq!(&dims[1..], &[Dim::Fixed(224), Dim::Fixed(224), Dim::Fixed(3)]);
    assert_eq!(info.outputs.len(), 4);
    let palm = OnnxInfo::read(&model("mediapipe/palm_detection_lite.onnx")).unwrap();
    let out_dims: Vec<_> = palm.outputs.iter().map(|o| o.dims.clone().unwrap()).collect();
    assert!(out_dims.contains(&vec![Dim::Fixed(1), Dim::Fixed(2016), Dim::Fixed(18)]), "{out_dims:?}");
    assert!(out_dims.contains(&vec![Dim::Fixed(1), Dim::Fixed(2016), Dim::Fixed(1)]), "{out_dims:?}");
}

#[test]
fn metadata_edit_is_lossless() {
    let path = model("mediapipe/palm_detection_lite.onnx");
    let original = std::fs::read(&path).unwrap();
    let before = OnnxInfo::parse(&original, &path).unwrap();
    let once = set_metadata(&original, "k", "v1", &path).unwrap();
    // Nothing removed: the original bytes are a prefix, one entry is appended.
    assert_eq!(&once[..original.len()], &original[..]);
    let twice = set_metadata(&once, "k", "v2", &path).unwrap();
    assert_eq!(twice.len(), once.len());
    assert_eq!(&twice[..original.len()], &original[..]);
    let after = OnnxInfo::parse(&twice, &path).unwrap();
    assert_eq!(after.metadata.iter().filter(|(k, _)| k == "k").count(), 1);
    assert_eq!(after.metadata("k"), Some("v2"));
    assert_eq!((after.inputs, after.outputs), (before.inputs, before.outputs));
}

#[test]
fn card_validation_errors_on_a_real_model() {
    let path = model("mediapipe/hand_landmark_lite.onnx");
    let bytes = std::fs::read(&path).unwrap();
    // NCHW preprocessing against an NHWC graph: the input disagrees.
    let err = card(PreprocessSpec::imagenet(224, 224), ClassTable::asl_alphabet()).embed(&bytes, &path).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, CardError::Input { .. }), "{err:?}");
    assert!(msg.contains("hand_landmark_lite.onnx") && msg.contains("[1, 224, 224, 3]") && msg.contains("[1, 3, 224, 224]"), "{msg}");
    // Right input, but 29 classes against a first output of 63 values.
    let err = card(nhwc_224(), ClassTable::asl_alphabet()).embed(&bytes, &path).unwrap_err();
    assert!(matches!(err, CardError::Output { .. }), "{err:?}");
    assert!(err.to_string().contains("29 classes"), "{err}");
    // Wrong size.
    let spec = PreprocessSpec { layout: Layout::Nhwc, ..PreprocessSpec::imagenet(192, 192) };
    assert!(matches!(card(spec, ClassTable::asl_alphabet()).embed(&bytes, &path), Err(CardError::Input { .. })));
    // No card at all.
    let err = ModelCard::read_onnx(&path).unwrap_err();
    assert!(matches!(err, CardError::Missing { .. }) && err.to_string().contains("no model card"), "{err}");
}

#[test]
fn a_card_that_disagrees_with_the_graph_is_caught_on_read() {
    // A card written past the checks (as a stale or hand-edited file would carry it).
    let path = model("mediapipe/hand_landmark_lite.onnx");
    let bytes = std::fs::read(&path).unwrap();
    let c = card(nhwc_224(), ClassTable::asl_alphabet());
    let forged = set_metadata(&bytes, CARD_KEY, &c.to_json(), &path).unwrap();
    let dir = scratch("forged");
    let file = dir.join("forged.onnx");
    std::fs::write(&file, forged).unwrap();
    let err = ModelCard::read_onnx(&file).unwrap_err();
    assert!(matches!(err, CardError::Output { .. }) && err.to_string().contains("forged.onnx"), "{err}");
}

#[test]
fn not_onnx_is_named() {
    let jpeg = data("asl-alphabet/A/A1008.jpg");
    let err = OnnxInfo::read(&jpeg).unwrap_err();
    assert!(matches!(err, OnnxError::NotOnnx { .. }) && err.to_string().contains("A1008.jpg"), "{err}");
    assert!(matches!(ModelCard::read_onnx(&jpeg), Err(CardError::Onnx(OnnxError::NotOnnx { .. }))));
    let truncated = std::fs::read(model("mediapipe/palm_detection_lite.onnx")).unwrap();
    let err = OnnxInfo::parse(&truncated[..truncated.len() / 2], Path::new("half.onnx")).unwrap_err();
    assert!(matches!(err, OnnxError::NotOnnx { .. }), "{err:?}");
    assert!(matches!(OnnxInfo::read(Path::new("/nonexistent.onnx")), Err(OnnxError::Io { .. })));
}

#[test]
fn card_json_round_trip_and_schema_errors() {
    let c = card(PreprocessSpec::imagenet(128, 128), ClassTable::arsl2018_29());
    let p = Path::new("card.json");
    assert_eq!(ModelCard::from_json(&c.to_json(), p).unwrap(), c);

    let mut v: serde_json::Value = serde_json::from_str(&c.to_json()).unwrap();
    v["schema"] = "someone-else.card".into();
    assert!(matches!(ModelCard::from_json(&v.to_string(), p), Err(CardError::WrongSchema { .. })));
    let mut v: serde_json::Value = serde_json::from_str(&c.to_json()).unwrap();
    v["schema_version"] = 2.into();
    let err = ModelCard::from_json(&v.to_string(), p).unwrap_err();
    assert!(matches!(err, CardError::UnsupportedVersion { found: 2, .. }), "{err:?}");
    let mut v: serde_json::Value = serde_json::from_str(&c.to_json()).unwrap();
    v["parameters"] = "many".into();
    assert!(matches!(ModelCard::from_json(&v.to_string(), p), Err(CardError::Json { .. })));
    let mut v: serde_json::Value = serde_json::from_str(&c.to_json()).unwrap();
    v["surprise"] = 1.into();
    let err = ModelCard::from_json(&v.to_string(), p).unwrap_err();
    assert!(err.to_string().contains("surprise"), "{err}");
    let mut v: serde_json::Value = serde_json::from_str(&c.to_json()).unwrap();
    v["preprocess"]["mean"] = serde_json::json!([0.5]);
    assert!(matches!(ModelCard::from_json(&v.to_string(), p), Err(CardError::Invalid { .. })));
    let mut v: serde_json::Value = serde_json::from_str(&c.to_json()).unwrap();
    v["classes"]["classes"][3]["index"] = 9.into();
    assert!(matches!(ModelCard::from_json(&v.to_string(), p), Err(CardError::Invalid { .. })));
    let mut binary = c.clone();
    binary.output = OutputKind::BinaryLogit;
    assert!(matches!(binary.validate(p), Err(CardError::Invalid { .. })));
    assert!(matches!(ModelCard::from_json("{not json", p), Err(CardError::Json { .. })));
    assert!(matches!(ModelCard::from_json("[1,2]", p), Err(CardError::WrongSchema { .. })));
}

#[test]
fn atomic_write_replaces_whole_files() {
    let dir = scratch("atomic");
    let path = dir.join("model.onnx");
    shared::atomic::write(&path, b"first").unwrap();
    shared::atomic::write(&path, b"second version").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"second version");
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary files left: {leftovers:?}");
    assert!(shared::atomic::write(&dir.join("missing-dir/x"), b"x").is_err());
}

#[test]
fn the_input_source_round_trips_and_crop_cards_stay_as_they_were() {
    use shared::card::{InputSource, MaskStyle};
    let p = Path::new("card.json");
    let crop = card(PreprocessSpec::imagenet(128, 128), ClassTable::arsl2018_29());
    // Cards of picture models do not mention the input, so files written before the
    // field existed and after it are the same.
    assert!(!crop.to_json().contains("\"input\""), "{}", crop.to_json());
    assert_eq!(ModelCard::from_json(&crop.to_json(), p).unwrap().input, InputSource::Crop);

    let mask = ModelCard { input: InputSource::LandmarkMask { margin: 0.1, style: MaskStyle::Fingers }, ..crop.clone() };
    let json = mask.to_json();
    assert!(json.contains("\"kind\": \"landmark_mask\""), "{json}");
    let back = ModelCard::from_json(&json, p).unwrap();
    assert_eq!(back.input, InputSource::LandmarkMask { margin: 0.1, style: MaskStyle::Fingers });
    assert_eq!(back.input.mask_style(), Some(MaskStyle::Fingers));
    // Cards written before the style existed mean white bones.
    let old = ModelCard::from_json(&json.replace(",\n    \"style\": \"fingers\"", ""), p).unwrap();
    assert_eq!(old.input, InputSource::LandmarkMask { margin: 0.1, style: MaskStyle::White });
    assert_eq!(back.input.mask_margin(), Some(0.1));

    let wide = ModelCard { input: InputSource::LandmarkMask { margin: 0.6, style: MaskStyle::White }, ..crop.clone() };
    let err = ModelCard::from_json(&wide.to_json(), p).unwrap_err();
    assert!(matches!(err, CardError::Invalid { .. }) && err.to_string().contains("margin 0.6"), "{err}");
    let unknown = json.replace("landmark_mask", "depth_map");
    let err = ModelCard::from_json(&unknown, p).unwrap_err();
    assert!(err.to_string().contains("card.json") && err.to_string().contains("depth_map"), "{err}");
}

#[test]
fn a_landmark_card_must_describe_the_feature_vector_and_a_nothing_class() {
    use shared::card::InputSource;
    use shared::features::{FeatureSpec, LEN, preprocess_spec};
    let p = Path::new("landmarks.onnx");
    let good = ModelCard {
        input: InputSource::Landmarks { features: FeatureSpec::V1 },
        ..card(preprocess_spec(), ClassTable::asl_alphabet())
    };
    let back = ModelCard::from_json(&good.to_json(), p).unwrap();
    assert_eq!(back.input.landmark_features(), Some(FeatureSpec::V1));
    assert!(back.input.needs_landmarks() && back.preprocess.input_shape() == [1, 1, 1, LEN]);

    // A card whose input is not the feature vector is refused, naming the file.
    let wrong = ModelCard { preprocess: PreprocessSpec::imagenet(128, 128), ..good.clone() };
    let err = ModelCard::from_json(&wrong.to_json(), p).unwrap_err();
    assert!(matches!(err, CardError::Invalid { .. }) && err.to_string().contains("landmarks.onnx"), "{err}");
    assert!(err.to_string().contains(&format!("{LEN} features")), "{err}");
    // No hand must mean something: the table needs `nothing`.
    let err = ModelCard::from_json(&ModelCard { classes: ClassTable::sign_mnist(), ..good.clone() }.to_json(), p).unwrap_err();
    assert!(err.to_string().contains("'nothing'"), "{err}");
    // A feature version this build does not compute.
    let v2 = good.to_json().replace("\"version\": 1", "\"version\": 2");
    assert!(ModelCard::from_json(&v2, p).unwrap_err().to_string().contains("version 2"));
}
