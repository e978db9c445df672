//! Picture files as classify, the trainer's loaders and collection read them: decoded
//! (JPEG, PNG, BMP by content), then preprocessed into a model tensor.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::image_decode(data));
