//! Classification metrics: confusion matrix, per-class precision/recall/F1 and their
//! macro and support-weighted averages, with scikit-learn's `zero_division=0` rules.

use serde::{Deserialize, Serialize};

/// One epoch of training, written as one JSON line of `metrics.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EpochRecord {
    /// Epoch number (as the trainer counts them).
    pub epoch: usize,
    /// Mean training loss over the epoch.
    pub train_loss: f64,
    /// Training accuracy over the epoch, 0..1.
    pub train_accuracy: f64,
    /// Validation loss after the epoch.
    pub val_loss: f64,
    /// Validation accuracy after the epoch, 0..1.
    pub val_accuracy: f64,
    /// Learning rate used in the epoch.
    pub lr: f64,
    /// Wall-clock seconds of the epoch.
    pub seconds: f64,
    /// Training throughput.
    pub images_per_sec: f64,
}

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClassMetrics {
    /// The class's label.
    pub label: String,
    /// TP / (TP + FP); 0 when the class is never predicted.
    pub precision: f64,
    /// TP / (TP + FN); 0 when the class never occurs.
    pub recall: f64,
    /// Harmonic mean of precision and recall; 0 when both are 0.
    pub f1: f64,
    /// Number of samples whose true class this is.
    pub support: u64,
}

/// Averages of the per-class metrics (macro or support-weighted).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Averages {
    /// Averaged precision.
    pub precision: f64,
    /// Averaged recall.
    pub recall: f64,
    /// Averaged F1.
    pub f1: f64,
    /// Total support (number of samples).
    pub support: u64,
}

/// An off-diagonal cell of the confusion matrix.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConfusedPair {
    /// The true class.
    pub true_label: String,
    /// The class predicted instead.
    pub predicted: String,
    /// How many samples of `true_label` were predicted as `predicted`.
    pub count: u64,
}

/// A classification report: what `write_reports` stores as `report.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    /// Fraction of samples predicted correctly, 0..1.
    pub accuracy: f64,
    /// Number of samples evaluated.
    pub samples: u64,
    /// Class labels, in model output order.
    pub classes: Vec<String>,
    /// Metrics of each class, in `classes` order.
    pub per_class: Vec<ClassMetrics>,
    /// Unweighted mean over all classes (including classes absent from the data).
    pub macro_avg: Averages,
    /// Mean over classes weighted by support.
    pub weighted_avg: Averages,
    /// Counts indexed `[true][predicted]`.
    pub confusion_matrix: Vec<Vec<u64>>,
    /// Up to [`TOP_CONFUSIONS`] largest off-diagonal cells, largest first; ties in
    /// (true, predicted) index order.
    pub top_confusions: Vec<ConfusedPair>,
    /// Mean loss over the evaluated samples, when known.
    pub loss: Option<f64>,
    /// Number of trainable parameters of the model, when known.
    pub parameters: Option<u64>,
    /// Inference throughput, when measured.
    pub inference_samples_per_sec: Option<f64>,
    /// Which split was evaluated, e.g. `"test"`.
    pub split: Option<String>,
    /// Architecture name.
    pub model: Option<String>,
}

/// How many confused pairs [`Report::top_confusions`] keeps.
pub const TOP_CONFUSIONS: usize = 10;

/// Why a report cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// `y_true` and `y_pred` differ in length.
    #[error("y_true has {y_true} samples but y_pred has {y_pred}")]
    LengthMismatch { y_true: usize, y_pred: usize },
    /// No samples.
    #[error("no samples to evaluate")]
    Empty,
    /// A class index is not below the number of labels.
    #[error("{which}[{position}] = {index} is out of range for {classes} classes")]
    IndexOutOfRange { which: &'static str, position: usize, index: usize, classes: usize },
}

/// `num / den`, or 0 when `den` is 0 (scikit-learn's `zero_division=0`).
fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 { 0.0 } else { num as f64 / den as f64 }
}

/// Computes the report of predictions `y_pred` against truths `y_true`, both indices
/// into `labels`. Every label gets a row, even one absent from both slices.
pub fn compute(y_true: &[usize], y_pred: &[usize], labels: &[String]) -> Result<Report, EvalError> {
    if y_true.len() != y_pred.len() {
        return Err(EvalError::LengthMismatch { y_true: y_true.len(), y_pred: y_pred.len() });
    }
    if y_true.is_empty() {
        return Err(EvalError::Empty);
    }
    let n = labels.len();
    for (which, ys) in [("y_true", y_true), ("y_pred", y_pred)] {
        if let Some((position, &index)) = ys.iter().enumerate().find(|&(_, &i)| i >= n) {
            return Err(EvalError::IndexOutOfRange { which, position, index, classes: n });
        }
    }

    let mut cm = vec![vec![0u64; n]; n];
    for (&t, &p) in y_true.iter().zip(y_pred) {
        cm[t][p] += 1;
    }
    let samples = y_true.len() as u64;
    let correct: u64 = (0..n).map(|i| cm[i][i]).sum();

    let per_class: Vec<ClassMetrics> = (0..n)
        .map(|i| {
            let tp = cm[i][i];
            let support: u64 = cm[i].iter().sum();
            let predicted: u64 = cm.iter().map(|row| row[i]).sum();
            // F1 = 2TP / (2TP + FP + FN): equal to 2PR/(P+R), and 0 whenever TP is 0.
            let f1_den = support + predicted;
            ClassMetrics {
                label: labels[i].clone(),
                precision: ratio(tp, predicted),
                recall: ratio(tp, support),
                f1: ratio(2 * tp, f1_den),
                support,
            }
        })
        .collect();

    let mean = |f: &dyn Fn(&ClassMetrics) -> f64| -> f64 {
        if n == 0 { 0.0 } else { per_class.iter().map(f).sum::<f64>() / n as f64 }
    };
    let macro_avg = Averages {
        precision: mean(&|c| c.precision),
        recall: mean(&|c| c.recall),
        f1: mean(&|c| c.f1),
        support: samples,
    };
    let weighted = |f: &dyn Fn(&ClassMetrics) -> f64| -> f64 {
        per_class.iter().map(|c| f(c) * c.support as f64).sum::<f64>() / samples as f64
    };
    let weighted_avg = Averages {
        precision: weighted(&|c| c.precision),
        recall: weighted(&|c| c.recall),
        f1: weighted(&|c| c.f1),
        support: samples,
    };

    let mut off: Vec<(u64, usize, usize)> = Vec::new();
    for (t, row) in cm.iter().enumerate() {
        for (p, &count) in row.iter().enumerate() {
            if t != p && count > 0 {
                off.push((count, t, p));
            }
        }
    }
    off.sort_by(|a, b| b.0.cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    let top_confusions = off
        .into_iter()
        .take(TOP_CONFUSIONS)
        .map(|(count, t, p)| ConfusedPair { true_label: labels[t].clone(), predicted: labels[p].clone(), count })
        .collect();

    Ok(Report {
        accuracy: ratio(correct, samples),
        samples,
        classes: labels.to_vec(),
        per_class,
        macro_avg,
        weighted_avg,
        confusion_matrix: cm,
        top_confusions,
        loss: None,
        parameters: None,
        inference_samples_per_sec: None,
        split: None,
        model: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn perfect_predictions() {
        let r = compute(&[0, 1, 2, 1], &[0, 1, 2, 1], &labels(&["a", "b", "c"])).unwrap();
        assert_eq!(r.accuracy, 1.0);
        assert_eq!(r.macro_avg.f1, 1.0);
        assert_eq!(r.weighted_avg.precision, 1.0);
        assert!(r.top_confusions.is_empty());
        assert_eq!(r.confusion_matrix, vec![vec![1, 0, 0], vec![0, 2, 0], vec![0, 0, 1]]);
    }

    #[test]
    fn absent_class_gets_zero_row() {
        // Class "c" neither occurs nor is predicted: all zeros, but it still counts in
        // the macro average (as in scikit-learn with `labels=` given).
        let r = compute(&[0, 1], &[0, 1], &labels(&["a", "b", "c"])).unwrap();
        let c = &r.per_class[2];
        assert_eq!((c.precision, c.recall, c.f1, c.support), (0.0, 0.0, 0.0, 0));
        assert!((r.macro_avg.f1 - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(r.weighted_avg.f1, 1.0);
    }

    #[test]
    fn errors() {
        let l = labels(&["a", "b"]);
        assert_eq!(compute(&[0], &[0, 1], &l), Err(EvalError::LengthMismatch { y_true: 1, y_pred: 2 }));
        assert_eq!(compute(&[], &[], &l), Err(EvalError::Empty));
        assert_eq!(
            compute(&[0, 2], &[0, 1], &l),
            Err(EvalError::IndexOutOfRange { which: "y_true", position: 1, index: 2, classes: 2 })
        );
        assert_eq!(
            compute(&[0, 1], &[5, 1], &l),
            Err(EvalError::IndexOutOfRange { which: "y_pred", position: 0, index: 5, classes: 2 })
        );
        assert!(compute(&[0], &[0], &[]).is_err());
    }
}
