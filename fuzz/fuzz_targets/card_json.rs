//! The model card as JSON (what `ModelCard::read_onnx` parses out of a model file):
//! any text is a card or an error, and a card that parses writes back to itself.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::card_json(data));
