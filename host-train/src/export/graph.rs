//! A small builder of ONNX graphs over `tract_onnx::pb` (standard ops only, opset 13).

use std::collections::HashMap;

use shared::onnx_builder::{self as onnx, attr_int, attr_ints};
use tract_onnx::pb;

/// ONNX opset the exporter writes.
pub const OPSET: i64 = 13;

/// Weights by variable name, as f32 with their shapes.
pub type Weights = HashMap<String, (Vec<i64>, Vec<f32>)>;

/// Builds one graph: nodes in order, initializers, unique names.
#[derive(Default)]
pub struct Graph {
    nodes: Vec<pb::NodeProto>,
    initializers: Vec<pb::TensorProto>,
    counter: usize,
}

impl Graph {
    fn fresh(&mut self, hint: &str) -> String {
        self.counter += 1;
        format!("{hint}_{}", self.counter)
    }

    /// Adds a node with one output and returns the output's name.
    pub fn node(&mut self, op: &str, inputs: &[&str], attrs: Vec<pb::AttributeProto>) -> String {
        let out = self.fresh(&op.to_ascii_lowercase());
        self.nodes.push(onnx::node(op, inputs, &out, attrs));
        out
    }

    /// Adds a float constant and returns its name.
    pub fn constant(&mut self, hint: &str, dims: &[i64], data: Vec<f32>) -> String {
        let name = self.fresh(hint);
        self.initializers.push(onnx::f32_tensor(&name, dims, &data));
        name
    }

    /// Adds an int8 constant and returns its name.
    pub fn constant_i8(&mut self, hint: &str, dims: &[i64], data: &[i8]) -> String {
        let name = self.fresh(hint);
        self.initializers.push(onnx::i8_tensor(&name, dims, data));
        name
    }

    /// Adds an int64 constant (shapes, axes) and returns its name.
    pub fn constant_i64(&mut self, hint: &str, dims: &[i64], data: &[i64]) -> String {
        let name = self.fresh(hint);
        self.initializers.push(onnx::i64_tensor(&name, dims, data));
        name
    }

    /// Convolution with bias and 'same' padding for odd kernels at stride 1.
    pub fn conv(&mut self, x: &str, w: &str, b: &str, kernel: i64, stride: i64, groups: i64) -> String {
        self.conv_padded(x, w, b, kernel, stride, (kernel - 1) / 2, groups)
    }

    /// Convolution with bias and `p` pixels of zero padding on every side.
    #[allow(clippy::too_many_arguments)]
    pub fn conv_padded(&mut self, x: &str, w: &str, b: &str, kernel: i64, stride: i64, p: i64, groups: i64) -> String {
        self.node(
            "Conv",
            &[x, w, b],
            vec![
                attr_ints("kernel_shape", &[kernel, kernel]),
                attr_ints("strides", &[stride, stride]),
                attr_ints("pads", &[p, p, p, p]),
                attr_int("group", groups),
            ],
        )
    }

    /// `Clip(x, lo, hi)` (ReLU6 when 0..6).
    pub fn clip(&mut self, x: &str, lo: f32, hi: f32) -> String {
        let lo = self.constant("clip_min", &[], vec![lo]);
        let hi = self.constant("clip_max", &[], vec![hi]);
        self.node("Clip", &[x, &lo, &hi], vec![])
    }

    /// Max pooling, kernel and stride `k`.
    pub fn max_pool(&mut self, x: &str, k: i64) -> String {
        self.pool("MaxPool", x, k, k, 0)
    }

    /// `MaxPool` or `AveragePool` with kernel `k`, stride `s` and padding `p`.
    pub fn pool(&mut self, op: &str, x: &str, k: i64, s: i64, p: i64) -> String {
        self.node(
            op,
            &[x],
            vec![attr_ints("kernel_shape", &[k, k]), attr_ints("strides", &[s, s]), attr_ints("pads", &[p, p, p, p])],
        )
    }

    /// `Reshape(x, shape)`.
    pub fn reshape(&mut self, x: &str, shape: &[i64]) -> String {
        let s = self.constant_i64("shape", &[shape.len() as i64], shape);
        self.node("Reshape", &[x, &s], vec![])
    }

    /// `Transpose(x, perm)`.
    pub fn transpose(&mut self, x: &str, perm: &[i64]) -> String {
        self.node("Transpose", &[x], vec![attr_ints("perm", perm)])
    }

    /// `Softmax(x)` along `axis`.
    pub fn softmax(&mut self, x: &str, axis: i64) -> String {
        self.node("Softmax", &[x], vec![attr_int("axis", axis)])
    }

    /// `ReduceSum(x)` over `axes`, dropping them.
    pub fn reduce_sum(&mut self, x: &str, axes: &[i64]) -> String {
        let a = self.constant_i64("axes", &[axes.len() as i64], axes);
        self.node("ReduceSum", &[x, &a], vec![attr_int("keepdims", 0)])
    }

    /// A bidirectional `LSTM` over `x` (`[T, N, in]`, ONNX gate order i, o, f, c) with
    /// weights `w` `[2, 4H, in]`, `r` `[2, 4H, H]` and biases `b` `[2, 8H]`; returns `Y`,
    /// `[T, 2, N, H]`.
    pub fn lstm_bidirectional(&mut self, x: &str, w: &str, r: &str, b: &str, hidden: i64) -> String {
        let direction = onnx::attr_string("direction", "bidirectional");
        self.node("LSTM", &[x, w, r, b], vec![attr_int("hidden_size", hidden), direction])
    }

    /// `Flatten(axis=1)`.
    pub fn flatten(&mut self, x: &str) -> String {
        self.node("Flatten", &[x], vec![attr_int("axis", 1)])
    }

    /// `Gemm(x, w, b)` with `w` as `[out, in]` (PyTorch's Linear layout).
    pub fn gemm(&mut self, x: &str, w: &str, b: &str) -> String {
        self.node("Gemm", &[x, w, b], vec![attr_int("transB", 1)])
    }

    /// The finished model.
    pub fn into_model(self, input: &str, input_dims: &[i64], output: &str, output_dims: &[i64]) -> pb::ModelProto {
        let mut nodes = self.nodes;
        // Name the graph output "logits" through an Identity.
        nodes.push(onnx::node("Identity", &[output], "logits", vec![]));
        let graph = pb::GraphProto {
            name: "signspell".into(),
            node: nodes,
            initializer: self.initializers,
            input: vec![onnx::value_info(input, input_dims)],
            output: vec![onnx::value_info("logits", output_dims)],
            ..Default::default()
        };
        onnx::model(graph, OPSET, "host-train", env!("CARGO_PKG_VERSION"))
    }
}
