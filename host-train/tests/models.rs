//! The model registry: parameter counts against the reference implementations, and
//! output shapes for every architecture at several input sizes.

use host_train::model::{self, ModelSpec, REGISTRY};
use tch::{nn, Device, Kind, Tensor};

fn spec(arch: &str, classes: usize, width: f64, size: i64, channels: i64) -> ModelSpec {
    ModelSpec { arch: arch.into(), classes, in_channels: channels, input_size: size, width, dropout: 0.2, ca_reduction: 16, frozen_bn: false }
}

fn params(s: &ModelSpec) -> u64 {
    let vs = nn::VarStore::new(Device::Cpu);
    model::build(&vs.root(), s).unwrap();
    model::parameter_count(&vs)
}

#[test]
fn mobilenetv2_matches_torchvision_parameter_counts() {
    // torchvision.models.mobilenet_v2(width_mult=w, num_classes=k), counted with
    // sum(p.numel() for p in m.parameters()) in torch 2.11 / torchvision 0.26.
    assert_eq!(params(&spec("mobilenetv2", 1000, 1.0, 224, 3)), 3_504_872);
    assert_eq!(params(&spec("mobilenetv2", 29, 1.0, 224, 3)), 2_261_021);
    assert_eq!(params(&spec("mobilenetv2", 29, 0.5, 128, 3)), 724_829);
    assert_eq!(params(&spec("mobilenetv2", 29, 0.35, 96, 3)), 433_277);
}

#[test]
fn mlp_matches_seed_003() {
    // 784 -> 128 -> 1: 784*128 + 128 + 128 + 1 = 100,609.
    assert_eq!(params(&spec("mlp", 2, 1.0, 28, 1)), 100_609);
    // With ten classes the output layer has ten units.
    assert_eq!(params(&spec("mlp", 10, 1.0, 28, 1)), 784 * 128 + 128 + 128 * 10 + 10);
}

#[test]
fn every_architecture_maps_inputs_to_outputs() {
    tch::manual_seed(0);
    for entry in REGISTRY {
        for (size, channels) in [(32, 3), (64, 1), (96, 3)] {
            let classes = 29;
            let s = spec(entry.name, classes, 0.5, size, channels);
            let vs = nn::VarStore::new(Device::Cpu);
            let net = model::build(&vs.root(), &s).unwrap();
            let x = Tensor::randn([2, channels, size, size], (Kind::Float, Device::Cpu));
            let y = net.forward_t(&x, false);
            assert_eq!(y.size(), vec![2, classes as i64], "{} at {size}px x{channels}", entry.name);
            assert!(bool::try_from(y.isfinite().all()).unwrap(), "{} produced non-finite logits", entry.name);
        }
    }
    let binary = spec("mlp", 2, 1.0, 28, 1);
    let vs = nn::VarStore::new(Device::Cpu);
    let net = model::build(&vs.root(), &binary).unwrap();
    assert_eq!(net.forward_t(&Tensor::zeros([3, 1, 28, 28], (Kind::Float, Device::Cpu)), false).size(), vec![3, 1]);
}

#[test]
fn attention_adds_parameters_and_bad_specs_fail() {
    assert!(params(&spec("mobilenetv2-ca", 29, 1.0, 96, 3)) > params(&spec("mobilenetv2", 29, 1.0, 96, 3)));
    let vs = nn::VarStore::new(Device::Cpu);
    let err = model::build(&vs.root(), &spec("resnet1000", 10, 1.0, 64, 3)).err().unwrap().to_string();
    assert!(err.contains("unknown architecture 'resnet1000'") && err.contains("mobilenetv2"), "{err}");
    assert!(model::build(&vs.root(), &spec("mlp", 1, 1.0, 28, 1)).is_err());
    assert!(model::build(&vs.root(), &spec("custom-cnn", 10, 1.0, 8, 1)).is_err());
}
