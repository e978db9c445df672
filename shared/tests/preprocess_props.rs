//! Invariants of preprocessing over random specs and pictures (proptest).

use image::{DynamicImage, RgbImage};
use proptest::prelude::*;
use shared::preprocess::{ColorMode, Frame, Layout, PixelFormat, PreprocessSpec, Preprocessor, ResizeFilter, ResizeMode, Roi};

fn color() -> impl Strategy<Value = ColorMode> {
    prop_oneof![Just(ColorMode::Rgb), Just(ColorMode::Gray)]
}
fn filter() -> impl Strategy<Value = ResizeFilter> {
    prop_oneof![
        Just(ResizeFilter::Nearest),
        Just(ResizeFilter::Bilinear),
        Just(ResizeFilter::CatmullRom),
        Just(ResizeFilter::Lanczos3)
    ]
}
fn mode() -> impl Strategy<Value = ResizeMode> {
    prop_oneof![
        Just(ResizeMode::Stretch),
        Just(ResizeMode::CenterCrop),
        any::<[u8; 3]>().prop_map(|fill| ResizeMode::Letterbox { fill })
    ]
}

prop_compose! {
    fn spec()(w in 1u32..48, h in 1u32..48, color in color(), resize in mode(), filter in filter(),
              nhwc in any::<bool>(), scale in 0.001f32..1.0, mean in -2f32..2.0, std in 0.05f32..3.0) -> PreprocessSpec {
        let n = color.channels();
        PreprocessSpec {
            width: w, height: h, color, resize, filter, scale,
            mean: (0..n).map(|i| mean + i as f32 * 0.1).collect(),
            std: (0..n).map(|i| std + i as f32 * 0.05).collect(),
            layout: if nhwc { Layout::Nhwc } else { Layout::Nchw },
        }
    }
}

prop_compose! {
    fn picture()(w in 1u32..72, h in 1u32..72)(pixels in proptest::collection::vec(any::<u8>(), (w * h * 3) as usize), w in Just(w), h in Just(h)) -> RgbImage {
        RgbImage::from_raw(w, h, pixels).unwrap()
    }
}

/// Range of normalized values channel `c` can take.
fn range(spec: &PreprocessSpec, c: usize) -> (f32, f32) {
    let a = (0.0 * spec.scale - spec.mean[c]) / spec.std[c];
    let b = (255.0 * spec.scale - spec.mean[c]) / spec.std[c];
    (a.min(b), a.max(b))
}

fn channel_of(spec: &PreprocessSpec, i: usize) -> usize {
    let n = spec.channels();
    match spec.layout {
        Layout::Nchw => i / (spec.width * spec.height) as usize,
        Layout::Nhwc => i % n,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn output_has_spec_length_and_range(spec in spec(), img in picture()) {
        let mut p = Preprocessor::new(spec.clone()).unwrap();
        let out = p.image(&DynamicImage::ImageRgb8(img)).unwrap();
        prop_assert_eq!(out.len(), spec.tensor_len());
        prop_assert_eq!(out.len(), spec.input_shape().iter().product::<usize>());
        for (i, v) in out.iter().enumerate() {
            let (lo, hi) = range(&spec, channel_of(&spec, i));
            prop_assert!(v.is_finite() && *v >= lo && *v <= hi, "value {} = {} outside [{}, {}]", i, v, lo, hi);
        }
    }

    #[test]
    fn letterbox_keeps_aspect_ratio(sw in 1u32..120, sh in 1u32..120, w in 4u32..64, h in 4u32..64, filter in filter()) {
        // A solid picture on a contrasting fill: the picture's footprint is measurable.
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(sw, sh, image::Rgb([255, 255, 255])));
        let spec = PreprocessSpec { resize: ResizeMode::Letterbox { fill: [0, 0, 0] }, filter, ..PreprocessSpec::unit(w, h, ColorMode::Gray) };
        let out = Preprocessor::new(spec).unwrap().image(&img).unwrap();
        let inside: Vec<(u32, u32)> = (0..h).flat_map(|y| (0..w).map(move |x| (x, y)))
            .filter(|&(x, y)| out[(y * w + x) as usize] > 0.5).collect();
        let (x0, x1) = (inside.iter().map(|p| p.0).min().unwrap(), inside.iter().map(|p| p.0).max().unwrap());
        let (y0, y1) = (inside.iter().map(|p| p.1).min().unwrap(), inside.iter().map(|p| p.1).max().unwrap());
        let (bw, bh) = (x1 - x0 + 1, y1 - y0 + 1);
        prop_assert_eq!(inside.len() as u32, bw * bh, "footprint is a filled rectangle");
        prop_assert!(bw == w || bh == h, "fits one side: {}x{} in {}x{}", bw, bh, w, h);
        // Same aspect ratio up to rounding to whole pixels (and at least one pixel).
        let err = (bw as f64 * sh as f64 - bh as f64 * sw as f64).abs();
        let one_pixel = bw == 1 || bh == 1;
        prop_assert!(one_pixel || err <= 0.5 * sw.max(sh) as f64 + 1e-9, "{}x{} from {}x{}", bw, bh, sw, sh);
        // Centred: the borders differ by at most one pixel.
        prop_assert!((x0 as i64 - (w - 1 - x1) as i64).abs() <= 1 && (y0 as i64 - (h - 1 - y1) as i64).abs() <= 1);
    }

    #[test]
    fn any_frame_geometry_is_an_error_or_a_tensor(w in 0u32..40, h in 0u32..40, pad in 0usize..8, short in 0usize..4,
                                                  yuyv in any::<bool>(), rx in 0u32..50, ry in 0u32..50, rw in 0u32..50, rh in 0u32..50) {
        let format = if yuyv { PixelFormat::Yuyv } else { PixelFormat::Rgb24 };
        let stride = w as usize * format.bytes_per_pixel() + pad;
        let len = (stride * h as usize).saturating_sub(short);
        let data = vec![77u8; len];
        let spec = PreprocessSpec::imagenet(16, 16);
        let mut p = Preprocessor::new(spec.clone()).unwrap();
        let mut out = vec![0f32; spec.tensor_len()];
        let frame = Frame { data: &data, width: w, height: h, stride, format };
        let roi = Roi::new(rx, ry, rw, rh);
        let result = p.frame_into(&frame, Some(roi), &mut out);
        let valid = frame.validate().is_ok() && roi.check_inside(w, h).is_ok();
        prop_assert_eq!(result.is_ok(), valid);
    }
}

/// Regression: proptest found that `fast_image_resize` 6.1 overflows (panics in debug,
/// wraps in release) on fractional crops such as this centre crop of 13x16 to the
/// aspect of 6x20 with Catmull-Rom; crops are now whole pixels cut out before resizing.
#[test]
fn fractional_center_crop_regression() {
    let img = DynamicImage::ImageRgb8(RgbImage::from_fn(13, 16, |x, y| image::Rgb([x as u8 * 19, y as u8 * 15, 200])));
    for filter in [ResizeFilter::CatmullRom, ResizeFilter::Lanczos3, ResizeFilter::Bilinear] {
        let spec = PreprocessSpec { resize: ResizeMode::CenterCrop, filter, ..PreprocessSpec::unit(6, 20, ColorMode::Rgb) };
        let out = Preprocessor::new(spec).unwrap().image(&img).unwrap();
        assert_eq!(out.len(), 360);
    }
}
