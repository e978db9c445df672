//! What the kiosk learns of the person in front of it: the landmark features of the
//! letters they confirmed (a proposed word accepted), and how those reshape the model's
//! reading of their next frames.
//!
//! A stranger's letters are misread systematically (their T lands where the training
//! signers' L is), so a few of their own confirmed letters are worth more than any
//! amount of other people's. The memory is a nearest-neighbour reading in the
//! [`crate::features`] space, mixed into the model's probabilities as far as a
//! remembered letter is near: far from everything remembered, the model reads alone.
//! Host-train measures it with the same code (`host-train landmarks`, the `remembered`
//! columns of the leave-one-source-out table); the device fills it from accepted words.

use std::collections::VecDeque;

/// Width of the neighbourhood in feature units (the features are divided by the
/// hand's size): a remembered letter at distance `SIGMA` weighs `exp(-1/2)`.
pub const SIGMA: f32 = 0.5;

/// Letters remembered per class; the oldest goes first.
pub const PER_CLASS: usize = 10;

/// The confirmed letters of one signer.
#[derive(Debug, Clone, PartialEq)]
pub struct SignerMemory {
    /// Per class, its remembered feature vectors (oldest first).
    classes: Vec<VecDeque<Vec<f32>>>,
    sigma: f32,
    per_class: usize,
}

impl Default for SignerMemory {
    fn default() -> Self {
        Self::new(SIGMA, PER_CLASS)
    }
}

impl SignerMemory {
    /// An empty memory with neighbourhood `sigma`, keeping `per_class` letters a class.
    pub fn new(sigma: f32, per_class: usize) -> Self {
        Self { classes: Vec::new(), sigma: sigma.max(f32::EPSILON), per_class: per_class.max(1) }
    }

    /// Remembers that `features` were the signer's `class`.
    pub fn remember(&mut self, features: &[f32], class: usize) {
        if self.classes.len() <= class {
            self.classes.resize_with(class + 1, VecDeque::new);
        }
        let of = &mut self.classes[class];
        if of.len() == self.per_class {
            of.pop_front();
        }
        of.push_back(features.to_vec());
    }

    /// Forgets everything (another person).
    pub fn forget(&mut self) {
        self.classes.clear();
    }

    /// Letters remembered.
    pub fn len(&self) -> usize {
        self.classes.iter().map(VecDeque::len).sum()
    }

    /// Nothing remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Mixes the memory's reading of `features` into `probs` (the model's probabilities
    /// for them): each class's nearest remembered letter weighs `exp(-d^2 / 2 sigma^2)`;
    /// the memory's reading is those weights normalised, and it takes the share of the
    /// largest weight. The result still sums to what `probs` summed to.
    pub fn mix(&self, probs: &mut [f32], features: &[f32]) {
        // Two passes over the few remembered letters instead of a buffer: the kiosk
        // calls this every frame and allocates nothing there.
        let (total, near) = (0..probs.len().min(self.classes.len())).fold((0.0f32, 0.0f32), |(t, n), c| {
            let w = self.weight(c, features);
            (t + w, n.max(w))
        });
        if total <= 0.0 || near <= 0.0 {
            return;
        }
        let mass: f32 = probs.iter().sum();
        for (c, p) in probs.iter_mut().enumerate() {
            *p = *p * (1.0 - near) + near * mass * self.weight(c, features) / total;
        }
    }

    /// `exp(-d^2 / 2 sigma^2)` of class `class`'s nearest remembered letter; 0 with none.
    fn weight(&self, class: usize, features: &[f32]) -> f32 {
        let Some(of) = self.classes.get(class) else { return 0.0 };
        let nearest = of.iter().map(|m| distance2(m, features)).fold(f32::INFINITY, f32::min);
        if nearest.is_finite() { (-nearest / (2.0 * self.sigma * self.sigma)).exp() } else { 0.0 }
    }
}

fn distance2(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_memory_leaves_the_model_alone() {
        let m = SignerMemory::default();
        let mut p = vec![0.7, 0.2, 0.1];
        m.mix(&mut p, &[0.0, 1.0]);
        assert_eq!(p, [0.7, 0.2, 0.1]);
        assert!(m.is_empty());
    }

    #[test]
    fn a_remembered_letter_wins_near_it_and_fades_with_distance() {
        let mut m = SignerMemory::new(0.5, 10);
        // The signer's class 2 sits where the model reads class 0.
        m.remember(&[1.0, 0.0], 2);
        let model = [0.7f32, 0.2, 0.1];
        let mut at = model.to_vec();
        m.mix(&mut at, &[1.0, 0.0]);
        assert!((at.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(at[2] > 0.99, "on the remembered letter the memory decides: {at:?}");
        let mut near = model.to_vec();
        m.mix(&mut near, &[1.0, 0.5]);
        assert!(near[2] > near[1] && near[2] < at[2], "one sigma away it still counts, less: {near:?}");
        let mut far = model.to_vec();
        m.mix(&mut far, &[1.0, 3.0]);
        assert!(far.iter().zip(&model).all(|(a, b)| (a - b).abs() < 1e-6), "six sigmas away the model reads alone: {far:?}");
    }

    #[test]
    fn the_nearest_of_each_class_counts_and_the_oldest_goes_first() {
        let mut m = SignerMemory::new(0.5, 2);
        m.remember(&[0.0, 0.0], 0);
        m.remember(&[2.0, 0.0], 1);
        let mut p = vec![0.5, 0.5];
        m.mix(&mut p, &[1.8, 0.0]);
        assert!(p[1] > 0.8, "{p:?}");
        // Two more of class 0, far off: the one at the origin is forgotten.
        m.remember(&[5.0, 5.0], 0);
        m.remember(&[6.0, 6.0], 0);
        assert_eq!(m.len(), 3);
        let mut q = vec![0.5, 0.5];
        m.mix(&mut q, &[0.0, 0.0]);
        assert!(q[1] > q[0], "class 0's nearest is now far: {q:?}");
        m.forget();
        assert!(m.is_empty());
    }
}
