//! CustomCNN of seed 002 §4.3.2: four blocks of 3x3 convolution, batch norm, ReLU,
//! channel attention and 2x2 max pooling, then a fully connected head with dropout.

use anyhow::{Result, bail};
use tch::nn;

use super::{ChannelAttention, Layers, ModelSpec, Net};

/// Channels of the four blocks at width 1.0.
const CHANNELS: [i64; 4] = [32, 64, 128, 256];
/// Hidden units of the head.
const HIDDEN: i64 = 512;

/// Builds CustomCNN; channels scale with the width multiplier.
pub fn build(vs: &nn::Path, spec: &ModelSpec) -> Result<Net> {
    if spec.input_size < 16 {
        bail!("custom-cnn needs inputs of at least 16 px (four 2x poolings), got {}", spec.input_size);
    }
    let mut net = Layers::new();
    let mut cin = spec.in_channels;
    for (i, c) in CHANNELS.iter().enumerate() {
        let cout = ((*c as f64 * spec.width).round() as i64).max(4);
        let name = format!("features.{i}");
        let block = vs / "features" / i;
        let cfg = nn::ConvConfig { padding: 1, bias: false, ..Default::default() };
        let seq = nn::seq_t()
            .add(nn::conv2d(&block / "conv", cin, cout, 3, cfg))
            .add(nn::batch_norm2d(&block / "bn", cout, Default::default()))
            .add_fn(|x| x.relu())
            .add(ChannelAttention::new(&(&block / "attention"), cout, spec.ca_reduction))
            .add_fn(|x| x.max_pool2d_default(2));
        net = net.push(&name, &name, seq);
        cin = cout;
    }
    let side = spec.input_size / 16;
    let flat = cin * side * side;
    let dropout = spec.dropout;
    Ok(net
        .push_fn("flatten", |x| x.flatten(1, -1))
        .push("head.fc1", "head.fc1", nn::linear(vs / "head" / "fc1", flat, HIDDEN, Default::default()))
        .push_fn("relu", |x| x.relu())
        .push_fn_t("dropout", move |x, train| x.dropout(dropout, train))
        .push("head.fc2", "head.fc2", nn::linear(vs / "head" / "fc2", HIDDEN, spec.outputs(), Default::default())))
}
