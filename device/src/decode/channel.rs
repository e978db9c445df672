//! The noisy channel: how likely the model is to read each letter as each class, for
//! people it never saw. Measured by the model's leave-one-source-out folds
//! (`NAME.loso.json`, [`shared::loso`]); without them, a plain "right with probability
//! p, otherwise anything" channel.

use shared::{ClassKind, ClassTable};

/// Letters A..Z.
pub const LETTERS: usize = 26;

/// `P(read as class c | signed letter l)`.
#[derive(Debug, Clone)]
pub struct Channel {
    /// Row per letter, column per class of the model.
    read_as: Vec<Vec<f32>>,
    /// `P(read as no letter at all | l)`: `nothing`, `space`, `del` (a letter that
    /// never commits).
    unread: [f32; LETTERS],
    /// The weight of each row's counts, for [`Self::learn`].
    mass: [f32; LETTERS],
    /// The class of each letter.
    letter_class: [usize; LETTERS],
}

/// What one confirmed letter of the signer weighs in its row of [`Channel`], in counts
/// (a held-out source's row weighs [`shared::loso::ROW_WEIGHT`], 100). `device
/// spell-bench`, lexicon with the signer remembered, mean exact words over the three
/// paces: 30 76.8%, 100 76.2%, 300 76.5%.
pub const SIGNER_WEIGHT: f32 = 30.0;

impl Channel {
    /// The class index of each of A..Z in `classes`, when it has them all.
    pub fn letter_classes(classes: &ClassTable) -> Option<[usize; LETTERS]> {
        let mut out = [0; LETTERS];
        for (i, slot) in out.iter_mut().enumerate() {
            let label = ((b'A' + i as u8) as char).to_string();
            let c = classes.by_label(&label).filter(|c| c.kind == ClassKind::Letter)?;
            *slot = c.index as usize;
        }
        Some(out)
    }

    /// From confusion counts `counts[truth][read]` over `classes` (weighted, as
    /// [`shared::loso::LosoOutputs::confusion`] gives them), each row smoothed by adding
    /// `alpha` to every cell. `None` when the table lacks a letter of A..Z or the counts
    /// are not square in its size.
    pub fn from_confusion(classes: &ClassTable, counts: &[Vec<f32>], alpha: f32) -> Option<Self> {
        let letter_class = Self::letter_classes(classes)?;
        let n = classes.len();
        if counts.len() != n || counts.iter().any(|r| r.len() != n) {
            return None;
        }
        let read_as: Vec<Vec<f32>> = letter_class
            .iter()
            .map(|&l| {
                let total = counts[l].iter().sum::<f32>() + alpha * n as f32;
                counts[l].iter().map(|&c| (c + alpha) / total).collect()
            })
            .collect();
        let mut ch = Self::with_unread(read_as, letter_class);
        for (m, &l) in ch.mass.iter_mut().zip(&letter_class) {
            *m = counts[l].iter().sum::<f32>() + alpha * n as f32;
        }
        Some(ch)
    }

    /// A channel that reads each letter right with probability `right` and as any other
    /// class otherwise (no measured confusions).
    pub fn uniform(classes: &ClassTable, right: f32) -> Option<Self> {
        let letter_class = Self::letter_classes(classes)?;
        let n = classes.len();
        let other = (1.0 - right) / (n - 1) as f32;
        let read_as = letter_class.iter().map(|&l| (0..n).map(|c| if c == l { right } else { other }).collect()).collect();
        Some(Self::with_unread(read_as, letter_class))
    }

    fn with_unread(read_as: Vec<Vec<f32>>, letter_class: [usize; LETTERS]) -> Self {
        let mut ch = Self { read_as, unread: [0.0; LETTERS], mass: [shared::loso::ROW_WEIGHT; LETTERS], letter_class };
        for l in 0..LETTERS {
            ch.update_unread(l);
        }
        ch
    }

    fn update_unread(&mut self, l: usize) {
        let classes = &self.letter_class;
        self.unread[l] = self.read_as[l].iter().enumerate().filter(|(c, _)| !classes.contains(c)).map(|(_, p)| p).sum();
    }

    /// Adds one reading `q` (the model's mean probabilities over the hold) of letter `l`
    /// (0 = A), the signer confirmed, weighing `weight` counts: the channel learns how
    /// this signer's letters are read.
    pub fn learn(&mut self, l: usize, q: &[f32], weight: f32) {
        let (Some(row), Some(mass)) = (self.read_as.get_mut(l), self.mass.get(l).copied()) else { return };
        let total: f32 = q.iter().sum();
        if q.len() != row.len() || total <= 0.0 {
            return;
        }
        for (p, v) in row.iter_mut().zip(q) {
            *p = (*p * mass + weight * v / total) / (mass + weight);
        }
        self.mass[l] = mass + weight;
        self.update_unread(l);
    }

    /// Probability that letter `l` (0 = A) is read as no letter (`nothing`, `space`,
    /// `del`), so that it is never committed.
    pub fn unread(&self, l: usize) -> f32 {
        self.unread[l]
    }

    /// `ln` of how likely an observation (the model's mean probabilities over a letter's
    /// hold) is under each signed letter: `ln sum_c q(c) P(c | l)`.
    pub fn log_likelihoods(&self, q: &[f32]) -> [f32; LETTERS] {
        let mut out = [0.0; LETTERS];
        for (o, row) in out.iter_mut().zip(&self.read_as) {
            *o = row.iter().zip(q).map(|(p, q)| p * q).sum::<f32>().max(1e-9).ln();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusions_make_a_misread_letter_likely() {
        let classes = ClassTable::asl_alphabet();
        let n = classes.len();
        let (d, x) = (classes.by_label("D").unwrap().index as usize, classes.by_label("X").unwrap().index as usize);
        let mut counts = vec![vec![0f32; n]; n];
        for (i, row) in counts.iter_mut().enumerate() {
            row[i] = 10.0;
        }
        counts[d][d] = 2.0;
        counts[d][x] = 8.0; // D is mostly read as X
        let ch = Channel::from_confusion(&classes, &counts, 0.5).unwrap();
        let mut q = vec![0.0; n];
        q[x] = 1.0; // the model is sure it saw X
        let ll = ch.log_likelihoods(&q);
        let (ld, lx, la) = (ll[3], ll[23], ll[0]);
        assert!(ld > la, "D can be read as X; A cannot");
        assert!(lx > ld, "X is still likelier than D");
        assert!(Channel::from_confusion(&classes, &counts[..5], 0.5).is_none());
        assert!(Channel::uniform(&ClassTable::arsl2018(), 0.8).is_none(), "no latin letters");
    }

    #[test]
    fn a_signers_confirmed_readings_teach_the_channel_their_confusions() {
        let classes = ClassTable::asl_alphabet();
        let n = classes.len();
        let x = classes.by_label("X").unwrap().index as usize;
        let mut ch = Channel::uniform(&classes, 0.8).unwrap();
        let mut q = vec![0.0; n];
        q[x] = 1.0; // read as X
        let before = ch.log_likelihoods(&q);
        assert!(before[23] > before[3] + 2.0, "a stranger's X is an X");
        // This signer's D, confirmed three times, was read as X each time.
        for _ in 0..3 {
            ch.learn(3, &q, SIGNER_WEIGHT);
        }
        let after = ch.log_likelihoods(&q);
        assert!(after[3] > before[3] + 1.0, "their X reading now speaks for D: {} -> {}", before[3], after[3]);
        assert_eq!(after[23], before[23], "other letters' rows stay");
        assert!(ch.unread(3) < 0.2, "{}", ch.unread(3));
        // A reading of the wrong length or no mass teaches nothing.
        let same = ch.log_likelihoods(&q);
        ch.learn(3, &q[..5], SIGNER_WEIGHT);
        ch.learn(3, &vec![0.0; n], SIGNER_WEIGHT);
        assert_eq!(ch.log_likelihoods(&q), same);
    }
}
