//! Evaluation reports: classification metrics ([`compute`]), scikit-learn-style text
//! ([`Report::to_text`]), and the files written beside a model ([`write_reports`]):
//! `report.json`, `report.txt`, `confusion.png` and `curves.png`.

pub mod loso;
mod metrics;
mod plots;
mod report;
pub mod shipped;

pub use metrics::{Averages, ClassMetrics, ConfusedPair, EpochRecord, EvalError, Report, TOP_CONFUSIONS, compute};
pub use plots::{confusion_png, curves_png};
pub use report::write_reports;
