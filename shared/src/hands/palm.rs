//! The palm detector: letterbox to 192x192, decode MediaPipe's 2016 anchor boxes and 7
//! keypoints, weighted non-max suppression (`TensorsToDetectionsCalculator` and
//! `NonMaxSuppressionCalculator` with `palm_detection_cpu.pbtxt`'s options).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tract_onnx::prelude::*;

use super::anchors::{palm_anchors, INPUT};
use super::{load_plan, sample_row, BoxPx, HandsError, Point};

/// Keypoints per palm: wrist centre, index/middle/ring/pinky finger bases, thumb base
/// and thumb joint (MediaPipe's order; 0 and 2 orient the hand crop).
pub const KEYPOINTS: usize = 7;
/// Values per anchor: box (dx, dy, w, h) and 7 keypoints (x, y).
const VALUES: usize = 4 + 2 * KEYPOINTS;

/// The plan form the palm detector runs in: channel-last with Signspell's depthwise and
/// 1x1 ops, the fastest of the forms `device profile --hands palm --plan` compares
/// (numbers in docs/performance.md). Axis moves around this model's PReLUs (split into
/// ReLU, Neg, Mul and Add with transposes in the ONNX file) are a fifth of its time.
pub const PLAN: crate::tract_model::PlanForm = crate::tract_model::PlanForm::ChannelLastOwn;

/// One detected palm in frame pixels.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Palm {
    /// Detection score, 0..1.
    pub score: f32,
    /// The palm's box.
    pub bbox: BoxPx,
    /// The 7 palm keypoints.
    pub keypoints: [Point; KEYPOINTS],
}

/// MediaPipe's palm detector in tract.
pub struct PalmDetector {
    plan: Arc<TypedRunnableModel>,
    path: PathBuf,
    anchors: Vec<(f32, f32)>,
    /// Lowest score kept (MediaPipe: 0.5).
    pub min_score: f32,
    /// Boxes overlapping more than this are merged (MediaPipe: 0.3).
    pub nms_iou: f32,
    input: Vec<f32>,
}

impl std::fmt::Debug for PalmDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PalmDetector").field("path", &self.path).field("min_score", &self.min_score).finish()
    }
}

/// The letterbox that maps a `w x h` frame into the detector's square input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Letterbox {
    /// Input pixels per frame pixel.
    pub scale: f32,
    /// Left and top padding in input pixels.
    pub offset: (f32, f32),
}

impl Letterbox {
    /// The frame centred in a square of its longer side plus `pad` of that side on
    /// each edge, scaled to the input.
    pub(crate) fn new(w: u32, h: u32, pad: f32) -> Self {
        let scale = INPUT as f32 / (w.max(h) as f32 * (1.0 + 2.0 * pad.max(0.0)));
        Self { scale, offset: ((INPUT as f32 - w as f32 * scale) / 2.0, (INPUT as f32 - h as f32 * scale) / 2.0) }
    }
    /// A point in 0..1 of the input to frame pixels.
    fn to_frame(self, x: f32, y: f32) -> (f32, f32) {
        ((x * INPUT as f32 - self.offset.0) / self.scale, (y * INPUT as f32 - self.offset.1) / self.scale)
    }
}

impl PalmDetector {
    /// Loads `palm_detection_lite.onnx`.
    pub fn load(path: &Path) -> Result<Self, HandsError> {
        Self::load_as(path, PLAN)
    }

    /// [`Self::load`] into a plan of the given form.
    pub fn load_as(path: &Path, form: crate::tract_model::PlanForm) -> Result<Self, HandsError> {
        let plan = load_plan(path, &[1, INPUT, INPUT, 3], form)?;
        Ok(Self {
            plan,
            path: path.to_path_buf(),
            anchors: palm_anchors(),
            min_score: 0.5,
            nms_iou: 0.3,
            input: vec![0.0; INPUT * INPUT * 3],
        })
    }

    /// The detector's input for `img`: letterboxed (black bars, plus `pad` of the
    /// longer side on every edge) and bilinearly resized to 192x192, NHWC, 0..1.
    pub fn input_tensor(&mut self, img: &image::RgbImage, pad: f32) -> &[f32] {
        let lb = Letterbox::new(img.width(), img.height(), pad);
        let xs: [f32; INPUT] = std::array::from_fn(|u| (u as f32 + 0.5 - lb.offset.0) / lb.scale);
        for v in 0..INPUT {
            let ys = [(v as f32 + 0.5 - lb.offset.1) / lb.scale; INPUT];
            sample_row(img, &xs, &ys, &mut self.input[v * INPUT * 3..(v + 1) * INPUT * 3]);
        }
        &self.input
    }

    /// Times every node of the model's plan on an input tensor (`device profile --hands`).
    pub fn profile(&self, input: &[f32], runs: usize) -> Result<Vec<crate::tract_model::NodeTime>, HandsError> {
        let err = |source: anyhow::Error| HandsError::Tract { path: self.path.clone(), stage: "profile the palm detector", source };
        let x = Tensor::from_shape(&[1, INPUT, INPUT, 3], input).map_err(err)?;
        crate::tract_model::profile_plan(&self.plan, &x, runs).map_err(err)
    }

    /// Raw model outputs for an input tensor: boxes `[2016 * 18]` and score logits `[2016]`.
    pub fn run_raw(&self, input: &[f32]) -> Result<(Vec<f32>, Vec<f32>), HandsError> {
        let err = |source: anyhow::Error| HandsError::Tract { path: self.path.clone(), stage: "run the palm detector", source };
        let x = Tensor::from_shape(&[1, INPUT, INPUT, 3], input).map_err(err)?;
        let out = self.plan.run(tvec!(x.into_tvalue())).map_err(err)?;
        if out.len() != 2 {
            return Err(HandsError::Outputs { path: self.path.clone(), problem: format!("{} outputs, expected 2", out.len()) });
        }
        let boxes: Vec<f32> = out[0].to_plain_array_view::<f32>().map_err(err)?.iter().copied().collect();
        let scores: Vec<f32> = out[1].to_plain_array_view::<f32>().map_err(err)?.iter().copied().collect();
        if boxes.len() != self.anchors.len() * VALUES || scores.len() != self.anchors.len() {
            return Err(HandsError::Outputs {
                path: self.path.clone(),
                problem: format!("outputs of {} and {} values, expected {} and {}", boxes.len(), scores.len(), self.anchors.len() * VALUES, self.anchors.len()),
            });
        }
        Ok((boxes, scores))
    }

    /// The palms in `img`, best first.
    pub fn detect(&mut self, img: &image::RgbImage) -> Result<Vec<Palm>, HandsError> {
        self.detect_padded(img, 0.0)
    }

    /// The palms in `img` with a black border of `pad` times its longer side on each
    /// edge: the detector was trained on hands at arm's length and misses one that
    /// fills the picture (half of the ASL letters without it, 5% with 0.5).
    pub fn detect_padded(&mut self, img: &image::RgbImage, pad: f32) -> Result<Vec<Palm>, HandsError> {
        let lb = Letterbox::new(img.width(), img.height(), pad);
        self.input_tensor(img, pad);
        let (boxes, scores) = self.run_raw(&self.input)?;
        Ok(self.decode(&boxes, &scores, lb))
    }

    /// Decodes raw outputs into palms in frame pixels (for a frame letterboxed by `lb`).
    pub(crate) fn decode(&self, boxes: &[f32], scores: &[f32], lb: Letterbox) -> Vec<Palm> {
        let s = INPUT as f32;
        let mut found: Vec<Palm> = Vec::new();
        for (i, (&(ax, ay), &logit)) in self.anchors.iter().zip(scores).enumerate() {
            let score = 1.0 / (1.0 + (-logit.clamp(-100.0, 100.0)).exp());
            if score < self.min_score {
                continue;
            }
            let r = &boxes[i * VALUES..][..VALUES];
            let (cx, cy, w, h) = (ax + r[0] / s, ay + r[1] / s, r[2] / s, r[3] / s);
            let (x0, y0) = lb.to_frame(cx - w / 2.0, cy - h / 2.0);
            let (x1, y1) = lb.to_frame(cx + w / 2.0, cy + h / 2.0);
            let keypoints = std::array::from_fn(|k| {
                let (x, y) = lb.to_frame(ax + r[4 + 2 * k] / s, ay + r[5 + 2 * k] / s);
                Point { x, y, z: 0.0 }
            });
            found.push(Palm { score, bbox: BoxPx { x0, y0, x1, y1 }, keypoints });
        }
        weighted_nms(found, self.nms_iou)
    }
}

/// MediaPipe's weighted non-max suppression: the best remaining box absorbs every box
/// overlapping it by more than `iou`; box and keypoints become their score-weighted
/// mean, the score stays the best's.
pub fn weighted_nms(mut palms: Vec<Palm>, iou: f32) -> Vec<Palm> {
    palms.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while !palms.is_empty() {
        let top = palms[0].bbox;
        let (group, rest): (Vec<Palm>, Vec<Palm>) = palms.into_iter().partition(|p| p.bbox.iou(&top) > iou);
        palms = rest;
        let mut merged = group[0].clone();
        if group.len() > 1 {
            let total: f32 = group.iter().map(|p| p.score).sum();
            let mean = |f: &dyn Fn(&Palm) -> f32| group.iter().map(|p| p.score * f(p)).sum::<f32>() / total;
            merged.bbox = BoxPx { x0: mean(&|p| p.bbox.x0), y0: mean(&|p| p.bbox.y0), x1: mean(&|p| p.bbox.x1), y1: mean(&|p| p.bbox.y1) };
            for k in 0..KEYPOINTS {
                merged.keypoints[k] = Point { x: mean(&|p| p.keypoints[k].x), y: mean(&|p| p.keypoints[k].y), z: 0.0 };
            }
        }
        out.push(merged);
    }
    out
}
