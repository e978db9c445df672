//! The report as text (scikit-learn's `classification_report` layout) and the report
//! files written beside a model.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use super::metrics::{EpochRecord, Report};
use super::plots::{confusion_png, curves_png};

/// Digits after the decimal point in [`Report::to_text`] (scikit-learn's default is 2;
/// we use 4).
const DIGITS: usize = 4;

impl Report {
    /// The report in exactly the layout of scikit-learn's
    /// `classification_report(y_true, y_pred, labels=..., target_names=..., digits=4)`:
    /// a header, one row per class, a blank line, then the `accuracy`, `macro avg` and
    /// `weighted avg` rows. Ends with a newline.
    pub fn to_text(&self) -> String {
        // sklearn: width = max(longest target name, len("weighted avg"), digits)
        let width =
            self.classes.iter().map(|c| c.chars().count()).max().unwrap_or(0).max("weighted avg".len()).max(DIGITS);
        let d = DIGITS;
        let mut s = String::new();
        // head_fmt = "{:>{width}s} " + " {:>9}" * 4, followed by "\n\n"
        let _ = write!(s, "{:>width$} ", "");
        for h in ["precision", "recall", "f1-score", "support"] {
            let _ = write!(s, " {h:>9}");
        }
        s.push_str("\n\n");
        // row_fmt = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"
        let row = |s: &mut String, name: &str, p: f64, r: f64, f: f64, support: u64| {
            let _ = writeln!(s, "{name:>width$}  {p:>9.d$} {r:>9.d$} {f:>9.d$} {support:>9}");
        };
        for c in &self.per_class {
            row(&mut s, &c.label, c.precision, c.recall, c.f1, c.support);
        }
        s.push('\n');
        // The accuracy row leaves precision and recall blank ("{:>9.4}" of "").
        let total = self.macro_avg.support;
        let blank = "";
        let _ = writeln!(s, "{:>width$}  {blank:>9} {blank:>9} {:>9.d$} {total:>9}", "accuracy", self.accuracy);
        let m = &self.macro_avg;
        row(&mut s, "macro avg", m.precision, m.recall, m.f1, m.support);
        let w = &self.weighted_avg;
        row(&mut s, "weighted avg", w.precision, w.recall, w.f1, w.support);
        s
    }

    /// The human-readable `report.txt`: [`Report::to_text`], then the run's details
    /// (split, model, loss, parameters, throughput) and the top confusions, when known.
    pub fn to_summary_text(&self) -> String {
        let mut s = self.to_text();
        let mut details = Vec::new();
        if let Some(v) = &self.split {
            details.push(format!("split: {v}"));
        }
        if let Some(v) = &self.model {
            details.push(format!("model: {v}"));
        }
        details.push(format!("samples: {}", self.samples));
        if let Some(v) = self.loss {
            details.push(format!("loss: {v:.4}"));
        }
        if let Some(v) = self.parameters {
            details.push(format!("parameters: {v}"));
        }
        if let Some(v) = self.inference_samples_per_sec {
            details.push(format!("inference: {v:.1} samples/s"));
        }
        s.push('\n');
        for line in details {
            s.push_str(&line);
            s.push('\n');
        }
        if !self.top_confusions.is_empty() {
            s.push_str("\ntop confusions (true -> predicted: count):\n");
            for c in &self.top_confusions {
                let _ = writeln!(s, "  {} -> {}: {}", c.true_label, c.predicted, c.count);
            }
        }
        s
    }
}

/// Writes the report files into `dir` (created if missing), each atomically:
/// `report.json` (pretty JSON of `report`), `report.txt` ([`Report::to_summary_text`]),
/// `confusion.png` and, when `history` is not empty, `curves.png`.
pub fn write_reports(dir: &Path, report: &Report, history: &[EpochRecord]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating report directory {}", dir.display()))?;
    let write = |name: &str, bytes: &[u8]| -> Result<()> {
        let path = dir.join(name);
        shared::atomic::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
    };

    let mut json = serde_json::to_string_pretty(report).context("serializing report.json")?;
    json.push('\n');
    write("report.json", json.as_bytes())?;
    write("report.txt", report.to_summary_text().as_bytes())?;

    let png = confusion_png(report).with_context(|| format!("rendering {}", dir.join("confusion.png").display()))?;
    write("confusion.png", &png)?;
    if !history.is_empty() {
        let png = curves_png(history).with_context(|| format!("rendering {}", dir.join("curves.png").display()))?;
        write("curves.png", &png)?;
    }
    Ok(())
}
