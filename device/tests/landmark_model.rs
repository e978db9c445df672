//! The shipped landmark classifier (`models/asl-landmarks*.onnx`, the kiosk's default)
//! on the device: features from the landmark stage, `nothing` without a hand, and the
//! kiosk spelling words from held-out frames of the one signer it was never shown.

mod common;

use device::demo;
use device::display::NullPanel;
use device::engine::Engine;
use device::kiosk::Kiosk;
use device::region::{self, GuideBox};
use device::source::replay::Replay;
use shared::ClassKind;
use shared::card::InputSource;
use shared::hands::Point;

#[test]
fn held_out_letters_are_read_from_their_landmarks() {
    let path = common::model(demo::DEFAULT_MODEL);
    let mut engine = Engine::load(&path).unwrap();
    assert!(matches!(engine.card().input, InputSource::Landmarks { .. }), "the default reads landmarks");
    assert!(engine.wants_landmarks());
    let classes = engine.card().classes.clone();

    // No hand, or a hand with no size: `nothing`, with certainty.
    for points in [None, Some([Point { x: 3.0, y: 3.0, z: 0.0 }; 21])] {
        engine.preprocess_landmarks(points.as_ref()).unwrap();
        let p = engine.infer(false).unwrap();
        assert_eq!(classes.get(p.top).unwrap().kind, ClassKind::Nothing, "{p:?}");
        assert_eq!(p.confidence, 1.0);
    }

    let (right, seen) = common::held_out_letters_by_landmarks(&mut engine, &path, 2, true);
    assert!(right * 100 >= seen * 85, "{right} of {seen} held-out letters right");
}

#[test]
fn a_landmark_model_refuses_pictures() {
    let mut engine = Engine::load(&common::model(demo::DEFAULT_MODEL)).unwrap();
    let img = image::open(common::shared_dir().join("data/asl-alphabet/A/A1008.jpg")).unwrap();
    let err = engine.classify_image(&img, false).unwrap_err().to_string();
    assert!(err.contains("hand landmarks"), "{err}");
}

#[test]
fn the_kiosk_spells_held_out_words_with_the_default_model() {
    let path = common::model(demo::DEFAULT_MODEL);
    for word in ["HELLO", "CAB"] {
        let engine = Engine::load(&path).unwrap();
        let heldout = demo::heldout_list(&path).unwrap().expect("held-out list");
        let files =
            demo::word_frames(&common::shared_dir().join("data/asl-alphabet"), &engine.card().classes, word, 15, 6, Some(&heldout)).unwrap();
        let region = region::for_model(&GuideBox::default(), engine.wants_landmarks(), Some(common::mediapipe())).unwrap();
        let mut kiosk = Kiosk::builder(Replay::new(files, 10.0).unwrap(), region, engine, NullPanel { size: (240, 240) }).build();
        assert_eq!(kiosk.run().unwrap().text, word);
    }
}

#[test]
fn the_kiosk_is_taught_a_signers_hand_from_held_out_frames() {
    use device::controls::Action;
    use device::decode::Edit;
    let path = common::model(demo::DEFAULT_MODEL);
    let heldout = demo::heldout_list(&path).unwrap().expect("held-out list");
    let kiosk_for = |word: &str| {
        let engine = Engine::load(&path).unwrap();
        let files =
            demo::word_frames(&common::shared_dir().join("data/asl-alphabet"), &engine.card().classes, word, 15, 6, Some(&heldout)).unwrap();
        let region = region::for_model(&GuideBox::default(), engine.wants_landmarks(), Some(common::mediapipe())).unwrap();
        Kiosk::builder(Replay::new(files, 10.0).unwrap(), region, engine, NullPanel { size: (240, 240) }).build()
    };
    // The signer presses T, then holds A, B and C as the screen asks for them.
    let mut kiosk = kiosk_for("ABC");
    kiosk.apply(Action::Teach);
    assert_eq!(kiosk.speller().status_line(), Some("Teach me: sign A (1/24)"));
    let summary = kiosk.run().unwrap();
    assert_eq!(summary.text, "", "teaching writes nothing");
    assert_eq!(summary.edits.len(), 3, "{:?}", summary.edits);
    assert!(summary.edits.iter().all(|e| matches!(e, Edit::Taught { .. })), "{:?}", summary.edits);
    assert_eq!(kiosk.speller().remembered(), 3);
    assert_eq!(kiosk.speller().teaching(), Some(("D", 3, 24)));
    assert_eq!(kiosk.speller().status_line(), Some("Teach me: sign D (4/24)"));
    // The screen's large letter is the one asked for, in the prompt colour, not the reading.
    let letter_area = device::ui::Layout::for_size(240, 240).letter;
    use embedded_graphics::prelude::PointsIter;
    let prompt = letter_area.points().filter(|p| kiosk.screen().pixel(p.x as u32, p.y as u32) == Some(device::ui::theme::PROMPT)).count();
    assert!(prompt > 300, "the asked D has {prompt} prompt pixels");
    // T again stops: what was taught stays, and the screen says so.
    kiosk.apply(Action::Teach);
    assert!(kiosk.speller().teaching().is_none() && !kiosk.decoder().teaching());
    assert_eq!(kiosk.notice(), Some("Learning your hand: 3 letters"));
    assert_eq!(kiosk.speller().remembered(), 3);

    // A model switch ends teaching: the next model's classes are not what was asked for.
    let mut kiosk = kiosk_for("A");
    kiosk.apply(Action::Teach);
    let picture = common::model("asl-alphabet-int8.onnx");
    kiosk.take_model(device::model_switch::Loaded { engine: Ok(Engine::load(&picture).unwrap()), path: picture });
    assert!(kiosk.speller().teaching().is_none() && !kiosk.decoder().teaching());
}
