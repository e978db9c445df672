//! Train/validation/test splits of a [`Dataset`], as lists of sample indices.
//!
//! - [`SplitKind::Stratified`]: each class is shuffled (ChaCha8 seeded with the seed,
//!   classes in order) and its first `round(n * test_fraction)` samples go to test, the
//!   next `round(n * val_fraction)` to validation, the rest to training; a class with
//!   at least 3 samples gives at least one to each part whose fraction is above 0, and
//!   training always keeps at least one.
//! - [`SplitKind::Grouped`]: within each class the samples are sorted by
//!   ([`Sample::frame`](super::Sample::frame), source) and cut into consecutive runs of
//!   `group_size`; the runs are shuffled and whole runs go to test, validation and
//!   training by the same rule, counted in runs. Near-duplicate neighbouring video
//!   frames therefore never straddle train and test. Every sample needs a frame number.
//! - [`SplitKind::Dataset`]: the dataset's own split: [`Subset::Test`] samples are the
//!   test part, [`Subset::Train`] samples are split stratified into training and
//!   validation by `val_fraction` (`test_fraction` is not used).
//!
//! The same dataset, options and seed always give the same split. Index lists are
//! sorted ascending.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use shared::card::SplitInfo;
pub use shared::card::SplitKind;

use super::{Dataset, Subset};

/// A split: indices into [`Dataset::samples`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Split {
    /// How it was made.
    pub kind: SplitKind,
    /// The seed of its shuffles.
    pub seed: u64,
    /// Training samples.
    pub train: Vec<usize>,
    /// Validation samples (model selection, early stopping).
    pub val: Vec<usize>,
    /// Test samples, for the final numbers only.
    pub test: Vec<usize>,
}

/// How to split.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SplitOptions {
    /// Kind of split.
    pub kind: SplitKind,
    /// Seed of the shuffles.
    pub seed: u64,
    /// Share of each class (or of the training subset) for validation.
    pub val_fraction: f64,
    /// Share of each class for test (not used by [`SplitKind::Dataset`]).
    pub test_fraction: f64,
    /// Samples per run of consecutive frames ([`SplitKind::Grouped`]).
    pub group_size: usize,
}

impl Default for SplitOptions {
    fn default() -> Self {
        Self { kind: SplitKind::Stratified, seed: 0, val_fraction: 0.15, test_fraction: 0.15, group_size: 10 }
    }
}

/// Splits `ds` (see the module documentation).
pub fn make_split(ds: &Dataset, opts: &SplitOptions) -> Result<Split> {
    let frac_ok = |f: f64| f.is_finite() && (0.0..1.0).contains(&f);
    ensure!(frac_ok(opts.val_fraction), "val_fraction {} is not in 0..1", opts.val_fraction);
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let (mut train, mut val, mut test) = (Vec::new(), Vec::new(), Vec::new());
    match opts.kind {
        SplitKind::Stratified => {
            check_fractions(opts)?;
            for mut members in by_class(ds, 0..ds.samples.len()) {
                members.shuffle(&mut rng);
                let (nv, nt) = part_sizes(members.len(), opts.val_fraction, opts.test_fraction);
                test.extend_from_slice(&members[..nt]);
                val.extend_from_slice(&members[nt..nt + nv]);
                train.extend_from_slice(&members[nt + nv..]);
            }
        }
        SplitKind::Grouped => {
            check_fractions(opts)?;
            ensure!(opts.group_size >= 1, "group_size must be at least 1");
            if let Some(s) = ds.samples.iter().find(|s| s.frame.is_none()) {
                bail!(
                    "grouped split of {}: sample {} has no frame number in its name (grouped splits need \
                     numbered files, e.g. A1008.jpg)",
                    ds.name,
                    s.source
                );
            }
            for mut members in by_class(ds, 0..ds.samples.len()) {
                members.sort_by(|&a, &b| {
                    let (a, b) = (&ds.samples[a], &ds.samples[b]);
                    (a.frame, &a.source).cmp(&(b.frame, &b.source))
                });
                let mut groups: Vec<&[usize]> = members.chunks(opts.group_size).collect();
                groups.shuffle(&mut rng);
                let (nv, nt) = part_sizes(groups.len(), opts.val_fraction, opts.test_fraction);
                test.extend(groups[..nt].iter().flat_map(|g| g.iter()));
                val.extend(groups[nt..nt + nv].iter().flat_map(|g| g.iter()));
                train.extend(groups[nt + nv..].iter().flat_map(|g| g.iter()));
            }
        }
        SplitKind::LeaveOneSourceOut => {
            bail!("a leave-one-source-out split spans several sources: use `host-train landmarks --split leave-one-source-out`")
        }
        SplitKind::Dataset => {
            let subsets = |want: Subset| ds.samples.iter().filter(|s| s.subset == Some(want)).count();
            let none = ds.samples.iter().filter(|s| s.subset.is_none()).count();
            if none == ds.samples.len() {
                bail!("dataset {} has no own train/test split (use a stratified or grouped split)", ds.name);
            }
            ensure!(none == 0, "dataset {}: {none} samples belong to neither its train nor its test part", ds.name);
            ensure!(subsets(Subset::Train) > 0, "dataset {} has no training part of its own", ds.name);
            ensure!(subsets(Subset::Test) > 0, "dataset {} has no test part of its own", ds.name);
            test.extend((0..ds.samples.len()).filter(|&i| ds.samples[i].subset == Some(Subset::Test)));
            let train_part = (0..ds.samples.len()).filter(|&i| ds.samples[i].subset == Some(Subset::Train));
            for mut members in by_class(ds, train_part) {
                members.shuffle(&mut rng);
                let (nv, _) = part_sizes(members.len(), opts.val_fraction, 0.0);
                val.extend_from_slice(&members[..nv]);
                train.extend_from_slice(&members[nv..]);
            }
        }
    }
    train.sort_unstable();
    val.sort_unstable();
    test.sort_unstable();
    Ok(Split { kind: opts.kind, seed: opts.seed, train, val, test })
}

fn check_fractions(opts: &SplitOptions) -> Result<()> {
    let t = opts.test_fraction;
    ensure!(t.is_finite() && (0.0..1.0).contains(&t), "test_fraction {t} is not in 0..1");
    ensure!(
        opts.val_fraction + t < 1.0,
        "val_fraction {} + test_fraction {t} leave nothing for training",
        opts.val_fraction
    );
    Ok(())
}

/// The given sample indices grouped by class, in class order, each in index order.
fn by_class(ds: &Dataset, indices: impl Iterator<Item = usize>) -> Vec<Vec<usize>> {
    let mut classes = vec![Vec::new(); ds.classes.len()];
    for i in indices {
        classes[ds.samples[i].label as usize].push(i);
    }
    classes
}

/// (validation, test) sizes for `n` items: rounded fractions, at least 1 each (for a
/// fraction above 0) when `n >= 3`, and at least 1 left for training.
pub fn part_sizes(n: usize, val_fraction: f64, test_fraction: f64) -> (usize, usize) {
    let mut v = (n as f64 * val_fraction).round() as usize;
    let mut t = (n as f64 * test_fraction).round() as usize;
    if n >= 3 {
        if val_fraction > 0.0 {
            v = v.max(1);
        }
        if test_fraction > 0.0 {
            t = t.max(1);
        }
    }
    while v + t > n.saturating_sub(1) && v + t > 0 {
        if v >= t { v -= 1 } else { t -= 1 }
    }
    (v, t)
}

impl Split {
    /// Writes the split as JSON, atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut json = serde_json::to_vec(self).context("serializing split")?;
        json.push(b'\n');
        shared::atomic::write(path, &json).with_context(|| format!("{}: cannot write split", path.display()))
    }

    /// Reads a split written by [`Split::save`] and checks it against `ds`.
    pub fn load(path: &Path, ds: &Dataset) -> Result<Split> {
        let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read split file", path.display()))?;
        let split: Split = serde_json::from_slice(&bytes)
            .map_err(|e| anyhow::anyhow!("{}: not a valid split file: {e}", path.display()))?;
        split
            .validate(ds.samples.len())
            .map_err(|e| anyhow::anyhow!("{}: split does not fit dataset {}: {e}", path.display(), ds.name))?;
        Ok(split)
    }

    /// Checks that every index is below `n` and no index appears twice.
    pub fn validate(&self, n: usize) -> Result<()> {
        let mut seen: HashMap<usize, &str> = HashMap::with_capacity(self.len());
        for (part, list) in [("train", &self.train), ("val", &self.val), ("test", &self.test)] {
            for &i in list {
                ensure!(i < n, "index {i} in {part} is out of range (the dataset has {n} samples)");
                if let Some(first) = seen.insert(i, part) {
                    bail!("sample {i} appears twice ({first} and {part})");
                }
            }
        }
        Ok(())
    }

    /// Total number of samples in the three parts.
    pub fn len(&self) -> usize {
        self.train.len() + self.val.len() + self.test.len()
    }

    /// True when all three parts are empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The split's summary for the model card.
    pub fn info(&self) -> SplitInfo {
        SplitInfo {
            kind: self.kind,
            seed: Some(self.seed),
            train: self.train.len() as u64,
            val: self.val.len() as u64,
            test: self.test.len() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(part_sizes(100, 0.15, 0.15), (15, 15));
        assert_eq!(part_sizes(3, 0.15, 0.15), (1, 1));
        assert_eq!(part_sizes(2, 0.15, 0.15), (0, 0));
        assert_eq!(part_sizes(1, 0.5, 0.4), (0, 0));
        assert_eq!(part_sizes(10, 0.5, 0.45), (4, 5));
        assert_eq!(part_sizes(10, 0.0, 0.2), (0, 2));
        assert_eq!(part_sizes(0, 0.2, 0.2), (0, 0));
    }

    #[test]
    fn validation() {
        let s = Split { kind: SplitKind::Stratified, seed: 1, train: vec![0, 1], val: vec![2], test: vec![3] };
        s.validate(4).unwrap();
        assert!(s.validate(3).unwrap_err().to_string().contains("index 3 in test is out of range"));
        let d = Split { test: vec![1], ..s.clone() };
        assert!(d.validate(4).unwrap_err().to_string().contains("sample 1 appears twice (train and test)"));
        assert_eq!(s.info(), SplitInfo { kind: SplitKind::Stratified, seed: Some(1), train: 2, val: 1, test: 1 });
    }
}
