//! Raw camera buffers (RGB24, YUYV) and regions of interest.

use serde::{Deserialize, Serialize};

use super::PreprocessError;

/// Pixel format of a raw camera buffer.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PixelFormat {
    /// 3 bytes a pixel: R, G, B.
    Rgb24,
    /// YUV 4:2:2 packed as Y0 U Y1 V for each pair of pixels (V4L2 `YUYV`), BT.601
    /// limited range.
    Yuyv,
}

impl PixelFormat {
    /// Bytes per pixel.
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            PixelFormat::Rgb24 => 3,
            PixelFormat::Yuyv => 2,
        }
    }
}

/// A rectangle in pixels, inside a picture.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Roi {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width, at least 1.
    pub width: u32,
    /// Height, at least 1.
    pub height: u32,
}

impl Roi {
    /// A rectangle from its left, top, width and height.
    pub fn new(x: u32, y: u32, width: u32, height: u32) -> Self {
        Self { x, y, width, height }
    }

    /// The whole of a `width` x `height` picture.
    pub fn full(width: u32, height: u32) -> Self {
        Self::new(0, 0, width, height)
    }

    /// Checks the rectangle is non-empty and inside a `width` x `height` picture.
    pub fn check_inside(self, width: u32, height: u32) -> Result<Self, PreprocessError> {
        let inside = self.width > 0
            && self.height > 0
            && (self.x as u64 + self.width as u64) <= width as u64
            && (self.y as u64 + self.height as u64) <= height as u64;
        if inside {
            Ok(self)
        } else {
            Err(PreprocessError::RoiOutside { roi: self, width, height })
        }
    }
}

/// A borrowed raw camera frame.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    /// Pixel bytes, `stride` bytes a row.
    pub data: &'a [u8],
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bytes from the start of one row to the next (at least a row's bytes).
    pub stride: usize,
    /// Pixel format.
    pub format: PixelFormat,
}

impl<'a> Frame<'a> {
    /// A frame with tightly packed rows, checked.
    pub fn packed(data: &'a [u8], width: u32, height: u32, format: PixelFormat) -> Result<Self, PreprocessError> {
        let stride = width as usize * format.bytes_per_pixel();
        Self::with_stride(data, width, height, stride, format)
    }

    /// A frame with an explicit row stride, checked.
    pub fn with_stride(
        data: &'a [u8],
        width: u32,
        height: u32,
        stride: usize,
        format: PixelFormat,
    ) -> Result<Self, PreprocessError> {
        let frame = Self { data, width, height, stride, format };
        frame.validate()?;
        Ok(frame)
    }

    /// Checks geometry against the buffer: non-empty, stride covers a row, YUYV width
    /// even, and the buffer long enough.
    pub fn validate(&self) -> Result<(), PreprocessError> {
        let format = self.format;
        if self.width == 0 || self.height == 0 {
            return Err(PreprocessError::EmptyImage { width: self.width, height: self.height });
        }
        let row = self.width as usize * format.bytes_per_pixel();
        if self.stride < row {
            return Err(PreprocessError::BadGeometry {
                format,
                reason: format!("stride {} is shorter than a row of {row} bytes", self.stride),
            });
        }
        if format == PixelFormat::Yuyv && !self.width.is_multiple_of(2) {
            return Err(PreprocessError::BadGeometry {
                format,
                reason: format!("YUYV width {} is odd", self.width),
            });
        }
        let need = self.stride * (self.height as usize - 1) + row;
        if self.data.len() < need {
            return Err(PreprocessError::BufferTooSmall {
                format,
                width: self.width,
                height: self.height,
                stride: self.stride,
                need,
                got: self.data.len(),
            });
        }
        Ok(())
    }

    /// The whole frame as packed RGB24 in `out` (for previews), after [`Frame::validate`].
    pub fn to_rgb(&self, out: &mut Vec<u8>) -> Result<(), PreprocessError> {
        self.validate()?;
        self.roi_to_rgb(Roi::full(self.width, self.height), out);
        Ok(())
    }

    /// Writes the region `roi` as packed RGB24 into `out` (resized to fit).
    pub(crate) fn roi_to_rgb(&self, roi: Roi, out: &mut Vec<u8>) {
        out.clear();
        out.reserve(roi.width as usize * roi.height as usize * 3);
        for y in roi.y..roi.y + roi.height {
            let row = &self.data[y as usize * self.stride..];
            match self.format {
                PixelFormat::Rgb24 => {
                    let start = roi.x as usize * 3;
                    out.extend_from_slice(&row[start..start + roi.width as usize * 3]);
                }
                PixelFormat::Yuyv => {
                    for x in roi.x..roi.x + roi.width {
                        let pair = (x as usize & !1) * 2;
                        let luma = row[x as usize * 2];
                        out.extend_from_slice(&yuv_to_rgb(luma, row[pair + 1], row[pair + 3]));
                    }
                }
            }
        }
    }
}

/// BT.601 limited-range YUV to RGB in integer fixed point (the formula of ITU-R BT.601
/// with coefficients scaled by 256, as V4L2 and libyuv document it).
#[inline]
pub(crate) fn yuv_to_rgb(y: u8, u: u8, v: u8) -> [u8; 3] {
    let c = 298 * (y as i32 - 16);
    let d = u as i32 - 128;
    let e = v as i32 - 128;
    let clip = |x: i32| ((x + 128) >> 8).clamp(0, 255) as u8;
    [clip(c + 409 * e), clip(c - 100 * d - 208 * e), clip(c + 516 * d)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuv_reference_colours() {
        // Limited-range black, white and the BT.601 primaries.
        assert_eq!(yuv_to_rgb(16, 128, 128), [0, 0, 0]);
        assert_eq!(yuv_to_rgb(235, 128, 128), [255, 255, 255]);
        assert_eq!(yuv_to_rgb(81, 90, 240), [255, 0, 0]);
        // Green lands one step off in blue: 8-bit limited range cannot hit it exactly.
        assert_eq!(yuv_to_rgb(145, 54, 34), [0, 255, 1]);
        assert_eq!(yuv_to_rgb(41, 240, 110), [0, 0, 255]);
    }
}
