//! MobileNetV2 with a width multiplier (the torchvision layout, so ImageNet weights map
//! onto it), optionally with channel attention after each stage.

use anyhow::Result;
use tch::Tensor;
use tch::nn::{self, ModuleT};

use super::{ChannelAttention, Layers, ModelSpec, Net, make_divisible};

/// Expansion t, output channels c, repeats n, first stride s (Sandler et al., Table 2).
pub(crate) const STAGES: [(i64, i64, i64, i64); 7] =
    [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];

/// Batch norm that, when `frozen`, always normalizes with its running statistics (its
/// scale and shift still learn): fine-tuning pretrained weights whose statistics were
/// folded away keeps the network the pretrained one at the start.
#[derive(Debug)]
struct BatchNorm {
    inner: nn::BatchNorm,
    frozen: bool,
}

impl ModuleT for BatchNorm {
    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        self.inner.forward_t(x, train && !self.frozen)
    }
}

fn batch_norm(vs: nn::Path, c: i64, frozen: bool) -> BatchNorm {
    BatchNorm { inner: nn::batch_norm2d(vs, c, Default::default()), frozen }
}

#[allow(clippy::too_many_arguments)]
fn conv_bn(
    vs: &nn::Path,
    cin: i64,
    cout: i64,
    k: i64,
    stride: i64,
    groups: i64,
    relu6: bool,
    frozen: bool,
) -> nn::SequentialT {
    let cfg = nn::ConvConfig { stride, padding: (k - 1) / 2, groups, bias: false, ..Default::default() };
    let s = nn::seq_t().add(nn::conv2d(vs / "0", cin, cout, k, cfg)).add(batch_norm(vs / "1", cout, frozen));
    if relu6 { s.add_fn(|x| x.relu6()) } else { s }
}

/// An inverted residual block: expand 1x1, depthwise 3x3, project 1x1 (linear).
#[derive(Debug)]
struct InvertedResidual {
    body: nn::SequentialT,
    residual: bool,
}

impl InvertedResidual {
    fn new(vs: &nn::Path, cin: i64, cout: i64, stride: i64, expand: i64, frozen: bool) -> Self {
        let hidden = cin * expand;
        let conv = vs / "conv";
        let mut body = nn::seq_t();
        let mut i = 0;
        if expand != 1 {
            body = body.add(conv_bn(&(&conv / i), cin, hidden, 1, 1, 1, true, frozen));
            i += 1;
        }
        body = body.add(conv_bn(&(&conv / i), hidden, hidden, 3, stride, hidden, true, frozen));
        let cfg = nn::ConvConfig { bias: false, ..Default::default() };
        body =
            body.add(nn::conv2d(&conv / (i + 1), hidden, cout, 1, cfg)).add(batch_norm(&conv / (i + 2), cout, frozen));
        Self { body, residual: stride == 1 && cin == cout }
    }
}

impl ModuleT for InvertedResidual {
    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let y = self.body.forward_t(x, train);
        if self.residual { x + y } else { y }
    }
}

fn build(vs: &nn::Path, spec: &ModelSpec, attention: bool) -> Result<Net> {
    let features = vs / "features";
    let mut cin = make_divisible(32.0 * spec.width, 8);
    let last = make_divisible(1280.0 * spec.width.max(1.0), 8);
    let frozen = spec.frozen_bn;
    let mut net = Layers::new().push(
        "features.0",
        "features.0",
        conv_bn(&(&features / 0), spec.in_channels, cin, 3, 2, 1, true, frozen),
    );
    let mut index = 1;
    for (stage, (t, c, n, s)) in STAGES.into_iter().enumerate() {
        let cout = make_divisible(c as f64 * spec.width, 8);
        for i in 0..n {
            let name = format!("features.{index}");
            net = net.push(
                &name,
                &name,
                InvertedResidual::new(&(&features / index), cin, cout, if i == 0 { s } else { 1 }, t, frozen),
            );
            cin = cout;
            index += 1;
        }
        if attention && stage > 0 {
            let name = format!("attention.{stage}");
            net = net.push(&name, &name, ChannelAttention::new(&(vs / "attention" / stage), cout, spec.ca_reduction));
        }
    }
    let name = format!("features.{index}");
    net = net.push(&name, &name, conv_bn(&(&features / index), cin, last, 1, 1, 1, true, frozen));
    let dropout = spec.dropout;
    let classifier = nn::linear(vs / "classifier" / 1, last, spec.outputs(), Default::default());
    Ok(net
        .push_fn("avgpool", |x| x.adaptive_avg_pool2d([1, 1]).flatten(1, -1))
        .push_fn_t("dropout", move |x, train| x.dropout(dropout, train))
        .push("classifier", "classifier", classifier))
}

/// Plain MobileNetV2.
pub fn plain(vs: &nn::Path, spec: &ModelSpec) -> Result<Net> {
    build(vs, spec, false)
}

/// MobileNetV2 with channel attention after stages 2..7 (24, 32, 64, 96, 160 and 320
/// channels at width 1.0): the stages where the channel count changes.
pub fn with_attention(vs: &nn::Path, spec: &ModelSpec) -> Result<Net> {
    build(vs, spec, true)
}

/// The variable-name prefixes of every convolution and its batch norm, in execution
/// order (stem, each block's expand/depthwise/project, the last 1x1): the order in
/// which TFLite's MobileNetV2 lists its convolutions.
pub(crate) fn conv_layers() -> Vec<(String, String)> {
    let mut layers = vec![("features.0.0".to_string(), "features.0.1".to_string())];
    let mut index = 1;
    for (t, _, n, _) in STAGES {
        for _ in 0..n {
            let p = format!("features.{index}.conv");
            let j = if t != 1 {
                layers.push((format!("{p}.0.0"), format!("{p}.0.1")));
                1
            } else {
                0
            };
            layers.push((format!("{p}.{j}.0"), format!("{p}.{j}.1")));
            layers.push((format!("{p}.{}", j + 1), format!("{p}.{}", j + 2)));
            index += 1;
        }
    }
    layers.push((format!("features.{index}.0"), format!("features.{index}.1")));
    layers
}
