//! Decoding image files, with errors that name the file and say what is wrong.

use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageReader};

/// Why an image could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The bytes are not an image format we decode (JPEG, PNG, BMP).
    #[error("{path}: not a supported image (JPEG, PNG or BMP)")]
    Unsupported { path: PathBuf },
    /// The decoder failed: truncated or corrupt data.
    /// (`reason` is not an error source: its text is in this message already, and a
    /// source would print it again in `{:#}` chains.)
    #[error("{path}: corrupt or truncated image: {reason}")]
    Corrupt { path: PathBuf, reason: image::ImageError },
    /// The file ends before the image does (decoders such as zune-jpeg fill the
    /// missing rows silently, so this is checked before decoding).
    #[error("{path}: corrupt or truncated image: {reason}")]
    Truncated { path: PathBuf, reason: &'static str },
    /// The image decoded to zero pixels.
    #[error("{path}: image has zero size ({width}x{height})")]
    Empty { path: PathBuf, width: u32, height: u32 },
}

/// Decodes an image file; the format is taken from the content, not the extension.
pub fn decode_file(path: &Path) -> Result<DynamicImage, ImageError> {
    let bytes = std::fs::read(path).map_err(|source| ImageError::Io { path: path.to_path_buf(), source })?;
    decode_bytes(&bytes, path)
}

/// Decodes image bytes; `name` is the path reported in errors.
pub fn decode_bytes(bytes: &[u8], name: &Path) -> Result<DynamicImage, ImageError> {
    let path = || name.to_path_buf();
    let reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|source| ImageError::Io { path: path(), source })?;
    match reader.format() {
        None => return Err(ImageError::Unsupported { path: path() }),
        Some(image::ImageFormat::Jpeg) if !ends_with_jpeg_eoi(bytes) => {
            return Err(ImageError::Truncated { path: path(), reason: "no JPEG end-of-image marker (FF D9)" });
        }
        Some(_) => {}
    }
    let img = reader.decode().map_err(|source| match source {
        image::ImageError::Unsupported(_) => ImageError::Unsupported { path: path() },
        reason => ImageError::Corrupt { path: path(), reason },
    })?;
    if img.width() == 0 || img.height() == 0 {
        return Err(ImageError::Empty { path: path(), width: img.width(), height: img.height() });
    }
    Ok(img)
}

/// True when the JPEG data ends with its end-of-image marker, allowing zero padding
/// after it (every one of the 17,462 JPEGs in ../shared/data ends so).
fn ends_with_jpeg_eoi(bytes: &[u8]) -> bool {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    bytes[..end].ends_with(&[0xFF, 0xD9])
}
