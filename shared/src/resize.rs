//! Resizing turned channel-last in tract plans (feature `tract`).
//!
//! MediaPipe's palm detector doubles two feature maps (256 channels, 6x6 to 12x12 and
//! 12x12 to 24x24) with ONNX `Resize` (bilinear, `half_pixel`). tract resamples one axis
//! at a time, and on NCHW data the last axis has one value between neighbours, so its
//! inner loop runs once per value: 2.1-2.9 ms of the detector's 16, for 0.2 MB of output
//! (`device profile --hands palm`). The op has no axis-change rule either, so it kept
//! two axis moves of the whole map around it between channel-last ops. [`rewrite`] gives
//! each rank-4 NCHW `Resize` the NHWC layout between axis moves, which tract's
//! decluttering cancels against its neighbours': the same op, its sizes or scales
//! permuted alike, so each output value is computed exactly as before, and the inner
//! loop now runs over the 256 channels of a pixel.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::model::Rewriter;
use tract_onnx::tract_core::ops::nn::resize::Resize;

/// NCHW to NHWC, as an index map: NHWC axis `i` is NCHW axis `NHWC_FROM_NCHW[i]`.
const NHWC_FROM_NCHW: [usize; 4] = [0, 2, 3, 1];

fn resize_rule(_: &(), model: &TypedModel, node: &TypedNode, name: &str, op: &Resize) -> TractResult<Option<TypedModelPatch>> {
    let fact = model.outlet_fact(node.inputs[0])?;
    let Some(aux_ix) = op.optional_sizes_input.or(op.optional_scales_input) else { return Ok(None) };
    let Some(aux) = node.inputs.get(aux_ix).and_then(|&o| crate::depthwise::konst(model, o)) else { return Ok(None) };
    if fact.rank() != 4 || aux.rank() != 1 || aux.len() != 4 || node.inputs.len() != 2 || aux_ix != 1 {
        return Ok(None);
    }
    if crate::depthwise::after_nhwc_move(model, node) {
        return Ok(None);
    }
    // The sizes (or scales) of the NHWC axes.
    let permuted = {
        let mut t = aux.as_ref().clone();
        for (to, &from) in NHWC_FROM_NCHW.iter().enumerate() {
            t.assign_slice(to..to + 1, &aux, from..from + 1, 0)?;
        }
        t
    };
    let mut patch = TypedModelPatch::default();
    let x = patch.tap_model(model, node.inputs[0])?;
    let x = patch.wire_node(format!("{name}.nhwc_in"), AxisOp::Move(1, 3), &[x])?[0];
    let aux = patch.add_const(format!("{name}.nhwc_aux"), permuted)?;
    let y = patch.wire_node(name, op.clone(), &[x, aux])?;
    let y = patch.wire_node(format!("{name}.nhwc_out"), AxisOp::Move(3, 1), &y)?;
    patch.shunt_outside(model, node.id.into(), y[0])?;
    Ok(Some(patch))
}

/// Gives every rank-4 `Resize` with constant sizes or scales (tract's own op, after
/// decluttering) the NHWC layout, between axis moves.
pub fn rewrite(model: &mut TypedModel) -> TractResult<()> {
    Rewriter::<()>::default().with_rule_for("channel-last-resize", resize_rule).rewrite(&(), model)
}
