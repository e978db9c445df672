//! Switching models while the kiosk runs. The mode button (or Tab) steps through the
//! config's `model` and `models`; an edited config file and a replaced model file are
//! noticed by polling their size, time and inode. The new model loads and is checked
//! (card against graph, warm-up inference) on a thread of its own while the running one
//! keeps classifying; a file that fails is logged and the running model stays.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Result;

use crate::config::KioskConfig;
use crate::engine::Engine;

/// A file's identity and version: a rewrite or a rename over it changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(Stamp { len: m.len(), modified: m.modified().ok(), inode: m.ino() })
}

/// A file watched for changes that have settled (the same stamp on two checks in a
/// row), so a file still being copied is not read half-way.
#[derive(Debug)]
struct Watched {
    path: PathBuf,
    seen: Option<Stamp>,
    candidate: Option<Option<Stamp>>,
}

impl Watched {
    fn new(path: PathBuf) -> Self {
        let seen = stamp(&path);
        Self { path, seen, candidate: None }
    }

    /// True once per settled change.
    fn changed(&mut self) -> bool {
        let now = stamp(&self.path);
        if now == self.seen {
            self.candidate = None;
            false
        } else if self.candidate == Some(now) {
            self.seen = now;
            self.candidate = None;
            true
        } else {
            self.candidate = Some(now);
            false
        }
    }
}

/// A model that finished loading: the engine, or why the file was refused.
pub struct Loaded {
    /// The file.
    pub path: PathBuf,
    /// The checked engine, or the error that keeps the running model in place.
    pub engine: Result<Engine>,
}

/// The models the kiosk may run and the watch on their files.
pub struct ModelSwitcher {
    choices: Vec<PathBuf>,
    /// Index in `choices` of the model asked for last (by the mode button or config).
    selected: usize,
    running: Watched,
    config: Option<(Watched, KioskConfig)>,
    every: Option<Duration>,
    last_check: Instant,
    loading: Option<(PathBuf, Receiver<Result<Engine>>)>,
    queued: Option<PathBuf>,
    watch: WatchCounts,
}

/// What the watch on the files has done so far (for logs and tests: a change that was
/// not taken is told apart from a watch that never looked).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatchCounts {
    /// Times the config and model files were checked.
    pub checks: u64,
    /// Settled changes seen (the config file edited, the model file replaced).
    pub changes: u64,
}

impl ModelSwitcher {
    /// Switches among `choices` (the first is running), checking the running file every
    /// `every` for a replacement (`None`: never).
    pub fn new(choices: Vec<PathBuf>, every: Option<Duration>) -> Self {
        assert!(!choices.is_empty(), "at least the running model");
        let running = Watched::new(choices[0].clone());
        Self { choices, selected: 0, running, config: None, every, last_check: Instant::now(), loading: None, queued: None, watch: WatchCounts::default() }
    }

    /// The switcher for a kiosk started from `config` (loaded from `path`): its `model`
    /// runs, `models` follow, and the file itself is watched for edits.
    pub fn from_config(config: &KioskConfig, path: &Path) -> Self {
        let every = (config.engine.watch_ms > 0).then(|| Duration::from_millis(config.engine.watch_ms));
        let mut s = Self::new(config.model_choices(), every);
        s.config = Some((Watched::new(path.to_path_buf()), config.clone()));
        s
    }

    /// The models the mode button steps through.
    pub fn choices(&self) -> &[PathBuf] {
        &self.choices
    }

    /// The file of the running model.
    pub fn running(&self) -> &Path {
        &self.running.path
    }

    /// The file being loaded, if any.
    pub fn loading(&self) -> Option<&Path> {
        self.loading.as_ref().map(|(p, _)| p.as_path())
    }

    /// What the watch on the files has done so far.
    pub fn watch_counts(&self) -> WatchCounts {
        self.watch
    }

    /// The mode button: starts loading the next model in the list.
    pub fn next(&mut self) {
        if self.choices.len() < 2 {
            tracing::info!("mode: no other model in the config's `models`");
            return;
        }
        self.selected = (self.selected + 1) % self.choices.len();
        self.request(self.choices[self.selected].clone());
    }

    /// Called once per frame: checks the files when due and returns a model that
    /// finished loading. The caller decides whether to run it ([`Self::accept`]).
    pub fn poll(&mut self) -> Option<Loaded> {
        if self.every.is_some_and(|every| self.last_check.elapsed() >= every) {
            self.last_check = Instant::now();
            self.check_files();
        }
        let (path, rx) = self.loading.as_ref()?;
        let engine = match rx.try_recv() {
            Ok(r) => r,
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => Err(anyhow::anyhow!("the loading thread ended without a model")),
        };
        let loaded = Loaded { path: path.clone(), engine };
        self.loading = None;
        if let Some(next) = self.queued.take() {
            // Asked for a model (or the same file changed again) meanwhile: that one wins.
            self.request(next);
            return None;
        }
        Some(loaded)
    }

    /// Records that the kiosk now runs the model from `path`: its file is watched.
    pub fn accept(&mut self, path: &Path) {
        if path != self.running.path {
            self.running = Watched::new(path.to_path_buf());
        }
        if let Some(i) = self.choices.iter().position(|c| c == path) {
            self.selected = i;
        }
    }

    fn check_files(&mut self) {
        self.watch.checks += 1;
        if let Some((watch, applied)) = &mut self.config
            && watch.changed()
        {
            self.watch.changes += 1;
            match KioskConfig::load(&watch.path) {
                Err(e) => tracing::error!("{e:#}; the kiosk keeps its settings"),
                Ok(new) => {
                    if new.without_models() != applied.without_models() {
                        tracing::warn!(config = %watch.path.display(), "settings other than the models take effect after a restart");
                    }
                    let model_changed = new.model != applied.model;
                    self.choices = new.model_choices();
                    *applied = new;
                    if model_changed {
                        self.selected = 0;
                        self.request(self.choices[0].clone());
                    }
                }
            }
        }
        if self.running.changed() {
            self.watch.changes += 1;
            tracing::info!(model = %self.running.path.display(), "model file replaced; checking it");
            self.request(self.running.path.clone());
        }
    }

    /// Loads `path` on a thread; one load at a time, the latest request queued.
    fn request(&mut self, path: PathBuf) {
        if self.loading.is_some() {
            self.queued = Some(path);
            return;
        }
        tracing::info!(model = %path.display(), "loading model");
        let (tx, rx) = channel();
        let p = path.clone();
        std::thread::Builder::new()
            .name("model-load".into())
            .spawn(move || {
                let _ = tx.send(Engine::load(&p));
            })
            .expect("spawning the model loader");
        self.loading = Some((path, rx));
    }
}
