//! Progress of a run: the bar of an epoch's batches and the line logged after each epoch.

use indicatif::{ProgressBar, ProgressStyle};

use crate::eval::EpochRecord;

/// The progress bar of one epoch's batches.
pub(crate) struct EpochBar(ProgressBar);

impl EpochBar {
    /// A bar for `epoch` of `epochs`, `steps` batches long.
    pub fn new(epoch: usize, epochs: usize, steps: u64) -> Self {
        let bar = ProgressBar::new(steps);
        bar.set_style(
            ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {msg} eta {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("{epoch}/{epochs}"));
        Self(bar)
    }

    /// One more batch: the running loss and accuracy, throughput and data waits.
    pub fn step(&self, loss: f64, accuracy: f64, images_per_sec: f64, waiting_fraction: f64) {
        self.0.set_message(format!(
            "loss {:.4} acc {:.3} {:.0} img/s, waiting for data {:.0}%",
            loss,
            accuracy,
            images_per_sec,
            100.0 * waiting_fraction
        ));
        self.0.inc(1);
    }

    /// Clears the bar at the epoch's end.
    pub fn finish(self) {
        self.0.finish_and_clear();
    }
}

/// Logs an epoch's line: train and validation loss and accuracy, speed and data waits.
pub(crate) fn log_epoch(r: &EpochRecord, epochs: usize, waiting_fraction: f64) {
    tracing::info!(
        "epoch {}/{}: train loss {:.4} acc {:.4} | val loss {:.4} acc {:.4} | {:.0} img/s, {:.0} s, {:.0}% waiting for data",
        r.epoch,
        epochs,
        r.train_loss,
        r.train_accuracy,
        r.val_loss,
        r.val_accuracy,
        r.images_per_sec,
        r.seconds,
        100.0 * waiting_fraction
    );
}
