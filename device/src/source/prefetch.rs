//! Capture on a thread of its own: while the kiosk works on one frame, the next is read
//! and decoded (MJPEG to RGB on a camera, JPEG files in a replay) on another core.
//!
//! The hand-off holds one frame. A live source drops the older frame when a newer one
//! is ready before the kiosk takes it ([`Handoff::Latest`]: old frames are dropped, never
//! queued), and a replay waits for the kiosk instead ([`Handoff::Every`]: every file is
//! classified, as without the thread). Errors are never dropped: after a lost camera,
//! the end of a replay or an unusable source, the thread waits until the kiosk calls
//! [`FrameSource::reopen`] (or stops).

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use super::{CapturedFrame, FrameSource, SourceError};
use crate::timing::ThreadBusy;

/// What the capture thread does when the kiosk has not taken the last frame yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handoff {
    /// Replace it with the newer one (a camera: the kiosk shows the latest frame).
    Latest,
    /// Wait until the kiosk takes it (a replay: every frame counts).
    Every,
}

/// The hand-off between the threads.
#[derive(Default)]
struct State {
    /// One frame, or why there is none.
    slot: Option<Result<CapturedFrame, SourceError>>,
    /// The source reported an end (lost, finished, unusable): no reads until a reopen.
    paused: bool,
    /// The kiosk has let go: the thread ends.
    hung_up: bool,
    /// Frames replaced before the kiosk took them.
    dropped: u64,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent at every unlock: a panic elsewhere cannot break it.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A [`FrameSource`] read ahead on its own thread (see the module's doc).
pub struct Prefetch<S> {
    /// Time the capture thread spent reading and decoding frames (not waiting for them).
    pub busy: Arc<ThreadBusy>,
    source: Arc<Mutex<S>>,
    shared: Arc<Shared>,
    handle: Option<JoinHandle<()>>,
    described: String,
}

impl<S> std::fmt::Debug for Prefetch<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prefetch").field("source", &self.described).finish()
    }
}

impl<S: FrameSource + Send + 'static> Prefetch<S> {
    /// Starts reading `source` on a thread named `capture`.
    pub fn start(source: S, handoff: Handoff) -> std::io::Result<Self> {
        let described = format!("{} (read ahead on its own thread)", source.describe());
        let source = Arc::new(Mutex::new(source));
        let shared = Arc::new(Shared::default());
        let busy = Arc::new(ThreadBusy::default());
        let (src, sh, b) = (source.clone(), shared.clone(), busy.clone());
        let handle = std::thread::Builder::new().name("capture".into()).spawn(move || capture(&src, handoff, &sh, &b))?;
        Ok(Self { busy, source, shared, handle: Some(handle), described })
    }

    /// Frames the thread replaced before the kiosk took them ([`Handoff::Latest`]).
    pub fn dropped(&self) -> u64 {
        self.shared.lock().dropped
    }

    fn stopped(&self) -> SourceError {
        SourceError::Unusable { origin: self.described.clone(), reason: "the capture thread has stopped".into() }
    }
}

/// The capture thread: reads frames until the kiosk lets go.
fn capture<S: FrameSource>(source: &Mutex<S>, handoff: Handoff, shared: &Shared, busy: &ThreadBusy) {
    loop {
        {
            let mut st = shared.lock();
            while st.paused && !st.hung_up {
                st = shared.changed.wait(st).unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            if st.hung_up {
                return;
            }
        }
        let next = source.lock().unwrap_or_else(std::sync::PoisonError::into_inner).next_frame();
        if let Ok(frame) = &next {
            // Reading and decoding, not the wait for the camera (or a paced replay).
            busy.add(frame.read_at.elapsed());
        }
        let ends = matches!(next, Err(SourceError::Lost { .. } | SourceError::Finished | SourceError::Unusable { .. }));
        let mut st = shared.lock();
        loop {
            if st.hung_up {
                return;
            }
            match &st.slot {
                None => break,
                Some(Ok(_)) if handoff == Handoff::Latest && next.is_ok() => {
                    st.dropped += 1;
                    break;
                }
                Some(_) => st = shared.changed.wait(st).unwrap_or_else(std::sync::PoisonError::into_inner),
            }
        }
        st.slot = Some(next);
        st.paused = ends;
        shared.changed.notify_all();
    }
}

impl<S: FrameSource + Send + 'static> FrameSource for Prefetch<S> {
    fn next_frame(&mut self) -> Result<CapturedFrame, SourceError> {
        let mut st = self.shared.lock();
        loop {
            if let Some(next) = st.slot.take() {
                self.shared.changed.notify_all();
                return next;
            }
            if self.handle.as_ref().is_none_or(JoinHandle::is_finished) {
                return Err(self.stopped());
            }
            st = self.shared.changed.wait_timeout(st, std::time::Duration::from_millis(200)).unwrap_or_else(std::sync::PoisonError::into_inner).0;
        }
    }

    fn reopen(&mut self) -> Result<(), SourceError> {
        // Waits for a read in progress (at most the source's own timeout).
        let result = self.source.lock().map_err(|_| self.stopped())?.reopen();
        let mut st = self.shared.lock();
        if result.is_ok() {
            // A frame read before the reopen is not shown after it.
            if matches!(st.slot, Some(Ok(_))) {
                st.slot = None;
            }
            st.paused = false;
            self.shared.changed.notify_all();
        }
        result
    }

    fn describe(&self) -> String {
        self.described.clone()
    }
}

impl<S> Drop for Prefetch<S> {
    fn drop(&mut self) {
        self.shared.lock().hung_up = true;
        self.shared.changed.notify_all();
        if let Some(h) = self.handle.take() {
            // The thread ends at its next look at the state (after a read in progress).
            let _ = h.join();
        }
    }
}
