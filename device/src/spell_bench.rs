//! `device spell-bench`: words spelled from frames of people the model never saw, read
//! by the plain letter decoder and by the lexicon decoder, side by side, at several
//! paces.
//!
//! The frames are the model's leave-one-source-out outputs (`NAME.loso.json`): for each
//! held-out source (a signer, an author, a photo collection), what a model trained on
//! every other source read from its pictures. Each word is spelled by each source that
//! has every one of its letters: per letter, two of that source's pictures of the
//! letter (the hand shifts a little while held), then two frames of motion between
//! letters (no class above the threshold). The lexicon's channel for a source is
//! measured on the *other* sources only, so no number here is tuned to the frames it
//! reads.
//!
//! Every name of the benchmark is in the names list. Many names people spell are not,
//! so the lexicon decoder also runs with the benchmark's names left out of both lists
//! ([`UNLISTED`]): how often it rewrites a name it has never heard of, read right,
//! into a word.
//!
//! The signer remembered ([`Remembered`]): each source's pictures of a letter are split
//! in two, the first half and the second half of them in the source's order. The
//! signer first spells the whole list from first-half pictures, with the kiosk's
//! memory of their confirmed letters ([`crate::decode::speller`]) on, keeping what it
//! learned from each word read right (a wrong word the signer would dismiss); then
//! the list is spelled from second-half pictures, read alone and with that memory,
//! which learns no more. No picture is both remembered and read.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use shared::ClassTable;
use shared::features::LEN;
use shared::loso::{LosoOutputs, stable_hash};
use shared::signer::SignerMemory;

use crate::decode::channel::Channel;
use crate::decode::lexicon::Lexicon;
use crate::decode::words::ALPHA;
use crate::decode::{Decoder, DecoderConfig, ShowRule, Speller, WordDecoder};

/// Frames per second of the simulated camera.
pub const FPS: f32 = 15.0;

/// Common words (the demo's HELLO, CAB and WORLD among them), all in the word list.
pub const WORDS: [&str; 40] = [
    "HELLO", "CAB", "WORLD", "THANK", "YOU", "PLEASE", "HELP", "WATER", "FOOD", "COFFEE", "TRAIN", "TICKET", "DOCTOR",
    "SCHOOL", "FRIEND", "FAMILY", "MONEY", "TIME", "WORK", "HOME", "BOOK", "PHONE", "QUIET", "ZERO", "JUMP", "LAZY", "FOX",
    "DOG", "GOOD", "MORNING", "NIGHT", "YES", "NAME", "SIGN", "STREET", "CITY", "MUSIC", "COLOR", "OFFICE", "MEETING",
];

/// The decoder row that reads with the benchmark's [`NAMES`] left out of the word lists.
pub const UNLISTED: &str = "lexicon, names in no list";

/// Names: the decoder must never rewrite them into another word.
pub const NAMES: [&str; 16] =
    ["NOAH", "MARIA", "OMAR", "EMMA", "SOFIA", "DAVID", "ANNA", "LUCAS", "MIA", "ETHAN", "OLIVIA", "ZOE", "JACK", "KIM", "ALI", "LEE"];

/// How fast the signer spells: frames each letter is held and the decoder's hold.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Pace {
    /// Name in the table.
    pub name: &'static str,
    /// Frames each letter is held (at [`FPS`]).
    pub frames: usize,
    /// The decoder's `hold_ms` for this signer.
    pub hold_ms: u64,
}

impl Pace {
    /// The decoder's settings for a signer at this pace, at `threshold`.
    fn decoder_config(&self, threshold: Thresholds) -> DecoderConfig {
        DecoderConfig { hold_ms: self.hold_ms, threshold: Some(threshold.letter), control_threshold: threshold.control, ..DecoderConfig::default() }
    }
}

/// The decoders' confidence thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Any class's (`[decoder] threshold`).
    pub letter: f32,
    /// `space` and `del`'s (`[decoder] control_threshold`).
    pub control: f32,
}

impl Default for Thresholds {
    /// The shipped configs' values for the landmark classifier.
    fn default() -> Self {
        Self { letter: crate::decode::letters::LANDMARK_THRESHOLD, control: crate::decode::letters::CONTROL_THRESHOLD }
    }
}

/// The paces benchmarked: about 0.8, 1.2 and 1.9 letters a second... to 1.2 s a letter.
pub const PACES: [Pace; 3] = [
    Pace { name: "slow (1.2 s a letter)", frames: 18, hold_ms: 800 },
    Pace { name: "normal (0.8 s)", frames: 12, hold_ms: 500 },
    Pace { name: "fast (0.53 s)", frames: 8, hold_ms: 300 },
];

/// One decoder at one pace.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The pace's name.
    pub pace: &'static str,
    /// `plain`, `lexicon` or [`UNLISTED`].
    pub decoder: &'static str,
    /// Words spelled (word x source).
    pub words: usize,
    /// Read exactly.
    pub exact: usize,
    /// Letters of the words.
    pub letters: usize,
    /// Edit distance from the words, summed.
    pub letter_errors: usize,
    /// Names spelled.
    pub names: usize,
    /// Names read right by the letters, then turned into another word (lexicon rows).
    pub names_rewritten: usize,
    /// Names misread, which the lexicon then turned into another word than the name
    /// (lexicon rows).
    pub names_misread_to_words: usize,
}

impl Row {
    /// Share of words read exactly.
    pub fn word_accuracy(&self) -> f64 {
        self.exact as f64 / self.words.max(1) as f64
    }

    /// Letter error rate (edits / letters).
    pub fn letter_error_rate(&self) -> f64 {
        self.letter_errors as f64 / self.letters.max(1) as f64
    }
}

/// The signer remembered, at one pace: words spelled from the second half of each
/// source's pictures, read alone and with the letters confirmed while spelling the
/// list from the first half.
#[derive(Debug, Clone, Serialize)]
pub struct Remembered {
    /// The pace's name.
    pub pace: &'static str,
    /// Words spelled (word x source).
    pub words: usize,
    /// Read exactly: plain decoder alone, with the memory; lexicon alone, with it; then
    /// plain and lexicon after one pass of teaching instead.
    pub exact: [usize; 6],
    /// Letters of the words.
    pub letters: usize,
    /// Edit distance from the words, summed, in the same order.
    pub letter_errors: [usize; 6],
    /// Letters remembered after the first pass, summed over sources.
    pub remembered: usize,
    /// Sources that spelled words.
    pub sources: usize,
}

/// What the benchmark measured.
#[derive(Debug, Clone, Serialize)]
pub struct SpellBench {
    /// Sources that spelled at least one word, with their word counts.
    pub sources: Vec<(String, usize)>,
    /// Plain, lexicon and [`UNLISTED`] rows for each pace.
    pub rows: Vec<Row>,
    /// Mean time of one word proposal (after each committed letter), microseconds,
    /// over every word of the list at full length.
    pub proposal_us: f64,
    /// Every word spelled: source, pace, word, what the plain, the lexicon and the
    /// [`UNLISTED`] decoder read.
    pub spelled: Vec<[String; 6]>,
    /// The signer remembered, per pace (frames without features: none).
    pub remembered: Vec<Remembered>,
}

impl SpellBench {
    /// The table in Markdown.
    pub fn to_markdown(&self) -> String {
        let mut s = String::from(
            "| pace | decoder | words | exact words | letter error rate | names read right, then rewritten | misread names made another word |\n|---|---|---:|---:|---:|---:|---:|\n",
        );
        for r in &self.rows {
            s += &format!(
                "| {} | {} | {} | **{:.1}%** | {:.1}% | {} of {} | {} |\n",
                r.pace,
                r.decoder,
                r.words,
                100.0 * r.word_accuracy(),
                100.0 * r.letter_error_rate(),
                r.names_rewritten,
                r.names,
                r.names_misread_to_words
            );
        }
        let src: Vec<String> = self.sources.iter().map(|(n, w)| format!("{n} ({w})")).collect();
        s += &format!("\nSplit: leave-one-source-out; sources (words spelled): {}.\n", src.join(", "));
        s += &format!("One word proposal (after each letter) takes {:.0} us on this machine.\n", self.proposal_us);
        s += &format!(
            "\nBy held-out source, pace {}:\n\n| held-out source | words | plain exact | lexicon exact | {UNLISTED} exact |\n|---|---:|---:|---:|---:|\n",
            PACES[1].name
        );
        for (src, _) in &self.sources {
            let of: Vec<&[String; 6]> = self.spelled.iter().filter(|d| &d[0] == src && d[1] == PACES[1].name).collect();
            let share = |k: usize| 100.0 * of.iter().filter(|d| d[k] == d[2]).count() as f64 / of.len().max(1) as f64;
            s += &format!("| {src} | {} | {:.1}% | {:.1}% | {:.1}% |\n", of.len(), share(3), share(4), share(5));
        }
        if !self.remembered.is_empty() {
            s += "\nThe signer remembered (the list spelled from the second half of each source's pictures, after spelling it from the first half with the memory on, or after one pass of teaching from first-half pictures; exact words, letter error rate in brackets):\n\n\
                  | pace | words | letters remembered a source | plain | plain, remembered | plain, taught | lexicon | lexicon, remembered | lexicon, taught |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
            for r in &self.remembered {
                let cell = |k: usize| {
                    format!(
                        "{:.1}% ({:.1}%)",
                        100.0 * r.exact[k] as f64 / r.words.max(1) as f64,
                        100.0 * r.letter_errors[k] as f64 / r.letters.max(1) as f64
                    )
                };
                s += &format!(
                    "| {} | {} | {:.0} | {} | {} | {} | **{}** | **{}** | **{}** |\n",
                    r.pace,
                    r.words,
                    r.remembered as f64 / r.sources.max(1) as f64,
                    cell(0),
                    cell(1),
                    cell(4),
                    cell(2),
                    cell(3),
                    cell(5)
                );
            }
        }
        s
    }
}

/// The benchmark's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Seed of the pictures chosen per letter.
    pub seed: u64,
    /// The decoders' confidence thresholds.
    pub threshold: Thresholds,
    /// When a proposed word is shown, and so taken when the word ends
    /// (`[decoder] propose_at` and `propose_over`).
    pub rule: ShowRule,
    /// Share of the prior on the lists' words ([`crate::decode::lexicon::IN_LIST`]).
    pub in_list: f32,
}

impl Default for Settings {
    /// The shipped configs' values for the landmark classifier.
    fn default() -> Self {
        Self { seed: 0, threshold: Thresholds::default(), rule: DecoderConfig::default().show_rule(), in_list: crate::decode::lexicon::IN_LIST }
    }
}

/// Runs the benchmark on `loso` (the model's `NAME.loso.json`) with the word lists in
/// `lexicon`.
pub fn run(loso: &Path, lexicon: &Path, settings: Settings) -> Result<SpellBench> {
    let Settings { seed, threshold, rule, in_list } = settings;
    let out = LosoOutputs::load(loso)?;
    let classes = ClassTable::asl_alphabet();
    if out.classes != classes.labels() {
        bail!("{}: its classes are not the ASL alphabet's 29", loso.display());
    }
    let load = |except: &[&str]| Lexicon::load_except(lexicon, except).with_context(|| format!("loading the lexicon in {}", lexicon.display()));
    let unlisted = std::sync::Arc::new(load(&NAMES)?.with_in_list(in_list));
    let lexicon = std::sync::Arc::new(load(&[])?.with_in_list(in_list));
    let mut rows: Vec<Row> = PACES
        .iter()
        .flat_map(|p| ["plain", "lexicon", UNLISTED].map(|d| Row { pace: p.name, decoder: d, words: 0, exact: 0, letters: 0, letter_errors: 0, names: 0, names_rewritten: 0, names_misread_to_words: 0 }))
        .collect();
    let mut sources = Vec::new();
    let mut details = Vec::new();
    let mut remembered_rows: std::collections::BTreeMap<usize, Remembered> = std::collections::BTreeMap::new();
    let nothing = classes.by_label("nothing").map_or(0, |c| c.index as usize);
    for fold in &out.folds {
        let channel = Channel::from_confusion(&classes, &out.confusion(Some(&fold.source)), ALPHA).context("confusions")?;
        let words = [WordDecoder::new(lexicon.clone(), channel.clone()), WordDecoder::new(unlisted.clone(), channel)];
        let mut by_class: HashMap<usize, Vec<Picture>> = HashMap::new();
        for f in &fold.frames {
            let p = f.probabilities(classes.len()).unwrap_or_else(|| one_hot(classes.len(), nothing));
            let features = f.features.as_deref().and_then(|v| <[f32; LEN]>::try_from(v).ok());
            by_class.entry(f.truth as usize).or_default().push((p, features));
        }
        let mut spelled = 0;
        for (k, word) in WORDS.iter().chain(&NAMES).enumerate() {
            let Some(letters) = word.chars().map(|c| classes.by_label(&c.to_string()).map(|i| i.index as usize)).collect::<Option<Vec<_>>>()
            else {
                continue;
            };
            if letters.iter().any(|l| by_class.get(l).is_none_or(Vec::is_empty)) {
                continue;
            }
            spelled += 1;
            let is_name = NAMES.contains(word);
            for (pi, pace) in PACES.iter().enumerate() {
                // Seed, word and pace in separate bits: for seeds below 2^32, no two (seed,
                // pace) pairs draw alike.
                let mut rng = SplitMix(seed ^ stable_hash(&fold.source) ^ ((k as u64) << 32) ^ ((pi as u64) << 56));
                let frames = stream(&letters, &by_class, pace.frames, classes.len(), nothing, &mut rng);
                let [plain, lexical, unlisted] = spell(&frames, pace, threshold, rule, &classes, &words);
                details.push([fold.source.clone(), pace.name.to_string(), word.to_string(), plain.clone(), lexical.clone(), unlisted.clone()]);
                for (row, got) in rows[3 * pi..3 * pi + 3].iter_mut().zip([&plain, &lexical, &unlisted]) {
                    row.words += 1;
                    row.exact += usize::from(got == word);
                    row.letters += word.len();
                    row.letter_errors += strsim::levenshtein(got, word);
                    row.names += usize::from(is_name);
                    let lexical = is_name && row.decoder != "plain";
                    row.names_rewritten += usize::from(lexical && plain == *word && got != word);
                    row.names_misread_to_words += usize::from(lexical && plain != *word && *got != plain && got != word);
                }
            }
        }
        if spelled > 0 {
            sources.push((fold.source.clone(), spelled));
        }
        if by_class.values().flatten().any(|p| p.1.is_some()) {
            for (pi, pace) in PACES.iter().enumerate() {
                let r = remembered_rows.entry(pi).or_insert_with(|| Remembered { pace: pace.name, words: 0, exact: [0; 6], letters: 0, letter_errors: [0; 6], remembered: 0, sources: 0 });
                remember_signer(&by_class, pace, threshold, rule, &classes, &words[0], nothing, seed ^ stable_hash(&fold.source) ^ ((pi as u64) << 56), r);
            }
        }
    }
    let proposal_us = time_proposals(&lexicon, &classes);
    let remembered = remembered_rows.into_values().collect();
    Ok(SpellBench { sources, rows, proposal_us, spelled: details, remembered })
}

/// A picture's probabilities and, where a hand was found, its features.
type Picture = (Vec<f32>, Option<[f32; LEN]>);

/// The signer remembered, for one source at one pace (see the module's doc), added to `r`.
#[allow(clippy::too_many_arguments)]
fn remember_signer(
    by_class: &HashMap<usize, Vec<Picture>>,
    pace: &Pace,
    threshold: Thresholds,
    rule: ShowRule,
    classes: &ClassTable,
    words: &WordDecoder,
    nothing: usize,
    seed: u64,
    r: &mut Remembered,
) {
    let half = |second: bool| -> HashMap<usize, Vec<Picture>> {
        by_class.iter().map(|(c, pics)| (*c, if second { pics[pics.len() / 2..].to_vec() } else { pics[..pics.len() / 2].to_vec() })).collect()
    };
    let (first, second) = (half(false), half(true));
    let list = || {
        WORDS.iter().chain(&NAMES).enumerate().filter_map(|(k, word)| {
            word.chars().map(|c| classes.by_label(&c.to_string()).map(|i| i.index as usize)).collect::<Option<Vec<_>>>().map(|l| (k, *word, l))
        })
    };
    let has = |pics: &HashMap<usize, Vec<Picture>>, letters: &[usize]| letters.iter().all(|l| pics.get(l).is_some_and(|p| !p.is_empty()));
    let mut memory = SignerMemory::default();
    let mut learned_words = words.clone();
    for (k, word, letters) in list() {
        if !has(&first, &letters) {
            continue;
        }
        let mut rng = SplitMix(seed ^ ((k as u64) << 32));
        let frames = stream(&letters, &first, pace.frames, classes.len(), nothing, &mut rng);
        let (got, learned, after) = read_remembering(&frames, pace, threshold, rule, classes, Some(learned_words.clone()), memory.clone());
        if got == word {
            memory = learned;
            learned_words = after.expect("a lexicon");
        }
    }
    let (taught, taught_words) = teach(&first, pace, threshold, rule, classes, words, nothing, seed);
    let mut spelled = 0;
    for (k, word, letters) in list() {
        if !has(&second, &letters) {
            continue;
        }
        spelled += 1;
        let mut rng = SplitMix(seed ^ ((k as u64) << 32) ^ 1);
        let frames = stream(&letters, &second, pace.frames, classes.len(), nothing, &mut rng);
        let reads = [
            read_remembering(&frames, pace, threshold, rule, classes, None, SignerMemory::default()).0,
            read_remembering(&frames, pace, threshold, rule, classes, None, memory.clone()).0,
            read_remembering(&frames, pace, threshold, rule, classes, Some(words.clone()), SignerMemory::default()).0,
            read_remembering(&frames, pace, threshold, rule, classes, Some(learned_words.clone()), memory.clone()).0,
            read_remembering(&frames, pace, threshold, rule, classes, None, taught.clone()).0,
            read_remembering(&frames, pace, threshold, rule, classes, Some(taught_words.clone()), taught.clone()).0,
        ];
        r.words += 1;
        r.letters += word.len();
        for (i, got) in reads.iter().enumerate() {
            r.exact[i] += usize::from(got == word);
            r.letter_errors[i] += strsim::levenshtein(got, word);
        }
    }
    if spelled > 0 {
        r.remembered += memory.len();
        r.sources += 1;
    }
}

/// One pass of teaching ([`Speller::start_teaching`]): each still letter asked for is
/// held for a letter's frames of one of `pictures` (one picture: a held hand is one
/// shape), then let go; letters without pictures are skipped. The memory and the word
/// decoder that learned the readings.
#[allow(clippy::too_many_arguments)]
fn teach(
    pictures: &HashMap<usize, Vec<Picture>>,
    pace: &Pace,
    threshold: Thresholds,
    rule: ShowRule,
    classes: &ClassTable,
    words: &WordDecoder,
    nothing: usize,
    seed: u64,
) -> (SignerMemory, WordDecoder) {
    // The frames carry their features: the decoder only needs to know it reads landmarks.
    let mut decoder = Decoder::new(pace.decoder_config(threshold), classes.clone()).with_landmark_features(Some(shared::features::FeatureSpec { depth: false, ..shared::features::FeatureSpec::V1 }));
    let mut speller = Speller::new(Some(words.clone()), rule);
    let mut rng = SplitMix(seed ^ 0x7eac);
    let none = one_hot(classes.len(), nothing);
    let mut i = 0usize;
    let mut next = |speller: &mut Speller, decoder: &mut Decoder, p: &[f32], f: Option<&[f32; LEN]>| {
        speller.push_read(decoder, p, Duration::from_secs_f32(i as f32 / FPS), None, f);
        i += 1;
    };
    if speller.start_teaching(&mut decoder) {
        while let Some((letter, _, _)) = speller.teaching() {
            let pics = classes.by_label(letter).and_then(|c| pictures.get(&(c.index as usize))).filter(|p| !p.is_empty());
            let Some(pics) = pics else {
                speller.skip_taught_letter(&mut decoder);
                continue;
            };
            // How many letters were taught or skipped: it moves on when this one is taught.
            let done = |s: &Speller| s.teaching().map(|(_, done, _)| done);
            let asked = done(&speller);
            let (p, f) = &pics[rng.below(pics.len())];
            // Held up to twice a letter's time; a hold the model never reads steadily
            // enough to count is skipped, as the signer would skip it.
            for _ in 0..2 * pace.frames {
                next(&mut speller, &mut decoder, p, f.as_ref());
                if done(&speller) != asked {
                    break;
                }
            }
            if done(&speller) == asked {
                speller.skip_taught_letter(&mut decoder);
            }
            for _ in 0..4 {
                next(&mut speller, &mut decoder, &none, None);
            }
        }
    }
    (speller.signer().clone(), speller.words().cloned().expect("a lexicon"))
}

/// What the decoder reads of `frames` starting with the signer's `memory`, and the
/// memory and word decoder after (with the letters of a word it took).
fn read_remembering(
    frames: &[Frame],
    pace: &Pace,
    threshold: Thresholds,
    rule: ShowRule,
    classes: &ClassTable,
    words: Option<WordDecoder>,
    memory: SignerMemory,
) -> (String, SignerMemory, Option<WordDecoder>) {
    let mut decoder = Decoder::new(pace.decoder_config(threshold), classes.clone());
    let mut speller = Speller::new(words, rule);
    speller.set_signer(memory);
    for (i, (p, features, bounce)) in frames.iter().enumerate() {
        let t = Duration::from_secs_f32(i as f32 / FPS);
        if *bounce {
            decoder.release(t);
        }
        speller.push_read(&mut decoder, p, t, None, features.as_ref());
    }
    // The word ends as the kiosk's signer ends it: `space` signed, which takes a shown
    // proposal, or confirms a listed word read as signed.
    let space = one_hot(classes.len(), classes.by_label("space").map_or(0, |c| c.index as usize));
    for i in frames.len()..frames.len() + pace.frames + 2 {
        speller.push_read(&mut decoder, &space, Duration::from_secs_f32(i as f32 / FPS), None, None);
    }
    (decoder.text().trim().to_string(), speller.signer().clone(), speller.words().cloned())
}

/// The frames of a word: per letter two pictures (three frames of one to each of the
/// other), then two frames of motion; a second of no hand at the end. A frame marked
/// `true` ends the bounce of a double letter (the kiosk reads it from the hand's track,
/// [`crate::decode::motion`]; pictures have no track, so the benchmark marks it).
fn stream(letters: &[usize], by_class: &HashMap<usize, Vec<Picture>>, per_letter: usize, n: usize, nothing: usize, rng: &mut SplitMix) -> Vec<Frame> {
    let motion = vec![1.0 / n as f32; n];
    let mut frames = Vec::new();
    for (i, l) in letters.iter().enumerate() {
        let pics = &by_class[l];
        let (a, b) = (&pics[rng.below(pics.len())], &pics[rng.below(pics.len())]);
        let again = i > 0 && letters[i - 1] == *l;
        frames.extend((0..per_letter).map(|k| {
            let (p, f) = if k % 4 == 3 { b.clone() } else { a.clone() };
            (p, f, again && k == 0)
        }));
        frames.extend([(motion.clone(), None, false), (motion.clone(), None, false)]);
    }
    frames.extend(std::iter::repeat_n((one_hot(n, nothing), None, false), FPS as usize));
    frames
}

/// A frame of a word: probabilities, the hand's features, and whether it ends a bounce.
type Frame = (Vec<f32>, Option<[f32; LEN]>, bool);

/// The plain decoder's letters and each lexicon decoder's word for `frames`.
fn spell(frames: &[Frame], pace: &Pace, threshold: Thresholds, rule: ShowRule, classes: &ClassTable, words: &[WordDecoder; 2]) -> [String; 3] {
    let cfg = pace.decoder_config(threshold);
    let run = |words: Option<WordDecoder>| {
        let mut decoder = Decoder::new(cfg.clone(), classes.clone());
        let mut speller = Speller::new(words, rule);
        for (i, (f, _, bounce)) in frames.iter().enumerate() {
            let t = Duration::from_secs_f32(i as f32 / FPS);
            if *bounce {
                decoder.release(t);
            }
            speller.push(&mut decoder, f, t, None);
        }
        // The word ends (the signer signs `space`): a shown proposal is taken.
        speller.accept(&mut decoder);
        decoder.text().trim().to_string()
    };
    [run(None), run(Some(words[0].clone())), run(Some(words[1].clone()))]
}

/// Mean time of a proposal for each listed word, read with certainty.
fn time_proposals(lexicon: &std::sync::Arc<Lexicon>, classes: &ClassTable) -> f64 {
    let words = WordDecoder::new(lexicon.clone(), Channel::uniform(classes, 0.8).expect("ASL letters"));
    let list: Vec<(&str, Vec<Vec<f32>>)> = WORDS
        .iter()
        .chain(&NAMES)
        .map(|w| (*w, w.chars().map(|c| one_hot(classes.len(), classes.by_label(&c.to_string()).map_or(0, |i| i.index as usize))).collect()))
        .collect();
    let start = std::time::Instant::now();
    for (w, ev) in &list {
        std::hint::black_box(words.propose(w, ev));
    }
    start.elapsed().as_secs_f64() * 1e6 / list.len() as f64
}

fn one_hot(n: usize, i: usize) -> Vec<f32> {
    let mut v = vec![0.0; n];
    v[i] = 1.0;
    v
}

/// SplitMix64: a seeded, dependency-free choice of pictures.
struct SplitMix(u64);

impl SplitMix {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}
