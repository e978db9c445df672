//! Landmark features: MediaPipe's 21 hand points turned into the numbers a landmark
//! classifier reads, the same on the trainer and the device.
//!
//! The features do not change with where the hand is in the picture, its size, or which
//! hand signs; its roll is taken out of the shape and kept apart:
//! - **Position**: points are taken relative to the wrist (point 0).
//! - **Handedness and viewing side**: a hand whose palm triangle (wrist, index knuckle,
//!   little-finger knuckle) turns the other way round is mirrored left-right first. That
//!   makes a left hand a right hand, and undoes mirrored (selfie) cameras such as the one
//!   that logged `asl-landmarks`; a right hand seen from the back (the roboflow photos
//!   taken from the signer's side) maps to the palm view, exactly so for a flat hand.
//!   MediaPipe's handedness score is not used: the CSV data lacks it and it is unsure
//!   for hands seen from the back.
//! - **Roll**: the points are turned so that the wrist-to-knuckles direction points up.
//!   The roll itself is kept as two features (sine and cosine): ASL tells H from U, P
//!   from K and Q from G by the hand's direction alone, so a fully roll-blind model could
//!   not tell them apart.
//! - **Size**: everything is divided by the largest 2-D distance of a point from the
//!   wrist.
//!
//! Then, in order ([`LEN`] values): the 20 non-wrist points' x and y (40), their depth
//! z (20; zero without depth), the roll's sine and cosine (2), 15 distances from the
//! thumb tip and between neighbouring fingertips that tell closed hands apart (A, S, T,
//! M, N, E differ mostly in where the thumb lies), and a flag that says whether depth is
//! present (1). Depth-free data (2-D landmarks logged elsewhere) thus trains the same
//! model, with the flag at 0.

use serde::{Deserialize, Serialize};

/// Landmarks of one hand (MediaPipe's order: 0 wrist, then four points per finger from
/// the thumb to the little finger, knuckle to tip).
pub const POINTS: usize = 21;

/// A point in frame pixels (x right, y down) with MediaPipe's relative depth `z` (same
/// scale as x; smaller is nearer the camera).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Column in pixels.
    pub x: f32,
    /// Row in pixels.
    pub y: f32,
    /// Relative depth.
    pub z: f32,
}

/// Number of features.
pub const LEN: usize = 2 * (POINTS - 1) + (POINTS - 1) + 2 + PAIRS.len() + 1;

/// The point pairs whose distances are features: the thumb tip to each fingertip and
/// to the two lower joints of each finger, and neighbouring fingertips.
pub const PAIRS: [(usize, usize); 15] = [
    (4, 8),
    (4, 12),
    (4, 16),
    (4, 20),
    (4, 5),
    (4, 6),
    (4, 9),
    (4, 10),
    (4, 13),
    (4, 14),
    (4, 17),
    (4, 18),
    (8, 12),
    (12, 16),
    (16, 20),
];

/// Index of the depth flag in the feature vector.
pub const DEPTH_FLAG: usize = LEN - 1;

/// Range of the depth features in the feature vector.
pub const DEPTH: std::ops::Range<usize> = 2 * (POINTS - 1)..3 * (POINTS - 1);

/// Range of the roll features (sine, cosine) in the feature vector.
pub const ROLL: std::ops::Range<usize> = 3 * (POINTS - 1)..3 * (POINTS - 1) + 2;

/// What a landmark model reads, as its card states it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpec {
    /// Feature version: 1 is this module's layout.
    pub version: u32,
    /// Whether the depth features are filled in (else they and the flag stay 0, the
    /// 2-D variant).
    pub depth: bool,
}

impl FeatureSpec {
    /// This module's features, with depth.
    pub const V1: FeatureSpec = FeatureSpec { version: 1, depth: true };

    /// Checks the version is one this build computes.
    pub fn validate(&self) -> Result<(), String> {
        if self.version != 1 {
            return Err(format!("landmark feature version {} is not known (this build computes version 1)", self.version));
        }
        Ok(())
    }
}

/// The preprocessing a landmark model's card states: a 1-row gray input [`LEN`] wide
/// (the features are not a picture; this only fixes the input's shape, see
/// [`crate::card::InputSource::Landmarks`]).
pub fn preprocess_spec() -> crate::PreprocessSpec {
    crate::PreprocessSpec::unit(LEN as u32, 1, crate::ColorMode::Gray)
}

/// Why points give no features.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FeatureError {
    /// A point is not a finite number.
    #[error("landmark {0} is not a finite number")]
    NotFinite(usize),
    /// Every point lies on the wrist.
    #[error("the hand has no size: every landmark lies on the wrist")]
    NoSize,
}

/// The features of `points` (frame pixels, or any coordinates with x right, y down and
/// depth z on x's scale), per `spec`.
pub fn features(points: &[Point; POINTS], spec: FeatureSpec) -> Result<[f32; LEN], FeatureError> {
    let mut out = [0f32; LEN];
    features_into(points, spec, &mut out)?;
    Ok(out)
}

/// [`features`] into `out`.
pub fn features_into(points: &[Point; POINTS], spec: FeatureSpec, out: &mut [f32; LEN]) -> Result<(), FeatureError> {
    if let Some(i) = points.iter().position(|p| !(p.x.is_finite() && p.y.is_finite() && p.z.is_finite())) {
        return Err(FeatureError::NotFinite(i));
    }
    let w = points[0];
    let mut rel: [[f32; 3]; POINTS] = std::array::from_fn(|i| [points[i].x - w.x, points[i].y - w.y, points[i].z - w.z]);
    // The palm triangle's turn (y points down): the other way round is mirrored.
    let (a, b) = (rel[5], rel[17]);
    if a[0] * b[1] - a[1] * b[0] < 0.0 {
        rel.iter_mut().for_each(|p| p[0] = -p[0]);
    }
    // Roll: the wrist-to-knuckles direction, turned to point up (-y).
    let d = [5, 9, 13, 17].iter().fold([0f32; 2], |s, &k| [s[0] + rel[k][0], s[1] + rel[k][1]]);
    let roll = d[0].atan2(-d[1]);
    let (s, c) = roll.sin_cos();
    for p in &mut rel {
        let (x, y) = (p[0], p[1]);
        // Rotate by -roll: a direction at angle `roll` from up comes to point up.
        p[0] = x * c + y * s;
        p[1] = -x * s + y * c;
    }
    let size = rel.iter().map(|p| (p[0] * p[0] + p[1] * p[1]).sqrt()).fold(0f32, f32::max);
    if !(size > 1e-6) {
        return Err(FeatureError::NoSize);
    }
    let depth = if spec.depth { 1.0 } else { 0.0 };
    for (i, p) in rel[1..].iter().enumerate() {
        out[2 * i] = p[0] / size;
        out[2 * i + 1] = p[1] / size;
        out[DEPTH.start + i] = depth * p[2] / size;
    }
    out[ROLL.start] = s;
    out[ROLL.start + 1] = c;
    let base = ROLL.end;
    for (k, &(i, j)) in PAIRS.iter().enumerate() {
        let (dx, dy) = (rel[i][0] - rel[j][0], rel[i][1] - rel[j][1]);
        out[base + k] = (dx * dx + dy * dy).sqrt() / size;
    }
    out[DEPTH_FLAG] = depth;
    Ok(())
}

/// Points of 2-D landmarks (`[x, y]` each, x right, y down) with depth 0.
pub fn points_2d(xy: &[[f32; 2]; POINTS]) -> [Point; POINTS] {
    std::array::from_fn(|i| Point { x: xy[i][0], y: xy[i][1], z: 0.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A right hand, palm to the camera, pointing up, fingers spread (pixels).
    fn hand() -> [Point; POINTS] {
        std::array::from_fn(|i| {
            if i == 0 {
                return Point { x: 100.0, y: 200.0, z: 0.0 };
            }
            let (finger, joint) = ((i - 1) / 4, (i - 1) % 4 + 1);
            // Thumb on the image's right for a right hand's palm seen from the front.
            let x = 140.0 - 20.0 * finger as f32 + if finger == 0 { 10.0 * joint as f32 } else { 0.0 };
            Point { x, y: 190.0 - 22.0 * joint as f32 - if finger == 0 { 0.0 } else { 30.0 }, z: -3.0 * joint as f32 }
        })
    }

    fn moved(h: &[Point; POINTS], f: impl Fn(f32, f32, f32) -> (f32, f32, f32)) -> [Point; POINTS] {
        h.map(|p| {
            let (x, y, z) = f(p.x, p.y, p.z);
            Point { x, y, z }
        })
    }

    fn close(a: &[f32], b: &[f32]) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-4)
    }

    #[test]
    fn position_size_and_mirror_do_not_change_the_features() {
        let h = hand();
        let f = features(&h, FeatureSpec::V1).unwrap();
        let shifted = moved(&h, |x, y, z| (x + 57.0, y - 31.0, z + 4.0));
        assert!(close(&f, &features(&shifted, FeatureSpec::V1).unwrap()));
        let scaled = moved(&h, |x, y, z| (3.0 * x, 3.0 * y, 3.0 * z));
        assert!(close(&f, &features(&scaled, FeatureSpec::V1).unwrap()));
        let mirrored = moved(&h, |x, y, z| (-x, y, z));
        assert!(close(&f, &features(&mirrored, FeatureSpec::V1).unwrap()), "a left hand reads as the right one");
    }

    #[test]
    fn roll_changes_only_the_roll_features() {
        let h = hand();
        let f = features(&h, FeatureSpec::V1).unwrap();
        assert!((f[ROLL.start]).abs() < 0.3 && f[ROLL.start + 1] > 0.9, "upright: roll near 0, {:?}", &f[ROLL]);
        let t = 90f32.to_radians();
        let turned = moved(&h, |x, y, z| (x * t.cos() - y * t.sin(), x * t.sin() + y * t.cos(), z));
        let g = features(&turned, FeatureSpec::V1).unwrap();
        assert!(close(&f[..ROLL.start], &g[..ROLL.start]) && close(&f[ROLL.end..], &g[ROLL.end..]));
        assert!(!close(&f[ROLL], &g[ROLL]), "H and U differ by direction alone: the roll is kept");
    }

    #[test]
    fn depth_is_optional_and_flagged() {
        let h = hand();
        let with = features(&h, FeatureSpec::V1).unwrap();
        let without = features(&h, FeatureSpec { depth: false, ..FeatureSpec::V1 }).unwrap();
        assert_eq!(with[DEPTH_FLAG], 1.0);
        assert_eq!(without[DEPTH_FLAG], 0.0);
        assert!(with[DEPTH].iter().any(|v| *v != 0.0) && without[DEPTH].iter().all(|v| *v == 0.0));
        assert!(close(&with[..DEPTH.start], &without[..DEPTH.start]));
    }

    #[test]
    fn degenerate_hands_are_errors() {
        let mut h = hand();
        h[7].y = f32::NAN;
        assert_eq!(features(&h, FeatureSpec::V1), Err(FeatureError::NotFinite(7)));
        let flat = [Point { x: 5.0, y: 5.0, z: 0.0 }; POINTS];
        assert_eq!(features(&flat, FeatureSpec::V1), Err(FeatureError::NoSize));
        assert!(FeatureSpec { version: 2, depth: true }.validate().is_err());
    }
}
