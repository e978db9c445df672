//! Optimizers written over the variable store, so their state (moments, momentum
//! buffers, step count) is saved in checkpoints and a resumed run continues exactly.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tch::{nn, Tensor};

/// Which optimizer.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum OptimKind {
    /// Adam with L2 weight decay added to the gradient.
    Adam,
    /// Adam with decoupled weight decay (Loshchilov & Hutter).
    Adamw,
    /// SGD with momentum (and L2 weight decay).
    Sgd,
}

/// Optimizer hyper-parameters.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OptimConfig {
    /// Which optimizer.
    pub kind: OptimKind,
    /// Peak learning rate.
    pub lr: f64,
    /// Weight decay.
    pub weight_decay: f64,
    /// SGD momentum.
    pub momentum: f64,
}

const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPS: f64 = 1e-8;

/// An optimizer over the trainable variables of a store, by name.
pub struct Optimizer {
    cfg: OptimConfig,
    params: Vec<(String, Tensor)>,
    state: BTreeMap<String, Tensor>,
    step: i64,
}

impl Optimizer {
    /// An optimizer over every trainable variable of `vs`, in name order.
    pub fn new(vs: &nn::VarStore, cfg: OptimConfig) -> Self {
        let mut params: Vec<(String, Tensor)> = vs.variables().into_iter().filter(|(_, t)| t.requires_grad()).collect();
        params.sort_by(|a, b| a.0.cmp(&b.0));
        Self { cfg, params, state: BTreeMap::new(), step: 0 }
    }

    /// Clears the gradients.
    pub fn zero_grad(&mut self) {
        for (_, p) in self.params.iter_mut() {
            p.zero_grad();
        }
    }

    /// Scales gradients so their global L2 norm is at most `max_norm`; returns the
    /// norm before clipping.
    pub fn clip_grad_norm(&self, max_norm: f64) -> f64 {
        tch::no_grad(|| {
            let grads: Vec<Tensor> = self.params.iter().map(|(_, p)| p.grad()).filter(|g| g.defined()).collect();
            let total: f64 = grads.iter().map(|g| g.square().sum(tch::Kind::Double).double_value(&[])).sum::<f64>().sqrt();
            if total > max_norm {
                let scale = max_norm / (total + 1e-6);
                for mut g in grads {
                    let _ = g.g_mul_scalar_(scale);
                }
            }
            total
        })
    }

    /// One update with learning rate `lr`.
    pub fn step(&mut self, lr: f64) {
        self.step += 1;
        let t = self.step as f64;
        let wd = self.cfg.weight_decay;
        tch::no_grad(|| {
            for (name, p) in self.params.iter_mut() {
                let mut g = p.grad();
                if !g.defined() {
                    continue;
                }
                match self.cfg.kind {
                    OptimKind::Adam | OptimKind::Adamw => {
                        if self.cfg.kind == OptimKind::Adamw {
                            let _ = p.g_mul_scalar_(1.0 - lr * wd);
                        } else if wd > 0.0 {
                            g = &g + &*p * wd;
                        }
                        let m = self.state.entry(format!("{name}.m")).or_insert_with(|| p.zeros_like());
                        let _ = m.g_mul_scalar_(BETA1);
                        let _ = m.g_add_(&(&g * (1.0 - BETA1)));
                        let m_hat = &*m / (1.0 - BETA1.powf(t));
                        let v = self.state.entry(format!("{name}.v")).or_insert_with(|| p.zeros_like());
                        let _ = v.g_mul_scalar_(BETA2);
                        let _ = v.g_add_(&(g.square() * (1.0 - BETA2)));
                        let v_hat = &*v / (1.0 - BETA2.powf(t));
                        let _ = p.g_sub_(&(m_hat / (v_hat.sqrt() + EPS) * lr));
                    }
                    OptimKind::Sgd => {
                        if wd > 0.0 {
                            g = &g + &*p * wd;
                        }
                        let update = if self.cfg.momentum > 0.0 {
                            let buf = self.state.entry(format!("{name}.momentum")).or_insert_with(|| p.zeros_like());
                            let _ = buf.g_mul_scalar_(self.cfg.momentum);
                            let _ = buf.g_add_(&g);
                            buf.shallow_clone()
                        } else {
                            g
                        };
                        let _ = p.g_sub_(&(update * lr));
                    }
                }
            }
        });
    }

    /// The state tensors to checkpoint, named `optim.*`, plus the step count.
    pub fn state_tensors(&self) -> Vec<(String, Tensor)> {
        let mut out: Vec<(String, Tensor)> =
            self.state.iter().map(|(k, v)| (format!("optim.{k}"), v.shallow_clone())).collect();
        out.push(("optim.step".into(), Tensor::from_slice(&[self.step])));
        out
    }

    /// Restores the state saved by [`Optimizer::state_tensors`].
    pub fn load_state(&mut self, tensors: &[(String, Tensor)]) {
        for (k, v) in tensors {
            if let Some(name) = k.strip_prefix("optim.") {
                if name == "step" {
                    self.step = v.int64_value(&[0]);
                } else {
                    self.state.insert(name.to_string(), v.copy());
                }
            }
        }
    }
}
