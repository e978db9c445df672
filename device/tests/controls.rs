//! Buttons: a bouncing press on a mock pin (behind the same `Button` trait as the GPIO
//! line) is one action, a pin that fails to read is only logged, and each action does
//! what it says to the real kiosk's text.

mod common;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use device::controls::keyboard::{self, KeyEvents};
use device::controls::{Action, Button, spawn_poller};

/// A pin whose level the test sets; counts how often the poller read it.
struct MockPin(Arc<AtomicBool>, Arc<AtomicU64>);

impl Button for MockPin {
    fn pressed(&mut self) -> anyhow::Result<bool> {
        self.1.fetch_add(1, Ordering::SeqCst);
        Ok(self.0.load(Ordering::SeqCst))
    }
}

/// A pin that cannot be read; counts the attempts.
struct BrokenPin(Arc<AtomicU64>);

impl Button for BrokenPin {
    fn pressed(&mut self) -> anyhow::Result<bool> {
        self.0.fetch_add(1, Ordering::SeqCst);
        anyhow::bail!("GPIO line 6 read failed")
    }
}

/// Waits (polling every millisecond, up to 10 s) until the poller has read the pin
/// counted by `reads` `n` more times.
fn wait_reads(reads: &AtomicU64, n: u64) {
    let (from, start) = (reads.load(Ordering::SeqCst), Instant::now());
    while reads.load(Ordering::SeqCst) < from + n {
        assert!(start.elapsed() < Duration::from_secs(10), "the poller read the pin {} of {n} times in 10 s", reads.load(Ordering::SeqCst) - from);
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_bouncing_press_is_one_action_and_a_broken_pin_none() {
    const DEBOUNCE: Duration = Duration::from_millis(50);
    let (level, reads, broken_reads) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let (tx, rx) = channel();
    spawn_poller(
        vec![(Action::Backspace, Box::new(MockPin(level.clone(), reads.clone()))), (Action::Speak, Box::new(BrokenPin(broken_reads.clone())))],
        DEBOUNCE,
        Duration::from_millis(1),
        tx,
    );
    // Ten bounces, each level read by the poller before the next one.
    for i in 0..10 {
        level.store(i % 2 == 0, Ordering::SeqCst);
        wait_reads(&reads, 1);
    }
    // Held: the press arrives once the level has settled; then released.
    level.store(true, Ordering::SeqCst);
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), Action::Backspace);
    level.store(false, Ordering::SeqCst);
    // The poller reads on (every 1 ms, so for well over twice the debounce time) and
    // sends nothing more: not for the press, not for its release, not for the broken pin.
    let broken_before = broken_reads.load(Ordering::SeqCst);
    wait_reads(&reads, 2 * DEBOUNCE.as_millis() as u64 + 20);
    assert!(broken_reads.load(Ordering::SeqCst) > broken_before, "the broken pin is read on as well");
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [], "one press, one action; the broken pin sends nothing");
}

/// Key events as a USB keyboard sends them, then the keyboard is unplugged.
struct MockKeyboard(Vec<Vec<(u16, i32)>>);

impl KeyEvents for MockKeyboard {
    fn next_keys(&mut self) -> io::Result<Vec<(u16, i32)>> {
        if self.0.is_empty() {
            return Err(io::Error::from_raw_os_error(19)); // ENODEV, as read(2) on a removed device
        }
        Ok(self.0.remove(0))
    }
}

#[test]
fn key_presses_are_actions_and_repeats_releases_and_letters_are_not() {
    use evdev::KeyCode as K;
    let (tx, rx) = channel();
    let press = |k: K| (k.code(), 1);
    let mut keys = MockKeyboard(vec![
        vec![press(K::KEY_BACKSPACE), (K::KEY_BACKSPACE.code(), 2), (K::KEY_BACKSPACE.code(), 2), (K::KEY_BACKSPACE.code(), 0)],
        vec![press(K::KEY_A), (K::KEY_A.code(), 0), press(K::KEY_ENTER)],
        vec![press(K::KEY_ESC), press(K::KEY_DELETE), press(K::KEY_TAB), press(K::KEY_KPENTER)],
        vec![press(K::KEY_UP), press(K::KEY_DOWN), press(K::KEY_RIGHT), press(K::KEY_LEFT), press(K::KEY_T)],
    ]);
    let err = keyboard::pump(&mut keys, &tx).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(19), "unplugging ends the reader with the device's error");
    let actions: Vec<Action> = rx.try_iter().collect();
    use Action::*;
    assert_eq!(actions, [Backspace, Speak, Clear, Clear, Mode, Speak, Slower, Faster, Stricter, Looser, Teach], "auto-repeat is not a second backspace");
    // With the kiosk gone, the reader stops instead of reading on.
    drop(rx);
    let mut keys = MockKeyboard(vec![vec![press(K::KEY_TAB)], vec![press(K::KEY_TAB)]]);
    keyboard::pump(&mut keys, &tx).unwrap();
    assert_eq!(keys.0.len(), 1);
}

#[test]
fn actions_edit_and_speak_the_kiosk_text() {
    let (mut kiosk, said) = common::speaking_kiosk("asl-alphabet-int8.onnx", "HI");
    assert_eq!(kiosk.run().unwrap().text, "HI");
    kiosk.apply(Action::Backspace);
    assert_eq!(kiosk.decoder().text(), "H");
    kiosk.apply(Action::Speak);
    kiosk.apply(Action::Clear);
    assert_eq!(kiosk.decoder().text(), "");
    kiosk.apply(Action::Speak);
    assert_eq!(said.all(), ["H"], "speak says the text, and nothing when it is empty");
    kiosk.apply(Action::Mode);
    assert_eq!(kiosk.engine().card().classes.name, shared::ClassTable::asl_alphabet().name, "mode without other models keeps the model");
    // A picture model reads no hand to remember: teaching does not start.
    kiosk.apply(Action::Teach);
    assert!(kiosk.speller().teaching().is_none());
    assert_eq!(kiosk.notice(), Some("Teaching needs a landmark model"));
}

#[test]
fn pace_and_confidence_keys_change_the_running_decoder() {
    let (mut kiosk, _) = common::speaking_kiosk("asl-alphabet-int8.onnx", "HI");
    let (hold, threshold) = (kiosk.decoder().config().hold_ms, kiosk.decoder().threshold());
    assert_eq!(threshold, device::decode::letters::PICTURE_THRESHOLD, "a picture model's own threshold");
    kiosk.apply(Action::Slower);
    assert_eq!(kiosk.decoder().config().hold_ms, hold + 100);
    kiosk.apply(Action::Faster);
    kiosk.apply(Action::Faster);
    assert_eq!(kiosk.decoder().config().hold_ms, hold - 100);
    kiosk.apply(Action::Stricter);
    assert!((kiosk.decoder().threshold() - (threshold + 0.05)).abs() < 1e-6, "{}", kiosk.decoder().threshold());
    for _ in 0..30 {
        kiosk.apply(Action::Looser);
    }
    assert!((kiosk.decoder().threshold() - 0.05).abs() < 1e-6, "the threshold stops at one step above 0: {}", kiosk.decoder().threshold());
    assert_eq!(kiosk.run().unwrap().text, "HI", "letters still commit at the lowered threshold and shorter hold");
}
