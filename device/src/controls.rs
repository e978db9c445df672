//! Physical controls: push buttons on GPIO lines (gpio-cdev), debounced on their own
//! thread, as kiosk [`Action`]s. A button is anything behind [`Button`], so the poller
//! and the kiosk are tested with a mock pin.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use linux_embedded_hal::gpio_cdev::{Chip, LineHandle, LineRequestFlags};
use serde::Deserialize;

/// What a button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Clear the text.
    Clear,
    /// Delete the last character.
    Backspace,
    /// Speak the whole text.
    Speak,
}

/// A button's raw level.
pub trait Button {
    /// Whether it is pressed now (bouncing included).
    fn pressed(&mut self) -> Result<bool>;
}

/// A button on a GPIO line, requested as an input.
pub struct GpioButton {
    line: LineHandle,
}

impl Button for GpioButton {
    fn pressed(&mut self) -> Result<bool> {
        // Requested ACTIVE_LOW when wired to ground: the kernel inverts, 1 = pressed.
        Ok(self.line.get_value()? == 1)
    }
}

/// Turns a bouncing level into presses: a change counts once the level has stayed the
/// same for `stable` time.
#[derive(Debug, Clone)]
pub struct Debouncer {
    stable: Duration,
    level: bool,
    candidate: bool,
    since: Duration,
}

impl Debouncer {
    /// A released button.
    pub fn new(stable: Duration) -> Self {
        Self { stable, level: false, candidate: false, since: Duration::ZERO }
    }

    /// Feeds the raw level read at time `t`; true exactly once per debounced press.
    pub fn update(&mut self, raw: bool, t: Duration) -> bool {
        if raw != self.candidate {
            self.candidate = raw;
            self.since = t;
        }
        if self.candidate != self.level && t.saturating_sub(self.since) >= self.stable {
            self.level = self.candidate;
            return self.level;
        }
        false
    }
}

/// `[controls]` in the kiosk config: GPIO line numbers of the buttons (none by default).
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
        }
    }
}

impl ControlsConfig {
    /// The configured buttons, in a fixed order.
    pub fn lines(&self) -> Vec<(Action, u32)> {
        [(Action::Clear, self.clear), (Action::Backspace, self.backspace), (Action::Speak, self.speak)]
            .into_iter()
            .filter_map(|(a, l)| l.map(|l| (a, l)))
            .collect()
    }

    /// Requests the configured lines as inputs and starts polling them; `None` when no
    /// button is configured.
    pub fn open(&self) -> Result<Option<Receiver<Action>>> {
        let lines = self.lines();
        if lines.is_empty() {
            return Ok(None);
        }
        let chip_path = self.gpiochip.display();
        let mut chip = Chip::new(&self.gpiochip).with_context(|| format!("opening GPIO chip {chip_path} for the buttons"))?;
        let flags = if self.active_low { LineRequestFlags::INPUT | LineRequestFlags::ACTIVE_LOW } else { LineRequestFlags::INPUT };
        let mut buttons: Vec<(Action, Box<dyn Button + Send>)> = Vec::new();
        for (action, line) in lines {
            let handle = chip
                .get_line(line)
                .and_then(|l| l.request(flags.clone(), 0, &format!("signspell-{action:?}").to_lowercase()))
                .with_context(|| format!("requesting GPIO line {line} ({action:?} button) on {chip_path} as an input"))?;
            buttons.push((action, Box::new(GpioButton { line: handle })));
        }
        Ok(Some(spawn_poller(buttons, Duration::from_millis(self.debounce_ms), Duration::from_millis(self.poll_ms.max(1)))))
    }
}

/// Reads `buttons` every `poll` on a thread of its own and sends each debounced press;
/// the thread ends when the receiver is dropped. A button that fails to read is logged
/// once and treated as released.
pub fn spawn_poller(buttons: Vec<(Action, Box<dyn Button + Send>)>, debounce: Duration, poll: Duration) -> Receiver<Action> {
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name("buttons".into())
        .spawn(move || poll_loop(buttons, debounce, poll, tx))
        .expect("spawning the button thread");
    rx
}

fn poll_loop(mut buttons: Vec<(Action, Box<dyn Button + Send>)>, debounce: Duration, poll: Duration, tx: Sender<Action>) {
    let start = Instant::now();
    let mut state: Vec<(Debouncer, bool)> = buttons.iter().map(|_| (Debouncer::new(debounce), false)).collect();
    loop {
        let t = start.elapsed();
        for ((action, button), (debouncer, warned)) in buttons.iter_mut().zip(&mut state) {
            let raw = match button.pressed() {
                Ok(v) => v,
                Err(e) => {
                    if !*warned {
                        tracing::error!("{action:?} button: {e:#}");
                        *warned = true;
                    }
                    false
                }
            };
            if debouncer.update(raw, t) && tx.send(*action).is_err() {
                return;
            }
        }
        std::thread::sleep(poll);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn bounces_count_once_and_short_glitches_not_at_all() {
        let mut d = Debouncer::new(ms(30));
        // A press that bounces for 10 ms, then holds: one press, 30 ms after it settles.
        let mut presses = 0;
        for t in 0..200 {
            let raw = if t < 10 { t % 2 == 0 } else { t < 150 };
            presses += usize::from(d.update(raw, ms(t)));
        }
        assert_eq!(presses, 1);
        // A 20 ms glitch is not a press.
        let mut d = Debouncer::new(ms(30));
        assert!((0..100).all(|t| !d.update((40..60).contains(&t), ms(t))));
        // Two separate presses are two.
        let mut d = Debouncer::new(ms(30));
        let n = (0..400).filter(|&t| d.update((0..100).contains(&t) || (200..300).contains(&t), ms(t))).count();
        assert_eq!(n, 2);
    }

    #[test]
    fn only_configured_lines_are_buttons() {
        let c: ControlsConfig = toml::from_str("clear = 5\nspeak = 6").unwrap();
        assert_eq!(c.lines(), [(Action::Clear, 5), (Action::Speak, 6)]);
        assert!(ControlsConfig::default().open().unwrap().is_none(), "no buttons, no GPIO chip opened");
        let err = toml::from_str::<ControlsConfig>("clean = 5").unwrap_err().to_string();
        assert!(err.contains("clean"), "{err}");
    }
}
