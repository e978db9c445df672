//! `device collect`: collection mode. The screen prompts each letter and the kiosk
//! records the signer's hand region as an image-folder dataset ([`crate::collect`]).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use super::{default_mediapipe, model_or_default, stop_flag};
use crate::collect::{CollectConfig, Collector};
use crate::config::KioskConfig;
use crate::demo;
use crate::display::{self, Panel};
use crate::engine::Engine;
use crate::kiosk::Kiosk;
use crate::region::{self, GuideBox};
use crate::source::FrameSource;
use crate::source::camera::{Camera, CameraConfig};
use crate::source::replay::Replay;

/// Arguments of `device collect`.
#[derive(clap::Args, Debug)]
pub struct CollectArgs {
    /// Who signs (letters, digits, '-', '_'): names the files and the manifest.
    #[arg(long)]
    pub signer: String,
    /// The dataset folder (earlier samples in it are kept).
    #[arg(long, default_value = "collected")]
    pub out: PathBuf,
    /// Letters to prompt, e.g. "ABC" (default: every letter of the model).
    #[arg(long)]
    pub letters: Option<String>,
    /// Samples per letter.
    #[arg(long, default_value_t = 30)]
    pub per_letter: usize,
    /// Keep every N-th frame.
    #[arg(long, default_value_t = 3)]
    pub every: usize,
    /// Frames skipped after each prompt while the person changes sign.
    #[arg(long, default_value_t = 20)]
    pub settle: usize,
    /// The kiosk config: its camera, region, display and model (the device's way).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Without --config: the model whose classes are prompted (default: the shipped
    /// ASL model).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Without --config: replay a dataset folder, each letter's frames in turn, instead
    /// of a camera (a rehearsal and the test's way).
    #[arg(long)]
    pub frames: Option<PathBuf>,
    /// Without --config: the camera (default /dev/video0).
    #[arg(long)]
    pub camera: Option<PathBuf>,
    /// Without --config: write the screens as PNG files here.
    #[arg(long)]
    pub screens: Option<PathBuf>,
}

/// Runs a collection session; fails when it ends before every sample is recorded.
pub fn run(a: CollectArgs) -> Result<()> {
    let cfg = a.config.as_deref().map(KioskConfig::load).transpose()?;
    let model = match &cfg {
        Some(c) => c.model.clone(),
        None => model_or_default(a.model.clone()),
    };
    let engine = Engine::load(&model)?;
    let letters: Vec<String> = a.letters.as_deref().unwrap_or("").chars().map(|c| c.to_string()).collect();
    let collect = CollectConfig {
        out: a.out.clone(),
        signer: a.signer.clone(),
        letters: letters.clone(),
        per_letter: a.per_letter,
        every: a.every,
        settle: a.settle,
    };
    let (source, region_cfg, panel): (Box<dyn FrameSource>, GuideBox, Box<dyn Panel>) = match (&cfg, &a.frames) {
        (Some(c), _) => {
            let path = a.config.as_ref().expect("cfg comes from --config");
            let mut camera = Camera::closed(c.camera.clone());
            camera.reopen().with_context(|| format!("camera in {}", path.display()))?;
            let panel = display::open(&c.display).with_context(|| format!("display in {}", path.display()))?;
            (Box::new(camera), c.region.clone(), panel)
        }
        (None, frames) => {
            let source: Box<dyn FrameSource> = match frames {
                Some(root) => {
                    // Each prompted letter's frames, exactly as many as it takes.
                    let word: String = if letters.is_empty() {
                        bail!("--frames needs --letters (the replay shows those signs in turn)");
                    } else {
                        letters.concat()
                    };
                    let n = a.settle + a.per_letter * a.every;
                    let files = demo::word_frames(root, &engine.card().classes, &word, n, 0, None)?;
                    Box::new(Replay::new(files, 30.0)?)
                }
                None => Box::new(Camera::open(CameraConfig {
                    device: a.camera.clone().unwrap_or_else(|| "/dev/video0".into()),
                    ..CameraConfig::default()
                })?),
            };
            (source, GuideBox::default(), display::png_or_none(a.screens.as_deref(), (240, 240))?)
        }
    };
    let collector = Collector::new(collect, engine.card(), source.describe())?;
    let region = region::for_model(&region_cfg, engine.wants_landmarks(), default_mediapipe())?;
    let mut kiosk = Kiosk::builder(source, region, engine, panel).collector(collector).stop(stop_flag()?).build();
    let summary = kiosk.run()?;
    let c = kiosk.collector().expect("set above");
    println!("{}", c.prompt());
    if !c.finished() {
        bail!("collection ended early ({:?}): {}", summary.ended, c.prompt());
    }
    Ok(())
}
