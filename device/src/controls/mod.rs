//! Physical controls: push buttons on GPIO lines ([`buttons`], gpio-cdev, debounced) and
//! any attached USB keyboard ([`keyboard`], evdev), both sending kiosk [`Action`]s down
//! one channel. Each input sits behind a small trait, so the kiosk and the threads that
//! read them are tested with a mock pin and mock key events.

pub mod buttons;
pub mod keyboard;

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use anyhow::{Context, Result};
use linux_embedded_hal::gpio_cdev::{Chip, LineRequestFlags};
use serde::Deserialize;

pub use buttons::{Button, Debouncer, GpioButton, spawn_poller};

/// What a button or key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Clear the text.
    Clear,
    /// Delete the last character.
    Backspace,
    /// Speak the whole text.
    Speak,
    /// Switch to the next model in the config's `model` and `models`.
    Mode,
    /// Accept the proposed word (or end the word with a space when none is proposed).
    Accept,
    /// Longer holds: the signer's pace is slower.
    Slower,
    /// Shorter holds: the signer's pace is faster.
    Faster,
    /// Only surer readings count as a sign: the confidence threshold goes up.
    Stricter,
    /// Less sure readings count too: the confidence threshold goes down.
    Looser,
    /// Start (or stop) teaching the kiosk the signer's hand: it asks for each still
    /// letter in turn (landmark models; `Accept` skips a letter).
    Teach,
}

/// `[controls]` in the kiosk config: GPIO line numbers of the buttons (none by default)
/// and whether attached keyboards act too.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ControlsConfig {
    /// The GPIO chip.
    pub gpiochip: PathBuf,
    /// Buttons connect the line to ground (the line's pull-up set in the board's
    /// config); false for buttons to 3.3 V with a pull-down.
    pub active_low: bool,
    /// A press must hold this long to count.
    pub debounce_ms: u64,
    /// How often the lines are read.
    pub poll_ms: u64,
    /// Line of the clear button.
    pub clear: Option<u32>,
    /// Line of the backspace button.
    pub backspace: Option<u32>,
    /// Line of the speak button.
    pub speak: Option<u32>,
    /// Line of the mode button (next model).
    pub mode: Option<u32>,
    /// Line of the accept button (take the proposed word).
    pub accept: Option<u32>,
    /// Line of the teach button (teach the kiosk the signer's hand).
    pub teach: Option<u32>,
    /// Keyboards under /dev/input act too (see [`keyboard::action_for_key`]); they may be
    /// plugged in and out while the kiosk runs.
    pub keyboard: bool,
}

impl Default for ControlsConfig {
    fn default() -> Self {
        Self {
            gpiochip: PathBuf::from("/dev/gpiochip0"),
            active_low: true,
            debounce_ms: 30,
            poll_ms: 5,
            clear: None,
            backspace: None,
            speak: None,
            mode: None,
            accept: None,
            teach: None,
            keyboard: true,
        }
    }
}

impl ControlsConfig {
    /// The configured buttons, in a fixed order.
    pub fn lines(&self) -> Vec<(Action, u32)> {
        [(Action::Clear, self.clear), (Action::Backspace, self.backspace), (Action::Speak, self.speak), (Action::Mode, self.mode), (Action::Accept, self.accept), (Action::Teach, self.teach)]
            .into_iter()
            .filter_map(|(a, l)| l.map(|l| (a, l)))
            .collect()
    }

    /// Requests the configured lines as inputs, starts polling them and, when
    /// `keyboard` is on, watching /dev/input for keyboards; `None` when neither is
    /// configured.
    pub fn open(&self) -> Result<Option<Receiver<Action>>> {
        let lines = self.lines();
        if lines.is_empty() && !self.keyboard {
            return Ok(None);
        }
        let (tx, rx) = channel();
        if !lines.is_empty() {
            let chip_path = self.gpiochip.display();
            let mut chip = Chip::new(&self.gpiochip).with_context(|| format!("opening GPIO chip {chip_path} for the buttons"))?;
            let flags = if self.active_low { LineRequestFlags::INPUT | LineRequestFlags::ACTIVE_LOW } else { LineRequestFlags::INPUT };
            let mut pins: Vec<(Action, Box<dyn Button + Send>)> = Vec::new();
            for (action, line) in lines {
                let handle = chip
                    .get_line(line)
                    .and_then(|l| l.request(flags.clone(), 0, &format!("signspell-{action:?}").to_lowercase()))
                    .with_context(|| format!("requesting GPIO line {line} ({action:?} button) on {chip_path} as an input"))?;
                pins.push((action, Box::new(GpioButton::new(handle))));
            }
            spawn_poller(pins, Duration::from_millis(self.debounce_ms), Duration::from_millis(self.poll_ms.max(1)), tx.clone());
        }
        if self.keyboard {
            keyboard::spawn_watcher(keyboard::DEFAULT_DIR.into(), Duration::from_secs(3), tx);
        }
        Ok(Some(rx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_configured_lines_are_buttons() {
        let c: ControlsConfig = toml::from_str("clear = 5\nspeak = 6\nmode = 13").unwrap();
        assert_eq!(c.lines(), [(Action::Clear, 5), (Action::Speak, 6), (Action::Mode, 13)]);
        let none = ControlsConfig { keyboard: false, ..ControlsConfig::default() };
        assert!(none.open().unwrap().is_none(), "no buttons, no keyboard: no GPIO chip opened");
        let err = toml::from_str::<ControlsConfig>("clean = 5").unwrap_err().to_string();
        assert!(err.contains("clean"), "{err}");
    }
}
