//! Switching models while the kiosk runs, with the shipped models: the mode action steps
//! to the next model and the text stays; a replaced model file is checked before use
//! (a broken one leaves the running model in place); an edited config switches the model
//! and a broken config changes nothing; a model that needs landmarks the kiosk cannot
//! find is refused.

mod common;

use std::time::{Duration, Instant};

use device::config::KioskConfig;
use device::controls::Action;
use device::demo;
use device::kiosk::Kiosk;
use device::model_switch::{Loaded, ModelSwitcher, WatchCounts};
use device::source::FrameSource;
use device::source::replay::Replay;

/// Polls until a model finished loading (the loop does this once a frame).
fn wait_loaded(m: &mut ModelSwitcher) -> Loaded {
    let start = Instant::now();
    loop {
        if let Some(l) = m.poll() {
            return l;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no model loaded in 60 s");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Polls as the loop does (every 5 ms, up to 60 s) until the watch has checked the
/// files `checks` more times; says whether a model loaded, or is loading, by then, and
/// what the watch did meanwhile (so "nothing loaded" cannot hold merely because the
/// watch never looked).
fn poll_for_checks(m: &mut ModelSwitcher, checks: u64) -> (bool, WatchCounts) {
    let before = m.watch_counts();
    let start = Instant::now();
    let mut loaded = false;
    while m.watch_counts().checks < before.checks + checks {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the watch checked the files {} of {checks} times in 60 s",
            m.watch_counts().checks - before.checks
        );
        loaded |= m.poll().is_some();
        std::thread::sleep(Duration::from_millis(5));
    }
    let now = m.watch_counts();
    (loaded || m.loading().is_some(), WatchCounts { checks: now.checks - before.checks, changes: now.changes - before.changes })
}

fn digits_replay(word: &str) -> Replay {
    let classes = shared::ClassTable::asl_digits();
    let files = demo::word_frames(&common::shared_dir().join("data/sign-language-digits"), &classes, word, 15, 0, None).unwrap();
    Replay::new(files, 10.0).unwrap()
}

fn take<S: FrameSource, R: device::region::HandRegion, P: device::display::Panel>(k: &mut Kiosk<S, R, P>) {
    let loaded = wait_loaded(k.models_mut().unwrap());
    k.take_model(loaded);
}

#[test]
fn the_mode_action_switches_models_and_the_text_stays() {
    let (alphabet, digits) = (common::model("asl-alphabet-int8.onnx"), common::model("sign-language-digits-int8.onnx"));
    let (engine, replay) = common::held_out_word(&alphabet, "HI");
    let mut k = common::builder(engine, replay).models(Some(ModelSwitcher::new(vec![alphabet.clone(), digits.clone()], None))).build();
    assert_eq!(k.run().unwrap().text, "HI");

    k.apply(Action::Mode);
    assert_eq!(k.engine().card().classes.name, shared::ClassTable::asl_alphabet().name, "the running model classifies while the next one loads");
    take(&mut k);
    assert_eq!(k.engine().card().classes.name, shared::ClassTable::asl_digits().name);
    assert_eq!(k.models().unwrap().running(), digits);
    *k.source_mut() = digits_replay("42");
    assert_eq!(k.run().unwrap().text, "HI42", "the digits model spells digits after the letters");

    k.apply(Action::Mode);
    take(&mut k);
    assert_eq!(k.engine().card().classes.name, shared::ClassTable::asl_alphabet().name, "mode wraps around to the first model");
}

#[test]
fn a_replaced_model_file_is_checked_before_it_runs() {
    let dir = common::scratch("replaced-model");
    let path = dir.join("model.onnx");
    std::fs::copy(common::model("asl-alphabet-int8.onnx"), &path).unwrap();
    let (engine, replay) = common::held_out_word(&common::model("asl-alphabet-int8.onnx"), "HI");
    let mut k = common::builder(engine, replay).models(Some(ModelSwitcher::new(vec![path.clone()], Some(Duration::from_millis(20))))).build();
    assert_eq!(k.run().unwrap().text, "HI");

    // Half a file (a copy cut short by a full disk): refused, the running model stays.
    let bytes = std::fs::read(common::model("sign-language-digits-int8.onnx")).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let loaded = wait_loaded(k.models_mut().unwrap());
    let err = format!("{:#}", loaded.engine.as_ref().err().expect("half a model must not load"));
    assert!(err.contains("model.onnx"), "the error names the file: {err}");
    k.take_model(loaded);
    assert_eq!(k.engine().card().classes.name, shared::ClassTable::asl_alphabet().name);
    let (loaded, watch) = poll_for_checks(k.models_mut().unwrap(), 5);
    assert!(watch.checks >= 5, "the watch ran: {watch:?}");
    assert!(!loaded && watch.changes == 0, "a refused file is not retried until it changes: {watch:?}");

    // The whole file, written beside it and renamed over it: checked, then run.
    std::fs::write(dir.join("model.onnx.tmp"), &bytes).unwrap();
    std::fs::rename(dir.join("model.onnx.tmp"), &path).unwrap();
    take(&mut k);
    assert_eq!(k.engine().card().classes.name, shared::ClassTable::asl_digits().name);
    assert_eq!(k.decoder().text(), "HI", "the text stays across the switch");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_edited_config_switches_the_model_and_a_broken_one_changes_nothing() {
    let dir = common::scratch("edited-config");
    let config = dir.join("kiosk.toml");
    let write = |model: &str, extra: &str| {
        let text = format!(
            "model = {:?}\nmodels = [{:?}]\n{extra}\n[engine]\nwatch_ms = 20\n",
            common::model(model),
            common::model("sign-language-digits-int8.onnx")
        );
        std::fs::write(&config, text).unwrap();
    };
    write("asl-alphabet-int8.onnx", "");
    let cfg = KioskConfig::load(&config).unwrap();
    let mut m = ModelSwitcher::from_config(&cfg, &config);
    assert_eq!(m.choices().len(), 2);

    std::fs::write(&config, "model = 3\n").unwrap();
    let (loaded, watch) = poll_for_checks(&mut m, 5);
    assert_eq!(watch.changes, 1, "the watch noticed the edit: {watch:?}");
    assert!(!loaded, "a config that does not parse changes nothing");
    assert_eq!(m.choices().len(), 2);

    write("asl-alphabet.onnx", "");
    let loaded = wait_loaded(&mut m);
    assert_eq!(loaded.path, common::model("asl-alphabet.onnx"));
    assert_eq!(loaded.engine.unwrap().card().classes.name, shared::ClassTable::asl_alphabet().name);
    m.accept(&common::model("asl-alphabet.onnx"));
    assert_eq!(m.running(), common::model("asl-alphabet.onnx"));
    assert_eq!(m.choices()[0], common::model("asl-alphabet.onnx"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_mask_model_is_refused_where_no_landmarks_are_found() {
    let alphabet = common::model("asl-alphabet-int8.onnx");
    let (engine, replay) = common::held_out_word(&alphabet, "A");
    let mut k = common::builder(engine, replay).models(Some(ModelSwitcher::new(vec![alphabet.clone(), common::model("asl-alphabet-mask-int8.onnx")], None))).build();
    k.apply(Action::Mode);
    take(&mut k);
    // Both models read the ASL alphabet (the same class table, even the same card name):
    // what tells them apart is their input, the picture or the hand's landmark mask.
    let card = |f: &str| shared::ModelCard::read_onnx(&common::model(f)).unwrap().0;
    let (picture, mask) = (card("asl-alphabet-int8.onnx"), card("asl-alphabet-mask-int8.onnx"));
    assert_ne!(picture.input, mask.input, "the two models' inputs differ");
    assert_eq!(k.engine().card().input, picture.input, "the guide box finds no landmarks: the picture model stays");
    assert!(!k.engine().wants_landmarks(), "the running model reads pictures");
    assert_eq!(k.models().unwrap().running(), alphabet);
    assert_eq!(k.run().unwrap().text, "A", "and keeps spelling");
}

#[test]
fn each_model_keeps_its_kinds_threshold_across_a_switch_unless_the_config_sets_one() {
    use device::decode::letters::{LANDMARK_THRESHOLD, PICTURE_THRESHOLD};
    use device::decode::DecoderConfig;
    let (landmarks, digits) = (common::model("asl-landmarks.onnx"), common::model("sign-language-digits-int8.onnx"));
    for (set, first, after) in [(None, LANDMARK_THRESHOLD, PICTURE_THRESHOLD), (Some(0.4), 0.4, 0.4)] {
        let engine = device::engine::Engine::load(&landmarks).unwrap();
        let mut k = common::builder(engine, digits_replay("4"))
            .decoder_config(DecoderConfig { threshold: set, ..DecoderConfig::default() })
            .models(Some(ModelSwitcher::new(vec![landmarks.clone(), digits.clone()], None)))
            .build();
        assert_eq!(k.decoder().threshold(), first, "config {set:?}, the landmark classifier");
        k.apply(Action::Mode);
        take(&mut k);
        assert_eq!(k.engine().card().classes.name, shared::ClassTable::asl_digits().name);
        assert_eq!(k.decoder().threshold(), after, "config {set:?}, switched to the digits picture model");
    }
}
