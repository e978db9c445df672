//! A channel-last PReLU for tract plans (feature `tract`): `max(x, 0) + k * max(-x, 0)`
//! with one `k` per channel (`k` is minus the slope), in one pass.
//!
//! MediaPipe's palm detector, converted from TFLite, spells each of its 26 PReLUs as a
//! `Relu` of the NCHW value plus, transposed to NHWC and back, `Neg`, `Relu` and a `Mul`
//! by the per-channel constant. tract cannot move those axes away (the two branches are
//! in different layouts), so each PReLU cost two axis moves of the whole feature map and
//! four element-wise passes: a fifth of the palm detector's time (`device profile --hands
//! palm`). [`rewrite`] puts this op in place of the pattern, between the axis moves that
//! [`crate::depthwise::rewrite`] and [`crate::pointwise::rewrite`] also use, so that
//! tract's decluttering cancels the moves between consecutive channel-last ops. It computes
//! exactly what the pattern computes, operation for operation.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::model::Rewriter;
use tract_onnx::tract_core::ops::binary::TypedBinOp;

use crate::depthwise::{channel_last_patch, konst_values, other_operand};

/// `max(x, 0) + k[c] * max(-x, 0)` on channel-last f32 data, `c` the last axis.
#[derive(Debug, Clone)]
pub struct ChannelLastPrelu {
    /// One factor per channel for the negative part.
    pub k: Vec<f32>,
}

impl PartialEq for ChannelLastPrelu {
    fn eq(&self, o: &Self) -> bool {
        self.k.iter().map(|x| x.to_bits()).eq(o.k.iter().map(|x| x.to_bits()))
    }
}

impl Eq for ChannelLastPrelu {}

impl ChannelLastPrelu {
    /// Applies the op in place to channel-last values (a whole number of pixels).
    pub fn compute(&self, x: &mut [f32]) {
        for pixel in x.chunks_exact_mut(self.k.len()) {
            for (v, &k) in pixel.iter_mut().zip(&self.k) {
                *v = v.max(0.0) + k * (-*v).max(0.0);
            }
        }
    }
}

impl Op for ChannelLastPrelu {
    fn name(&self) -> StaticName {
        "ChannelLastPrelu".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!("channels {}", self.k.len())])
    }

    op_as_typed_op!();
}

impl EvalOp for ChannelLastPrelu {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let mut x = args_1!(inputs).into_tensor();
        let mut view = x.try_as_plain_ram_mut()?;
        let values = view.as_slice_mut::<f32>()?;
        ensure!(values.len() % self.k.len() == 0, "PReLU input has {} values, not a whole number of {}-channel pixels", values.len(), self.k.len());
        self.compute(values);
        drop(view);
        Ok(tvec!(x.into_tvalue()))
    }
}

impl TypedOp for ChannelLastPrelu {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok(tvec!(inputs[0].without_value()))
    }

    as_op!();
}

/// Whether `node` is the two-input binary op named `kind` (`Add`, `Max`, `Mul`).
fn is_binary(node: &TypedNode, kind: &str) -> bool {
    node.op_as::<TypedBinOp>().is_some_and(|bin| bin.0.name() == kind) && node.inputs.len() == 2
}

/// `Max(x, 0)` node `id` (a ReLU): `x`.
fn relu_of(model: &TypedModel, id: usize) -> Option<OutletId> {
    let node = model.node(id);
    if !is_binary(node, "Max") {
        return None;
    }
    let zero = |o: OutletId| konst_values(model, o).is_some_and(|v| !v.is_empty() && v.iter().all(|&z| z == 0.0));
    match node.inputs[..] {
        [x, z] if zero(z) => Some(x),
        [z, x] if zero(z) => Some(x),
        _ => None,
    }
}

/// The single-input op `id` of type `O`: its op and input.
fn unary<O: Op>(model: &TypedModel, id: usize) -> Option<(&O, OutletId)> {
    let node = model.node(id);
    Some((node.op_as::<O>()?, *node.inputs.first()?))
}

/// Matches `Add(Max(x, 0), MoveAxis(3 -> 1)(Mul(Max(Neg(MoveAxis(1 -> 3)(x)), 0), k)))`
/// at the `Add` node (operands in either order) on rank-4 NCHW `x`; returns `x` and `k`.
fn pattern(model: &TypedModel, node: &TypedNode) -> Option<(OutletId, Vec<f32>)> {
    if !is_binary(node, "Add") {
        return None;
    }
    for (pos, neg) in [(node.inputs[0], node.inputs[1]), (node.inputs[1], node.inputs[0])] {
        let Some(x) = relu_of(model, pos.node) else { continue };
        let shape = model.outlet_fact(x).ok()?.shape.as_concrete()?.to_vec();
        if shape.len() != 4 || model.outlet_fact(x).ok()?.datum_type != f32::datum_type() {
            continue;
        }
        let channels = shape[1];
        let Some((AxisOp::Move(3, 1), mul)) = unary::<AxisOp>(model, neg.node).map(|(op, i)| (op.clone(), i)) else { continue };
        let mul_node = model.node(mul.node);
        let Some(relu) = mul_node.inputs.iter().find(|o| relu_of(model, o.node).is_some()).copied() else { continue };
        let Some(k_outlet) = other_operand(mul_node, relu).filter(|_| is_binary(mul_node, "Mul")) else { continue };
        let Some(k) = konst_values(model, k_outlet) else { continue };
        let k_shape = model.outlet_fact(k_outlet).ok()?.shape.as_concrete()?.to_vec();
        let per_channel = k.len() == channels && k_shape.last() == Some(&channels);
        let uniform = k.len() == 1;
        if !(per_channel || uniform) {
            continue;
        }
        let Some(negated) = relu_of(model, relu.node) else { continue };
        let Some((neg_op, moved)) = unary::<tract_onnx::tract_core::ops::element_wise::ElementWiseOp>(model, negated.node) else { continue };
        if neg_op.0.name() != "Neg" {
            continue;
        }
        let Some((AxisOp::Move(1, 3), source)) = unary::<AxisOp>(model, moved.node).map(|(op, i)| (op.clone(), i)) else { continue };
        if source != x {
            continue;
        }
        let k = if uniform { vec![k[0]; channels] } else { k };
        return Some((x, k));
    }
    None
}

fn prelu_rule(_: &(), model: &TypedModel, node: &TypedNode, name: &str, _op: &TypedBinOp) -> TractResult<Option<TypedModelPatch>> {
    let Some((x, k)) = pattern(model, node) else { return Ok(None) };
    channel_last_patch(model, node, x, name, ChannelLastPrelu { k }, 4, false).map(Some)
}

/// Replaces every PReLU spelled as above (see the module's doc) by [`ChannelLastPrelu`]
/// between axis moves.
pub fn rewrite(model: &mut TypedModel) -> TractResult<()> {
    Rewriter::<()>::default().with_rule_for("channel-last-prelu", prelu_rule).rewrite(&(), model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_the_identity_above_zero_and_scales_by_each_channel_below() {
        let op = ChannelLastPrelu { k: vec![-0.25, 0.0, -2.0] };
        let mut x = vec![1.0, -1.0, -3.0, -4.0, 2.0, 0.5];
        op.compute(&mut x);
        // Channel 0: 1 -> 1, -4 -> -4 * 0.25; channel 1 (k = 0): ReLU; channel 2: x * 2.
        assert_eq!(x, [1.0, 0.0, -6.0, -1.0, 2.0, 0.5]);
    }
}
