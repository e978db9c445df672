//! What each fuzz target checks, shared with the regression tests that replay saved
//! inputs in CI (`shared/tests/fuzz_regressions.rs` includes this file; the kiosk config's check is
//! in `checks_device.rs`). Every check takes any bytes: an error is fine, a panic is a bug.
#![allow(dead_code)]

use std::path::Path;

/// The model card as JSON (what `ModelCard::read_onnx` parses out of a model file):
/// any text is a card or an error, and a card that parses writes back to itself.
pub fn card_json(data: &[u8]) {
    use shared::ModelCard;
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = Path::new("fuzz.onnx");
    if let Ok(card) = ModelCard::from_json(text, path) {
        let again = ModelCard::from_json(&card.to_json(), path).expect("a card's own JSON reads back");
        assert_eq!(again, card);
        let _ = card.output_len();
    }
}

/// ONNX model files as the device and export read them: the protobuf header, inputs,
/// outputs and metadata, then the card in them checked against the graph. Any bytes are
/// a model or an error, and metadata written in comes back out unchanged.
pub fn onnx_model(data: &[u8]) {
    use shared::card::CARD_KEY;
    use shared::onnx::{set_metadata, OnnxInfo};
    use shared::ModelCard;
    let path = Path::new("fuzz.onnx");
    let Ok(info) = OnnxInfo::parse(data, path) else { return };
    if let Ok(card) = ModelCard::from_info(&info, path) {
        let _ = card.check_against(&info, path);
    }
    let edited = set_metadata(data, CARD_KEY, "{\"x\":1}", path).expect("a parsed model takes metadata");
    let info = OnnxInfo::parse(&edited, path).expect("an edited model still parses");
    assert_eq!(info.metadata(CARD_KEY), Some("{\"x\":1}"));
}

/// Picture files as classify, the trainer's loaders and collection read them: decoded
/// (JPEG, PNG, BMP by content), then preprocessed into a model tensor.
pub fn image_decode(data: &[u8]) {
    use shared::preprocess::{PreprocessSpec, Preprocessor};
    let Ok(img) = shared::image_io::decode_bytes(data, Path::new("fuzz.jpg")) else { return };
    let mut pre = Preprocessor::new(PreprocessSpec::imagenet(32, 32)).unwrap();
    if let Ok(t) = pre.image(&img) {
        assert_eq!(t.len(), 3 * 32 * 32);
        assert!(t.iter().all(|v| v.is_finite()));
    }
}

/// Raw camera buffers (RGB24 and YUYV) with any geometry, stride and region, as the
/// kiosk turns them into a model tensor and a preview: a tensor or an error, never a
/// read outside the buffer. The first 12 bytes pick the geometry, the rest are pixels.
pub fn camera_frame(data: &[u8]) {
    use shared::preprocess::{Frame, PixelFormat, PreprocessSpec, Preprocessor, Roi};
    if data.len() < 12 {
        return;
    }
    let (head, pixels) = data.split_at(12);
    let width = u32::from(head[0]) + 1;
    let height = u32::from(head[1]) + 1;
    let format = if head[2] & 1 == 0 { PixelFormat::Rgb24 } else { PixelFormat::Yuyv };
    let stride = width as usize * format.bytes_per_pixel() + usize::from(head[3] % 8);
    let roi = (head[4] & 1 == 1).then(|| {
        Roi::new(u32::from(head[5]), u32::from(head[6]), u32::from(head[7]) + u32::from(head[8] & 1), u32::from(head[9]))
    });
    let side = 8 + u32::from(head[10] % 24);
    let Ok(frame) = Frame::with_stride(pixels, width, height, stride, format) else { return };
    let mut pre = Preprocessor::new(PreprocessSpec::imagenet(side, side)).unwrap();
    let mut out = vec![0f32; pre.spec().tensor_len()];
    if pre.frame_into(&frame, roi, &mut out).is_ok() {
        assert!(out.iter().all(|v| v.is_finite()));
    }
    let mut rgb = Vec::new();
    if frame.to_rgb(&mut rgb).is_ok() {
        assert_eq!(rgb.len(), (width * height * 3) as usize);
    }
}
