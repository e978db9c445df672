//! A run's progress ([`RunState`]), saved inside each last checkpoint, and early
//! stopping: which epoch is the best so far and how long since it improved.

use serde::{Deserialize, Serialize};

use super::TrainConfig;
use super::schedule::Schedule;
use crate::eval::EpochRecord;

/// Progress saved with each checkpoint (inside it as [`super::checkpoint::RUN_STATE`],
/// and as `checkpoints/state.json` to read).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RunState {
    /// Epochs completed.
    pub epoch: usize,
    /// Optimizer steps taken.
    pub step: u64,
    /// Best selection metric (higher is better) and its epoch.
    pub best: f64,
    pub best_epoch: usize,
    /// Epochs since the best.
    pub bad_epochs: usize,
    pub schedule: Schedule,
    pub history: Vec<EpochRecord>,
}

impl RunState {
    /// The state of a run that has not started: `steps_per_epoch` sizes the schedule.
    pub fn new(cfg: &TrainConfig, steps_per_epoch: u64) -> Self {
        Self {
            epoch: 0,
            step: 0,
            // Finite: JSON has no infinities, and the state must read back.
            best: f64::MIN,
            best_epoch: 0,
            bad_epochs: 0,
            schedule: Schedule::new(cfg.schedule, cfg.optim.lr, steps_per_epoch * cfg.epochs as u64, cfg.plateau_patience)
                .with_warmup(cfg.warmup_fraction),
            history: Vec::new(),
        }
    }

    /// Early stopping: whether `patience` epochs (when set) have passed without improvement.
    pub fn should_stop(&self, patience: Option<usize>) -> bool {
        patience.is_some_and(|p| self.bad_epochs >= p)
    }

    /// Records `epoch`'s selection `metric` (higher is better); true when it is the new
    /// best (the caller saves the best checkpoint).
    pub fn observe(&mut self, epoch: usize, metric: f64) -> bool {
        if metric > self.best {
            self.best = metric;
            self.best_epoch = epoch;
            self.bad_epochs = 0;
            true
        } else {
            self.bad_epochs += 1;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::schedule::ScheduleKind;

    fn state() -> RunState {
        RunState {
            epoch: 0,
            step: 0,
            best: f64::MIN,
            best_epoch: 0,
            bad_epochs: 0,
            schedule: Schedule::new(ScheduleKind::Constant, 1e-3, 10, 2),
            history: Vec::new(),
        }
    }

    #[test]
    fn early_stop_counts_epochs_since_the_best() {
        let mut s = state();
        assert!(s.observe(1, 0.5));
        assert!(!s.observe(2, 0.5), "equal is not better");
        assert!(!s.should_stop(Some(2)));
        assert!(!s.observe(3, 0.4));
        assert!(s.should_stop(Some(2)));
        assert!(!s.should_stop(None));
        assert!(s.observe(4, 0.6));
        assert_eq!((s.best_epoch, s.bad_epochs), (4, 0));
    }
}
