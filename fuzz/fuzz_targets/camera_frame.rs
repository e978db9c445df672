//! Raw camera buffers (RGB24 and YUYV) with any geometry, stride and region, as the
//! kiosk turns them into a model tensor and a preview: a tensor or an error, never a
//! read outside the buffer. The first 12 bytes pick the geometry, the rest are pixels.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::camera_frame(data));
