//! Learning-rate schedules: constant, one-cycle and cosine per step, and
//! reduce-on-plateau per epoch.

use serde::{Deserialize, Serialize};

/// Which schedule.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleKind {
    /// The peak rate throughout.
    Constant,
    /// One cycle (Smith 2018), as PyTorch's OneCycleLR: warm up for a fraction of the
    /// steps (`pct_start`, 30% unless set) from lr/25 to lr, then anneal to lr/25e4,
    /// both by cosine.
    Onecycle,
    /// Cosine annealing from lr to 0 over all steps.
    Cosine,
    /// Halve the rate when the validation metric has not improved for `patience`
    /// epochs.
    Plateau,
}

/// Schedule state; serialized into checkpoints so a resumed run continues exactly.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Schedule {
    /// Which schedule.
    pub kind: ScheduleKind,
    /// Peak learning rate.
    pub lr: f64,
    /// Total optimizer steps of the run.
    pub total_steps: u64,
    /// Plateau: epochs without improvement before reducing.
    pub patience: usize,
    /// One-cycle: the fraction of the steps spent warming up.
    #[serde(default = "default_warmup")]
    pub warmup: f64,
    /// Plateau: the current rate.
    pub plateau_lr: f64,
    /// Plateau: best metric so far (higher is better).
    pub plateau_best: f64,
    /// Plateau: epochs since the best.
    pub plateau_bad: usize,
}

/// PyTorch OneCycleLR's default `pct_start`.
pub fn default_warmup() -> f64 {
    0.3
}

impl Schedule {
    /// A schedule peaking at `lr` over `total_steps` steps.
    pub fn new(kind: ScheduleKind, lr: f64, total_steps: u64, patience: usize) -> Self {
        Self {
            kind,
            lr,
            total_steps: total_steps.max(1),
            patience,
            warmup: default_warmup(),
            plateau_lr: lr,
            plateau_best: f64::MIN,
            plateau_bad: 0,
        }
    }

    /// The same schedule warming up for `fraction` of the steps (one-cycle only).
    pub fn with_warmup(mut self, fraction: f64) -> Self {
        self.warmup = fraction;
        self
    }

    /// The rate for optimizer step `step` (0-based).
    pub fn lr_at(&self, step: u64) -> f64 {
        let t = (step as f64 / self.total_steps as f64).min(1.0);
        let cos = |from: f64, to: f64, p: f64| to + (from - to) * 0.5 * (1.0 + (std::f64::consts::PI * p).cos());
        match self.kind {
            ScheduleKind::Constant => self.lr,
            ScheduleKind::Plateau => self.plateau_lr,
            ScheduleKind::Cosine => cos(self.lr, 0.0, t),
            ScheduleKind::Onecycle => {
                let (start, end) = (self.lr / 25.0, self.lr / 25.0 / 1e4);
                let warm = self.warmup;
                if t < warm { cos(start, self.lr, t / warm) } else { cos(self.lr, end, (t - warm) / (1.0 - warm)) }
            }
        }
    }

    /// Reports an epoch's validation metric (higher is better); plateau reduces its rate.
    pub fn end_epoch(&mut self, metric: f64) {
        if self.kind != ScheduleKind::Plateau {
            return;
        }
        if metric > self.plateau_best + 1e-6 {
            self.plateau_best = metric;
            self.plateau_bad = 0;
        } else {
            self.plateau_bad += 1;
            if self.plateau_bad > self.patience {
                self.plateau_lr *= 0.5;
                self.plateau_bad = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onecycle_warms_up_then_anneals() {
        let s = Schedule::new(ScheduleKind::Onecycle, 1e-2, 100, 0);
        assert!((s.lr_at(0) - 4e-4).abs() < 1e-12);
        assert!((s.lr_at(30) - 1e-2).abs() < 1e-12);
        assert!(s.lr_at(15) > 4e-4 && s.lr_at(15) < 1e-2);
        assert!((s.lr_at(100) - 4e-8).abs() < 1e-15);
        // Seed 000's pct_start = 0.1: the peak comes at step 10 of 100.
        let s = Schedule::new(ScheduleKind::Onecycle, 1e-2, 100, 0).with_warmup(0.1);
        assert!((s.lr_at(10) - 1e-2).abs() < 1e-12);
        assert!(s.lr_at(30) < 1e-2);
    }

    #[test]
    fn cosine_and_plateau() {
        let s = Schedule::new(ScheduleKind::Cosine, 1.0, 10, 0);
        assert_eq!((s.lr_at(0), s.lr_at(5)), (1.0, 0.5));
        let mut p = Schedule::new(ScheduleKind::Plateau, 1.0, 10, 1);
        for m in [0.5, 0.6, 0.6, 0.6] {
            p.end_epoch(m);
        }
        assert_eq!(p.lr_at(0), 0.5);
    }
}
