//! LeNet-5 as seed 004 trains it on 28x28 digits: a 5x5 'same' convolution of 6 tanh
//! units, 2x2 average pooling, a 5x5 'valid' convolution of 16 tanh units, 2x2 average
//! pooling, and dense layers of 120 and 84 tanh units (61,706 parameters at 28x28x1 and
//! 10 classes: the seed's "61.7K").

use anyhow::{Result, bail};
use tch::nn;

use super::{Layers, ModelSpec, Net};

/// Side of the last feature map for an input of `size` pixels.
pub(crate) fn final_side(size: i64) -> i64 {
    (size / 2 - 4) / 2
}

/// Builds LeNet-5.
pub fn build(vs: &nn::Path, spec: &ModelSpec) -> Result<Net> {
    let side = final_side(spec.input_size);
    if spec.input_size / 2 - 4 < 2 {
        bail!(
            "lenet5 needs inputs of at least 12 px (two 2x poolings around a 5x5 valid convolution), got {}",
            spec.input_size
        );
    }
    // Not `avg_pool2d_default`: tch passes a divisor override of 1 there, which sums.
    let same = nn::ConvConfig { padding: 2, ..Default::default() };
    Ok(Layers::new()
        .push("conv1", "conv1", nn::conv2d(vs / "conv1", spec.in_channels, 6, 5, same))
        .push_fn("tanh1", |x| x.tanh())
        .push_fn("pool1", |x| x.avg_pool2d([2, 2], [2, 2], [0, 0], false, true, None))
        .push("conv2", "conv2", nn::conv2d(vs / "conv2", 6, 16, 5, Default::default()))
        .push_fn("tanh2", |x| x.tanh())
        .push_fn("pool2", |x| x.avg_pool2d([2, 2], [2, 2], [0, 0], false, true, None))
        .push_fn("flatten", |x| x.flatten(1, -1))
        .push("fc1", "fc1", nn::linear(vs / "fc1", 16 * side * side, 120, Default::default()))
        .push_fn("tanh3", |x| x.tanh())
        .push("fc2", "fc2", nn::linear(vs / "fc2", 120, 84, Default::default()))
        .push_fn("tanh4", |x| x.tanh())
        .push("fc3", "fc3", nn::linear(vs / "fc3", 84, spec.outputs(), Default::default())))
}
