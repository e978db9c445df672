//! From per-frame class probabilities to letters (seed 002 §4.5.5-4.5.9): a confidence
//! threshold, a majority vote over the last N predictions, hold-to-commit, `nothing`
//! and low confidence as a release, `space` and `del` as edits, a repeated letter only
//! after a release, a minimum gap between letters, and a bounded text buffer. Each
//! committed letter keeps the model's mean distribution over its hold, which the
//! lexicon ([`super::words`]) reads.

use std::collections::VecDeque;
use std::time::Duration;

use serde::Deserialize;
use shared::{ClassKind, ClassTable};

/// The likeliest class among those `keep` keeps, and its probability.
fn likeliest(probs: &[f32], keep: impl Fn(usize) -> bool) -> (Option<usize>, f32) {
    probs
        .iter()
        .copied()
        .enumerate()
        .filter(|&(i, _)| keep(i))
        .fold((None, 0.0f32), |(bi, bp), (i, p)| if p > bp { (Some(i), p) } else { (bi, bp) })
}

/// Decoder settings (`[decoder]` in the kiosk config).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DecoderConfig {
    /// Predictions below this probability count as "no sign"; unset, each model's kind
    /// sets it ([`threshold_for`]), so a kiosk that switches models keeps each one's.
    pub threshold: Option<f32>,
    /// Predictions in the majority vote.
    pub window: usize,
    /// How long the voted class must stay the same before it is committed (ms).
    pub hold_ms: u64,
    /// Most characters kept; older ones scroll away.
    pub max_chars: usize,
    /// Average the frame's and its mirror's probabilities (left and right hands).
    pub mirrored: bool,
    /// Shortest time from one committed letter to the next (ms): the signer's pace.
    pub min_gap_ms: u64,
    /// Folder of the word lists (`words.tsv`, `names.tsv`) for the lexicon decoder;
    /// none: letters only.
    pub lexicon: Option<std::path::PathBuf>,
    /// The lexicon's word is proposed when its posterior is at least this ...
    pub propose_at: f32,
    /// ... and at least this many times the signed letters' own posterior
    /// ([`super::words::ShowRule`]).
    pub propose_over: f32,
    /// Landmark models: remember the letters of each word the signer accepts and read
    /// their next frames with them ([`shared::signer`]); forgotten when no hand has been
    /// seen for [`super::speller::FORGET_AFTER`] (another person).
    pub remember_signer: bool,
    /// `space` and `del` are edits, so they count only at this probability or more (and
    /// at least [`DecoderConfig::threshold`]); an unsure one votes for the likeliest
    /// letter instead, which is what a stranger's letter read as `space` mostly is.
    pub control_threshold: f32,
}

/// The confidence threshold of a landmark classifier when the config sets none. Trained
/// with label smoothing, it is unsure of people it never saw: 0.15 keeps 99% or more of
/// their frames with a hand in every held-out source, 0.3 as few as 82%
/// (`scripts/loso-confidence.py`).
pub const LANDMARK_THRESHOLD: f32 = 0.15;

/// The probability `space` and `del` need ([`DecoderConfig::control_threshold`]) when the
/// config sets none.
pub const CONTROL_THRESHOLD: f32 = 0.5;

/// The confidence threshold of a picture model (crops or landmark masks) when the config
/// sets none.
pub const PICTURE_THRESHOLD: f32 = 0.6;

/// The threshold for a model reading `input` when the config sets none.
pub fn threshold_for(input: &shared::card::InputSource) -> f32 {
    match input {
        shared::card::InputSource::Landmarks { .. } => LANDMARK_THRESHOLD,
        _ => PICTURE_THRESHOLD,
    }
}

impl DecoderConfig {
    /// The threshold for a model reading `input`: the config's, or the kind's.
    pub fn threshold_on(&self, input: &shared::card::InputSource) -> f32 {
        self.threshold.unwrap_or_else(|| threshold_for(input))
    }

    /// When the lexicon's proposal is shown.
    pub fn show_rule(&self) -> super::words::ShowRule {
        super::words::ShowRule { at: self.propose_at, over_signed: self.propose_over }
    }
}

impl Default for DecoderConfig {
    fn default() -> Self {
        Self { threshold: None, window: 5, hold_ms: 600, max_chars: 120, mirrored: false, min_gap_ms: 0, lexicon: None, propose_at: 0.0, propose_over: 5.0, remember_signer: true, control_threshold: CONTROL_THRESHOLD }
    }
}

/// What a step changed in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Text appended (a letter, digit or a space).
    Appended(String),
    /// The last character was deleted.
    Deleted,
    /// The lexicon's word replaced the letters signed for it (the space after it is
    /// appended too).
    Accepted {
        /// The letters as signed.
        signed: String,
        /// The word that replaced them.
        word: String,
    },
    /// `del` signed (or the backspace button) while a word was proposed: the proposal
    /// is dismissed and the letters stay.
    Rejected,
    /// A letter signed by movement (J, Z) replaced the still letter committed during
    /// the movement.
    Replaced {
        /// The letter committed during the movement.
        was: String,
        /// The movement's letter.
        now: String,
    },
    /// Teaching ([`Decoder::set_teaching`]): a hand was held as long as a letter takes;
    /// the text is unchanged. Its mean probabilities are [`Decoder::taught`].
    Taught {
        /// The class the model read for it (the signer was asked for another, maybe).
        read: String,
    },
}

/// The decoder's state after one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The class the vote currently holds, if any.
    pub current: Option<usize>,
    /// The probability of the frame's top class.
    pub confidence: f32,
    /// Share of the hold time the current class has been held (0..1).
    pub hold: f32,
    /// The edit committed on this frame.
    pub edit: Option<Edit>,
}

/// Turns per-frame probabilities into text.
#[derive(Debug, Clone)]
pub struct Decoder {
    cfg: DecoderConfig,
    /// `cfg.threshold`, or the model kind's.
    threshold: f32,
    classes: ClassTable,
    votes: VecDeque<Option<usize>>,
    /// The voted class and when it became the vote.
    held: Option<(usize, Duration)>,
    /// The last committed class, until a release (another class, `nothing`, no sign).
    latched: Option<usize>,
    text: String,
    /// Sum of the probabilities over the current hold, and its frame count.
    evidence: (Vec<f32>, u32),
    /// Each letter of the word being spelled (after the last space): its mean
    /// probabilities over the hold that committed it.
    word: Vec<Vec<f32>>,
    /// When the last edit was committed.
    last_commit: Option<Duration>,
    /// A word is proposed on screen: `del` dismisses it instead of deleting.
    proposing: bool,
    /// The features the model reads, for landmark models.
    features: Option<shared::features::FeatureSpec>,
    /// Holds are taught, not written ([`Self::set_teaching`]).
    teaching: bool,
    /// The mean probabilities of the last hold taught.
    taught: Vec<f32>,
}

impl Decoder {
    /// A decoder for a picture model's classes (a threshold left unset is
    /// [`PICTURE_THRESHOLD`]; [`Self::for_model`] picks it by the model's kind).
    pub fn new(cfg: DecoderConfig, classes: ClassTable) -> Self {
        Self {
            threshold: cfg.threshold_on(&shared::card::InputSource::Crop),
            votes: VecDeque::with_capacity(cfg.window.max(1)),
            cfg,
            classes,
            held: None,
            latched: None,
            text: String::new(),
            evidence: (Vec::new(), 0),
            word: Vec::new(),
            last_commit: None,
            proposing: false,
            features: None,
            teaching: false,
            taught: Vec::new(),
        }
    }

    /// A decoder for the model of `card`: its classes, and its kind's threshold unless
    /// `cfg` sets one.
    pub fn for_model(cfg: DecoderConfig, card: &shared::ModelCard) -> Self {
        let mut d = Self::new(cfg, card.classes.clone());
        d.threshold = d.cfg.threshold_on(&card.input);
        d.features = card.input.landmark_features();
        d
    }

    /// Reads as a landmark model reading `features` would (a decoder built without a
    /// card: `device spell-bench`, tests).
    pub fn with_landmark_features(mut self, features: Option<shared::features::FeatureSpec>) -> Self {
        self.features = features;
        self
    }

    /// The features the model reads, when it is a landmark model.
    pub fn landmark_features(&self) -> Option<shared::features::FeatureSpec> {
        self.features
    }

    /// The confidence threshold in use.
    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// Tells the decoder a word is proposed on screen (then `del` rejects it).
    pub fn set_proposing(&mut self, on: bool) {
        self.proposing = on;
    }

    /// Whether a word is proposed on screen.
    pub fn proposing(&self) -> bool {
        self.proposing
    }

    /// Teaching on: each hold of any sign but `nothing` is reported as
    /// [`Edit::Taught`] and leaves the text alone (the kiosk asks the signer for each
    /// letter in turn and remembers their hand as it, whatever the model reads). The
    /// sign being held must be released and held again to count. Only the speller turns
    /// it on and off ([`super::speller::Speller::start_teaching`]), so that its list of
    /// letters asked for and this flag always agree.
    pub(super) fn set_teaching(&mut self, on: bool) {
        self.teaching = on;
        self.votes.clear();
        self.held = None;
        self.latched = None;
    }

    /// Whether holds are taught ([`Self::set_teaching`]).
    pub fn teaching(&self) -> bool {
        self.teaching
    }

    /// The mean probabilities over the last hold taught.
    pub fn taught(&self) -> &[f32] {
        &self.taught
    }

    /// A letter signed by movement at `t`: replaces the last letter when that was
    /// committed within `window` (the still shape the movement started from, e.g. I
    /// for J), otherwise appends it; nothing when the last letter already is it.
    pub fn movement_letter(&mut self, class: usize, t: Duration, window: Duration) -> Option<Edit> {
        let now = self.classes.get(class)?.text().to_string();
        let recent = self.last_commit.is_some_and(|last| t.saturating_sub(last) <= window);
        let last = self.text.chars().last().filter(|c| *c != ' ');
        if recent && let Some(was) = last {
            if was.to_string() == now {
                return None;
            }
            self.pop_char();
            self.append_letter(class, t);
            return Some(Edit::Replaced { was: was.to_string(), now });
        }
        self.append_letter(class, t)
    }

    /// The letters of the word being spelled, each as the model's mean probabilities
    /// over the hold that committed it.
    pub fn word_evidence(&self) -> &[Vec<f32>] {
        &self.word
    }

    /// The class table.
    pub fn classes(&self) -> &ClassTable {
        &self.classes
    }

    /// Changes the pace (hold, gap) while running; the text stays.
    pub fn set_pace(&mut self, hold_ms: u64, min_gap_ms: u64) {
        self.cfg.hold_ms = hold_ms;
        self.cfg.min_gap_ms = min_gap_ms;
    }

    /// Changes the confidence threshold while running (clamped to 0..1), until the next
    /// model switch sets it anew ([`Self::set_model`]).
    pub fn set_threshold(&mut self, threshold: f32) {
        self.threshold = threshold.clamp(0.0, 1.0);
    }

    /// Counts the latched letter as released, so that holding it on commits it again
    /// (a double letter signed with a bounce or slide, seen in the hand's track).
    pub fn release(&mut self, t: Duration) {
        if self.latched.take().is_some() {
            self.held = self.held.map(|(c, _)| (c, t));
            self.evidence = (Vec::new(), 0);
        }
    }

    /// Appends text as if signed (a movement letter: J, Z); the evidence is certain.
    pub fn append_letter(&mut self, class: usize, t: Duration) -> Option<Edit> {
        let mut p = vec![0.0; self.classes.len()];
        *p.get_mut(class)? = 1.0;
        self.evidence = (p, 1);
        // The still shape being held stays latched: it must be released to count.
        self.latched = self.held.map(|(c, _)| c).or(Some(class));
        self.last_commit = Some(t);
        self.commit(class)
    }

    /// Replaces the letters of the word being spelled by `word`, then ends it with a
    /// space: the lexicon's proposal accepted.
    pub fn accept_word(&mut self, word: &str) -> Edit {
        if self.text.ends_with(' ') {
            self.text.pop();
        }
        self.proposing = false;
        let signed = self.current_word().to_string();
        let keep = self.text.len() - signed.len();
        self.text.truncate(keep);
        self.text.push_str(word);
        self.text.push(' ');
        self.word.clear();
        self.bound();
        Edit::Accepted { signed, word: word.to_string() }
    }

    /// Ends the word with a space (the accept key with no word proposed).
    pub fn end_word(&mut self) -> Option<Edit> {
        if self.text.is_empty() || self.text.ends_with(' ') {
            return None;
        }
        self.text.push(' ');
        self.word.clear();
        self.proposing = false;
        self.bound();
        Some(Edit::Appended(" ".into()))
    }

    /// The letters after the last space.
    pub fn current_word(&self) -> &str {
        self.text.rsplit(' ').next().unwrap_or("")
    }

    /// The spelled text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The settings.
    pub fn config(&self) -> &DecoderConfig {
        &self.cfg
    }

    /// Clears the text and the vote.
    pub fn clear(&mut self) {
        self.text.clear();
        self.word.clear();
        self.proposing = false;
        self.votes.clear();
        self.held = None;
        self.latched = None;
    }

    /// Decodes another model's classes from now on, at its kind's threshold unless the
    /// config sets one; the text stays, the vote for the old model's classes is dropped.
    pub fn set_model(&mut self, card: &shared::ModelCard) {
        self.threshold = self.cfg.threshold_on(&card.input);
        self.features = card.input.landmark_features();
        self.classes = card.classes.clone();
        self.word.clear();
        self.proposing = false;
        self.votes.clear();
        self.held = None;
        self.latched = None;
    }

    /// Deletes the last character (a backspace button); the sign being held must be
    /// released and held again to count.
    pub fn backspace(&mut self) {
        if !std::mem::take(&mut self.proposing) {
            self.pop_char();
        }
        self.votes.clear();
        self.held = None;
    }

    /// Feeds one frame's probabilities, taken at time `t` (frame time, monotonic).
    pub fn push(&mut self, probs: &[f32], t: Duration) -> Step {
        let (top, confidence) = likeliest(probs, |_| true);
        let vote = self.vote(probs, top, confidence);
        if self.votes.len() == self.cfg.window.max(1) {
            self.votes.pop_front();
        }
        self.votes.push_back(vote);
        let current = self.majority();
        let kind = current.and_then(|c| self.classes.get(c)).map(|c| c.kind);

        // Release: no sign, `nothing`, or a different class than the one latched.
        if current.is_none() || kind == Some(ClassKind::Nothing) || current != self.latched {
            self.latched = None;
        }
        match (current, self.held) {
            (Some(c), Some((h, _))) if c == h => {}
            (Some(c), _) => {
                self.held = Some((c, t));
                self.evidence = (Vec::new(), 0);
            }
            (None, _) => self.held = None,
        }
        if current.is_some() && self.latched.is_none() {
            let (sum, n) = &mut self.evidence;
            sum.resize(probs.len(), 0.0);
            sum.iter_mut().zip(probs).for_each(|(s, p)| *s += p);
            *n += 1;
        }
        let hold_time = Duration::from_millis(self.cfg.hold_ms);
        let held_for = self.held.map_or(Duration::ZERO, |(_, since)| t.saturating_sub(since));
        let hold = if hold_time.is_zero() { 1.0 } else { (held_for.as_secs_f32() / hold_time.as_secs_f32()).min(1.0) };
        let mut edit = None;
        if let Some(c) = current
            && held_for >= hold_time
            && self.latched.is_none()
            && kind != Some(ClassKind::Nothing)
            && self.last_commit.is_none_or(|last| t.saturating_sub(last) >= Duration::from_millis(self.cfg.min_gap_ms))
        {
            self.latched = Some(c);
            self.last_commit = Some(t);
            edit = self.commit(c);
        }
        Step { current, confidence, hold, edit }
    }

    /// A frame's vote: its likeliest class at the threshold or above; an edit (`space`,
    /// `del`) under [`DecoderConfig::control_threshold`] gives its vote to the likeliest
    /// letter.
    fn vote(&self, probs: &[f32], top: Option<usize>, confidence: f32) -> Option<usize> {
        let is_control = |c: usize| self.classes.get(c).is_some_and(|c| matches!(c.kind, ClassKind::Space | ClassKind::Delete));
        let (top, confidence) = match top {
            Some(c) if is_control(c) && confidence < self.cfg.control_threshold => likeliest(probs, |i| !is_control(i)),
            _ => (top, confidence),
        };
        top.filter(|_| confidence >= self.threshold)
    }

    /// The most frequent vote if it holds more than half of the window (a full window
    /// counts: the first frames alone never make a majority).
    fn majority(&self) -> Option<usize> {
        let mut best: Option<(Option<usize>, usize)> = None;
        for v in &self.votes {
            let n = self.votes.iter().filter(|w| *w == v).count();
            if best.is_none_or(|(_, m)| n > m) {
                best = Some((*v, n));
            }
        }
        best.filter(|(_, n)| n * 2 > self.cfg.window.max(1)).and_then(|(v, _)| v)
    }

    fn commit(&mut self, class: usize) -> Option<Edit> {
        let info = self.classes.get(class)?;
        if self.teaching {
            if info.kind == ClassKind::Nothing {
                return None;
            }
            let (sum, n) = std::mem::take(&mut self.evidence);
            self.taught = sum.iter().map(|s| s / n.max(1) as f32).collect();
            return Some(Edit::Taught { read: info.label.clone() });
        }
        let edit = match info.kind {
            ClassKind::Letter | ClassKind::Digit => {
                let (sum, n) = std::mem::take(&mut self.evidence);
                self.word.push(sum.iter().map(|s| s / n.max(1) as f32).collect());
                Edit::Appended(info.text().to_string())
            }
            ClassKind::Space if !self.text.is_empty() && !self.text.ends_with(' ') => {
                self.word.clear();
                Edit::Appended(" ".into())
            }
            ClassKind::Space => return None,
            ClassKind::Delete if std::mem::take(&mut self.proposing) => return Some(Edit::Rejected),
            ClassKind::Delete => {
                self.pop_char()?;
                return Some(Edit::Deleted);
            }
            ClassKind::Nothing => return None,
        };
        if let Edit::Appended(s) = &edit {
            self.text.push_str(s);
            self.bound();
        }
        Some(edit)
    }

    /// Deletes the last character and, when it was a letter of the current word, its
    /// evidence.
    fn pop_char(&mut self) -> Option<char> {
        let c = self.text.pop()?;
        if c == ' ' {
            // The word before the space is being edited again; its evidence is gone.
            self.word.clear();
        } else {
            self.word.pop();
        }
        Some(c)
    }

    /// Keeps the text within `max_chars` (older characters scroll away).
    fn bound(&mut self) {
        let extra = self.text.chars().count().saturating_sub(self.cfg.max_chars);
        if extra > 0 {
            let cut = self.text.char_indices().nth(extra).map_or(self.text.len(), |(i, _)| i);
            self.text.drain(..cut);
        }
        let letters = self.current_word().chars().count();
        if self.word.len() > letters {
            self.word.drain(..self.word.len() - letters);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_hot(classes: &ClassTable, label: &str, p: f32) -> Vec<f32> {
        let n = classes.len();
        let i = classes.by_label(label).unwrap().index as usize;
        let mut v = vec![(1.0 - p) / (n - 1) as f32; n];
        v[i] = p;
        v
    }

    /// Feeds `frames` frames of `label` at 10 fps starting at `*t`.
    fn feed(d: &mut Decoder, label: &str, p: f32, frames: usize, t: &mut Duration) {
        let probs = one_hot(&ClassTable::asl_alphabet(), label, p);
        for _ in 0..frames {
            d.push(&probs, *t);
            *t += Duration::from_millis(100);
        }
    }

    fn decoder() -> Decoder {
        Decoder::new(DecoderConfig::default(), ClassTable::asl_alphabet())
    }

    #[test]
    fn holds_then_commits_once() {
        let (mut d, mut t) = (decoder(), Duration::ZERO);
        // The vote needs 3 of 5 frames, then 600 ms of hold.
        feed(&mut d, "H", 0.9, 8, &mut t);
        assert_eq!(d.text(), "");
        feed(&mut d, "H", 0.9, 20, &mut t);
        assert_eq!(d.text(), "H", "holding a letter commits it once");
    }

    #[test]
    fn repeated_letter_needs_a_release() {
        let (mut d, mut t) = (decoder(), Duration::ZERO);
        feed(&mut d, "L", 0.9, 15, &mut t);
        feed(&mut d, "nothing", 0.9, 5, &mut t);
        feed(&mut d, "L", 0.9, 15, &mut t);
        feed(&mut d, "O", 0.3, 5, &mut t); // low confidence releases too
        feed(&mut d, "L", 0.9, 15, &mut t);
        assert_eq!(d.text(), "LLL");
    }

    #[test]
    fn low_confidence_never_commits() {
        let (mut d, mut t) = (decoder(), Duration::ZERO);
        feed(&mut d, "A", 0.5, 50, &mut t);
        assert_eq!(d.text(), "");
    }

    #[test]
    fn flicker_is_voted_away() {
        let (mut d, mut t) = (decoder(), Duration::ZERO);
        let classes = ClassTable::asl_alphabet();
        for i in 0..30 {
            let label = if i % 4 == 3 { "B" } else { "A" };
            d.push(&one_hot(&classes, label, 0.9), t);
            t += Duration::from_millis(100);
        }
        assert_eq!(d.text(), "A");
    }

    #[test]
    fn space_and_delete_edit_the_text() {
        let (mut d, mut t) = (decoder(), Duration::ZERO);
        feed(&mut d, "space", 0.9, 15, &mut t); // a leading space is ignored
        feed(&mut d, "H", 0.9, 15, &mut t);
        feed(&mut d, "I", 0.9, 15, &mut t);
        feed(&mut d, "space", 0.9, 15, &mut t);
        feed(&mut d, "X", 0.9, 15, &mut t);
        feed(&mut d, "del", 0.9, 15, &mut t);
        assert_eq!(d.text(), "HI ");
        d.clear();
        assert_eq!(d.text(), "");
    }

    #[test]
    fn an_unsure_space_or_del_counts_as_the_letter_under_it() {
        let classes = ClassTable::asl_alphabet();
        // `top` at 0.4, `under` at 0.3, the rest shared by the other classes.
        let mixed = |top: &str, under: &str| {
            let mut v = vec![0.3 / (classes.len() - 2) as f32; classes.len()];
            v[classes.by_label(top).unwrap().index as usize] = 0.4;
            v[classes.by_label(under).unwrap().index as usize] = 0.3;
            v
        };
        let landmarks = |control_threshold| DecoderConfig { threshold: Some(0.15), control_threshold, ..DecoderConfig::default() };
        let spell = |cfg: DecoderConfig| {
            let (mut d, mut t) = (Decoder::new(cfg, classes.clone()), Duration::ZERO);
            feed(&mut d, "B", 0.9, 15, &mut t);
            for probs in [mixed("space", "O"), mixed("del", "K")] {
                for _ in 0..15 {
                    d.push(&probs, t);
                    t += Duration::from_millis(100);
                }
                feed(&mut d, "nothing", 0.9, 5, &mut t);
            }
            feed(&mut d, "space", 0.9, 15, &mut t); // a sure space still ends the word
            d.text().to_string()
        };
        assert_eq!(spell(landmarks(CONTROL_THRESHOLD)), "BOK ");
        // At the letters' threshold, as before: the space splits the word, del eats it.
        assert_eq!(spell(landmarks(0.0)), "B ");
    }

    #[test]
    fn text_is_bounded() {
        let cfg = DecoderConfig { max_chars: 4, hold_ms: 0, window: 1, ..DecoderConfig::default() };
        let mut d = Decoder::new(cfg, ClassTable::asl_alphabet());
        let classes = ClassTable::asl_alphabet();
        for (i, l) in ["A", "B", "C", "D", "E", "F"].iter().enumerate() {
            d.push(&one_hot(&classes, l, 0.9), Duration::from_millis(i as u64 * 100));
        }
        assert_eq!(d.text(), "CDEF");
    }

    #[test]
    fn arabic_letters_spell_in_arabic() {
        let classes = ClassTable::arsl2018();
        let mut d = Decoder::new(DecoderConfig { hold_ms: 0, window: 1, ..Default::default() }, classes.clone());
        let bb = classes.by_label("bb").unwrap();
        let mut p = vec![0.0; classes.len()];
        p[bb.index as usize] = 1.0;
        let step = d.push(&p, Duration::ZERO);
        assert_eq!(step.edit, Some(Edit::Appended(bb.arabic.clone().unwrap())));
        assert_eq!(d.text(), bb.arabic.as_deref().unwrap());
    }

    #[test]
    fn each_letter_keeps_its_mean_distribution_until_the_word_ends() {
        let (mut d, mut t) = (decoder(), Duration::ZERO);
        feed(&mut d, "C", 0.9, 15, &mut t);
        feed(&mut d, "nothing", 0.9, 5, &mut t);
        feed(&mut d, "A", 0.7, 15, &mut t);
        let classes = ClassTable::asl_alphabet();
        let ev = d.word_evidence();
        assert_eq!(ev.len(), 2);
        let a = classes.by_label("A").unwrap().index as usize;
        assert!((ev[1][a] - 0.7).abs() < 1e-5, "{}", ev[1][a]);
        assert_eq!(d.current_word(), "CA");
        d.backspace();
        assert_eq!(d.word_evidence().len(), 1, "a deleted letter takes its evidence along");
        feed(&mut d, "space", 0.9, 15, &mut t);
        assert!(d.word_evidence().is_empty() && d.current_word().is_empty());
    }

    #[test]
    fn the_minimum_gap_holds_back_the_next_letter() {
        let cfg = DecoderConfig { min_gap_ms: 2000, ..DecoderConfig::default() };
        let (mut d, mut t) = (Decoder::new(cfg, ClassTable::asl_alphabet()), Duration::ZERO);
        feed(&mut d, "A", 0.9, 12, &mut t);
        feed(&mut d, "B", 0.9, 10, &mut t);
        assert_eq!(d.text(), "A", "B came within 2 s of A");
        feed(&mut d, "B", 0.9, 10, &mut t);
        assert_eq!(d.text(), "AB");
        d.set_pace(100, 0);
        assert_eq!((d.config().hold_ms, d.config().min_gap_ms), (100, 0));
    }

    #[test]
    fn a_proposal_makes_del_a_rejection_and_accept_replaces_the_word() {
        let (mut d, mut t) = (decoder(), Duration::ZERO);
        feed(&mut d, "H", 0.9, 15, &mut t);
        feed(&mut d, "I", 0.9, 15, &mut t);
        d.set_proposing(true);
        feed(&mut d, "del", 0.9, 15, &mut t);
        assert_eq!(d.text(), "HI", "del dismissed the proposal instead of deleting");
        assert!(!d.proposing());
        feed(&mut d, "nothing", 0.9, 5, &mut t);
        feed(&mut d, "del", 0.9, 15, &mut t);
        assert_eq!(d.text(), "H");
        feed(&mut d, "E", 0.9, 15, &mut t);
        let edit = d.accept_word("HELLO");
        assert_eq!(edit, Edit::Accepted { signed: "HE".into(), word: "HELLO".into() });
        assert_eq!(d.text(), "HELLO ");
        assert_eq!(d.end_word(), None, "the word has its space");
    }

    #[test]
    fn a_movement_letter_replaces_the_still_shape_it_started_from() {
        let classes = ClassTable::asl_alphabet();
        let (mut d, mut t) = (decoder(), Duration::ZERO);
        feed(&mut d, "I", 0.9, 10, &mut t);
        assert_eq!(d.text(), "I");
        let j = classes.by_label("J").unwrap().index as usize;
        let edit = d.movement_letter(j, t, Duration::from_secs(1));
        assert_eq!(edit, Some(Edit::Replaced { was: "I".into(), now: "J".into() }));
        feed(&mut d, "I", 0.9, 10, &mut t);
        assert_eq!(d.text(), "J", "the I still held is not committed again");
        t += Duration::from_secs(5);
        assert_eq!(d.movement_letter(j, t, Duration::from_secs(1)), Some(Edit::Appended("J".into())));
        assert_eq!(d.text(), "JJ");
    }
}
