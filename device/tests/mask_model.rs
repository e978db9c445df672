//! The shipped landmark-mask model (`models/asl-alphabet-mask*.onnx`) on the device: the
//! engine draws the hand's skeleton found by the landmark stage and classifies it, the
//! kiosk runs it with the hand follower on real held-out frames, and a setup that cannot
//! feed it landmarks is refused with a message that says what to configure.

mod common;

use std::path::PathBuf;

use device::demo;
use device::display::NullPanel;
use device::engine::Engine;
use device::kiosk::Kiosk;
use device::region::{self, GuideBox, HandRegion};
use device::source::replay::Replay;
use shared::ClassKind;
use common::{mediapipe, model, shared_dir};

#[test]
fn held_out_letters_are_read_from_their_landmark_masks() {
    let path = model("asl-alphabet-mask.onnx");
    let mut engine = Engine::load(&path).unwrap();
    assert!(engine.wants_landmarks());
    let classes = engine.card().classes.clone();

    // No hand: the black mask reads as `nothing`.
    engine.preprocess_landmarks(None).unwrap();
    let p = engine.infer(false).unwrap();
    assert_eq!(classes.get(p.top).unwrap().kind, ClassKind::Nothing, "{p:?}");

    // Two held-out pictures of every letter, through the landmark stage.
    let (right, seen) = common::held_out_letters_by_landmarks(&mut engine, &path, 2, false);
    // The model's held-out accuracy is 92%; 52 pictures leave room for a few misses.
    assert!(right * 100 >= seen * 80, "{right} of {seen} letters right");
}

#[test]
fn a_picture_model_refuses_landmarks() {
    let mut engine = Engine::load(&model("asl-alphabet-int8.onnx")).unwrap();
    assert!(!engine.wants_landmarks());
    let err = engine.preprocess_landmarks(None).unwrap_err().to_string();
    assert!(err.contains("classifies pictures"), "{err}");
}

#[test]
fn the_kiosk_spells_with_the_mask_model_and_the_hand_follower() {
    let path = model("asl-alphabet-mask-int8.onnx");
    let engine = Engine::load(&path).unwrap();
    let heldout = demo::heldout_list(&path).unwrap().expect("held-out list");
    let files =
        demo::word_frames(&shared_dir().join("data/asl-alphabet"), &engine.card().classes, "CAB", 15, 6, Some(&heldout)).unwrap();
    // The config has only the guide box: the mask model gets the hand follower anyway.
    let region = region::for_model(&GuideBox::default(), engine.wants_landmarks(), Some(mediapipe())).unwrap();
    assert!(region.finds_landmarks(), "the hand follower: {region:?}");
    let mut kiosk = Kiosk::builder(Replay::new(files, 10.0).unwrap(), region, engine, NullPanel { size: (240, 240) }).build();
    let summary = kiosk.run().unwrap();
    assert_eq!(summary.text, "CAB", "{summary:?}");
}

#[test]
fn a_mask_model_without_a_landmark_stage_is_refused() {
    let path = model("asl-alphabet-mask-int8.onnx");
    let engine = Engine::load(&path).unwrap();
    let err = format!("{:#}", region::for_model(&GuideBox::default(), true, None).unwrap_err());
    assert!(err.contains("[region.hands]"), "{err}");
    let err = format!("{:#}", region::for_model(&GuideBox::default(), true, Some(PathBuf::from("/nowhere"))).unwrap_err());
    assert!(err.contains("/nowhere") && err.contains("hand models"), "{err}");

    // A kiosk put together by hand with only the guide box stops at once and says why.
    let files = vec![shared_dir().join("data/asl-alphabet/A/A1008.jpg")];
    let mut kiosk = Kiosk::builder(Replay::new(files, 10.0).unwrap(), GuideBox::default(), engine, NullPanel { size: (240, 240) }).build();
    let err = kiosk.run().unwrap_err().to_string();
    assert!(err.contains("landmark masks") && err.contains("[region.hands]"), "{err}");
}
