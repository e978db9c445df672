//! Evaluation reports: classification metrics ([`compute`]), scikit-learn-style text
//! ([`Report::to_text`]), and the files written beside a model ([`write_reports`]):
//! `report.json`, `report.txt`, `confusion.png` and `curves.png`.

pub mod loso;
mod metrics;
mod plots;
mod report;
pub mod remembered;
pub mod run;
pub mod shipped;

pub use metrics::{Averages, ClassMetrics, ConfusedPair, EpochRecord, EvalError, Report, TOP_CONFUSIONS, compute};
pub use plots::{confusion_png, curves_png};
pub use report::write_reports;

/// Index of the largest value (the first of equals; 0 for an empty slice): the class a
/// row of logits or probabilities picks.
pub fn argmax(v: &[f32]) -> usize {
    v.iter().enumerate().fold(0, |best, (k, x)| if *x > v[best] { k } else { best })
}
