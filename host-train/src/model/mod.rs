//! The model registry: every architecture `host-train` can train, by its command-line
//! name, built in `tch::nn` from a [`ModelSpec`].
//!
//! An architecture joins by a row in [`REGISTRY`] and its graph in `export::emit`.

mod alexnet;
mod attention;
pub(crate) mod attention_lstm;
mod custom_cnn;
pub mod landmark_mlp;
mod layers;
pub(crate) mod lenet5;
mod mlp;
pub(crate) mod mobilenetv2;
pub mod pretrained;
pub(crate) mod resco_mini;
pub(crate) mod resnet;
pub mod tflite;

pub use attention::ChannelAttention;
pub use layers::{Layers, SummaryRow, summary_table};

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use shared::card::OutputKind;
use tch::nn;

/// What to build: the architecture and its hyper-parameters.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Registry name, e.g. `mobilenetv2`.
    pub arch: String,
    /// Number of classes.
    pub classes: usize,
    /// Input channels (3 for RGB, 1 for gray).
    pub in_channels: i64,
    /// Input side in pixels (square inputs).
    pub input_size: i64,
    /// Width multiplier (MobileNetV2; CustomCNN scales its channels by it too).
    pub width: f64,
    /// Dropout before the classifier.
    pub dropout: f64,
    /// Channel-attention reduction ratio.
    pub ca_reduction: i64,
    /// Batch norms keep their running statistics while training (MobileNetV2;
    /// fine-tuning pretrained weights).
    #[serde(default)]
    pub frozen_bn: bool,
}

impl ModelSpec {
    /// What the model's output holds: one logit for two-class MLPs (binary
    /// cross-entropy, as seed 003), one logit per class otherwise.
    pub fn output_kind(&self) -> OutputKind {
        if self.arch == "mlp" && self.classes == 2 { OutputKind::BinaryLogit } else { OutputKind::Logits }
    }

    /// Number of output values.
    pub fn outputs(&self) -> i64 {
        match self.output_kind() {
            OutputKind::BinaryLogit => 1,
            _ => self.classes as i64,
        }
    }
}

/// A trainable network: `forward_t(x, train)` maps `[N, C, S, S]` to `[N, outputs]`;
/// its named layers give `host-train summary` its table.
pub type Net = Layers;

/// One registry entry.
pub struct Entry {
    /// Command-line name.
    pub name: &'static str,
    /// What it is and where it comes from.
    pub about: &'static str,
    /// Whether `width` scales its channels (the seeds' fixed architectures do not).
    pub scalable: bool,
    build: fn(&nn::Path, &ModelSpec) -> Result<Net>,
}

/// Every architecture, by name.
pub const REGISTRY: &[Entry] = &[
    Entry {
        name: "mobilenetv2",
        about: "MobileNetV2 with a width multiplier (Sandler et al. 2018)",
        scalable: true,
        build: mobilenetv2::plain,
    },
    Entry {
        name: "mobilenetv2-ca",
        about: "MobileNetV2 with channel attention after each stage (seed 002 §4.3.1, §4.3.3)",
        scalable: true,
        build: mobilenetv2::with_attention,
    },
    Entry {
        name: "custom-cnn",
        about: "four conv-BN-ReLU-attention-pool blocks and a dropout MLP head (seed 002 §4.3.2)",
        scalable: true,
        build: custom_cnn::build,
    },
    Entry {
        name: "resnet18",
        about: "ResNet18, torchvision layout (He et al. 2016; seed 002 §2.2.2)",
        scalable: false,
        build: resnet::plain,
    },
    Entry {
        name: "resnet18-ca",
        about: "ResNet18 with channel attention after each residual layer (seed 002 §4.3.4)",
        scalable: false,
        build: resnet::with_attention,
    },
    Entry {
        name: "attention-lstm",
        about: "ResNet18 features -> 2-layer BiLSTM -> tanh attention -> MLP head (seed 000)",
        scalable: false,
        build: attention_lstm::build,
    },
    Entry {
        name: "resco-mini",
        about: "residual compact CNN, 4 basic blocks and global pooling (seed 004)",
        scalable: false,
        build: resco_mini::build,
    },
    Entry {
        name: "lenet5",
        about: "LeNet-5 with tanh and average pooling (LeCun et al. 1998; seed 004)",
        scalable: false,
        build: lenet5::build,
    },
    Entry {
        name: "alexnet",
        about: "AlexNet adapted to 28x28 inputs, 58.3M parameters (Krizhevsky et al. 2012; seed 004)",
        scalable: false,
        build: alexnet::build,
    },
    Entry {
        name: "mlp",
        about: "one hidden layer of 128 sigmoid units (seed 003)",
        scalable: false,
        build: mlp::build,
    },
];

/// Builds the network `spec` names under `vs`.
pub fn build(vs: &nn::Path, spec: &ModelSpec) -> Result<Net> {
    if spec.classes < 2 {
        bail!("a classifier needs at least 2 classes, got {}", spec.classes);
    }
    if spec.input_size < 8 || spec.width.is_nan() || spec.width <= 0.0 || !(0.0..1.0).contains(&spec.dropout) {
        bail!(
            "invalid model spec: input size {} (>= 8), width {} (> 0), dropout {} (0..1)",
            spec.input_size,
            spec.width,
            spec.dropout
        );
    }
    match REGISTRY.iter().find(|e| e.name == spec.arch) {
        Some(e) if !e.scalable && spec.width != 1.0 => {
            bail!("{} has fixed layer widths (its seed's); --width must be 1.0, got {}", e.name, spec.width)
        }
        Some(e) => (e.build)(vs, spec),
        None => {
            let names: Vec<_> = REGISTRY.iter().map(|e| e.name).collect();
            bail!("unknown architecture '{}' (known: {})", spec.arch, names.join(", "))
        }
    }
}

/// Batch-norm epsilon of `tch::nn::batch_norm2d`'s default config, which every
/// architecture here uses: export folds with it, weight transfer unfolds with it.
pub const BN_EPS: f64 = 1e-5;

/// Number of trainable parameters in a variable store.
pub fn parameter_count(vs: &nn::VarStore) -> u64 {
    vs.trainable_variables().iter().map(|t| t.numel() as u64).sum()
}

/// Rounds `v` to a multiple of `divisor`, never more than 10% below `v` (the
/// `_make_divisible` rule of the MobileNet reference code).
pub fn make_divisible(v: f64, divisor: i64) -> i64 {
    let d = divisor as f64;
    let mut new = ((v + d / 2.0) / d).floor() as i64 * divisor;
    new = new.max(divisor);
    if (new as f64) < 0.9 * v {
        new += divisor;
    }
    new
}
