//! The hand-landmark model: a rotated square crop at 224x224 -> 21 points (in crop
//! pixels, mapped back to the frame), hand presence and handedness.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tract_onnx::prelude::*;

use super::{load_plan, sample_row, HandsError, Point, RotatedRect};

/// Input side of the landmark model.
pub const INPUT: usize = 224;
/// Landmarks per hand (MediaPipe's order: wrist, then 4 joints per finger from the thumb).
pub const POINTS: usize = crate::features::POINTS;

/// The bones between landmarks (MediaPipe's `HAND_CONNECTIONS`).
pub const CONNECTIONS: [(usize, usize); 21] = [
    (0, 1), (1, 2), (2, 3), (3, 4),
    (0, 5), (5, 6), (6, 7), (7, 8),
    (5, 9), (9, 10), (10, 11), (11, 12),
    (9, 13), (13, 14), (14, 15), (15, 16),
    (13, 17), (0, 17), (17, 18), (18, 19), (19, 20),
];

/// The plan form the landmark model runs in: channel-last with Signspell's depthwise and
/// 1x1 ops, the fastest of the forms `device profile --hands landmarks --plan` compares
/// (numbers in docs/performance.md, "The hand-following kiosk against onnxruntime").
pub const PLAN: crate::tract_model::PlanForm = crate::tract_model::PlanForm::ChannelLastOwn;

/// One hand's landmarks in frame pixels.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Landmarks {
    /// The 21 points.
    pub points: [Point; POINTS],
    /// Probability that the crop holds a hand.
    pub presence: f32,
    /// Probability that it is a right hand as the model sees the picture (MediaPipe
    /// assumes a mirrored, selfie-view picture; its label is "Right" above 0.5).
    pub right_hand: f32,
    /// MediaPipe's world landmarks, when the model gives them (its fourth output): the
    /// hand in metres about its own centre, x right and y down as the crop is turned,
    /// z away from the camera; a 3-D shape that no crop's perspective squeezes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub world: Option<[Point; POINTS]>,
}

/// MediaPipe's hand-landmark model in tract.
pub struct HandLandmarker {
    plan: Arc<TypedRunnableModel>,
    path: PathBuf,
    input: Vec<f32>,
}

impl std::fmt::Debug for HandLandmarker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandLandmarker").field("path", &self.path).finish()
    }
}

impl HandLandmarker {
    /// Loads `hand_landmark_lite.onnx`.
    pub fn load(path: &Path) -> Result<Self, HandsError> {
        Self::load_as(path, PLAN)
    }

    /// [`Self::load`] into a plan of the given form.
    pub fn load_as(path: &Path, form: crate::tract_model::PlanForm) -> Result<Self, HandsError> {
        Ok(Self { plan: load_plan(path, &[1, INPUT, INPUT, 3], form)?, path: path.to_path_buf(), input: vec![0.0; INPUT * INPUT * 3] })
    }

    /// The model's input for the crop `rect` of `img`: 224x224 NHWC in 0..1, bilinear,
    /// black outside the frame.
    pub fn input_tensor(&mut self, img: &image::RgbImage, rect: &RotatedRect) -> &[f32] {
        let to_frame = rect.frame_map();
        let at: [f32; INPUT] = std::array::from_fn(|u| (u as f32 + 0.5) / INPUT as f32);
        let (mut xs, mut ys) = ([0f32; INPUT], [0f32; INPUT]);
        for v in 0..INPUT {
            for u in 0..INPUT {
                (xs[u], ys[u]) = to_frame(at[u], at[v]);
            }
            sample_row(img, &xs, &ys, &mut self.input[v * INPUT * 3..(v + 1) * INPUT * 3]);
        }
        &self.input
    }

    /// Times every node of the model's plan on an input tensor (`device profile --hands`).
    pub fn profile(&self, input: &[f32], runs: usize) -> Result<Vec<crate::tract_model::NodeTime>, HandsError> {
        let err = |source: anyhow::Error| HandsError::Tract { path: self.path.clone(), stage: "profile the landmark model", source };
        let x = Tensor::from_shape(&[1, INPUT, INPUT, 3], input).map_err(err)?;
        crate::tract_model::profile_plan(&self.plan, &x, runs).map_err(err)
    }

    /// Raw outputs for an input tensor: the 63 landmark values (crop pixels), presence
    /// and handedness.
    pub fn run_raw(&self, input: &[f32]) -> Result<(Vec<f32>, f32, f32), HandsError> {
        self.run_raw_world(input).map(|(points, presence, handedness, _)| (points, presence, handedness))
    }

    /// [`Self::run_raw`] and the 63 world-landmark values (metres), when the model has
    /// that fourth output.
    pub fn run_raw_world(&self, input: &[f32]) -> Result<(Vec<f32>, f32, f32, Option<Vec<f32>>), HandsError> {
        let err = |source: anyhow::Error| HandsError::Tract { path: self.path.clone(), stage: "run the landmark model", source };
        let x = Tensor::from_shape(&[1, INPUT, INPUT, 3], input).map_err(err)?;
        let out = self.plan.run(tvec!(x.into_tvalue())).map_err(err)?;
        let values = |i: usize| -> Result<Vec<f32>, HandsError> {
            let t = out.get(i).ok_or_else(|| HandsError::Outputs { path: self.path.clone(), problem: format!("no output {i}") })?;
            Ok(t.to_plain_array_view::<f32>().map_err(err)?.iter().copied().collect())
        };
        let (points, presence, handedness) = (values(0)?, values(1)?, values(2)?);
        if points.len() != 3 * POINTS || presence.len() != 1 || handedness.len() != 1 {
            return Err(HandsError::Outputs {
                path: self.path.clone(),
                problem: format!("outputs of {}, {} and {} values, expected 63, 1 and 1", points.len(), presence.len(), handedness.len()),
            });
        }
        let world = if out.len() > 3 { Some(values(3)?) } else { None };
        if let Some(w) = world.as_ref().filter(|w| w.len() != 3 * POINTS) {
            return Err(HandsError::Outputs { path: self.path.clone(), problem: format!("world landmarks of {} values, expected 63", w.len()) });
        }
        Ok((points, presence[0], handedness[0], world))
    }

    /// The landmarks of the hand in `rect` of `img`, in frame pixels.
    pub fn run(&mut self, img: &image::RgbImage, rect: &RotatedRect) -> Result<Landmarks, HandsError> {
        self.input_tensor(img, rect);
        let (raw, presence, right_hand, world) = self.run_raw_world(&self.input)?;
        let s = INPUT as f32;
        let points = std::array::from_fn(|i| {
            let (x, y) = rect.to_frame(raw[3 * i] / s, raw[3 * i + 1] / s);
            Point { x, y, z: raw[3 * i + 2] / s * rect.w }
        });
        let world = world.map(|w| std::array::from_fn(|i| Point { x: w[3 * i], y: w[3 * i + 1], z: w[3 * i + 2] }));
        Ok(Landmarks { points, presence, right_hand, world })
    }
}
