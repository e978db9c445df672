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
    #[error("{path}: corrupt or truncated image: {source}")]
    Corrupt { path: PathBuf, source: image::ImageError },
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
    if reader.format().is_none() {
        return Err(ImageError::Unsupported { path: path() });
    }
    let img = reader.decode().map_err(|source| match source {
        image::ImageError::Unsupported(_) => ImageError::Unsupported { path: path() },
        source => ImageError::Corrupt { path: path(), source },
    })?;
    if img.width() == 0 || img.height() == 0 {
        return Err(ImageError::Empty { path: path(), width: img.width(), height: img.height() });
    }
    Ok(img)
}
