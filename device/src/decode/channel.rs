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
}

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
        Some(Self::with_unread(read_as, letter_class))
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
        let mut unread = [0.0; LETTERS];
        for (u, row) in unread.iter_mut().zip(&read_as) {
            *u = row.iter().enumerate().filter(|(c, _)| !letter_class.contains(c)).map(|(_, p)| p).sum();
        }
        Self { read_as, unread }
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
}
