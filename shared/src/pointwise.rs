//! A channel-last 1x1 convolution for tract plans (feature `tract`), weights packed once
//! at load, bias and the clip after it (ReLU6) applied before storing.
//!
//! A 1x1 convolution on `[H, W, Cin]` data is a matrix product `[H*W, Cin] x [Cin, Cout]`.
//! tract runs it as a general matrix product that packs the pictures' values again on
//! every run and adds the bias in a pass of its own (`device profile --hands`: the packing
//! and the products were most of the landmark model's time once [`crate::depthwise`] had
//! made its depthwise layers fast). This op keeps the weights packed in blocks of output
//! channels (`[Cin][16]`, then `[Cin][8]`, then one at a time), and computes [`PIXELS`]
//! output pixels by a block at once: each weight load feeds that many multiply-adds and
//! each input value is broadcast to a block of them, all accumulators in registers
//! (vectorised by the compiler; AVX2+FMA picked at run time on x86-64, NEON on aarch64).
//!
//! [`rewrite`] puts it in place of every float 1x1 `Conv` (stride 1, no padding, one
//! group) with constant weights of a decluttered model, between axis moves as
//! [`crate::depthwise::rewrite`] does, and [`fuse_clips`] folds a following `Max`/`Min`
//! with constant bounds into it.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::model::Rewriter;
use tract_onnx::tract_core::ops::cnn::conv::{Conv, KernelFormat};
use tract_onnx::tract_core::ops::nn::DataFormat;

/// Output channels handled together.
const BLOCK: usize = 16;

/// Output pixels computed together.
const PIXELS: usize = 6;

/// A 1x1 convolution on `[1, H, W, Cin]` (or `[H, W, Cin]`) f32 data with its packed
/// weights, bias and output clip inside.
#[derive(Debug, Clone)]
pub struct ChannelLastPointwise {
    /// Pixels (H x W).
    pub pixels: usize,
    /// Input channels.
    pub cin: usize,
    /// Output channels.
    pub cout: usize,
    /// Weights in blocks of output channels: each block `[Cin][width]`, widths 16, then
    /// 8, then 1.
    pub packed: Vec<f32>,
    /// One bias per output channel.
    pub bias: Vec<f32>,
    /// Output bounds (`-inf, inf` when nothing is clipped).
    pub clip: [f32; 2],
    /// The output's shape (`[1, H, W, Cout]` or `[H, W, Cout]`).
    pub shape: TVec<usize>,
    /// Whether the `Conv` it replaced was already channel-last (no axis moves around it).
    pub channel_last: bool,
}

impl PartialEq for ChannelLastPointwise {
    fn eq(&self, o: &Self) -> bool {
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        (self.pixels, self.cin, self.cout, &self.shape, self.channel_last) == (o.pixels, o.cin, o.cout, &o.shape, o.channel_last)
            && bits(&self.packed) == bits(&o.packed)
            && bits(&self.bias) == bits(&o.bias)
            && bits(&self.clip) == bits(&o.clip)
    }
}
impl Eq for ChannelLastPointwise {}

/// Packs OI weights (`w[co * cin + ci]`) into the op's blocks.
pub fn pack(w: &[f32], cin: usize, cout: usize) -> Vec<f32> {
    let mut packed = Vec::with_capacity(w.len());
    let mut co0 = 0;
    for width in [BLOCK, BLOCK / 2, 1] {
        while co0 + width <= cout {
            for ci in 0..cin {
                packed.extend((co0..co0 + width).map(|co| w[co * cin + ci]));
            }
            co0 += width;
        }
    }
    packed
}

impl ChannelLastPointwise {
    /// Computes the layer into `out` (`pixels * Cout` values).
    pub fn compute(&self, x: &[f32], out: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                // SAFETY: the CPU has the features the function is compiled for.
                return unsafe { self.compute_avx2(x, out) };
            }
            self.compute_with::<false>(x, out)
        }
        #[cfg(not(target_arch = "x86_64"))]
        self.compute_with::<true>(x, out)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn compute_avx2(&self, x: &[f32], out: &mut [f32]) {
        self.compute_with::<true>(x, out)
    }

    /// Pixels in tiles of [`PIXELS`] (then one at a time); in each tile, every block of
    /// output channels.
    #[inline(always)]
    fn compute_with<const FMA: bool>(&self, x: &[f32], out: &mut [f32]) {
        let mut p = 0;
        while p + PIXELS <= self.pixels {
            self.tile::<PIXELS, FMA>(x, out, p);
            p += PIXELS;
        }
        while p < self.pixels {
            self.tile::<1, FMA>(x, out, p);
            p += 1;
        }
    }

    /// Pixels `p..p + R`, every output channel.
    #[inline(always)]
    fn tile<const R: usize, const FMA: bool>(&self, x: &[f32], out: &mut [f32], p: usize) {
        let (cin, cout) = (self.cin, self.cout);
        let rows: [&[f32]; R] = std::array::from_fn(|r| &x[(p + r) * cin..][..cin]);
        let (mut co0, mut off) = (0, 0);
        while co0 + BLOCK <= cout {
            self.block::<R, BLOCK, FMA>(&rows, out, p, co0, &self.packed[off..off + cin * BLOCK]);
            (co0, off) = (co0 + BLOCK, off + cin * BLOCK);
        }
        while co0 + BLOCK / 2 <= cout {
            self.block::<R, { BLOCK / 2 }, FMA>(&rows, out, p, co0, &self.packed[off..off + cin * (BLOCK / 2)]);
            (co0, off) = (co0 + BLOCK / 2, off + cin * (BLOCK / 2));
        }
        while co0 < cout {
            self.block::<R, 1, FMA>(&rows, out, p, co0, &self.packed[off..off + cin]);
            (co0, off) = (co0 + 1, off + cin);
        }
    }

    /// Output channels `co0..co0 + B` of pixels `p..p + R`, from the block's weights `w`.
    #[inline(always)]
    fn block<const R: usize, const B: usize, const FMA: bool>(&self, rows: &[&[f32]; R], out: &mut [f32], p: usize, co0: usize, w: &[f32]) {
        let bias: [f32; B] = self.bias[co0..co0 + B].try_into().expect("a block of biases");
        let mut acc = [bias; R];
        for (ci, k) in w.chunks_exact(B).enumerate() {
            let k: &[f32; B] = k.try_into().expect("a block of weights");
            for r in 0..R {
                let a = rows[r][ci];
                for j in 0..B {
                    acc[r][j] = if FMA { a.mul_add(k[j], acc[r][j]) } else { a * k[j] + acc[r][j] };
                }
            }
        }
        let [lo, hi] = self.clip;
        for (r, acc) in acc.iter().enumerate() {
            let o: &mut [f32; B] = (&mut out[(p + r) * self.cout + co0..][..B]).try_into().expect("a block of outputs");
            for j in 0..B {
                o[j] = acc[j].max(lo).min(hi);
            }
        }
    }
}

impl Op for ChannelLastPointwise {
    fn name(&self) -> StaticName {
        "ChannelLastPointwise".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!("pixels {} cin {} cout {} clip {:?}", self.pixels, self.cin, self.cout, self.clip)])
    }

    op_as_typed_op!();
}

impl EvalOp for ChannelLastPointwise {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let x = args_1!(inputs);
        let view = x.try_as_plain_ram()?;
        let x = view.as_slice::<f32>()?;
        ensure!(x.len() == self.pixels * self.cin, "pointwise input has {} values, expected {}", x.len(), self.pixels * self.cin);
        // SAFETY: `compute` writes every output value before anything reads it (the
        // unit tests fill the output with NaN first and check every value).
        let mut out = unsafe { Tensor::uninitialized::<f32>(&self.shape)? };
        self.compute(x, out.try_as_plain_ram_mut()?.as_slice_mut::<f32>()?);
        Ok(tvec!(out.into_tvalue()))
    }
}

impl TypedOp for ChannelLastPointwise {
    fn output_facts(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok(tvec!(f32::fact(&*self.shape)))
    }

    fn cost(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<(Cost, TDim)>> {
        Ok(tvec!((Cost::FMA(f32::datum_type()), (self.pixels * self.cin * self.cout).into())))
    }

    as_op!();
}

/// The op replacing the 1x1 `Conv` `node`, if it is one this op computes: float, no
/// quantization, one group, stride 1, no padding or dilation, OIHW constant weights,
/// concrete shape with a batch of 1.
fn replacement(model: &TypedModel, node: &TypedNode, conv: &Conv) -> TractResult<Option<ChannelLastPointwise>> {
    let spec = &conv.pool_spec;
    let fact = model.outlet_fact(node.inputs[0])?;
    let ones = |v: &Option<TVec<usize>>| v.as_ref().is_none_or(|v| v.iter().all(|&d| d == 1));
    let ok = conv.q_params.is_none()
        && node.inputs.len() == 3
        && fact.datum_type == f32::datum_type()
        && matches!(spec.data_format, DataFormat::NCHW | DataFormat::CHW | DataFormat::NHWC | DataFormat::HWC)
        && conv.kernel_fmt == KernelFormat::OIHW
        && conv.group == 1
        && spec.kernel_shape.len() == 2
        && spec.kernel_shape.iter().all(|&k| k == 1)
        && ones(&spec.strides)
        && ones(&spec.dilations);
    let Some(shape) = fact.shape.as_concrete().filter(|_| ok) else { return Ok(None) };
    let rank = shape.len();
    if (rank == 4 && shape[0] != 1) || !(rank == 3 || rank == 4) {
        return Ok(None);
    }
    let channel_last = spec.data_format.c_is_last();
    let (cin, h, w) =
        if channel_last { (shape[rank - 1], shape[rank - 3], shape[rank - 2]) } else { (shape[rank - 3], shape[rank - 2], shape[rank - 1]) };
    let dims = spec.padding.compute(&[h, w], &[1, 1], &[1, 1], &[1, 1]);
    if dims.iter().any(|d| d.pad_before != 0 || d.pad_after != 0) {
        return Ok(None);
    }
    let (Some(kernel), Some(bias)) = (crate::depthwise::konst(model, node.inputs[1]), crate::depthwise::konst(model, node.inputs[2])) else {
        return Ok(None);
    };
    let cout = spec.output_channels;
    if kernel.shape() != [cout, cin, 1, 1] || kernel.datum_type() != f32::datum_type() {
        return Ok(None);
    }
    let bias = bias.cast_to::<f32>()?;
    let bias = bias.try_as_plain_ram()?.as_slice::<f32>()?.to_vec();
    let bias = match bias.len() {
        1 => vec![bias[0]; cout],
        n if n == cout => bias,
        _ => return Ok(None),
    };
    let view = kernel.try_as_plain_ram()?;
    let packed = pack(view.as_slice::<f32>()?, cin, cout);
    let shape = if rank == 4 { tvec!(1, h, w, cout) } else { tvec!(h, w, cout) };
    Ok(Some(ChannelLastPointwise { pixels: h * w, cin, cout, packed, bias, clip: [f32::NEG_INFINITY, f32::INFINITY], shape, channel_last }))
}

fn pointwise_rule(_: &(), model: &TypedModel, node: &TypedNode, name: &str, conv: &Conv) -> TractResult<Option<TypedModelPatch>> {
    let Some(op) = replacement(model, node, conv)? else { return Ok(None) };
    let (rank, channel_last) = (op.shape.len(), op.channel_last);
    crate::depthwise::channel_last_patch(model, node, node.inputs[0], name, op, rank, channel_last).map(Some)
}

/// Replaces every 1x1 `Conv` [`ChannelLastPointwise`] computes (see there).
pub fn rewrite(model: &mut TypedModel) -> TractResult<()> {
    Rewriter::<()>::default().with_rule_for("channel-last-pointwise", pointwise_rule).rewrite(&(), model)
}

fn clip_rule(_: &(), model: &TypedModel, node: &TypedNode, name: &str, op: &ChannelLastPointwise) -> TractResult<Option<TypedModelPatch>> {
    crate::depthwise::clip_patch(model, node, name, op.clip, |clip| ChannelLastPointwise { clip, ..op.clone() })
}

/// Folds each `Max`/`Min` with a constant bound that directly follows a
/// [`ChannelLastPointwise`] into its clip.
pub fn fuse_clips(model: &mut TypedModel) -> TractResult<()> {
    Rewriter::<()>::default().with_rule_for("channel-last-pointwise-clip", clip_rule).rewrite(&(), model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_textbook_product_for_every_block_and_tile_size() {
        // Output channels 16+8+3 and 16, 8, 5; pixel counts with and without a tile tail.
        for (pixels, cin, cout, clip) in
            [(13, 7, 27, [0.0, 6.0]), (12, 16, 16, [f32::NEG_INFINITY, f32::INFINITY]), (5, 3, 8, [-1.0, 1.0]), (7, 33, 5, [0.0, 0.5])]
        {
            let x: Vec<f32> = (0..pixels * cin).map(|i| ((i * 37 % 101) as f32 - 50.0) / 17.0).collect();
            let w: Vec<f32> = (0..cout * cin).map(|i| ((i * 13 % 29) as f32 - 14.0) / 9.0).collect();
            let bias: Vec<f32> = (0..cout).map(|i| i as f32 * 0.1 - 1.0).collect();
            let op = ChannelLastPointwise { pixels, cin, cout, packed: pack(&w, cin, cout), bias: bias.clone(), clip, shape: tvec!(1, 1, pixels, cout), channel_last: true };
            let mut got = vec![f32::NAN; pixels * cout];
            op.compute(&x, &mut got);
            for p in 0..pixels {
                for co in 0..cout {
                    let want = (0..cin).map(|ci| x[p * cin + ci] as f64 * w[co * cin + ci] as f64).sum::<f64>() + bias[co] as f64;
                    let want = (want as f32).max(clip[0]).min(clip[1]);
                    let g = got[p * cout + co];
                    assert!((g - want).abs() <= 1e-4 * want.abs().max(1.0), "{pixels}x{cin}->{cout}: {g} vs {want} at pixel {p} channel {co}");
                }
            }
        }
    }
}
