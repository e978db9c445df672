//! The words a signer may mean: a word list with frequencies (`words.tsv`, from
//! wordfreq), a list of names (`names.tsv`, from SCOWL's `wamerican`), and a letter
//! trigram model over both for words in neither list, so that names and rare words
//! keep a probability. Files and licences: `device/assets/lexicon/`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Share of the prior on words of the lists; the rest is for strings the trigram model
/// spells. Half: people fingerspell mostly names, places and words without a sign,
/// and many of those are in neither list. (0.9 rewrote more names that are in no list
/// and read fewer of them right, for 2 points more of the listed words: `device
/// spell-bench`, docs/spelling.md.)
pub const IN_LIST: f32 = 0.5;

/// Exponent on word frequencies: fingerspelled words are rarer than written ones, so
/// frequency counts for less than in text (0.5: its square root).
pub const FREQUENCY_WEIGHT: f32 = 0.5;

/// The least Zipf frequency a name counts with (names are fingerspelled far more often
/// than they are written).
pub const NAME_FLOOR: f32 = 4.0;

/// Letters of the trigram model: A..Z and the word's end.
const SYMBOLS: usize = 27;
const END: usize = 26;

/// Where the word lists are: `device/assets/lexicon` in a checkout (the current folder
/// or its parent), else where the .deb installs them.
pub fn default_dir() -> Option<PathBuf> {
    ["device/assets/lexicon", "../device/assets/lexicon", "/usr/share/signspell/lexicon"]
        .into_iter()
        .map(PathBuf::from)
        .find(|d| d.join("words.tsv").is_file())
}

/// Errors reading the word lists.
#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// A line is not `word<TAB>zipf`.
    #[error("{path}:{line}: {what}")]
    Line { path: PathBuf, line: usize, what: String },
    /// No words at all.
    #[error("{0}: no words")]
    Empty(PathBuf),
}

/// One word of the lists.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Upper case, A..Z.
    pub word: String,
    /// Natural log of its prior probability.
    pub log_prior: f32,
    /// From the names list.
    pub name: bool,
}

/// The lexicon's entries of one length ([`Lexicon::with_length`]).
#[derive(Debug, Clone, Copy)]
pub struct Bucket<'a> {
    entries: &'a [Entry],
    ids: &'a [u32],
    alphabetical: &'a [u32],
}

impl<'a> Bucket<'a> {
    /// Entries of this length.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The `k`-th entry in the lists' order.
    pub fn get(&self, k: usize) -> &'a Entry {
        &self.entries[self.ids[k] as usize]
    }

    /// The entries in the lists' order (most frequent first).
    pub fn iter(&self) -> impl Iterator<Item = &'a Entry> + '_ {
        self.ids.iter().map(|&i| &self.entries[i as usize])
    }

    /// Positions (for [`Bucket::get`]) in alphabetical order of their words.
    pub fn alphabetical(&self) -> impl Iterator<Item = usize> + '_ {
        self.alphabetical.iter().map(|&k| k as usize)
    }
}

/// Words, names and the letter model.
#[derive(Debug, Clone)]
pub struct Lexicon {
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
    /// Entry indices by word length.
    by_len: Vec<Vec<u32>>,
    /// For each length, positions into `by_len[n]` in alphabetical order of the words.
    by_len_alphabetical: Vec<Vec<u32>>,
    /// `ln P(c | a, b)` over [`SYMBOLS`] (a, b = 26 for the word's start).
    trigram: Vec<f32>,
    /// Share of the prior on the lists' words ([`IN_LIST`] unless set).
    in_list: f32,
}

impl Lexicon {
    /// Reads `words.tsv` and `names.tsv` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, LexiconError> {
        Self::load_except(dir, &[])
    }

    /// [`Self::load`] without the words in `except` (any case), as if no list had them:
    /// how the decoder treats names that are in no list.
    pub fn load_except(dir: &Path, except: &[&str]) -> Result<Self, LexiconError> {
        let words = read_tsv(&dir.join("words.tsv"))?;
        let names = read_tsv(&dir.join("names.tsv"))?;
        let kept = |(w, _): &(String, f32)| !except.iter().any(|e| e.eq_ignore_ascii_case(w));
        let mut all: Vec<(String, f32, bool)> = words.into_iter().filter(kept).map(|(w, z)| (w, z, false)).collect();
        all.extend(names.into_iter().filter(|(w, _)| w.len() >= 3).filter(kept).map(|(w, z)| (w, z, true)));
        if all.is_empty() {
            return Err(LexiconError::Empty(dir.into()));
        }
        Ok(Self::from_words(all))
    }

    /// A lexicon of `(word, zipf frequency, is a name)`; a word listed twice keeps its
    /// higher frequency and is a name when either says so.
    pub fn from_words(words: impl IntoIterator<Item = (String, f32, bool)>) -> Self {
        let mut merged: HashMap<String, (f32, bool)> = HashMap::new();
        for (w, z, name) in words {
            let w = w.to_ascii_uppercase();
            if w.is_empty() || !w.bytes().all(|b| b.is_ascii_uppercase()) {
                continue;
            }
            let e = merged.entry(w).or_insert((z, name));
            e.0 = e.0.max(z);
            e.1 |= name;
        }
        let mut words: Vec<(String, f32, bool)> = merged.into_iter().map(|(w, (z, n))| (w, z, n)).collect();
        words.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let weight = |z: f32, name: bool| FREQUENCY_WEIGHT * if name { z.max(NAME_FLOOR) } else { z } * std::f32::consts::LN_10;
        let max = words.iter().map(|(_, z, n)| weight(*z, *n)).fold(f32::MIN, f32::max);
        let log_z = max + words.iter().map(|(_, z, n)| (weight(*z, *n) - max).exp()).sum::<f32>().ln();
        let entries: Vec<Entry> = words
            .into_iter()
            .map(|(word, z, name)| Entry { log_prior: IN_LIST.ln() + weight(z, name) - log_z, word, name })
            .collect();
        let index = entries.iter().enumerate().map(|(i, e)| (e.word.clone(), i)).collect();
        let mut by_len: Vec<Vec<u32>> = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            if by_len.len() <= e.word.len() {
                by_len.resize(e.word.len() + 1, Vec::new());
            }
            by_len[e.word.len()].push(i as u32);
        }
        let by_len_alphabetical = by_len
            .iter()
            .map(|ids| {
                let mut order: Vec<u32> = (0..ids.len() as u32).collect();
                order.sort_by(|&a, &b| entries[ids[a as usize] as usize].word.cmp(&entries[ids[b as usize] as usize].word));
                order
            })
            .collect();
        let trigram = trigram(&entries);
        Self { entries, index, by_len, by_len_alphabetical, trigram, in_list: IN_LIST }
    }

    /// The same lists with `share` (in 0..1, exclusive) of the prior on their words
    /// instead of [`IN_LIST`]; the rest goes to strings in no list.
    pub fn with_in_list(mut self, share: f32) -> Self {
        assert!(share > 0.0 && share < 1.0, "the lists' share of the prior must be in (0, 1), not {share}");
        let shift = share.ln() - self.in_list.ln();
        self.entries.iter_mut().for_each(|e| e.log_prior += shift);
        self.in_list = share;
        self
    }

    /// The entry of `word` (any case).
    pub fn get(&self, word: &str) -> Option<&Entry> {
        self.index.get(&word.to_ascii_uppercase()).map(|&i| &self.entries[i])
    }

    /// Words and names in the lists.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the lists are empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries of length `n`: in the lists' order, and in alphabetical order (where
    /// neighbours share most of their letters, so work on them can be shared).
    pub fn with_length(&self, n: usize) -> Bucket<'_> {
        let ids = self.by_len.get(n).map_or(&[][..], Vec::as_slice);
        let alphabetical = self.by_len_alphabetical.get(n).map_or(&[][..], Vec::as_slice);
        Bucket { entries: &self.entries, ids, alphabetical }
    }

    /// `ln` of the prior of a string that is in no list: the trigram model's
    /// probability of its letters times the share left for such strings.
    pub fn log_prior_unlisted(&self, word: &str) -> f32 {
        let (mut a, mut b) = (END, END);
        let mut lp = (1.0 - self.in_list).ln();
        for c in word.bytes().map(|c| c.to_ascii_uppercase()).filter(u8::is_ascii_uppercase).map(|c| (c - b'A') as usize).chain([END]) {
            lp += self.trigram[(a * SYMBOLS + b) * SYMBOLS + c];
            (a, b) = (b, c);
        }
        lp
    }
}

/// `ln P(c | a, b)` from letter trigrams of every entry (each word counted once:
/// spelling, not usage), smoothed by add-0.1.
fn trigram(entries: &[Entry]) -> Vec<f32> {
    let mut counts = vec![0.1f32; SYMBOLS * SYMBOLS * SYMBOLS];
    for e in entries {
        let (mut a, mut b) = (END, END);
        for c in e.word.bytes().map(|c| (c - b'A') as usize).chain([END]) {
            counts[(a * SYMBOLS + b) * SYMBOLS + c] += 1.0;
            (a, b) = (b, c);
        }
    }
    for ctx in counts.chunks_mut(SYMBOLS) {
        let total: f32 = ctx.iter().sum();
        ctx.iter_mut().for_each(|c| *c = (*c / total).ln());
    }
    counts
}

/// `word<TAB>zipf` lines; `#` lines are comments.
fn read_tsv(path: &Path) -> Result<Vec<(String, f32)>, LexiconError> {
    let text = std::fs::read_to_string(path).map_err(|source| LexiconError::Io { path: path.into(), source })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |what: &str| LexiconError::Line { path: path.into(), line: i + 1, what: what.into() };
        let (word, zipf) = line.split_once('\t').ok_or_else(|| bad("expected word<TAB>zipf"))?;
        let zipf: f32 = zipf.trim().parse().map_err(|_| bad(&format!("frequency '{zipf}' is not a number")))?;
        if !word.bytes().all(|b| b.is_ascii_alphabetic()) || word.is_empty() {
            return Err(bad(&format!("'{word}' is not a word of letters A-Z")));
        }
        out.push((word.to_string(), zipf));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Lexicon {
        Lexicon::from_words([
            ("the".into(), 7.7, false),
            ("cab".into(), 3.9, false),
            ("noah".into(), 3.9, true),
            ("Cab".into(), 3.0, true),
            ("dog".into(), 3.9, false),
        ])
    }

    #[test]
    fn priors_follow_frequency_and_names_have_a_floor() {
        let l = small();
        assert_eq!(l.len(), 4);
        let (the, cab, noah, dog) = (l.get("the").unwrap(), l.get("CAB").unwrap(), l.get("noah").unwrap(), l.get("dog").unwrap());
        assert!(the.log_prior > cab.log_prior);
        assert!(cab.name, "a word that is also a name is a name");
        assert!(noah.log_prior > dog.log_prior, "names count at least NAME_FLOOR");
        let total: f32 = [the, cab, noah, dog].iter().map(|e| e.log_prior.exp()).sum();
        assert!((total - IN_LIST).abs() < 1e-4);
        assert_eq!(l.with_length(4).iter().map(|e| e.word.as_str()).collect::<Vec<_>>(), ["NOAH"]);
        let (cat, l9) = (l.log_prior_unlisted("CAT"), small().with_in_list(0.9));
        let total: f32 = ["the", "cab", "noah", "dog"].iter().map(|w| l9.get(w).unwrap().log_prior.exp()).sum();
        assert!((total - 0.9).abs() < 1e-4, "{total}");
        assert!((l9.log_prior_unlisted("CAT") - (cat - (1.0 - IN_LIST).ln() + 0.1f32.ln())).abs() < 1e-4);
    }

    #[test]
    fn unlisted_strings_that_look_like_words_are_likelier() {
        let l = small();
        assert!(l.log_prior_unlisted("CAT") > l.log_prior_unlisted("XQZ"));
        assert!(l.log_prior_unlisted("CAT") < 0.0);
    }

    #[test]
    fn words_left_out_are_in_no_list() {
        let dir = std::env::temp_dir().join(format!("lexicon-except-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("words.tsv"), "the\t7.7\ncab\t3.9\n").unwrap();
        std::fs::write(dir.join("names.tsv"), "noah\t3.9\nemma\t4.1\n").unwrap();
        let all = Lexicon::load(&dir).unwrap();
        assert!(all.get("NOAH").is_some_and(|e| e.name) && all.get("cab").is_some());
        let l = Lexicon::load_except(&dir, &["Noah", "CAB"]).unwrap();
        assert_eq!((l.get("noah"), l.get("cab"), l.len()), (None, None, 2));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_lines_name_the_file_and_line() {
        let dir = std::env::temp_dir().join(format!("lexicon-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("words.tsv"), "# comment\nthe\t7.7\ncab\tlots\n").unwrap();
        std::fs::write(dir.join("names.tsv"), "noah\t3.9\n").unwrap();
        let e = Lexicon::load(&dir).unwrap_err().to_string();
        assert!(e.contains("words.tsv:3") && e.contains("lots"), "{e}");
        std::fs::write(dir.join("words.tsv"), "the\t7.7\nca-b\t3\n").unwrap();
        assert!(Lexicon::load(&dir).unwrap_err().to_string().contains("words.tsv:2"));
        std::fs::remove_file(dir.join("names.tsv")).unwrap();
        std::fs::write(dir.join("words.tsv"), "the\t7.7\n").unwrap();
        assert!(matches!(Lexicon::load(&dir), Err(LexiconError::Io { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
