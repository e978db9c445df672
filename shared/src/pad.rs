//! Padding turned channel-last in tract plans (feature `tract`).
//!
//! MediaPipe's palm detector widens three feature maps by zero channels (`Pad` on the
//! channel axis, beside a max-pool) before adding them to a convolution's output.
//! tract's `Pad` only follows added or removed axes, not moved ones, so each NCHW pad
//! between channel-last ops kept two axis moves of the whole map around it, the last
//! ones in the detector's plan (`device profile --hands palm`). [`rewrite`] gives each
//! rank-4 NCHW `Pad` the NHWC layout between axis moves, which tract's decluttering
//! cancels against its neighbours': the same op with its pads permuted alike, so every
//! output value is the same.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::model::Rewriter;
use tract_onnx::tract_core::ops::array::Pad;

fn pad_rule(_: &(), model: &TypedModel, node: &TypedNode, name: &str, op: &Pad) -> TractResult<Option<TypedModelPatch>> {
    if op.pads.len() != 4 || model.outlet_fact(node.inputs[0])?.rank() != 4 {
        return Ok(None);
    }
    if crate::depthwise::after_nhwc_move(model, node) {
        return Ok(None);
    }
    let p = &op.pads;
    let nhwc = Pad { pads: vec![p[0], p[2], p[3], p[1]], mode: op.mode.clone() };
    crate::depthwise::channel_last_patch(model, node, node.inputs[0], name, nhwc, 4, false).map(Some)
}

/// Gives every rank-4 NCHW `Pad` the NHWC layout, between axis moves.
pub fn rewrite(model: &mut TypedModel) -> TractResult<()> {
    Rewriter::<()>::default().with_rule_for("channel-last-pad", pad_rule).rewrite(&(), model)
}
