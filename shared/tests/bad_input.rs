//! Bad input gives a clear error naming the file and the problem, never a panic.

mod common;

use std::path::Path;

use common::{data, scratch};
use proptest::prelude::*;
use shared::image_io::{decode_bytes, decode_file, ImageError};
use shared::preprocess::{ColorMode, Frame, PixelFormat, PreprocessError, PreprocessSpec, Preprocessor, Roi};

#[test]
fn truncated_jpeg_is_corrupt_and_named() {
    let bytes = std::fs::read(data("asl-alphabet/A/A1008.jpg")).unwrap();
    let dir = scratch("truncated");
    let path = dir.join("A_truncated.jpg");
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    let err = decode_file(&path).unwrap_err();
    assert!(matches!(err, ImageError::Truncated { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("A_truncated.jpg") && msg.contains("corrupt or truncated"), "{msg}");
}

#[test]
fn truncated_png_is_corrupt() {
    let bytes = std::fs::read(data("ahdd1-test/id_1001_label_0.png")).unwrap();
    let err = decode_bytes(&bytes[..bytes.len() / 2], Path::new("digit.png")).unwrap_err();
    assert!(matches!(err, ImageError::Corrupt { .. }), "{err:?}");
}

#[test]
fn not_an_image_is_unsupported() {
    let readme = data("README.md");
    let err = decode_file(&readme).unwrap_err();
    assert!(matches!(err, ImageError::Unsupported { .. }), "{err:?}");
    assert!(err.to_string().contains("README.md"));
    assert!(matches!(decode_bytes(&[], Path::new("empty.jpg")), Err(ImageError::Unsupported { .. })));
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let err = decode_file(Path::new("/nonexistent/signspell/x.jpg")).unwrap_err();
    assert!(matches!(err, ImageError::Io { .. }) && err.to_string().contains("/nonexistent/signspell/x.jpg"));
}

#[test]
fn zero_size_pictures_are_rejected() {
    let mut p = Preprocessor::new(PreprocessSpec::imagenet(8, 8)).unwrap();
    let err = p.image(&image::DynamicImage::new_rgb8(0, 5)).unwrap_err();
    assert!(matches!(err, PreprocessError::EmptyImage { width: 0, height: 5 }), "{err:?}");
    let mut out = vec![0f32; 192];
    let err = p.frame_into(&Frame { data: &[], width: 4, height: 0, stride: 12, format: PixelFormat::Rgb24 }, None, &mut out);
    assert!(matches!(err, Err(PreprocessError::EmptyImage { .. })));
}

#[test]
fn bad_frames_and_regions_are_rejected() {
    let buf = vec![0u8; 10 * 10 * 3];
    let err = Frame::packed(&buf[..299], 10, 10, PixelFormat::Rgb24).unwrap_err();
    assert!(matches!(err, PreprocessError::BufferTooSmall { need: 300, got: 299, .. }), "{err:?}");
    let err = Frame::packed(&buf, 9, 10, PixelFormat::Yuyv).unwrap_err();
    assert!(matches!(err, PreprocessError::BadGeometry { .. }) && err.to_string().contains("odd"), "{err}");
    let err = Frame::with_stride(&buf, 10, 10, 20, PixelFormat::Rgb24).unwrap_err();
    assert!(err.to_string().contains("stride 20"), "{err}");

    let frame = Frame::packed(&buf, 10, 10, PixelFormat::Rgb24).unwrap();
    let mut p = Preprocessor::new(PreprocessSpec::imagenet(4, 4)).unwrap();
    let mut out = vec![0f32; 48];
    for roi in [Roi::new(5, 5, 6, 1), Roi::new(0, 0, 0, 3), Roi::new(u32::MAX, 0, 2, 2)] {
        let err = p.frame_into(&frame, Some(roi), &mut out).unwrap_err();
        assert!(matches!(err, PreprocessError::RoiOutside { .. }), "{roi:?}: {err:?}");
    }
    let err = p.frame_into(&frame, None, &mut out[..47]).unwrap_err();
    assert!(matches!(err, PreprocessError::OutputLen { expected: 48, got: 47 }));
}

#[test]
fn invalid_specs_are_rejected() {
    let cases = [
        PreprocessSpec { mean: vec![0.5], ..PreprocessSpec::imagenet(8, 8) },
        PreprocessSpec { std: vec![1.0, 0.0, 1.0], ..PreprocessSpec::imagenet(8, 8) },
        PreprocessSpec { scale: f32::NAN, ..PreprocessSpec::imagenet(8, 8) },
        PreprocessSpec::imagenet(0, 8),
        PreprocessSpec::imagenet(8, 100_000),
        PreprocessSpec { mean: vec![f32::INFINITY], ..PreprocessSpec::unit(8, 8, ColorMode::Gray) },
    ];
    for spec in cases {
        let err = Preprocessor::new(spec.clone()).err().unwrap_or_else(|| panic!("accepted {spec:?}"));
        assert!(matches!(err, PreprocessError::InvalidSpec(_)), "{err:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary bytes, and real images with bytes flipped, decode or fail cleanly.
    #[test]
    fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = decode_bytes(&bytes, Path::new("fuzz.bin"));
    }

    #[test]
    fn corrupted_real_jpeg_never_panics(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16)) {
        let mut bytes = std::fs::read(data("asl-alphabet/A/A1008.jpg")).unwrap();
        for (i, b) in flips {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        if let Ok(img) = decode_bytes(&bytes, Path::new("flipped.jpg")) {
            let mut p = Preprocessor::new(PreprocessSpec::imagenet(16, 16)).unwrap();
            prop_assert_eq!(p.image(&img).unwrap().len(), 768);
        }
    }
}
