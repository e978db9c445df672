//! The landmark classifier: [`shared::features`]' numbers through two hidden ReLU layers
//! with dropout to one logit per class, as an ensemble of such networks whose logits are
//! averaged. Small on purpose: a frame costs the hand models plus about 56 thousand
//! multiply-adds a member.

use tch::nn;

use super::Layers;

/// Hidden layer widths.
pub const HIDDEN: [i64; 2] = [256, 128];

/// Names of the linear layers, input to output (the variable prefixes export reads).
pub const LINEAR: [&str; 3] = ["fc1", "fc2", "out"];

/// Variable prefix of ensemble member `k` (`m0`, `m1`, ...): its layers are
/// `m0.fc1`, `m0.fc2`, `m0.out`.
pub fn member(k: usize) -> String {
    format!("m{k}")
}

/// Builds one member's network for `features` inputs (a `[N, 1, 1, features]` or `[N, features]`
/// tensor) and `classes` outputs.
pub fn build(vs: &nn::Path, features: i64, classes: i64, dropout: f64) -> Layers {
    let dims = [features, HIDDEN[0], HIDDEN[1], classes];
    let mut net = Layers::new().push_fn("flatten", |x| x.flatten(1, -1));
    for (i, name) in LINEAR.iter().enumerate() {
        net = net.push(name, name, nn::linear(vs / *name, dims[i], dims[i + 1], Default::default()));
        if i + 1 < LINEAR.len() {
            net = net.push_fn(&format!("relu{}", i + 1), |x| x.relu()).push_fn_t(&format!("dropout{}", i + 1), move |x, train| x.dropout(dropout, train));
        }
    }
    net
}
