//! Words, not letters, on real data: J, Z and double letters read from tracks of real
//! hands (MediaPipe's landmarks of asl-alphabet pictures, moved along the letters'
//! paths), the still alphabet never read as a movement, the lexicon with the shipped
//! word lists and the default model's leave-one-source-out confusions, and the word
//! benchmark on frames of people the model never saw.

mod common;

use std::time::Duration;

use device::decode::motion::{self, Movement, MotionReader};
use device::decode::{Decoder, DecoderConfig, Speller, WordDecoder};
use device::engine::Engine;
use device::spell_bench;
use shared::ClassTable;
use shared::hands::Point;
use shared::loso::LosoOutputs;

const FRAME: Duration = Duration::from_millis(66);

fn lexicon_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/lexicon")
}

fn hand_size(p: &[Point; 21]) -> f32 {
    ((p[9].x - p[0].x).powi(2) + (p[9].y - p[0].y).powi(2)).sqrt()
}

/// Feeds a track, one frame every 66 ms; returns the movements read and when.
fn read(track: &[[Point; 21]]) -> Vec<(usize, Movement)> {
    let mut reader = MotionReader::new();
    track.iter().enumerate().filter_map(|(i, h)| reader.push(FRAME * i as u32, Some(h)).map(|m| (i, m))).collect()
}

/// `hand` still for `n` frames, then its `tip` drawing `template` (scaled to `scale`
/// hand sizes, mirrored when asked), then still again.
fn drawn(hand: &[Point; 21], tip: usize, template: &[(f32, f32)], scale: f32, mirror: bool) -> Vec<[Point; 21]> {
    let corners: Vec<(f32, f32)> = template.iter().map(|&(x, y)| (if mirror { 1.0 - x } else { x }, y)).collect();
    let start = (hand[tip].x, hand[tip].y);
    let origin = (start.0 - scale * hand_size(hand) * corners[0].0, start.1 - scale * hand_size(hand) * corners[0].1);
    let mut path = vec![start; 5];
    path.extend(motion::stroke(&corners, 10, scale * hand_size(hand), origin, 5));
    motion::hand_along(hand, tip, &path)
}

#[test]
fn j_and_z_are_read_from_real_hands_moving_and_only_from_them() {
    for hand in common::real_hands("I", 3) {
        for mirror in [false, true] {
            let got = read(&drawn(&hand, 20, motion::template(Movement::J).unwrap(), 1.5, mirror));
            assert_eq!(got.iter().map(|g| g.1).collect::<Vec<_>>(), [Movement::J], "I hand drawing J (mirror {mirror})");
            let got = read(&drawn(&hand, 20, motion::template(Movement::Z).unwrap(), 1.0, mirror));
            assert!(got.iter().all(|g| g.1 != Movement::J && g.1 != Movement::Z), "an I hand drawing Z is not a letter: {got:?}");
        }
    }
    for hand in common::real_hands("D", 3) {
        for mirror in [false, true] {
            let got = read(&drawn(&hand, 8, motion::template(Movement::Z).unwrap(), 1.0, mirror));
            assert_eq!(got.iter().map(|g| g.1).collect::<Vec<_>>(), [Movement::Z], "index hand drawing Z (mirror {mirror})");
        }
    }
    // A fist drawing Z is no Z.
    for hand in common::real_hands("A", 2) {
        let got = read(&drawn(&hand, 8, motion::template(Movement::Z).unwrap(), 1.0, false));
        assert!(got.iter().all(|g| g.1 != Movement::Z && g.1 != Movement::J), "{got:?}");
    }
}

#[test]
fn the_still_alphabet_is_never_a_movement() {
    for letter in "ABCDEFGHIKLMNOPQRSTUVWXY".chars() {
        for hand in common::real_hands(&letter.to_string(), 2) {
            // Held for two seconds with a pixel of tremor.
            let track: Vec<[Point; 21]> = (0..30)
                .map(|i| {
                    let d = if i % 2 == 0 { 0.5 } else { -0.5 };
                    hand.map(|p| Point { x: p.x + d, y: p.y - d, z: p.z })
                })
                .collect();
            assert_eq!(read(&track), [], "{letter} held still");
        }
    }
}

#[test]
fn a_bounce_signs_a_double_letter_through_the_real_model() {
    let mut engine = Engine::load(&common::model(device::demo::DEFAULT_MODEL)).unwrap();
    let classes = engine.card().classes.clone();
    let hand = common::real_hands("L", 1)[0];
    engine.preprocess_landmarks(Some(&hand)).unwrap();
    let prediction = engine.infer(false).unwrap();
    assert_eq!(classes.get(prediction.top).unwrap().label, "L");
    let probs = prediction.probs;
    let run = |bounce: bool| {
        let cfg = DecoderConfig { threshold: Some(0.15), ..DecoderConfig::default() };
        let mut decoder = Decoder::new(cfg, classes.clone());
        let mut speller = Speller::new(None, DecoderConfig::default().show_rule());
        let lift = 0.4 * hand_size(&hand);
        for i in 0..40u32 {
            // Still, then (frames 15-20) up and down again, then still.
            let dy = if bounce && (15..21).contains(&i) { lift * (1.0 - ((i as f32 - 18.0).abs() / 3.0)) } else { 0.0 };
            let h = hand.map(|p| Point { x: p.x, y: p.y - dy, z: p.z });
            speller.push(&mut decoder, &probs, FRAME * i, Some(&h));
        }
        decoder.text().to_string()
    };
    assert_eq!(run(false), "L", "held still: one L");
    assert_eq!(run(true), "LL", "a bounce: the double letter");
}

#[test]
fn the_shipped_lexicon_corrects_words_and_keeps_names() {
    let classes = ClassTable::asl_alphabet();
    let model = common::model(device::demo::DEFAULT_MODEL);
    let words = WordDecoder::for_model(&lexicon_dir(), &model, &classes).unwrap().expect("ASL has A..Z");
    assert!(words.lexicon().len() > 30_000, "{}", words.lexicon().len());
    let sure = |word: &str, p: f32| -> Vec<Vec<f32>> {
        word.chars()
            .map(|c| {
                let mut q = vec![(1.0 - p) / (classes.len() - 1) as f32; classes.len()];
                q[classes.by_label(&c.to_string()).unwrap().index as usize] = p;
                q
            })
            .collect()
    };
    // The second L of HELLO lost; D read as X (the mask model's worst confusion).
    for (signed, meant) in [("HELO", "HELLO"), ("WORLX", "WORLD"), ("PLEASR", "PLEASE")] {
        let p = words.propose(signed, &sure(signed, 0.6)).unwrap();
        assert_eq!(p.word, meant, "{signed}: {p:?}");
        assert!(p.worth_showing(DecoderConfig::default().show_rule()), "{signed}: the shipped rule shows it: {p:?}");
    }
    for name in spell_bench::NAMES {
        let p = words.propose(name, &sure(name, 0.5)).unwrap();
        assert_eq!(p.word, name, "a name signed right stays: {p:?}");
    }
}

#[test]
fn the_lexicon_spells_more_words_than_letters_alone_for_strangers() {
    let loso = LosoOutputs::path_for(&common::model(device::demo::DEFAULT_MODEL));
    let bench = spell_bench::run(&loso, &lexicon_dir(), spell_bench::Settings::default()).unwrap();
    assert!(bench.sources.len() >= 3, "{:?}", bench.sources);
    for rows in bench.rows.chunks(3) {
        let (plain, lexicon, unlisted) = (&rows[0], &rows[1], &rows[2]);
        assert_eq!((plain.decoder, lexicon.decoder, unlisted.decoder), ("plain", "lexicon", spell_bench::UNLISTED));
        assert!(plain.words > 150 && plain.words == lexicon.words && plain.words == unlisted.words);
        assert!(
            lexicon.word_accuracy() > plain.word_accuracy() + 0.3,
            "{}: lexicon {:.3} vs plain {:.3}",
            plain.pace,
            lexicon.word_accuracy(),
            plain.word_accuracy()
        );
        assert!(lexicon.letter_error_rate() < plain.letter_error_rate());
        assert_eq!(lexicon.names_rewritten, 0, "{}: a name read right was rewritten", plain.pace);
        // Names in no list have only the letter model to keep them: the lexicon still
        // helps, and rewrites few of those read right.
        assert!(unlisted.word_accuracy() > plain.word_accuracy() + 0.1, "{}: {:.3}", plain.pace, unlisted.word_accuracy());
        assert!(unlisted.names_rewritten * 8 < unlisted.names, "{}: {} of {} names rewritten", plain.pace, unlisted.names_rewritten, unlisted.names);
    }
    // The signer remembered: words spelled from pictures the memory never held, read
    // with the letters the signer confirmed from their other pictures (and the
    // lexicon's channel taught their readings). The plain decoder reads a tenth more of
    // them right; the lexicon, which already fixes much of the same, more too, with no
    // more letter errors.
    assert_eq!(bench.remembered.len(), spell_bench::PACES.len());
    for r in &bench.remembered {
        assert!(r.words > 100 && r.remembered > 10 * r.sources, "{r:?}");
        let [plain, plain_remembered, lexicon, lexicon_remembered, plain_taught, lexicon_taught] = r.exact;
        assert!(plain_remembered > plain + r.words / 10, "{r:?}");
        assert!(lexicon_remembered > lexicon && r.letter_errors[3] <= r.letter_errors[2], "{r:?}");
        // One pass of teaching, one picture a letter: more words right for the plain
        // decoder, fewer letter errors and no fewer words for the lexicon decoder.
        assert!(plain_taught > plain && r.letter_errors[4] < r.letter_errors[0], "{r:?}");
        assert!(lexicon_taught >= lexicon && r.letter_errors[5] < r.letter_errors[2], "{r:?}");
    }
    // Errors name the file.
    let bad = common::scratch("spell-bench").join("m.loso.json");
    std::fs::write(&bad, "{}").unwrap();
    let e = format!("{:#}", spell_bench::run(&bad, &lexicon_dir(), spell_bench::Settings::default()).unwrap_err());
    assert!(e.contains("m.loso.json"), "{e}");
}

/// The kiosk on held-out frames spelling `word` with the default model, the hand stage
/// and the shipped lexicon.
fn kiosk_spelling(word: &str) -> device::kiosk::Kiosk<device::source::replay::Replay, Box<dyn device::region::HandRegion>, device::display::NullPanel> {
    use device::{demo, display::NullPanel, kiosk::Kiosk, region, region::GuideBox, source::replay::Replay};
    let path = common::model(demo::DEFAULT_MODEL);
    let engine = Engine::load(&path).unwrap();
    let heldout = demo::heldout_list(&path).unwrap().expect("held-out list");
    let files = demo::word_frames(&common::shared_dir().join("data/asl-alphabet"), &engine.card().classes, word, 15, 6, Some(&heldout)).unwrap();
    let region = region::for_model(&GuideBox::default(), engine.wants_landmarks(), Some(common::mediapipe())).unwrap();
    let cfg = DecoderConfig { lexicon: Some(lexicon_dir()), ..DecoderConfig::default() };
    Kiosk::builder(Replay::new(files, 10.0).unwrap(), region, engine, NullPanel { size: (240, 240) }).decoder_config(cfg).lexicon_of(&path).build()
}

#[test]
fn the_kiosk_proposes_the_word_and_the_accept_key_takes_it() {
    use device::controls::Action;
    use device::decode::Edit;
    // HELLO signed with one L (no bounce): the kiosk proposes HELLO.
    let mut kiosk = kiosk_spelling("HELO");
    let summary = kiosk.run().unwrap();
    assert_eq!(summary.text, "HELO");
    assert_eq!(kiosk.speller().shown().map(|p| p.word.as_str()), Some("HELLO"), "{:?}", kiosk.speller().proposal());
    assert!(kiosk.decoder().proposing());
    kiosk.apply(Action::Accept);
    assert_eq!(kiosk.decoder().text(), "HELLO ");
    assert!(kiosk.speller().shown().is_none());

    // Backspace dismisses the proposal; the letters stay, and the next one deletes.
    let mut kiosk = kiosk_spelling("HELO");
    kiosk.run().unwrap();
    kiosk.apply(Action::Backspace);
    assert_eq!(kiosk.decoder().text(), "HELO");
    assert!(kiosk.speller().shown().is_none() && !kiosk.decoder().proposing());
    kiosk.apply(Action::Backspace);
    assert_eq!(kiosk.decoder().text(), "HEL");
    kiosk.apply(Action::Accept);
    assert_eq!(kiosk.decoder().text(), "HEL ", "without a proposal, accept ends the word");
    // Every committed edit of the run is a letter.
    assert!(summary.edits.iter().all(|e| matches!(e, Edit::Appended(s) if s.len() == 1)));
}

/// The shipped default model, and a decoder and speller with its lexicon, as the kiosk
/// builds them with `cfg`.
fn default_speller(cfg: &DecoderConfig) -> (Engine, Decoder, Speller) {
    let model = common::model(device::demo::DEFAULT_MODEL);
    let engine = Engine::load(&model).unwrap();
    let words = WordDecoder::for_model(&lexicon_dir(), &model, &engine.card().classes).unwrap().expect("ASL has A..Z");
    let decoder = Decoder::for_model(cfg.clone(), engine.card());
    (engine, decoder, Speller::new(Some(words), cfg.show_rule()))
}

/// Spells `word` with one real hand a letter (asl-alphabet's first pictures, read by
/// the shipped model), each held 12 frames and followed by 4 frames without a hand,
/// then the real `space` hand; returns the text.
fn spell_with_real_hands(engine: &mut Engine, speller: &mut Speller, decoder: &mut Decoder, word: &str, t: &mut Duration) -> String {
    let labels: Vec<String> = word.chars().map(|c| c.to_string()).chain(["space".to_string()]).collect();
    for label in &labels {
        let hand = common::real_hands(label, 1)[0];
        engine.preprocess_landmarks(Some(&hand)).unwrap();
        let probs = engine.infer(false).unwrap().probs;
        for _ in 0..12 {
            speller.push(decoder, &probs, *t, Some(&hand));
            *t += FRAME;
        }
        let nothing = engine.card().classes.by_label("nothing").unwrap().index as usize;
        let mut none = vec![0.0; probs.len()];
        none[nothing] = 1.0;
        for _ in 0..4 {
            speller.push(decoder, &none, *t, None);
            *t += FRAME;
        }
    }
    decoder.text().to_string()
}

#[test]
fn the_signers_confirmed_letters_are_remembered_and_forgotten_when_they_leave() {
    let cfg = DecoderConfig::default();
    let (mut engine, mut decoder, mut speller) = default_speller(&cfg);
    let card = engine.card().clone();
    let mut t = Duration::ZERO;

    // A listed word ended as signed: each letter's hand is remembered as that letter.
    assert_eq!(spell_with_real_hands(&mut engine, &mut speller, &mut decoder, "CAB", &mut t), "CAB ");
    assert_eq!(speller.remembered(), 3);
    // Letters that are no listed word, ended as signed, are not confirmed.
    assert_eq!(spell_with_real_hands(&mut engine, &mut speller, &mut decoder, "BCA", &mut t), "CAB BCA ");
    assert_eq!(speller.remembered(), 3);

    // What the memory does to the signer's next A: a second picture of it, read alone
    // and with the memory, leans further to A (never away from it).
    let a = engine.card().classes.by_label("A").unwrap().index as usize;
    let hand = common::real_hands("A", 2)[1];
    engine.preprocess_landmarks(Some(&hand)).unwrap();
    let alone = engine.infer(false).unwrap().probs;
    let mut memory = shared::signer::SignerMemory::default();
    let spec = card.input.landmark_features().expect("a landmark model");
    let first_a = shared::features::features(&common::real_hands("A", 1)[0], spec).unwrap();
    memory.remember(&first_a, a);
    let mut mixed = alone.clone();
    memory.mix(&mut mixed, &shared::features::features(&hand, spec).unwrap());
    assert!(mixed[a] > alone[a], "the remembered A pulls the next A towards it: {} -> {}", alone[a], mixed[a]);

    // The signer leaves: no hand for the forgetting time, and the letters are gone.
    let nothing = vec![0.0; alone.len()];
    speller.push(&mut decoder, &nothing, t, None);
    speller.push(&mut decoder, &nothing, t + device::decode::speller::FORGET_AFTER, None);
    assert_eq!(speller.remembered(), 0);

    // Off in the config: nothing is remembered.
    let (_, mut decoder, mut speller) = default_speller(&DecoderConfig { remember_signer: false, ..cfg });
    let mut t = Duration::ZERO;
    assert_eq!(spell_with_real_hands(&mut engine, &mut speller, &mut decoder, "CAB", &mut t), "CAB ");
    assert_eq!(speller.remembered(), 0);
}

#[test]
fn a_signer_teaches_the_kiosk_their_hand_one_letter_at_a_time() {
    let (mut engine, mut decoder, mut speller) = default_speller(&DecoderConfig::default());
    let card = engine.card().clone();
    let mut t = Duration::ZERO;
    assert_eq!(spell_with_real_hands(&mut engine, &mut speller, &mut decoder, "CAB", &mut t), "CAB ");
    assert!(speller.start_teaching(&mut decoder));
    assert_eq!(speller.remembered(), 0, "teaching starts a new signer");
    let nothing = card.classes.by_label("nothing").unwrap().index as usize;
    let mut none = vec![0.0; card.classes.len()];
    none[nothing] = 1.0;
    let mut asked = Vec::new();
    // Each letter asked for is signed with a real hand of it (the signer's first picture),
    // held for a second, then let go.
    while let Some((letter, done, total)) = speller.teaching() {
        assert_eq!((done, total), (asked.len(), 24));
        let letter = letter.to_string();
        let hand = common::real_hands(&letter, 1)[0];
        engine.preprocess_landmarks(Some(&hand)).unwrap();
        let probs = engine.infer(false).unwrap().probs;
        let mut taught = Vec::new();
        // A second's hold: the vote starts afresh for each letter asked for.
        for _ in 0..15 {
            taught.extend(speller.push(&mut decoder, &probs, t, Some(&hand)).edit);
            t += FRAME;
        }
        for _ in 0..4 {
            speller.push(&mut decoder, &none, t, None);
            t += FRAME;
        }
        assert!(matches!(taught.as_slice(), [device::decode::Edit::Taught { .. }]), "{letter}: {taught:?}");
        asked.push((letter, hand));
    }
    assert_eq!(asked.iter().map(|(l, _)| l.as_str()).collect::<String>(), "ABCDEFGHIKLMNOPQRSTUVWXY");
    assert_eq!(speller.remembered(), 24);
    assert_eq!(decoder.text(), "CAB ", "teaching writes nothing");
    // Each hand is remembered as the letter asked for: with the model knowing nothing
    // (every class alike), the memory alone reads each taught hand as its letter.
    let spec = card.input.landmark_features().expect("a landmark model");
    for (letter, hand) in &asked {
        let mut probs = vec![1.0 / card.classes.len() as f32; card.classes.len()];
        speller.signer().mix(&mut probs, &shared::features::features(hand, spec).unwrap());
        let top = probs.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        assert_eq!(&card.classes.get(top).unwrap().label, letter);
    }
    // Spelling goes on where it stopped.
    assert_eq!(spell_with_real_hands(&mut engine, &mut speller, &mut decoder, "BAD", &mut t), "CAB BAD ");
}
