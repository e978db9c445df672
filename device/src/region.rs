//! Where the hand is in a frame: a fixed guide box that the screen shows and the user
//! puts their hand in ([`GuideBox`]), or a box that follows the hand, found by
//! MediaPipe's palm detector and landmark model ([`HandsRegion`], `[region.hands]` in
//! the kiosk config). Both are [`HandRegion`]s; [`for_model`] and [`from_config`] pick
//! one for a kiosk. A stage that fails on a frame says so ([`HandRegion::locate`]
//! returns the error) and the kiosk decides what to do with it.

use std::path::PathBuf;

use serde::Deserialize;
use shared::hands::{Hand, HandTimings, HandTracker, HandsError, PipelinedTracker, TrackerConfig};
use shared::{Frame, Roi};

/// Finds the region of a frame the classifier looks at.
pub trait HandRegion: std::fmt::Debug {
    /// The region for `frame`, or `None` when there is no hand to classify; an error
    /// when the stage could not look (the frame could not be converted, a hand model
    /// failed). After an error the stage has no landmarks for the frame.
    fn locate(&mut self, frame: &Frame<'_>) -> anyhow::Result<Option<Roi>>;

    /// The hand's 21 landmarks in the last located frame, when the stage finds them.
    fn landmarks(&self) -> Option<&[shared::hands::Point; 21]> {
        None
    }

    /// Whether this stage finds landmarks at all (landmark-mask models need one that
    /// does).
    fn finds_landmarks(&self) -> bool {
        false
    }

    /// How many frames late its answers are (landmark threads take frames in turn): the
    /// kiosk times a letter's latency from the frame the hand was found in.
    fn lag(&self) -> usize {
        0
    }

    /// The hand models' timings since [`HandRegion::restart_hand_stats`] and the frames
    /// in which a hand was found (`device bench`); `None` for a stage without them.
    fn hand_stats(&self) -> Option<(shared::hands::HandTimings, u64)> {
        None
    }

    /// Zeroes the counts and starts timing the hand models (after a warm-up).
    fn restart_hand_stats(&mut self) {}
}

impl<H: HandRegion + ?Sized> HandRegion for Box<H> {
    fn locate(&mut self, frame: &Frame<'_>) -> anyhow::Result<Option<Roi>> {
        (**self).locate(frame)
    }
    fn landmarks(&self) -> Option<&[shared::hands::Point; 21]> {
        (**self).landmarks()
    }
    fn finds_landmarks(&self) -> bool {
        (**self).finds_landmarks()
    }
    fn lag(&self) -> usize {
        (**self).lag()
    }
    fn hand_stats(&self) -> Option<(shared::hands::HandTimings, u64)> {
        (**self).hand_stats()
    }
    fn restart_hand_stats(&mut self) {
        (**self).restart_hand_stats()
    }
}

/// A fixed box given as fractions of the frame (`[region]` in the kiosk config).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GuideBox {
    /// Side of a centred square, as a fraction of the frame's shorter side; used when
    /// `rect` is not given.
    pub square: f32,
    /// `[x, y, width, height]` as fractions of the frame's width and height.
    pub rect: Option<[f32; 4]>,
    /// Follow the hand with MediaPipe instead (`[region.hands]`).
    pub hands: Option<HandsConfig>,
    /// Run the palm detector on a thread of its own, so that it never stalls a frame
    /// ([`PipelinedTracker`]): set by `[engine] pipelined` for the camera kiosk; off for
    /// replays, whose results then do not depend on how fast the threads run.
    #[serde(skip)]
    pub palm_thread: bool,
    /// With `palm_thread`: landmark threads taking frames in turn (frames overlap across
    /// cores; each answer comes a frame late per extra thread); 1 runs the landmark model
    /// in the kiosk's thread. Set by `[engine] landmark_threads`.
    #[serde(skip)]
    pub landmark_threads: usize,
}

impl Default for GuideBox {
    fn default() -> Self {
        Self { square: 1.0, rect: None, hands: None, palm_thread: false, landmark_threads: 1 }
    }
}

/// `[region.hands]`: find the hand in every frame with MediaPipe.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HandsConfig {
    /// Folder with `palm_detection_lite.onnx` and `hand_landmark_lite.onnx` (relative
    /// to the config file).
    pub models: PathBuf,
    /// Run the palm detector every N frames, tracking landmarks in between.
    #[serde(default = "default_detect_every")]
    pub detect_every: usize,
    /// Border added around the hand's box on each side, as a fraction of its longer
    /// side (the classifiers were trained on pictures with room around the hand).
    #[serde(default = "default_margin")]
    pub margin: f32,
    /// How tract's plans are built (`None`: each model's measured best; `device bench
    /// --plan` compares others).
    #[serde(skip)]
    pub plan: Option<shared::tract_model::PlanForm>,
}

fn default_detect_every() -> usize {
    TrackerConfig::default().detect_every
}

fn default_margin() -> f32 {
    0.25
}

impl GuideBox {
    /// Checks the fractions.
    pub fn validate(&self) -> Result<(), String> {
        let ok = |v: f32| v.is_finite() && (0.0..=1.0).contains(&v);
        if !(ok(self.square) && self.square > 0.0) {
            return Err(format!("region.square {} is not in (0, 1]", self.square));
        }
        if let Some(h) = &self.hands
            && (h.detect_every == 0 || !(h.margin.is_finite() && (0.0..=2.0).contains(&h.margin)))
        {
            return Err(format!("region.hands: detect_every {} must be at least 1, margin {} in 0..2", h.detect_every, h.margin));
        }
        if let Some([x, y, w, h]) = self.rect
            && !(ok(x) && ok(y) && ok(w) && ok(h) && w > 0.0 && h > 0.0 && x + w <= 1.0 + 1e-6 && y + h <= 1.0 + 1e-6)
        {
            return Err(format!("region.rect {:?} does not lie inside the frame", [x, y, w, h]));
        }
        Ok(())
    }

    /// The box in pixels for a `width x height` frame (at least one pixel, inside).
    pub fn roi(&self, width: u32, height: u32) -> Roi {
        let (fw, fh) = (width as f32, height as f32);
        let (x, y, w, h) = match self.rect {
            Some([x, y, w, h]) => (x * fw, y * fh, w * fw, h * fh),
            None => {
                let side = self.square * fw.min(fh);
                ((fw - side) / 2.0, (fh - side) / 2.0, side, side)
            }
        };
        let x = (x.round() as u32).min(width - 1);
        let y = (y.round() as u32).min(height - 1);
        let w = (w.round() as u32).clamp(1, width - x);
        let h = (h.round() as u32).clamp(1, height - y);
        Roi::new(x, y, w, h)
    }
}

impl HandRegion for GuideBox {
    fn locate(&mut self, frame: &Frame<'_>) -> anyhow::Result<Option<Roi>> {
        Ok(Some(self.roi(frame.width, frame.height)))
    }
}

/// The hand tracker of a [`HandsRegion`]: the palm detector inline, or on its own thread.
#[derive(Debug)]
pub enum Tracker {
    /// Palm detection in the frame that is due (one thread; replays and tests).
    Inline(HandTracker),
    /// Palm detection on its own thread, never stalling a frame (the live kiosk).
    PalmThread(PipelinedTracker),
}

impl Tracker {
    /// The hand in the next frame.
    pub fn track(&mut self, img: &image::RgbImage) -> Result<Option<Hand>, HandsError> {
        match self {
            Tracker::Inline(t) => t.track(img),
            Tracker::PalmThread(t) => t.track(img),
        }
    }

    /// Forgets the tracked hand.
    pub fn reset(&mut self) {
        match self {
            Tracker::Inline(t) => t.reset(),
            Tracker::PalmThread(t) => t.reset(),
        }
    }

    /// The hand models' timings, when kept.
    pub fn timings_mut(&mut self) -> &mut Option<HandTimings> {
        match self {
            Tracker::Inline(t) => &mut t.timings,
            Tracker::PalmThread(t) => &mut t.timings,
        }
    }

    /// The hand models' timings, when kept.
    pub fn timings(&self) -> Option<&HandTimings> {
        match self {
            Tracker::Inline(t) => t.timings.as_ref(),
            Tracker::PalmThread(t) => t.timings.as_ref(),
        }
    }
}

/// A box that follows the hand: MediaPipe palm detection every `detect_every` frames,
/// landmark tracking in between; the box around the 21 points plus a margin, made
/// square and kept inside the frame. No hand: no box (the classifier sees the frame).
#[derive(Debug)]
pub struct HandsRegion {
    /// Palm detector and landmark model.
    pub tracker: Tracker,
    margin: f32,
    rgb: Vec<u8>,
    /// The hand found in the last frame (the screen draws its landmarks).
    pub last: Option<Hand>,
    /// Frames located, and frames in which a hand was found.
    pub counts: (u64, u64),
}

impl HandsRegion {
    /// Loads MediaPipe's models as `config` says, the palm detector on its own thread
    /// when `palm_thread`, with `landmark_threads` landmark threads then.
    pub fn load(config: &HandsConfig, palm_thread: bool, landmark_threads: usize) -> Result<Self, HandsError> {
        let tc = TrackerConfig { detect_every: config.detect_every, plan: config.plan, ..TrackerConfig::default() };
        let tracker = if palm_thread {
            Tracker::PalmThread(PipelinedTracker::load(&config.models, tc, landmark_threads)?)
        } else {
            Tracker::Inline(HandTracker::load(&config.models, tc)?)
        };
        Ok(Self { tracker, margin: config.margin, rgb: Vec::new(), last: None, counts: (0, 0) })
    }

    /// The square around `hand` for a `width x height` frame.
    pub fn roi_for(&self, hand: &Hand, width: u32, height: u32) -> Roi {
        let b = hand.bbox;
        let side = (b.width().max(b.height()) * (1.0 + 2.0 * self.margin)).min(width.min(height) as f32).max(1.0);
        let x = ((b.x0 + b.x1) / 2.0 - side / 2.0).clamp(0.0, width as f32 - side);
        let y = ((b.y0 + b.y1) / 2.0 - side / 2.0).clamp(0.0, height as f32 - side);
        let (x, y, s) = (x.round() as u32, y.round() as u32, side.round() as u32);
        Roi::new(x.min(width - 1), y.min(height - 1), s.clamp(1, width - x.min(width - 1)), s.clamp(1, height - y.min(height - 1)))
    }
}

impl HandRegion for HandsRegion {
    fn locate(&mut self, frame: &Frame<'_>) -> anyhow::Result<Option<Roi>> {
        use anyhow::Context;
        self.last = None;
        frame.to_rgb(&mut self.rgb).context("hand region")?;
        let Some(img) = image::RgbImage::from_raw(frame.width, frame.height, std::mem::take(&mut self.rgb)) else {
            return Ok(None);
        };
        let found = self.tracker.track(&img);
        self.rgb = img.into_raw();
        self.counts.0 += 1;
        self.last = found.context("hand region")?;
        self.counts.1 += u64::from(self.last.is_some());
        Ok(self.last.as_ref().map(|h| self.roi_for(h, frame.width, frame.height)))
    }

    fn landmarks(&self) -> Option<&[shared::hands::Point; 21]> {
        self.last.as_ref().map(|h| &h.landmarks.points)
    }

    fn finds_landmarks(&self) -> bool {
        true
    }

    fn lag(&self) -> usize {
        match &self.tracker {
            Tracker::Inline(_) => 0,
            Tracker::PalmThread(t) => t.lag(),
        }
    }

    fn hand_stats(&self) -> Option<(shared::hands::HandTimings, u64)> {
        Some((self.tracker.timings().cloned().unwrap_or_default(), self.counts.1))
    }

    fn restart_hand_stats(&mut self) {
        *self.tracker.timings_mut() = Some(Default::default());
        self.counts = (0, 0);
    }
}

/// The stage for `config`: the hand follower when `[region.hands]` is given, else the
/// guide box.
pub fn from_config(config: &GuideBox) -> Result<Box<dyn HandRegion>, HandsError> {
    Ok(match &config.hands {
        Some(h) => Box::new(HandsRegion::load(h, config.palm_thread, config.landmark_threads)?),
        None => Box::new(config.clone()),
    })
}

/// The stage `config` describes, for a model that `wants_landmarks` (a landmark-mask
/// or landmark-feature model): such a model gets the hand follower even where the
/// config has only the guide box, with MediaPipe's models from `default_models`.
pub fn for_model(config: &GuideBox, wants_landmarks: bool, default_models: Option<PathBuf>) -> anyhow::Result<Box<dyn HandRegion>> {
    use anyhow::Context;
    if !wants_landmarks || config.hands.is_some() {
        return Ok(from_config(config)?);
    }
    let models = default_models.context(
        "the model reads hand landmarks (landmark masks or features) and needs MediaPipe's hand models: set [region.hands] models = DIR",
    )?;
    let hands = HandsConfig { models, detect_every: default_detect_every(), margin: default_margin(), plan: None };
    from_config(&GuideBox { hands: Some(hands), ..config.clone() })
        .context("the model reads hand landmarks (landmark masks or features) and needs MediaPipe's hand models")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centred_square_in_a_wide_frame() {
        let g = GuideBox { square: 0.75, ..GuideBox::default() };
        assert_eq!(g.roi(640, 480), Roi::new(140, 60, 360, 360));
        assert_eq!(GuideBox::default().roi(200, 200), Roi::full(200, 200));
    }

    #[test]
    fn rect_stays_inside() {
        let g = GuideBox { rect: Some([0.5, 0.5, 0.5, 0.5]), ..GuideBox::default() };
        assert!(g.validate().is_ok());
        let r = g.roi(101, 99);
        assert!(r.x + r.width <= 101 && r.y + r.height <= 99);
        assert!(GuideBox { rect: Some([0.6, 0.0, 0.5, 1.0]), ..GuideBox::default() }.validate().is_err());
        assert!(GuideBox { square: 0.0, ..GuideBox::default() }.validate().is_err());
    }
}
