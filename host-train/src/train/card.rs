//! The draft model card a run writes as `card.json` (export embeds it in the ONNX file).

use std::collections::BTreeMap;

use shared::card::{Architecture, DatasetInfo, ModelCard, Producer, Quantization};

use super::{Model, TrainConfig};
use crate::data::Dataset;
use crate::data::split::Split;
use crate::eval::Report;

/// The model card export will store in the ONNX file (float; export fills in
/// quantization).
pub(crate) fn draft_card(
    cfg: &TrainConfig,
    ds: &Dataset,
    split: &Split,
    model: &Model,
    params: u64,
    report: &Report,
) -> ModelCard {
    let mut hyper = BTreeMap::new();
    hyper.insert("width".to_string(), serde_json::json!(cfg.width));
    hyper.insert("input_size".to_string(), serde_json::json!(cfg.input_size));
    hyper.insert("dropout".to_string(), serde_json::json!(cfg.dropout));
    if cfg.arch.ends_with("-ca") || cfg.arch == "custom-cnn" {
        hyper.insert("ca_reduction".to_string(), serde_json::json!(cfg.ca_reduction));
    }
    let name = ds.root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| ds.name.clone());
    ModelCard {
        schema: shared::card::SCHEMA.into(),
        schema_version: shared::card::SCHEMA_VERSION,
        name: format!("{name}-{}-{}-{}", cfg.arch, cfg.width, cfg.input_size),
        classes: ds.classes.clone(),
        preprocess: cfg.preprocess(),
        input: cfg.input.source(),
        output: model.spec.output_kind(),
        architecture: Architecture { name: cfg.arch.clone(), hyperparameters: hyper },
        parameters: params,
        dataset: DatasetInfo {
            name: ds.name.clone(),
            path: Some(cfg.dataset.display().to_string()),
            split: split.info(),
        },
        metrics: BTreeMap::from([
            ("test_accuracy".to_string(), report.accuracy),
            ("test_macro_f1".to_string(), report.macro_avg.f1),
        ]),
        quantization: Quantization::Float32,
        producer: Producer { name: "host-train".into(), version: env!("CARGO_PKG_VERSION").into() },
    }
}
