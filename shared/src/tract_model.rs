//! How a Signspell ONNX file becomes a runnable tract plan (feature `tract`).
//!
//! The export parity gate, `host-train latency` and the kiosk all load models through
//! [`TractModel`], so the file that passed the gate is run the same way on the device:
//! the card is read and checked against the graph, int8 weight-only initializers are
//! dequantized at load ([`dequantize_constant_weights`]; tract does not fold constant
//! `DequantizeLinear`s and runs those convolutions 2.5x slower), the input shape is
//! fixed from the card, and the plan is optimized once.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;
use std::path::{Path, PathBuf};

use prost::Message;
use tract_onnx::pb;
use tract_onnx::prelude::*;

use crate::card::{CardError, Quantization};
use crate::onnx::OnnxInfo;
use crate::ModelCard;

/// The quantization form (prefix) whose int8 weights [`TractModel`] dequantizes at load.
pub const WEIGHTS_ONLY: &str = "weights-only";

/// Why a model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The card is missing, invalid or disagrees with the graph.
    #[error(transparent)]
    Card(#[from] CardError),
    /// The int8 weights are not in the form this loader dequantizes.
    #[error("{path}: {reason}")]
    Weights { path: PathBuf, reason: String },
    /// tract refused the graph.
    #[error("{path}: tract cannot {stage}: {source:#}")]
    Tract { path: PathBuf, stage: &'static str, source: anyhow::Error },
    /// The input tensor has the wrong length.
    #[error("{path}: input has {got} values, the model takes {expected}")]
    InputLen { path: PathBuf, expected: usize, got: usize },
}

/// A model file loaded into tract, with its validated card.
pub struct TractModel {
    /// The validated model card.
    pub card: ModelCard,
    /// The file it was loaded from (for messages).
    pub path: PathBuf,
    /// Size of the file in bytes.
    pub file_bytes: usize,
    /// Multiply-accumulates of one inference, as tract counts them on the decluttered
    /// graph (convolutions, matrix products).
    pub macs: u64,
    plan: std::sync::Arc<TypedRunnableModel>,
    shape: [usize; 4],
}

/// How a decluttered tract graph becomes the plan that runs. `device bench --plan` and
/// `device profile --plan` measure them side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanForm {
    /// tract's optimizer as it is: NCHW convolutions, tract's depthwise kernel.
    Tract,
    /// tract's `conv_nhwc` transform: every convolution channel-last.
    ChannelLast,
    /// Channel-last, with depthwise layers run by [`crate::depthwise`] and the clip
    /// after them fused in (the default).
    #[default]
    ChannelLastDepthwise,
    /// tract's layout, with only the depthwise layers run by [`crate::depthwise`]
    /// (channel-last between two axis moves each).
    TractDepthwise,
    /// Channel-last, with depthwise layers run by [`crate::depthwise`] and 1x1 layers by
    /// [`crate::pointwise`], the clips after both fused in.
    ChannelLastOwn,
}

impl PlanForm {
    /// All forms, in the order above.
    pub const ALL: [PlanForm; 5] =
        [PlanForm::Tract, PlanForm::ChannelLast, PlanForm::ChannelLastDepthwise, PlanForm::TractDepthwise, PlanForm::ChannelLastOwn];

    /// The form's name (on the command line, and as serde writes it).
    pub fn name(self) -> &'static str {
        match self {
            PlanForm::Tract => "tract",
            PlanForm::ChannelLast => "channel-last",
            PlanForm::ChannelLastDepthwise => "channel-last-depthwise",
            PlanForm::TractDepthwise => "tract-depthwise",
            PlanForm::ChannelLastOwn => "channel-last-own",
        }
    }
}

impl std::str::FromStr for PlanForm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|f| f.name() == s).ok_or_else(|| {
            format!("unknown plan form '{s}' (one of: {})", Self::ALL.map(PlanForm::name).join(", "))
        })
    }
}

/// Declutters a freshly typed model for a plan of the given form: [`crate::pointwise`]
/// takes the 1x1 convolutions first (`channel-last-own`), before tract's decluttering
/// turns them into matrix products.
pub fn decluttered(mut model: TypedModel, form: PlanForm) -> TractResult<TypedModel> {
    if form == PlanForm::ChannelLastOwn {
        // Constant subgraphs (the biases' casts and reshapes) folded first.
        tract_onnx::tract_core::optim::Optimizer::prop_consts().optimize(&mut model)?;
        crate::pointwise::rewrite(&mut model)?;
        crate::prelu::rewrite(&mut model)?;
        crate::maxpool::rewrite(&mut model)?;
    }
    model.into_decluttered()
}

/// Optimizes a decluttered model into a runnable plan of the given form.
pub fn runnable(mut model: TypedModel, form: PlanForm) -> TractResult<std::sync::Arc<TypedRunnableModel>> {
    use tract_onnx::tract_core::transform::get_transform;
    let ours = matches!(form, PlanForm::ChannelLastDepthwise | PlanForm::TractDepthwise | PlanForm::ChannelLastOwn);
    let own_pointwise = form == PlanForm::ChannelLastOwn;
    if ours {
        crate::depthwise::rewrite(&mut model)?;
    }
    if own_pointwise {
        crate::stem::rewrite(&mut model)?;
        // After the first declutter, where ONNX's Resize has become tract's own.
        crate::resize::rewrite(&mut model)?;
        crate::pad::rewrite(&mut model)?;
    }
    if matches!(form, PlanForm::ChannelLast | PlanForm::ChannelLastDepthwise | PlanForm::ChannelLastOwn) {
        anyhow::Context::context(get_transform("conv_nhwc")?, "tract has no conv_nhwc transform")?.transform(&mut model)?;
    }
    if form != PlanForm::Tract {
        model = model.into_decluttered()?;
    }
    if ours {
        crate::depthwise::fuse_clips(&mut model)?;
    }
    if own_pointwise {
        crate::pointwise::fuse_clips(&mut model)?;
        crate::stem::fuse_clips(&mut model)?;
    }
    model.into_optimized()?.into_runnable()
}

/// Time one node of the optimized plan took, averaged over the runs of [`profile_plan`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct NodeTime {
    /// The node's name in the plan (ONNX node names survive optimization as prefixes).
    pub node: String,
    /// tract's operator (e.g. `OptMatMul`, `DepthWise`, `Max`).
    pub op: String,
    /// The operator's own description (kernel, fused ops) and its output shape.
    pub info: String,
    /// Mean milliseconds a run.
    pub ms: f64,
}

impl std::fmt::Debug for TractModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TractModel").field("path", &self.path).field("name", &self.card.name).finish()
    }
}

impl TractModel {
    /// Reads and loads the model file at `path`.
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        Self::load_as(path, PlanForm::default())
    }

    /// Reads and loads the model file at `path` into a plan of the given form.
    pub fn load_as(path: &Path, form: PlanForm) -> Result<Self, ModelError> {
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
        Self::load_bytes(&bytes, path, true, form)
    }

    /// Loads a model from its bytes; `path` names it in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, ModelError> {
        Self::load_bytes(bytes, path, true, PlanForm::default())
    }

    /// Loads a model as stored, without dequantizing int8 weights at load (to measure
    /// what that costs).
    pub fn from_bytes_as_stored(bytes: &[u8], path: &Path) -> Result<Self, ModelError> {
        Self::load_bytes(bytes, path, false, PlanForm::default())
    }

    fn load_bytes(bytes: &[u8], path: &Path, dequantize: bool, form: PlanForm) -> Result<Self, ModelError> {
        let info = OnnxInfo::parse(bytes, path).map_err(CardError::from)?;
        let card = ModelCard::from_info(&info, path)?;
        let tract_err = |stage: &'static str| move |source: anyhow::Error| ModelError::Tract { path: path.to_path_buf(), stage, source };
        let dequantized;
        let graph = if dequantize && matches!(&card.quantization, Quantization::Int8 { form, .. } if form.starts_with(WEIGHTS_ONLY)) {
            dequantized = dequantize_constant_weights(bytes)
                .map_err(|reason| ModelError::Weights { path: path.to_path_buf(), reason })?;
            &dequantized[..]
        } else {
            bytes
        };
        let shape = card.preprocess.input_shape();
        let plan = tract_onnx::onnx()
            .model_for_read(&mut Cursor::new(graph))
            .map_err(tract_err("parse the graph"))?
            .with_input_fact(0, f32::fact(shape).into())
            .map_err(tract_err("fix the input shape"))?
            .into_typed()
            .and_then(|m| decluttered(m, form))
            .map_err(tract_err("type the graph"))?;
        let macs = multiply_accumulates(&plan).map_err(tract_err("count multiply-accumulates"))?;
        let plan = runnable(plan, form).map_err(tract_err("optimize the graph"))?;
        Ok(Self { card, path: path.to_path_buf(), file_bytes: bytes.len(), macs, plan, shape })
    }

    /// The input shape (`[1, C, H, W]` or `[1, H, W, C]`).
    pub fn input_shape(&self) -> [usize; 4] {
        self.shape
    }

    /// Runs one preprocessed input; returns the model's raw first output.
    pub fn run(&self, input: &[f32]) -> Result<Vec<f32>, ModelError> {
        let expected = self.shape.iter().product();
        if input.len() != expected {
            return Err(ModelError::InputLen { path: self.path.clone(), expected, got: input.len() });
        }
        let err = |source: anyhow::Error| ModelError::Tract { path: self.path.clone(), stage: "run the model", source };
        let x = Tensor::from_shape(&self.shape, input).map_err(err)?;
        // A fresh run state each time: recurrent ops (the LSTM's scan) keep state in it,
        // and a kept one carried the last input's hidden state into the next run.
        let out = self.plan.run(tvec!(x.into_tvalue())).map_err(err)?;
        let view = out[0].to_plain_array_view::<f32>().map_err(err)?;
        Ok(view.iter().copied().collect())
    }

    /// Times every node of the plan on `input` (see [`profile_plan`]).
    pub fn profile(&self, input: &[f32], runs: usize) -> Result<Vec<NodeTime>, ModelError> {
        let expected = self.shape.iter().product();
        if input.len() != expected {
            return Err(ModelError::InputLen { path: self.path.clone(), expected, got: input.len() });
        }
        let err = |source: anyhow::Error| ModelError::Tract { path: self.path.clone(), stage: "profile the model", source };
        let x = Tensor::from_shape(&self.shape, input).map_err(err)?;
        profile_plan(&self.plan, &x, runs).map_err(err)
    }

    /// Runs one input and turns the output into class probabilities (softmax of logits,
    /// sigmoid of a binary logit, or the probabilities as they are).
    pub fn probabilities(&self, input: &[f32]) -> Result<Vec<f32>, ModelError> {
        Ok(self.card.output.to_probabilities(self.run(input)?))
    }
}

/// Runs `input` `runs` times through `plan`, timing every node as tract's own profiler
/// does (the plan's evaluation hook around each node), after 3 untimed runs. Nodes come
/// in plan order; their times add up to the model's run time less tract's bookkeeping
/// between nodes.
pub fn profile_plan(plan: &std::sync::Arc<TypedRunnableModel>, input: &Tensor, runs: usize) -> TractResult<Vec<NodeTime>> {
    use std::time::{Duration, Instant};
    use tract_onnx::tract_core::plan::{eval, SimpleState};
    let model = plan.model();
    let mut spent = vec![Duration::ZERO; model.nodes().len()];
    let mut state = SimpleState::new(plan)?;
    for round in 0..runs + 3 {
        state.run_plan_with_eval(tvec!(input.clone().into_tvalue()), |ctx, op_state, node, inputs| {
            let start = Instant::now();
            let out = eval(ctx, op_state, node, inputs);
            if round >= 3 {
                spent[node.id] += start.elapsed();
            }
            out
        })?;
    }
    let runs = runs.max(1) as f64;
    Ok(plan
        .order_without_consts()
        .iter()
        .map(|&id| {
            let node = model.node(id);
            let info = node.op.info().unwrap_or_default().join(", ");
            let shape = node.outputs.first().map(|o| format!("{:?}", o.fact.shape)).unwrap_or_default();
            NodeTime {
                node: node.name.clone(),
                op: node.op.name().to_string(),
                info: if info.is_empty() { shape } else { format!("{info}; {shape}") },
                ms: spent[id].as_secs_f64() * 1000.0 / runs,
            }
        })
        .collect())
}

/// Sums the fused multiply-adds that the convolutions and matrix products of a typed
/// graph report as their cost (the usual MAC count: tract also counts the polynomial
/// of a sigmoid or tanh as multiply-adds, which are left out).
fn multiply_accumulates(model: &TypedModel) -> TractResult<u64> {
    let mut total = 0i64;
    for node in model.nodes() {
        let name = node.op.name();
        if !["Conv", "EinSum", "MatMul", "Gemm"].iter().any(|k| name.contains(k)) {
            continue;
        }
        let inputs = model.node_input_facts(node.id)?;
        for (cost, count) in node.op.cost(&inputs)? {
            if matches!(cost, tract_onnx::tract_core::ops::Cost::FMA(_)) {
                total += count.to_i64()?;
            }
        }
    }
    Ok(total.max(0) as u64)
}

/// Rewrites a model whose weights are stored as int8 with `DequantizeLinear` (the
/// export's weight-only int8 form) into plain float initializers. The values are
/// exactly what the `DequantizeLinear` nodes compute, so outputs do not change; the
/// file stays 4x smaller and tract runs it at float speed.
pub fn dequantize_constant_weights(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut model = pb::ModelProto::decode(bytes).map_err(|e| format!("not an ONNX model: {e}"))?;
    let graph = model.graph.as_mut().ok_or("the model has no graph")?;
    let index: HashMap<String, usize> = graph.initializer.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect();
    let mut keep = Vec::with_capacity(graph.node.len());
    let mut added = Vec::new();
    let mut used_as_int8 = HashSet::new();
    for node in std::mem::take(&mut graph.node) {
        let consts: Option<Vec<&pb::TensorProto>> =
            node.input.iter().map(|n| index.get(n).map(|&i| &graph.initializer[i])).collect();
        match consts {
            Some(c) if node.op_type == "DequantizeLinear" && c.len() == 3 && c[0].data_type == 3 => {
                let axis = node.attribute.iter().find(|a| a.name == "axis").map_or(1, |a| a.i) as usize;
                let dims = &c[0].dims;
                let scale: Vec<f32> =
                    c[1].raw_data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
                let zero: Vec<i8> = c[2].raw_data.iter().map(|&b| b as i8).collect();
                if dims.len() <= axis || scale.len() != dims[axis] as usize || zero.len() != scale.len() {
                    return Err(format!("DequantizeLinear '{}' is not per-channel weight-only along axis {axis}", node.name));
                }
                let inner = dims[axis + 1..].iter().product::<i64>() as usize;
                let data: Vec<u8> = c[0]
                    .raw_data
                    .iter()
                    .enumerate()
                    .flat_map(|(i, &v)| {
                        let ch = (i / inner) % scale.len();
                        ((v as i8 as i32 - zero[ch] as i32) as f32 * scale[ch]).to_le_bytes()
                    })
                    .collect();
                used_as_int8.extend(node.input.iter().cloned());
                added.push(pb::TensorProto {
                    name: node.output[0].clone(),
                    dims: dims.clone(),
                    data_type: 1,
                    raw_data: data,
                    ..Default::default()
                });
            }
            _ => keep.push(node),
        }
    }
    let still_used: HashSet<&String> = keep.iter().flat_map(|n| n.input.iter()).collect();
    graph.initializer.retain(|t| !used_as_int8.contains(&t.name) || still_used.contains(&t.name));
    graph.initializer.extend(added);
    graph.node = keep;
    Ok(model.encode_to_vec())
}
