//! Speech: each committed word is spoken aloud, behind [`Speaker`], so the kiosk loop
//! never waits for a voice. [`Espeak`] runs `espeak-ng` (Debian package) on its own
//! thread, one utterance after another; the voice follows the model's class table
//! (Arabic for ArSL, English otherwise) unless the config names one.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};

use serde::Deserialize;
use shared::ClassTable;

use crate::decode::Edit;

/// Says things without blocking the caller.
pub trait Speaker {
    /// Queues `text` to be spoken.
    fn say(&mut self, text: &str);

    /// The running model changed to one with these classes (the voice may follow).
    fn use_classes(&mut self, _classes: &ClassTable) {}
}

/// No speech (the default).
#[derive(Debug, Default)]
pub struct Silent;

impl Speaker for Silent {
    fn say(&mut self, _text: &str) {}
}

/// `[speech]` in the kiosk config.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SpeechConfig {
    /// Speak committed words.
    pub enabled: bool,
    /// The speech program, called as `PROGRAM -v VOICE TEXT`.
    pub program: PathBuf,
    /// The espeak-ng voice (e.g. `en-us`, `ar`); default: from the model's classes.
    pub voice: Option<String>,
    /// Words waiting to be spoken at most; more are dropped (and logged), so a slow
    /// voice never builds a backlog.
    pub queue: usize,
}

impl Default for SpeechConfig {
    fn default() -> Self {
        Self { enabled: false, program: PathBuf::from("espeak-ng"), voice: None, queue: 4 }
    }
}

/// The espeak-ng voice for a model's class table: Arabic for the ArSL tables, American
/// English otherwise.
pub fn voice_for(classes: &ClassTable) -> &'static str {
    if classes.name.starts_with("arsl") || classes.classes.iter().any(|c| c.arabic.is_some()) { "ar" } else { "en-us" }
}

/// The word a committed edit completes: when `edit` appended a space, the last word of
/// `text` (the decoder's text after the edit).
pub fn completed_word(text: &str, edit: &Edit) -> Option<String> {
    match edit {
        Edit::Appended(s) if s == " " => text.split_whitespace().last().map(str::to_string),
        Edit::Accepted { word, .. } => Some(word.clone()),
        _ => None,
    }
}

/// espeak-ng on a worker thread.
#[derive(Debug)]
pub struct Espeak {
    tx: SyncSender<(String, String)>,
    voice: String,
    /// The voice the config names, which no model changes.
    fixed: bool,
}

impl Espeak {
    /// Starts the worker that speaks with `voice`.
    pub fn start(config: &SpeechConfig, voice: &str) -> Self {
        let (tx, rx) = sync_channel::<(String, String)>(config.queue.max(1));
        let program = config.program.clone();
        std::thread::Builder::new()
            .name("speech".into())
            .spawn(move || {
                let mut warned = false;
                for (voice, text) in rx {
                    let status = Command::new(&program)
                        .args(["-v", &voice, &text])
                        .stdin(Stdio::null())
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .status();
                    match status {
                        Ok(s) if s.success() => {}
                        Ok(s) => tracing::warn!(program = %program.display(), %s, "speech failed"),
                        // Missing program: say it once, keep the kiosk going.
                        Err(e) if !warned => {
                            warned = true;
                            tracing::error!(program = %program.display(), "cannot run the speech program: {e} (install espeak-ng)");
                        }
                        Err(_) => {}
                    }
                }
            })
            .expect("spawning the speech thread");
        Self { tx, voice: voice.to_string(), fixed: config.voice.is_some() }
    }
}

impl Speaker for Espeak {
    fn say(&mut self, text: &str) {
        match self.tx.try_send((self.voice.clone(), text.to_string())) {
            Ok(()) => {}
            Err(TrySendError::Full((_, t))) => tracing::warn!(text = %t, "speech queue full: word not spoken"),
            Err(TrySendError::Disconnected(_)) => tracing::warn!("speech thread gone"),
        }
    }

    fn use_classes(&mut self, classes: &ClassTable) {
        if !self.fixed {
            self.voice = voice_for(classes).to_string();
        }
    }
}

/// The speaker a config asks for, speaking the language of `classes`.
pub fn from_config(config: &SpeechConfig, classes: &ClassTable) -> Box<dyn Speaker + Send> {
    if !config.enabled {
        return Box::new(Silent);
    }
    let voice = config.voice.clone().unwrap_or_else(|| voice_for(classes).to_string());
    tracing::info!(program = %config.program.display(), %voice, "speech on");
    Box::new(Espeak::start(config, &voice))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_space_completes_the_last_word_and_nothing_else_does() {
        assert_eq!(completed_word("HI THERE ", &Edit::Appended(" ".into())), Some("THERE".into()));
        assert_eq!(completed_word("HI", &Edit::Appended("I".into())), None);
        assert_eq!(completed_word("H", &Edit::Deleted), None);
        assert_eq!(completed_word(" ", &Edit::Appended(" ".into())), None);
    }

    #[test]
    fn the_voice_follows_the_class_table() {
        assert_eq!(voice_for(&ClassTable::asl_alphabet()), "en-us");
        assert_eq!(voice_for(&ClassTable::asl_digits()), "en-us");
        assert_eq!(voice_for(&ClassTable::arsl2018()), "ar");
    }
}
