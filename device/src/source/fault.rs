//! A source that injects faults into another one, for tests of the kiosk's recovery:
//! a bad frame, a stall, frames that stop until the camera is reopened, or the camera
//! disappearing for a number of reopen attempts or a length of time and then coming back.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::{CapturedFrame, FrameSource, SourceError};

/// A fault injected before a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The frame is corrupt (the frame is dropped).
    BadFrame,
    /// No frame arrives in time (the frame is dropped).
    Stall(Duration),
    /// The camera disappears; `reopens` reopen attempts fail before it comes back.
    Lost { reopens: u32 },
    /// The camera disappears for this long (wall clock): reopens fail until it has passed.
    Gone(Duration),
    /// Frames stop: every frame stalls after this wait until the source is reopened.
    Stop(Duration),
}

/// How long an injected loss lasts.
#[derive(Debug, Clone, Copy)]
enum Outage {
    Reopens(u32),
    Until(Instant),
}

/// Wraps a source and injects faults before given frame numbers (counted in frames
/// asked of the inner source).
#[derive(Debug)]
pub struct FaultySource<S> {
    inner: S,
    faults: BTreeMap<u64, Fault>,
    asked: u64,
    lost_for: Option<Outage>,
    stopped: Option<Duration>,
    /// Reopen attempts made, failed or not.
    pub reopen_attempts: u32,
}

impl<S: FrameSource> FaultySource<S> {
    /// `inner` with `faults` keyed by the frame number they come before.
    pub fn new(inner: S, faults: impl IntoIterator<Item = (u64, Fault)>) -> Self {
        Self { inner, faults: faults.into_iter().collect(), asked: 0, lost_for: None, stopped: None, reopen_attempts: 0 }
    }
}

impl<S: FrameSource> FrameSource for FaultySource<S> {
    fn next_frame(&mut self) -> Result<CapturedFrame, SourceError> {
        let origin = || "fault-injecting source".to_string();
        if self.lost_for.is_some() {
            return Err(SourceError::Lost { origin: origin(), reason: "device is gone (injected)".into() });
        }
        if let Some(waited) = self.stopped {
            std::thread::sleep(waited);
            return Err(SourceError::Stalled { origin: origin(), waited });
        }
        let n = self.asked;
        self.asked += 1;
        match self.faults.remove(&n) {
            None => self.inner.next_frame(),
            Some(Fault::BadFrame) => {
                self.inner.next_frame()?;
                Err(SourceError::BadFrame { origin: origin(), reason: "corrupt frame (injected)".into() })
            }
            Some(Fault::Stall(waited)) => {
                std::thread::sleep(waited);
                self.inner.next_frame()?;
                Err(SourceError::Stalled { origin: origin(), waited })
            }
            Some(Fault::Stop(waited)) => {
                self.stopped = Some(waited);
                std::thread::sleep(waited);
                Err(SourceError::Stalled { origin: origin(), waited })
            }
            Some(Fault::Lost { reopens }) => {
                self.lost_for = Some(Outage::Reopens(reopens));
                Err(SourceError::Lost { origin: origin(), reason: "device is gone (injected)".into() })
            }
            Some(Fault::Gone(d)) => {
                self.lost_for = Some(Outage::Until(Instant::now() + d));
                Err(SourceError::Lost { origin: origin(), reason: "device is gone (injected)".into() })
            }
        }
    }

    fn reopen(&mut self) -> Result<(), SourceError> {
        self.reopen_attempts += 1;
        let back = match self.lost_for {
            None | Some(Outage::Reopens(0)) => true,
            Some(Outage::Until(t)) => Instant::now() >= t,
            Some(Outage::Reopens(n)) => {
                self.lost_for = Some(Outage::Reopens(n - 1));
                false
            }
        };
        if !back {
            return Err(SourceError::Lost { origin: "fault-injecting source".into(), reason: "still gone (injected)".into() });
        }
        self.lost_for = None;
        self.stopped = None;
        self.inner.reopen()
    }

    fn describe(&self) -> String {
        format!("{} with {} faults to inject", self.inner.describe(), self.faults.len())
    }
}
