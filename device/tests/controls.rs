//! Buttons: a bouncing press on a mock pin (behind the same `Button` trait as the GPIO
//! line) is one action, a pin that fails to read is only logged, and each action does
//! what it says to the real kiosk's text.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use device::config::RecoveryConfig;
use device::controls::{Action, Button, spawn_poller};
use device::decode::{Decoder, DecoderConfig};
use device::demo;
use device::display::NullPanel;
use device::engine::Engine;
use device::kiosk::Kiosk;
use device::region::GuideBox;
use device::source::replay::Replay;
use device::speech::Speaker;

struct MockPin(Arc<AtomicBool>);

impl Button for MockPin {
    fn pressed(&mut self) -> anyhow::Result<bool> {
        Ok(self.0.load(Ordering::SeqCst))
    }
}

struct BrokenPin;

impl Button for BrokenPin {
    fn pressed(&mut self) -> anyhow::Result<bool> {
        anyhow::bail!("GPIO line 6 read failed")
    }
}

#[test]
fn a_bouncing_press_is_one_action_and_a_broken_pin_none() {
    let level = Arc::new(AtomicBool::new(false));
    let rx = spawn_poller(
        vec![(Action::Backspace, Box::new(MockPin(level.clone()))), (Action::Speak, Box::new(BrokenPin))],
        Duration::from_millis(20),
        Duration::from_millis(1),
    );
    for i in 0..10 {
        level.store(i % 2 == 0, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(1));
    }
    level.store(true, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(150));
    level.store(false, Ordering::SeqCst);
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), Action::Backspace);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [], "one press, one action; the broken pin sends nothing");
}

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Speaker for Recorder {
    fn say(&mut self, text: &str) {
        self.0.lock().unwrap().push(text.to_string());
    }
}

#[test]
fn actions_edit_and_speak_the_kiosk_text() {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/asl-alphabet-int8.onnx");
    let engine = Engine::load(&model).unwrap();
    let heldout = demo::heldout_list(&model).unwrap().expect("held-out list");
    let root = shared::paths::shared_dir_from(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap().join("data/asl-alphabet");
    let files = demo::word_frames(&root, &engine.card().classes, "HI", 15, 6, Some(&heldout)).unwrap();
    let decoder = Decoder::new(DecoderConfig::default(), engine.card().classes.clone());
    let mut kiosk =
        Kiosk::new(Replay::new(files, 10.0).unwrap(), GuideBox::default(), engine, decoder, NullPanel { size: (240, 240) }, RecoveryConfig::default());
    let said = Recorder::default();
    kiosk.speaker = Box::new(said.clone());
    assert_eq!(kiosk.run().unwrap().text, "HI");
    kiosk.apply(Action::Backspace);
    assert_eq!(kiosk.decoder.text(), "H");
    kiosk.apply(Action::Speak);
    kiosk.apply(Action::Clear);
    assert_eq!(kiosk.decoder.text(), "");
    kiosk.apply(Action::Speak);
    assert_eq!(*said.0.lock().unwrap(), ["H"], "speak says the text, and nothing when it is empty");
}
