//! The ONNX facts a model card is checked against, without an inference engine.
//!
//! Only the messages of `onnx.proto` that we need are declared here (with their field
//! numbers from the ONNX spec) and decoded with `prost`; everything else in the file,
//! the weights included, is skipped. [`set_metadata`] edits `metadata_props` at the wire
//! level, so every other byte of the model is kept as it was.

use std::path::{Path, PathBuf};

use prost::bytes::Buf;
use prost::encoding::{decode_key, skip_field, DecodeContext, WireType};
use prost::Message;

/// ONNX `TensorProto.DataType.FLOAT`.
pub const ELEM_FLOAT: i32 = 1;

/// `ModelProto.metadata_props` field number.
const METADATA_PROPS: u32 = 14;

#[derive(Clone, PartialEq, Message)]
struct ModelProto {
    #[prost(int64, tag = "1")]
    ir_version: i64,
    #[prost(string, tag = "2")]
    producer_name: String,
    #[prost(message, optional, tag = "7")]
    graph: Option<GraphProto>,
    #[prost(message, repeated, tag = "8")]
    opset_import: Vec<OperatorSetIdProto>,
    #[prost(message, repeated, tag = "14")]
    metadata_props: Vec<StringStringEntryProto>,
}

#[derive(Clone, PartialEq, Message)]
struct OperatorSetIdProto {
    #[prost(string, tag = "1")]
    domain: String,
    #[prost(int64, tag = "2")]
    version: i64,
}

#[derive(Clone, PartialEq, Message)]
struct StringStringEntryProto {
    #[prost(string, tag = "1")]
    key: String,
    #[prost(string, tag = "2")]
    value: String,
}

#[derive(Clone, PartialEq, Message)]
struct GraphProto {
    #[prost(message, repeated, tag = "5")]
    initializer: Vec<TensorName>,
    #[prost(message, repeated, tag = "11")]
    input: Vec<ValueInfoProto>,
    #[prost(message, repeated, tag = "12")]
    output: Vec<ValueInfoProto>,
}

/// `TensorProto` with only its name: the data fields are skipped.
#[derive(Clone, PartialEq, Message)]
struct TensorName {
    #[prost(string, tag = "8")]
    name: String,
}

#[derive(Clone, PartialEq, Message)]
struct ValueInfoProto {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(message, optional, tag = "2")]
    r#type: Option<TypeProto>,
}

#[derive(Clone, PartialEq, Message)]
struct TypeProto {
    #[prost(message, optional, tag = "1")]
    tensor_type: Option<TensorTypeProto>,
}

#[derive(Clone, PartialEq, Message)]
struct TensorTypeProto {
    #[prost(int32, tag = "1")]
    elem_type: i32,
    #[prost(message, optional, tag = "2")]
    shape: Option<TensorShapeProto>,
}

#[derive(Clone, PartialEq, Message)]
struct TensorShapeProto {
    #[prost(message, repeated, tag = "1")]
    dim: Vec<Dimension>,
}

#[derive(Clone, PartialEq, Message)]
struct Dimension {
    #[prost(int64, optional, tag = "1")]
    dim_value: Option<i64>,
    #[prost(string, optional, tag = "2")]
    dim_param: Option<String>,
}

/// Why an ONNX file could not be read or edited.
#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The bytes are not an ONNX model.
    #[error("{path}: not an ONNX model: {reason}")]
    NotOnnx { path: PathBuf, reason: String },
}

/// One dimension of a declared tensor shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dim {
    /// A fixed size.
    Fixed(i64),
    /// A named, free size (e.g. `batch`).
    Symbolic(String),
    /// Declared with neither a size nor a name.
    Unknown,
}

/// A graph input or output as the file declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    /// Tensor name.
    pub name: String,
    /// ONNX element type (1 = float); 0 when undeclared.
    pub elem_type: i32,
    /// Declared shape; `None` when the file declares no shape.
    pub dims: Option<Vec<Dim>>,
}

/// What an ONNX file declares: version, producer, inputs (initializers excluded),
/// outputs and metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnnxInfo {
    /// `ModelProto.ir_version`.
    pub ir_version: i64,
    /// `ModelProto.producer_name`.
    pub producer: String,
    /// Operator sets, as (domain, version); `""` is the default ONNX domain.
    pub opsets: Vec<(String, i64)>,
    /// Graph inputs that are not initializers.
    pub inputs: Vec<TensorInfo>,
    /// Graph outputs.
    pub outputs: Vec<TensorInfo>,
    /// `metadata_props`, in file order.
    pub metadata: Vec<(String, String)>,
}

impl OnnxInfo {
    /// Reads the file at `path`.
    pub fn read(path: &Path) -> Result<Self, OnnxError> {
        let bytes = std::fs::read(path).map_err(|source| OnnxError::Io { path: path.to_path_buf(), source })?;
        Self::parse(&bytes, path)
    }

    /// Parses model bytes; `name` is the path reported in errors.
    pub fn parse(bytes: &[u8], name: &Path) -> Result<Self, OnnxError> {
        let not_onnx = |reason: String| OnnxError::NotOnnx { path: name.to_path_buf(), reason };
        let model = ModelProto::decode(bytes).map_err(|e| not_onnx(e.to_string()))?;
        if model.ir_version <= 0 {
            return Err(not_onnx("no IR version".into()));
        }
        let graph = model.graph.ok_or_else(|| not_onnx("no graph".into()))?;
        let initializers: std::collections::HashSet<_> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
        let convert = |v: &ValueInfoProto| {
            let tensor = v.r#type.as_ref().and_then(|t| t.tensor_type.as_ref());
            TensorInfo {
                name: v.name.clone(),
                elem_type: tensor.map_or(0, |t| t.elem_type),
                dims: tensor.and_then(|t| t.shape.as_ref()).map(|s| {
                    s.dim
                        .iter()
                        .map(|d| match (&d.dim_value, &d.dim_param) {
                            (Some(v), _) => Dim::Fixed(*v),
                            (None, Some(p)) if !p.is_empty() => Dim::Symbolic(p.clone()),
                            _ => Dim::Unknown,
                        })
                        .collect()
                }),
            }
        };
        Ok(Self {
            ir_version: model.ir_version,
            producer: model.producer_name,
            opsets: model.opset_import.into_iter().map(|o| (o.domain, o.version)).collect(),
            inputs: graph.input.iter().filter(|v| !initializers.contains(v.name.as_str())).map(convert).collect(),
            outputs: graph.output.iter().map(convert).collect(),
            metadata: model.metadata_props.into_iter().map(|e| (e.key, e.value)).collect(),
        })
    }

    /// The value of metadata key `key` (the last one, if repeated).
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.metadata.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// Returns the model `bytes` with `metadata_props[key] = value`: entries with that key
/// are dropped, one is appended, and every other field is kept byte for byte.
pub fn set_metadata(bytes: &[u8], key: &str, value: &str, name: &Path) -> Result<Vec<u8>, OnnxError> {
    let not_onnx = |reason: String| OnnxError::NotOnnx { path: name.to_path_buf(), reason };
    OnnxInfo::parse(bytes, name)?;
    let mut out = Vec::with_capacity(bytes.len() + key.len() + value.len() + 16);
    let mut buf = bytes;
    while buf.has_remaining() {
        let start = bytes.len() - buf.remaining();
        let (tag, wire_type) = decode_key(&mut buf).map_err(|e| not_onnx(e.to_string()))?;
        let field_start = bytes.len() - buf.remaining();
        skip_field(wire_type, tag, &mut buf, DecodeContext::default()).map_err(|e| not_onnx(e.to_string()))?;
        let end = bytes.len() - buf.remaining();
        if tag == METADATA_PROPS && wire_type == WireType::LengthDelimited {
            let mut entry_bytes = &bytes[field_start..end];
            let len = prost::encoding::decode_varint(&mut entry_bytes).map_err(|e| not_onnx(e.to_string()))?;
            let entry = StringStringEntryProto::decode(&entry_bytes[..len as usize])
                .map_err(|e| not_onnx(e.to_string()))?;
            if entry.key == key {
                continue;
            }
        }
        out.extend_from_slice(&bytes[start..end]);
    }
    let entry = StringStringEntryProto { key: key.to_string(), value: value.to_string() };
    prost::encoding::message::encode(METADATA_PROPS, &entry, &mut out);
    Ok(out)
}
