//! Speed of Signspell's own tract ops on the layer shapes of MediaPipe's hand landmark
//! model, one thread: `cargo bench -p shared --features tract --bench own_ops`.
//!
//! Prints each shape's 10th-percentile time (the host's other work slows the rest) and multiply-adds a second, so a change to a kernel
//! can be read layer by layer (the whole models are timed by `device profile --hands`).

use shared::depthwise::ChannelLastDepthwise;
use shared::pointwise::ChannelLastPointwise;
use shared::stem::ChannelLastStem;
use std::time::Instant;
use tract_onnx::prelude::tvec;

/// The landmark model's 1x1 layers: (pixels, input channels, output channels).
const POINTWISE: [(usize, usize, usize); 12] = [
    (12544, 16, 64),
    (12544, 24, 16),
    (3136, 16, 96),
    (3136, 96, 16),
    (784, 144, 24),
    (784, 96, 24),
    (784, 24, 144),
    (196, 64, 384),
    (196, 384, 64),
    (196, 288, 48),
    (49, 112, 672),
    (49, 672, 112),
];

/// The landmark model's depthwise layers: (input [H, W, C], kernel, stride, padding before, output [H, W]).
const DEPTHWISE: [([usize; 3], usize, usize, usize, [usize; 2]); 7] = [
    ([112, 112, 24], 3, 1, 1, [112, 112]),
    ([112, 112, 64], 3, 2, 0, [56, 56]),
    ([56, 56, 96], 3, 1, 1, [56, 56]),
    ([56, 56, 96], 5, 2, 1, [28, 28]),
    ([28, 28, 144], 5, 1, 2, [28, 28]),
    ([14, 14, 384], 5, 1, 2, [14, 14]),
    ([7, 7, 672], 5, 1, 2, [7, 7]),
];

/// Values that look like a layer's: small, both signs.
fn values(n: usize, seed: usize) -> Vec<f32> {
    (0..n).map(|i| ((i * 37 + seed) % 101) as f32 / 170.0 - 0.3).collect()
}

fn p10_ms(mut run: impl FnMut()) -> f64 {
    run();
    let start = Instant::now();
    let mut times = Vec::new();
    while times.len() < 30 || (start.elapsed().as_secs_f64() < 0.5 && times.len() < 5000) {
        let t = Instant::now();
        run();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 10]
}

fn report(what: String, macs: usize, ms: f64) {
    println!("{what:<44} {ms:>9.4} {:>9.1}", macs as f64 / ms / 1e6);
}

/// The hand models' input crops, cut from a real 200x200 picture (ms; no multiply-adds).
fn crops() {
    let mp = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/models/mediapipe");
    let picture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/asl-alphabet/B/B1004.jpg");
    let (Ok(mut landmarker), Ok(mut palm), Ok(img)) = (
        shared::hands::HandLandmarker::load(&mp.join("hand_landmark_lite.onnx")),
        shared::hands::PalmDetector::load(&mp.join("palm_detection_lite.onnx")),
        image::open(&picture).map(|i| i.to_rgb8()),
    ) else {
        println!("(crops skipped: no ../shared models or picture)");
        return;
    };
    let rect = shared::hands::RotatedRect { cx: 100.0, cy: 90.0, w: 150.0, h: 150.0, rotation: 0.3 };
    let rect0 = shared::hands::RotatedRect { rotation: 0.0, ..rect };
    println!("{:<44} {:>9.4}", "landmark crop 224x224, upright", p10_ms(|| { std::hint::black_box(landmarker.input_tensor(&img, &rect0)); }));
    println!("{:<44} {:>9.4}", "landmark crop 224x224, turned", p10_ms(|| { std::hint::black_box(landmarker.input_tensor(&img, &rect)); }));
    println!("{:<44} {:>9.4}", "palm input 192x192, letterboxed", p10_ms(|| { std::hint::black_box(palm.input_tensor(&img, 0.0)); }));
}

fn main() {
    crops();
    println!("{:<44} {:>9} {:>9}", "layer", "ms", "GMAC/s");
    let [h, w, ci, co] = [224, 224, 3, 24];
    let stem = ChannelLastStem {
        input: [h, w, ci],
        output: [112, 112, co],
        kernel: [3, 3],
        stride: [2, 2],
        pad: [0, 0],
        weights: values(9 * ci * co, 1),
        bias: values(co, 2),
        clip: [0.0, 6.0],
        rank: 4,
        channel_last: true,
    };
    let (x, mut out) = (values(h * w * ci, 3), vec![0f32; 112 * 112 * co]);
    report(format!("stem {h}x{w}x{ci} 3x3/2 -> {co}"), 112 * 112 * co * 9 * ci, p10_ms(|| stem.compute(std::hint::black_box(&x), &mut out)));
    for (input, k, stride, pad, output) in DEPTHWISE {
        let [h, w, c] = input;
        let op = ChannelLastDepthwise {
            input,
            output,
            kernel: [k, k],
            stride: [stride, stride],
            pad: [pad, pad],
            weights: values(k * k * c, 4),
            bias: values(c, 5),
            clip: [0.0, 6.0],
            rank: 4,
            channel_last: true,
        };
        let (x, mut out) = (values(h * w * c, 6), vec![0f32; output[0] * output[1] * c]);
        let ms = p10_ms(|| op.compute(std::hint::black_box(&x), &mut out));
        report(format!("depthwise {h}x{w}x{c} {k}x{k}/{stride}"), output[0] * output[1] * c * k * k, ms);
    }
    for (pixels, cin, cout) in POINTWISE {
        let (x, w) = (values(pixels * cin, 7), values(cout * cin, 8));
        let op = ChannelLastPointwise { clip: [0.0, 6.0], ..ChannelLastPointwise::new(pixels, cin, cout, &w, &vec![0.1; cout], tvec!(1, 1, pixels, cout), true) };
        let mut out = vec![0f32; pixels * cout];
        let ms = p10_ms(|| op.compute(std::hint::black_box(&x), &mut out));
        report(format!("pointwise {pixels} pixels {cin} -> {cout}"), pixels * cin * cout, ms);
    }
}
