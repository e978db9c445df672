//! `device classify`: classifies images or folders of images.

use std::path::PathBuf;

use anyhow::Result;
use shared::hands::{HandTracker, TrackerConfig};

use super::{for_each_image, mediapipe_dir, model_or_default};
use crate::demo;
use crate::engine::Engine;

/// Arguments of `device classify`.
#[derive(clap::Args, Debug)]
pub struct ClassifyArgs {
    /// The ONNX model (default: the shipped ASL landmark classifier, models/asl-landmarks.onnx).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// One JSON line per image.
    #[arg(long)]
    pub json: bool,
    /// How many classes to list.
    #[arg(long, default_value_t = 3)]
    pub top: usize,
    /// Average each image's and its mirror's probabilities.
    #[arg(long)]
    pub mirrored: bool,
    /// For landmark models (features or masks): MediaPipe's models folder (default:
    /// ../shared/models/mediapipe, else /usr/share/signspell/mediapipe).
    #[arg(long)]
    pub hands: Option<PathBuf>,
    /// Image files or folders.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// Runs `device classify`.
pub fn run(a: ClassifyArgs) -> Result<()> {
    let ClassifyArgs { model, json, top, mirrored, hands, paths } = a;
    let mut engine = Engine::load(&model_or_default(model))?;
    // Landmark models read the hand's landmarks: find them first.
    let mut tracker = match engine.wants_landmarks() {
        true => Some(HandTracker::load(&mediapipe_dir(hands)?, TrackerConfig::default())?),
        false => None,
    };
    // Pictures in class folders (`A/`, or `a/`) are scored against the folder's class.
    let (mut scored, mut right) = (0usize, 0usize);
    for_each_image(&paths, "classified", |f, img| {
        let p = match &mut tracker {
            None => engine.classify_image(&img, mirrored)?,
            Some(t) => {
                let hand = t.find(&img.to_rgb8())?;
                engine.preprocess_landmarks(hand.as_ref().map(|h| &h.landmarks.points))?;
                engine.infer(mirrored)?
            }
        };
        let classes = &engine.card().classes;
        let label = |i: usize| classes.get(i).map_or("?", |c| c.label.as_str()).to_string();
        let truth = demo::folder_class(classes, f);
        if let Some(t) = truth {
            scored += 1;
            right += usize::from(t == p.top);
        }
        if json {
            let top: Vec<(String, f32)> = p.top_k(top).into_iter().map(|(i, q)| (label(i), q)).collect();
            println!(
                "{}",
                serde_json::json!({"path": f.display().to_string(), "label": label(p.top), "index": p.top, "confidence": p.confidence, "top": top, "truth": truth.map(label)})
            );
        } else {
            let rest: Vec<String> = p.top_k(top).iter().skip(1).map(|(i, q)| format!("{} {:.3}", label(*i), q)).collect();
            println!("{}\t{} {:.3}\t({})", f.display(), label(p.top), p.confidence, rest.join(", "));
        }
        Ok(())
    })?;
    if scored > 0 {
        eprintln!("{right} of {scored} pictures in class folders read right ({:.2}%)", 100.0 * right as f64 / scored as f64);
    }
    Ok(())
}
