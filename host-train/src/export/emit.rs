//! Writes each registry architecture as an ONNX graph from its trained weights: batch
//! norm folded into the preceding convolution, ReLU6 as `Clip`, channel attention as
//! `GlobalAveragePool -> Conv -> Relu -> Conv -> Sigmoid -> Mul`. The structure mirrors
//! the `tch` builders in `crate::model`; the parity gate checks that it does.

use anyhow::{bail, Context, Result};
use tract_onnx::pb;

use super::graph::{Graph, Weights};
use crate::model::{make_divisible, mobilenetv2, ModelSpec, BN_EPS};

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
                let axis = pb::AttributeProto {
                    name: "axis".into(),
                    r#type: pb::attribute_proto::AttributeType::Int as i32,
                    i: 0,
                    ..Default::default()
                };
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

    /// A convolution with its own bias (`prefix.weight`, `prefix.bias`).
    fn conv_bias(&mut self, x: &str, prefix: &str, kernel: i64) -> Result<String> {
        let (dims, w) = self.get(&format!("{prefix}.weight"))?.clone();
        let b = self.get(&format!("{prefix}.bias"))?.1.clone();
        let wn = self.weight(&format!("{prefix}.w"), &dims, w);
        let bn = self.g.constant(&format!("{prefix}.b"), &[dims[0]], b);
        Ok(self.g.conv(x, &wn, &bn, kernel, 1, 1))
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
        let a = self.conv_bias(&pooled, &format!("{prefix}.fc1"), 1)?;
        let a = self.g.node("Relu", &[&a], vec![]);
        let a = self.conv_bias(&a, &format!("{prefix}.fc2"), 1)?;
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

    fn mlp(&mut self, x: &str) -> Result<String> {
        let y = self.g.flatten(x);
        let y = self.linear(&y, "hidden")?;
        let y = self.g.node("Sigmoid", &[&y], vec![]);
        self.linear(&y, "output")
    }
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
        "mlp" => e.mlp(input)?,
        other => bail!("export does not know architecture '{other}' yet"),
    };
    let s = spec.input_size;
    Ok(e.g.into_model(input, &[1, spec.in_channels, s, s], &out, &[1, spec.outputs()]))
}
