//! ResNet18 (He et al. 2016, torchvision's layout and variable names), plain and with
//! the channel attention of seed 002 §4.3.4 after each of the four residual layers; its
//! basic block also builds ResCo-Mini, and its convolutional body the Attention-LSTM.

use anyhow::Result;
use tch::Tensor;
use tch::nn::{self, ModuleT};

use super::{ChannelAttention, Layers, ModelSpec, Net};

/// Output channels and first stride of ResNet18's four residual layers (two blocks each).
pub(crate) const LAYERS: [(i64, i64); 4] = [(64, 1), (128, 2), (256, 2), (512, 2)];

fn conv(vs: nn::Path, cin: i64, cout: i64, k: i64, stride: i64) -> nn::Conv2D {
    nn::conv2d(vs, cin, cout, k, nn::ConvConfig { stride, padding: (k - 1) / 2, bias: false, ..Default::default() })
}

fn bn(vs: nn::Path, c: i64) -> nn::BatchNorm {
    nn::batch_norm2d(vs, c, Default::default())
}

/// Two 3x3 conv-BN layers with an identity shortcut, or a 1x1 conv-BN projection
/// (`downsample`) when the stride or the channel count changes; ReLU after the sum.
#[derive(Debug)]
pub(crate) struct BasicBlock {
    conv1: nn::Conv2D,
    bn1: nn::BatchNorm,
    conv2: nn::Conv2D,
    bn2: nn::BatchNorm,
    downsample: Option<(nn::Conv2D, nn::BatchNorm)>,
}

impl BasicBlock {
    pub(crate) fn new(vs: &nn::Path, cin: i64, cout: i64, stride: i64) -> Self {
        let downsample = Self::projects(cin, cout, stride)
            .then(|| (conv(vs / "downsample" / 0, cin, cout, 1, stride), bn(vs / "downsample" / 1, cout)));
        Self {
            conv1: conv(vs / "conv1", cin, cout, 3, stride),
            bn1: bn(vs / "bn1", cout),
            conv2: conv(vs / "conv2", cout, cout, 3, 1),
            bn2: bn(vs / "bn2", cout),
            downsample,
        }
    }

    /// Whether the block has a projection shortcut.
    pub(crate) fn projects(cin: i64, cout: i64, stride: i64) -> bool {
        stride != 1 || cin != cout
    }
}

impl ModuleT for BasicBlock {
    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let y = x.apply(&self.conv1).apply_t(&self.bn1, train).relu().apply(&self.conv2).apply_t(&self.bn2, train);
        let shortcut = match &self.downsample {
            Some((c, b)) => x.apply(c).apply_t(b, train),
            None => x.shallow_clone(),
        };
        (y + shortcut).relu()
    }
}

/// The convolutional body: stem (7x7/2 conv, BN, ReLU, 3x3/2 max pool) and four residual
/// layers, with channel attention after each layer when `attention` (reduction
/// `reduction`). Output: `[N, 512, S/32, S/32]`.
pub(crate) fn body(vs: &nn::Path, in_channels: i64, attention: Option<i64>) -> Layers {
    let mut net = Layers::new()
        .push("conv1", &vs.path("conv1"), conv(vs / "conv1", in_channels, 64, 7, 2))
        .push("bn1", &vs.path("bn1"), bn(vs / "bn1", 64))
        .push_fn("relu", |x| x.relu())
        .push_fn("maxpool", |x| x.max_pool2d([3, 3], [2, 2], [1, 1], [1, 1], false));
    let mut cin = 64;
    for (i, (cout, stride)) in LAYERS.into_iter().enumerate() {
        let name = format!("layer{}", i + 1);
        let lp = vs / name.as_str();
        let layer = nn::seq_t().add(BasicBlock::new(&(&lp / 0), cin, cout, stride)).add(BasicBlock::new(
            &(&lp / 1),
            cout,
            cout,
            1,
        ));
        net = net.push(&name, &vs.path(&name), layer);
        if let Some(reduction) = attention {
            let name = format!("attention{}", i + 1);
            net = net.push(&name, &vs.path(&name), ChannelAttention::new(&(vs / name.as_str()), cout, reduction));
        }
        cin = cout;
    }
    net
}

fn build(vs: &nn::Path, spec: &ModelSpec, attention: bool) -> Result<Net> {
    let dropout = spec.dropout;
    Ok(body(vs, spec.in_channels, attention.then_some(spec.ca_reduction))
        .push_fn("avgpool", |x| x.adaptive_avg_pool2d([1, 1]).flatten(1, -1))
        .push_fn_t("dropout", move |x, train| x.dropout(dropout, train))
        .push("fc", &vs.path("fc"), nn::linear(vs / "fc", 512, spec.outputs(), Default::default())))
}

/// Plain ResNet18 (dropout before `fc`, which torchvision's has not; 0 keeps it plain).
pub fn plain(vs: &nn::Path, spec: &ModelSpec) -> Result<Net> {
    build(vs, spec, false)
}

/// ResNet18 with channel attention after `layer1`..`layer4` (seed 002 §4.3.4).
pub fn with_attention(vs: &nn::Path, spec: &ModelSpec) -> Result<Net> {
    build(vs, spec, true)
}
