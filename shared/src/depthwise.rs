//! A channel-last depthwise convolution for tract plans (feature `tract`).
//!
//! tract 0.23.9 has a vectorised depthwise kernel only for wasm; on x86-64 and aarch64
//! its `DepthWise` walks taps channel by channel, so depthwise layers, a small share of
//! MobileNetV2's multiply-adds, took most of its run (`device profile`; numbers in
//! docs/performance.md, "Where tract's time goes"). This op keeps
//! the channels innermost, so every tap is one contiguous multiply-add over all channels
//! (written over [`crate::lanes`]: AVX2+FMA picked at run time on x86-64, NEON on aarch64,
//! AVX-512 for layers whose channels come in sixteens where the CPU has it), and it
//! applies the clip that follows (ReLU6) before storing.
//!
//! [`rewrite`] puts it in place of every float depthwise `Conv` of a decluttered model
//! with constant weights, between the same axis moves tract's `conv_nhwc` transform adds,
//! and [`fuse_clips`] folds a following `Max`/`Min` with constant bounds into it.

use crate::lanes::{blocks, load, madd, store_clamped, Block, Kernel, Lanes};
use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::model::Rewriter;
use tract_onnx::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_core::ops::cnn::conv::{Conv, KernelFormat};
use tract_onnx::tract_core::ops::nn::DataFormat;

/// Output pixels computed together inside the picture: each weight load serves as many.
const PIXELS: usize = 4;

/// The largest kernel (taps) the op takes: 7x7.
const MAX_TAPS: usize = 49;

/// A depthwise convolution on `[1, H, W, C]` (or `[H, W, C]`) f32 data with its weights,
/// bias and output clip inside.
#[derive(Debug, Clone)]
pub struct ChannelLastDepthwise {
    /// Input height, width and channels.
    pub input: [usize; 3],
    /// Output height and width.
    pub output: [usize; 2],
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Vertical and horizontal stride.
    pub stride: [usize; 2],
    /// Padding before (top, left).
    pub pad: [usize; 2],
    /// Weights, tap-major: `[kh * kw][C]`.
    pub weights: Vec<f32>,
    /// One bias per channel.
    pub bias: Vec<f32>,
    /// Output bounds (`-inf, inf` when nothing is clipped).
    pub clip: [f32; 2],
    /// Rank of the data (4 with a batch axis of 1, else 3).
    pub rank: usize,
    /// Whether the `Conv` it replaced was already channel-last (no axis moves around it).
    pub channel_last: bool,
}

impl PartialEq for ChannelLastDepthwise {
    fn eq(&self, o: &Self) -> bool {
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        (self.input, self.output, self.kernel, self.stride, self.pad, self.rank, self.channel_last)
            == (o.input, o.output, o.kernel, o.stride, o.pad, o.rank, o.channel_last)
            && bits(&self.weights) == bits(&o.weights)
            && bits(&self.bias) == bits(&o.bias)
            && bits(&self.clip) == bits(&o.clip)
    }
}
impl Eq for ChannelLastDepthwise {}

impl ChannelLastDepthwise {
    fn output_shape(&self) -> TVec<usize> {
        let [oh, ow] = self.output;
        let c = self.input[2];
        if self.rank == 4 { tvec!(1, oh, ow, c) } else { tvec!(oh, ow, c) }
    }

    /// Computes the layer into `out` (`oh * ow * C` values).
    pub fn compute(&self, x: &[f32], out: &mut [f32]) {
        let ([h, w, c], [oh, ow], [kh, kw]) = (self.input, self.output, self.kernel);
        assert!(x.len() >= h * w * c && out.len() >= oh * ow * c, "depthwise buffers too short");
        assert!(self.weights.len() == kh * kw * c && self.bias.len() == c && kh * kw <= MAX_TAPS);
        // SAFETY: the lengths were checked above; `taps_inside` and `inside_columns`
        // keep every tap inside the picture.
        unsafe { crate::lanes::dispatch(self, x, out, c % 16 == 0) }
    }

    /// [`Kernel::run`] for kernels `KW` wide (0: any width, read at run time), so that
    /// the loop over a kernel row's taps is unrolled for the common widths. Row by row of
    /// the output; in each row, channels in the blocks of [`crate::lanes::blocks`] (so
    /// the input rows a row of output reads stay in cache while every block reads them).
    ///
    /// # Safety
    /// As [`Kernel::run`].
    #[inline(always)]
    unsafe fn rows<L: Lanes, const KW: usize>(&self, x: &[f32], out: &mut [f32]) {
        let c = self.input[2];
        for oy in 0..self.output[0] {
            for (c0, block) in blocks(c, L::N) {
                // SAFETY: the block's channels exist.
                unsafe {
                    match block {
                        Block::Three => self.row::<L, 3, KW>(x, out, oy, c0),
                        Block::Two => self.row::<L, 2, KW>(x, out, oy, c0),
                        Block::One => self.row::<L, 1, KW>(x, out, oy, c0),
                        Block::Single => self.row::<f32, 1, KW>(x, out, oy, c0),
                    }
                }
            }
        }
    }

    /// Channels `c0..c0 + V * L::N` of output row `oy`. Inside the picture (no tap
    /// outside it) output pixels go [`PIXELS`] at a time, so each weight load serves that
    /// many multiply-adds; the border goes pixel by pixel.
    ///
    /// # Safety
    /// As [`Kernel::run`], and the channels exist.
    #[inline(always)]
    unsafe fn row<L: Lanes, const V: usize, const KW: usize>(&self, x: &[f32], out: &mut [f32], oy: usize, c0: usize) {
        let [h, w, c] = self.input;
        let [_, ow] = self.output;
        let [kh, kw] = self.kernel;
        let kw = if KW == 0 { kw } else { KW };
        let [sy, sx] = self.stride;
        let [py, px] = self.pad;
        // SAFETY (whole body): every offset below is a pixel of the picture or of the
        // output times `c`, plus channels `c0..c0 + V * L::N`.
        unsafe {
            let (x, out) = (x.as_ptr().add(c0), out.as_mut_ptr().add(c0));
            let weights = self.weights.as_ptr().add(c0);
            let bias = load::<L, V>(self.bias.as_ptr().add(c0));
            let k = |t: usize| load::<L, V>(weights.add(t * c));
            let (lo, hi) = (L::splat(self.clip[0]), L::splat(self.clip[1]));
            let (ox_lo, ox_hi) = inside_columns(w, kw, sx, px, ow);
            let y0 = (oy * sy) as isize - py as isize;
            let ky = taps_inside(y0, kh, h);
            for ox in (0..ox_lo).chain(ox_hi..ow) {
                let x0 = (ox * sx) as isize - px as isize;
                let kx = taps_inside(x0, kw, w);
                let mut acc = bias;
                for ty in ky.clone() {
                    let row = ((y0 + ty as isize) as usize * w) as isize + x0;
                    for tx in kx.clone() {
                        madd(&mut acc, load::<L, V>(x.add((row + tx as isize) as usize * c)), k(ty * kw + tx));
                    }
                }
                store_clamped(acc, out.add((oy * ow + ox) * c), lo, hi);
            }
            let mut ox = ox_lo;
            while ox + PIXELS <= ox_hi {
                let mut acc = [bias; PIXELS];
                for ty in ky.clone() {
                    let row = (y0 + ty as isize) as usize * w + ox * sx - px;
                    for tx in 0..kw {
                        let k = k(ty * kw + tx);
                        for (p, acc) in acc.iter_mut().enumerate() {
                            madd(acc, load::<L, V>(x.add((row + p * sx + tx) * c)), k);
                        }
                    }
                }
                for (p, acc) in acc.into_iter().enumerate() {
                    store_clamped(acc, out.add((oy * ow + ox + p) * c), lo, hi);
                }
                ox += PIXELS;
            }
            for ox in ox..ox_hi {
                let mut acc = bias;
                for ty in ky.clone() {
                    let row = (y0 + ty as isize) as usize * w + ox * sx - px;
                    for tx in 0..kw {
                        madd(&mut acc, load::<L, V>(x.add((row + tx) * c)), k(ty * kw + tx));
                    }
                }
                store_clamped(acc, out.add((oy * ow + ox) * c), lo, hi);
            }
        }
    }
}

/// Output columns `lo..hi` of a `kw` wide window moved by `sx` over a picture `w` wide
/// with `px` padding before, `ow` columns in all, whose taps all lie inside the picture
/// (this op's and [`crate::stem`]'s loops take them a group at a time).
#[inline(always)]
pub(crate) fn inside_columns(w: usize, kw: usize, sx: usize, px: usize, ow: usize) -> (usize, usize) {
    let lo = px.div_ceil(sx).min(ow);
    let hi = if w + px >= kw { ((w + px - kw) / sx + 1).min(ow) } else { 0 }.max(lo);
    (lo, hi)
}

/// The taps `0..k` of a window starting at `start` that fall inside `0..len`.
#[inline(always)]
pub(crate) fn taps_inside(start: isize, k: usize, len: usize) -> std::ops::Range<usize> {
    (0.max(-start) as usize)..(k.min((len as isize - start).max(0) as usize))
}

/// Whether `node`'s first input comes straight from an NCHW-to-NHWC axis move: the
/// output of a channel-last rewrite, which must not be rewritten again.
pub(crate) fn after_nhwc_move(model: &TypedModel, node: &TypedNode) -> bool {
    model.node(node.inputs[0].node).op_as::<AxisOp>() == Some(&AxisOp::Move(1, 3))
}

/// The op's loops (`rows`) for its kernel width.
impl Kernel for ChannelLastDepthwise {
    #[inline(always)]
    unsafe fn run<L: Lanes>(&self, x: &[f32], out: &mut [f32]) {
        // SAFETY: as the caller promises.
        match self.kernel[1] {
            3 => unsafe { self.rows::<L, 3>(x, out) },
            5 => unsafe { self.rows::<L, 5>(x, out) },
            _ => unsafe { self.rows::<L, 0>(x, out) },
        }
    }
}

impl Op for ChannelLastDepthwise {
    fn name(&self) -> StaticName {
        "ChannelLastDepthwise".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!(
            "input {:?} kernel {:?} stride {:?} pad {:?} clip {:?}",
            self.input, self.kernel, self.stride, self.pad, self.clip
        )])
    }

    op_as_typed_op!();
}

impl EvalOp for ChannelLastDepthwise {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let x = args_1!(inputs);
        let view = x.try_as_plain_ram()?;
        let x = view.as_slice::<f32>()?;
        let [h, w, c] = self.input;
        ensure!(x.len() == h * w * c, "depthwise input has {} values, expected {}", x.len(), h * w * c);
        // SAFETY: `compute` writes every output value before anything reads it (the
        // unit tests fill the output with NaN first and check every value).
        let mut out = unsafe { Tensor::uninitialized::<f32>(&self.output_shape())? };
        self.compute(x, out.try_as_plain_ram_mut()?.as_slice_mut::<f32>()?);
        Ok(tvec!(out.into_tvalue()))
    }
}

impl TypedOp for ChannelLastDepthwise {
    fn output_facts(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok(tvec!(f32::fact(&*self.output_shape())))
    }

    fn cost(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<(Cost, TDim)>> {
        let [oh, ow] = self.output;
        let taps = self.kernel[0] * self.kernel[1];
        Ok(tvec!((Cost::FMA(f32::datum_type()), (oh * ow * self.input[2] * taps).into())))
    }

    as_op!();
}

/// The values of a constant input, if it is one.
pub(crate) fn konst(model: &TypedModel, outlet: OutletId) -> Option<Arc<Tensor>> {
    model.outlet_fact(outlet).ok()?.konst.clone()
}

/// The op replacing the depthwise `Conv` `node`, if it is one this op computes: float,
/// no quantization, NCHW or CHW with a concrete shape, OIHW constant weights, one input
/// and one output channel per group, no dilation.
fn replacement(model: &TypedModel, node: &TypedNode, conv: &Conv) -> TractResult<Option<ChannelLastDepthwise>> {
    let spec = &conv.pool_spec;
    let fact = model.outlet_fact(node.inputs[0])?;
    let ok = conv.q_params.is_none()
        && node.inputs.len() == 3
        && fact.datum_type == f32::datum_type()
        && matches!(spec.data_format, DataFormat::NCHW | DataFormat::CHW | DataFormat::NHWC | DataFormat::HWC)
        && conv.kernel_fmt == KernelFormat::OIHW
        && conv.group > 1
        && conv.group == spec.input_channels
        && conv.group == spec.output_channels
        && spec.kernel_shape.len() == 2
        && spec.dilations.as_ref().is_none_or(|d| d.iter().all(|&d| d == 1));
    let Some(shape) = fact.shape.as_concrete().filter(|_| ok) else { return Ok(None) };
    let rank = shape.len();
    if (rank == 4 && shape[0] != 1) || !(rank == 3 || rank == 4) {
        return Ok(None);
    }
    let channel_last = spec.data_format.c_is_last();
    let (c, h, w) =
        if channel_last { (shape[rank - 1], shape[rank - 3], shape[rank - 2]) } else { (shape[rank - 3], shape[rank - 2], shape[rank - 1]) };
    let (Some(kernel), Some(bias)) = (konst(model, node.inputs[1]), konst(model, node.inputs[2])) else {
        return Ok(None);
    };
    let [kh, kw] = [spec.kernel_shape[0], spec.kernel_shape[1]];
    if kernel.shape() != [c, 1, kh, kw] || kernel.datum_type() != f32::datum_type() || kh * kw > MAX_TAPS {
        return Ok(None);
    }
    let bias = bias.cast_to::<f32>()?;
    let bias = bias.try_as_plain_ram()?.as_slice::<f32>()?.to_vec();
    let bias = match bias.len() {
        1 => vec![bias[0]; c],
        n if n == c => bias,
        _ => return Ok(None),
    };
    let strides = spec.strides.clone().unwrap_or_else(|| tvec!(1, 1));
    let dims = spec.padding.compute(&[h, w], &[kh, kw], &[1, 1], &strides);
    let view = kernel.try_as_plain_ram()?;
    let k = view.as_slice::<f32>()?;
    let taps = kh * kw;
    let weights = (0..taps * c).map(|i| k[(i % c) * taps + i / c]).collect();
    Ok(Some(ChannelLastDepthwise {
        input: [h, w, c],
        output: [dims[0].convoluted, dims[1].convoluted],
        kernel: [kh, kw],
        stride: [strides[0], strides[1]],
        pad: [dims[0].pad_before, dims[1].pad_before],
        weights,
        bias,
        clip: [f32::NEG_INFINITY, f32::INFINITY],
        rank,
        channel_last,
    }))
}

fn depthwise_rule(_: &(), model: &TypedModel, node: &TypedNode, name: &str, conv: &Conv) -> TractResult<Option<TypedModelPatch>> {
    let Some(op) = replacement(model, node, conv)? else { return Ok(None) };
    let (rank, channel_last) = (op.rank, op.channel_last);
    channel_last_patch(model, node, node.inputs[0], name, op, rank, channel_last).map(Some)
}

/// The patch putting the channel-last `op` on `input` (data of `rank` axes) in place of
/// `node`, between the two axis moves an NCHW graph needs unless the data was
/// channel-last already (the rewrites of this op, [`crate::pointwise`], [`crate::prelu`]
/// and [`crate::maxpool`]).
pub(crate) fn channel_last_patch<O: TypedOp>(
    model: &TypedModel,
    node: &TypedNode,
    input: OutletId,
    name: &str,
    op: O,
    rank: usize,
    channel_last: bool,
) -> TractResult<TypedModelPatch> {
    let mut patch = TypedModelPatch::default();
    let mut x = tvec!(patch.tap_model(model, input)?);
    if !channel_last {
        x = patch.wire_node(format!("{name}.nhwc_in"), AxisOp::Move(rank - 3, rank - 1), &x)?;
    }
    let mut y = patch.wire_node(name, op, &x)?;
    if !channel_last {
        y = patch.wire_node(format!("{name}.nhwc_out"), AxisOp::Move(rank - 1, rank - 3), &y)?;
    }
    patch.shunt_outside(model, node.id.into(), y[0])?;
    Ok(patch)
}

/// Replaces every depthwise `Conv` [`ChannelLastDepthwise`] computes (see there).
pub fn rewrite(model: &mut TypedModel) -> TractResult<()> {
    Rewriter::<()>::default().with_rule_for("channel-last-depthwise", depthwise_rule).rewrite(&(), model)
}

/// The bound of a `Max` or `Min` node with one constant, uniform operand: the op's name
/// and the bound.
fn bound(model: &TypedModel, node: &TypedNode, from: OutletId) -> Option<(String, f32)> {
    let bin = node.op_as::<TypedBinOp>()?;
    let name = bin.0.name().to_string();
    if !(name == "Max" || name == "Min") || node.inputs.len() != 2 {
        return None;
    }
    let v = konst_values(model, other_operand(node, from)?)?;
    (!v.is_empty() && v.iter().all(|&x| x == v[0])).then(|| (name, v[0]))
}

/// The other input of two-input `node` when one of them is `from`.
pub(crate) fn other_operand(node: &TypedNode, from: OutletId) -> Option<OutletId> {
    match node.inputs[..] {
        [a, b] if a == from => Some(b),
        [a, b] if b == from => Some(a),
        _ => None,
    }
}

/// The values of a constant input as f32, if it is one.
pub(crate) fn konst_values(model: &TypedModel, outlet: OutletId) -> Option<Vec<f32>> {
    let k = konst(model, outlet)?;
    Some(k.cast_to::<f32>().ok()?.try_as_plain_ram().ok()?.as_slice::<f32>().ok()?.to_vec())
}

/// `clip` with a following `Max` (`kind`) or `Min` by `v` applied.
fn clipped(clip: [f32; 2], kind: &str, v: f32) -> [f32; 2] {
    if kind == "Max" { [clip[0].max(v), clip[1].max(v)] } else { [clip[0].min(v), clip[1].min(v)] }
}

fn clip_rule(_: &(), model: &TypedModel, node: &TypedNode, name: &str, op: &ChannelLastDepthwise) -> TractResult<Option<TypedModelPatch>> {
    clip_patch(model, node, name, op.clip, |clip| ChannelLastDepthwise { clip, ..op.clone() })
}

/// The patch folding a `Max`/`Min` with a constant bound that directly follows `node`
/// (an op whose output is clipped to `clip`) into the op `with_clip` makes, if one
/// follows (this op's and [`crate::pointwise`]'s clip rules).
pub(crate) fn clip_patch<O: TypedOp>(model: &TypedModel, node: &TypedNode, name: &str, clip: [f32; 2], with_clip: impl FnOnce([f32; 2]) -> O) -> TractResult<Option<TypedModelPatch>> {
    let Some(next) = model.single_succ(node.id)? else { return Ok(None) };
    let Some((kind, v)) = bound(model, next, node.id.into()) else { return Ok(None) };
    // The constant may broadcast the output to a larger shape: then it is not a clip.
    if model.outlet_fact(next.id.into())?.shape != model.outlet_fact(node.id.into())?.shape {
        return Ok(None);
    }
    let mut patch = TypedModelPatch::default();
    let x = patch.tap_model(model, node.inputs[0])?;
    let y = patch.wire_node(name, with_clip(clipped(clip, &kind, v)), &[x])?;
    patch.shunt_outside(model, next.id.into(), y[0])?;
    Ok(Some(patch))
}

/// Folds each `Max`/`Min` with a constant bound that directly follows a
/// [`ChannelLastDepthwise`] into its clip.
pub fn fuse_clips(model: &mut TypedModel) -> TractResult<()> {
    Rewriter::<()>::default().with_rule_for("channel-last-depthwise-clip", clip_rule).rewrite(&(), model)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook depthwise convolution on NCHW data, clipped.
    #[allow(clippy::too_many_arguments)]
    fn reference(x: &[f32], [h, w, c]: [usize; 3], k: &[f32], [kh, kw]: [usize; 2], bias: &[f32], s: usize, p: usize, clip: [f32; 2]) -> (Vec<f32>, [usize; 2]) {
        let (oh, ow) = ((h + 2 * p - kh) / s + 1, (w + 2 * p - kw) / s + 1);
        let mut out = vec![0.0; c * oh * ow];
        for ch in 0..c {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut acc = bias[ch] as f64;
                    for ty in 0..kh {
                        for tx in 0..kw {
                            let (iy, ix) = ((oy * s + ty) as isize - p as isize, (ox * s + tx) as isize - p as isize);
                            if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < w {
                                acc += x[(ch * h + iy as usize) * w + ix as usize] as f64 * k[(ch * kh + ty) * kw + tx] as f64;
                            }
                        }
                    }
                    out[(ch * oh + oy) * ow + ox] = (acc as f32).max(clip[0]).min(clip[1]);
                }
            }
        }
        (out, [oh, ow])
    }

    #[test]
    fn matches_the_textbook_convolution_at_edges_strides_and_odd_channel_counts() {
        // 20 and 37 channels: one full block of 16 and a tail; 7x9 and 5x5 pictures.
        for (c, h, w, kh, s, p, clip) in [
            (20, 7, 9, 3, 1, 1, [f32::NEG_INFINITY, f32::INFINITY]),
            (37, 7, 9, 3, 2, 1, [0.0, 6.0]),
            (16, 5, 5, 5, 1, 2, [0.0, 0.5]),
            (33, 9, 7, 5, 2, 2, [-1.0, 1.0]),
            // Blocks of 24 (three lanes) and 24 + 16, and pictures wide enough for pixel groups.
            (24, 12, 13, 3, 1, 1, [0.0, 6.0]),
            (40, 11, 17, 5, 2, 2, [f32::NEG_INFINITY, f32::INFINITY]),
            (8, 6, 20, 3, 2, 0, [-2.0, 2.0]),
            (3, 5, 11, 3, 1, 1, [0.0, 6.0]),
            // A kernel width without its own unrolled loop (7), and 8 + 4 single channels.
            (12, 10, 11, 7, 2, 3, [0.0, 6.0]),
            // Channels in sixteens (AVX-512 where the CPU has it): blocks of 48 and of 32.
            (48, 9, 13, 3, 1, 1, [0.0, 6.0]),
            (32, 8, 12, 5, 2, 2, [f32::NEG_INFINITY, f32::INFINITY]),
        ] {
            let x: Vec<f32> = (0..c * h * w).map(|i| ((i * 37 % 101) as f32 - 50.0) / 17.0).collect();
            let k: Vec<f32> = (0..c * kh * kh).map(|i| ((i * 13 % 29) as f32 - 14.0) / 9.0).collect();
            let bias: Vec<f32> = (0..c).map(|i| i as f32 * 0.1 - 1.0).collect();
            let (want, [oh, ow]) = reference(&x, [h, w, c], &k, [kh, kh], &bias, s, p, clip);
            let taps = kh * kh;
            let op = ChannelLastDepthwise {
                input: [h, w, c],
                output: [oh, ow],
                kernel: [kh, kh],
                stride: [s, s],
                pad: [p, p],
                weights: (0..taps * c).map(|i| k[(i % c) * taps + i / c]).collect(),
                bias,
                clip,
                rank: 4,
                channel_last: false,
            };
            let nhwc: Vec<f32> = (0..h * w * c).map(|i| x[(i % c) * h * w + i / c]).collect();
            // The best lanes this CPU has, then the plain ones (the fallback elsewhere).
            for plain in [false, true] {
                let mut got = vec![f32::NAN; oh * ow * c];
                if plain {
                    // SAFETY: the buffers have the layer's sizes; plain lanes need no CPU feature.
                    unsafe { op.run::<crate::lanes::Plain>(&nhwc, &mut got) };
                } else {
                    op.compute(&nhwc, &mut got);
                }
                for (i, g) in got.iter().enumerate() {
                    let wanted = want[(i % c) * oh * ow + i / c];
                    assert!((g - wanted).abs() <= 1e-4 * wanted.abs().max(1.0), "c {c} k {kh} s {s}: {g} vs {wanted} at {i}");
                }
            }
        }
    }
}
