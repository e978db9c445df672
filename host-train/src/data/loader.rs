//! The batch loader: decoding is done once at load time; per batch, augmentation and
//! preprocessing run in parallel (rayon) on a producer thread that keeps `prefetch`
//! batches ready ahead of the model, so the loader does not starve it.
//!
//! Every sample's randomness comes from its own generator seeded by (run seed, epoch,
//! sample index), so a run is repeatable whatever the thread count.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};

use anyhow::Result;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use shared::{PreprocessSpec, Preprocessor};

use super::Dataset;
use super::augment::{AugmentConfig, augment_into};
use super::landmarks::augment_points;

/// One batch, ready for the model.
pub struct Batch {
    /// Inputs, `n` tensors of the spec's length, back to back.
    pub x: Vec<f32>,
    /// Class indices.
    pub y: Vec<i64>,
    /// Dataset indices of the samples, in batch order.
    pub indices: Vec<usize>,
}

/// How to walk a set of samples.
#[derive(Clone)]
pub struct LoaderConfig {
    /// Preprocessing (from the model card to be).
    pub spec: PreprocessSpec,
    /// Augmentation (`AugmentConfig::off()` for evaluation).
    pub augment: AugmentConfig,
    /// Samples a batch.
    pub batch: usize,
    /// Shuffle the order each epoch.
    pub shuffle: bool,
    /// Run seed.
    pub seed: u64,
    /// Batches kept ready ahead of the consumer.
    pub prefetch: usize,
}

/// Mixes the run seed, epoch and sample index into one generator seed.
fn sample_seed(seed: u64, epoch: u64, index: u64) -> u64 {
    let mut z = seed ^ epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Starts producing the batches of one epoch over `indices`, on `pool`.
pub fn epoch(
    ds: Arc<Dataset>,
    indices: &[usize],
    cfg: &LoaderConfig,
    epoch: u64,
    pool: Arc<rayon::ThreadPool>,
) -> Receiver<Result<Batch>> {
    let mut order = indices.to_vec();
    if cfg.shuffle {
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(sample_seed(cfg.seed, epoch, u64::MAX)));
    }
    let cfg = cfg.clone();
    let (tx, rx) = sync_channel(cfg.prefetch.max(1));
    std::thread::spawn(move || {
        let len = cfg.spec.tensor_len();
        for chunk in order.chunks(cfg.batch.max(1)) {
            let mut x = vec![0f32; chunk.len() * len];
            let result = pool.install(|| {
                x.par_chunks_mut(len)
                    .zip(chunk.par_iter())
                    .map_init(
                        || Preprocessor::new(cfg.spec.clone()).expect("spec validated before loading"),
                        |pre, (out, &i)| {
                            let mut rng = ChaCha8Rng::seed_from_u64(sample_seed(cfg.seed, epoch, i as u64));
                            let sample = &ds.samples[i];
                            // Landmark masks are drawn anew from moved points.
                            let moved = match (&ds.masks, cfg.augment.enabled) {
                                (Some(m), true) => m.points[i].map(|p| {
                                    m.draw.draw(Some(&augment_points(&p, &cfg.augment, &mut rng)))
                                }),
                                _ => None,
                            };
                            augment_into(moved.as_ref().unwrap_or(&sample.image), &cfg.augment, pre, &mut rng, out)
                                .map_err(|e| e.context(format!("preparing {}", sample.source)))
                        },
                    )
                    .collect::<Result<Vec<()>>>()
            });
            let batch = result.map(|_| Batch {
                x,
                y: chunk.iter().map(|&i| ds.samples[i].label as i64).collect(),
                indices: chunk.to_vec(),
            });
            let failed = batch.is_err();
            if tx.send(batch).is_err() || failed {
                return;
            }
        }
    });
    rx
}
