//! `device demo`: spells a word from real frames (replayed from a dataset folder, or a
//! live camera) and writes the screens as PNG files ([`crate::demo`]).

use std::path::PathBuf;

use anyhow::Result;

use super::{default_dataset, default_mediapipe, model_or_default, parse_size, stop_flag};
use crate::decode::{Decoder, DecoderConfig};
use crate::demo;
use crate::display;
use crate::engine::Engine;
use crate::kiosk::Kiosk;
use crate::region::{self, GuideBox};
use crate::source::FrameSource;
use crate::source::camera::{Camera, CameraConfig};
use crate::source::replay::Replay;

/// Arguments of `device demo`.
#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Spell letters only: no word proposals from the lexicon.
    #[arg(long)]
    pub letters_only: bool,
    /// The word to spell.
    #[arg(long, default_value = "HELLO")]
    pub word: String,
    /// Dataset folder with one subfolder per class (default: ../shared/data/asl-alphabet).
    #[arg(long)]
    pub frames: Option<PathBuf>,
    /// Run live from this camera instead of replaying (e.g. /dev/video0).
    #[arg(long)]
    pub camera: Option<PathBuf>,
    /// The ONNX model (default: the shipped ASL landmark classifier, models/asl-landmarks.onnx).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Where the screens go.
    #[arg(long, default_value = "runs/demo-screens")]
    pub out: PathBuf,
    /// Screen size.
    #[arg(long, default_value = "240x240", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Replay frame rate.
    #[arg(long, default_value_t = 10.0)]
    pub fps: f64,
    /// Frames of each letter.
    #[arg(long, default_value_t = 15)]
    pub per_letter: usize,
    /// Frames of `nothing` between letters.
    #[arg(long, default_value_t = 6)]
    pub gap: usize,
    /// Replay at the frame rate instead of as fast as possible.
    #[arg(long)]
    pub paced: bool,
    /// Use any frames of each class, not only the model's held-out ones.
    #[arg(long)]
    pub any_frames: bool,
}

/// Runs `device demo`: prints the proposed word (if any) and the spelled text.
pub fn run(a: DemoArgs) -> Result<()> {
    let model = model_or_default(a.model);
    let engine = Engine::load(&model)?;
    let classes = engine.card().classes.clone();
    let lexicon = if a.letters_only { None } else { crate::decode::lexicon::default_dir() };
    let decoder = Decoder::for_model(DecoderConfig { lexicon, ..DecoderConfig::default() }, engine.card());
    let panel = display::png_or_none(Some(&a.out), a.size)?;
    let source: Box<dyn FrameSource> = if let Some(dev) = &a.camera {
        Box::new(Camera::open(CameraConfig { device: dev.clone(), ..CameraConfig::default() })?)
    } else {
        let root = match a.frames {
            Some(f) => f,
            None => default_dataset()?,
        };
        let heldout = if a.any_frames { None } else { demo::heldout_list(&model)? };
        let files = demo::word_frames(&root, &classes, &a.word, a.per_letter, a.gap, heldout.as_ref())?;
        tracing::info!(word = %a.word, frames = files.len(), root = %root.display(), held_out_only = heldout.is_some(), "replaying");
        Box::new(Replay::new(files, a.fps)?.paced(a.paced))
    };
    let region = region::for_model(&GuideBox::default(), engine.wants_landmarks(), default_mediapipe())?;
    let mut kiosk = Kiosk::builder(source, region, engine, panel).decoder(decoder).stop(stop_flag()?).lexicon_of(&model).build();
    let summary = kiosk.run()?;
    if let Some(p) = kiosk.speller().proposal().filter(|p| p.worth_showing(kiosk.decoder().config().show_rule())) {
        println!("proposed: {} ({:.0}%)", p.word, 100.0 * p.posterior);
    }
    println!("spelled: {}", summary.text);
    eprintln!("{} frames, {} screens in {}", summary.frames, summary.frames, a.out.display());
    Ok(())
}
