//! ONNX model files as the device and export read them: the protobuf header, inputs,
//! outputs and metadata, then the card in them checked against the graph. Any bytes are
//! a model or an error, and metadata written in comes back out unchanged.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::onnx_model(data));
