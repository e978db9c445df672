//! Push buttons on GPIO lines (gpio-cdev), debounced on a thread of their own. A button
//! is anything behind [`Button`], so the poller is tested with a mock pin.

use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use anyhow::Result;
use linux_embedded_hal::gpio_cdev::LineHandle;

use super::Action;

/// A button's raw level.
pub trait Button {
    /// Whether it is pressed now (bouncing included).
    fn pressed(&mut self) -> Result<bool>;
}

/// A button on a GPIO line, requested as an input.
pub struct GpioButton {
    line: LineHandle,
}

impl GpioButton {
    /// A line already requested as an input.
    pub fn new(line: LineHandle) -> Self {
        Self { line }
    }
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

/// Reads `buttons` every `poll` on a thread of its own and sends each debounced press
/// to `tx`; the thread ends when the receiver is dropped. A button that fails to read is
/// logged once and treated as released.
pub fn spawn_poller(buttons: Vec<(Action, Box<dyn Button + Send>)>, debounce: Duration, poll: Duration, tx: Sender<Action>) {
    std::thread::Builder::new()
        .name("buttons".into())
        .spawn(move || poll_loop(buttons, debounce, poll, tx))
        .expect("spawning the button thread");
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
}
