//! The model registry: parameter counts against the reference implementations, and
//! output shapes for every architecture at several input sizes.

use host_train::model::{self, ModelSpec, REGISTRY};
use tch::nn::ModuleT;
use tch::{Device, Kind, Tensor, nn};

fn spec(arch: &str, classes: usize, width: f64, size: i64, channels: i64) -> ModelSpec {
    ModelSpec {
        arch: arch.into(),
        classes,
        in_channels: channels,
        input_size: size,
        width,
        dropout: 0.2,
        ca_reduction: 16,
        frozen_bn: false,
    }
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
fn resnet18_matches_torchvision_and_seed_002() {
    // torchvision.models.resnet18(num_classes=k): 11,689,512 for 1000 classes; the body
    // without avgpool/fc is 11,176,512 (seed 000, Table 1, first row).
    assert_eq!(params(&spec("resnet18", 1000, 1.0, 224, 3)), 11_689_512);
    assert_eq!(params(&spec("resnet18", 29, 1.0, 224, 3)), 11_176_512 + 512 * 29 + 29);
    // Channel attention (1x1 convs with bias, reduction 16) after layer1..layer4:
    // c*(c/16) + c/16 + (c/16)*c + c for c = 64, 128, 256, 512.
    let ca: u64 = [64u64, 128, 256, 512].iter().map(|c| 2 * c * (c / 16) + c / 16 + c).sum();
    assert_eq!(ca, 44_540);
    assert_eq!(params(&spec("resnet18-ca", 29, 1.0, 224, 3)), params(&spec("resnet18", 29, 1.0, 224, 3)) + ca);
    // A gray input only changes the first convolution: 7*7*(3-1)*64 fewer weights.
    assert_eq!(params(&spec("resnet18", 29, 1.0, 64, 1)), params(&spec("resnet18", 29, 1.0, 64, 3)) - 7 * 7 * 2 * 64);
}

#[test]
fn attention_lstm_matches_seed_000_table_1_layer_by_layer() {
    let s = spec("attention-lstm", 29, 1.0, 224, 3);
    assert_eq!(params(&s), 22_606_430);
    let vs = nn::VarStore::new(Device::Cpu);
    let net = model::build(&vs.root(), &s).unwrap();
    let rows = net.summary(&vs, 3, 224);
    let find =
        |name: &str| rows.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no layer {name} in {rows:?}"));
    // (layer, output shape, parameters) as Table 1 lists them.
    for (name, shape, p) in [
        ("feature_extractor", vec![1, 512, 7, 7], 11_176_512),
        ("lstm", vec![1, 49, 1024], 10_502_144),
        ("attention", vec![1, 1024], 262_657),
        ("classifier.0", vec![1, 512], 524_800),
        ("classifier.2", vec![1, 512], 1_024),
        ("classifier.4", vec![1, 256], 131_328),
        ("classifier.6", vec![1, 256], 512),
        ("classifier.8", vec![1, 29], 7_453),
    ] {
        let r = find(name);
        assert_eq!((&r.shape, r.params), (&shape, p), "{name}");
    }
    assert_eq!(rows.iter().map(|r| r.params).sum::<u64>(), 22_606_430);
    // The sequence length follows the input: 4x4 = 16 positions at 128 px.
    let rows = net.summary(&vs, 3, 128);
    assert_eq!(rows.iter().find(|r| r.name == "lstm").unwrap().shape, vec![1, 16, 1024]);
}

#[test]
fn seed_004_models_match_its_parameter_counts() {
    // LeNet-5 at 28x28x1, 10 classes: 156 + 2,416 + 48,120 + 10,164 + 850 ("61.7K").
    assert_eq!(params(&spec("lenet5", 10, 1.0, 28, 1)), 61_706);
    // AlexNet adapted to 28x28x1 ("58.3M"): conv 11,712 + 614,656 + 885,120 + 1,327,488
    // + 884,992, dense 37,752,832 + 16,781,312 + 40,970.
    assert_eq!(params(&spec("alexnet", 10, 1.0, 28, 1)), 58_299_082);
    // ResCo-Mini at 28x28x1, 10 classes: conv weights 600,352, batch-norm scale and shift
    // 2 x 928, dense 1,290.
    let resco = params(&spec("resco-mini", 10, 1.0, 28, 1));
    assert_eq!(resco, 603_498);
    // Keras (the seed's framework) also counts a bias per conv channel (928) and the
    // batch norms' moving mean and variance (2 x 928): 606,282, the seed's "606K".
    let keras = resco + 928 + 2 * 928;
    assert_eq!(keras, 606_282);
    assert_eq!((keras as f64 / 1000.0).round(), 606.0);
}

#[test]
fn every_architecture_maps_inputs_to_outputs() {
    tch::manual_seed(0);
    for entry in REGISTRY {
        let width = if entry.scalable { 0.5 } else { 1.0 };
        // The adapted AlexNet's first dense layer grows with the input's area (236M
        // weights at 64 px): keep it at the sizes it is for.
        let sizes: &[(i64, i64)] =
            if entry.name == "alexnet" { &[(28, 1), (32, 3)] } else { &[(32, 3), (64, 1), (96, 3)] };
        for &(size, channels) in sizes {
            let classes = 29;
            let s = spec(entry.name, classes, width, size, channels);
            let vs = nn::VarStore::new(Device::Cpu);
            let net = model::build(&vs.root(), &s).unwrap();
            let x = Tensor::randn([2, channels, size, size], (Kind::Float, Device::Cpu));
            let y = net.forward_t(&x, false);
            assert_eq!(y.size(), vec![2, classes as i64], "{} at {size}px x{channels}", entry.name);
            assert!(bool::try_from(y.isfinite().all()).unwrap(), "{} produced non-finite logits", entry.name);
            // The summary's rows add up to the model's parameters and end at the output.
            let rows = net.summary(&vs, channels, size);
            assert_eq!(rows.iter().map(|r| r.params).sum::<u64>(), model::parameter_count(&vs), "{}", entry.name);
            assert_eq!(rows.last().unwrap().shape, vec![1, classes as i64], "{}", entry.name);
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
    assert!(model::build(&vs.root(), &spec("lenet5", 10, 1.0, 10, 1)).is_err());
    // The seeds' architectures have fixed widths: a width multiplier is refused, not ignored.
    let err = model::build(&vs.root(), &spec("resnet18", 10, 0.5, 64, 3)).err().unwrap().to_string();
    assert!(err.contains("resnet18") && err.contains("--width must be 1.0"), "{err}");
}

#[test]
fn readme_summary_example_matches_seed_000() {
    // The README's example line, run as written (with this build's binary).
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let line = readme
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("target/release/host-train summary"))
        .expect("README has a host-train summary example");
    let args: Vec<&str> = line.split_whitespace().skip(1).collect();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_host-train")).args(&args).output().unwrap();
    assert!(out.status.success(), "{line}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().last(), Some("total params: 22606430"), "{text}");
    // One row per layer of Table 1, with its output shape.
    for row in ["feature_extractor", "[1, 49, 1024]", "10,502,144", "classifier.8", "7,453"] {
        assert!(text.contains(row), "{row} missing from:\n{text}");
    }
    // A wrong architecture is named in the error.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_host-train"))
        .args(["summary", "--arch", "resnet19", "--classes", "3"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown architecture 'resnet19'"));
}
