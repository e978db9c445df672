//! `device run`: the kiosk from its TOML config: camera, model, display, speech,
//! controls and the model watch.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::{default_mediapipe, stop_flag};
use crate::config::KioskConfig;
use crate::decode::Decoder;
use crate::display;
use crate::engine::{self, Engine};
use crate::kiosk::Kiosk;
use crate::model_switch::ModelSwitcher;
use crate::region;
use crate::source::FrameSource;
use crate::display::pipelined::PanelThread;
use crate::source::camera::Camera;
use crate::source::prefetch::{Handoff, Prefetch};

/// Arguments of `device run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The kiosk config (see device/kiosk.toml).
    #[arg(long)]
    pub config: PathBuf,
}

/// Runs the kiosk until SIGTERM or SIGINT.
pub fn run(a: RunArgs) -> Result<()> {
    let config = &a.config;
    let cfg = KioskConfig::load(config)?;
    engine::set_threads(cfg.engine.threads);
    let engine = Engine::load(&cfg.model)?;
    tracing::info!(model = %cfg.model.display(), name = %engine.card().name, threads = cfg.engine.threads, "model loaded");
    let decoder = Decoder::for_model(cfg.decoder.clone(), engine.card());
    // Word lists that cannot be read stop the start, as a bad model does.
    let words = match &cfg.decoder.lexicon {
        Some(dir) => crate::decode::WordDecoder::for_model(dir, &cfg.model, &engine.card().classes)
            .with_context(|| format!("[decoder] lexicon in {}", config.display()))?,
        None => None,
    };
    let panel = display::open(&cfg.display).with_context(|| format!("display in {}", config.display()))?;
    let mut camera = Camera::closed(cfg.camera.clone());
    match camera.reopen() {
        Ok(()) => tracing::info!(source = %camera.describe(), "camera open"),
        Err(e @ crate::source::SourceError::Unusable { .. }) => return Err(e).with_context(|| format!("camera in {}", config.display())),
        Err(e) => tracing::warn!("{e}; the kiosk will retry"),
    }
    // Pipelined: capture, palm detection and the panel each get a thread of their own.
    let pipelined = cfg.engine.pipelined;
    let landmark_threads = if pipelined { cfg.engine.landmark_threads() } else { 1 };
    let region_cfg = region::GuideBox { palm_thread: pipelined, landmark_threads, ..cfg.region.clone() };
    let region = region::for_model(&region_cfg, engine.wants_landmarks(), default_mediapipe())
        .with_context(|| format!("[region] in {}", config.display()))?;
    let speaker = crate::speech::from_config(&cfg.speech, &engine.card().classes);
    let (camera, panel): (Box<dyn FrameSource + Send>, Box<dyn crate::display::Panel + Send>) = if pipelined {
        let camera = Prefetch::start(camera, Handoff::Latest).context("cannot start the capture thread")?;
        (Box::new(camera), Box::new(PanelThread::start(panel).context("cannot start the panel thread")?))
    } else {
        (Box::new(camera), panel)
    };
    let mut kiosk = Kiosk::builder(camera, region, engine, panel)
        .decoder(decoder)
        .recovery(cfg.recovery.clone())
        .stop(stop_flag()?)
        .speaker(speaker)
        .controls(cfg.controls.open().with_context(|| format!("[controls] in {}", config.display()))?)
        .models((cfg.engine.watch_ms > 0 || !cfg.models.is_empty()).then(|| ModelSwitcher::from_config(&cfg, config)))
        .speller(crate::decode::Speller::new(words, cfg.decoder.show_rule()))
        .build();
    let summary = kiosk.run()?;
    tracing::info!(ended = ?summary.ended, frames = summary.frames, text = %summary.text, "kiosk stopped");
    Ok(())
}
