//! Writes each registry architecture as an ONNX graph from its trained weights: batch
//! norm folded into the preceding convolution, ReLU6 as `Clip`, channel attention as
//! `GlobalAveragePool -> Conv -> Relu -> Conv -> Sigmoid -> Mul`. The structure mirrors
//! the `tch` builders in `crate::model`; the parity gate checks that it does.

use anyhow::{Context, Result, bail};
use tract_onnx::pb;

use super::graph::{Graph, Weights};
use crate::model::resnet::{self, BasicBlock};
use crate::model::{BN_EPS, ModelSpec, attention_lstm, make_divisible, mobilenetv2, resco_mini};

/// How weights are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightForm {
    /// f32 initializers.
    Float,
    /// Symmetric per-output-channel int8 initializers, each followed by a
    /// `DequantizeLinear` that an engine can fold at load.
    Int8WeightOnly,
    /// A calibrated int8 form: the float graph rewritten by [`super::quantize`].
    Int8Static(super::quantize::StaticForm),
}

impl WeightForm {
    /// The `--int8-form` names.
    pub const NAMES: [&'static str; 4] = ["weights-only", "qdq-tensor", "qdq-channel", "qlinear"];

    /// The form named `name` (one of [`WeightForm::NAMES`]).
    pub fn int8(name: &str) -> Option<WeightForm> {
        use super::quantize::StaticForm::*;
        Some(match name {
            "weights-only" => WeightForm::Int8WeightOnly,
            "qdq-tensor" => WeightForm::Int8Static(QdqPerTensor),
            "qdq-channel" => WeightForm::Int8Static(QdqPerChannel),
            "qlinear" => WeightForm::Int8Static(QLinear),
            _ => return None,
        })
    }

    /// Whether the weights are int8.
    pub fn is_int8(self) -> bool {
        self != WeightForm::Float
    }
}

struct Emitter<'a> {
    g: Graph,
    w: &'a Weights,
    form: WeightForm,
}

impl Emitter<'_> {
    fn get(&self, name: &str) -> Result<&(Vec<i64>, Vec<f32>)> {
        self.w.get(name).with_context(|| format!("the checkpoint has no variable '{name}'"))
    }

    /// A weight tensor (conv `[out, in, k, k]` or linear `[out, in]`) in the chosen form.
    fn weight(&mut self, hint: &str, dims: &[i64], data: Vec<f32>) -> String {
        match self.form {
            WeightForm::Float | WeightForm::Int8Static(_) => self.g.constant(hint, dims, data),
            WeightForm::Int8WeightOnly => {
                let per = data.len() / dims[0] as usize;
                let mut q = Vec::with_capacity(data.len());
                let mut scales = Vec::with_capacity(dims[0] as usize);
                for row in data.chunks(per) {
                    let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
                    let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
                    scales.push(scale);
                    q.extend(row.iter().map(|v| (v / scale).round().clamp(-127.0, 127.0) as i8));
                }
                let qn = self.g.constant_i8(&format!("{hint}_q"), dims, &q);
                let sn = self.g.constant(&format!("{hint}_scale"), &[dims[0]], scales);
                let zn = self.g.constant_i8(&format!("{hint}_zero"), &[dims[0]], &vec![0i8; dims[0] as usize]);
                let axis = shared::onnx_builder::attr_int("axis", 0);
                self.g.node("DequantizeLinear", &[&qn, &sn, &zn], vec![axis])
            }
        }
    }

    /// Convolution `conv` (no bias) followed by batch norm `bn`, folded into one `Conv`.
    fn conv_bn(&mut self, x: &str, conv: &str, bn: &str, kernel: i64, stride: i64, groups: i64) -> Result<String> {
        let (dims, w) = self.get(&format!("{conv}.weight"))?.clone();
        let gamma = &self.get(&format!("{bn}.weight"))?.1;
        let beta = &self.get(&format!("{bn}.bias"))?.1;
        let mean = &self.get(&format!("{bn}.running_mean"))?.1;
        let var = &self.get(&format!("{bn}.running_var"))?.1;
        let out = dims[0] as usize;
        let per = w.len() / out;
        let scale: Vec<f32> = (0..out).map(|c| gamma[c] / (var[c] + BN_EPS as f32).sqrt()).collect();
        let folded: Vec<f32> = w.iter().enumerate().map(|(i, v)| v * scale[i / per]).collect();
        let bias: Vec<f32> = (0..out).map(|c| beta[c] - mean[c] * scale[c]).collect();
        let wn = self.weight(&format!("{conv}.w"), &dims, folded);
        let bn_ = self.g.constant(&format!("{conv}.b"), &[dims[0]], bias);
        Ok(self.g.conv(x, &wn, &bn_, kernel, stride, groups))
    }

    /// A stride-1 convolution with its own bias (`prefix.weight`, `prefix.bias`) and
    /// `pad` pixels of padding.
    fn conv_bias(&mut self, x: &str, prefix: &str, kernel: i64, pad: i64) -> Result<String> {
        let (dims, w) = self.get(&format!("{prefix}.weight"))?.clone();
        let b = self.get(&format!("{prefix}.bias"))?.1.clone();
        let wn = self.weight(&format!("{prefix}.w"), &dims, w);
        let bn = self.g.constant(&format!("{prefix}.b"), &[dims[0]], b);
        Ok(self.g.conv_padded(x, &wn, &bn, kernel, 1, pad, 1))
    }

    fn linear(&mut self, x: &str, prefix: &str) -> Result<String> {
        let (dims, w) = self.get(&format!("{prefix}.weight"))?.clone();
        let b = self.get(&format!("{prefix}.bias"))?.1.clone();
        let wn = self.weight(&format!("{prefix}.w"), &dims, w);
        let bn = self.g.constant(&format!("{prefix}.b"), &[dims[0]], b);
        Ok(self.g.gemm(x, &wn, &bn))
    }

    fn attention(&mut self, x: &str, prefix: &str) -> Result<String> {
        let pooled = self.g.node("GlobalAveragePool", &[x], vec![]);
        let a = self.conv_bias(&pooled, &format!("{prefix}.fc1"), 1, 0)?;
        let a = self.g.node("Relu", &[&a], vec![]);
        let a = self.conv_bias(&a, &format!("{prefix}.fc2"), 1, 0)?;
        let a = self.g.node("Sigmoid", &[&a], vec![]);
        Ok(self.g.node("Mul", &[x, &a], vec![]))
    }

    fn mobilenetv2(&mut self, x: &str, spec: &ModelSpec, attention: bool) -> Result<String> {
        let mut cin = make_divisible(32.0 * spec.width, 8);
        let y = self.conv_bn(x, "features.0.0", "features.0.1", 3, 2, 1)?;
        let mut x = self.g.clip(&y, 0.0, 6.0);
        let mut index = 1;
        for (stage, (t, c, n, s)) in mobilenetv2::STAGES.into_iter().enumerate() {
            let cout = make_divisible(c as f64 * spec.width, 8);
            for i in 0..n {
                let stride = if i == 0 { s } else { 1 };
                let p = format!("features.{index}.conv");
                let hidden = cin * t;
                let mut y = x.clone();
                let mut j = 0;
                if t != 1 {
                    y = self.conv_bn(&y, &format!("{p}.0.0"), &format!("{p}.0.1"), 1, 1, 1)?;
                    y = self.g.clip(&y, 0.0, 6.0);
                    j = 1;
                }
                y = self.conv_bn(&y, &format!("{p}.{j}.0"), &format!("{p}.{j}.1"), 3, stride, hidden)?;
                y = self.g.clip(&y, 0.0, 6.0);
                y = self.conv_bn(&y, &format!("{p}.{}", j + 1), &format!("{p}.{}", j + 2), 1, 1, 1)?;
                if stride == 1 && cin == cout {
                    y = self.g.node("Add", &[&x, &y], vec![]);
                }
                x = y;
                cin = cout;
                index += 1;
            }
            if attention && stage > 0 {
                x = self.attention(&x, &format!("attention.{stage}"))?;
            }
        }
        let y = self.conv_bn(&x, &format!("features.{index}.0"), &format!("features.{index}.1"), 1, 1, 1)?;
        let y = self.g.clip(&y, 0.0, 6.0);
        let y = self.g.node("GlobalAveragePool", &[&y], vec![]);
        let y = self.g.flatten(&y);
        self.linear(&y, "classifier.1")
    }

    fn custom_cnn(&mut self, x: &str) -> Result<String> {
        let mut x = x.to_string();
        for i in 0..4 {
            let b = format!("features.{i}");
            let y = self.conv_bn(&x, &format!("{b}.conv"), &format!("{b}.bn"), 3, 1, 1)?;
            let y = self.g.node("Relu", &[&y], vec![]);
            let y = self.attention(&y, &format!("{b}.attention"))?;
            x = self.g.max_pool(&y, 2);
        }
        let y = self.g.flatten(&x);
        let y = self.linear(&y, "head.fc1")?;
        let y = self.g.node("Relu", &[&y], vec![]);
        self.linear(&y, "head.fc2")
    }

    /// Linear `linear` applied to the output of the 1-D batch norm `bn`, the batch norm
    /// folded into it: `W (a x + c) + b = (W diag(a)) x + (W c + b)`.
    fn linear_after_bn(&mut self, x: &str, linear: &str, bn: &str) -> Result<String> {
        let (dims, w) = self.get(&format!("{linear}.weight"))?.clone();
        let b = &self.get(&format!("{linear}.bias"))?.1;
        let gamma = &self.get(&format!("{bn}.weight"))?.1;
        let beta = &self.get(&format!("{bn}.bias"))?.1;
        let mean = &self.get(&format!("{bn}.running_mean"))?.1;
        let var = &self.get(&format!("{bn}.running_var"))?.1;
        let inputs = dims[1] as usize;
        let a: Vec<f32> = (0..inputs).map(|i| gamma[i] / (var[i] + BN_EPS as f32).sqrt()).collect();
        let c: Vec<f32> = (0..inputs).map(|i| beta[i] - mean[i] * a[i]).collect();
        let folded: Vec<f32> = w.iter().enumerate().map(|(k, v)| v * a[k % inputs]).collect();
        let bias: Vec<f32> =
            w.chunks(inputs).zip(b).map(|(row, b)| b + row.iter().zip(&c).map(|(w, c)| w * c).sum::<f32>()).collect();
        let wn = self.weight(&format!("{linear}.w"), &dims, folded);
        let bn_ = self.g.constant(&format!("{linear}.b"), &[dims[0]], bias);
        Ok(self.g.gemm(x, &wn, &bn_))
    }

    /// A residual basic block (ResNet18, ResCo-Mini) under `p`.
    fn basic_block(&mut self, x: &str, p: &str, cin: i64, cout: i64, stride: i64) -> Result<String> {
        let y = self.conv_bn(x, &format!("{p}.conv1"), &format!("{p}.bn1"), 3, stride, 1)?;
        let y = self.g.node("Relu", &[&y], vec![]);
        let y = self.conv_bn(&y, &format!("{p}.conv2"), &format!("{p}.bn2"), 3, 1, 1)?;
        let shortcut = if BasicBlock::projects(cin, cout, stride) {
            self.conv_bn(x, &format!("{p}.downsample.0"), &format!("{p}.downsample.1"), 1, stride, 1)?
        } else {
            x.to_string()
        };
        let y = self.g.node("Add", &[&y, &shortcut], vec![]);
        Ok(self.g.node("Relu", &[&y], vec![]))
    }

    /// ResNet18's convolutional body under `prefix` (`""` at the root), with channel
    /// attention after each residual layer when `attention`.
    fn resnet_body(&mut self, x: &str, prefix: &str, attention: bool) -> Result<String> {
        let p = |name: &str| {
            if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") }
        };
        let y = self.conv_bn(x, &p("conv1"), &p("bn1"), 7, 2, 1)?;
        let y = self.g.node("Relu", &[&y], vec![]);
        let mut x = self.g.pool("MaxPool", &y, 3, 2, 1);
        let mut cin = 64;
        for (i, (cout, stride)) in resnet::LAYERS.into_iter().enumerate() {
            let layer = p(&format!("layer{}", i + 1));
            x = self.basic_block(&x, &format!("{layer}.0"), cin, cout, stride)?;
            x = self.basic_block(&x, &format!("{layer}.1"), cout, cout, 1)?;
            if attention {
                x = self.attention(&x, &p(&format!("attention{}", i + 1)))?;
            }
            cin = cout;
        }
        Ok(x)
    }

    fn resnet18(&mut self, x: &str, attention: bool) -> Result<String> {
        let y = self.resnet_body(x, "", attention)?;
        let y = self.g.node("GlobalAveragePool", &[&y], vec![]);
        let y = self.g.flatten(&y);
        self.linear(&y, "fc")
    }

    fn resco_mini(&mut self, x: &str) -> Result<String> {
        let y = self.conv_bn(x, "stem.conv", "stem.bn", 3, 1, 1)?;
        let mut x = self.g.node("Relu", &[&y], vec![]);
        let mut cin = resco_mini::STEM;
        for (i, (cout, stride)) in resco_mini::BLOCKS.into_iter().enumerate() {
            x = self.basic_block(&x, &format!("block{}", i + 1), cin, cout, stride)?;
            cin = cout;
        }
        let y = self.g.node("GlobalAveragePool", &[&x], vec![]);
        let y = self.g.flatten(&y);
        self.linear(&y, "fc")
    }

    fn lenet5(&mut self, x: &str) -> Result<String> {
        let y = self.conv_bias(x, "conv1", 5, 2)?;
        let y = self.g.node("Tanh", &[&y], vec![]);
        let y = self.g.pool("AveragePool", &y, 2, 2, 0);
        let y = self.conv_bias(&y, "conv2", 5, 0)?;
        let y = self.g.node("Tanh", &[&y], vec![]);
        let y = self.g.pool("AveragePool", &y, 2, 2, 0);
        let mut y = self.g.flatten(&y);
        for fc in ["fc1", "fc2"] {
            y = self.linear(&y, fc)?;
            y = self.g.node("Tanh", &[&y], vec![]);
        }
        self.linear(&y, "fc3")
    }

    fn alexnet(&mut self, x: &str) -> Result<String> {
        let mut y = x.to_string();
        for (conv, k, pool) in
            [("conv1", 11, true), ("conv2", 5, true), ("conv3", 3, false), ("conv4", 3, false), ("conv5", 3, false)]
        {
            y = self.conv_bias(&y, conv, k, (k - 1) / 2)?;
            y = self.g.node("Relu", &[&y], vec![]);
            if pool {
                y = self.g.pool("MaxPool", &y, 3, 2, 0);
            }
        }
        let mut y = self.g.flatten(&y);
        for fc in ["fc6", "fc7"] {
            y = self.linear(&y, fc)?;
            y = self.g.node("Relu", &[&y], vec![]);
        }
        self.linear(&y, "fc8")
    }

    /// One bidirectional LSTM layer of `lstm` over `x` (`[T, 1, in]`) -> `[T, 1, 2H]`.
    fn lstm_layer(&mut self, x: &str, layer: usize) -> Result<String> {
        let h = attention_lstm::HIDDEN as usize;
        // PyTorch stacks the gates i, f, g, o; ONNX wants i, o, f, c.
        let reorder = |v: &[f32], per_gate: usize| -> Vec<f32> {
            [0, 3, 1, 2].iter().flat_map(|g| v[g * per_gate..(g + 1) * per_gate].iter().copied()).collect()
        };
        let (mut w, mut r, mut b, mut w_in) = (Vec::new(), Vec::new(), Vec::new(), 0);
        for suffix in ["", "_reverse"] {
            let (dims, wi) = self.get(&format!("lstm.weight_ih_l{layer}{suffix}"))?.clone();
            w_in = dims[1];
            w.extend(reorder(&wi, h * dims[1] as usize));
            r.extend(reorder(&self.get(&format!("lstm.weight_hh_l{layer}{suffix}"))?.1.clone(), h * h));
            b.extend(reorder(&self.get(&format!("lstm.bias_ih_l{layer}{suffix}"))?.1.clone(), h));
            b.extend(reorder(&self.get(&format!("lstm.bias_hh_l{layer}{suffix}"))?.1.clone(), h));
        }
        let h = h as i64;
        let wn = self.weight(&format!("lstm.w{layer}"), &[2, 4 * h, w_in], w);
        let rn = self.weight(&format!("lstm.r{layer}"), &[2, 4 * h, h], r);
        let bn = self.g.constant(&format!("lstm.b{layer}"), &[2, 8 * h], b);
        let y = self.g.lstm_bidirectional(x, &wn, &rn, &bn, h);
        // Y is [T, 2, 1, H]: put the directions beside each other, as PyTorch does.
        let y = self.g.transpose(&y, &[0, 2, 1, 3]);
        Ok(self.g.reshape(&y, &[0, 1, 2 * h]))
    }

    fn attention_lstm(&mut self, x: &str) -> Result<String> {
        let f = self.resnet_body(x, "feature_extractor", false)?;
        // [1, 512, h, w] -> [h*w, 1, 512]: the positions as a sequence (ONNX LSTMs are
        // sequence-first).
        let f = self.g.reshape(&f, &[1, attention_lstm::FEATURES, -1]);
        let mut seq = self.g.transpose(&f, &[2, 0, 1]);
        for layer in 0..attention_lstm::LSTM_LAYERS as usize {
            seq = self.lstm_layer(&seq, layer)?;
        }
        // Attention over the T positions, in [T, 2H].
        let seq = self.g.reshape(&seq, &[-1, 2 * attention_lstm::HIDDEN]);
        let a = self.linear(&seq, "attention.0")?;
        let a = self.g.node("Tanh", &[&a], vec![]);
        let a = self.linear(&a, "attention.2")?;
        let a = self.g.softmax(&a, 0);
        let weighted = self.g.node("Mul", &[&seq, &a], vec![]);
        let context = self.g.reduce_sum(&weighted, &[0]);
        let context = self.g.reshape(&context, &[1, 2 * attention_lstm::HIDDEN]);
        let y = self.linear(&context, "classifier.0")?;
        let y = self.g.node("Relu", &[&y], vec![]);
        let y = self.linear_after_bn(&y, "classifier.4", "classifier.2")?;
        let y = self.g.node("Relu", &[&y], vec![]);
        self.linear_after_bn(&y, "classifier.8", "classifier.6")
    }

    fn mlp(&mut self, x: &str) -> Result<String> {
        let y = self.g.flatten(x);
        let y = self.linear(&y, "hidden")?;
        let y = self.g.node("Sigmoid", &[&y], vec![]);
        self.linear(&y, "output")
    }
}

/// The ONNX model of a landmark classifier ([`crate::model::landmark_mlp`]): input
/// `[1, 1, 1, features]` flattened, then each of the `members` networks' linear layers
/// with ReLU between them, and output `logits` of shape `[1, outputs]`, their mean.
pub fn landmark_mlp(w: &Weights, features: i64, outputs: i64, members: usize, form: WeightForm) -> Result<pb::ModelProto> {
    use crate::model::landmark_mlp::{LINEAR, member};
    let mut e = Emitter { g: Graph::default(), w, form };
    let x = e.g.flatten("input");
    let mut logits = Vec::with_capacity(members);
    for k in 0..members.max(1) {
        let mut y = x.clone();
        for (i, name) in LINEAR.iter().enumerate() {
            y = e.linear(&y, &format!("{}.{name}", member(k)))?;
            if i + 1 < LINEAR.len() {
                y = e.g.node("Relu", &[&y], vec![]);
            }
        }
        logits.push(y);
    }
    // The ensemble's logits: the members' mean.
    let mut y = logits[0].clone();
    for l in &logits[1..] {
        y = e.g.node("Add", &[&y, l], vec![]);
    }
    if logits.len() > 1 {
        let scale = e.g.constant("ensemble.scale", &[1], vec![1.0 / logits.len() as f32]);
        y = e.g.node("Mul", &[&y, &scale], vec![]);
    }
    Ok(e.g.into_model("input", &[1, 1, 1, features], &y, &[1, outputs]))
}

/// The ONNX model of `spec` with weights `w`, input `input` of fixed shape
/// `[1, C, S, S]` and output `logits` of shape `[1, outputs]`.
pub fn model(spec: &ModelSpec, w: &Weights, form: WeightForm) -> Result<pb::ModelProto> {
    let mut e = Emitter { g: Graph::default(), w, form };
    let input = "input";
    let out = match spec.arch.as_str() {
        "mobilenetv2" => e.mobilenetv2(input, spec, false)?,
        "mobilenetv2-ca" => e.mobilenetv2(input, spec, true)?,
        "custom-cnn" => e.custom_cnn(input)?,
        "resnet18" => e.resnet18(input, false)?,
        "resnet18-ca" => e.resnet18(input, true)?,
        "resco-mini" => e.resco_mini(input)?,
        "lenet5" => e.lenet5(input)?,
        "alexnet" => e.alexnet(input)?,
        "attention-lstm" => e.attention_lstm(input)?,
        "mlp" => e.mlp(input)?,
        other => bail!("export does not know architecture '{other}' yet"),
    };
    let s = spec.input_size;
    Ok(e.g.into_model(input, &[1, spec.in_channels, s, s], &out, &[1, spec.outputs()]))
}
