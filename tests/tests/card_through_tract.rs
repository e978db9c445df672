//! The card round trip through a real ONNX file that tract loads and runs: build a small
//! convolutional classifier with `tract_onnx::pb`, store the card with `shared`, read it
//! back validated, preprocess real asl-alphabet images from the card's spec, run tract,
//! and compare with a direct computation of the same network.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use prost::Message;
use shared::onnx_builder::{attr_int as int, attr_ints as ints, f32_tensor, model, node, value_info};
use shared::card::{Architecture, DatasetInfo, OutputKind, Producer, Quantization, SplitInfo, SplitKind};
use shared::{ClassTable, ModelCard, PreprocessSpec, Preprocessor};
use tract_onnx::pb;
use tract_onnx::prelude::*;

const SIDE: usize = 32;
const FILTERS: usize = 4;

/// Deterministic weights in -0.5..0.5.
fn weights(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        })
        .collect()
}

struct Net {
    conv_w: Vec<f32>,
    conv_b: Vec<f32>,
    fc_w: Vec<f32>,
    fc_b: Vec<f32>,
    classes: usize,
}

impl Net {
    fn new(classes: usize) -> Self {
        Net {
            conv_w: weights(FILTERS * 3 * 9, 1),
            conv_b: weights(FILTERS, 2),
            fc_w: weights(classes * FILTERS, 3),
            fc_b: weights(classes, 4),
            classes,
        }
    }

    /// Conv 3x3 pad 1 -> ReLU -> global average pool -> Gemm, as an ONNX model.
    fn onnx(&self) -> Vec<u8> {
        let s = SIDE as i64;
        let graph = pb::GraphProto {
            name: "tiny-classifier".into(),
            node: vec![
                node("Conv", &["input", "conv_w", "conv_b"], "conv", vec![ints("kernel_shape", &[3, 3]), ints("pads", &[1, 1, 1, 1])]),
                node("Relu", &["conv"], "relu", vec![]),
                node("GlobalAveragePool", &["relu"], "pool", vec![]),
                node("Flatten", &["pool"], "flat", vec![int("axis", 1)]),
                node("Gemm", &["flat", "fc_w", "fc_b"], "logits", vec![int("transB", 1)]),
            ],
            initializer: vec![
                f32_tensor("conv_w", &[FILTERS as i64, 3, 3, 3], &self.conv_w),
                f32_tensor("conv_b", &[FILTERS as i64], &self.conv_b),
                f32_tensor("fc_w", &[self.classes as i64, FILTERS as i64], &self.fc_w),
                f32_tensor("fc_b", &[self.classes as i64], &self.fc_b),
            ],
            input: vec![value_info("input", &[1, 3, s, s])],
            output: vec![value_info("logits", &[1, self.classes as i64])],
            ..Default::default()
        };
        model(graph, 13, "signspell-e2e", "").encode_to_vec()
    }

    /// The same network computed directly.
    fn forward(&self, x: &[f32]) -> Vec<f32> {
        let n = SIDE as isize;
        let mut pooled = vec![0f32; FILTERS];
        for f in 0..FILTERS {
            let mut sum = 0f64;
            for y in 0..n {
                for xx in 0..n {
                    let mut acc = self.conv_b[f];
                    for c in 0..3 {
                        for ky in 0..3isize {
                            for kx in 0..3isize {
                                let (iy, ix) = (y + ky - 1, xx + kx - 1);
                                if iy >= 0 && iy < n && ix >= 0 && ix < n {
                                    let w = self.conv_w[((f * 3 + c) * 3 + ky as usize) * 3 + kx as usize];
                                    acc += w * x[(c * SIDE + iy as usize) * SIDE + ix as usize];
                                }
                            }
                        }
                    }
                    sum += acc.max(0.0) as f64;
                }
            }
            pooled[f] = (sum / (SIDE * SIDE) as f64) as f32;
        }
        (0..self.classes)
            .map(|k| self.fc_b[k] + (0..FILTERS).map(|f| self.fc_w[k * FILTERS + f] * pooled[f]).sum::<f32>())
            .collect()
    }
}

fn shared_data() -> PathBuf {
    shared::paths::shared_dir_from(Path::new(env!("CARGO_MANIFEST_DIR")))
        .expect("../shared not found beside the checkout; set SIGNSPELL_SHARED")
        .join("data")
}

fn card(classes: ClassTable) -> ModelCard {
    ModelCard {
        schema: shared::card::SCHEMA.into(),
        schema_version: shared::card::SCHEMA_VERSION,
        name: "tiny-asl".into(),
        classes,
        preprocess: PreprocessSpec::imagenet(SIDE as u32, SIDE as u32),
        input: shared::card::InputSource::Crop,
        output: OutputKind::Logits,
        architecture: Architecture { name: "tiny-cnn".into(), hyperparameters: BTreeMap::from([("filters".into(), (FILTERS as u64).into())]) },
        parameters: (FILTERS * 28 + 29 * (FILTERS + 1)) as u64,
        dataset: DatasetInfo { name: "asl-alphabet".into(), path: None, split: SplitInfo { kind: SplitKind::Grouped, seed: Some(0), train: 0, val: 0, test: 29 } },
        metrics: BTreeMap::new(),
        quantization: Quantization::Float32,
        producer: Producer { name: "e2e".into(), version: env!("CARGO_PKG_VERSION").into() },
    }
}

#[test]
fn card_round_trip_and_tract_inference_on_real_images() -> TractResult<()> {
    let classes = ClassTable::asl_alphabet();
    let net = Net::new(classes.len());
    let dir = std::env::temp_dir().join(format!("signspell-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("tiny-asl.onnx");
    shared::atomic::write(&path, &net.onnx())?;

    // Store the card, read it back validated against the graph.
    let written = card(classes.clone());
    written.write_into_onnx(&path)?;
    let (read, info) = ModelCard::read_onnx(&path)?;
    assert_eq!(read, written);
    assert_eq!(info.producer, "signspell-e2e");

    // tract loads the carded file; the card drives preprocessing of real images.
    let model = tract_onnx::onnx().model_for_path(&path)?.into_optimized()?.into_runnable()?;
    let mut pre = Preprocessor::new(read.preprocess.clone())?;
    let shape = read.preprocess.input_shape();
    let mut worst = 0f32;
    for class in &read.classes.classes {
        let folder = shared_data().join("asl-alphabet").join(&class.label);
        let mut files: Vec<_> = std::fs::read_dir(&folder)?.map(|e| e.unwrap().path()).collect();
        files.sort();
        let img = shared::image_io::decode_file(&files[0])?;
        let x = pre.image(&img)?;
        let input = Tensor::from_shape(&shape, &x)?;
        let out = model.run(tvec!(input.into_tvalue()))?;
        let logits = out[0].to_plain_array_view::<f32>()?;
        assert_eq!(logits.shape(), &[1, read.classes.len()]);
        let expected = net.forward(&x);
        for (a, b) in logits.iter().zip(&expected) {
            worst = worst.max((a - b).abs());
        }
    }
    assert!(worst < 1e-4, "tract and the direct computation differ by {worst}");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[test]
fn a_model_whose_card_disagrees_with_its_input_is_refused() -> TractResult<()> {
    let classes = ClassTable::asl_alphabet();
    let bytes = Net::new(classes.len()).onnx();
    let mut wrong = card(classes);
    wrong.preprocess = PreprocessSpec::imagenet(64, 64);
    let err = wrong.embed(&bytes, Path::new("tiny.onnx")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("tiny.onnx") && msg.contains("[1, 3, 32, 32]") && msg.contains("[1, 3, 64, 64]"), "{msg}");
    let mut wrong = card(ClassTable::asl_digits());
    wrong.preprocess = PreprocessSpec::imagenet(SIDE as u32, SIDE as u32);
    let msg = wrong.embed(&bytes, Path::new("tiny.onnx")).unwrap_err().to_string();
    assert!(msg.contains("'logits'") && msg.contains("[1, 29]") && msg.contains("10 classes"), "{msg}");
    Ok(())
}
