//! Palm detection every `detect_every` frames, landmark tracking in between: the crop
//! of the next frame comes from this frame's landmarks, and the detector runs again
//! when the hand is lost.

use std::path::Path;

use super::{BoxPx, HandLandmarker, HandsError, Landmarks, PalmDetector, RotatedRect, LANDMARK_MODEL, PALM_MODEL};

/// How the tracker runs.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrackerConfig {
    /// Run the palm detector at least every this many frames (1 = every frame).
    pub detect_every: usize,
    /// Lowest landmark-model presence that counts as a hand.
    pub min_presence: f32,
    /// Lowest palm score whose crop goes to the landmark model, which then decides by
    /// its presence score. Below MediaPipe's 0.5: the palm detector scores fists (ASL
    /// A, E, M, N, S, T) low while the landmark model is sure of them.
    pub min_palm_score: f32,
    /// Border around the frame for the palm detector, as a fraction of its longer side.
    pub pad: f32,
    /// A second, wider border to try when the first finds no hand (0 = no retry).
    pub retry_pad: f32,
    /// When the detector finds no hand, ask the landmark model about the centred square
    /// of the frame (a kiosk frames the signer's hand there).
    pub centre_fallback: bool,
    /// How tract's plans of both models are built (`None`: each model's own measured
    /// best, [`crate::hands::palm::PLAN`] and [`crate::hands::landmarks::PLAN`]).
    pub plan: Option<crate::tract_model::PlanForm>,
    /// Extra landmark passes of [`HandTracker::find`] on a still picture, each in the
    /// crop made from the last pass's landmarks: what the kiosk's tracking does over
    /// the frames of a held hand, so stills read as the kiosk reads them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub settle: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            detect_every: 10,
            min_presence: 0.5,
            min_palm_score: 0.1,
            pad: 0.5,
            retry_pad: 1.0,
            centre_fallback: true,
            plan: None,
            settle: SETTLE,
        }
    }
}

/// [`TrackerConfig::settle`]'s default.
pub const SETTLE: usize = 1;

/// A hand found in a frame.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hand {
    /// The box around the 21 points.
    pub bbox: BoxPx,
    /// Landmarks, presence and handedness.
    pub landmarks: Landmarks,
    /// The crop the landmarks were found in.
    pub rect: RotatedRect,
    /// The palm detector's score when it ran on this frame.
    pub palm_score: Option<f32>,
}

/// The centred square of the frame's longer side: where a kiosk frames the signer's
/// hand, asked about when the palm detector finds none.
pub(crate) fn centre_square(img: &image::RgbImage) -> RotatedRect {
    let side = img.width().max(img.height()) as f32;
    RotatedRect { cx: img.width() as f32 / 2.0, cy: img.height() as f32 / 2.0, w: side, h: side, rotation: 0.0 }
}

/// The overlap ([`RotatedRect::overlap`]) above which a palm's crop and the tracked crop
/// are taken for the same hand, and the tracked crop is kept (MediaPipe's
/// `min_similarity_threshold`): re-cropping a still hand at the palm's cut moves its
/// landmarks by a tenth of a hand, which the motion reader takes for a double letter.
pub const SAME_HAND: f32 = 0.5;

/// The crop the landmark model runs in after the palm detector found `palm`: the
/// tracked crop when both are the same hand, else the palm's.
pub(crate) fn associate(palm: RotatedRect, track: Option<RotatedRect>) -> RotatedRect {
    track.filter(|t| t.overlap(&palm) >= SAME_HAND).unwrap_or(palm)
}

/// Palm detector and landmark model together.
#[derive(Debug)]
pub struct HandTracker {
    /// The palm detector.
    pub palm: PalmDetector,
    /// The landmark model.
    pub landmarker: HandLandmarker,
    /// Settings.
    pub config: TrackerConfig,
    /// When set, the milliseconds of every palm-detector and landmark-model run
    /// (preprocessing included) are kept here, for benchmarks.
    pub timings: Option<HandTimings>,
    track: Option<RotatedRect>,
    since_detect: usize,
}

/// Milliseconds per model run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HandTimings {
    /// Palm detector runs.
    pub palm_ms: Vec<f64>,
    /// Landmark model runs.
    pub landmark_ms: Vec<f64>,
}

impl HandTracker {
    /// Loads both models from MediaPipe's models folder (`../shared/models/mediapipe`
    /// or where the .deb installs them).
    pub fn load(dir: &Path, config: TrackerConfig) -> Result<Self, HandsError> {
        let mut palm = PalmDetector::load_as(&dir.join(PALM_MODEL), config.plan.unwrap_or(super::palm::PLAN))?;
        palm.min_score = config.min_palm_score;
        Ok(Self {
            palm,
            landmarker: HandLandmarker::load_as(&dir.join(LANDMARK_MODEL), config.plan.unwrap_or(super::landmarks::PLAN))?,
            config,
            timings: None,
            track: None,
            since_detect: 0,
        })
    }

    /// Finds the best hand in one picture, without tracking: palm detection (with the
    /// configured border, then the wider one), landmarks in the best palm's crop, and
    /// the centred square when no palm's crop holds a hand.
    pub fn find(&mut self, img: &image::RgbImage) -> Result<Option<Hand>, HandsError> {
        let mut hand = self.find_near(img, None)?;
        for _ in 0..self.config.settle {
            let Some(last) = &hand else { break };
            let Some(next) = self.landmarks_in(img, RotatedRect::from_landmarks(&last.landmarks.points), None)? else { break };
            hand = Some(Hand { palm_score: last.palm_score, ..next });
        }
        Ok(hand)
    }

    /// [`Self::find`] with the hand tracked so far: a palm on it keeps the tracked crop
    /// ([`associate`]), and the tracked crop is tried before the centred square.
    fn find_near(&mut self, img: &image::RgbImage, track: Option<RotatedRect>) -> Result<Option<Hand>, HandsError> {
        let c = self.config;
        let mut track_tried = false;
        for pad in [Some(c.pad), (c.retry_pad > 0.0).then_some(c.retry_pad)].into_iter().flatten() {
            let t = std::time::Instant::now();
            let palms = self.palm.detect_padded(img, pad)?;
            if let Some(tm) = &mut self.timings {
                tm.palm_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            if let Some(palm) = palms.into_iter().next() {
                let rect = associate(RotatedRect::from_palm(&palm), track);
                if Some(rect) == track && std::mem::replace(&mut track_tried, true) {
                    continue;
                }
                if let Some(hand) = self.landmarks_in(img, rect, Some(palm.score))? {
                    return Ok(Some(hand));
                }
            }
        }
        if let Some(rect) = track.filter(|_| !track_tried)
            && let Some(hand) = self.landmarks_in(img, rect, None)?
        {
            return Ok(Some(hand));
        }
        if c.centre_fallback {
            return self.landmarks_in(img, centre_square(img), None);
        }
        Ok(None)
    }

    /// The hand in the next frame of a video: tracks from the last frame's landmarks and
    /// runs the detector every `detect_every` frames or when the hand is lost.
    pub fn track(&mut self, img: &image::RgbImage) -> Result<Option<Hand>, HandsError> {
        let due = self.since_detect + 1 >= self.config.detect_every.max(1);
        if let (Some(rect), false) = (self.track, due) {
            self.since_detect += 1;
            if let Some(hand) = self.landmarks_in(img, rect, None)? {
                self.track = Some(RotatedRect::from_landmarks(&hand.landmarks.points));
                return Ok(Some(hand));
            }
        }
        self.since_detect = 0;
        let hand = self.find_near(img, self.track)?;
        self.track = hand.as_ref().map(|h| RotatedRect::from_landmarks(&h.landmarks.points));
        Ok(hand)
    }

    /// Forgets the tracked hand (the next frame runs the detector).
    pub fn reset(&mut self) {
        self.track = None;
    }

    fn landmarks_in(&mut self, img: &image::RgbImage, rect: RotatedRect, palm_score: Option<f32>) -> Result<Option<Hand>, HandsError> {
        landmarks_in(&mut self.landmarker, &self.config, &mut self.timings, img, rect, palm_score)
    }
}

/// The hand in `rect` of `img`, when the landmark model is sure enough of it (both
/// trackers' landmark step; the run's milliseconds go to `timings` when set).
pub(crate) fn landmarks_in(
    landmarker: &mut HandLandmarker,
    config: &TrackerConfig,
    timings: &mut Option<HandTimings>,
    img: &image::RgbImage,
    rect: RotatedRect,
    palm_score: Option<f32>,
) -> Result<Option<Hand>, HandsError> {
    let t = std::time::Instant::now();
    let landmarks = landmarker.run(img, &rect)?;
    if let Some(tm) = timings {
        tm.landmark_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    if landmarks.presence < config.min_presence {
        return Ok(None);
    }
    Ok(Some(Hand { bbox: BoxPx::around(&landmarks.points), landmarks, rect, palm_score }))
}
