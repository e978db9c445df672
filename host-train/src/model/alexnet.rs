//! AlexNet (Krizhevsky et al. 2012) as seed 004 adapts it to 28x28 digits.
//!
//! The seed states 58.3M parameters, ReLU, max pooling and no batch norm. At 28x28x1 and
//! 10 classes that count is met only by AlexNet's own layers ending in 256x6x6 = 9,216
//! features into the 4096-4096 dense layers (58,299,082 parameters). The adaptation here
//! reaches 6x6 from 28x28 as follows: the 11x11 first convolution has stride 1 and 'same'
//! padding (28x28), then 3x3/2 max pooling (13x13), the 5x5 convolution, 3x3/2 max
//! pooling (6x6), the three 3x3 convolutions, and no third pooling. Dropout before each
//! of the first two dense layers, as in the original.

use anyhow::{Result, bail};
use tch::nn;

use super::{Layers, ModelSpec, Net};

/// Output side of a 3x3/2 max pooling without padding.
fn pooled(side: i64) -> i64 {
    (side - 3) / 2 + 1
}

/// Side of the last feature map for an input of `size` pixels.
pub(crate) fn final_side(size: i64) -> i64 {
    pooled(pooled(size))
}

/// Builds the adapted AlexNet.
pub fn build(vs: &nn::Path, spec: &ModelSpec) -> Result<Net> {
    if spec.input_size < 7 {
        bail!("alexnet needs inputs of at least 7 px (two 3x3/2 max poolings), got {}", spec.input_size);
    }
    let side = final_side(spec.input_size);
    let conv = |name: &str, cin: i64, cout: i64, k: i64| {
        nn::conv2d(vs / name, cin, cout, k, nn::ConvConfig { padding: (k - 1) / 2, ..Default::default() })
    };
    let dropout = spec.dropout;
    Ok(Layers::new()
        .push("conv1", "conv1", conv("conv1", spec.in_channels, 96, 11))
        .push_fn("relu1", |x| x.relu())
        .push_fn("pool1", |x| x.max_pool2d([3, 3], [2, 2], [0, 0], [1, 1], false))
        .push("conv2", "conv2", conv("conv2", 96, 256, 5))
        .push_fn("relu2", |x| x.relu())
        .push_fn("pool2", |x| x.max_pool2d([3, 3], [2, 2], [0, 0], [1, 1], false))
        .push("conv3", "conv3", conv("conv3", 256, 384, 3))
        .push_fn("relu3", |x| x.relu())
        .push("conv4", "conv4", conv("conv4", 384, 384, 3))
        .push_fn("relu4", |x| x.relu())
        .push("conv5", "conv5", conv("conv5", 384, 256, 3))
        .push_fn("relu5", |x| x.relu())
        .push_fn("flatten", |x| x.flatten(1, -1))
        .push_fn_t("dropout6", move |x, train| x.dropout(dropout, train))
        .push("fc6", "fc6", nn::linear(vs / "fc6", 256 * side * side, 4096, Default::default()))
        .push_fn("relu6", |x| x.relu())
        .push_fn_t("dropout7", move |x, train| x.dropout(dropout, train))
        .push("fc7", "fc7", nn::linear(vs / "fc7", 4096, 4096, Default::default()))
        .push_fn("relu7", |x| x.relu())
        .push("fc8", "fc8", nn::linear(vs / "fc8", 4096, spec.outputs(), Default::default())))
}
