//! A channel-last 1x1 convolution for tract plans (feature `tract`), weights packed once
//! at load, bias and the clip after it (ReLU6) applied before storing.
//!
//! A 1x1 convolution on `[H, W, Cin]` data is a matrix product `[H*W, Cin] x [Cin, Cout]`.
//! tract runs it as a general matrix product that packs the pictures' values again on
//! every run and adds the bias in a pass of its own (`device profile --hands`: the packing
//! and the products were most of the landmark model's time once [`crate::depthwise`] had
//! made its depthwise layers fast). This op keeps the weights packed in blocks of output
//! channels (`[Cin][16]`, the last block filled up with zeros), and computes [`PIXELS`]
//! output pixels by a block at once: each weight load feeds that many multiply-adds and
//! each input value is broadcast to a block of them, all accumulators in registers
//! (written over [`crate::lanes`]: AVX2+FMA picked at run time on x86-64, NEON on aarch64;
//! on x86-64 CPUs with AVX-512, a kernel of its own with 16-lane registers).
//!
//! [`rewrite`] puts it in place of every float 1x1 `Conv` (stride 1, no padding, one
//! group) with constant weights of a decluttered model, between axis moves as
//! [`crate::depthwise::rewrite`] does, and [`fuse_clips`] folds a following `Max`/`Min`
//! with constant bounds into it.

use crate::lanes::{load, madd, store_clamped, Kernel, Lanes};
use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::model::Rewriter;
use tract_onnx::tract_core::ops::cnn::conv::{Conv, KernelFormat};
use tract_onnx::tract_core::ops::nn::DataFormat;

/// Output channels handled together (a last block of fewer is filled up with zero weights).
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
    /// Weights in blocks of [`BLOCK`] output channels, each `[Cin][BLOCK]`; the last
    /// block's channels beyond `cout` have zero weights.
    pub packed: Vec<f32>,
    /// One bias per output channel, filled up with zeros to whole blocks.
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

/// Packs OI weights (`w[co * cin + ci]`) into the op's blocks of [`BLOCK`] output
/// channels, the last block filled up with zero weights.
fn pack(w: &[f32], cin: usize, cout: usize) -> Vec<f32> {
    let blocks = cout.div_ceil(BLOCK);
    let mut packed = Vec::with_capacity(blocks * BLOCK * cin);
    for b in 0..blocks {
        for ci in 0..cin {
            packed.extend((b * BLOCK..(b + 1) * BLOCK).map(|co| if co < cout { w[co * cin + ci] } else { 0.0 }));
        }
    }
    packed
}

impl ChannelLastPointwise {
    /// The op for OI weights `w` (`w[co * cin + ci]`) and one bias per output channel,
    /// nothing clipped.
    pub fn new(pixels: usize, cin: usize, cout: usize, w: &[f32], bias: &[f32], shape: TVec<usize>, channel_last: bool) -> Self {
        let mut bias = bias.to_vec();
        bias.resize(cout.div_ceil(BLOCK) * BLOCK, 0.0);
        let packed = pack(w, cin, cout);
        ChannelLastPointwise { pixels, cin, cout, packed, bias, clip: [f32::NEG_INFINITY, f32::INFINITY], shape, channel_last }
    }

    /// Computes the layer into `out` (`pixels * Cout` values).
    pub fn compute(&self, x: &[f32], out: &mut [f32]) {
        assert!(x.len() >= self.pixels * self.cin && out.len() >= self.pixels * self.cout, "pointwise buffers too short");
        assert!(self.packed.len() == self.cout.div_ceil(BLOCK) * BLOCK * self.cin && self.bias.len() * self.cin == self.packed.len());
        // SAFETY: the lengths were checked above.
        unsafe { crate::lanes::dispatch(self, x, out, true) }
    }

    /// Pixels `p..p + R`, every output channel: for each block of [`BLOCK`] output
    /// channels, `R x 2` accumulators of `L` (eight lanes: [`Kernel::run`] checks), each weight load feeding `R`
    /// multiply-adds. A last block narrower than [`BLOCK`] computes all of them (its
    /// extra weights are zero) and stores only its own channels.
    ///
    /// # Safety
    /// As [`Kernel::run`], and pixels `p..p + R` exist.
    #[inline(always)]
    unsafe fn tile<L: Lanes, const R: usize>(&self, x: &[f32], out: &mut [f32], p: usize) {
        let (cin, cout) = (self.cin, self.cout);
        let rows: [*const f32; R] = std::array::from_fn(|r| x[(p + r) * cin..].as_ptr());
        // SAFETY (whole block): weights and biases are whole blocks (checked by
        // `compute`), the rows hold `cin` values, and stores stay inside each row's
        // `cout` outputs.
        unsafe {
            let (lo, hi) = (L::splat(self.clip[0]), L::splat(self.clip[1]));
            for (b, w) in self.packed.chunks_exact(cin * BLOCK).enumerate() {
                let co0 = b * BLOCK;
                let mut acc = [load::<L, 2>(self.bias.as_ptr().add(co0)); R];
                let w = w.as_ptr();
                for ci in 0..cin {
                    let k = load::<L, 2>(w.add(ci * BLOCK));
                    for r in 0..R {
                        madd(&mut acc[r], [L::splat(*rows[r].add(ci)); 2], k);
                    }
                }
                let width = (cout - co0).min(BLOCK);
                for (r, acc) in acc.into_iter().enumerate() {
                    let o = out.as_mut_ptr().add((p + r) * cout + co0);
                    if width == BLOCK {
                        store_clamped(acc, o, lo, hi);
                    } else {
                        let mut tail = [0f32; BLOCK];
                        store_clamped(acc, tail.as_mut_ptr(), lo, hi);
                        std::ptr::copy_nonoverlapping(tail.as_ptr(), o, width);
                    }
                }
            }
        }
    }
}

/// Pixels in tiles of `PIXELS` (then one at a time); in each tile, every block of
/// output channels as two lanes of eight. With 16-lane (AVX-512) lanes, the kernel of
/// `avx512` instead, whose tiles suit 32 registers.
impl Kernel for ChannelLastPointwise {
    #[inline(always)]
    unsafe fn run<L: Lanes>(&self, x: &[f32], out: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if L::N == 16 {
            // SAFETY: 16-lane lanes are `Avx512`, which `dispatch` gives only on a CPU
            // with AVX-512; the sizes are the caller's promise.
            return unsafe { avx512::compute(self, x, out) };
        }
        const { assert!(2 * L::N == BLOCK || L::N == 16, "a block of output channels is two lanes") };
        let mut p = 0;
        while p + PIXELS <= self.pixels {
            // SAFETY: pixels `p..p + PIXELS` exist.
            unsafe { self.tile::<L, PIXELS>(x, out, p) };
            p += PIXELS;
        }
        while p < self.pixels {
            // SAFETY: pixel `p` exists.
            unsafe { self.tile::<L, 1>(x, out, p) };
            p += 1;
        }
    }
}

/// The layer with AVX-512 where the CPU has it (onnxruntime's matrix products use it
/// there too): a block of [`BLOCK`] output channels is one 16-lane register, and a tile
/// is [`avx512::PIXELS`] pixels by two blocks, 24 accumulators of the 32 registers.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{ChannelLastPointwise, BLOCK};
    use std::arch::x86_64::*;

    /// Output pixels computed together.
    pub const PIXELS: usize = 12;

    /// [`ChannelLastPointwise::compute`] with AVX-512.
    ///
    /// # Safety
    /// The CPU has AVX-512F; `x` holds `pixels * cin` values, `out` `pixels * cout`, and
    /// the op's weights and biases are whole blocks.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn compute(op: &ChannelLastPointwise, x: &[f32], out: &mut [f32]) {
        let blocks = op.cout.div_ceil(BLOCK);
        let full = op.pixels / PIXELS * PIXELS;
        // SAFETY (all): pixels and blocks in range, as the caller promises.
        unsafe {
            for p in (0..full).step_by(PIXELS) {
                row_of_blocks::<PIXELS>(op, x, out, p, blocks);
            }
            for p in full..op.pixels {
                row_of_blocks::<1>(op, x, out, p, blocks);
            }
        }
    }

    /// Pixels `p..p + R`, every block: two at a time, then a last one.
    #[inline(always)]
    unsafe fn row_of_blocks<const R: usize>(op: &ChannelLastPointwise, x: &[f32], out: &mut [f32], p: usize, blocks: usize) {
        let mut b = 0;
        // SAFETY: as `compute`'s caller promises.
        unsafe {
            while b + 2 <= blocks {
                tile::<R, 2>(op, x, out, p, b);
                b += 2;
            }
            if b < blocks {
                tile::<R, 1>(op, x, out, p, b);
            }
        }
    }

    /// Pixels `p..p + R`, blocks `b..b + B`.
    #[inline(always)]
    unsafe fn tile<const R: usize, const B: usize>(op: &ChannelLastPointwise, x: &[f32], out: &mut [f32], p: usize, b: usize) {
        let (cin, cout) = (op.cin, op.cout);
        // SAFETY (whole body): the rows hold `cin` values, the blocks `cin * BLOCK`
        // weights and `BLOCK` biases, and stores stay inside each row's `cout` outputs.
        unsafe {
            let mut w = [std::ptr::null::<f32>(); B];
            let mut bias = [_mm512_setzero_ps(); B];
            for j in 0..B {
                w[j] = op.packed.as_ptr().add((b + j) * cin * BLOCK);
                bias[j] = _mm512_loadu_ps(op.bias.as_ptr().add((b + j) * BLOCK));
            }
            let mut rows = [std::ptr::null::<f32>(); R];
            for (r, row) in rows.iter_mut().enumerate() {
                *row = x.as_ptr().add((p + r) * cin);
            }
            let mut acc = [bias; R];
            for ci in 0..cin {
                let mut k = [_mm512_setzero_ps(); B];
                for j in 0..B {
                    k[j] = _mm512_loadu_ps(w[j].add(ci * BLOCK));
                }
                for r in 0..R {
                    let a = _mm512_set1_ps(*rows[r].add(ci));
                    for j in 0..B {
                        acc[r][j] = _mm512_fmadd_ps(a, k[j], acc[r][j]);
                    }
                }
            }
            let (lo, hi) = (_mm512_set1_ps(op.clip[0]), _mm512_set1_ps(op.clip[1]));
            for (r, acc) in acc.iter().enumerate() {
                for (j, &a) in acc.iter().enumerate() {
                    let co0 = (b + j) * BLOCK;
                    let v = _mm512_min_ps(_mm512_max_ps(a, lo), hi);
                    let o = out.as_mut_ptr().add((p + r) * cout + co0);
                    let width = (cout - co0).min(BLOCK);
                    if width == BLOCK {
                        _mm512_storeu_ps(o, v);
                    } else {
                        _mm512_mask_storeu_ps(o, ((1u32 << width) - 1) as __mmask16, v);
                    }
                }
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
    let shape = if rank == 4 { tvec!(1, h, w, cout) } else { tvec!(h, w, cout) };
    Ok(Some(ChannelLastPointwise::new(h * w, cin, cout, view.as_slice::<f32>()?, &bias, shape, channel_last)))
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
        // Output channels 16 + 11 (a last block filled up), 16, 8, 5 and 16 + 16 + 8 (a pair
        // of blocks and one, for AVX-512); pixel counts with and without a tile tail, for
        // tiles of 6 (lanes) and of 12 (AVX-512).
        for (pixels, cin, cout, clip) in
            [(13, 7, 27, [0.0, 6.0]), (12, 16, 16, [f32::NEG_INFINITY, f32::INFINITY]), (5, 3, 8, [-1.0, 1.0]), (7, 33, 5, [0.0, 0.5]), (25, 20, 40, [0.0, 6.0])]
        {
            let x: Vec<f32> = (0..pixels * cin).map(|i| ((i * 37 % 101) as f32 - 50.0) / 17.0).collect();
            let w: Vec<f32> = (0..cout * cin).map(|i| ((i * 13 % 29) as f32 - 14.0) / 9.0).collect();
            let bias: Vec<f32> = (0..cout).map(|i| i as f32 * 0.1 - 1.0).collect();
            let op = ChannelLastPointwise { clip, ..ChannelLastPointwise::new(pixels, cin, cout, &w, &bias, tvec!(1, 1, pixels, cout), true) };
            // The best path this CPU has (AVX-512 where there is), AVX2 lanes where the
            // CPU has them, then the plain lanes (the fallback elsewhere).
            for path in ["best", "avx2", "plain"] {
                let mut got = vec![f32::NAN; pixels * cout];
                match path {
                    "best" => op.compute(&x, &mut got),
                    #[cfg(target_arch = "x86_64")]
                    "avx2" if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") => {
                        // SAFETY: the buffers have the layer's sizes; the CPU has AVX2 and FMA.
                        unsafe { op.run::<crate::lanes::Avx2>(&x, &mut got) }
                    }
                    "avx2" => continue,
                    // SAFETY: the buffers have the layer's sizes; plain lanes need no CPU feature.
                    _ => unsafe { op.run::<crate::lanes::Plain>(&x, &mut got) },
                }
                for p in 0..pixels {
                    for co in 0..cout {
                        let want = (0..cin).map(|ci| x[p * cin + ci] as f64 * w[co * cin + ci] as f64).sum::<f64>() + bias[co] as f64;
                        let want = (want as f32).max(clip[0]).min(clip[1]);
                        let g = got[p * cout + co];
                        assert!((g - want).abs() <= 1e-4 * want.abs().max(1.0), "{path} {pixels}x{cin}->{cout}: {g} vs {want} at pixel {p} channel {co}");
                    }
                }
            }
        }
    }
}
