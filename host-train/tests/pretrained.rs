//! Transfer learning from the ImageNet MobileNetV2 TFLite file in ../shared/models:
//! the weights are read, dequantized and mapped onto our MobileNetV2, which must then
//! classify the file's own sample picture as the TFLite model does ("Egyptian cat").

use std::path::PathBuf;

use host_train::model::{self, ModelSpec, pretrained, tflite};
use shared::preprocess::ColorMode;
use shared::{PreprocessSpec, Preprocessor};
use tch::nn::ModuleT;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/models/mobilenet_v2_imagenet")
}

fn spec(classes: usize, width: f64) -> ModelSpec {
    ModelSpec {
        arch: "mobilenetv2".into(),
        classes,
        in_channels: 3,
        input_size: 224,
        width,
        dropout: 0.2,
        ca_reduction: 16,
        frozen_bn: true,
    }
}

#[test]
fn imagenet_weights_classify_the_cat() {
    let spec = spec(1001, 1.0);
    let vs = tch::nn::VarStore::new(tch::Device::Cpu);
    let net = model::build(&vs.root(), &spec).unwrap();
    let loaded = pretrained::load_mobilenetv2(&vs, &spec, &dir().join("mobilenet_v2_1.0_224_quant.tflite")).unwrap();
    assert_eq!(loaded, pretrained::Loaded { convs: 52, classifier: true });

    let pre =
        PreprocessSpec { mean: vec![0.5; 3], std: vec![0.5; 3], ..PreprocessSpec::unit(224, 224, ColorMode::Rgb) };
    let img = shared::image_io::decode_file(&dir().join("cat.bmp")).unwrap();
    let x = Preprocessor::new(pre).unwrap().image(&img).unwrap();
    let x = tch::Tensor::from_slice(&x).reshape([1, 3, 224, 224]);
    let logits = tch::no_grad(|| net.forward_t(&x, false));
    let top = logits.argmax(-1, false).int64_value(&[0]) as usize;
    let labels = std::fs::read_to_string(dir().join("imagenet_labels.txt")).unwrap();
    let label = labels.lines().nth(top).unwrap();
    assert_eq!(label, "Egyptian cat", "top-1 {top}");
}

#[test]
fn imagenet_weights_refuse_a_narrower_network() {
    let spec = spec(29, 0.5);
    let vs = tch::nn::VarStore::new(tch::Device::Cpu);
    model::build(&vs.root(), &spec).unwrap();
    let err = pretrained::load_mobilenetv2(&vs, &spec, &dir().join("mobilenet_v2_1.0_224_quant.tflite")).unwrap_err();
    assert!(format!("{err:#}").contains("width 0.5"), "{err:#}");
}

#[test]
fn a_file_that_is_not_tflite_is_named_in_the_error() {
    let path = dir().join("imagenet_labels.txt");
    let err = format!("{:#}", tflite::Model::load(&path).unwrap_err());
    assert!(err.contains("imagenet_labels.txt") && err.contains("TFL3"), "{err}");
}
