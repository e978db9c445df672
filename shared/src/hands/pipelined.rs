//! The hand tracker with the palm detector on a thread of its own, so that palm
//! detection never stalls a frame with a tracked hand (the live kiosk's hand stage).
//!
//! Each frame, on the caller's thread: the landmark model runs in the crop tracked from
//! the last frame's landmarks. Every `detect_every` frames the frame is handed to the palm
//! thread, unless it is still busy with an earlier one (then nothing is queued: the next
//! due frame goes instead), and its palms come back a few frames later. A palm on the
//! tracked hand keeps the tracked crop ([`super::SAME_HAND`], as MediaPipe associates
//! them); one elsewhere re-anchors the track, so it cannot drift. When the crop holds no
//! hand, the landmark model tries the frame's centred square
//! ([`TrackerConfig::centre_fallback`]).
//!
//! With no hand tracked, finding one is all there is to do: the frame waits for the palm
//! detector, run on that very frame, as in the one-thread tracker, so a hand is found in
//! the first frame it is in however slow the detector is. A frame whose tracked hand is
//! found costs one landmark run and never waits. One where it is lost waits too when the
//! landmark model runs in the caller's thread; with landmark threads the loss is known a
//! frame later, and the frames in flight go without a hand.
//!
//! [`super::HandTracker`] is the same tracker in one thread, detector inline: replays and
//! tests use it, because its result does not depend on how fast the threads run.

use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::thread::JoinHandle;
use std::time::Instant;

use super::tracker::{associate, centre_square, landmarks_in};
use super::{Hand, HandLandmarker, HandTimings, HandsError, PalmDetector, RotatedRect, TrackerConfig, LANDMARK_MODEL, PALM_MODEL};

/// What the palm thread found in one frame.
struct PalmFound {
    /// The best palm's crop and its score (at most one).
    palm: Option<(RotatedRect, f32)>,
    /// Milliseconds the detector took (one or two runs).
    ms: f64,
    /// The frame, handed back so its buffer carries the next one.
    image: image::RgbImage,
}

/// The palm detector's thread and the two hand-offs to and from it (one frame each).
struct PalmThread {
    jobs: Option<SyncSender<image::RgbImage>>,
    results: Receiver<Result<PalmFound, HandsError>>,
    handle: Option<JoinHandle<()>>,
    busy: bool,
    spare: Option<image::RgbImage>,
}

impl PalmThread {
    fn start(mut palm: PalmDetector, config: TrackerConfig) -> std::io::Result<Self> {
        let (jobs, inbox) = mpsc::sync_channel::<image::RgbImage>(1);
        let (outbox, results) = mpsc::sync_channel(1);
        let handle = std::thread::Builder::new().name("palm".into()).spawn(move || {
            for image in inbox {
                let t = Instant::now();
                let found = detect(&mut palm, &config, &image).map(|palm| PalmFound { palm, ms: t.elapsed().as_secs_f64() * 1000.0, image });
                if outbox.send(found).is_err() {
                    return;
                }
            }
        })?;
        Ok(Self { jobs: Some(jobs), results, handle: Some(handle), busy: false, spare: None })
    }

    /// Hands `img` over (a copy, in a recycled buffer).
    fn submit(&mut self, img: &image::RgbImage) -> Result<(), HandsError> {
        let copy = copy_into(self.spare.take(), img);
        let sent = self.jobs.as_ref().is_some_and(|j| j.send(copy).is_ok());
        if !sent {
            return Err(stopped());
        }
        self.busy = true;
        Ok(())
    }

    /// The answer to the frame handed over last, waiting for it.
    fn wait(&mut self) -> Result<PalmFound, HandsError> {
        let found = self.results.recv().map_err(|_| stopped())?;
        self.busy = false;
        found
    }

    /// The palm thread's answer, when it has one.
    fn poll(&mut self) -> Result<Option<PalmFound>, HandsError> {
        if !self.busy {
            return Ok(None);
        }
        match self.results.try_recv() {
            Ok(found) => {
                self.busy = false;
                found.map(Some)
            }
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => Err(stopped()),
        }
    }
}

impl Drop for PalmThread {
    fn drop(&mut self) {
        self.jobs = None;
        while self.results.try_recv().is_ok() {}
        if let Some(h) = self.handle.take() {
            // The thread ends with its channel; a panic there has been reported already.
            let _ = h.join();
        }
    }
}

/// A copy of `img` in `spare`'s buffer (a frame handed back by a thread), or a new one.
fn copy_into(spare: Option<image::RgbImage>, img: &image::RgbImage) -> image::RgbImage {
    let mut raw = spare.map(image::RgbImage::into_raw).unwrap_or_default();
    raw.clear();
    raw.extend_from_slice(img.as_raw());
    image::RgbImage::from_raw(img.width(), img.height(), raw).expect("a buffer of the frame's size")
}

fn stopped() -> HandsError {
    HandsError::Outputs { path: PALM_MODEL.into(), problem: "the palm detector's thread has stopped".into() }
}

/// The best palm of `img`: the configured border first, the wider one when that finds
/// none.
fn detect(palm: &mut PalmDetector, c: &TrackerConfig, img: &image::RgbImage) -> Result<Option<(RotatedRect, f32)>, HandsError> {
    for pad in [Some(c.pad), (c.retry_pad > 0.0).then_some(c.retry_pad)].into_iter().flatten() {
        if let Some(p) = palm.detect_padded(img, pad)?.into_iter().next() {
            return Ok(Some((RotatedRect::from_palm(&p), p.score)));
        }
    }
    Ok(None)
}

/// The crops a frame's landmark step tries, in turn, until one holds a hand.
#[derive(Debug, Clone, Copy)]
struct Crops {
    /// The palm thread's answer: the best palm's crop and score.
    palm: Option<(RotatedRect, f32)>,
    /// The crop tracked from the last landmarks.
    track: Option<RotatedRect>,
    /// The frame's centred square (when nothing else held a hand).
    centre: bool,
}

/// The hand in `img`: the landmark model in each of `crops` in turn; the milliseconds of
/// each run go to `ms`.
fn locate(landmarker: &mut HandLandmarker, config: &TrackerConfig, img: &image::RgbImage, crops: Crops, ms: &mut Vec<f64>) -> Result<Option<Hand>, HandsError> {
    let mut timings = Some(HandTimings::default());
    // A palm on the tracked hand brings the tracked crop itself: tried once.
    let track = crops.track.filter(|t| crops.palm.is_none_or(|(p, _)| p != *t));
    let order = [crops.palm.map(|(r, s)| (r, Some(s))), track.map(|r| (r, None)), crops.centre.then(|| (centre_square(img), None))];
    let mut hand = None;
    for (rect, score) in order.into_iter().flatten() {
        hand = landmarks_in(landmarker, config, &mut timings, img, rect, score)?;
        if hand.is_some() {
            break;
        }
    }
    ms.extend(timings.map(|t| t.landmark_ms).unwrap_or_default());
    Ok(hand)
}

/// A landmark step's answer: the frame's number, its hand and run times, and the frame
/// handed back for the next job.
type Located = (u64, Result<(Option<Hand>, Vec<f64>), HandsError>, image::RgbImage, Crops);

/// Landmark threads, each with its own copy of the model, taking frames in turn: while
/// one works on a frame the next frame goes to another, so frames overlap across cores.
/// Answers come back in frame order, one frame (per extra thread) late.
struct LandmarkPool {
    jobs: Vec<SyncSender<(u64, image::RgbImage, Crops)>>,
    results: Receiver<Located>,
    handles: Vec<JoinHandle<()>>,
    sent: u64,
    taken: u64,
    early: std::collections::BTreeMap<u64, Located>,
    spare: Vec<image::RgbImage>,
}

impl LandmarkPool {
    fn start(dir: &std::path::Path, config: TrackerConfig, threads: usize) -> Result<Self, HandsError> {
        let (outbox, results) = mpsc::channel::<Located>();
        let (mut jobs, mut handles) = (Vec::new(), Vec::new());
        for i in 0..threads {
            let mut landmarker = HandLandmarker::load_as(&dir.join(LANDMARK_MODEL), config.plan.unwrap_or(super::landmarks::PLAN))?;
            let (tx, inbox) = mpsc::sync_channel::<(u64, image::RgbImage, Crops)>(1);
            let outbox = outbox.clone();
            let handle = std::thread::Builder::new()
                .name(format!("landmarks-{i}"))
                .spawn(move || {
                    for (n, image, crops) in inbox {
                        let mut ms = Vec::new();
                        let hand = locate(&mut landmarker, &config, &image, crops, &mut ms).map(|h| (h, ms));
                        if outbox.send((n, hand, image, crops)).is_err() {
                            return;
                        }
                    }
                })
                .map_err(|e| HandsError::Outputs { path: dir.join(LANDMARK_MODEL), problem: format!("cannot start a landmark thread: {e}") })?;
            jobs.push(tx);
            handles.push(handle);
        }
        Ok(Self { jobs, results, handles, sent: 0, taken: 0, early: Default::default(), spare: Vec::new() })
    }

    /// Frames handed over and not answered yet.
    fn in_flight(&self) -> usize {
        (self.sent - self.taken) as usize
    }

    /// Hands a copy of `img` to the next thread in turn.
    fn submit(&mut self, img: &image::RgbImage, crops: Crops) -> Result<(), HandsError> {
        let copy = copy_into(self.spare.pop(), img);
        let worker = (self.sent % self.jobs.len() as u64) as usize;
        self.jobs[worker].send((self.sent, copy, crops)).map_err(|_| landmarks_stopped())?;
        self.sent += 1;
        Ok(())
    }

    /// The answer for the oldest frame in flight and the crops it was handed over with,
    /// waiting for it.
    fn take(&mut self) -> Result<(Option<Hand>, Vec<f64>, Crops), HandsError> {
        let want = self.taken;
        let (_, answer, image, crops) = loop {
            if let Some(done) = self.early.remove(&want) {
                break done;
            }
            let done = self.results.recv().map_err(|_| landmarks_stopped())?;
            if done.0 == want {
                break done;
            }
            self.early.insert(done.0, done);
        };
        self.taken += 1;
        self.spare.push(image);
        answer.map(|(hand, ms)| (hand, ms, crops))
    }
}

impl Drop for LandmarkPool {
    fn drop(&mut self) {
        self.jobs.clear();
        while self.results.try_recv().is_ok() {}
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

fn landmarks_stopped() -> HandsError {
    HandsError::Outputs { path: LANDMARK_MODEL.into(), problem: "a landmark thread has stopped".into() }
}

/// Where the landmark model runs: in the caller's thread, or in a pool of threads.
enum LandmarkStage {
    Inline(HandLandmarker),
    Pool(LandmarkPool),
}

/// The tracker with its palm detector on its own thread (see the module's doc).
pub struct PipelinedTracker {
    landmarks: LandmarkStage,
    config: TrackerConfig,
    palm: PalmThread,
    track: Option<RotatedRect>,
    /// The hand of the last answer.
    last: Option<Hand>,
    since_detect: usize,
    /// When set, the milliseconds of every palm-detector run (timed on its thread) and
    /// landmark-model run, for benchmarks.
    pub timings: Option<HandTimings>,
    /// Milliseconds the palm thread has worked in all (how busy it is).
    pub palm_busy_ms: f64,
}

impl std::fmt::Debug for PipelinedTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelinedTracker").field("config", &self.config).field("palm_busy", &self.palm.busy).finish()
    }
}

impl PipelinedTracker {
    /// Loads both models from MediaPipe's models folder and starts the palm thread; with
    /// `landmark_threads` above 1, that many landmark threads too (frames overlap: each
    /// answer comes `landmark_threads - 1` frames late), else the landmark model runs in
    /// the caller's thread.
    pub fn load(dir: &std::path::Path, config: TrackerConfig, landmark_threads: usize) -> Result<Self, HandsError> {
        let mut palm = PalmDetector::load_as(&dir.join(PALM_MODEL), config.plan.unwrap_or(super::palm::PLAN))?;
        palm.min_score = config.min_palm_score;
        let landmarks = if landmark_threads > 1 {
            LandmarkStage::Pool(LandmarkPool::start(dir, config, landmark_threads)?)
        } else {
            LandmarkStage::Inline(HandLandmarker::load_as(&dir.join(LANDMARK_MODEL), config.plan.unwrap_or(super::landmarks::PLAN))?)
        };
        let palm = PalmThread::start(palm, config).map_err(|e| HandsError::Outputs {
            path: dir.join(PALM_MODEL),
            problem: format!("cannot start the palm detector's thread: {e}"),
        })?;
        Ok(Self { landmarks, config, palm, track: None, last: None, since_detect: 0, timings: None, palm_busy_ms: 0.0 })
    }

    /// The hand in the next frame of a video (see the module's doc). Waits for the palm
    /// detector only when no hand is tracked. With landmark threads, the answer is the
    /// hand of an earlier frame (`None` until the first answer).
    pub fn track(&mut self, img: &image::RgbImage) -> Result<Option<Hand>, HandsError> {
        // With a hand tracked, the palm thread's answer is used when it has one. With
        // none, finding one is all there is to do: the frame waits for the palm detector,
        // run on this very frame (as the one-thread tracker does), unless an answer it was
        // already working on holds a palm.
        let mut detected_here = false;
        let palm = match self.palm.poll()? {
            Some(found) => self.received(found),
            None if self.track.is_none() => {
                detected_here = true;
                self.detect_now(img)?
            }
            None => None,
        };
        // A palm on the tracked hand keeps the tracked crop (see [`super::SAME_HAND`]).
        let palm = palm.map(|(rect, score)| (associate(rect, self.track), score));
        // The centred square is tried when the palm's and the tracked crop hold no hand:
        // a fist the palm detector scores low, held where the kiosk frames it (the
        // one-thread tracker tries it after its palm detection fails).
        let crops = Crops { palm, track: self.track, centre: self.config.centre_fallback };
        let mut ms = Vec::new();
        let (mut hand, answer, tried) = match &mut self.landmarks {
            LandmarkStage::Inline(landmarker) => (locate(landmarker, &self.config, img, crops, &mut ms)?, true, crops),
            LandmarkStage::Pool(pool) => {
                pool.submit(img, crops)?;
                if pool.in_flight() < pool.jobs.len() {
                    (None, false, crops)
                } else {
                    let (hand, took, tried) = pool.take()?;
                    ms = took;
                    (hand, true, tried)
                }
            }
        };
        // In the caller's thread, a tracked hand lost in this frame is looked for in this
        // very frame, as the one-thread tracker does: the frame waits for the palm detector.
        if let LandmarkStage::Inline(_) = self.landmarks
            && hand.is_none()
            && crops.track.is_some()
            && !detected_here
        {
            detected_here = true;
            if let Some(palm) = self.detect_now(img)?
                && let LandmarkStage::Inline(landmarker) = &mut self.landmarks
            {
                hand = locate(landmarker, &self.config, img, Crops { palm: Some(palm), track: None, centre: false }, &mut ms)?;
            }
        }
        // With landmark threads, a frame is handed over before the answers of the frames
        // in flight are known: one handed over with no crop but the centred square,
        // before an answer found the hand, says nothing about that hand. The track stays
        // and the frame gets the hand of the frame before; else a hand held away from the
        // centre would be lost every other frame, the track's every answer clearing it.
        let stale = self.track.is_some() && tried.palm.is_none() && tried.track.is_none();
        let untried = answer && hand.is_none() && (ms.is_empty() || stale);
        let hand = if untried { self.last.clone() } else { hand };
        if answer && !untried {
            self.track = hand.as_ref().map(|h| RotatedRect::from_landmarks(&h.landmarks.points));
        }
        if answer {
            self.last.clone_from(&hand);
        }
        if let Some(tm) = &mut self.timings {
            tm.landmark_ms.extend(ms);
        }
        self.since_detect += 1;
        if !detected_here && !self.palm.busy && (self.track.is_none() || self.since_detect >= self.config.detect_every.max(1)) {
            self.palm.submit(img)?;
            self.since_detect = 0;
        }
        Ok(hand)
    }

    /// The best palm for `img`, waited for: the answer the palm thread is working on when
    /// it holds one (a frame or two older), else this frame's.
    fn detect_now(&mut self, img: &image::RgbImage) -> Result<Option<(RotatedRect, f32)>, HandsError> {
        if self.palm.busy {
            let found = self.palm.wait()?;
            if let Some(palm) = self.received(found) {
                return Ok(Some(palm));
            }
        }
        self.palm.submit(img)?;
        let found = self.palm.wait()?;
        self.since_detect = 0;
        Ok(self.received(found))
    }

    /// Counts a palm-thread answer in and returns its best palm.
    fn received(&mut self, found: PalmFound) -> Option<(RotatedRect, f32)> {
        self.palm_busy_ms += found.ms;
        if let Some(tm) = &mut self.timings {
            tm.palm_ms.push(found.ms);
        }
        self.palm.spare = Some(found.image);
        found.palm
    }

    /// How many frames late each answer is: one per landmark thread beyond the first.
    pub fn lag(&self) -> usize {
        match &self.landmarks {
            LandmarkStage::Inline(_) => 0,
            LandmarkStage::Pool(pool) => pool.jobs.len() - 1,
        }
    }

    /// Whether the palm thread is working on a frame.
    pub fn detecting(&self) -> bool {
        self.palm.busy
    }

    /// Forgets the tracked hand (the palm detector's next answer decides).
    pub fn reset(&mut self) {
        self.track = None;
        self.last = None;
    }
}
