//! The multilayer perceptron of seed 003: the flattened image, one hidden layer of 128
//! sigmoid units, and a linear output (one logit for two classes, trained with binary
//! cross-entropy; one per class otherwise).

use anyhow::Result;
use tch::nn;

use super::{Layers, ModelSpec, Net};

/// Hidden units (seed 003).
pub const HIDDEN: i64 = 128;

/// Builds the MLP.
pub fn build(vs: &nn::Path, spec: &ModelSpec) -> Result<Net> {
    let inputs = spec.in_channels * spec.input_size * spec.input_size;
    Ok(Layers::new()
        .push_fn("flatten", |x| x.flatten(1, -1))
        .push("hidden", "hidden", nn::linear(vs / "hidden", inputs, HIDDEN, Default::default()))
        .push_fn("sigmoid", |x| x.sigmoid())
        .push("output", "output", nn::linear(vs / "output", HIDDEN, spec.outputs(), Default::default())))
}
