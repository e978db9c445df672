//! The kiosk's TOML configuration (`device run --config kiosk.toml`); see
//! `device/kiosk.toml` for a commented example.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::decode::DecoderConfig;
use crate::display::spi::SpiConfig;
use crate::region::GuideBox;
use crate::source::camera::CameraConfig;

/// The whole configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KioskConfig {
    /// The ONNX model written by `host-train export` (relative paths are relative to
    /// the config file).
    pub model: PathBuf,
    /// More models the mode button (or Tab) switches to, in order after `model`.
    #[serde(default)]
    pub models: Vec<PathBuf>,
    /// Inference settings.
    #[serde(default)]
    pub engine: EngineConfig,
    /// The camera.
    #[serde(default)]
    pub camera: CameraConfig,
    /// The guide box the hand goes in.
    #[serde(default)]
    pub region: GuideBox,
    /// Letters and words from predictions.
    #[serde(default)]
    pub decoder: DecoderConfig,
    /// The screen.
    #[serde(default)]
    pub display: DisplayConfig,
    /// Recovery when the camera is lost.
    #[serde(default)]
    pub recovery: RecoveryConfig,
    /// Committed words spoken aloud.
    #[serde(default)]
    pub speech: crate::speech::SpeechConfig,
    /// Push buttons on GPIO lines.
    #[serde(default)]
    pub controls: crate::controls::ControlsConfig,
}

/// Inference settings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// Threads for tract's matrix products. 1 measured fastest on a 2-core host; measure
    /// on the device with `device bench --threads N`.
    pub threads: usize,
    /// How often the config and the running model's file are checked for changes (ms;
    /// 0: never); a new `model` or a replaced file is loaded and checked while the old
    /// one keeps running.
    pub watch_ms: u64,
    /// Capture, palm detection, landmarks and the panel on threads of their own, so the
    /// kiosk's frames overlap across cores and palm detection never stalls a frame with a
    /// tracked hand (`device bench --pipelined` compares). On by default; `false` runs
    /// every stage in the loop's thread.
    pub pipelined: bool,
    /// With `pipelined` and the hand-following region: threads that run the landmark
    /// model on frames in turn, so frames overlap across cores (each hand is then drawn
    /// one frame late per extra thread). 0: one for every two cores (a Pi 4 or 5: two).
    pub landmark_threads: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self { threads: 1, watch_ms: 2000, pipelined: true, landmark_threads: 0 }
    }
}

impl EngineConfig {
    /// The landmark threads to run: `landmark_threads`, or one for every two cores.
    pub fn landmark_threads(&self) -> usize {
        match self.landmark_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            n => n,
        }
    }
}

/// Which screen the kiosk draws on.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum DisplayKind {
    /// The SPI panel in `[display.spi]`.
    #[default]
    Spi,
    /// PNG files in `png_dir` (headless runs).
    Png,
    /// No screen (headless benchmarks).
    None,
}

/// The screen.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DisplayConfig {
    /// Where screens go.
    pub kind: DisplayKind,
    /// Folder for `kind = "png"`.
    pub png_dir: PathBuf,
    /// Screen size for `png` and `none` (`[width, height]`); SPI panels know theirs.
    pub size: [u32; 2],
    /// The SPI panel and its pins.
    pub spi: SpiConfig,
}

impl Default for DisplayConfig {
    fn default() -> Self {
        Self { kind: DisplayKind::Spi, png_dir: "screens".into(), size: [240, 240], spi: SpiConfig::default() }
    }
}

/// How the kiosk retries a lost camera.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RecoveryConfig {
    /// First wait before reopening (ms); doubles after each failure.
    pub initial_backoff_ms: u64,
    /// Longest wait (ms).
    pub max_backoff_ms: u64,
    /// Stalls in a row (each one the camera's `timeout_ms`) after which the frames are
    /// taken to have stopped and the camera is reopened.
    pub stalls_before_reopen: u32,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        Self { initial_backoff_ms: 250, max_backoff_ms: 5000, stalls_before_reopen: 3 }
    }
}

impl KioskConfig {
    /// Reads and checks a config file; errors name the file and the problem.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read config {}", path.display()))?;
        let mut cfg: Self = toml::from_str(&text).with_context(|| format!("config {} is not valid", path.display()))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        for m in std::iter::once(&mut cfg.model).chain(&mut cfg.models) {
            if m.is_relative() {
                *m = dir.join(&*m);
            }
        }
        if let Some(l) = &mut cfg.decoder.lexicon
            && l.is_relative()
        {
            *l = dir.join(&*l);
        }
        if let Some(h) = &mut cfg.region.hands
            && h.models.is_relative()
        {
            h.models = dir.join(&h.models);
        }
        cfg.validate().with_context(|| format!("config {} is not valid", path.display()))?;
        Ok(cfg)
    }

    /// `model` then `models`, each once: what the mode button steps through.
    pub fn model_choices(&self) -> Vec<PathBuf> {
        let mut v = vec![self.model.clone()];
        for m in &self.models {
            if !v.contains(m) {
                v.push(m.clone());
            }
        }
        v
    }

    /// The settings that only a restart applies (all but the models).
    pub fn without_models(&self) -> Self {
        Self { model: PathBuf::new(), models: Vec::new(), ..self.clone() }
    }

    /// Checks values serde cannot.
    pub fn validate(&self) -> Result<()> {
        self.region.validate().map_err(anyhow::Error::msg)?;
        let d = &self.decoder;
        if let Some(t) = d.threshold
            && !(t.is_finite() && (0.0..=1.0).contains(&t))
        {
            bail!("decoder.threshold {t} is not in 0..1");
        }
        if !(d.control_threshold.is_finite() && (0.0..=1.0).contains(&d.control_threshold)) {
            bail!("decoder.control_threshold {} is not in 0..1", d.control_threshold);
        }
        d.show_rule().check().map_err(|e| anyhow::anyhow!("decoder.{e}"))?;
        if d.window == 0 || d.max_chars == 0 {
            bail!("decoder.window and decoder.max_chars must be at least 1");
        }
        if self.engine.threads == 0 {
            bail!("engine.threads must be at least 1");
        }
        if self.display.size.contains(&0) {
            bail!("display.size {:?} has a zero side", self.display.size);
        }
        if self.recovery.initial_backoff_ms == 0 || self.recovery.max_backoff_ms < self.recovery.initial_backoff_ms {
            bail!("recovery backoff must be positive and max_backoff_ms >= initial_backoff_ms");
        }
        self.check_pins()
    }

    /// Each GPIO line does one job: no two buttons on one line, and no button on a line
    /// the SPI panel drives (same chip).
    fn check_pins(&self) -> Result<()> {
        let mut used: Vec<(u32, String)> = Vec::new();
        let spi = &self.display.spi;
        if self.display.kind == DisplayKind::Spi && spi.gpiochip == self.controls.gpiochip {
            used.push((spi.dc_line, "display.spi.dc_line".into()));
            used.extend(spi.reset_line.map(|l| (l, "display.spi.reset_line".into())));
            used.extend(spi.backlight_line.map(|l| (l, "display.spi.backlight_line".into())));
        }
        for (action, line) in self.controls.lines() {
            let name = format!("controls.{}", format!("{action:?}").to_lowercase());
            if let Some((_, other)) = used.iter().find(|(l, _)| *l == line) {
                bail!("{name} = {line} is the line of {other} too: give each button its own GPIO line");
            }
            used.push((line, name));
        }
        Ok(())
    }
}
