//! Max-pooling turned channel-last in tract plans (feature `tract`).
//!
//! tract's `MaxPool` has no axis-change rule, so an NCHW max-pool between channel-last ops
//! ([`crate::depthwise`], [`crate::pointwise`], [`crate::prelu`]) keeps two axis moves of
//! the whole feature map around it: in MediaPipe's palm detector, the costliest axis move
//! left (0.6 ms of 17, on the 32x96x96 map before the first pool). [`rewrite`] gives each
//! NCHW `MaxPool` tract's own NHWC geometry between axis moves, which tract's decluttering
//! then cancels against its neighbours'. Same op, same values: only the layout changes.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::model::Rewriter;
use tract_onnx::tract_core::ops::cnn::MaxPool;
use tract_onnx::tract_core::ops::nn::DataFormat;

fn maxpool_rule(_: &(), model: &TypedModel, node: &TypedNode, name: &str, op: &MaxPool) -> TractResult<Option<TypedModelPatch>> {
    let fact = model.outlet_fact(node.inputs[0])?;
    if op.pool_spec.data_format != DataFormat::NCHW || op.with_index_outputs.is_some() || fact.rank() != 4 {
        return Ok(None);
    }
    let mut pool_spec = op.pool_spec.clone();
    pool_spec.data_format = DataFormat::NHWC;
    let mut patch = TypedModelPatch::default();
    let x = tvec!(patch.tap_model(model, node.inputs[0])?);
    let x = patch.wire_node(format!("{name}.nhwc_in"), AxisOp::Move(1, 3), &x)?;
    let y = patch.wire_node(name, MaxPool { pool_spec, with_index_outputs: None }, &x)?;
    let y = patch.wire_node(format!("{name}.nhwc_out"), AxisOp::Move(3, 1), &y)?;
    patch.shunt_outside(model, node.id.into(), y[0])?;
    Ok(Some(patch))
}

/// Gives every rank-4 NCHW `MaxPool` (without index output) the NHWC layout, between
/// axis moves.
pub fn rewrite(model: &mut TypedModel) -> TractResult<()> {
    Rewriter::<()>::default().with_rule_for("channel-last-maxpool", maxpool_rule).rewrite(&(), model)
}
