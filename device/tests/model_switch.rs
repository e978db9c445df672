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
use device::model_switch::{Loaded, ModelSwitcher};
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

/// Polls for `d` and says whether anything loaded.
fn loads_within(m: &mut ModelSwitcher, d: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < d {
        if m.poll().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

fn digits_replay(word: &str) -> Replay {
    let classes = shared::ClassTable::asl_digits();
    let files = demo::word_frames(&common::shared_dir().join("data/sign-language-digits"), &classes, word, 15, 0, None).unwrap();
    Replay::new(files, 10.0).unwrap()
}

fn take<S: FrameSource, R: device::region::HandRegion, P: device::display::Panel>(k: &mut Kiosk<S, R, P>) {
    let loaded = wait_loaded(k.models.as_mut().unwrap());
    k.take_model(loaded);
}

#[test]
fn the_mode_action_switches_models_and_the_text_stays() {
    let (alphabet, digits) = (common::model("asl-alphabet-int8.onnx"), common::model("sign-language-digits-int8.onnx"));
    let (engine, replay) = common::held_out_word(&alphabet, "HI");
    let mut k = common::kiosk(engine, replay);
    k.models = Some(ModelSwitcher::new(vec![alphabet.clone(), digits.clone()], None));
    assert_eq!(k.run().unwrap().text, "HI");

    k.apply(Action::Mode);
    assert_eq!(k.engine.card().classes.name, shared::ClassTable::asl_alphabet().name, "the running model classifies while the next one loads");
    take(&mut k);
    assert_eq!(k.engine.card().classes.name, shared::ClassTable::asl_digits().name);
    assert_eq!(k.models.as_ref().unwrap().running(), digits);
    k.source = digits_replay("42");
    assert_eq!(k.run().unwrap().text, "HI42", "the digits model spells digits after the letters");

    k.apply(Action::Mode);
    take(&mut k);
    assert_eq!(k.engine.card().classes.name, shared::ClassTable::asl_alphabet().name, "mode wraps around to the first model");
}

#[test]
fn a_replaced_model_file_is_checked_before_it_runs() {
    let dir = common::scratch("replaced-model");
    let path = dir.join("model.onnx");
    std::fs::copy(common::model("asl-alphabet-int8.onnx"), &path).unwrap();
    let (engine, replay) = common::held_out_word(&common::model("asl-alphabet-int8.onnx"), "HI");
    let mut k = common::kiosk(engine, replay);
    k.models = Some(ModelSwitcher::new(vec![path.clone()], Some(Duration::from_millis(20))));
    assert_eq!(k.run().unwrap().text, "HI");

    // Half a file (a copy cut short by a full disk): refused, the running model stays.
    let bytes = std::fs::read(common::model("sign-language-digits-int8.onnx")).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let loaded = wait_loaded(k.models.as_mut().unwrap());
    let err = format!("{:#}", loaded.engine.as_ref().err().expect("half a model must not load"));
    assert!(err.contains("model.onnx"), "the error names the file: {err}");
    k.take_model(loaded);
    assert_eq!(k.engine.card().classes.name, shared::ClassTable::asl_alphabet().name);
    assert!(!loads_within(k.models.as_mut().unwrap(), Duration::from_millis(200)), "a refused file is not retried until it changes");

    // The whole file, written beside it and renamed over it: checked, then run.
    std::fs::write(dir.join("model.onnx.tmp"), &bytes).unwrap();
    std::fs::rename(dir.join("model.onnx.tmp"), &path).unwrap();
    take(&mut k);
    assert_eq!(k.engine.card().classes.name, shared::ClassTable::asl_digits().name);
    assert_eq!(k.decoder.text(), "HI", "the text stays across the switch");
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
    assert!(!loads_within(&mut m, Duration::from_millis(300)), "a config that does not parse changes nothing");
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
    let mut k = common::kiosk(engine, replay);
    k.models = Some(ModelSwitcher::new(vec![alphabet.clone(), common::model("asl-alphabet-mask-int8.onnx")], None));
    k.apply(Action::Mode);
    take(&mut k);
    assert_eq!(k.engine.card().classes.name, shared::ClassTable::asl_alphabet().name, "the guide box finds no landmarks: the picture model stays");
    assert_eq!(k.models.as_ref().unwrap().running(), alphabet);
    assert_eq!(k.run().unwrap().text, "A", "and keeps spelling");
}
