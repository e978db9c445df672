//! The panel on a thread of its own: the kiosk hands a finished screen over and goes on
//! with the next frame while the screen goes out (an SPI write of a 240x240 screen takes
//! up to 29 ms at 32 MHz).
//!
//! The hand-off holds one screen: a newer screen replaces one not yet sent (old screens
//! are dropped, never queued). A failed push is reported by the next [`Panel::push`], so
//! the kiosk counts it as before. The thread times each screen from its frame's capture
//! to the last byte out ([`Panel::shown_latencies`]).

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Instant;

use super::{FrameBuffer, Panel};
use crate::timing::ThreadBusy;

#[derive(Default)]
struct State {
    /// The screen to send next and when its frame was captured.
    pending: Option<(FrameBuffer, Instant)>,
    /// The buffer of the screen sent last, for the next hand-off.
    spare: Option<FrameBuffer>,
    /// The thread is sending a screen.
    sending: bool,
    /// A push failed and the kiosk has not heard yet.
    error: Option<anyhow::Error>,
    /// Capture-to-pixels milliseconds of the screens sent since the kiosk last asked.
    latencies: Vec<f64>,
    /// Screens replaced before they were sent.
    replaced: u64,
    hung_up: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A [`Panel`] whose pushes run on a thread named `panel` (see the module's doc).
pub struct PanelThread {
    /// Time the thread spent sending screens.
    pub busy: Arc<ThreadBusy>,
    shared: Arc<Shared>,
    handle: Option<JoinHandle<()>>,
    size: (u32, u32),
}

impl std::fmt::Debug for PanelThread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PanelThread").field("size", &self.size).finish()
    }
}

impl PanelThread {
    /// Starts sending `panel`'s screens from a thread of their own.
    pub fn start<P: Panel + Send + 'static>(mut panel: P) -> std::io::Result<Self> {
        let size = panel.size();
        let shared = Arc::new(Shared::default());
        let busy = Arc::new(ThreadBusy::default());
        let (sh, b) = (shared.clone(), busy.clone());
        let handle = std::thread::Builder::new().name("panel".into()).spawn(move || {
            loop {
                let (screen, captured) = {
                    let mut st = sh.lock();
                    loop {
                        if st.hung_up {
                            return;
                        }
                        if let Some(next) = st.pending.take() {
                            st.sending = true;
                            break next;
                        }
                        st = sh.changed.wait(st).unwrap_or_else(PoisonError::into_inner);
                    }
                };
                let t = Instant::now();
                let pushed = panel.push(&screen);
                b.add(t.elapsed());
                let mut st = sh.lock();
                st.latencies.push(captured.elapsed().as_secs_f64() * 1000.0);
                if let Err(e) = pushed {
                    st.error = Some(e);
                }
                st.spare = Some(screen);
                st.sending = false;
                sh.changed.notify_all();
            }
        })?;
        Ok(Self { busy, shared, handle: Some(handle), size })
    }

    /// Screens replaced before they were sent.
    pub fn replaced(&self) -> u64 {
        self.shared.lock().replaced
    }

    /// Waits until every screen handed over has been sent.
    pub fn flush(&self) {
        let mut st = self.shared.lock();
        while (st.pending.is_some() || st.sending) && self.handle.as_ref().is_some_and(|h| !h.is_finished()) {
            st = self.shared.changed.wait_timeout(st, std::time::Duration::from_millis(50)).unwrap_or_else(PoisonError::into_inner).0;
        }
    }
}

impl Panel for PanelThread {
    fn push(&mut self, frame: &FrameBuffer) -> anyhow::Result<()> {
        self.push_captured(frame, Instant::now())
    }

    fn push_captured(&mut self, frame: &FrameBuffer, captured: Instant) -> anyhow::Result<()> {
        anyhow::ensure!(self.handle.as_ref().is_some_and(|h| !h.is_finished()), "the panel's thread has stopped");
        let mut st = self.shared.lock();
        let mut buffer = match st.pending.take() {
            Some((old, _)) => {
                st.replaced += 1;
                old
            }
            None => st.spare.take().unwrap_or_else(|| FrameBuffer::new(frame.width(), frame.height())),
        };
        buffer.copy_from(frame);
        st.pending = Some((buffer, captured));
        self.shared.changed.notify_all();
        match st.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn shown_latencies(&mut self) -> Option<Vec<f64>> {
        Some(std::mem::take(&mut self.shared.lock().latencies))
    }

    fn finish_sending(&mut self) {
        self.flush();
    }

    fn size(&self) -> (u32, u32) {
        self.size
    }
}

impl Drop for PanelThread {
    fn drop(&mut self) {
        self.flush();
        self.shared.lock().hung_up = true;
        self.shared.changed.notify_all();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
