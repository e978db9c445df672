//! The ArSL Attention-LSTM of seed 000: ResNet18 without its average pooling and
//! classifier gives `[N, 512, h, w]`, read as a sequence of `h*w` vectors of 512; a
//! 2-layer bidirectional LSTM (hidden 512, dropout 0.5 between layers) runs over it; a
//! tanh attention (1024 -> 256 -> 1, softmax over the sequence) pools its outputs into
//! one 1024-vector; and a head 1024 -> 512 -> 256 -> classes with ReLU, batch norm and
//! dropout classifies it. 22,606,430 parameters for 29 classes at any input size (seed
//! 000, Table 1).

use anyhow::Result;
use tch::nn::{self, ModuleT};
use tch::{Kind, Tensor};

use super::{Layers, ModelSpec, Net, resnet};

/// LSTM hidden units per direction.
pub(crate) const HIDDEN: i64 = 512;
/// Stacked LSTM layers.
pub(crate) const LSTM_LAYERS: i64 = 2;
/// Attention hidden units.
pub(crate) const ATTENTION: i64 = 256;
/// Feature width of the ResNet18 body.
pub(crate) const FEATURES: i64 = 512;

/// A stacked bidirectional LSTM over `[N, T, F]` (batch first) with PyTorch's variable
/// names and initialization, applying its inter-layer dropout only while training.
#[derive(Debug)]
struct BiLstm {
    weights: Vec<Tensor>,
    dropout: f64,
}

impl BiLstm {
    fn new(vs: &nn::Path, input: i64, dropout: f64) -> Self {
        let k = 1.0 / (HIDDEN as f64).sqrt();
        let init = nn::Init::Uniform { lo: -k, up: k };
        let mut weights = Vec::new();
        for layer in 0..LSTM_LAYERS {
            let cin = if layer == 0 { input } else { 2 * HIDDEN };
            for suffix in ["", "_reverse"] {
                weights.push(vs.var(&format!("weight_ih_l{layer}{suffix}"), &[4 * HIDDEN, cin], init));
                weights.push(vs.var(&format!("weight_hh_l{layer}{suffix}"), &[4 * HIDDEN, HIDDEN], init));
                weights.push(vs.var(&format!("bias_ih_l{layer}{suffix}"), &[4 * HIDDEN], init));
                weights.push(vs.var(&format!("bias_hh_l{layer}{suffix}"), &[4 * HIDDEN], init));
            }
        }
        Self { weights, dropout }
    }
}

impl ModuleT for BiLstm {
    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let zeros = Tensor::zeros([2 * LSTM_LAYERS, x.size()[0], HIDDEN], (x.kind(), x.device()));
        let (out, _, _) = x.lstm(
            &[&zeros, &zeros],
            &self.weights.iter().collect::<Vec<_>>(),
            true,
            LSTM_LAYERS,
            self.dropout,
            train,
            true,
            true,
        );
        out
    }
}

/// Tanh attention pooling: a score per position, softmax over positions, and the
/// weighted sum of the sequence.
#[derive(Debug)]
struct AttentionPool {
    score: nn::Linear,
    out: nn::Linear,
}

impl ModuleT for AttentionPool {
    fn forward_t(&self, x: &Tensor, _train: bool) -> Tensor {
        let w = x.apply(&self.score).tanh().apply(&self.out).softmax(1, Kind::Float);
        (x * w).sum_dim_intlist(1, false, Kind::Float)
    }
}

/// Builds the Attention-LSTM.
pub fn build(vs: &nn::Path, spec: &ModelSpec) -> Result<Net> {
    let dropout = spec.dropout;
    let features = resnet::body(&(vs / "feature_extractor"), spec.in_channels, None);
    let attention = AttentionPool {
        score: nn::linear(vs / "attention" / 0, 2 * HIDDEN, ATTENTION, Default::default()),
        out: nn::linear(vs / "attention" / 2, ATTENTION, 1, Default::default()),
    };
    let c = vs / "classifier";
    let bn = |i: i64, n: i64| nn::batch_norm1d(&c / i, n, Default::default());
    Ok(Layers::new()
        .push("feature_extractor", "feature_extractor", features)
        .push_fn("to_sequence", |x| x.flatten(2, -1).permute([0, 2, 1]))
        .push("lstm", "lstm", BiLstm::new(&(vs / "lstm"), FEATURES, dropout))
        .push("attention", "attention", attention)
        .push("classifier.0", "classifier.0", nn::linear(&c / 0, 2 * HIDDEN, 512, Default::default()))
        .push_fn("relu1", |x| x.relu())
        .push("classifier.2", "classifier.2", bn(2, 512))
        .push_fn_t("dropout1", move |x, train| x.dropout(dropout, train))
        .push("classifier.4", "classifier.4", nn::linear(&c / 4, 512, 256, Default::default()))
        .push_fn("relu2", |x| x.relu())
        .push("classifier.6", "classifier.6", bn(6, 256))
        .push_fn_t("dropout2", move |x, train| x.dropout(dropout, train))
        .push("classifier.8", "classifier.8", nn::linear(&c / 8, 256, spec.outputs(), Default::default())))
}
