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
    let proto = super::emit::landmark_mlp(&weights, LEN as i64, model.classes as i64, form)?;
    let mut card = card.clone();
    card.quantization = match form_name {
        None => Quantization::Float32,
        Some(form) => Quantization::Int8 { form, calibration_images: 0 },
    };
    let bytes = card.embed(&proto.encode_to_vec(), out)?;
    let tract = shared::tract_model::TractModel::from_bytes(&bytes, out)?;
    let (mut agree, mut max_diff, mut lo, mut hi) = (0usize, 0f64, f64::MAX, f64::MIN);
    let top = |v: &[f32]| v.iter().enumerate().fold(0, |b, (i, x)| if *x > v[b] { i } else { b });
    for r in rows {
        let a = model.logits(r)?;
        let b = tract.run(r)?;
        for (x, y) in a.iter().zip(&b) {
            max_diff = max_diff.max((x - y).abs() as f64);
            lo = lo.min(*x as f64);
            hi = hi.max(*x as f64);
        }
        agree += usize::from(top(&a) == top(&b));
    }
    let range = (hi - lo).max(1e-12);
    let top1 = agree as f64 / rows.len() as f64;
    let passed = match form {
        WeightForm::Float => agree == rows.len() && max_diff <= 1e-3 * range,
        _ => top1 >= 0.99,
    };
    if !passed {
        bail!(
            "parity gate failed for {}: top-1 agreement {:.2}%, max |logit diff| {max_diff:.3e} (range {range:.3}); nothing written",
            out.display(),
            100.0 * top1
        );
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    shared::atomic::write(out, &bytes).map_err(|e| anyhow::anyhow!("writing {}: {e}", out.display()))?;
    Ok(LandmarkExport { path: out.to_path_buf(), bytes: bytes.len(), rows: rows.len(), top1_agreement: top1, max_abs_diff: max_diff, logit_range: range })
}
