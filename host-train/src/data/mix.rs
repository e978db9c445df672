//! Data mixing for training: another dataset's samples added to the training part
//! ([`mix_in`]), and landmark-mask training without the pictures that show no hand
//! ([`drop_handless_training`]).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use shared::ClassKind;

use crate::data::Dataset;
use crate::data::split::Split;
use crate::train::{TrainConfig, load_dataset};

/// Appends the samples of `cfg.mix` (same class table) to the dataset and their indices
/// to the training part; validation and test stay the run's own data.
pub fn mix_in(cfg: &TrainConfig, ds: Arc<Dataset>, mut split: Split) -> Result<(Arc<Dataset>, Split)> {
    let Some(mix) = &cfg.mix else { return Ok((ds, split)) };
    let mix_cfg = TrainConfig { dataset: mix.dataset.clone(), format: None, limit_per_class: None, mix: None, ..cfg.clone() };
    let other = load_dataset(&mix_cfg)?;
    if other.classes != ds.classes {
        bail!(
            "{}: class table '{}' is not the run's '{}' (pass --classes {})",
            mix.dataset.display(),
            other.classes.name,
            ds.classes.name,
            ds.classes.name
        );
    }
    let exclude: std::collections::HashSet<String> = match &mix.exclude {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("reading {}", p.display()))?
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect(),
        None => Default::default(),
    };
    let relative = |source: &str| {
        Path::new(source).strip_prefix(&other.root).map(|r| r.to_string_lossy().into_owned()).unwrap_or_else(|_| source.to_string())
    };
    let mut ds = Arc::unwrap_or_clone(ds);
    let mut per_class = vec![0usize; other.classes.len()];
    let (mut added, mut excluded) = (0, 0);
    for (i, s) in other.samples.iter().enumerate() {
        if exclude.contains(&relative(&s.source)) {
            excluded += 1;
            continue;
        }
        let n = &mut per_class[s.label as usize];
        if mix.per_class.is_some_and(|cap| *n >= cap) {
            continue;
        }
        *n += 1;
        split.train.push(ds.samples.len());
        ds.samples.push(s.clone());
        if let (Some(m), Some(o)) = (&mut ds.masks, &other.masks) {
            m.points.push(o.points[i]);
        }
        added += 1;
    }
    if exclude.len() > excluded {
        tracing::warn!(listed = exclude.len(), matched = excluded, "some excluded files are not in {}", mix.dataset.display());
    }
    tracing::info!(added, excluded, dataset = %mix.dataset.display(), "mixed into the training part");
    Ok((Arc::new(ds), split))
}

/// Landmark-mask training leaves out the training samples in which no hand was found
/// (a black mask labelled with a letter would teach the model that a black mask is that
/// letter), except in classes that show no hand (`nothing`). Validation and test keep
/// every sample, so their accuracy counts the pictures the hand stage misses.
pub fn drop_handless_training(ds: &Dataset, mut split: Split) -> Split {
    let Some(masks) = &ds.masks else { return split };
    let without: std::collections::HashSet<usize> = masks.without_hand().collect();
    let before = split.train.len();
    split.train.retain(|i| {
        !without.contains(i) || ds.classes.get(ds.samples[*i].label as usize).is_some_and(|c| c.kind == ClassKind::Nothing)
    });
    tracing::info!(left_out = before - split.train.len(), "training samples without a hand left out");
    split
}
