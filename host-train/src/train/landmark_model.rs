//! Training the landmark classifier ([`crate::model::landmark_mlp`]) on a
//! [`Corpus`](crate::data::hand_corpus::Corpus): each epoch moves every hand anew (turned
//! out of the picture's plane, bones rescaled, points jittered, rolled a little, depth
//! dropped for some) and turns it into [`shared::features`], so the network learns hand
//! shapes rather than one person's way of holding them.
//!
//! The classifier is an ensemble of `members` networks trained side by side on the same
//! batches, each from its own initialisation and with its own dropout; its logits are
//! their mean.
//!
//! Sources are balanced: a sample is drawn with weight `1 / n^balance` (`balance` 0.75
//! by default, measured against 0.25, 0.5 and 1 leave-one-source-out), `n` being the
//! samples of its source and class, so neither sign-mnist's 11,000 crops nor one author's
//! 2,000 rows of ten letters outweigh everyone else.

use anyhow::{Result, bail};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use shared::features::{self, FeatureSpec, LEN, POINTS, Point};
use tch::nn::{self, ModuleT, OptimizerConfig};
use tch::{Device, Kind, Tensor};

use crate::data::augment::AugmentConfig;
use crate::data::hand_corpus::Corpus;
use crate::data::landmarks::augment_points;
use crate::model::{Layers, landmark_mlp};

/// How the landmark classifier is trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LandmarkTrainConfig {
    /// Passes over the training samples.
    pub epochs: usize,
    /// Samples per step.
    pub batch: usize,
    /// Peak learning rate (AdamW, cosine decay to zero).
    pub lr: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Dropout after each hidden layer.
    pub dropout: f64,
    /// Label smoothing of the cross-entropy.
    pub label_smoothing: f64,
    /// Seed of the initialisation, sampling and augmentation.
    pub seed: u64,
    /// Whether the model reads depth (`false`: the 2-D variant).
    pub depth: bool,
    /// Share of depth-carrying samples shown without depth, so the model also reads
    /// 2-D hands.
    pub depth_dropout: f64,
    /// Out-of-plane turns (degrees), bone scaling and point noise.
    pub yaw_deg: f64,
    /// Out-of-plane tilt (degrees).
    pub pitch_deg: f64,
    /// Bone lengths scaled by up to this fraction.
    pub bones: f64,
    /// Point noise, as a fraction of the hand's size.
    pub noise: f64,
    /// Finger joints bent in the picture's plane by up to this (degrees).
    pub joints_deg: f64,
    /// In-plane roll (degrees) of the letters told apart by direction alone
    /// ([`DIRECTED`]).
    pub roll_deg: f64,
    /// In-plane roll (degrees) of every other class, whose hand shape means the same
    /// whichever way it points (0: `roll_deg`).
    pub roll_free_deg: f64,
    /// Source and class balance: a sample is drawn with weight `1 / n^balance`, `n` the
    /// samples of its source and class (0: as they come, 1: every source and class
    /// alike).
    pub balance: f64,
    /// Networks in the ensemble (their logits averaged).
    pub members: usize,
}

impl Default for LandmarkTrainConfig {
    fn default() -> Self {
        Self {
            epochs: 60,
            batch: 256,
            lr: 2e-3,
            weight_decay: 1e-4,
            dropout: 0.2,
            label_smoothing: 0.1,
            seed: 0,
            depth: true,
            depth_dropout: 0.3,
            yaw_deg: 25.0,
            pitch_deg: 20.0,
            bones: 0.08,
            noise: 0.01,
            joints_deg: 0.0,
            roll_deg: 12.0,
            roll_free_deg: 0.0,
            balance: 0.75,
            members: 1,
        }
    }
}

impl LandmarkTrainConfig {
    /// The features the trained model reads.
    pub fn features(&self) -> FeatureSpec {
        FeatureSpec { depth: self.depth, ..FeatureSpec::V1 }
    }

    fn augment(&self) -> AugmentConfig {
        AugmentConfig {
            landmark_yaw_deg: self.yaw_deg,
            landmark_pitch_deg: self.pitch_deg,
            landmark_bones: self.bones,
            landmark_noise: self.noise,
            landmark_joints_deg: self.joints_deg,
            ..AugmentConfig::default()
        }
    }
}

/// A trained (or loaded) landmark classifier.
pub struct LandmarkModel {
    /// The weights.
    pub vs: nn::VarStore,
    /// The ensemble's networks (`m0`, `m1`, ... in `vs`); the logits are their mean.
    pub nets: Vec<Layers>,
    /// Number of classes.
    pub classes: usize,
    /// The features it reads.
    pub features: FeatureSpec,
}

impl LandmarkModel {
    /// A fresh ensemble of `members` networks on `device`.
    pub fn new(classes: usize, features: FeatureSpec, dropout: f64, members: usize, device: Device) -> Self {
        let vs = nn::VarStore::new(device);
        let nets = (0..members.max(1))
            .map(|k| landmark_mlp::build(&(vs.root() / landmark_mlp::member(k)), LEN as i64, classes as i64, dropout))
            .collect();
        Self { vs, nets, classes, features }
    }

    /// The ensemble's logits: the mean of its members'.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let sum = self.nets.iter().map(|n| n.forward_t(x, false)).reduce(|a, b| a + b).expect("at least one member");
        sum / self.nets.len() as f64
    }

    /// Class probabilities of each row of `x` (`[N, LEN]` features).
    pub fn probabilities(&self, x: &[[f32; LEN]]) -> Result<Vec<Vec<f32>>> {
        if x.is_empty() {
            return Ok(Vec::new());
        }
        let t = Tensor::from_slice(x.as_flattened()).view([x.len() as i64, LEN as i64]).to_device(self.vs.device());
        let p = tch::no_grad(|| self.forward(&t).softmax(-1, Kind::Float)).to_device(Device::Cpu);
        let flat = Vec::<f32>::try_from(p.flatten(0, -1))?;
        Ok(flat.chunks(self.classes).map(<[f32]>::to_vec).collect())
    }

    /// Logits of one feature row (the export gate compares them with tract's).
    pub fn logits(&self, x: &[f32; LEN]) -> Result<Vec<f32>> {
        let t = Tensor::from_slice(x).view([1, LEN as i64]).to_device(self.vs.device());
        Ok(Vec::<f32>::try_from(tch::no_grad(|| self.forward(&t)).to_device(Device::Cpu).flatten(0, -1))?)
    }

    /// Class probabilities of each hand; `None` where no hand was found (or its
    /// features could not be computed).
    pub fn hand_probabilities(&self, hands: &[Option<[Point; POINTS]>]) -> Result<Vec<Option<Vec<f32>>>> {
        let feats: Vec<Option<[f32; LEN]>> =
            hands.iter().map(|h| h.as_ref().and_then(|p| features::features(p, self.features).ok())).collect();
        let found: Vec<[f32; LEN]> = feats.iter().flatten().copied().collect();
        let mut probs = self.probabilities(&found)?.into_iter();
        Ok(feats.iter().map(|f| f.and_then(|_| probs.next())).collect())
    }

    /// The predicted class of each hand; [`None`] hands are `nothing` (`nothing`'s
    /// index).
    pub fn predict(&self, hands: &[Option<[Point; POINTS]>], nothing: usize) -> Result<Vec<usize>> {
        Ok(self.hand_probabilities(hands)?.iter().map(|p| p.as_deref().map_or(nothing, crate::eval::argmax)).collect())
    }
}

/// Letters ASL tells from another by the hand's direction alone: G/Q, H/U, K/P.
pub const DIRECTED: [&str; 6] = ["G", "Q", "H", "U", "K", "P"];

/// The hand rolled about its wrist by `deg` degrees.
fn roll(points: &[Point; POINTS], deg: f32) -> [Point; POINTS] {
    let (s, c) = deg.to_radians().sin_cos();
    let w = points[0];
    points.map(|p| {
        let (x, y) = (p.x - w.x, p.y - w.y);
        Point { x: w.x + x * c - y * s, y: w.y + x * s + y * c, z: p.z }
    })
}

/// Trains a classifier on the samples `train` of `corpus` (those with a hand).
pub fn train(corpus: &Corpus, train: &[usize], cfg: &LandmarkTrainConfig, device: Device) -> Result<LandmarkModel> {
    let idx: Vec<usize> = train.iter().copied().filter(|&i| corpus.samples[i].points.is_some()).collect();
    if idx.is_empty() {
        bail!("no training sample has a hand");
    }
    if cfg.members == 0 {
        bail!("members = 0: the ensemble needs at least one network");
    }
    tch::manual_seed(cfg.seed as i64);
    let model = LandmarkModel::new(corpus.classes.len(), cfg.features(), cfg.dropout, cfg.members, device);
    let mut opt = nn::AdamW { wd: cfg.weight_decay, ..Default::default() }.build(&model.vs, cfg.lr)?;
    // Balance sources and classes: weight 1/n^balance, n the samples of the same source
    // and class.
    let mut cell = std::collections::HashMap::<(usize, u32), usize>::new();
    for &i in &idx {
        *cell.entry((corpus.samples[i].source, corpus.samples[i].label)).or_default() += 1;
    }
    let weights: Vec<f64> =
        idx.iter().map(|&i| (cell[&(corpus.samples[i].source, corpus.samples[i].label)] as f64).powf(-cfg.balance)).collect();
    let sampler = rand::distr::weighted::WeightedIndex::new(&weights)?;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let aug = cfg.augment();
    let roll_of: Vec<f32> = (0..corpus.classes.len())
        .map(|c| {
            let directed = corpus.classes.get(c).is_some_and(|e| DIRECTED.contains(&e.label.as_str()));
            if directed || cfg.roll_free_deg <= 0.0 { cfg.roll_deg as f32 } else { cfg.roll_free_deg as f32 }
        })
        .collect();
    let steps_per_epoch = idx.len().div_ceil(cfg.batch);
    let total = (steps_per_epoch * cfg.epochs).max(1);
    let mut step = 0usize;
    for _epoch in 0..cfg.epochs {
        for _ in 0..steps_per_epoch {
            let mut xs = Vec::with_capacity(cfg.batch * LEN);
            let mut ys = Vec::with_capacity(cfg.batch);
            while ys.len() < cfg.batch {
                let s = &corpus.samples[idx[rng.sample(&sampler)]];
                let p = s.points.as_ref().expect("filtered to hands");
                let moved = roll(&augment_points(p, &aug, &mut rng), rng.random_range(-1.0..=1.0) * roll_of[s.label as usize]);
                let depth = cfg.depth && s.depth && rng.random::<f64>() >= cfg.depth_dropout;
                let Ok(f) = features::features(&moved, FeatureSpec { depth, ..FeatureSpec::V1 }) else { continue };
                xs.extend_from_slice(&f);
                ys.push(s.label as i64);
            }
            let x = Tensor::from_slice(&xs).view([ys.len() as i64, LEN as i64]).to_device(device);
            let y = Tensor::from_slice(&ys).to_device(device);
            let lr = cfg.lr * 0.5 * (1.0 + (std::f64::consts::PI * step as f64 / total as f64).cos());
            opt.set_lr(lr);
            // Each member learns on its own: the sum of their losses, not the loss of their mean.
            let loss = model
                .nets
                .iter()
                .map(|n| n.forward_t(&x, true).cross_entropy_loss::<Tensor>(&y, None, tch::Reduction::Mean, -100, cfg.label_smoothing))
                .reduce(|a, b| a + b)
                .expect("at least one member");
            opt.backward_step(&loss);
            step += 1;
        }
    }
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roll_turns_about_the_wrist() {
        let h: [Point; POINTS] = std::array::from_fn(|i| Point { x: 10.0, y: 10.0 - i as f32, z: i as f32 });
        let r = roll(&h, 90.0);
        assert_eq!(r[0], h[0]);
        assert!((r[20].x - 30.0).abs() < 1e-4 && (r[20].y - 10.0).abs() < 1e-4 && r[20].z == 20.0, "{:?}", r[20]);
    }
}
