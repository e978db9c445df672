//! Max-pooling turned channel-last in tract plans (feature `tract`).
//!
//! tract's `MaxPool` has no axis-change rule, so an NCHW max-pool between channel-last ops
//! ([`crate::depthwise`], [`crate::pointwise`], [`crate::prelu`]) keeps two axis moves of
//! the whole feature map around it: in MediaPipe's palm detector, the costliest axis move
//! left (0.6 ms of 17, on the 32x96x96 map before the first pool). [`rewrite`] gives each
//! NCHW `MaxPool` tract's own NHWC geometry between axis moves, which tract's decluttering
//! then cancels against its neighbours'. Same op, same values: only the layout changes.

use tract_onnx::prelude::*;
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
    let pool = MaxPool { pool_spec, with_index_outputs: None };
    crate::depthwise::channel_last_patch(model, node, node.inputs[0], name, pool, 4, false).map(Some)
}

/// Gives every rank-4 NCHW `MaxPool` (without index output) the NHWC layout, between
/// axis moves.
pub fn rewrite(model: &mut TypedModel) -> TractResult<()> {
    Rewriter::<()>::default().with_rule_for("channel-last-maxpool", maxpool_rule).rewrite(&(), model)
}
