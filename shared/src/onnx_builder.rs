//! One small builder of ONNX protos over `tract_onnx::pb` (feature `tract`): attributes,
//! nodes, initializer tensors, typed graph inputs and outputs, and the model around a
//! graph. host-train's exporter (`export/graph.rs`), its int8 rewrite
//! (`export/quantize.rs`) and the end-to-end tests build their ONNX files with it.

use tract_onnx::pb;
use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::tensor_shape_proto::{Dimension, dimension::Value};

/// ONNX element types (`TensorProto.DataType`).
pub const FLOAT: i32 = 1;
/// ONNX element type `UINT8`.
pub const UINT8: i32 = 2;
/// ONNX element type `INT8`.
pub const INT8: i32 = 3;
/// ONNX element type `INT32`.
pub const INT32: i32 = 6;
/// ONNX element type `INT64`.
pub const INT64: i32 = 7;

/// An integer attribute.
pub fn attr_int(name: &str, i: i64) -> pb::AttributeProto {
    pb::AttributeProto { name: name.into(), r#type: AttributeType::Int as i32, i, ..Default::default() }
}

/// A list-of-integers attribute.
pub fn attr_ints(name: &str, v: &[i64]) -> pb::AttributeProto {
    pb::AttributeProto { name: name.into(), r#type: AttributeType::Ints as i32, ints: v.to_vec(), ..Default::default() }
}

/// A string attribute.
pub fn attr_string(name: &str, s: &str) -> pb::AttributeProto {
    pb::AttributeProto { name: name.into(), r#type: AttributeType::String as i32, s: s.as_bytes().to_vec(), ..Default::default() }
}

/// A node with one output, named after it.
pub fn node(op: &str, inputs: &[&str], output: &str, attribute: Vec<pb::AttributeProto>) -> pb::NodeProto {
    pb::NodeProto {
        op_type: op.into(),
        name: output.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        attribute,
        ..Default::default()
    }
}

/// A tensor of `data_type` from its little-endian bytes.
pub fn tensor(name: &str, dims: &[i64], data_type: i32, raw_data: Vec<u8>) -> pb::TensorProto {
    pb::TensorProto { name: name.into(), dims: dims.to_vec(), data_type, raw_data, ..Default::default() }
}

/// A float tensor.
pub fn f32_tensor(name: &str, dims: &[i64], v: &[f32]) -> pb::TensorProto {
    tensor(name, dims, FLOAT, v.iter().flat_map(|x| x.to_le_bytes()).collect())
}

/// An int8 tensor.
pub fn i8_tensor(name: &str, dims: &[i64], v: &[i8]) -> pb::TensorProto {
    tensor(name, dims, INT8, v.iter().map(|x| *x as u8).collect())
}

/// An int64 tensor (shapes, axes).
pub fn i64_tensor(name: &str, dims: &[i64], v: &[i64]) -> pb::TensorProto {
    tensor(name, dims, INT64, v.iter().flat_map(|x| x.to_le_bytes()).collect())
}

/// The floats of a tensor, stored as raw bytes or as `float_data`.
pub fn f32s(t: &pb::TensorProto) -> Vec<f32> {
    if t.raw_data.is_empty() {
        t.float_data.clone()
    } else {
        t.raw_data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
    }
}

/// A float graph input or output of fixed shape `dims`.
pub fn value_info(name: &str, dims: &[i64]) -> pb::ValueInfoProto {
    let shape = pb::TensorShapeProto {
        dim: dims.iter().map(|d| Dimension { value: Some(Value::DimValue(*d)), ..Default::default() }).collect(),
    };
    pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor { elem_type: FLOAT, shape: Some(shape) })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A model (IR version 8, the default domain at `opset`) around `graph`.
pub fn model(graph: pb::GraphProto, opset: i64, producer: &str, producer_version: &str) -> pb::ModelProto {
    pb::ModelProto {
        ir_version: 8,
        opset_import: vec![pb::OperatorSetIdProto { domain: String::new(), version: opset }],
        producer_name: producer.into(),
        producer_version: producer_version.into(),
        graph: Some(graph),
        ..Default::default()
    }
}
