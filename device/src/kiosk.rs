//! The kiosk loop: source -> hand region -> preprocess -> inference -> decode -> draw
//! -> panel, with the camera's loss and return handled on screen.
//!
//! The loop only sees traits ([`FrameSource`], [`HandRegion`], [`Panel`]), so tests run
//! it with replayed images, injected faults and an in-memory screen.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use shared::{ClassKind, PixelFormat};

use crate::collect::Collector;
use crate::config::RecoveryConfig;
use crate::controls::Action;
use crate::decode::{Decoder, Edit, Speller, WordDecoder};
use crate::display::{FrameBuffer, Panel};
use crate::engine::Engine;
use crate::model_switch::{Loaded, ModelSwitcher};
use crate::region::HandRegion;
use crate::speech::{self, Silent, Speaker};
use crate::source::{FrameSource, SourceError};
use crate::timing::{Stage, Timings};
use crate::ui::{self, Preview, View};

/// How long a model switch or refusal stays on screen.
const NOTICE_FOR: Duration = Duration::from_secs(3);

/// How much the Right and Left keys raise or lower the confidence threshold.
pub const THRESHOLD_STEP: f32 = 0.05;

/// Edits a run keeps at least (see [`RunSummary::edits`]).
pub const EDITS_KEPT: usize = 4096;

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The stop flag was set (SIGTERM, SIGINT).
    Stopped,
    /// The replay ran out of frames.
    Finished,
    /// The frame limit was reached.
    FrameLimit,
    /// Collection mode has every sample (or stopped on a write error).
    Collected,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// Why it ended.
    pub ended: Ended,
    /// Frames classified.
    pub frames: u64,
    /// Frames dropped (bad frames, stalls).
    pub dropped: u64,
    /// Times the camera was lost.
    pub lost: u64,
    /// Screens the panel refused (the loop goes on; the next screen tries again).
    pub display_errors: u64,
    /// Frames on which the hand-region stage failed (logged; classified without a box).
    pub region_errors: u64,
    /// The spelled text.
    pub text: String,
    /// The committed edits, in order: all of them up to [`EDITS_KEPT`], then at least the
    /// last [`EDITS_KEPT`] (a kiosk runs for months).
    pub edits: Vec<Edit>,
    /// Edits committed in all.
    pub committed: u64,
}

/// The kiosk: owns every stage.
pub struct Kiosk<S, R, P> {
    /// Frames in.
    source: S,
    /// The guide box or hand detector.
    region: R,
    /// The model.
    engine: Engine,
    /// Letters.
    decoder: Decoder,
    /// Movements (J, Z, double letters) and the lexicon's word proposals.
    speller: Speller,
    /// Screens out.
    panel: P,
    /// Lost-camera backoff.
    recovery: RecoveryConfig,
    /// Set to stop the loop (signal handlers set it).
    stop: Arc<AtomicBool>,
    /// Stage timings of every classified frame.
    timings: Timings,
    /// Stop after this many classified frames.
    max_frames: Option<u64>,
    /// Model inputs kept for `device bench --save-inputs`: (frames to keep, their
    /// tensors one after another).
    kept_inputs: Option<(usize, Vec<f32>)>,
    /// When the first frame was pushed to the panel (startup time).
    first_frame_at: Option<Instant>,
    /// Speaks each completed word (silent unless set).
    speaker: Box<dyn Speaker + Send>,
    /// Button presses ([`crate::controls`]), applied before each frame.
    controls: Option<Receiver<Action>>,
    /// Collection mode: prompts letters and records the hand region.
    collector: Option<Collector>,
    /// Other models (the mode button) and the watch on the config and model files.
    models: Option<ModelSwitcher>,
    /// A message shown for a few seconds (model switched or refused).
    notice: Option<(String, Instant)>,
    screen: FrameBuffer,
    /// When the last few frames were read (latency with a region that answers late).
    recent_reads: std::collections::VecDeque<Instant>,
    preview: Vec<u8>,
    fps: f32,
    display_failures: u64,
}

impl<S: FrameSource, R: HandRegion, P: Panel> Kiosk<S, R, P> {
    /// A kiosk from its parts ([`Kiosk::builder`] is the way in).
    fn new(source: S, region: R, engine: Engine, decoder: Decoder, panel: P, recovery: RecoveryConfig) -> Self {
        let (w, h) = panel.size();
        Self {
            source,
            region,
            engine,
            speller: Speller::new(None, decoder.config().show_rule()),
            decoder,
            panel,
            recovery,
            stop: Arc::new(AtomicBool::new(false)),
            timings: Timings::default(),
            max_frames: None,
            kept_inputs: None,
            first_frame_at: None,
            speaker: Box::new(Silent),
            controls: None,
            collector: None,
            models: None,
            notice: None,
            screen: FrameBuffer::new(w, h),
            recent_reads: std::collections::VecDeque::with_capacity(8),
            preview: Vec::new(),
            fps: 0.0,
            display_failures: 0,
        }
    }

    /// A builder for a kiosk of these stages: everything else has a default
    /// ([`KioskBuilder`]).
    pub fn builder(source: S, region: R, engine: Engine, panel: P) -> KioskBuilder<S, R, P> {
        KioskBuilder {
            source,
            region,
            engine,
            panel,
            decoder: None,
            recovery: RecoveryConfig::default(),
            stop: None,
            speaker: None,
            controls: None,
            collector: None,
            models: None,
            speller: None,
            lexicon_of: None,
            max_frames: None,
            keep_inputs: 0,
        }
    }

    /// The last drawn screen.
    pub fn screen(&self) -> &FrameBuffer {
        &self.screen
    }

    /// Frames in.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// Frames in, to replace or inspect.
    pub fn source_mut(&mut self) -> &mut S {
        &mut self.source
    }

    /// The running model.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Letters, and the text so far.
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// Movements and word proposals.
    pub fn speller(&self) -> &Speller {
        &self.speller
    }

    /// The notice on screen (a setting changed, the signer's letters learned, ...), if any.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_ref().map(|(n, _)| n.as_str())
    }

    /// The flag that stops the loop (set it from another thread).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Collection mode, when on.
    pub fn collector(&self) -> Option<&Collector> {
        self.collector.as_ref()
    }

    /// Other models and the watch on the files, when on.
    pub fn models(&self) -> Option<&ModelSwitcher> {
        self.models.as_ref()
    }

    /// Other models and the watch on the files, to poll them.
    pub fn models_mut(&mut self) -> Option<&mut ModelSwitcher> {
        self.models.as_mut()
    }

    /// Stage timings of every frame classified so far.
    pub fn timings(&self) -> &Timings {
        &self.timings
    }

    /// Forgets the stage timings so far (after a warm-up).
    pub fn clear_timings(&mut self) {
        self.timings.clear();
    }

    /// Where the screens go.
    pub fn panel(&self) -> &P {
        &self.panel
    }

    /// Where the screens go, to reset its counts.
    pub fn panel_mut(&mut self) -> &mut P {
        &mut self.panel
    }

    /// The hand-region stage.
    pub fn region(&self) -> &R {
        &self.region
    }

    /// The hand-region stage, to reset its counts.
    pub fn region_mut(&mut self) -> &mut R {
        &mut self.region
    }

    /// Stops each following [`Kiosk::run`] after this many classified frames.
    pub fn set_max_frames(&mut self, frames: Option<u64>) {
        self.max_frames = frames;
    }

    /// Keeps the model inputs of the next `frames` classified frames (`device bench
    /// --save-inputs`); `0` keeps none.
    pub fn keep_inputs(&mut self, frames: usize) {
        self.kept_inputs = (frames > 0).then(|| (frames, Vec::new()));
    }

    /// The kept model inputs, one tensor after another (see [`Kiosk::keep_inputs`]).
    pub fn kept_inputs(&self) -> Option<&[f32]> {
        self.kept_inputs.as_ref().map(|(_, v)| &v[..])
    }

    /// When the first frame was pushed to the panel.
    pub fn first_frame_at(&self) -> Option<Instant> {
        self.first_frame_at
    }

    /// Runs until stopped, the replay ends or the frame limit.
    pub fn run(&mut self) -> Result<RunSummary> {
        let mut summary =
            RunSummary { ended: Ended::Stopped, frames: 0, dropped: 0, lost: 0, display_errors: 0, region_errors: 0, text: String::new(), edits: Vec::new(), committed: 0 };
        if self.engine.wants_landmarks() && !self.region.finds_landmarks() {
            bail!(
                "model '{}' reads hand landmarks (landmark masks or features), but the hand-region stage finds no landmarks: \
                 configure [region.hands]",
                self.engine.card().name
            );
        }
        let mut last = Instant::now();
        let mut stalls = 0u32;
        loop {
            if self.stop.load(Ordering::Relaxed) {
                summary.ended = Ended::Stopped;
                break;
            }
            if self.collector.as_ref().is_some_and(Collector::done) {
                summary.ended = Ended::Collected;
                break;
            }
            if self.max_frames.is_some_and(|m| summary.frames >= m) {
                summary.ended = Ended::FrameLimit;
                break;
            }
            let pressed: Vec<Action> = self.controls.as_ref().map(|c| c.try_iter().collect()).unwrap_or_default();
            for action in pressed {
                self.apply(action);
            }
            if let Some(loaded) = self.models.as_mut().and_then(ModelSwitcher::poll) {
                self.take_model(loaded);
            }
            if self.notice.as_ref().is_some_and(|(_, since)| since.elapsed() > NOTICE_FOR) {
                self.notice = None;
            }
            let start = Instant::now();
            let captured = match self.source.next_frame() {
                Ok(f) => f,
                Err(SourceError::Finished) => {
                    summary.ended = Ended::Finished;
                    break;
                }
                Err(e @ SourceError::BadFrame { .. }) => {
                    tracing::warn!("{e}; frame dropped");
                    summary.dropped += 1;
                    continue;
                }
                Err(e @ SourceError::Stalled { .. }) => {
                    summary.dropped += 1;
                    stalls += 1;
                    if stalls < self.recovery.stalls_before_reopen.max(1) {
                        tracing::warn!("{e}; frame dropped");
                        self.show_status("No frames from the camera");
                        continue;
                    }
                    // Frames have stopped: the same cure as a lost camera.
                    stalls = 0;
                    summary.lost += 1;
                    tracing::error!("{e}; frames have stopped, reopening the camera");
                    self.recover(&format!("{e}; frames have stopped"))?;
                    last = Instant::now();
                    continue;
                }
                Err(e @ SourceError::Lost { .. }) => {
                    summary.lost += 1;
                    tracing::error!("{e}");
                    self.recover(&e.to_string())?;
                    last = Instant::now();
                    continue;
                }
                Err(e @ SourceError::Unusable { .. }) => return Err(e).context("the frame source cannot be used"),
            };
            stalls = 0;
            let t_capture = start.elapsed();
            // The hand (and so the letter) shown is that of the frame `lag` frames back.
            if self.recent_reads.len() == 8 {
                self.recent_reads.pop_front();
            }
            self.recent_reads.push_back(captured.read_at);
            let lag = self.region.lag().min(self.recent_reads.len() - 1);
            let read_at = self.recent_reads[self.recent_reads.len() - 1 - lag];
            let frame = captured.frame().with_context(|| format!("{}: malformed frame", captured.origin))?;

            let t = Instant::now();
            let roi = match self.region.locate(&frame) {
                Ok(roi) => roi,
                Err(e) => {
                    // The frame is still classified and shown, as one without a hand box.
                    summary.region_errors += 1;
                    tracing::warn!("{e:#}");
                    None
                }
            };
            let t_region = t.elapsed();
            // Collection writes files: not part of the region stage's time.
            if let Some(c) = &mut self.collector
                && let Err(e) = c.record(&frame, roi, self.region.landmarks())
            {
                tracing::error!("collection stopped: {e:#}");
            }

            let t = Instant::now();
            if self.engine.wants_landmarks() {
                self.engine.preprocess_landmarks(self.region.landmarks())?;
            } else {
                self.engine.preprocess_frame(&frame, roi)?;
            }
            let t_pre = t.elapsed();
            if let Some((frames, kept)) = &mut self.kept_inputs
                && kept.len() < *frames * self.engine.input().len()
            {
                kept.extend_from_slice(self.engine.input());
            }

            let t = Instant::now();
            let prediction = self.engine.infer(self.decoder.config().mirrored)?;
            let t_infer = t.elapsed();

            let t = Instant::now();
            let remembered = self.speller.remembered();
            // The features the engine just read (none for picture and mask models).
            let features = self.engine.landmark_features();
            let step = self.speller.push_read(&mut self.decoder, &prediction.probs, captured.timestamp, self.region.landmarks(), features);
            if let Some(edit) = &step.edit {
                self.committed(&mut summary, edit);
            }
            let now = self.speller.remembered();
            // While teaching, the screen asks for the next letter instead.
            if now != remembered && self.speller.teaching().is_none() {
                let said = if now > remembered { format!("Learning your hand: {now} letters") } else { "New signer".to_string() };
                self.notice = Some((said, Instant::now()));
            }
            let t_decode = t.elapsed();

            let t = Instant::now();
            // Packed RGB24 frames are shown as they are; others are converted once.
            let packed_rgb = frame.format == PixelFormat::Rgb24 && frame.stride == frame.width as usize * 3;
            if !packed_rgb {
                frame.to_rgb(&mut self.preview)?;
            }
            let rgb = if packed_rgb { &captured.data[..frame.stride * frame.height as usize] } else { &self.preview[..] };
            let class = step.current.and_then(|c| self.engine.card().classes.get(c)).filter(|c| c.kind != ClassKind::Nothing);
            let letter = class.map(|c| c.arabic.as_deref().unwrap_or(&c.display));
            let status = self.collector.as_ref().map(Collector::prompt).or(self.notice.as_ref().map(|(n, _)| n.as_str()));
            let view = View {
                preview: Some(Preview { rgb, width: frame.width, height: frame.height }),
                guide: roi,
                landmarks: self.region.landmarks(),
                letter,
                letter_name: class.map(|c| c.display.as_str()),
                confidence: if step.current.is_some() { prediction.confidence } else { 0.0 },
                text: self.decoder.text(),
                fps: self.fps,
                status: status.or(self.speller.status_line()),
                asked: self.speller.teaching().map(|(letter, _, _)| letter),
            };
            ui::draw(&mut self.screen, &view).expect("drawing into memory cannot fail");
            let t_draw = t.elapsed();

            let t = Instant::now();
            if !self.push_screen(read_at) {
                summary.display_errors += 1;
            }
            let t_push = t.elapsed();
            if !self.time_shown_screens() {
                self.timings.latency(read_at.elapsed().as_secs_f64() * 1000.0);
            }
            self.first_frame_at.get_or_insert_with(Instant::now);

            for (stage, d) in Stage::ALL.into_iter().zip([t_capture, t_region, t_pre, t_infer, t_decode, t_draw, t_push]) {
                self.timings.record(stage, d);
            }
            self.timings.frame(start.elapsed());
            self.timings.span(start, Instant::now());
            let dt = last.elapsed().as_secs_f32();
            last = Instant::now();
            if dt > 0.0 {
                let inst = 1.0 / dt;
                self.fps = if self.fps == 0.0 { inst } else { 0.9 * self.fps + 0.1 * inst };
            }
            summary.frames += 1;
        }
        // The last screens out are timed too, so that a run's latencies are its own (a
        // warm-up's last screen is not counted in the run after it).
        self.panel.finish_sending();
        self.time_shown_screens();
        summary.text = self.decoder.text().to_string();
        Ok(summary)
    }

    /// Logs, keeps and speaks a committed edit.
    fn committed(&mut self, summary: &mut RunSummary, edit: &Edit) {
        tracing::info!(?edit, text = %self.decoder.text(), "committed");
        if summary.edits.len() == 2 * EDITS_KEPT {
            summary.edits.drain(..EDITS_KEPT);
        }
        summary.edits.push(edit.clone());
        summary.committed += 1;
        if let Some(word) = speech::completed_word(self.decoder.text(), edit) {
            self.speaker.say(&word);
        }
    }

    /// Proposes words from now on, with the config's lexicon and `model`'s confusions
    /// (`model` is the file the engine was loaded from).
    pub fn use_lexicon(&mut self, model: &std::path::Path) {
        let classes = self.engine.card().classes.clone();
        let words = self.words_for(model, &classes);
        if let Some(w) = &words {
            tracing::info!(words = w.lexicon().len(), "lexicon loaded");
        }
        self.speller = Speller::new(words, self.decoder.config().show_rule());
    }

    /// The lexicon decoder for `model` (its classes and confusions), when the config
    /// names a lexicon; errors are logged and the kiosk spells letters only. The word
    /// lists already loaded are reused (the config's lexicon changes only at a restart).
    pub fn words_for(&self, model: &std::path::Path, classes: &shared::ClassTable) -> Option<WordDecoder> {
        let dir = self.decoder.config().lexicon.as_ref()?;
        let words = match self.speller.words() {
            Some(w) => WordDecoder::with_lexicon(w.lexicon().clone(), model, classes),
            None => WordDecoder::for_model(dir, model, classes),
        };
        words.unwrap_or_else(|e| {
            tracing::error!("no word proposals: {e:#}");
            None
        })
    }

    /// Does what a button asks: clear the text, delete its last character, speak it,
    /// accept the proposed word, change the pace or the confidence threshold, or start
    /// loading the next model.
    pub fn apply(&mut self, action: Action) {
        tracing::info!(?action, "button");
        match action {
            Action::Clear => {
                self.decoder.clear();
                self.speller.clear();
            }
            Action::Backspace => {
                // Dismisses a proposed word, or deletes a character.
                self.decoder.backspace();
                self.speller.refresh(&mut self.decoder);
            }
            Action::Accept if self.speller.teaching().is_some() => self.speller.skip_taught_letter(&mut self.decoder),
            Action::Accept => {
                let edit = self.speller.accept(&mut self.decoder).or_else(|| self.decoder.end_word());
                if let Some(word) = edit.as_ref().and_then(|e| speech::completed_word(self.decoder.text(), e)) {
                    self.speaker.say(&word);
                }
            }
            Action::Slower | Action::Faster => {
                let c = self.decoder.config();
                let hold = if action == Action::Slower { c.hold_ms + 100 } else { c.hold_ms.saturating_sub(100) }.clamp(100, 3000);
                let gap = c.min_gap_ms * hold / c.hold_ms.max(1);
                self.decoder.set_pace(hold, gap);
                self.notice = Some((format!("Pace: hold {hold} ms"), Instant::now()));
            }
            Action::Stricter | Action::Looser => {
                let step = if action == Action::Stricter { THRESHOLD_STEP } else { -THRESHOLD_STEP };
                let t = ((self.decoder.threshold() + step) / THRESHOLD_STEP).round() * THRESHOLD_STEP;
                let t = t.clamp(THRESHOLD_STEP, 1.0 - THRESHOLD_STEP);
                self.decoder.set_threshold(t);
                self.notice = Some((format!("Confidence: {t:.2}"), Instant::now()));
            }
            Action::Speak => {
                let text = self.decoder.text().trim();
                if !text.is_empty() {
                    self.speaker.say(text);
                }
            }
            Action::Teach if self.speller.teaching().is_some() => {
                self.speller.stop_teaching(&mut self.decoder);
                self.notice = Some((format!("Learning your hand: {} letters", self.speller.remembered()), Instant::now()));
            }
            Action::Teach => {
                if self.speller.start_teaching(&mut self.decoder) {
                    self.notice = None;
                } else {
                    self.notice = Some(("Teaching needs a landmark model".to_string(), Instant::now()));
                }
            }
            Action::Mode => match &mut self.models {
                Some(m) => m.next(),
                None => tracing::info!("mode: this kiosk runs one model"),
            },
        }
    }

    /// Runs a model that finished loading, unless it failed its checks or needs hand
    /// landmarks this kiosk's region stage does not find; the running model stays then.
    /// The text stays; the decoder and the voice follow the new classes.
    pub fn take_model(&mut self, loaded: Loaded) {
        let file = loaded.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let running = self.engine.card().name.clone();
        let engine = match loaded.engine {
            Ok(e) if e.wants_landmarks() && !self.region.finds_landmarks() => {
                tracing::error!(model = %loaded.path.display(), "refused: it reads hand landmarks (landmark masks or features) and [region.hands] is not configured; still running '{running}'");
                self.notice = Some((format!("{file} needs [region.hands]"), Instant::now()));
                return;
            }
            Ok(e) => e,
            Err(e) => {
                tracing::error!("model {} refused: {e:#}; still running '{running}'", loaded.path.display());
                self.notice = Some((format!("Bad model file {file}"), Instant::now()));
                return;
            }
        };
        tracing::info!(model = %loaded.path.display(), name = %engine.card().name, "model switched");
        self.notice = Some((format!("Model: {}", engine.card().name), Instant::now()));
        // Teaching reads hands as the old model's classes: it ends with the model.
        self.speller.stop_teaching(&mut self.decoder);
        self.decoder.set_model(engine.card());
        self.speller.set_words(self.words_for(&loaded.path, &engine.card().classes));
        self.speaker.use_classes(&engine.card().classes);
        drop(std::mem::replace(&mut self.engine, engine));
        release_freed_memory();
        if let Some(m) = &mut self.models {
            m.accept(&loaded.path);
        }
    }

    /// Shows the loss on screen and reopens the source with exponential backoff until
    /// it is back or the loop is stopped.
    fn recover(&mut self, reason: &str) -> Result<()> {
        let mut wait = Duration::from_millis(self.recovery.initial_backoff_ms);
        let max = Duration::from_millis(self.recovery.max_backoff_ms);
        loop {
            self.show_status(&format!("Camera lost - retrying in {:.1} s", wait.as_secs_f32()));
            tracing::warn!(reason, wait_ms = wait.as_millis() as u64, "waiting before reopening the camera");
            if self.sleep_unless_stopped(wait) {
                return Ok(());
            }
            match self.source.reopen() {
                Ok(()) => {
                    tracing::info!(source = %self.source.describe(), "camera is back");
                    return Ok(());
                }
                Err(e) => tracing::warn!("{e}"),
            }
            wait = (wait * 2).min(max);
        }
    }

    /// Draws the text so far with `status` instead of a picture, and shows it.
    fn show_status(&mut self, status: &str) {
        let view = View { text: self.decoder.text(), status: Some(status), fps: self.fps, ..View::default() };
        ui::draw(&mut self.screen, &view).expect("drawing into memory cannot fail");
        self.push_screen(Instant::now());
    }

    /// Records the latencies of the screens a panel thread sent since the last call;
    /// false for a panel that reports none (its push returns once the pixels are out).
    fn time_shown_screens(&mut self) -> bool {
        let Some(shown) = self.panel.shown_latencies() else { return false };
        shown.into_iter().for_each(|ms| self.timings.latency(ms));
        true
    }

    /// Sends the screen to the panel; a failure is logged (the first, then every 100th)
    /// and the kiosk keeps running: the next screen tries again. False on failure.
    fn push_screen(&mut self, captured: Instant) -> bool {
        match self.panel.push_captured(&self.screen, captured) {
            Ok(()) => true,
            Err(e) => {
                self.display_failures += 1;
                if self.display_failures % 100 == 1 {
                    tracing::error!(failures = self.display_failures, "cannot update the display: {e:#}");
                }
                false
            }
        }
    }

    /// Sleeps in small steps; true when stopped meanwhile.
    fn sleep_unless_stopped(&self, d: Duration) -> bool {
        sleep_unless_stopped(&self.stop, d)
    }
}

/// Assembles a [`Kiosk`]: the stages it cannot run without, then whatever else it has
/// (speech, controls, other models, a lexicon, collection, a frame limit).
///
/// ```ignore
/// let kiosk = Kiosk::builder(camera, region, engine, panel)
///     .decoder_config(cfg.decoder.clone())
///     .recovery(cfg.recovery.clone())
///     .stop(stop_flag()?)
///     .build();
/// ```
pub struct KioskBuilder<S, R, P> {
    source: S,
    region: R,
    engine: Engine,
    panel: P,
    decoder: Option<Decoder>,
    recovery: RecoveryConfig,
    stop: Option<Arc<AtomicBool>>,
    speaker: Option<Box<dyn Speaker + Send>>,
    controls: Option<Receiver<Action>>,
    collector: Option<Collector>,
    models: Option<ModelSwitcher>,
    speller: Option<Speller>,
    lexicon_of: Option<std::path::PathBuf>,
    max_frames: Option<u64>,
    keep_inputs: usize,
}

impl<S: FrameSource, R: HandRegion, P: Panel> KioskBuilder<S, R, P> {
    /// The decoder (default: [`crate::decode::DecoderConfig::default`] for the model,
    /// [`Decoder::for_model`]).
    pub fn decoder(mut self, decoder: Decoder) -> Self {
        self.decoder = Some(decoder);
        self
    }

    /// A decoder with `config` for the model ([`Decoder::for_model`]).
    pub fn decoder_config(mut self, config: crate::decode::DecoderConfig) -> Self {
        self.decoder = Some(Decoder::for_model(config, self.engine.card()));
        self
    }

    /// Lost-camera backoff (default: [`RecoveryConfig::default`]).
    pub fn recovery(mut self, recovery: RecoveryConfig) -> Self {
        self.recovery = recovery;
        self
    }

    /// The flag that stops the loop (e.g. set by SIGTERM and SIGINT); default: a flag
    /// of its own, reachable through [`Kiosk::stop_flag`].
    pub fn stop(mut self, stop: Arc<AtomicBool>) -> Self {
        self.stop = Some(stop);
        self
    }

    /// Speaks each completed word (default: silent).
    pub fn speaker(mut self, speaker: Box<dyn Speaker + Send>) -> Self {
        self.speaker = Some(speaker);
        self
    }

    /// Button and key presses, applied before each frame.
    pub fn controls(mut self, controls: Option<Receiver<Action>>) -> Self {
        self.controls = controls;
        self
    }

    /// Collection mode.
    pub fn collector(mut self, collector: Collector) -> Self {
        self.collector = Some(collector);
        self
    }

    /// Other models and the watch on the config and model files.
    pub fn models(mut self, models: Option<ModelSwitcher>) -> Self {
        self.models = models;
        self
    }

    /// The word speller (default: letters only, no lexicon).
    pub fn speller(mut self, speller: Speller) -> Self {
        self.speller = Some(speller);
        self
    }

    /// Word proposals from the decoder config's lexicon and the confusions of `model`
    /// (the file the engine was loaded from); see [`Kiosk::use_lexicon`].
    pub fn lexicon_of(mut self, model: &std::path::Path) -> Self {
        self.lexicon_of = Some(model.to_path_buf());
        self
    }

    /// Stop after this many classified frames.
    pub fn max_frames(mut self, frames: u64) -> Self {
        self.max_frames = Some(frames);
        self
    }

    /// Keep the model inputs of the first `frames` classified frames.
    pub fn keep_inputs(mut self, frames: usize) -> Self {
        self.keep_inputs = frames;
        self
    }

    /// The kiosk.
    pub fn build(self) -> Kiosk<S, R, P> {
        let decoder = self.decoder.unwrap_or_else(|| Decoder::for_model(Default::default(), self.engine.card()));
        let mut k = Kiosk::new(self.source, self.region, self.engine, decoder, self.panel, self.recovery);
        if let Some(stop) = self.stop {
            k.stop = stop;
        }
        if let Some(speaker) = self.speaker {
            k.speaker = speaker;
        }
        k.controls = self.controls;
        k.collector = self.collector;
        k.models = self.models;
        if let Some(speller) = self.speller {
            k.speller = speller;
        }
        if let Some(model) = &self.lexicon_of {
            k.use_lexicon(model);
        }
        k.max_frames = self.max_frames;
        k.keep_inputs(self.keep_inputs);
        k
    }
}

/// Sleeps `d` in steps of at most 50 ms, waking early when `stop` is set; true when
/// stopped.
pub(crate) fn sleep_unless_stopped(stop: &AtomicBool, d: Duration) -> bool {
    let until = Instant::now() + d;
    while Instant::now() < until {
        if stop.load(Ordering::Relaxed) {
            return true;
        }
        std::thread::sleep((until - Instant::now()).min(Duration::from_millis(50)));
    }
    stop.load(Ordering::Relaxed)
}

/// Hands memory freed by a dropped model back to the system (glibc keeps it in its
/// arenas otherwise, and a kiosk switching models would hold the peak of every load).
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap pages; it touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}
