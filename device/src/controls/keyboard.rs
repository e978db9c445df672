//! USB keyboards (evdev) as controls, for a kiosk with a keyboard beside or instead of
//! buttons (a Jetson on a desk). Keyboards under /dev/input are found when the kiosk
//! starts and whenever one is plugged in later; each is read on a thread of its own
//! behind [`KeyEvents`], so the reading is tested with mock events.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use evdev::raw_stream::RawDevice;
use evdev::{EventType, KeyCode};

use super::Action;

/// Where the kernel's input devices are.
pub const DEFAULT_DIR: &str = "/dev/input";

/// The action of a key: Backspace deletes (or dismisses a proposed word), Delete or Esc
/// clears, Enter speaks, Tab switches the model, Space accepts the proposed word, Up
/// and Down make the pace slower (longer holds) or faster, Right and Left raise or lower
/// the confidence a reading needs, T starts or stops teaching the signer's hand. Other
/// letter keys do nothing: the kiosk spells from hands.
pub fn action_for_key(code: KeyCode) -> Option<Action> {
    match code {
        KeyCode::KEY_SPACE => Some(Action::Accept),
        KeyCode::KEY_UP => Some(Action::Slower),
        KeyCode::KEY_DOWN => Some(Action::Faster),
        KeyCode::KEY_RIGHT => Some(Action::Stricter),
        KeyCode::KEY_LEFT => Some(Action::Looser),
        KeyCode::KEY_BACKSPACE => Some(Action::Backspace),
        KeyCode::KEY_DELETE | KeyCode::KEY_ESC => Some(Action::Clear),
        KeyCode::KEY_ENTER | KeyCode::KEY_KPENTER => Some(Action::Speak),
        KeyCode::KEY_TAB => Some(Action::Mode),
        KeyCode::KEY_T => Some(Action::Teach),
        _ => None,
    }
}

/// Key events as the kernel reports them: `(code, value)` with value 1 for a press, 2
/// for auto-repeat and 0 for a release.
pub trait KeyEvents {
    /// Blocks until some events arrive; an error when the device is gone.
    fn next_keys(&mut self) -> io::Result<Vec<(u16, i32)>>;
}

impl KeyEvents for RawDevice {
    fn next_keys(&mut self) -> io::Result<Vec<(u16, i32)>> {
        Ok(self.fetch_events()?.filter(|e| e.event_type() == EventType::KEY).map(|e| (e.code(), e.value())).collect())
    }
}

/// Reads `keys` and sends the action of each press (repeats and releases do nothing)
/// until the device fails (unplugged: the error is returned) or the receiver is gone.
pub fn pump(keys: &mut dyn KeyEvents, tx: &Sender<Action>) -> io::Result<()> {
    loop {
        for (code, value) in keys.next_keys()? {
            if value == 1
                && let Some(action) = action_for_key(KeyCode::new(code))
                && tx.send(action).is_err()
            {
                return Ok(());
            }
        }
    }
}

/// Whether an input device is a keyboard (it has Enter, Backspace and letter keys; mice,
/// power buttons and the camera's snapshot button do not).
fn is_keyboard(device: &RawDevice) -> bool {
    device.supported_keys().is_some_and(|k| {
        [KeyCode::KEY_ENTER, KeyCode::KEY_BACKSPACE, KeyCode::KEY_A, KeyCode::KEY_Z].iter().all(|&c| k.contains(c))
    })
}

/// Looks for keyboards in `dir` every `rescan` and reads each new one on a thread of its
/// own, sending actions to `tx`. A keyboard unplugged ends its thread; plugged in again,
/// it is found at the next scan. Devices that cannot be opened (the kiosk's user not in
/// the `input` group) are logged once.
pub fn spawn_watcher(dir: PathBuf, rescan: Duration, tx: Sender<Action>) {
    let open: Arc<Mutex<HashSet<PathBuf>>> = Arc::default();
    std::thread::Builder::new()
        .name("keyboards".into())
        .spawn(move || {
            let mut warned = HashSet::new();
            loop {
                for path in event_devices(&dir) {
                    if open.lock().expect("keyboard set").contains(&path) {
                        continue;
                    }
                    match RawDevice::open(&path) {
                        Ok(device) if is_keyboard(&device) => {
                            tracing::info!(device = %path.display(), name = device.name().unwrap_or("?"), "keyboard");
                            open.lock().expect("keyboard set").insert(path.clone());
                            spawn_reader(device, path, open.clone(), tx.clone());
                        }
                        Ok(_) => {}
                        Err(e) => {
                            if warned.insert(path.clone()) {
                                tracing::warn!("cannot read {}: {e} (keyboards need the `input` group)", path.display());
                            }
                        }
                    }
                }
                std::thread::sleep(rescan);
            }
        })
        .expect("spawning the keyboard watcher");
}

/// Reads one keyboard until it is unplugged.
fn spawn_reader(mut device: RawDevice, path: PathBuf, open: Arc<Mutex<HashSet<PathBuf>>>, tx: Sender<Action>) {
    let name = format!("keyboard {}", path.display());
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            if let Err(e) = pump(&mut device, &tx) {
                tracing::info!(device = %path.display(), "keyboard gone: {e}");
            }
            open.lock().expect("keyboard set").remove(&path);
        })
        .expect("spawning a keyboard reader");
}

/// `dir/event*`, sorted (nothing when `dir` cannot be read).
fn event_devices(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("event")))
        .collect();
    paths.sort();
    paths
}
