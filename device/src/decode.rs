//! From per-frame class probabilities to spelled text (seed 002 §4.5.5-4.5.9, then
//! words): a confidence threshold, a majority vote over the last N predictions,
//! hold-to-commit, `nothing` and low confidence as a release, `space` and `del` as
//! edits, a repeated letter only after a release, and a bounded text buffer.

use std::collections::VecDeque;
use std::time::Duration;

use serde::Deserialize;
use shared::{ClassKind, ClassTable};

/// Decoder settings (`[decoder]` in the kiosk config).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DecoderConfig {
    /// Predictions below this probability count as "no sign".
    pub threshold: f32,
    /// Predictions in the majority vote.
    pub window: usize,
    /// How long the voted class must stay the same before it is committed (ms).
    pub hold_ms: u64,
    /// Most characters kept; older ones scroll away.
    pub max_chars: usize,
    /// Average the frame's and its mirror's probabilities (left and right hands).
    pub mirrored: bool,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        Self { threshold: 0.6, window: 5, hold_ms: 600, max_chars: 120, mirrored: false }
    }
}

/// What a step changed in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Text appended (a letter, digit or a space).
    Appended(String),
    /// The last character was deleted.
    Deleted,
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
    classes: ClassTable,
    votes: VecDeque<Option<usize>>,
    /// The voted class and when it became the vote.
    held: Option<(usize, Duration)>,
    /// The last committed class, until a release (another class, `nothing`, no sign).
    latched: Option<usize>,
    text: String,
}

impl Decoder {
    /// A decoder for a model's classes.
    pub fn new(cfg: DecoderConfig, classes: ClassTable) -> Self {
        Self { votes: VecDeque::with_capacity(cfg.window.max(1)), cfg, classes, held: None, latched: None, text: String::new() }
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
        self.votes.clear();
        self.held = None;
        self.latched = None;
    }

    /// Decodes the classes of another model from now on; the text stays, the vote for
    /// the old model's classes is dropped.
    pub fn set_classes(&mut self, classes: ClassTable) {
        self.classes = classes;
        self.votes.clear();
        self.held = None;
        self.latched = None;
    }

    /// Deletes the last character (a backspace button); the sign being held must be
    /// released and held again to count.
    pub fn backspace(&mut self) {
        self.text.pop();
        self.votes.clear();
        self.held = None;
    }

    /// Feeds one frame's probabilities, taken at time `t` (frame time, monotonic).
    pub fn push(&mut self, probs: &[f32], t: Duration) -> Step {
        let (top, confidence) = probs
            .iter()
            .copied()
            .enumerate()
            .fold((None, 0.0f32), |(bi, bp), (i, p)| if p > bp { (Some(i), p) } else { (bi, bp) });
        let vote = top.filter(|_| confidence >= self.cfg.threshold);
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
            (Some(c), _) => self.held = Some((c, t)),
            (None, _) => self.held = None,
        }
        let hold_time = Duration::from_millis(self.cfg.hold_ms);
        let held_for = self.held.map_or(Duration::ZERO, |(_, since)| t.saturating_sub(since));
        let hold = if hold_time.is_zero() { 1.0 } else { (held_for.as_secs_f32() / hold_time.as_secs_f32()).min(1.0) };
        let mut edit = None;
        if let Some(c) = current
            && held_for >= hold_time
            && self.latched.is_none()
            && kind != Some(ClassKind::Nothing)
        {
            self.latched = Some(c);
            edit = self.commit(c);
        }
        Step { current, confidence, hold, edit }
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
        let edit = match info.kind {
            ClassKind::Letter | ClassKind::Digit => Edit::Appended(info.text().to_string()),
            ClassKind::Space if !self.text.is_empty() && !self.text.ends_with(' ') => Edit::Appended(" ".into()),
            ClassKind::Space => return None,
            ClassKind::Delete => {
                self.text.pop()?;
                return Some(Edit::Deleted);
            }
            ClassKind::Nothing => return None,
        };
        if let Edit::Appended(s) = &edit {
            self.text.push_str(s);
            let extra = self.text.chars().count().saturating_sub(self.cfg.max_chars);
            if extra > 0 {
                let cut = self.text.char_indices().nth(extra).map_or(self.text.len(), |(i, _)| i);
                self.text.drain(..cut);
            }
        }
        Some(edit)
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
}
