//! The [`Preprocessor`]: applies a [`PreprocessSpec`] to pictures, reusing its buffers.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{CpuExtensions, FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::DynamicImage;

use super::frame::{Frame, PixelFormat, Roi};
use super::spec::{luma, ColorMode, Layout, PreprocessSpec, ResizeFilter, ResizeMode};
use super::PreprocessError;

/// Applies one [`PreprocessSpec`]. Keeps its resizer and scratch buffers, so calling it
/// frame after frame allocates nothing once warm.
pub struct Preprocessor {
    spec: PreprocessSpec,
    luts: Vec<[f32; 256]>,
    resizer: Resizer,
    /// The region the model sees, cut out of the source (and converted to RGB for
    /// camera frames).
    region: Vec<u8>,
    /// The resized region, in the source's colour (RGB or gray).
    resized: Vec<u8>,
    /// The spec-size RGB picture: the resized region with any letterbox fill.
    canvas: Vec<u8>,
}

/// A packed 8-bit picture: 3 bytes (RGB) or 1 byte (gray) a pixel.
#[derive(Clone, Copy)]
struct Packed<'a> {
    data: &'a [u8],
    width: u32,
    height: u32,
    gray: bool,
}

/// Where the resized picture lands: the source rectangle read (whole pixels: the
/// fractional crop of `fast_image_resize` 6.1 overflows for some sizes), the size it is
/// resized to, and its offset in the input.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Placement {
    crop: Roi,
    width: u32,
    height: u32,
    x: u32,
    y: u32,
}

impl Preprocessor {
    /// A preprocessor for `spec`, which is validated first.
    pub fn new(spec: PreprocessSpec) -> Result<Self, PreprocessError> {
        spec.validate()?;
        let luts = (0..spec.channels()).map(|c| spec.lut(c)).collect();
        Ok(Self { spec, luts, resizer: Resizer::new(), region: Vec::new(), resized: Vec::new(), canvas: Vec::new() })
    }

    /// The spec this preprocessor applies.
    pub fn spec(&self) -> &PreprocessSpec {
        &self.spec
    }

    /// Uses the portable (non-SIMD) resize kernels. The SIMD kernels of
    /// `fast_image_resize` give the same bytes; tests use this to prove it, since the
    /// SIMD kernels differ between x86_64 and aarch64.
    pub fn use_portable_kernels(&mut self) {
        // SAFETY: `None` is supported on every CPU.
        unsafe { self.resizer.set_cpu_extensions(CpuExtensions::None) };
    }

    /// The whole image as a new input tensor.
    pub fn image(&mut self, img: &DynamicImage) -> Result<Vec<f32>, PreprocessError> {
        let mut out = vec![0f32; self.spec.tensor_len()];
        self.image_into(img, None, &mut out)?;
        Ok(out)
    }

    /// A region of `img` (the whole image when `roi` is `None`) into `out`, which must
    /// hold exactly [`PreprocessSpec::tensor_len`] values: [`Preprocessor::fit_image`]
    /// then [`Preprocessor::normalize_into`].
    pub fn image_into(
        &mut self,
        img: &DynamicImage,
        roi: Option<Roi>,
        out: &mut [f32],
    ) -> Result<(), PreprocessError> {
        self.check_out(out)?;
        self.fit_image(img, roi)?;
        write_tensor(&self.spec, &self.luts, &self.canvas, out);
        Ok(())
    }

    /// The picture the model sees, before colour conversion and normalization: the
    /// region of `img` cropped, resized and letterboxed to the spec's size, as packed
    /// RGB (`width * height * 3` bytes). Training augments this picture, then calls
    /// [`Preprocessor::normalize_into`].
    pub fn fit_image(&mut self, img: &DynamicImage, roi: Option<Roi>) -> Result<&[u8], PreprocessError> {
        let (width, height) = (img.width(), img.height());
        if width == 0 || height == 0 {
            return Err(PreprocessError::EmptyImage { width, height });
        }
        let roi = roi.unwrap_or(Roi::full(width, height)).check_inside(width, height)?;
        let converted;
        let src = match img {
            DynamicImage::ImageRgb8(b) => Packed { data: b.as_raw(), width, height, gray: false },
            DynamicImage::ImageLuma8(b) => Packed { data: b.as_raw(), width, height, gray: true },
            other if other.color().has_color() => {
                converted = DynamicImage::ImageRgb8(other.to_rgb8());
                Packed { data: converted.as_bytes(), width, height, gray: false }
            }
            other => {
                converted = DynamicImage::ImageLuma8(other.to_luma8());
                Packed { data: converted.as_bytes(), width, height, gray: true }
            }
        };
        let place = placement(&self.spec, roi);
        if place.crop == Roi::full(width, height) {
            self.fit(src, &place)?;
        } else {
            let mut buf = std::mem::take(&mut self.region);
            let result = self.fit(src.copy_region(place.crop, &mut buf), &place);
            self.region = buf;
            result?;
        }
        Ok(&self.canvas)
    }

    /// Converts colour, normalizes and lays out a fitted picture (packed RGB of the
    /// spec's size, as [`Preprocessor::fit_image`] returns) into `out`.
    pub fn normalize_into(&self, rgb: &[u8], out: &mut [f32]) -> Result<(), PreprocessError> {
        self.check_out(out)?;
        let expected = self.spec.width as usize * self.spec.height as usize * 3;
        if rgb.len() != expected {
            return Err(PreprocessError::BufferTooSmall {
                format: PixelFormat::Rgb24,
                width: self.spec.width,
                height: self.spec.height,
                stride: self.spec.width as usize * 3,
                need: expected,
                got: rgb.len(),
            });
        }
        write_tensor(&self.spec, &self.luts, rgb, out);
        Ok(())
    }

    /// A region of a raw camera frame (the whole frame when `roi` is `None`) into `out`.
    /// Only the part of the frame the model sees is converted to RGB.
    pub fn frame_into(
        &mut self,
        frame: &Frame<'_>,
        roi: Option<Roi>,
        out: &mut [f32],
    ) -> Result<(), PreprocessError> {
        frame.validate()?;
        let roi = roi
            .unwrap_or(Roi::full(frame.width, frame.height))
            .check_inside(frame.width, frame.height)?;
        self.check_out(out)?;
        let place = placement(&self.spec, roi);
        let mut rgb = std::mem::take(&mut self.region);
        frame.roi_to_rgb(place.crop, &mut rgb);
        let region = Packed { data: &rgb, width: place.crop.width, height: place.crop.height, gray: false };
        let result = self.fit(region, &place);
        self.region = rgb;
        result?;
        write_tensor(&self.spec, &self.luts, &self.canvas, out);
        Ok(())
    }

    fn check_out(&self, out: &[f32]) -> Result<(), PreprocessError> {
        let expected = self.spec.tensor_len();
        if out.len() != expected {
            return Err(PreprocessError::OutputLen { expected, got: out.len() });
        }
        Ok(())
    }

    /// Resizes the whole of `region` (the placement's crop, already cut out) to the
    /// placement's size and puts it on the spec-size RGB canvas (fill around it).
    fn fit(&mut self, region: Packed<'_>, place: &Placement) -> Result<(), PreprocessError> {
        let spec = &self.spec;
        let (pixel_type, bpp) = if region.gray { (PixelType::U8, 1) } else { (PixelType::U8x3, 3) };
        let resize_err = |e: &dyn std::fmt::Display| PreprocessError::Resize(e.to_string());
        let src_img = ImageRef::new(region.width, region.height, region.data, pixel_type)
            .map_err(|e| resize_err(&e))?;
        let resized = &mut self.resized;
        resized.clear();
        resized.resize(place.width as usize * place.height as usize * bpp, 0);
        let mut dst = Image::from_slice_u8(place.width, place.height, resized, pixel_type)
            .map_err(|e| resize_err(&e))?;
        let options = ResizeOptions::new().resize_alg(resize_alg(spec.filter));
        self.resizer.resize(&src_img, &mut dst, &options).map_err(|e| resize_err(&e))?;

        let fill = match spec.resize {
            ResizeMode::Letterbox { fill } => fill,
            _ => [0, 0, 0],
        };
        let (out_w, out_h) = (spec.width as usize, spec.height as usize);
        let canvas = &mut self.canvas;
        canvas.clear();
        canvas.reserve(out_w * out_h * 3);
        for y in 0..out_h {
            for x in 0..out_w {
                let inside = x >= place.x as usize
                    && x < (place.x + place.width) as usize
                    && y >= place.y as usize
                    && y < (place.y + place.height) as usize;
                if inside {
                    let i = ((y - place.y as usize) * place.width as usize + (x - place.x as usize)) * bpp;
                    if region.gray {
                        canvas.extend_from_slice(&[self.resized[i]; 3]);
                    } else {
                        canvas.extend_from_slice(&self.resized[i..i + 3]);
                    }
                } else {
                    canvas.extend_from_slice(&fill);
                }
            }
        }
        Ok(())
    }
}

/// Colour conversion, normalization through the lookup tables, and layout: packed RGB
/// of the spec's size (length checked by the callers) into the tensor `out`.
fn write_tensor(spec: &PreprocessSpec, luts: &[[f32; 256]], rgb: &[u8], out: &mut [f32]) {
    let plane = spec.width as usize * spec.height as usize;
    let channels = spec.channels();
    for (pixel, px) in rgb.chunks_exact(3).enumerate() {
        match spec.color {
            ColorMode::Gray => out[pixel] = luts[0][luma(px[0], px[1], px[2]) as usize],
            ColorMode::Rgb => {
                for c in 0..channels {
                    let idx = match spec.layout {
                        Layout::Nchw => c * plane + pixel,
                        Layout::Nhwc => pixel * channels + c,
                    };
                    out[idx] = luts[c][px[c] as usize];
                }
            }
        }
    }
}

impl<'a> Packed<'a> {
    /// Copies the rectangle `r` (inside this picture) into `buf`, packed.
    fn copy_region<'b>(&self, r: Roi, buf: &'b mut Vec<u8>) -> Packed<'b> {
        let bpp = if self.gray { 1 } else { 3 };
        let row = self.width as usize * bpp;
        buf.clear();
        for y in r.y as usize..(r.y + r.height) as usize {
            let start = y * row + r.x as usize * bpp;
            buf.extend_from_slice(&self.data[start..start + r.width as usize * bpp]);
        }
        Packed { data: buf, width: r.width, height: r.height, gray: self.gray }
    }
}

fn resize_alg(filter: ResizeFilter) -> ResizeAlg {
    match filter {
        ResizeFilter::Nearest => ResizeAlg::Nearest,
        ResizeFilter::Bilinear => ResizeAlg::Convolution(FilterType::Bilinear),
        ResizeFilter::CatmullRom => ResizeAlg::Convolution(FilterType::CatmullRom),
        ResizeFilter::Lanczos3 => ResizeAlg::Convolution(FilterType::Lanczos3),
    }
}

/// Where the region `roi` goes in the spec's input: which part of it is read, the size
/// it is resized to and where that lands.
fn placement(spec: &PreprocessSpec, roi: Roi) -> Placement {
    let (out_w, out_h) = (spec.width, spec.height);
    let full = Placement { crop: roi, width: out_w, height: out_h, x: 0, y: 0 };
    let (rw, rh) = (roi.width as u64, roi.height as u64);
    match spec.resize {
        ResizeMode::Stretch => full,
        ResizeMode::CenterCrop => {
            let crop = if rw * out_h as u64 > rh * out_w as u64 {
                // Wider than the input: keep the height, take the middle columns.
                let cw = ((rh as f64 * out_w as f64 / out_h as f64).round() as u32).clamp(1, roi.width);
                Roi::new(roi.x + (roi.width - cw) / 2, roi.y, cw, roi.height)
            } else {
                let ch = ((rw as f64 * out_h as f64 / out_w as f64).round() as u32).clamp(1, roi.height);
                Roi::new(roi.x, roi.y + (roi.height - ch) / 2, roi.width, ch)
            };
            Placement { crop, ..full }
        }
        ResizeMode::Letterbox { .. } => {
            let s = (out_w as f64 / rw as f64).min(out_h as f64 / rh as f64);
            let width = ((rw as f64 * s).round() as u32).clamp(1, out_w);
            let height = ((rh as f64 * s).round() as u32).clamp(1, out_h);
            Placement { width, height, x: (out_w - width) / 2, y: (out_h - height) / 2, ..full }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(mode: ResizeMode, w: u32, h: u32) -> PreprocessSpec {
        PreprocessSpec { resize: mode, ..PreprocessSpec::unit(w, h, ColorMode::Rgb) }
    }

    #[test]
    fn letterbox_placement_keeps_aspect_and_centres() {
        let p = placement(&spec(ResizeMode::Letterbox { fill: [0; 3] }, 100, 100), Roi::full(200, 100));
        assert_eq!((p.width, p.height, p.x, p.y), (100, 50, 0, 25));
        let p = placement(&spec(ResizeMode::Letterbox { fill: [0; 3] }, 64, 32), Roi::new(10, 10, 30, 60));
        assert_eq!((p.width, p.height, p.x, p.y), (16, 32, 24, 0));
        assert_eq!(p.crop, Roi::new(10, 10, 30, 60));
    }

    #[test]
    fn center_crop_takes_the_middle() {
        let p = placement(&spec(ResizeMode::CenterCrop, 50, 50), Roi::full(200, 100));
        assert_eq!(p.crop, Roi::new(50, 0, 100, 100));
        let p = placement(&spec(ResizeMode::CenterCrop, 50, 50), Roi::new(4, 8, 20, 40));
        assert_eq!(p.crop, Roi::new(4, 18, 20, 20));
        // 13x16 to the aspect of 6x20: 4.8 columns round to 5, centred.
        let p = placement(&spec(ResizeMode::CenterCrop, 6, 20), Roi::full(13, 16));
        assert_eq!(p.crop, Roi::new(4, 0, 5, 16));
        assert_eq!((p.width, p.height, p.x, p.y), (6, 20, 0, 0));
    }
}
