//! `device hands`: MediaPipe's palm detector and landmark model on images: per image,
//! whether a hand was found, its box, 21 points and scores.

use std::path::PathBuf;

use anyhow::Result;
use shared::hands::{HandTracker, TrackerConfig};

use super::{for_each_image, mediapipe_dir};

/// Arguments of `device hands`.
#[derive(clap::Args, Debug)]
pub struct HandsArgs {
    /// Folder with palm_detection_lite.onnx and hand_landmark_lite.onnx (default:
    /// ../shared/models/mediapipe).
    #[arg(long)]
    pub models: Option<PathBuf>,
    /// One JSON line per image: {"path","found","box","points","score","handedness"}.
    #[arg(long)]
    pub json: bool,
    /// Image files or folders.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// Runs `device hands`.
pub fn run(a: HandsArgs) -> Result<()> {
    let HandsArgs { models, json, paths } = a;
    let dir = mediapipe_dir(models)?;
    let mut tracker = HandTracker::load(&dir, TrackerConfig::default())?;
    for_each_image(&paths, "read", |f, img| {
        let hand = tracker.find(&img.to_rgb8())?;
        let path = f.display().to_string();
        match (&hand, json) {
            (Some(h), true) => {
                let l = &h.landmarks;
                let points: Vec<[f32; 3]> = l.points.iter().map(|p| [p.x, p.y, p.z]).collect();
                let side = if l.right_hand >= 0.5 { "right" } else { "left" };
                println!(
                    "{}",
                    serde_json::json!({"path": path, "found": true, "box": [h.bbox.x0, h.bbox.y0, h.bbox.x1, h.bbox.y1],
                        "points": points, "score": l.presence, "handedness": side, "right_hand_probability": l.right_hand,
                        "palm_score": h.palm_score})
                );
            }
            (None, true) => println!("{}", serde_json::json!({"path": path, "found": false})),
            (Some(h), false) => println!(
                "{path}\thand {:.2}\tbox {:.0},{:.0} {:.0}x{:.0}",
                h.landmarks.presence,
                h.bbox.x0,
                h.bbox.y0,
                h.bbox.width(),
                h.bbox.height()
            ),
            (None, false) => println!("{path}\tno hand"),
        }
        Ok(())
    })
}
