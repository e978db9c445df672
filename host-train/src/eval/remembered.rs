//! The held-out signer remembered: how a fold reads when the kiosk has a few of that
//! person's own letters ([`shared::signer::SignerMemory`], the device's code), as it
//! gets them when they teach it their hand or from the words they accept.
//!
//! The held-out source's pictures are split in two halves by group, so that no
//! near-duplicate is on both sides: `asl-alphabet`'s runs of 20 video frames, roboflow's
//! three copies of a photo, runs of 20 consecutive rows of a landmark log. `N` letters
//! of each class from the first half are remembered; the second half is read by the
//! model alone and with the memory. sign-mnist's crops and the digits' photos carry no
//! group, so each is its own (sign-mnist's rows include augmented copies of one crop:
//! its numbers here are optimistic).

use serde::Serialize;
use shared::features::LEN;
use shared::loso::stable_hash;
use shared::signer::SignerMemory;

/// Letters remembered a class, measured: 1 is one pass of the kiosk's teaching (each
/// still letter asked for once), 3 and 10 what accepted words give over time.
pub const PER_LETTER: [usize; 3] = [1, 3, 10];

/// One memory size on one fold.
#[derive(Debug, Clone, Serialize)]
pub struct Remembered {
    /// Letters remembered a class (fewer where the first half has fewer).
    pub per_letter: usize,
    /// Letters remembered in all.
    pub remembered: usize,
    /// Samples of the second half read (no hand counts as wrong).
    pub read: usize,
    /// Read right by the model alone.
    pub alone: usize,
    /// Read right with the memory.
    pub with_memory: usize,
}

impl Remembered {
    /// Accuracy of the model alone on the second half.
    pub fn alone_accuracy(&self) -> f64 {
        self.alone as f64 / self.read.max(1) as f64
    }

    /// Accuracy with the memory on the second half.
    pub fn accuracy(&self) -> f64 {
        self.with_memory as f64 / self.read.max(1) as f64
    }
}

/// The group of a sample id: pictures or rows that are near-duplicates share it.
pub fn group(id: &str) -> String {
    if let Some((photo, _)) = id.split_once(".rf.") {
        return photo.to_string();
    }
    // A landmark log's rows (`letters.csv: line 12`); sign-mnist's rows (`...csv.gz:row
    // 12`) are crops of many people in no order, each its own.
    if let Some((file, row)) = id.rsplit_once(": line ")
        && let Ok(n) = row.trim().parse::<usize>()
    {
        return format!("{file}:{}", n / 20);
    }
    let path = std::path::Path::new(id);
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or(id);
    let digits: String = stem.chars().rev().take_while(char::is_ascii_digit).collect::<Vec<_>>().into_iter().rev().collect();
    match (digits.parse::<usize>(), path.parent()) {
        // Video frames (`A1008.jpg`): runs of 20 consecutive numbers.
        (Ok(n), Some(dir)) if digits.len() < stem.len() => format!("{}/{}{}", dir.display(), &stem[..stem.len() - digits.len()], n / 20),
        _ => id.to_string(),
    }
}

/// One held-out sample: its true class, id, features and the model's probabilities.
pub struct HeldOut<'a> {
    /// True class.
    pub truth: usize,
    /// Picture or row.
    pub id: &'a str,
    /// The features the model read, if a hand was found.
    pub features: Option<&'a [f32; LEN]>,
    /// The model's probabilities (`None`: no hand).
    pub probs: Option<&'a [f32]>,
}

/// Each of [`PER_LETTER`] on `samples` (one held-out source).
pub fn measure(samples: &[HeldOut<'_>], classes: usize) -> Vec<Remembered> {
    let first = |s: &HeldOut<'_>| stable_hash(&group(s.id)).is_multiple_of(2);
    // The first half in an order of its own (not the files'), for the letters remembered.
    let mut pool: Vec<usize> = (0..samples.len()).filter(|&i| first(&samples[i]) && samples[i].features.is_some() && samples[i].probs.is_some()).collect();
    pool.sort_by_key(|&i| stable_hash(samples[i].id));
    let read: Vec<usize> = (0..samples.len()).filter(|&i| !first(&samples[i])).collect();
    PER_LETTER
        .iter()
        .map(|&n| {
            let mut memory = SignerMemory::new(shared::signer::SIGMA, n);
            let mut taken = vec![0usize; classes];
            for &i in &pool {
                let c = samples[i].truth;
                if c < classes && taken[c] < n {
                    taken[c] += 1;
                    memory.remember(samples[i].features.expect("pool has features"), c);
                }
            }
            let (mut alone, mut with_memory) = (0, 0);
            for &i in &read {
                let (Some(p), Some(f)) = (samples[i].probs, samples[i].features) else { continue };
                alone += usize::from(crate::eval::argmax(p) == samples[i].truth);
                let mut mixed = p.to_vec();
                memory.mix(&mut mixed, f);
                with_memory += usize::from(crate::eval::argmax(&mixed) == samples[i].truth);
            }
            Remembered { per_letter: n, remembered: memory.len(), read: read.len(), alone, with_memory }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_duplicates_share_a_group() {
        assert_eq!(group("../shared/data/asl-alphabet/A/A1008.jpg"), group("../shared/data/asl-alphabet/A/A1019.jpg"));
        assert_ne!(group("../shared/data/asl-alphabet/A/A1008.jpg"), group("../shared/data/asl-alphabet/A/A1020.jpg"));
        assert_ne!(group("../shared/data/asl-alphabet/A/A1008.jpg"), group("../shared/data/asl-alphabet/B/B1008.jpg"));
        assert_eq!(
            group("../shared/data/asl-letters-roboflow/train/images/A0_jpg.rf.292a080422ba984985192f413101af41.jpg"),
            group("../shared/data/asl-letters-roboflow/train/images/A0_jpg.rf.aaaa.jpg")
        );
        assert_eq!(group("insitee-asl/letters.csv: line 3"), group("insitee-asl/letters.csv: line 19"));
        assert_ne!(group("insitee-asl/letters.csv: line 3"), group("insitee-asl/letters.csv: line 23"));
        assert_ne!(group("sign_mnist_train.csv.gz:row 3"), group("sign_mnist_train.csv.gz:row 4"));
    }
}
