//! What a model's leave-one-source-out folds read, stored beside the model as
//! `NAME.loso.json`: per held-out source, the confusion counts of its letters and a
//! sample of the folds' output probabilities.
//!
//! Written by `host-train landmarks`; read by the device's lexicon decoder (its noisy
//! channel: how letters of people the model never saw are misread) and by
//! `device spell-bench` (words spelled from frames of people the model never saw).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Format version of [`LosoOutputs`].
pub const VERSION: u32 = 1;

/// Counts a fold's row of one class weighs in [`LosoOutputs::confusion`].
pub const ROW_WEIGHT: f32 = 100.0;

/// Probabilities kept per frame; the rest of the mass is spread evenly on reading.
pub const TOP_K: usize = 5;

/// Errors reading a `NAME.loso.json` file.
#[derive(Debug, thiserror::Error)]
pub enum LosoError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// Not JSON of this format.
    #[error("{path}: not a leave-one-source-out file: {source}")]
    Parse { path: PathBuf, source: serde_json::Error },
    /// Parsed, but inconsistent.
    #[error("{path}: {what}")]
    Invalid { path: PathBuf, what: String },
}

/// Every fold of one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LosoOutputs {
    /// [`VERSION`].
    pub version: u32,
    /// Class labels in output order (the model's class table).
    pub classes: Vec<String>,
    /// One per held-out source.
    pub folds: Vec<FoldOutputs>,
}

/// One held-out source, read by a model trained on all the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FoldOutputs {
    /// The held-out source (a signer, an author, a photo collection).
    pub source: String,
    /// `confusion[truth][read]`: every letter of the source (a picture without a hand
    /// is read as `nothing`).
    pub confusion: Vec<Vec<u32>>,
    /// A sample of its letters (at most a few per letter) with what the model read.
    pub frames: Vec<FrameOutput>,
}

/// One held-out picture or landmark row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameOutput {
    /// The true class.
    pub truth: u32,
    /// The [`TOP_K`] most probable classes with their probabilities; empty where no
    /// hand was found.
    pub top: Vec<(u32, f32)>,
    /// The landmark features the fold's model read ([`crate::features`], three
    /// decimals), where a hand was found: what the kiosk remembers of a signer's
    /// confirmed letters ([`crate::signer`]), for `device spell-bench`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<f32>>,
}

impl FrameOutput {
    /// A frame from full probabilities (`None`: no hand), keeping the top [`TOP_K`]
    /// rounded to four decimals.
    pub fn new(truth: u32, probs: Option<&[f32]>) -> Self {
        let mut top: Vec<(u32, f32)> = probs.map_or_else(Vec::new, |p| p.iter().enumerate().map(|(i, &p)| (i as u32, p)).collect());
        top.sort_by(|a, b| b.1.total_cmp(&a.1));
        top.truncate(TOP_K);
        for t in &mut top {
            t.1 = (t.1 * 1e4).round() / 1e4;
        }
        Self { truth, top, features: None }
    }

    /// This frame with the features its model read (rounded to three decimals).
    pub fn with_features(mut self, features: Option<&[f32]>) -> Self {
        self.features = features.map(|f| f.iter().map(|v| (v * 1e3).round() / 1e3).collect());
        self
    }

    /// Full probabilities over `n` classes, or `None` where no hand was found.
    pub fn probabilities(&self, n: usize) -> Option<Vec<f32>> {
        if self.top.is_empty() {
            return None;
        }
        let kept: f32 = self.top.iter().map(|t| t.1).sum();
        let rest = n.saturating_sub(self.top.len());
        let fill = if rest == 0 { 0.0 } else { (1.0 - kept).max(0.0) / rest as f32 };
        let mut p = vec![fill; n];
        for &(i, v) in &self.top {
            if let Some(slot) = p.get_mut(i as usize) {
                *slot = v;
            }
        }
        Some(p)
    }
}

impl LosoOutputs {
    /// Where a model's file lives: `NAME.loso.json` beside `NAME.onnx`.
    pub fn path_for(model: &Path) -> PathBuf {
        let stem = model.file_stem().unwrap_or_default().to_string_lossy();
        model.with_file_name(format!("{stem}.loso.json"))
    }

    /// Reads and checks a file.
    pub fn load(path: &Path) -> Result<Self, LosoError> {
        let text = std::fs::read_to_string(path).map_err(|source| LosoError::Io { path: path.into(), source })?;
        let out: Self = serde_json::from_str(&text).map_err(|source| LosoError::Parse { path: path.into(), source })?;
        out.check().map_err(|what| LosoError::Invalid { path: path.into(), what })?;
        Ok(out)
    }

    /// Consistency: version, square confusions of the class count, class indices in
    /// range.
    pub fn check(&self) -> Result<(), String> {
        if self.version != VERSION {
            return Err(format!("version {} (this build reads {VERSION})", self.version));
        }
        let n = self.classes.len();
        for f in &self.folds {
            if f.confusion.len() != n || f.confusion.iter().any(|r| r.len() != n) {
                return Err(format!("fold {}: confusion is not {n}x{n}", f.source));
            }
            if let Some(bad) = f.frames.iter().find(|fr| fr.truth as usize >= n || fr.top.iter().any(|t| t.0 as usize >= n)) {
                return Err(format!("fold {}: frame of class {} names a class outside the {n}", f.source, bad.truth));
            }
            if let Some(bad) = f.frames.iter().find(|fr| fr.features.as_ref().is_some_and(|v| v.len() != crate::features::LEN)) {
                let len = bad.features.as_ref().map_or(0, Vec::len);
                return Err(format!("fold {}: a frame of class {} has {len} features, not {}", f.source, bad.truth, crate::features::LEN));
            }
        }
        Ok(())
    }

    /// Confusions of every fold except `exclude` (a source name), each source weighing
    /// alike: a fold's row of a class it has is scaled to [`ROW_WEIGHT`] counts, so that
    /// a source with many pictures (sign-mnist's 11,705) does not outvote the others,
    /// as in the mean over folds that is the headline accuracy.
    pub fn confusion(&self, exclude: Option<&str>) -> Vec<Vec<f32>> {
        let n = self.classes.len();
        let mut sum = vec![vec![0f32; n]; n];
        for f in self.folds.iter().filter(|f| Some(f.source.as_str()) != exclude) {
            for (s, r) in sum.iter_mut().zip(&f.confusion) {
                let total = r.iter().sum::<u32>();
                if total == 0 {
                    continue;
                }
                for (a, &b) in s.iter_mut().zip(r) {
                    *a += ROW_WEIGHT * b as f32 / total as f32;
                }
            }
        }
        sum
    }

    /// Writes the file atomically.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string(self).map_err(std::io::Error::other)?;
        crate::atomic::write(path, text.as_bytes())
    }
}

/// FNV-1a of `s`: the same on every run and machine (std's hasher is seeded), for the
/// evaluations' seeded choices: which half of a held-out source a group of pictures goes
/// to (host-train), a fold's seed (`device spell-bench`).
pub fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_hash_is_fnv1a() {
        // The published FNV-1a 64-bit test vectors.
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(stable_hash("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn frames_keep_the_top_and_spread_the_rest() {
        let p = [0.5, 0.2, 0.1, 0.1, 0.05, 0.03, 0.02];
        let f = FrameOutput::new(0, Some(&p));
        assert_eq!(f.top.len(), TOP_K);
        assert_eq!(f.top[0], (0, 0.5));
        let back = f.probabilities(7).unwrap();
        assert!((back.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        assert!((back[5] - 0.025).abs() < 1e-6 && (back[6] - 0.025).abs() < 1e-6);
        assert_eq!(FrameOutput::new(3, None).probabilities(7), None);
    }

    #[test]
    fn bad_files_are_named_errors() {
        let dir = std::env::temp_dir().join(format!("loso-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.loso.json");
        let good = LosoOutputs {
            version: VERSION,
            classes: vec!["A".into(), "B".into()],
            folds: vec![FoldOutputs { source: "s".into(), confusion: vec![vec![3, 1], vec![0, 4]], frames: vec![FrameOutput::new(1, Some(&[0.2, 0.8]))] }],
        };
        good.save(&path).unwrap();
        assert_eq!(LosoOutputs::load(&path).unwrap(), good);
        assert_eq!(good.confusion(None), vec![vec![75.0, 25.0], vec![0.0, 100.0]]);
        assert_eq!(good.confusion(Some("s")), vec![vec![0.0, 0.0], vec![0.0, 0.0]]);
        // A second source with ten times the pictures weighs the same.
        let mut two = good.clone();
        two.folds.push(FoldOutputs { source: "t".into(), confusion: vec![vec![40, 0], vec![0, 40]], frames: Vec::new() });
        assert_eq!(two.confusion(None), vec![vec![175.0, 25.0], vec![0.0, 200.0]]);
        let mut bad = good.clone();
        bad.folds[0].confusion.pop();
        bad.save(&path).unwrap();
        let e = LosoOutputs::load(&path).unwrap_err().to_string();
        assert!(e.contains("m.loso.json") && e.contains("2x2"), "{e}");
        std::fs::write(&path, "{\"version\": 1").unwrap();
        assert!(matches!(LosoOutputs::load(&path), Err(LosoError::Parse { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
