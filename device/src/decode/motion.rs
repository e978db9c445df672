//! Letters made of movement, read from the hand's landmark track over the last second:
//! J (the I hand, little finger's tip drawing a hook), Z (the index finger's tip
//! drawing a Z), and the bounce or slide that signs a double letter (the LL of HELLO)
//! without the hand leaving the frame.
//!
//! A path is resampled, centred and scaled to its extent, then compared with templates
//! of the letter, in both mirror images (left hands, mirrored cameras). The hand shape
//! gates each movement, so the still alphabet never triggers one.

use std::collections::VecDeque;
use std::time::Duration;

use shared::features::{POINTS, Point};

/// The track read for movements.
pub const WINDOW: Duration = Duration::from_millis(1000);
/// Points a path is resampled to.
const SAMPLES: usize = 32;
/// Largest mean distance (in units of the path's extent) from a template that counts.
const MATCH: f32 = 0.2;
/// Shortest path of a movement letter, in hand sizes (wrist to middle knuckle).
const MIN_STROKE: f32 = 1.2;
/// A bounce or slide: the hand travels at least this far (hand sizes) within
/// [`BOUNCE_WITHIN`], holding one shape, and then stands still.
const BOUNCE_TRAVEL: f32 = 0.5;
const BOUNCE_WITHIN: Duration = Duration::from_millis(700);
/// "Still": each of the last frames moved less than this (hand sizes).
const STILL: f32 = 0.04;

/// The letters signed by movement ([`Movement::J`], [`Movement::Z`]).
pub const LETTERS: [&str; 2] = ["J", "Z"];

/// A movement read from the track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    /// The letter J.
    J,
    /// The letter Z.
    Z,
    /// The held letter again (a double letter).
    Again,
}

impl Movement {
    /// The letter a movement signs, if it is one.
    pub fn letter(self) -> Option<&'static str> {
        match self {
            Self::J => Some(LETTERS[0]),
            Self::Z => Some(LETTERS[1]),
            Self::Again => None,
        }
    }
}

/// Which fingers are straight (thumb not read): index, middle, ring, little.
fn fingers(p: &[Point; POINTS]) -> [bool; 4] {
    let d = |a: usize, b: usize| ((p[a].x - p[b].x).powi(2) + (p[a].y - p[b].y).powi(2)).sqrt();
    // Tip farther from the wrist than the middle joint by a margin: straight.
    [(8, 6), (12, 10), (16, 14), (20, 18)].map(|(tip, pip)| d(tip, 0) > 1.15 * d(pip, 0))
}

/// Wrist to middle knuckle.
fn hand_size(p: &[Point; POINTS]) -> f32 {
    ((p[9].x - p[0].x).powi(2) + (p[9].y - p[0].y).powi(2)).sqrt()
}

/// Reads movements from a track of hands.
#[derive(Debug, Clone, Default)]
pub struct MotionReader {
    track: VecDeque<(Duration, [Point; POINTS])>,
    /// Frames pushed since the last movement was read (no movement is read twice).
    since_fired: usize,
}

impl MotionReader {
    /// A reader with an empty track.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets the track.
    pub fn clear(&mut self) {
        self.track.clear();
    }

    /// Adds the hand seen at `t` (none: the track breaks) and returns a movement that
    /// ends on this frame.
    pub fn push(&mut self, t: Duration, hand: Option<&[Point; POINTS]>) -> Option<Movement> {
        let Some(hand) = hand else {
            self.track.clear();
            return None;
        };
        self.track.push_back((t, *hand));
        while self.track.front().is_some_and(|(t0, _)| t.saturating_sub(*t0) > WINDOW) {
            self.track.pop_front();
        }
        self.since_fired += 1;
        let found = self.letter().or_else(|| self.bounce());
        if found.is_some() {
            // The movement is spent: the next one needs a fresh track.
            self.track.clear();
            self.since_fired = 0;
        }
        found
    }

    /// J or Z drawn over the track, in the right hand shape, ending in a pause.
    fn letter(&self) -> Option<Movement> {
        if self.track.len() < 8 {
            return None;
        }
        let size = median(self.track.iter().map(|(_, p)| hand_size(p)));
        let shapes: Vec<[bool; 4]> = self.track.iter().map(|(_, p)| fingers(p)).collect();
        let share = |want: [bool; 4]| shapes.iter().filter(|s| **s == want).count() as f32 / shapes.len() as f32;
        for (movement, tip, shape, template) in [
            (Movement::J, 20, [false, false, false, true], &J_PATH[..]),
            (Movement::Z, 8, [true, false, false, false], &Z_PATH[..]),
        ] {
            if share(shape) < 0.7 {
                continue;
            }
            let path: Vec<(f32, f32)> = self.track.iter().map(|(_, p)| (p[tip].x, p[tip].y)).collect();
            if length(&path) < MIN_STROKE * size || !self.still_now(size) {
                continue;
            }
            let path = normalise(&resample(&path));
            let mirrored: Vec<(f32, f32)> = template.iter().map(|&(x, y)| (1.0 - x, y)).collect();
            let best = [template.to_vec(), mirrored].iter().map(|t| distance(&path, &normalise(&resample(t)))).fold(f32::MAX, f32::min);
            if best < MATCH {
                return Some(movement);
            }
        }
        None
    }

    /// The same shape moved at least [`BOUNCE_TRAVEL`] within [`BOUNCE_WITHIN`], then
    /// still.
    fn bounce(&self) -> Option<Movement> {
        let (t_end, last) = self.track.back()?;
        let recent: Vec<&[Point; POINTS]> =
            self.track.iter().filter(|(t, _)| t_end.saturating_sub(*t) <= BOUNCE_WITHIN).map(|(_, p)| p).collect();
        if recent.len() < 6 || recent.iter().any(|p| fingers(p) != fingers(last)) {
            return None;
        }
        let size = median(recent.iter().map(|p| hand_size(p)));
        let wrist: Vec<(f32, f32)> = recent.iter().map(|p| (p[0].x, p[0].y)).collect();
        (length(&wrist) >= BOUNCE_TRAVEL * size && self.still_now(size)).then_some(Movement::Again)
    }

    /// The last three frames moved less than [`STILL`] each.
    fn still_now(&self, size: f32) -> bool {
        let n = self.track.len();
        n >= 4
            && self.track.range(n - 4..).zip(self.track.range(n - 3..)).all(|((_, a), (_, b))| {
                ((a[0].x - b[0].x).powi(2) + (a[0].y - b[0].y).powi(2)).sqrt() < STILL * size
                    && ((a[8].x - b[8].x).powi(2) + (a[8].y - b[8].y).powi(2)).sqrt() < 2.0 * STILL * size
                    && ((a[20].x - b[20].x).powi(2) + (a[20].y - b[20].y).powi(2)).sqrt() < 2.0 * STILL * size
            })
    }
}

/// Z as the viewer sees it (y down): across, diagonal back, across.
const Z_PATH: [(f32, f32); 4] = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)];
/// J as the viewer sees a right hand draw it: down, then a hook.
const J_PATH: [(f32, f32); 7] = [(1.0, 0.0), (1.0, 0.35), (1.0, 0.7), (0.85, 0.95), (0.5, 1.0), (0.15, 0.9), (0.0, 0.7)];

fn median(values: impl Iterator<Item = f32>) -> f32 {
    let mut v: Vec<f32> = values.collect();
    v.sort_by(f32::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0).max(1e-6)
}

fn length(path: &[(f32, f32)]) -> f32 {
    path.windows(2).map(|w| ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt()).sum()
}

/// [`SAMPLES`] points evenly spaced along the path.
fn resample(path: &[(f32, f32)]) -> Vec<(f32, f32)> {
    let total = length(path);
    if path.len() < 2 || total == 0.0 {
        return vec![path.first().copied().unwrap_or_default(); SAMPLES];
    }
    let step = total / (SAMPLES - 1) as f32;
    let mut out = vec![path[0]];
    let (mut prev, mut carried) = (path[0], 0.0);
    for &p in &path[1..] {
        let mut seg = ((p.0 - prev.0).powi(2) + (p.1 - prev.1).powi(2)).sqrt();
        while carried + seg >= step && out.len() < SAMPLES {
            let f = (step - carried) / seg;
            prev = (prev.0 + f * (p.0 - prev.0), prev.1 + f * (p.1 - prev.1));
            out.push(prev);
            seg = ((p.0 - prev.0).powi(2) + (p.1 - prev.1).powi(2)).sqrt();
            carried = 0.0;
        }
        carried += seg;
        prev = p;
    }
    out.resize(SAMPLES, *path.last().expect("two points or more"));
    out
}

/// Centred on its centroid and scaled so that its larger extent is 1.
fn normalise(path: &[(f32, f32)]) -> Vec<(f32, f32)> {
    let n = path.len() as f32;
    let (cx, cy) = path.iter().fold((0.0, 0.0), |(a, b), p| (a + p.0 / n, b + p.1 / n));
    let (mut w, mut h) = (0.0f32, 0.0f32);
    for p in path {
        w = w.max((p.0 - cx).abs());
        h = h.max((p.1 - cy).abs());
    }
    let s = (2.0 * w.max(h)).max(1e-6);
    path.iter().map(|p| ((p.0 - cx) / s, (p.1 - cy) / s)).collect()
}

fn distance(a: &[(f32, f32)], b: &[(f32, f32)]) -> f32 {
    a.iter().zip(b).map(|(p, q)| ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)).sqrt()).sum::<f32>() / a.len() as f32
}

/// A hand moved along a path: `hand` translated so that point `tip` follows `path`
/// (in pixels), one frame per point; used to build tracks from real landmark frames.
pub fn hand_along(hand: &[Point; POINTS], tip: usize, path: &[(f32, f32)]) -> Vec<[Point; POINTS]> {
    path.iter()
        .map(|&(x, y)| {
            let (dx, dy) = (x - hand[tip].x, y - hand[tip].y);
            hand.map(|p| Point { x: p.x + dx, y: p.y + dy, z: p.z })
        })
        .collect()
}

/// `points` evenly spaced on the polyline through `corners`, scaled by `scale` and
/// moved to `origin`, then `hold` copies of the last (the hand stops).
pub fn stroke(corners: &[(f32, f32)], points: usize, scale: f32, origin: (f32, f32), hold: usize) -> Vec<(f32, f32)> {
    let total = length(corners);
    let mut out = Vec::with_capacity(points + hold);
    for k in 0..points {
        let mut d = total * k as f32 / (points - 1).max(1) as f32;
        let mut p = corners[0];
        for w in corners.windows(2) {
            let seg = length(w);
            if d <= seg {
                let f = if seg > 0.0 { d / seg } else { 0.0 };
                p = (w[0].0 + f * (w[1].0 - w[0].0), w[0].1 + f * (w[1].1 - w[0].1));
                break;
            }
            d -= seg;
            p = w[1];
        }
        out.push((origin.0 + scale * p.0, origin.1 + scale * p.1));
    }
    let last = *out.last().expect("points > 0");
    out.extend(std::iter::repeat_n(last, hold));
    out
}

/// The path a movement letter's tip draws (the templates it is matched against); a
/// double letter has none.
pub fn template(m: Movement) -> Option<&'static [(f32, f32)]> {
    match m {
        Movement::J => Some(&J_PATH),
        Movement::Z => Some(&Z_PATH),
        Movement::Again => None,
    }
}
