//! Exported models (pictures or landmark masks) read in tract on every source of the
//! hand corpus, as the device would: the other rows of the leave-one-source-out table.
//! A picture model reads the whole picture; a mask model reads the mask drawn from the
//! same landmarks the landmark classifier gets (2-D logs drawn flat), and a picture with
//! no hand found is an all-black mask. Only letters count, as in [`super::loso`].

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;
use shared::Preprocessor;
use shared::card::InputSource;
use shared::tract_model::TractModel;

use crate::data::hand_corpus::{Corpus, PICTURE_SOURCES, load_pictures};
use crate::data::landmarks::MaskDraw;

/// One model on one source.
#[derive(Debug, Clone, Serialize)]
pub struct SourceScore {
    /// The model file.
    pub model: PathBuf,
    /// The source.
    pub source: String,
    /// Letters read.
    pub letters: usize,
    /// Letters read right.
    pub correct: usize,
    /// `correct / letters`.
    pub accuracy: f64,
}

/// Reads the letters of every source `model` can read (pictures need picture sources)
/// and scores them. `limit_per_class` must be the corpus's, so pictures line up with its
/// samples.
pub fn score(corpus: &Corpus, model: &Path, data: &Path, limit_per_class: Option<usize>) -> Result<Vec<SourceScore>> {
    let tract = TractModel::load(model)?;
    let mut pre = Preprocessor::new(tract.card.preprocess.clone())?;
    let classes = &tract.card.classes;
    let label_of = |probs: &[f32]| -> String {
        classes.get(super::argmax(probs)).map(|c| c.label.clone()).unwrap_or_default()
    };
    let mut scores = Vec::new();
    for (src, info) in corpus.sources.iter().enumerate() {
        let idx: Vec<usize> = (0..corpus.samples.len())
            .filter(|&i| corpus.samples[i].source == src && corpus.is_letter(corpus.samples[i].label))
            .collect();
        let mut correct = 0usize;
        match tract.card.input {
            InputSource::Crop => {
                let Some(ps) = PICTURE_SOURCES.iter().find(|p| p.name == info.name) else { continue };
                let Some((ds, _)) = load_pictures(ps, data, &corpus.classes, limit_per_class)? else { continue };
                let by_id: std::collections::HashMap<&str, &crate::data::Sample> =
                    ds.samples.iter().map(|s| (s.source.as_str(), s)).collect();
                for &i in &idx {
                    let s = &corpus.samples[i];
                    let pic = by_id.get(s.id.as_str()).with_context(|| format!("{}: picture not loaded again", s.id))?;
                    let probs = tract.probabilities(&pre.image(&pic.image)?)?;
                    correct += usize::from(label_of(&probs) == corpus.classes.get(s.label as usize).expect("label").label);
                }
            }
            InputSource::LandmarkMask { margin, style } => {
                let draw = MaskDraw { size: tract.card.preprocess.width, margin, style };
                for &i in &idx {
                    let s = &corpus.samples[i];
                    let probs = tract.probabilities(&pre.image(&draw.draw(s.points.as_ref()))?)?;
                    correct += usize::from(label_of(&probs) == corpus.classes.get(s.label as usize).expect("label").label);
                }
            }
            InputSource::Landmarks { .. } => continue,
        }
        scores.push(SourceScore {
            model: model.to_path_buf(),
            source: info.name.clone(),
            letters: idx.len(),
            correct,
            accuracy: correct as f64 / idx.len().max(1) as f64,
        });
    }
    Ok(scores)
}
