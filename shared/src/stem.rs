//! A channel-last convolution for the first layer of a network, where the input has only
//! a few channels (RGB), for tract plans (feature `tract`).
//!
//! tract computes such a layer as an im2col product: it pads the whole picture into a new
//! tensor, gathers every pixel's taps into a matrix and multiplies that by the weights.
//! With 3 input channels the matrix is as large as the output and the product is short
//! (k = 27 for a 3x3 kernel), so MediaPipe's landmark model spent 1.8 ms of its 7.9 on its
//! first layer and the padding before it, the palm detector 1.2 ms (`device profile
//! --hands`). This op reads the picture in place: for each output pixel, each tap and
//! input channel is one value times a row of weights, added to all output channels at
//! once (written over [`crate::lanes`]: AVX2+FMA picked at run time on x86-64, NEON on
//! aarch64, AVX-512 when the output channels come in sixteens and the CPU has it), with
//! the padding skipped rather than stored, and the bias and clip applied before storing.
//!
//! [`rewrite`] puts it in place of every float `Conv` of a decluttered model with at most
//! [`MAX_CIN`] input channels, one group and constant weights, between the axis moves
//! that [`crate::depthwise::rewrite`] also uses, and [`fuse_clips`] folds a following
//! `Max`/`Min` with constant bounds into it.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::model::Rewriter;
use tract_onnx::tract_core::ops::cnn::conv::{Conv, KernelFormat};
use tract_onnx::tract_core::ops::nn::DataFormat;

use crate::depthwise::{channel_last_patch, clip_patch, inside_columns, konst, taps_inside};
use crate::lanes::{blocks, load, madd, store_clamped, Block, Kernel, Lanes};

/// Output pixels computed together inside the picture: each weight load serves as many.
const PIXELS: usize = 4;

/// The most input channels the op takes (the layer is a stem: RGB or RGBA).
pub const MAX_CIN: usize = 4;

/// The largest kernel (taps) the op takes: 7x7.
const MAX_TAPS: usize = 49;

/// A convolution of a few input channels on `[1, H, W, Cin]` (or `[H, W, Cin]`) f32 data
/// with its weights, bias and output clip inside.
#[derive(Debug, Clone)]
pub struct ChannelLastStem {
    /// Input height, width and channels.
    pub input: [usize; 3],
    /// Output height, width and channels.
    pub output: [usize; 3],
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Vertical and horizontal stride.
    pub stride: [usize; 2],
    /// Padding before (top, left).
    pub pad: [usize; 2],
    /// Weights, tap- then input-channel-major: `[kh * kw * Cin][Cout]`.
    pub weights: Vec<f32>,
    /// One bias per output channel.
    pub bias: Vec<f32>,
    /// Output bounds (`-inf, inf` when nothing is clipped).
    pub clip: [f32; 2],
    /// Rank of the data (4 with a batch axis of 1, else 3).
    pub rank: usize,
    /// Whether the `Conv` it replaced was already channel-last (no axis moves around it).
    pub channel_last: bool,
}

impl PartialEq for ChannelLastStem {
    fn eq(&self, o: &Self) -> bool {
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        (self.input, self.output, self.kernel, self.stride, self.pad, self.rank, self.channel_last)
            == (o.input, o.output, o.kernel, o.stride, o.pad, o.rank, o.channel_last)
            && bits(&self.weights) == bits(&o.weights)
            && bits(&self.bias) == bits(&o.bias)
            && bits(&self.clip) == bits(&o.clip)
    }
}
impl Eq for ChannelLastStem {}

impl ChannelLastStem {
    fn output_shape(&self) -> TVec<usize> {
        let [oh, ow, co] = self.output;
        if self.rank == 4 { tvec!(1, oh, ow, co) } else { tvec!(oh, ow, co) }
    }

    /// Computes the layer into `out` (`oh * ow * Cout` values).
    pub fn compute(&self, x: &[f32], out: &mut [f32]) {
        let ([h, w, ci], [oh, ow, co], [kh, kw]) = (self.input, self.output, self.kernel);
        assert!(x.len() >= h * w * ci && out.len() >= oh * ow * co, "stem buffers too short");
        assert!(self.weights.len() == kh * kw * ci * co && self.bias.len() == co && ci <= MAX_CIN);
        // SAFETY: the lengths were checked above; `taps_inside` and `inside_columns`
        // keep every tap inside the picture.
        unsafe { crate::lanes::dispatch(self, x, out, co % 16 == 0) }
    }

    /// Output channels `c0..c0 + V * L::N` of output row `oy`. Inside the picture (no
    /// tap outside it) output pixels go [`PIXELS`] at a time, so each weight load serves
    /// that many multiply-adds; the border goes pixel by pixel.
    ///
    /// # Safety
    /// As [`Kernel::run`], and the channels exist.
    #[inline(always)]
    unsafe fn row<L: Lanes, const V: usize>(&self, x: &[f32], out: &mut [f32], oy: usize, c0: usize) {
        let [h, w, ci] = self.input;
        let [_, ow, co] = self.output;
        let [kh, kw] = self.kernel;
        let [sy, sx] = self.stride;
        let [py, px] = self.pad;
        // SAFETY (whole body): every offset below is a pixel of the picture times `ci`
        // plus an input channel, or an output pixel times `co` plus channels
        // `c0..c0 + V * L::N`.
        unsafe {
            let (x, out) = (x.as_ptr(), out.as_mut_ptr().add(c0));
            let weights = self.weights.as_ptr().add(c0);
            let bias = load::<L, V>(self.bias.as_ptr().add(c0));
            // The weights of tap `t`'s input channel `c`.
            let k = |t: usize, c: usize| load::<L, V>(weights.add((t * ci + c) * co));
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
                        let at = (row + tx as isize) as usize * ci;
                        for c in 0..ci {
                            madd(&mut acc, [L::splat(*x.add(at + c)); V], k(ty * kw + tx, c));
                        }
                    }
                }
                store_clamped(acc, out.add((oy * ow + ox) * co), lo, hi);
            }
            let mut ox = ox_lo;
            while ox + PIXELS <= ox_hi {
                let mut acc = [bias; PIXELS];
                for ty in ky.clone() {
                    let row = (y0 + ty as isize) as usize * w + ox * sx - px;
                    for tx in 0..kw {
                        for c in 0..ci {
                            let k = k(ty * kw + tx, c);
                            for (p, acc) in acc.iter_mut().enumerate() {
                                madd(acc, [L::splat(*x.add((row + p * sx + tx) * ci + c)); V], k);
                            }
                        }
                    }
                }
                for (p, acc) in acc.into_iter().enumerate() {
                    store_clamped(acc, out.add((oy * ow + ox + p) * co), lo, hi);
                }
                ox += PIXELS;
            }
            for ox in ox..ox_hi {
                let mut acc = bias;
                for ty in ky.clone() {
                    let row = (y0 + ty as isize) as usize * w + ox * sx - px;
                    for tx in 0..kw {
                        for c in 0..ci {
                            madd(&mut acc, [L::splat(*x.add((row + tx) * ci + c)); V], k(ty * kw + tx, c));
                        }
                    }
                }
                store_clamped(acc, out.add((oy * ow + ox) * co), lo, hi);
            }
        }
    }
}

/// Row by row of the output; in each row, output channels in the blocks of
/// [`crate::lanes::blocks`] (so the input rows a row of output reads stay in cache while
/// every block reads them).
impl Kernel for ChannelLastStem {
    #[inline(always)]
    unsafe fn run<L: Lanes>(&self, x: &[f32], out: &mut [f32]) {
        let co = self.output[2];
        for oy in 0..self.output[0] {
            for (c0, block) in blocks(co, L::N) {
                // SAFETY: the block's channels exist.
                unsafe {
                    match block {
                        Block::Three => self.row::<L, 3>(x, out, oy, c0),
                        Block::Two => self.row::<L, 2>(x, out, oy, c0),
                        Block::One => self.row::<L, 1>(x, out, oy, c0),
                        Block::Single => self.row::<f32, 1>(x, out, oy, c0),
                    }
                }
            }
        }
    }
}

impl Op for ChannelLastStem {
    fn name(&self) -> StaticName {
        "ChannelLastStem".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!(
            "input {:?} output {:?} kernel {:?} stride {:?} pad {:?} clip {:?}",
            self.input, self.output, self.kernel, self.stride, self.pad, self.clip
        )])
    }

    op_as_typed_op!();
}

impl EvalOp for ChannelLastStem {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let x = args_1!(inputs);
        let view = x.try_as_plain_ram()?;
        let x = view.as_slice::<f32>()?;
        let [h, w, c] = self.input;
        ensure!(x.len() == h * w * c, "stem convolution input has {} values, expected {}", x.len(), h * w * c);
        // SAFETY: `compute` writes every output value before anything reads it (the
        // unit tests fill the output with NaN first and check every value).
        let mut out = unsafe { Tensor::uninitialized::<f32>(&self.output_shape())? };
        self.compute(x, out.try_as_plain_ram_mut()?.as_slice_mut::<f32>()?);
        Ok(tvec!(out.into_tvalue()))
    }
}

impl TypedOp for ChannelLastStem {
    fn output_facts(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok(tvec!(f32::fact(&*self.output_shape())))
    }

    fn cost(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<(Cost, TDim)>> {
        let [oh, ow, co] = self.output;
        let taps = self.kernel[0] * self.kernel[1] * self.input[2];
        Ok(tvec!((Cost::FMA(f32::datum_type()), (oh * ow * co * taps).into())))
    }

    as_op!();
}

/// The op replacing the `Conv` `node`, if it is one this op computes: float, no
/// quantization, one group of at most [`MAX_CIN`] input channels, a concrete shape with a
/// batch of 1, OIHW constant weights, no dilation, a kernel of at most 7x7.
fn replacement(model: &TypedModel, node: &TypedNode, conv: &Conv) -> TractResult<Option<ChannelLastStem>> {
    let spec = &conv.pool_spec;
    let fact = model.outlet_fact(node.inputs[0])?;
    let ok = conv.q_params.is_none()
        && node.inputs.len() == 3
        && fact.datum_type == f32::datum_type()
        && matches!(spec.data_format, DataFormat::NCHW | DataFormat::CHW | DataFormat::NHWC | DataFormat::HWC)
        && conv.kernel_fmt == KernelFormat::OIHW
        && conv.group == 1
        && (1..=MAX_CIN).contains(&spec.input_channels)
        && spec.kernel_shape.len() == 2
        && spec.dilations.as_ref().is_none_or(|d| d.iter().all(|&d| d == 1));
    let Some(shape) = fact.shape.as_concrete().filter(|_| ok) else { return Ok(None) };
    let rank = shape.len();
    if (rank == 4 && shape[0] != 1) || !(rank == 3 || rank == 4) {
        return Ok(None);
    }
    let channel_last = spec.data_format.c_is_last();
    let (ci, h, w) =
        if channel_last { (shape[rank - 1], shape[rank - 3], shape[rank - 2]) } else { (shape[rank - 3], shape[rank - 2], shape[rank - 1]) };
    let co = spec.output_channels;
    let (Some(kernel), Some(bias)) = (konst(model, node.inputs[1]), konst(model, node.inputs[2])) else {
        return Ok(None);
    };
    let [kh, kw] = [spec.kernel_shape[0], spec.kernel_shape[1]];
    if ci != spec.input_channels || kernel.shape() != [co, ci, kh, kw] || kernel.datum_type() != f32::datum_type() || kh * kw > MAX_TAPS {
        return Ok(None);
    }
    let bias = bias.cast_to::<f32>()?;
    let bias = bias.try_as_plain_ram()?.as_slice::<f32>()?.to_vec();
    let bias = match bias.len() {
        1 => vec![bias[0]; co],
        n if n == co => bias,
        _ => return Ok(None),
    };
    let strides = spec.strides.clone().unwrap_or_else(|| tvec!(1, 1));
    let dims = spec.padding.compute(&[h, w], &[kh, kw], &[1, 1], &strides);
    let view = kernel.try_as_plain_ram()?;
    let weights = rows_of_oihw(view.as_slice::<f32>()?, co, ci, [kh, kw]);
    Ok(Some(ChannelLastStem {
        input: [h, w, ci],
        output: [dims[0].convoluted, dims[1].convoluted, co],
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

/// OIHW weights as the op's rows: `[(ky * kw + kx) * Cin + c][O]`.
fn rows_of_oihw(k: &[f32], co: usize, ci: usize, [kh, kw]: [usize; 2]) -> Vec<f32> {
    (0..kh * kw * ci * co)
        .map(|i| {
            let (r, o) = (i / co, i % co);
            let (tap, c) = (r / ci, r % ci);
            k[((o * ci + c) * kh + tap / kw) * kw + tap % kw]
        })
        .collect()
}

fn stem_rule(_: &(), model: &TypedModel, node: &TypedNode, name: &str, conv: &Conv) -> TractResult<Option<TypedModelPatch>> {
    let Some(op) = replacement(model, node, conv)? else { return Ok(None) };
    let (rank, channel_last) = (op.rank, op.channel_last);
    channel_last_patch(model, node, node.inputs[0], name, op, rank, channel_last).map(Some)
}

/// Replaces every `Conv` [`ChannelLastStem`] computes (see there).
pub fn rewrite(model: &mut TypedModel) -> TractResult<()> {
    Rewriter::<()>::default().with_rule_for("channel-last-stem", stem_rule).rewrite(&(), model)
}

fn clip_rule(_: &(), model: &TypedModel, node: &TypedNode, name: &str, op: &ChannelLastStem) -> TractResult<Option<TypedModelPatch>> {
    clip_patch(model, node, name, op.clip, |clip| ChannelLastStem { clip, ..op.clone() })
}

/// Folds each `Max`/`Min` with a constant bound that directly follows a
/// [`ChannelLastStem`] into its clip.
pub fn fuse_clips(model: &mut TypedModel) -> TractResult<()> {
    Rewriter::<()>::default().with_rule_for("channel-last-stem-clip", clip_rule).rewrite(&(), model)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook convolution on NCHW data, clipped.
    #[allow(clippy::too_many_arguments)]
    fn reference(x: &[f32], [h, w, ci]: [usize; 3], k: &[f32], co: usize, kk: usize, bias: &[f32], s: usize, p: usize, clip: [f32; 2]) -> (Vec<f32>, [usize; 2]) {
        let (oh, ow) = ((h + 2 * p - kk) / s + 1, (w + 2 * p - kk) / s + 1);
        let mut out = vec![0.0; co * oh * ow];
        for o in 0..co {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut acc = bias[o] as f64;
                    for c in 0..ci {
                        for ty in 0..kk {
                            for tx in 0..kk {
                                let (iy, ix) = ((oy * s + ty) as isize - p as isize, (ox * s + tx) as isize - p as isize);
                                if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < w {
                                    acc += x[(c * h + iy as usize) * w + ix as usize] as f64 * k[((o * ci + c) * kk + ty) * kk + tx] as f64;
                                }
                            }
                        }
                    }
                    out[(o * oh + oy) * ow + ox] = (acc as f32).max(clip[0]).min(clip[1]);
                }
            }
        }
        (out, [oh, ow])
    }

    #[test]
    fn matches_the_textbook_convolution_at_edges_strides_and_channel_counts() {
        // (Cin, Cout, H, W, kernel, stride, pad, clip): the landmark model's and the palm
        // detector's first layers in small, every kind of channel block
        // (`crate::lanes::blocks`: 24, 16, 8, single), pixel groups.
        for (ci, co, h, w, kk, s, p, clip) in [
            (3, 24, 11, 13, 3, 2, 1, [0.0, 6.0]),
            (3, 32, 12, 12, 5, 2, 2, [f32::NEG_INFINITY, f32::INFINITY]),
            (1, 5, 7, 9, 3, 1, 1, [-1.0, 1.0]),
            (4, 27, 9, 20, 3, 1, 0, [0.0, 0.5]),
            (2, 16, 6, 17, 7, 2, 3, [f32::NEG_INFINITY, f32::INFINITY]),
            (3, 12, 8, 10, 3, 1, 1, [0.0, 6.0]),
        ] {
            let x: Vec<f32> = (0..ci * h * w).map(|i| ((i * 37 % 101) as f32 - 50.0) / 17.0).collect();
            let k: Vec<f32> = (0..co * ci * kk * kk).map(|i| ((i * 13 % 29) as f32 - 14.0) / 9.0).collect();
            let bias: Vec<f32> = (0..co).map(|i| i as f32 * 0.1 - 1.0).collect();
            let (want, [oh, ow]) = reference(&x, [h, w, ci], &k, co, kk, &bias, s, p, clip);
            let op = ChannelLastStem {
                input: [h, w, ci],
                output: [oh, ow, co],
                kernel: [kk, kk],
                stride: [s, s],
                pad: [p, p],
                weights: rows_of_oihw(&k, co, ci, [kk, kk]),
                bias,
                clip,
                rank: 4,
                channel_last: false,
            };
            let nhwc: Vec<f32> = (0..h * w * ci).map(|i| x[(i % ci) * h * w + i / ci]).collect();
            // The best lanes this CPU has, then the plain ones (the fallback elsewhere).
            for plain in [false, true] {
                let mut got = vec![f32::NAN; oh * ow * co];
                if plain {
                    // SAFETY: the buffers have the layer's sizes; plain lanes need no CPU feature.
                    unsafe { op.run::<crate::lanes::Plain>(&nhwc, &mut got) };
                } else {
                    op.compute(&nhwc, &mut got);
                }
                for (i, g) in got.iter().enumerate() {
                    let wanted = want[(i % co) * oh * ow + i / co];
                    assert!((g - wanted).abs() <= 1e-4 * wanted.abs().max(1.0), "ci {ci} co {co} k {kk} s {s}: {g} vs {wanted} at {i}");
                }
            }
        }
    }
}
