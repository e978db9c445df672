//! Training-time augmentation, as in the seeds (002 §4.2, §4.4.6): random resized crop,
//! horizontal flip, rotation, affine translate and scale, colour jitter. Every picture
//! ends in the `shared` preprocessing, so training sees exactly the device's resize,
//! colour conversion and normalization.

use image::{Rgb, RgbImage};
use imageproc::geometric_transformations::{Interpolation, Projection, warp_into};
use rand::Rng;
use serde::{Deserialize, Serialize};
use shared::{Preprocessor, Roi};

/// Augmentation settings (all off when `enabled` is false).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AugmentConfig {
    /// Master switch.
    pub enabled: bool,
    /// Random resized crop: fraction of the picture's area kept, min and max.
    pub crop_area: [f64; 2],
    /// Random resized crop: aspect ratio range of the crop.
    pub crop_ratio: [f64; 2],
    /// Probability of a horizontal flip.
    pub hflip: f64,
    /// Maximum rotation, degrees either way.
    pub rotation_deg: f64,
    /// Maximum translation, as a fraction of the side, either way.
    pub translate: f64,
    /// Affine scale range.
    pub scale: [f64; 2],
    /// Brightness, contrast and saturation jitter: factors drawn from 1 ± this.
    pub brightness: f64,
    /// See `brightness`.
    pub contrast: f64,
    /// See `brightness`.
    pub saturation: f64,
    /// White balance: each channel's gain drawn from 1 ± this (other light colours).
    #[serde(default)]
    pub white_balance: f64,
    /// Probability of a Gaussian blur (sigma 0.3..1.2 pixels at the input size:
    /// focus and motion of cheap cameras).
    #[serde(default)]
    pub blur: f64,
    /// Sensor noise: Gaussian, standard deviation drawn from 0..this (8-bit levels).
    #[serde(default)]
    pub noise: f64,
    /// Landmark masks: the hand turned about its vertical axis by up to this many
    /// degrees either way before it is drawn (another viewpoint).
    #[serde(default)]
    pub landmark_yaw_deg: f64,
    /// Landmark masks: the same about the horizontal axis.
    #[serde(default)]
    pub landmark_pitch_deg: f64,
    /// Landmark masks: each bone's length scaled by 1 ± up to this (another hand).
    #[serde(default)]
    pub landmark_bones: f64,
    /// Landmark masks: noise on each point, standard deviation this fraction of the
    /// hand's size (rougher landmarks from a worse camera).
    #[serde(default)]
    pub landmark_noise: f64,
    /// Landmark masks: each finger joint bent by up to this many degrees either way in
    /// the picture's plane (another way of holding the same letter).
    #[serde(default)]
    pub landmark_joints_deg: f64,
}

impl Default for AugmentConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            crop_area: [0.65, 1.0],
            crop_ratio: [0.75, 4.0 / 3.0],
            hflip: 0.5,
            rotation_deg: 15.0,
            translate: 0.1,
            scale: [0.9, 1.1],
            brightness: 0.3,
            contrast: 0.3,
            saturation: 0.3,
            white_balance: 0.1,
            blur: 0.3,
            noise: 6.0,
            landmark_yaw_deg: 0.0,
            landmark_pitch_deg: 0.0,
            landmark_bones: 0.0,
            landmark_noise: 0.0,
            landmark_joints_deg: 0.0,
        }
    }
}

impl AugmentConfig {
    /// No augmentation.
    pub fn off() -> Self {
        Self { enabled: false, ..Self::default() }
    }
}

/// A random crop rectangle as torchvision's `RandomResizedCrop` draws it: an area
/// fraction and an aspect ratio (log-uniform), ten tries, else the whole picture.
pub fn random_crop(width: u32, height: u32, cfg: &AugmentConfig, rng: &mut impl Rng) -> Roi {
    let area = (width as f64) * (height as f64);
    let (lo, hi) = (cfg.crop_ratio[0].ln(), cfg.crop_ratio[1].ln());
    for _ in 0..10 {
        let target = area * rng.random_range(cfg.crop_area[0]..=cfg.crop_area[1]);
        let ratio = rng.random_range(lo..=hi).exp();
        let w = (target * ratio).sqrt().round() as u32;
        let h = (target / ratio).sqrt().round() as u32;
        if w >= 1 && h >= 1 && w <= width && h <= height {
            let x = rng.random_range(0..=width - w);
            let y = rng.random_range(0..=height - h);
            return Roi::new(x, y, w, h);
        }
    }
    Roi::full(width, height)
}

/// One augmented training input: crop, then `shared`'s fit to the input size, then
/// flip, affine warp and colour jitter on the fitted picture, then `shared`'s
/// normalization into `out`.
pub fn augment_into(
    img: &image::DynamicImage,
    cfg: &AugmentConfig,
    pre: &mut Preprocessor,
    rng: &mut impl Rng,
    out: &mut [f32],
) -> anyhow::Result<()> {
    if !cfg.enabled {
        pre.image_into(img, None, out)?;
        return Ok(());
    }
    let roi = random_crop(img.width(), img.height(), cfg, rng);
    let (w, h) = (pre.spec().width, pre.spec().height);
    let fitted = pre.fit_image(img, Some(roi))?.to_vec();
    let mut pic = RgbImage::from_raw(w, h, fitted).expect("fit_image returns width*height*3 bytes");
    if rng.random_bool(cfg.hflip.clamp(0.0, 1.0)) {
        image::imageops::flip_horizontal_in_place(&mut pic);
    }
    let angle = (rng.random_range(-1.0..=1.0) * cfg.rotation_deg).to_radians() as f32;
    let tx = (rng.random_range(-1.0..=1.0) * cfg.translate * w as f64) as f32;
    let ty = (rng.random_range(-1.0..=1.0) * cfg.translate * h as f64) as f32;
    let s = rng.random_range(cfg.scale[0]..=cfg.scale[1]) as f32;
    if angle != 0.0 || tx != 0.0 || ty != 0.0 || s != 1.0 {
        let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
        let projection = Projection::translate(cx + tx, cy + ty)
            * Projection::rotate(angle)
            * Projection::scale(s, s)
            * Projection::translate(-cx, -cy);
        let mut warped = RgbImage::new(w, h);
        warp_into(&pic, &projection, Interpolation::Bilinear, Rgb([0, 0, 0]), &mut warped);
        pic = warped;
    }
    jitter(&mut pic, cfg, rng);
    camera_effects(&mut pic, cfg, rng);
    pre.normalize_into(pic.as_raw(), out)?;
    Ok(())
}

/// White balance, blur and noise: what another camera in another light does.
fn camera_effects(pic: &mut RgbImage, cfg: &AugmentConfig, rng: &mut impl Rng) {
    if cfg.white_balance > 0.0 {
        let lo = (1.0 - cfg.white_balance).max(0.0);
        let gain: [f32; 3] = std::array::from_fn(|_| rng.random_range(lo..=1.0 + cfg.white_balance) as f32);
        for p in pic.pixels_mut() {
            for (v, g) in p.0.iter_mut().zip(gain) {
                *v = (*v as f32 * g).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    if cfg.blur > 0.0 && rng.random_bool(cfg.blur.clamp(0.0, 1.0)) {
        *pic = imageproc::filter::gaussian_blur_f32(pic, rng.random_range(0.3..=1.2));
    }
    if cfg.noise > 0.0 {
        let sigma = rng.random_range(0.0..=cfg.noise) as f32;
        // Sum of two uniforms: a triangular draw with variance sigma^2, cheap and close
        // enough to Gaussian for sensor noise.
        let k = sigma * 6f32.sqrt();
        for v in pic.iter_mut() {
            let n = (rng.random::<f32>() + rng.random::<f32>() - 1.0) * k;
            *v = (*v as f32 + n).round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// Brightness, contrast and saturation jitter, applied in that fixed order, on 8-bit
/// RGB.
fn jitter(pic: &mut RgbImage, cfg: &AugmentConfig, rng: &mut impl Rng) {
    let factor = |amount: f64, rng: &mut dyn rand::RngCore| -> f32 {
        if amount > 0.0 { rand::Rng::random_range(rng, (1.0 - amount).max(0.0)..=1.0 + amount) as f32 } else { 1.0 }
    };
    let b = factor(cfg.brightness, rng);
    let c = factor(cfg.contrast, rng);
    let s = factor(cfg.saturation, rng);
    if b == 1.0 && c == 1.0 && s == 1.0 {
        return;
    }
    let luma = |p: &[f32; 3]| 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
    let n = (pic.width() * pic.height()) as f32;
    let mean = pic.pixels().map(|p| luma(&p.0.map(|v| v as f32)) * b).sum::<f32>() / n;
    for p in pic.pixels_mut() {
        let mut v = p.0.map(|v| v as f32 * b);
        v = v.map(|x| mean + (x - mean) * c);
        let g = luma(&v);
        v = v.map(|x| g + (x - g) * s);
        p.0 = v.map(|x| x.round().clamp(0.0, 255.0) as u8);
    }
}
