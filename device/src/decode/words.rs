//! The lexicon decoder: the word the signer most likely meant, given what the model
//! read for each letter. A noisy-channel model: `P(word) * P(readings | word)`, where
//! the prior comes from the [`Lexicon`] (lists, or the letter model for strings in no
//! list) and the readings' likelihood from the [`Channel`] of leave-one-source-out
//! confusions, aligned so that a letter lost (a missed hold, the second L of HELLO) or
//! one too many costs a fixed penalty. A name signed exactly as listed is never
//! rewritten.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use shared::ClassTable;
use shared::loso::LosoOutputs;

use super::channel::{Channel, LETTERS};
use super::lexicon::Lexicon;

/// Probability that a letter of the word was not committed although the model read it
/// as a letter (a missed hold); the channel adds its chance of reading no letter.
pub const P_LOST: f32 = 0.02;
/// ... when it repeats the letter before it (double letters need a bounce).
pub const P_LOST_DOUBLE: f32 = 0.25;
/// Probability of a committed letter that is not in the word.
pub const P_EXTRA: f32 = 0.01;
/// Smoothing of the confusion counts (added to every cell).
pub const ALPHA: f32 = 0.5;

/// What the decoder proposes for the letters signed so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// The letters as committed.
    pub signed: String,
    /// The most likely word (may equal `signed`).
    pub word: String,
    /// Its posterior among every word considered and the signed string.
    pub posterior: f32,
    /// The signed string's own posterior (the chance that it is what was meant).
    pub signed_posterior: f32,
    /// Whether the word is from the names list.
    pub name: bool,
}

impl Proposal {
    /// Whether the word differs from the signed letters and is likely enough to show,
    /// per `rule`.
    pub fn worth_showing(&self, rule: ShowRule) -> bool {
        self.word != self.signed && self.posterior >= rule.at && self.posterior >= rule.over_signed * self.signed_posterior
    }
}

/// When a proposal is shown (and so taken when the word ends).
///
/// Taking a proposal for a word that was signed right (a name in no list, say) costs
/// the signer more than leaving a misread word alone: the second they can fix by
/// signing again, the first replaces what they meant. So a word is proposed only when
/// it is `over_signed` times as likely as the signed string itself: with a loss of `c`
/// for a wrong rewrite against 1 for a wrong word left alone, the least expected loss
/// is to propose when `P(word) > c P(signed)`, so `over_signed = c` (at least 1: the
/// word is the likeliest string).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShowRule {
    /// Least posterior of the proposed word.
    pub at: f32,
    /// Least ratio of its posterior to the signed string's.
    pub over_signed: f32,
}

impl ShowRule {
    /// Checks the values (`propose_at` in 0..1, `propose_over` at least 1: the best
    /// word is chosen over the signed string too, so below 1 would act as 1).
    pub fn check(&self) -> Result<(), String> {
        if !(self.at.is_finite() && (0.0..=1.0).contains(&self.at)) {
            return Err(format!("propose_at {} is not in 0..1", self.at));
        }
        if !(self.over_signed.is_finite() && self.over_signed >= 1.0) {
            return Err(format!("propose_over {} is not a number at least 1 (1: the likeliest string is always proposed)", self.over_signed));
        }
        Ok(())
    }
}

/// Lexicon plus channel. The lexicon is shared: decoders for other models (or other
/// held-out sources) reuse the one loaded.
#[derive(Debug, Clone)]
pub struct WordDecoder {
    lexicon: Arc<Lexicon>,
    channel: Channel,
    /// The channel as the model's folds measured it, before any signer's letters.
    measured: Channel,
}

impl WordDecoder {
    /// A decoder from its parts.
    pub fn new(lexicon: impl Into<Arc<Lexicon>>, channel: Channel) -> Self {
        Self { lexicon: lexicon.into(), measured: channel.clone(), channel }
    }

    /// Learns how this signer's letter `letter` (A..Z) is read: `evidence` is the mean
    /// probabilities over its hold ([`Channel::learn`], [`super::channel::SIGNER_WEIGHT`]).
    pub fn learn(&mut self, letter: char, evidence: &[f32]) {
        if letter.is_ascii_alphabetic() {
            let l = (letter.to_ascii_uppercase() as u8 - b'A') as usize;
            self.channel.learn(l, evidence, super::channel::SIGNER_WEIGHT);
        }
    }

    /// Forgets what [`Self::learn`] learned (another signer).
    pub fn forget_signer(&mut self) {
        self.channel = self.measured.clone();
    }

    /// The lexicon in `dir` and the channel of `model`'s `NAME.loso.json` (all folds),
    /// or a uniform channel when the model has none. `None` when the model's classes
    /// lack a letter of A..Z (the lexicon is English).
    pub fn for_model(dir: &Path, model: &Path, classes: &ClassTable) -> Result<Option<Self>> {
        if Channel::letter_classes(classes).is_none() {
            return Ok(None);
        }
        let lexicon = Lexicon::load(dir).with_context(|| format!("loading the lexicon in {}", dir.display()))?;
        Self::with_lexicon(Arc::new(lexicon), model, classes)
    }

    /// As [`WordDecoder::for_model`], with a lexicon already loaded.
    pub fn with_lexicon(lexicon: Arc<Lexicon>, model: &Path, classes: &ClassTable) -> Result<Option<Self>> {
        Channel::letter_classes(classes).map_or(Ok(None), |_| {
            let loso = LosoOutputs::path_for(model);
            let channel = if loso.exists() {
                let out = LosoOutputs::load(&loso)?;
                Channel::from_confusion(classes, &out.confusion(None), ALPHA)
                    .with_context(|| format!("{}: its classes do not match the model's", loso.display()))?
            } else {
                tracing::warn!(model = %model.display(), "no {} beside the model: the lexicon assumes letters are read right 80% of the time", loso.display());
                Channel::uniform(classes, 0.8).expect("letters checked above")
            };
            Ok(Some(Self::new(lexicon, channel)))
        })
    }

    /// The lexicon.
    pub fn lexicon(&self) -> &Arc<Lexicon> {
        &self.lexicon
    }

    /// The most likely word for the letters `signed`, committed with the mean
    /// probabilities `evidence` (one per letter); `None` for no letters or when the
    /// two disagree in length.
    pub fn propose(&self, signed: &str, evidence: &[Vec<f32>]) -> Option<Proposal> {
        let signed = signed.to_ascii_uppercase();
        let letters: Vec<usize> = signed.bytes().filter(u8::is_ascii_uppercase).map(|b| (b - b'A') as usize).collect();
        if letters.is_empty() || letters.len() != signed.len() || letters.len() != evidence.len() {
            return None;
        }
        let like: Vec<[f32; LETTERS]> = evidence.iter().map(|q| self.channel.log_likelihoods(q)).collect();
        let m = like.len();
        // The signed string itself, as a listed word or an unlisted one.
        let signed_entry = self.lexicon.get(&signed);
        let signed_prior = signed_entry.map_or_else(|| self.lexicon.log_prior_unlisted(&signed), |e| e.log_prior);
        let signed_score = signed_prior + letters.iter().zip(&like).map(|(&l, ll)| ll[l]).sum::<f32>();
        let mut best = (signed_score, signed.clone(), signed_entry.is_some_and(|e| e.name));
        let mut scores = vec![signed_score];
        // Letters are lost more often than added: up to two lost, one extra.
        let lengths = if m <= 2 { m..=m + 1 } else { m - 1..=m + 2 };
        let lost: [f32; LETTERS] = std::array::from_fn(|l| (P_LOST + self.channel.unread(l)).ln());
        let mut aligner = Aligner::new(&like, &lost);
        let mut bucket_scores = Vec::new();
        for n in lengths {
            let bucket = self.lexicon.with_length(n);
            // Scored in alphabetical order, where each word shares the alignment of the
            // letters it has in common with the one before; then taken in the lists'
            // order, as before, so that ties and sums come out the same.
            bucket_scores.clear();
            bucket_scores.resize(bucket.len(), 0.0);
            for k in bucket.alphabetical() {
                let e = bucket.get(k);
                bucket_scores[k] = e.log_prior + aligner.score(e.word.as_bytes());
            }
            for (e, &s) in bucket.iter().zip(&bucket_scores) {
                if e.word == signed {
                    continue;
                }
                scores.push(s);
                if s > best.0 {
                    best = (s, e.word.clone(), e.name);
                }
            }
        }
        let max = scores.iter().copied().fold(f32::MIN, f32::max);
        let total: f32 = scores.iter().map(|s| (s - max).exp()).sum();
        let signed_posterior = (signed_score - max).exp() / total;
        let mut proposal = Proposal { posterior: (best.0 - max).exp() / total, signed_posterior, word: best.1, name: best.2, signed: signed.clone() };
        if signed_entry.is_some_and(|e| e.name) && proposal.word != signed {
            // A listed name signed exactly stays that name.
            proposal = Proposal { word: signed.clone(), posterior: signed_posterior, signed_posterior, name: true, signed };
        }
        Some(proposal)
    }
}

/// Best alignments' `ln P(readings | word)` for word after word: letters matched
/// through the channel, word letters lost (`lost[l]`: `ln P(letter l never commits)`;
/// more for the second of a double letter) or readings extra at a fixed cost.
///
/// The table is kept column by column, one column a letter of the word, and a column
/// depends only on the word's letters up to it: a word keeps the columns of the
/// letters it shares with the word before (in alphabetical order most of them).
struct Aligner<'a> {
    like: &'a [[f32; LETTERS]],
    lost: &'a [f32; LETTERS],
    /// `ln` of a double letter's second lost, and of an extra reading.
    lost_double: f32,
    extra: f32,
    /// Column `j` (the first `j` letters of `word`) at `j * (readings + 1)`.
    cols: Vec<f32>,
    /// The letters whose columns `cols` holds.
    word: Vec<u8>,
}

impl<'a> Aligner<'a> {
    fn new(like: &'a [[f32; LETTERS]], lost: &'a [f32; LETTERS]) -> Self {
        let extra = (P_EXTRA / LETTERS as f32).ln();
        // Column 0: no letter of the word yet, every reading so far extra.
        let mut cols = vec![0.0; like.len() + 1];
        for i in 1..cols.len() {
            cols[i] = cols[i - 1] + extra;
        }
        Self { like, lost, lost_double: P_LOST_DOUBLE.ln(), extra, cols, word: Vec::new() }
    }

    /// `ln P(readings | word)` of the best alignment.
    fn score(&mut self, word: &[u8]) -> f32 {
        let h = self.like.len() + 1;
        let kept = self.word.iter().zip(word).take_while(|(a, b)| a == b).count();
        self.word.truncate(kept);
        self.word.extend_from_slice(&word[kept..]);
        if self.cols.len() < (word.len() + 1) * h {
            self.cols.resize((word.len() + 1) * h, f32::NEG_INFINITY);
        }
        for j in kept + 1..=word.len() {
            let letter = (word[j - 1] - b'A') as usize;
            let cost = if j > 1 && word[j - 1] == word[j - 2] { self.lost_double.max(self.lost[letter]) } else { self.lost[letter] };
            let (before, col) = self.cols.split_at_mut(j * h);
            let prev = &before[(j - 1) * h..];
            for i in 0..h {
                let mut v = f32::NEG_INFINITY;
                if i > 0 {
                    v = v.max(prev[i - 1] + self.like[i - 1][letter]);
                }
                v = v.max(prev[i] + cost);
                if i > 0 {
                    v = v.max(col[i - 1] + self.extra);
                }
                col[i] = v;
            }
        }
        self.cols[word.len() * h + h - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoder() -> (WordDecoder, ClassTable) {
        let classes = ClassTable::asl_alphabet();
        let lexicon = Lexicon::from_words([
            ("hello".into(), 5.0, false),
            ("help".into(), 5.0, false),
            ("world".into(), 5.5, false),
            ("noah".into(), 3.9, true),
            ("noon".into(), 4.8, false),
        ]);
        (WordDecoder::new(lexicon, Channel::uniform(&classes, 0.8).unwrap()), classes)
    }

    fn sure(classes: &ClassTable, word: &str, p: f32) -> Vec<Vec<f32>> {
        word.chars()
            .map(|c| {
                let mut q = vec![(1.0 - p) / (classes.len() - 1) as f32; classes.len()];
                q[classes.by_label(&c.to_string()).unwrap().index as usize] = p;
                q
            })
            .collect()
    }

    /// The alignment table filled row by row for one word, as the decoder first did.
    fn textbook_align(like: &[[f32; LETTERS]], lost: &[f32; LETTERS], word: &[u8]) -> f32 {
        let (m, n) = (like.len(), word.len());
        let w = n + 1;
        let mut cells = vec![f32::NEG_INFINITY; (m + 1) * w];
        cells[0] = 0.0;
        let (lost_double, extra) = (P_LOST_DOUBLE.ln(), (P_EXTRA / LETTERS as f32).ln());
        for i in 0..=m {
            for j in 0..=n {
                let mut v = cells[i * w + j];
                if i > 0 && j > 0 {
                    v = v.max(cells[(i - 1) * w + j - 1] + like[i - 1][(word[j - 1] - b'A') as usize]);
                }
                if j > 0 {
                    let l = (word[j - 1] - b'A') as usize;
                    let cost = if j > 1 && word[j - 1] == word[j - 2] { lost_double.max(lost[l]) } else { lost[l] };
                    v = v.max(cells[i * w + j - 1] + cost);
                }
                if i > 0 {
                    v = v.max(cells[(i - 1) * w + j] + extra);
                }
                cells[i * w + j] = v;
            }
        }
        cells[m * w + n]
    }

    #[test]
    fn shared_prefixes_give_the_textbook_alignment_bit_for_bit() {
        // Readings' log-likelihoods and lost-letter costs from a fixed sequence.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            -((state >> 40) as f32 / (1u64 << 24) as f32) * 8.0
        };
        let lost: [f32; LETTERS] = std::array::from_fn(|_| next());
        // Longer and shorter neighbours, a word that is the one before's prefix, doubles.
        let words = ["A", "AB", "ABBA", "ABBEY", "ABC", "B", "BALL", "BALLOON", "BALM", "HE", "HELLO", "HELP", "HE", "ZZZ", "ABBA"];
        for m in 1..=7 {
            let like: Vec<[f32; LETTERS]> = (0..m).map(|_| std::array::from_fn(|_| next())).collect();
            let mut aligner = Aligner::new(&like, &lost);
            for word in words {
                let (got, want) = (aligner.score(word.as_bytes()), textbook_align(&like, &lost, word.as_bytes()));
                assert_eq!(got.to_bits(), want.to_bits(), "{word} after {m} readings: {got} vs {want}");
            }
        }
    }

    #[test]
    fn a_misread_letter_is_corrected() {
        let (d, c) = decoder();
        let p = d.propose("WORLF", &sure(&c, "WORLF", 0.7)).unwrap();
        assert_eq!(p.word, "WORLD");
        assert!(p.worth_showing(ShowRule { at: 0.5, over_signed: 1.0 }), "{p:?}");
    }

    #[test]
    fn a_word_is_shown_only_when_far_likelier_than_what_was_signed() {
        let (d, c) = decoder();
        let (map, careful) = (ShowRule { at: 0.0, over_signed: 1.0 }, ShowRule { at: 0.0, over_signed: 5.0 });
        // A sure misreading of a listed word: shown either way.
        let p = d.propose("WORLF", &sure(&c, "WORLF", 0.7)).unwrap();
        assert!(p.posterior > 5.0 * p.signed_posterior && p.worth_showing(careful), "{p:?}");
        // A string in no list, read surely, one letter from a rare word: the word may
        // be the likeliest, but not five times as likely as the string.
        let rare = Lexicon::from_words([("the".into(), 7.7, false), ("and".into(), 7.6, false), ("noon".into(), 3.0, false)]);
        let d = WordDecoder::new(rare, Channel::uniform(&c, 0.8).unwrap());
        let p = d.propose("NOOK", &sure(&c, "NOOK", 0.8)).unwrap();
        assert_eq!(p.word, "NOON");
        assert!(p.worth_showing(map) && !p.worth_showing(careful), "{p:?}");
    }

    #[test]
    fn a_lost_double_letter_is_restored() {
        let (d, c) = decoder();
        assert_eq!(d.propose("HELO", &sure(&c, "HELO", 0.9)).unwrap().word, "HELLO");
    }

    #[test]
    fn names_and_unknown_strings_survive() {
        let (d, c) = decoder();
        let p = d.propose("NOAH", &sure(&c, "NOAH", 0.6)).unwrap();
        assert_eq!((p.word.as_str(), p.name), ("NOAH", true));
        assert!(!p.worth_showing(ShowRule { at: 0.0, over_signed: 0.0 }));
        let p = d.propose("QXZ", &sure(&c, "QXZ", 0.95)).unwrap();
        assert_eq!(p.word, "QXZ", "nothing in the lexicon is close: the letters stay");
        assert_eq!(d.propose("AB", &sure(&c, "A", 0.9)), None);
    }
}
