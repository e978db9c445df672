//! One frame through every decoding stage: movements from the hand's track (J, Z,
//! double letters), the signer's remembered letters ([`shared::signer`]), the letter
//! decoder, and the lexicon's proposal for the word being spelled, which signing
//! `space` (or the accept key) takes and `del` dismisses. An accepted word is the
//! signer confirming its letters: with a landmark model, each letter's hand is
//! remembered, and the signer's next frames are read with it.
//!
//! A new signer can also teach the kiosk their hand at once ([`Speller::start_teaching`]):
//! it asks for each still letter in turn and remembers the hand held for it as that
//! letter, whatever the model reads; one pass of the alphabet is one remembered hand a
//! letter.

use std::time::Duration;

use shared::features::{LEN, POINTS, Point};
use shared::signer::SignerMemory;

use super::letters::{Decoder, Edit, Step};
use super::motion::{self, Movement, MotionReader};
use super::words::{Proposal, ShowRule, WordDecoder};

/// A committed letter of the word being spelled: its hand's mean features over its hold,
/// and the model's mean reading of it.
type Key = (Option<[f32; LEN]>, Option<Vec<f32>>);

/// Movements, letters and words.
#[derive(Debug, Clone)]
pub struct Speller {
    words: Option<WordDecoder>,
    motion: MotionReader,
    proposal: Option<Proposal>,
    /// When a proposal is shown.
    rule: ShowRule,
    /// The status line of the shown proposal, made once when it changes (not per frame).
    line: Option<String>,
    /// The letters this signer confirmed (landmark models, `[decoder] remember_signer`).
    signer: SignerMemory,
    /// The letter being held: its class, and its features summed over the frames.
    held: Option<(usize, [f32; LEN], u32)>,
    /// Each letter of the word being spelled: its mean features over its hold (`None`:
    /// no hand, or a movement letter), and the model's reading of it (the decoder's
    /// [`Decoder::word_evidence`]; `None` for a movement letter).
    keys: Vec<Key>,
    /// When a hand was last seen.
    last_hand: Option<Duration>,
    /// The frame's probabilities with the memory mixed in (kept: no allocation a frame).
    mixed: Vec<f32>,
    /// Teaching: the letters asked for (class, label), and how many were taught or skipped.
    teach: Option<(Vec<(usize, String)>, usize)>,
}

/// Without a hand for this long, the signer has left: their letters are forgotten.
pub const FORGET_AFTER: Duration = Duration::from_secs(20);

/// The last word of the text, whether or not a space has ended it.
fn last_word(decoder: &Decoder) -> &str {
    decoder.text().trim_end_matches(' ').rsplit(' ').next().unwrap_or("")
}

impl Speller {
    /// A speller; without `words`, letters only.
    pub fn new(words: Option<WordDecoder>, rule: ShowRule) -> Self {
        Self {
            words,
            motion: MotionReader::new(),
            proposal: None,
            rule,
            line: None,
            signer: SignerMemory::default(),
            held: None,
            keys: Vec::new(),
            last_hand: None,
            mixed: Vec::new(),
            teach: None,
        }
    }

    /// Starts teaching: the signer is asked for each still letter of the model's classes
    /// (not J and Z, which move) in turn, and the hand they hold is remembered as it. The
    /// letters remembered so far are forgotten (a new signer). `false` when the model
    /// reads no landmarks or `remember_signer` is off: there is nothing to remember.
    pub fn start_teaching(&mut self, decoder: &mut Decoder) -> bool {
        if decoder.landmark_features().is_none() || !decoder.config().remember_signer {
            return false;
        }
        let classes = decoder.classes();
        let letters: Vec<(usize, String)> = (0..classes.len())
            .filter_map(|i| classes.get(i))
            .filter(|c| c.kind == shared::ClassKind::Letter && !motion::LETTERS.contains(&c.label.as_str()))
            .map(|c| (c.index as usize, c.label.clone()))
            .collect();
        if letters.is_empty() {
            return false;
        }
        self.forget_signer();
        self.held = None;
        self.teach = Some((letters, 0));
        decoder.set_teaching(true);
        self.set_proposal(None);
        true
    }

    /// Ends teaching; what was taught stays remembered.
    pub fn stop_teaching(&mut self, decoder: &mut Decoder) {
        if self.teach.take().is_some() {
            decoder.set_teaching(false);
            self.held = None;
            self.propose(decoder);
        }
    }

    /// Skips the letter asked for (the signer does not know it, or the model never
    /// reads their hand steadily enough to count a hold).
    pub fn skip_taught_letter(&mut self, decoder: &mut Decoder) {
        if let Some((_, next)) = &mut self.teach {
            *next += 1;
            self.held = None;
            self.after_teaching_step(decoder);
        }
    }

    /// While teaching: the letter asked for, how many were taught or skipped before it,
    /// and how many there are.
    pub fn teaching(&self) -> Option<(&str, usize, usize)> {
        self.teach.as_ref().and_then(|(letters, next)| letters.get(*next).map(|(_, l)| (l.as_str(), *next, letters.len())))
    }

    /// Ends teaching once every letter was asked for; renews the status line.
    fn after_teaching_step(&mut self, decoder: &mut Decoder) {
        if self.teach.as_ref().is_some_and(|(letters, next)| *next >= letters.len()) {
            tracing::info!(remembered = self.signer.len(), "teaching done");
            self.stop_teaching(decoder);
        } else {
            self.set_proposal(None);
        }
    }

    /// Forgets the signer: their letters and what the lexicon learned of them.
    fn forget_signer(&mut self) {
        self.signer.forget();
        if let Some(w) = &mut self.words {
            w.forget_signer();
        }
    }

    /// Letters of this signer remembered.
    pub fn remembered(&self) -> usize {
        self.signer.len()
    }

    /// The signer's remembered letters.
    pub fn signer(&self) -> &SignerMemory {
        &self.signer
    }

    /// Reads with `memory` from now on (the word benchmark carries a signer's letters
    /// from word to word).
    pub fn set_signer(&mut self, memory: SignerMemory) {
        self.signer = memory;
    }

    /// The lexicon decoder, if any.
    pub fn words(&self) -> Option<&WordDecoder> {
        self.words.as_ref()
    }

    /// Replaces the lexicon decoder (another model: its confusions differ).
    pub fn set_words(&mut self, words: Option<WordDecoder>) {
        self.words = words;
        self.set_proposal(None);
        // Another model: its features and classes may differ.
        self.signer.forget();
        self.keys.clear();
        self.held = None;
    }

    /// The status line asking about the shown proposal (`HELLO? space: yes, del: no`).
    pub fn status_line(&self) -> Option<&str> {
        self.line.as_deref()
    }

    /// The word proposed on screen, if one is.
    pub fn shown(&self) -> Option<&Proposal> {
        self.proposal.as_ref().filter(|p| p.worth_showing(self.rule))
    }

    /// The last proposal, shown or not.
    pub fn proposal(&self) -> Option<&Proposal> {
        self.proposal.as_ref()
    }

    /// One frame: its probabilities, time and hand (landmark models: the hand the
    /// features came from). Returns the decoder's step, whose edit is the frame's last.
    pub fn push(&mut self, decoder: &mut Decoder, probs: &[f32], t: Duration, hand: Option<&[Point; POINTS]>) -> Step {
        let features = decoder
            .landmark_features()
            .filter(|_| decoder.config().remember_signer)
            .and_then(|spec| hand.and_then(|h| shared::features::features(h, spec).ok()));
        self.push_read(decoder, probs, t, hand, features.as_ref())
    }

    /// [`Self::push`] with the hand's landmark features already read (`device
    /// spell-bench`'s frames carry them, without the hand).
    pub fn push_read(&mut self, decoder: &mut Decoder, probs: &[f32], t: Duration, hand: Option<&[Point; POINTS]>, features: Option<&[f32; LEN]>) -> Step {
        let features = features.filter(|_| decoder.config().remember_signer);
        let movement = self.motion.push(t, hand);
        if hand.is_some() || features.is_some() {
            self.last_hand = Some(t);
        } else if self.last_hand.is_some_and(|seen| t.saturating_sub(seen) >= FORGET_AFTER) {
            tracing::info!(letters = self.signer.len(), "no hand for {FORGET_AFTER:?}: the signer's letters forgotten");
            self.forget_signer();
            self.last_hand = None;
            self.stop_teaching(decoder);
        }
        self.keys.truncate(decoder.word_evidence().len());
        let probs = match features {
            Some(f) if !self.signer.is_empty() => {
                self.mixed.clear();
                self.mixed.extend_from_slice(probs);
                self.signer.mix(&mut self.mixed, f);
                &self.mixed[..]
            }
            _ => probs,
        };
        let mut step = decoder.push(probs, t);
        match (step.current, features) {
            (Some(c), Some(f)) => match &mut self.held {
                Some((held, sum, n)) if *held == c => {
                    sum.iter_mut().zip(f).for_each(|(s, v)| *s += v);
                    *n += 1;
                }
                _ => self.held = Some((c, *f, 1)),
            },
            (Some(_), None) => {}
            (None, _) => self.held = None,
        }
        if self.teach.is_some() {
            // Teaching: no movement letters, no words; a hold is the letter asked for.
            if let Some(Edit::Taught { read }) = &step.edit {
                self.taught(decoder, read);
            }
            return step;
        }
        let mut moved = false;
        match movement {
            Some(Movement::Again) => decoder.release(t),
            Some(m) => {
                let class = m.letter().and_then(|l| decoder.classes().by_label(l)).map(|c| c.index as usize);
                if let Some(edit) = class.and_then(|c| decoder.movement_letter(c, t, motion::WINDOW)) {
                    tracing::info!(?edit, "movement letter");
                    step.edit = Some(edit);
                    moved = true;
                }
            }
            None => {}
        }
        // A letter committed: its hold's features. A movement letter (J, Z, which may
        // replace the still letter held while it was drawn) has none: no still hand is it.
        while self.keys.len() < decoder.word_evidence().len() {
            let key = self.take_held();
            let reading = decoder.word_evidence()[self.keys.len()].clone();
            self.keys.push((key, Some(reading)));
        }
        if moved && let Some(last) = self.keys.last_mut() {
            *last = (None, None);
        }
        if let Some(edit) = step.edit.take() {
            step.edit = Some(self.after(decoder, edit));
        }
        step
    }

    /// The held letter's features, averaged over its hold; the hold is over.
    fn take_held(&mut self) -> Option<[f32; LEN]> {
        self.held.take().map(|(_, sum, n)| sum.map(|s| s / n as f32))
    }

    /// A hand held while teaching: remembered as the letter asked for, and the model's
    /// reading of it learned by the lexicon's channel. A hold without a hand's features
    /// teaches nothing, and the letter is asked for again.
    fn taught(&mut self, decoder: &mut Decoder, read: &str) {
        let Some((index, label)) = self.teach.as_ref().and_then(|(letters, next)| letters.get(*next).cloned()) else { return };
        let Some(key) = self.take_held() else { return };
        self.signer.remember(&key, index);
        if let (Some(w), Some(l)) = (&mut self.words, label.chars().next()) {
            w.learn(l, decoder.taught());
        }
        tracing::info!(asked = %label, read, remembered = self.signer.len(), "taught");
        if let Some((_, next)) = &mut self.teach {
            *next += 1;
        }
        self.after_teaching_step(decoder);
    }

    /// Takes `word` for the letters signed, and remembers them as its letters.
    fn accept_word(&mut self, decoder: &mut Decoder, word: &str) -> Edit {
        self.remember(decoder, word);
        decoder.accept_word(word)
    }

    /// The signer confirmed `word` for the letters signed last (a proposal accepted, or a
    /// listed word ended as signed): where it has as many letters as were signed, each
    /// signed letter's hand is remembered as the word's letter.
    fn remember(&mut self, decoder: &Decoder, word: &str) {
        // The letters signed for it (a signed `space` has already ended the word, and
        // cleared the decoder's evidence, but not the text).
        self.keys.truncate(last_word(decoder).chars().count());
        let letters: Vec<Option<usize>> =
            word.chars().map(|c| decoder.classes().by_label(&c.to_ascii_uppercase().to_string()).map(|i| i.index as usize)).collect();
        if decoder.config().remember_signer && self.keys.len() == letters.len() {
            for (((key, reading), class), letter) in self.keys.iter().zip(&letters).zip(word.chars()) {
                if let (Some(key), Some(class)) = (key, class) {
                    self.signer.remember(key, *class);
                }
                if let (Some(reading), Some(w)) = (reading, &mut self.words) {
                    w.learn(letter, reading);
                }
            }
            tracing::info!(word, remembered = self.signer.len(), "the signer's letters remembered");
        }
        self.keys.clear();
    }

    /// Accepts the shown proposal now (the accept key): the word and a space.
    pub fn accept(&mut self, decoder: &mut Decoder) -> Option<Edit> {
        let word = self.shown()?.word.clone();
        self.set_proposal(None);
        Some(self.accept_word(decoder, &word))
    }

    /// After the backspace button: a dismissed proposal is dropped, a deleted letter
    /// renews it.
    pub fn refresh(&mut self, decoder: &mut Decoder) {
        if self.shown().is_some() && !decoder.proposing() {
            self.set_proposal(None);
            return;
        }
        self.propose(decoder);
    }

    /// Forgets the proposal (the text was cleared).
    pub fn clear(&mut self) {
        self.set_proposal(None);
        self.motion.clear();
    }

    /// Follows an edit: a space takes the shown proposal, letters renew it.
    fn after(&mut self, decoder: &mut Decoder, edit: Edit) -> Edit {
        let edit = match edit {
            Edit::Appended(s) if s == " " => match self.shown().map(|p| p.word.clone()) {
                Some(word) => self.accept_word(decoder, &word),
                None => {
                    // A listed word ended as signed: its letters were most likely right.
                    let signed = last_word(decoder).to_string();
                    if self.words.as_ref().is_some_and(|w| w.lexicon().get(&signed).is_some()) {
                        self.remember(decoder, &signed);
                    }
                    Edit::Appended(s)
                }
            },
            Edit::Rejected => {
                // Dismissed: the letters stay as signed and no proposal is shown until
                // the next letter.
                self.set_proposal(None);
                decoder.set_proposing(false);
                return Edit::Rejected;
            }
            e => e,
        };
        self.propose(decoder);
        edit
    }

    /// Renews the proposal for the word being spelled.
    fn propose(&mut self, decoder: &mut Decoder) {
        let proposal = self.words.as_ref().and_then(|w| w.propose(decoder.current_word(), decoder.word_evidence()));
        self.set_proposal(proposal);
        decoder.set_proposing(self.shown().is_some());
    }

    fn set_proposal(&mut self, proposal: Option<Proposal>) {
        self.proposal = proposal;
        self.line = self.shown().map(|p| format!("{}? space: yes, del: no", p.word));
        if let Some((letter, done, total)) = self.teaching() {
            self.line = Some(format!("Teach me: sign {letter} ({}/{total})", done + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use shared::ClassTable;

    use super::*;
    use crate::decode::channel::Channel;
    use crate::decode::lexicon::Lexicon;
    use crate::decode::letters::DecoderConfig;

    /// Feeds `label` read at 0.9 for `frames` frames, 100 ms apart, with the hand's
    /// features `hand` (none: no hand); returns the edits.
    fn feed_with(s: &mut Speller, d: &mut Decoder, label: &str, hand: Option<&[f32; LEN]>, frames: usize, t: &mut Duration) -> Vec<Edit> {
        let classes = ClassTable::asl_alphabet();
        let mut p = vec![0.1 / 28.0; classes.len()];
        p[classes.by_label(label).unwrap().index as usize] = 0.9;
        let mut edits = Vec::new();
        for _ in 0..frames {
            edits.extend(s.push_read(d, &p, *t, None, hand).edit);
            *t += Duration::from_millis(100);
        }
        edits
    }

    fn feed(s: &mut Speller, d: &mut Decoder, label: &str, frames: usize, t: &mut Duration) -> Vec<Edit> {
        feed_with(s, d, label, None, frames, t)
    }

    fn speller() -> (Speller, Decoder) {
        let classes = ClassTable::asl_alphabet();
        let lexicon = Lexicon::from_words([("hello".into(), 5.0, false), ("help".into(), 5.0, false)]);
        let words = WordDecoder::new(lexicon, Channel::uniform(&classes, 0.8).unwrap());
        (Speller::new(Some(words), DecoderConfig::default().show_rule()), Decoder::new(DecoderConfig::default(), classes))
    }

    fn spell(s: &mut Speller, d: &mut Decoder, letters: &str, t: &mut Duration) {
        for l in letters.chars() {
            feed(s, d, &l.to_string(), 12, t);
            feed(s, d, "nothing", 4, t);
        }
    }

    #[test]
    fn signing_space_takes_the_proposed_word() {
        let (mut s, mut d, mut t) = (speller().0, speller().1, Duration::ZERO);
        spell(&mut s, &mut d, "HELO", &mut t);
        assert_eq!(s.shown().map(|p| p.word.as_str()), Some("HELLO"));
        assert!(d.proposing());
        let edits = feed(&mut s, &mut d, "space", 12, &mut t);
        assert_eq!(edits, [Edit::Accepted { signed: "HELO".into(), word: "HELLO".into() }]);
        assert_eq!(d.text(), "HELLO ");
        assert!(s.shown().is_none());
    }

    #[test]
    fn del_dismisses_and_the_letters_stay() {
        let (mut s, mut d, mut t) = (speller().0, speller().1, Duration::ZERO);
        spell(&mut s, &mut d, "HELO", &mut t);
        assert_eq!(feed(&mut s, &mut d, "del", 12, &mut t), [Edit::Rejected]);
        assert!(s.shown().is_none());
        feed(&mut s, &mut d, "nothing", 4, &mut t);
        feed(&mut s, &mut d, "space", 12, &mut t);
        assert_eq!(d.text(), "HELO ", "no proposal: the space is only a space");
    }

    fn feed_hand(s: &mut Speller, d: &mut Decoder, label: &str, f: [f32; LEN], frames: usize, t: &mut Duration) {
        feed_with(s, d, label, Some(&f), frames, t);
    }

    /// A hand of its own for each letter: 1 in the letter's slot.
    fn hand_of(letter: char) -> [f32; LEN] {
        let mut f = [0.0; LEN];
        f[(letter as u8 - b'A') as usize] = 1.0;
        f
    }

    #[test]
    fn an_accepted_word_is_remembered_letter_by_letter_and_read_into_the_next_frames() {
        let (mut s, mut d, mut t) = (speller().0, speller().1, Duration::ZERO);
        for l in "HELP".chars() {
            feed_hand(&mut s, &mut d, &l.to_string(), hand_of(l), 12, &mut t);
            feed(&mut s, &mut d, "nothing", 4, &mut t);
        }
        assert_eq!(s.remembered(), 0, "nothing confirmed yet");
        feed(&mut s, &mut d, "space", 12, &mut t);
        assert_eq!(d.text(), "HELP ");
        assert_eq!(s.remembered(), 4, "a listed word ended as signed");
        // The signer's P hand, which the model now reads as K, is read as their P.
        feed_hand(&mut s, &mut d, "K", hand_of('P'), 12, &mut t);
        assert_eq!(d.text(), "HELP P");
        // A hand far from every remembered one is the model's alone.
        feed(&mut s, &mut d, "nothing", 4, &mut t);
        feed_hand(&mut s, &mut d, "K", [0.5; LEN], 12, &mut t);
        assert_eq!(d.text(), "HELP PK");
        // Twenty seconds without a hand: another person.
        feed(&mut s, &mut d, "nothing", 1, &mut t);
        feed(&mut s, &mut d, "nothing", 1, &mut (t + FORGET_AFTER));
        assert_eq!(s.remembered(), 0);
    }

    #[test]
    fn a_proposal_with_other_letters_than_were_signed_teaches_nothing() {
        let (mut s, mut d, mut t) = (speller().0, speller().1, Duration::ZERO);
        for l in "HELO".chars() {
            feed_hand(&mut s, &mut d, &l.to_string(), hand_of(l), 12, &mut t);
            feed(&mut s, &mut d, "nothing", 4, &mut t);
        }
        assert_eq!(s.shown().map(|p| p.word.as_str()), Some("HELLO"));
        assert!(s.accept(&mut d).is_some());
        assert_eq!(d.text(), "HELLO ");
        assert_eq!(s.remembered(), 0, "four hands for five letters: which is which is unknown");
    }

    #[test]
    fn teaching_remembers_each_letter_asked_for_whatever_the_model_reads() {
        let (mut s, d, mut t) = (speller().0, speller().1, Duration::ZERO);
        assert!(!s.start_teaching(&mut speller().1), "a picture model has no hand to remember");
        let mut d = d.with_landmark_features(Some(shared::features::FeatureSpec::V1));
        spell(&mut s, &mut d, "HI", &mut t);
        assert!(s.start_teaching(&mut d));
        assert_eq!(s.teaching(), Some(("A", 0, 24)), "the still letters: not J and Z");
        assert_eq!(s.status_line(), Some("Teach me: sign A (1/24)"));
        // This signer's every letter is read as K by the model; each hand is remembered as
        // the letter asked for, and the text is left alone.
        while let Some((letter, _, _)) = s.teaching() {
            let l = letter.chars().next().unwrap();
            if l == 'C' {
                s.skip_taught_letter(&mut d);
                continue;
            }
            let edits = feed_with(&mut s, &mut d, "K", Some(&hand_of(l)), 12, &mut t);
            assert_eq!(edits, [Edit::Taught { read: "K".into() }], "{l}");
            feed(&mut s, &mut d, "nothing", 4, &mut t);
        }
        assert!(!d.teaching() && s.status_line().is_none());
        assert_eq!(s.remembered(), 23, "every still letter but the one skipped");
        assert_eq!(d.text(), "HI");
        // Their P hand, read as K, now spells P; their C was never taught.
        feed_hand(&mut s, &mut d, "K", hand_of('P'), 12, &mut t);
        feed(&mut s, &mut d, "nothing", 4, &mut t);
        feed_hand(&mut s, &mut d, "K", hand_of('C'), 12, &mut t);
        assert_eq!(d.text(), "HIPK");
    }

    #[test]
    fn without_a_lexicon_letters_are_letters() {
        let mut s = Speller::new(None, DecoderConfig::default().show_rule());
        let mut d = speller().1;
        let mut t = Duration::ZERO;
        spell(&mut s, &mut d, "HELO", &mut t);
        assert!(s.shown().is_none() && !d.proposing());
        assert_eq!(s.accept(&mut d), None);
    }
}
