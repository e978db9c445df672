//! Static int8 forms: a generic rewrite of the exported float `ModelProto`, so it works
//! for every architecture the emitter writes.
//!
//! Calibration runs the float model in tract over real images with every activation
//! that enters or leaves a `Conv`, `Gemm` or `MatMul` added as a graph output, and keeps
//! each one's min/max. Activations become u8 with a zero point (range widened to hold
//! 0), weights symmetric i8 (zero point 0), biases i32 with scale `x_scale * w_scale`.
//! Three forms:
//!
//! - [`StaticForm::QdqPerTensor`] and [`StaticForm::QdqPerChannel`]: onnxruntime's QDQ
//!   layout, `QuantizeLinear -> DequantizeLinear` on each of those activations and
//!   `DequantizeLinear` of int8 weights (one scale per tensor, or per output channel)
//!   and of i32 biases, the float op left in place for the engine to fuse.
//! - [`StaticForm::QLinear`]: QOperator with standard ops only, `QLinearConv` and
//!   `QLinearMatMul` (each `Gemm` first becomes `MatMul` + `Add`), per-channel weights,
//!   with `QuantizeLinear` / `DequantizeLinear` only where a float op meets a quantized
//!   tensor.
//!
//! Ops the rewrite does not know (pooling, attention's `Mul`, `Sigmoid`, ...) stay float.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;

use anyhow::{bail, Context, Result};
use prost::Message;
use tract_onnx::pb;
use shared::onnx_builder::{FLOAT, INT8, INT32, UINT8, attr_int, f32_tensor, f32s, node, tensor};
use tract_onnx::prelude::*;

/// A static (calibrated) int8 form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaticForm {
    /// QDQ, per-tensor i8 weights, u8 activations.
    QdqPerTensor,
    /// QDQ, per-output-channel i8 weights, u8 activations.
    QdqPerChannel,
    /// `QLinearConv` + `QLinearMatMul`, per-channel i8 weights, u8 activations.
    QLinear,
}

impl StaticForm {
    /// The form as the model card records it.
    pub fn card_form(self) -> &'static str {
        match self {
            StaticForm::QdqPerTensor => "qdq-per-tensor",
            StaticForm::QdqPerChannel => "qdq-per-channel",
            StaticForm::QLinear => "qlinear-per-channel",
        }
    }
}

/// Observed `(min, max)` of each calibrated tensor.
pub type Ranges = HashMap<String, (f32, f32)>;

fn get_int(node: &pb::NodeProto, name: &str) -> Option<i64> {
    node.attribute.iter().find(|a| a.name == name).map(|a| a.i)
}

fn get_float(node: &pb::NodeProto, name: &str) -> Option<f32> {
    node.attribute.iter().find(|a| a.name == name).map(|a| a.f)
}

/// Whether `n` is an op the rewrite quantizes: `Conv`, `Gemm` (no `transA`, alpha and
/// beta 1) or `MatMul`, whose weight (input 1) is a float initializer.
fn quantizable(n: &pb::NodeProto, inits: &HashMap<String, pb::TensorProto>) -> bool {
    let weight_ok = n.input.get(1).and_then(|w| inits.get(w)).is_some_and(|w| w.data_type == FLOAT);
    let ok = match n.op_type.as_str() {
        "Conv" => true,
        "Gemm" => {
            get_int(n, "transA").unwrap_or(0) == 0
                && get_float(n, "alpha").unwrap_or(1.0) == 1.0
                && get_float(n, "beta").unwrap_or(1.0) == 1.0
        }
        "MatMul" => n.input.get(1).and_then(|w| inits.get(w)).is_some_and(|w| w.dims.len() == 2),
        _ => false,
    };
    ok && weight_ok && n.output.len() == 1
}

/// The axis of a weight that indexes output channels: `Conv` `[O, I, k, k]` and
/// `Gemm(transB=1)` `[N, K]` axis 0; `MatMul` and `Gemm(transB=0)` `[K, N]` axis 1.
fn weight_axis(n: &pb::NodeProto) -> usize {
    match n.op_type.as_str() {
        "Conv" => 0,
        "Gemm" if get_int(n, "transB").unwrap_or(0) == 1 => 0,
        _ => 1,
    }
}

fn initializers(g: &pb::GraphProto) -> HashMap<String, pb::TensorProto> {
    g.initializer.iter().map(|t| (t.name.clone(), t.clone())).collect()
}

/// Symmetric i8 quantization of `data` (shape `dims`): one scale, or one per index of
/// `axis`.
fn quantize_weight(data: &[f32], dims: &[i64], axis: Option<usize>) -> (Vec<i8>, Vec<f32>) {
    let (channels, inner) = match axis {
        Some(a) => (dims[a] as usize, dims[a + 1..].iter().product::<i64>() as usize),
        None => (1, data.len()),
    };
    let channel = |i: usize| (i / inner) % channels;
    let mut max = vec![0f32; channels];
    for (i, v) in data.iter().enumerate() {
        let c = channel(i);
        max[c] = max[c].max(v.abs());
    }
    let scales: Vec<f32> = max.iter().map(|m| if *m > 0.0 { m / 127.0 } else { 1.0 }).collect();
    let q = data.iter().enumerate().map(|(i, v)| (v / scales[channel(i)]).round().clamp(-127.0, 127.0) as i8).collect();
    (q, scales)
}

/// u8 scale and zero point of an activation observed in `[lo, hi]` (widened to hold 0,
/// so that 0 is exact).
fn act_params((lo, hi): (f32, f32)) -> (f32, u8) {
    let (lo, hi) = (lo.min(0.0), hi.max(0.0));
    let scale = if hi > lo { (hi - lo) / 255.0 } else { 1.0 };
    (scale, (-lo / scale).round().clamp(0.0, 255.0) as u8)
}

fn i32_bias(bias: &[f32], x_scale: f32, w_scales: &[f32]) -> (Vec<u8>, Vec<f32>) {
    let scales: Vec<f32> = (0..bias.len()).map(|c| x_scale * w_scales[if w_scales.len() == 1 { 0 } else { c }]).collect();
    let q = bias
        .iter()
        .zip(&scales)
        .flat_map(|(b, s)| ((b / s).round().clamp(i32::MIN as f32, i32::MAX as f32) as i32).to_le_bytes())
        .collect();
    (q, scales)
}

/// Every tensor that enters (input 0) or leaves a quantizable node, in graph order.
fn activation_names(g: &pb::GraphProto) -> Vec<String> {
    let inits = initializers(g);
    let mut seen = HashSet::new();
    let mut names = Vec::new();
    for n in g.node.iter().filter(|n| quantizable(n, &inits)) {
        for t in [&n.input[0], &n.output[0]] {
            if seen.insert(t.clone()) {
                names.push(t.clone());
            }
        }
    }
    names
}

/// Rewrites each `Gemm(x, W, b)` the rewrite could quantize into `MatMul(x, W')` (W' as
/// `[K, N]`) followed by `Add(b)`, the form `QLinearMatMul` takes.
pub fn gemm_to_matmul(model: &pb::ModelProto) -> Result<pb::ModelProto> {
    let mut m = model.clone();
    let g = m.graph.as_mut().context("the model has no graph")?;
    let inits = initializers(g);
    let mut nodes = Vec::with_capacity(g.node.len());
    for n in std::mem::take(&mut g.node) {
        if n.op_type != "Gemm" || !quantizable(&n, &inits) {
            nodes.push(n);
            continue;
        }
        let w = &inits[&n.input[1]];
        if w.dims.len() != 2 {
            bail!("Gemm '{}' has a weight of rank {}", n.name, w.dims.len());
        }
        let y = n.output[0].clone();
        let mut name = format!("{}.kn", w.name);
        if get_int(&n, "transB").unwrap_or(0) == 1 {
            let (rows, cols) = (w.dims[0] as usize, w.dims[1] as usize);
            let d = f32s(w);
            let t: Vec<f32> = (0..rows * cols).map(|i| d[(i % rows) * cols + i / rows]).collect();
            name = format!("{y}.weight_kn");
            g.initializer.push(f32_tensor(&name, &[w.dims[1], w.dims[0]], &t));
        } else {
            name.clone_from(&w.name);
        }
        match n.input.get(2).filter(|b| !b.is_empty()) {
            Some(b) => {
                let mm = format!("{y}.matmul");
                nodes.push(node("MatMul", &[&n.input[0], &name], &mm, vec![]));
                nodes.push(node("Add", &[&mm, b], &y, vec![]));
            }
            None => nodes.push(node("MatMul", &[&n.input[0], &name], &y, vec![])),
        }
    }
    g.node = nodes;
    drop_unused_initializers(g);
    Ok(m)
}

fn drop_unused_initializers(g: &mut pb::GraphProto) {
    let used: HashSet<String> = g.node.iter().flat_map(|n| n.input.iter().cloned()).chain(g.output.iter().map(|o| o.name.clone())).collect();
    g.initializer.retain(|t| used.contains(&t.name));
}

/// Runs `model` in tract over `images` (each of shape `shape`) and returns the min/max
/// of every tensor in `names`.
pub fn calibrate(model: &pb::ModelProto, shape: &[usize], images: &[Vec<f32>], names: &[String]) -> Result<Ranges> {
    let mut m = model.clone();
    let g = m.graph.as_mut().context("the model has no graph")?;
    let first = g.output.len();
    g.output.extend(names.iter().map(|n| pb::ValueInfoProto { name: n.clone(), ..Default::default() }));
    let plan = tract_onnx::onnx()
        .model_for_read(&mut Cursor::new(m.encode_to_vec()))
        .context("tract cannot parse the calibration graph")?
        .with_input_fact(0, f32::fact(shape).into())?
        .into_optimized()
        .context("tract cannot optimize the calibration graph")?
        .into_runnable()?;
    let mut ranges: Ranges = HashMap::new();
    for x in images {
        let out = plan.run(tvec!(Tensor::from_shape(shape, x)?.into_tvalue())).context("running the calibration graph")?;
        for (k, name) in names.iter().enumerate() {
            let v = out[first + k].to_plain_array_view::<f32>()?;
            let r = ranges.entry(name.clone()).or_insert((f32::MAX, f32::MIN));
            for x in v.iter() {
                r.0 = r.0.min(*x);
                r.1 = r.1.max(*x);
            }
        }
    }
    Ok(ranges)
}

/// The `form` of the float `model`, calibrated on `images` (each of shape `shape`).
pub fn quantize(model: &pb::ModelProto, form: StaticForm, shape: &[usize], images: &[Vec<f32>]) -> Result<pb::ModelProto> {
    if images.is_empty() {
        bail!("static int8 needs calibration images");
    }
    let model = if form == StaticForm::QLinear { gemm_to_matmul(model)? } else { model.clone() };
    let names = activation_names(model.graph.as_ref().context("the model has no graph")?);
    if names.is_empty() {
        bail!("the model has no Conv, Gemm or MatMul with constant weights to quantize");
    }
    let ranges = calibrate(&model, shape, images, &names)?;
    match form {
        StaticForm::QdqPerTensor => rewrite_qdq(&model, false, &ranges),
        StaticForm::QdqPerChannel => rewrite_qdq(&model, true, &ranges),
        StaticForm::QLinear => rewrite_qlinear(&model, &ranges),
    }
}

fn range<'a>(ranges: &'a Ranges, t: &str) -> Result<&'a (f32, f32)> {
    ranges.get(t).with_context(|| format!("tensor '{t}' was not calibrated"))
}

/// Whether tensor `t` only reaches graph outputs (directly or through `Identity`):
/// the logits stay float.
fn feeds_outputs_only(g: &pb::GraphProto, t: &str) -> bool {
    let outputs: HashSet<&str> = g.output.iter().map(|o| o.name.as_str()).collect();
    if outputs.contains(t) {
        return true;
    }
    let consumers: Vec<&pb::NodeProto> = g.node.iter().filter(|n| n.input.iter().any(|i| i == t)).collect();
    !consumers.is_empty() && consumers.iter().all(|n| n.op_type == "Identity" && outputs.contains(n.output[0].as_str()))
}

/// Adds the scale and zero point initializers of activation `t` (once) and returns
/// their names.
fn act_consts(t: &str, ranges: &Ranges, added: &mut HashMap<String, (String, String)>, inits: &mut Vec<pb::TensorProto>) -> Result<(String, String)> {
    if let Some(c) = added.get(t) {
        return Ok(c.clone());
    }
    let (scale, zp) = act_params(*range(ranges, t)?);
    let (s, z) = (format!("{t}.scale"), format!("{t}.zero_point"));
    inits.push(f32_tensor(&s, &[], &[scale]));
    inits.push(tensor(&z, &[], UINT8, vec![zp]));
    added.insert(t.to_string(), (s.clone(), z.clone()));
    Ok((s, z))
}

/// QDQ: `Q -> DQ` on every activation entering or leaving a quantized op (except the
/// logits), `DQ` of i8 weights and i32 biases.
fn rewrite_qdq(model: &pb::ModelProto, per_channel: bool, ranges: &Ranges) -> Result<pb::ModelProto> {
    let mut m = model.clone();
    let g = m.graph.as_mut().context("the model has no graph")?;
    let inits = initializers(g);
    let quant: Vec<usize> = (0..g.node.len()).filter(|&i| quantizable(&g.node[i], &inits)).collect();
    let mut acts: Vec<String> = Vec::new();
    for &i in &quant {
        let n = &g.node[i];
        for t in [&n.input[0], &n.output[0]] {
            if !acts.contains(t) && !feeds_outputs_only(g, t) {
                acts.push(t.clone());
            }
        }
    }
    let mut new_inits = Vec::new();
    let mut before: HashMap<usize, Vec<pb::NodeProto>> = HashMap::new();
    let mut after: HashMap<usize, Vec<pb::NodeProto>> = HashMap::new();
    let mut at_start = Vec::new();
    for &i in &quant {
        let n = &mut g.node[i];
        let y = n.output[0].clone();
        let w = &inits[&n.input[1]];
        let axis = weight_axis(n);
        let (q, scales) = quantize_weight(&f32s(w), &w.dims, per_channel.then_some(axis));
        let pdims: Vec<i64> = if per_channel { vec![scales.len() as i64] } else { vec![] };
        let axis_attr = || if per_channel { vec![attr_int("axis", axis as i64)] } else { vec![] };
        let (wq, ws, wz, wd) = (format!("{y}.w_q"), format!("{y}.w_scale"), format!("{y}.w_zero"), format!("{y}.w"));
        new_inits.push(tensor(&wq, &w.dims, INT8, q.iter().map(|v| *v as u8).collect()));
        new_inits.push(f32_tensor(&ws, &pdims, &scales));
        new_inits.push(tensor(&wz, &pdims, INT8, vec![0; scales.len()]));
        let mut pre = vec![node("DequantizeLinear", &[&wq, &ws, &wz], &wd, axis_attr())];
        n.input[1] = wd;
        // The bias as i32 on the scale x_scale * w_scale (per channel when the weights are).
        if let Some(b) = n.input.get(2).and_then(|b| inits.get(b)).filter(|b| b.data_type == FLOAT)
            && let Some(r) = ranges.get(&n.input[0])
        {
            let bias = f32s(b);
            let (q, bs) = i32_bias(&bias, act_params(*r).0, &scales);
            let (bq, bsn, bz, bd) = (format!("{y}.b_q"), format!("{y}.b_scale"), format!("{y}.b_zero"), format!("{y}.b"));
            new_inits.push(tensor(&bq, &[bias.len() as i64], INT32, q));
            if per_channel {
                new_inits.push(f32_tensor(&bsn, &[bias.len() as i64], &bs));
                new_inits.push(tensor(&bz, &[bias.len() as i64], INT32, vec![0; 4 * bias.len()]));
            } else {
                new_inits.push(f32_tensor(&bsn, &[], &bs[..1]));
                new_inits.push(tensor(&bz, &[], INT32, vec![0; 4]));
            }
            let attrs = if per_channel { vec![attr_int("axis", 0)] } else { vec![] };
            pre.push(node("DequantizeLinear", &[&bq, &bsn, &bz], &bd, attrs));
            n.input[2] = bd;
        }
        before.insert(i, pre);
    }
    let producer: HashMap<String, usize> =
        g.node.iter().enumerate().flat_map(|(i, n)| n.output.iter().map(move |o| (o.clone(), i))).collect();
    let mut added = HashMap::new();
    let mut rename = HashMap::new();
    for t in &acts {
        let (s, z) = act_consts(t, ranges, &mut added, &mut new_inits)?;
        let (q, dq) = (format!("{t}.q"), format!("{t}.dq"));
        let pair = [node("QuantizeLinear", &[t, &s, &z], &q, vec![]), node("DequantizeLinear", &[&q, &s, &z], &dq, vec![])];
        match producer.get(t) {
            Some(&p) => after.entry(p).or_default().extend(pair),
            None => at_start.extend(pair),
        }
        rename.insert(t.clone(), dq);
    }
    let mut nodes = at_start;
    for (i, mut n) in std::mem::take(&mut g.node).into_iter().enumerate() {
        for inp in n.input.iter_mut() {
            if let Some(r) = rename.get(inp) {
                inp.clone_from(r);
            }
        }
        nodes.extend(before.remove(&i).unwrap_or_default());
        nodes.push(n);
        nodes.extend(after.remove(&i).unwrap_or_default());
    }
    g.node = nodes;
    g.initializer.extend(new_inits);
    drop_unused_initializers(g);
    Ok(m)
}

/// QOperator: `QLinearConv` / `QLinearMatMul` on u8 activations and per-channel i8
/// weights; `QuantizeLinear` where a float tensor enters one, `DequantizeLinear`
/// (named as the float tensor) where a quantized one feeds a float op or an output.
fn rewrite_qlinear(model: &pb::ModelProto, ranges: &Ranges) -> Result<pb::ModelProto> {
    let mut m = model.clone();
    let g = m.graph.as_mut().context("the model has no graph")?;
    let inits = initializers(g);
    let mut new_inits = Vec::new();
    let mut added = HashMap::new();
    // Float tensor -> its u8 form.
    let mut quantized: HashMap<String, String> = HashMap::new();
    // Tensors so far only in u8 form.
    let mut pending: HashSet<String> = HashSet::new();
    let mut nodes = Vec::new();
    let outputs: Vec<String> = g.output.iter().map(|o| o.name.clone()).collect();
    for n in std::mem::take(&mut g.node) {
        let quantize = matches!(n.op_type.as_str(), "Conv" | "MatMul") && quantizable(&n, &inits) && !outputs.contains(&n.output[0]);
        if !quantize {
            for inp in &n.input {
                if pending.remove(inp) {
                    let (s, z) = act_consts(inp, ranges, &mut added, &mut new_inits)?;
                    nodes.push(node("DequantizeLinear", &[&quantized[inp], &s, &z], inp, vec![]));
                }
            }
            nodes.push(n);
            continue;
        }
        let (x, y) = (n.input[0].clone(), n.output[0].clone());
        let (xs, xz) = act_consts(&x, ranges, &mut added, &mut new_inits)?;
        let xq = match quantized.get(&x) {
            Some(q) => q.clone(),
            None => {
                let q = format!("{x}.q");
                nodes.push(node("QuantizeLinear", &[&x, &xs, &xz], &q, vec![]));
                quantized.insert(x.clone(), q.clone());
                q
            }
        };
        let (ys, yz) = act_consts(&y, ranges, &mut added, &mut new_inits)?;
        let w = &inits[&n.input[1]];
        let axis = weight_axis(&n);
        let (q, scales) = quantize_weight(&f32s(w), &w.dims, Some(axis));
        let c = scales.len() as i64;
        let (wq, ws, wz) = (format!("{y}.w_q"), format!("{y}.w_scale"), format!("{y}.w_zero"));
        new_inits.push(tensor(&wq, &w.dims, INT8, q.iter().map(|v| *v as u8).collect()));
        new_inits.push(f32_tensor(&ws, &[c], &scales));
        new_inits.push(tensor(&wz, &[c], INT8, vec![0; c as usize]));
        let yq = format!("{y}.q");
        let mut inputs = vec![xq.as_str(), &xs, &xz, &wq, &ws, &wz, &ys, &yz];
        let bq = format!("{y}.b_q");
        let op = if n.op_type == "Conv" {
            if let Some(b) = n.input.get(2).filter(|b| !b.is_empty()) {
                let b = inits.get(b).filter(|b| b.data_type == FLOAT).with_context(|| format!("Conv '{}' has a bias that is not a float constant", n.name))?;
                let bias = f32s(b);
                let (q, _) = i32_bias(&bias, act_params(*range(ranges, &x)?).0, &scales);
                new_inits.push(tensor(&bq, &[bias.len() as i64], INT32, q));
                inputs.push(&bq);
            }
            "QLinearConv"
        } else {
            "QLinearMatMul"
        };
        nodes.push(node(op, &inputs, &yq, if op == "QLinearConv" { n.attribute.clone() } else { vec![] }));
        quantized.insert(y.clone(), yq);
        pending.insert(y);
    }
    for o in &outputs {
        if pending.remove(o) {
            let (s, z) = act_consts(o, ranges, &mut added, &mut new_inits)?;
            nodes.push(node("DequantizeLinear", &[&quantized[o], &s, &z], o, vec![]));
        }
    }
    g.node = nodes;
    g.initializer.extend(new_inits);
    drop_unused_initializers(g);
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activation_params_hold_zero_exactly() {
        let (s, z) = act_params((-1.0, 3.0));
        assert!((s - 4.0 / 255.0).abs() < 1e-7);
        assert_eq!(((0.0 - -1.0) / s).round() as u8, z);
        assert_eq!(act_params((0.5, 2.0)).1, 0);
        assert_eq!(act_params((-2.0, -0.5)).1, 255);
    }

    #[test]
    fn per_channel_weights_use_their_own_scale() {
        let (q, s) = quantize_weight(&[1.0, -0.25, 0.025, 0.1], &[2, 2], Some(0));
        assert_eq!(q, vec![127, -32, 32, 127]);
        assert!((s[1] - 0.1 / 127.0).abs() < 1e-9);
        let (q, s) = quantize_weight(&[1.0, -0.5, 0.01, 0.02], &[2, 2], None);
        assert_eq!((q, s.len()), (vec![127, -64, 1, 3], 1));
        // [K, N] along axis 1: columns.
        let (_, s) = quantize_weight(&[1.0, 0.1, -2.0, 0.2], &[2, 2], Some(1));
        assert!((s[0] - 2.0 / 127.0).abs() < 1e-7 && (s[1] - 0.2 / 127.0).abs() < 1e-7);
    }
}
