//! Export of a landmark classifier: the ONNX graph ([`super::emit::landmark_mlp`]) with
//! its card, through the same kind of parity gate as the picture models (real feature
//! rows through libtorch and through tract on the written bytes), written atomically
//! only when the gate passes.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use prost::Message;
use serde::Serialize;
use shared::ModelCard;
use shared::card::Quantization;
use shared::features::LEN;

use super::WeightForm;
use crate::train::landmark_model::LandmarkModel;

/// What the gate measured and where the file went.
#[derive(Debug, Clone, Serialize)]
pub struct LandmarkExport {
    /// Written file.
    pub path: PathBuf,
    /// Its size.
    pub bytes: usize,
    /// Feature rows compared.
    pub rows: usize,
    /// Share of rows whose top-1 class agrees.
    pub top1_agreement: f64,
    /// Largest absolute logit difference.
    pub max_abs_diff: f64,
    /// libtorch's logit range over the rows.
    pub logit_range: f64,
}

/// Writes `model` with `card` (its quantization set from `form`) to `out`, after
/// checking tract against libtorch on `rows` (at least 100 real feature rows).
pub fn export(model: &LandmarkModel, card: &ModelCard, rows: &[[f32; LEN]], out: &Path, form: WeightForm) -> Result<LandmarkExport> {
    if rows.len() < 100 {
        bail!("the parity gate needs at least 100 feature rows, got {}", rows.len());
    }
    let form_name = match form {
        WeightForm::Float => None,
        WeightForm::Int8WeightOnly => Some(format!("{}-per-channel", shared::tract_model::WEIGHTS_ONLY)),
        WeightForm::Int8Static(_) => bail!("landmark models export as float or weight-only int8"),
    };
    let weights = super::weights(&model.vs)?;
    let proto = super::emit::landmark_mlp(&weights, LEN as i64, model.classes as i64, model.nets.len(), form)?;
    let mut card = card.clone();
    card.quantization = match form_name {
        None => Quantization::Float32,
        Some(form) => Quantization::Int8 { form, calibration_images: 0 },
    };
    let bytes = card.embed(&proto.encode_to_vec(), out)?;
    let tract = shared::tract_model::TractModel::from_bytes(&bytes, out)?;
    let mut tally = super::Tally::new();
    for r in rows {
        tally.add(&model.logits(r)?, &tract.run(r)?)?;
    }
    if !tally.agrees(form) {
        bail!(
            "parity gate failed for {}: top-1 agreement {:.2}%, max |logit diff| {:.3e} (range {:.3}); nothing written",
            out.display(),
            100.0 * tally.top1(),
            tally.max_diff,
            tally.range()
        );
    }
    super::write_model(out, &bytes)?;
    Ok(LandmarkExport {
        path: out.to_path_buf(),
        bytes: bytes.len(),
        rows: rows.len(),
        top1_agreement: tally.top1(),
        max_abs_diff: tally.max_diff,
        logit_range: tally.range(),
    })
}
