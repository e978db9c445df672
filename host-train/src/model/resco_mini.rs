//! ResCo-Mini of seed 004: a 3x3 conv-BN-ReLU stem of 32 channels, four residual blocks
//! (32, 64/2, 128/2, 128), global average pooling, dropout and a linear classifier.
//!
//! Adaptation to PyTorch conventions: convolutions followed by batch norm carry no bias,
//! and batch-norm running statistics are buffers, not parameters; Keras, which the seed
//! used, counts both. The seed's L2 penalty (1e-4 on convolutions) is the optimizer's
//! weight decay here.

use anyhow::Result;
use tch::nn;

use super::resnet::BasicBlock;
use super::{Layers, ModelSpec, Net};

/// Stem channels.
pub(crate) const STEM: i64 = 32;
/// Output channels and stride of the four residual blocks (seed 004's diagram).
pub(crate) const BLOCKS: [(i64, i64); 4] = [(32, 1), (64, 2), (128, 2), (128, 1)];

/// Builds ResCo-Mini.
pub fn build(vs: &nn::Path, spec: &ModelSpec) -> Result<Net> {
    let cfg = nn::ConvConfig { padding: 1, bias: false, ..Default::default() };
    let stem = nn::seq_t()
        .add(nn::conv2d(vs / "stem" / "conv", spec.in_channels, STEM, 3, cfg))
        .add(nn::batch_norm2d(vs / "stem" / "bn", STEM, Default::default()))
        .add_fn(|x| x.relu());
    let mut net = Layers::new().push("stem", "stem", stem);
    let mut cin = STEM;
    for (i, (cout, stride)) in BLOCKS.into_iter().enumerate() {
        let name = format!("block{}", i + 1);
        net = net.push(&name, &name, BasicBlock::new(&(vs / name.as_str()), cin, cout, stride));
        cin = cout;
    }
    let dropout = spec.dropout;
    Ok(net
        .push_fn("avgpool", |x| x.adaptive_avg_pool2d([1, 1]).flatten(1, -1))
        .push_fn_t("dropout", move |x, train| x.dropout(dropout, train))
        .push("fc", "fc", nn::linear(vs / "fc", cin, spec.outputs(), Default::default())))
}
