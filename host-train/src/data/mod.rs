//! Datasets in the layouts their users download them in, and the splits made of them.
//!
//! [`load`] reads one dataset into memory as decoded [`Sample`]s:
//!
//! - [`Format::ImageFolder`]: `<root>/<class>/*.{jpg,jpeg,png,bmp}` ([`folder`]);
//! - [`Format::KaggleCsv`]: `label,pixel1..pixel784`, plain or gzip ([`kaggle_csv`]);
//! - [`Format::FileNameLabels`]: `id_<n>_label_<d>.png` files in one folder
//!   ([`filename_labels`]);
//! - [`Format::Npy`] / [`Format::Npz`]: image and label arrays ([`arrays`]);
//! - [`Format::Yolo`]: a YOLOv5 detection export, one sample a photo ([`yolo`]).
//!
//! Every decoded image is `ImageLuma8` (grayscale sources) or `ImageRgb8`, its long
//! side capped at [`LoadOptions::max_side`]. A bad file or row is an error that names
//! it; with [`LoadOptions::skip_bad`] it is skipped and listed in
//! [`Dataset::skipped`] instead. Samples come in a fixed order (class by class, files
//! in natural name order, CSV and array rows in file order), so indices into
//! [`Dataset::samples`] are stable and [`split`] files stay valid.

pub mod arrays;
pub mod augment;
pub mod filename_labels;
pub mod folder;
pub mod hand_corpus;
pub mod landmark_csv;
pub mod kaggle_csv;
pub mod landmarks;
pub mod loader;
pub mod mix;
pub mod split;
pub mod yolo;

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use image::DynamicImage;
use image::imageops::FilterType;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use shared::ClassTable;

/// The on-disk layout of a dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// `<root>/<class>/*.{jpg,jpeg,png,bmp}`; classes are the sorted folder names.
    ImageFolder,
    /// Kaggle CSV (`label,pixel1..pixel784`, 28x28 grayscale), `.csv` or `.csv.gz`.
    KaggleCsv,
    /// One folder of `id_<n>_label_<d>.png` files (AHDD1).
    FileNameLabels,
    /// A folder with an image array and a label array (`X.npy`, `Y.npy`).
    Npy,
    /// One `.npz` archive with an image array and a label array.
    Npz,
    /// A YOLOv5 export: `data.yaml` and `<split>/images` + `<split>/labels`.
    Yolo,
}

/// The dataset's own split, where it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subset {
    /// The dataset's training part.
    Train,
    /// The dataset's test part.
    Test,
}

/// One decoded, labelled image.
#[derive(Clone, Debug)]
pub struct Sample {
    /// `ImageRgb8` or `ImageLuma8` (grayscale sources), long side at most
    /// [`LoadOptions::max_side`].
    pub image: DynamicImage,
    /// Index into [`Dataset::classes`].
    pub label: u32,
    /// Where it came from: `"root/A/A1008.jpg"`, `"sign_mnist_train.csv.gz:row 17"`,
    /// `"X.npy[12]"`.
    pub source: String,
    /// The number in the file name (`A1008.jpg` -> 1008, `IMG_1121.JPG` -> 1121,
    /// `id_17_label_3.png` -> 17), used by grouped splits; `None` for CSV and array rows.
    pub frame: Option<u64>,
    /// The dataset's own split, where it has one.
    pub subset: Option<Subset>,
}

/// A file or row left out under [`LoadOptions::skip_bad`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedFile {
    /// The file (or `file:row N`).
    pub source: String,
    /// Why it was skipped.
    pub reason: String,
}

/// A loaded dataset.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// The last component of the path given to [`load`], without `.csv`/`.gz`/`.npz`.
    pub name: String,
    /// The path given to [`load`].
    pub root: PathBuf,
    /// The layout it was read in.
    pub format: Format,
    /// The classes; [`Sample::label`] indexes this table.
    pub classes: ClassTable,
    /// The samples, in a fixed order (see the module documentation).
    pub samples: Vec<Sample>,
    /// Bad files and rows left out under [`LoadOptions::skip_bad`].
    pub skipped: Vec<SkippedFile>,
    /// The hands' landmarks, when the pictures were replaced by their landmark masks
    /// ([`landmarks::to_masks`]); `None` for picture inputs.
    pub masks: Option<landmarks::Masks>,
}

impl Dataset {
    /// Number of samples per class, indexed like [`Dataset::classes`].
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes.len()];
        for s in &self.samples {
            counts[s.label as usize] += 1;
        }
        counts
    }
}

/// How to read a dataset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    /// The layout; `None` detects it ([`detect_format`]).
    pub format: Option<Format>,
    /// Skip corrupt files and bad rows (recorded in [`Dataset::skipped`]) instead of
    /// failing.
    pub skip_bad: bool,
    /// Larger images are downscaled (antialiased, aspect kept) so that their long side
    /// is at most this.
    pub max_side: u32,
    /// A built-in class table ([`ClassTable::BUILTIN`]) to use instead of the detected
    /// one. Image folders and file-name labels map labels through it by name, leaving
    /// out (with a warning) folders and labels it lacks, so `arsl2018-29` reads the
    /// 32-folder ArSL2018. Array labels map by name when the table's labels are all
    /// numbers, else they are class indices.
    pub classes: Option<String>,
    /// Keep only the first N samples of each class (natural file-name order, or file
    /// order for rows), for quick runs.
    pub limit_per_class: Option<usize>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self { format: None, skip_bad: false, max_side: 512, classes: None, limit_per_class: None }
    }
}

/// File extensions decoded as images (compared case-insensitively).
pub const IMAGE_EXTENSIONS: [&str; 4] = ["jpg", "jpeg", "png", "bmp"];

/// Tells the layout of the dataset at `path`:
///
/// - a `.csv`/`.csv.gz` file, or a folder holding such files: [`Format::KaggleCsv`];
/// - a `.npz` file, or a folder holding exactly one: [`Format::Npz`];
/// - a `.npy` file, or a folder with an image and a label `.npy`: [`Format::Npy`];
/// - a folder of `id_<n>_label_<d>` images: [`Format::FileNameLabels`];
/// - a folder of class folders holding images (or one subfolder with those):
///   [`Format::ImageFolder`].
pub fn detect_format(path: &Path) -> Result<Format> {
    let meta = std::fs::metadata(path).with_context(|| format!("{}: dataset path not found", path.display()))?;
    if meta.is_file() {
        let name = lower_name(path);
        if is_csv_name(&name) {
            return Ok(Format::KaggleCsv);
        }
        if name.ends_with(".npz") {
            return Ok(Format::Npz);
        }
        if name.ends_with(".npy") {
            return Ok(Format::Npy);
        }
        bail!("{}: cannot tell the dataset format of this file (expected .csv, .csv.gz, .npz or .npy)", path.display());
    }
    if yolo::is_yolo(path) {
        return Ok(Format::Yolo);
    }
    let mut files = Vec::new();
    let mut has_dirs = false;
    for entry in read_dir_sorted(path)? {
        if entry.is_dir() {
            has_dirs = true;
        } else {
            files.push(entry);
        }
    }
    let names: Vec<String> = files.iter().map(|f| lower_name(f)).collect();
    let npy_stems: Vec<String> = files
        .iter()
        .filter(|f| lower_name(f).ends_with(".npy"))
        .filter_map(|f| f.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    if arrays::pick_arrays(&npy_stems).is_ok() {
        return Ok(Format::Npy);
    }
    if names.iter().any(|n| is_csv_name(n)) {
        return Ok(Format::KaggleCsv);
    }
    if names.iter().filter(|n| n.ends_with(".npz")).count() == 1 {
        return Ok(Format::Npz);
    }
    if files.iter().any(|f| is_image_file(f) && filename_labels::parse_name(f).is_some()) {
        return Ok(Format::FileNameLabels);
    }
    if has_dirs && folder::find_class_root(path).is_ok() {
        return Ok(Format::ImageFolder);
    }
    bail!(
        "{}: cannot tell the dataset format: no class folders with images, no id_<n>_label_<d> images, \
         no CSV, NPY or NPZ files (give the format explicitly)",
        path.display()
    )
}

/// Loads the dataset at `path` (see the module documentation). Fails on a missing path,
/// an unknown format, a bad file or row (unless [`LoadOptions::skip_bad`]), or when no
/// sample is left.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Dataset> {
    if !path.exists() {
        bail!("{}: dataset path not found", path.display());
    }
    if opts.max_side == 0 {
        bail!("max_side must be at least 1");
    }
    let format = match opts.format {
        Some(f) => f,
        None => detect_format(path)?,
    };
    let ds = match format {
        Format::ImageFolder => folder::load(path, opts),
        Format::KaggleCsv => kaggle_csv::load(path, opts),
        Format::FileNameLabels => filename_labels::load(path, opts),
        Format::Npy | Format::Npz => arrays::load(path, format, opts),
        Format::Yolo => yolo::load(path, opts),
    }?;
    if !ds.skipped.is_empty() {
        tracing::warn!(
            "{}: skipped {} bad file(s)/row(s) of {}; first: {}: {}",
            path.display(),
            ds.skipped.len(),
            ds.skipped.len() + ds.samples.len(),
            ds.skipped[0].source,
            ds.skipped[0].reason
        );
    }
    if ds.samples.is_empty() {
        bail!("{}: no samples found", path.display());
    }
    tracing::info!(
        "{}: {} samples, {} classes ({}), format {:?}",
        path.display(),
        ds.samples.len(),
        ds.classes.len(),
        ds.classes.name,
        format
    );
    Ok(ds)
}

/// The dataset name for `path`: its last component without `.gz`, `.csv`, `.npz`,
/// `.npy`.
pub(crate) fn dataset_name(path: &Path) -> String {
    let mut name =
        path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
    for ext in [".gz", ".csv", ".npz", ".npy"] {
        if name.len() > ext.len() && name.to_ascii_lowercase().ends_with(ext) {
            name.truncate(name.len() - ext.len());
        }
    }
    name
}

/// The forced class table of `opts`, if any.
pub(crate) fn forced_table(opts: &LoadOptions) -> Result<Option<ClassTable>> {
    opts.classes.as_deref().map(|name| ClassTable::builtin(name).map_err(anyhow::Error::from)).transpose()
}

/// The file name of `path`, lower-cased.
pub(crate) fn lower_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default()
}

/// True for `.csv` and `.csv.gz` names (lower-cased).
pub(crate) fn is_csv_name(lower: &str) -> bool {
    lower.ends_with(".csv") || lower.ends_with(".csv.gz")
}

/// True when `path` has an image extension ([`IMAGE_EXTENSIONS`]) and is not a hidden
/// file (such as macOS `._A1.jpg` resource forks).
pub(crate) fn is_image_file(path: &Path) -> bool {
    let name = lower_name(path);
    !name.starts_with('.')
        && path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.as_str()))
}

/// The entries of a directory, in byte order of their names.
pub(crate) fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list folder", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .with_context(|| format!("{}: cannot list folder", dir.display()))?;
    entries.sort();
    Ok(entries)
}

/// The last run of ASCII digits in the file stem: `A1008.jpg` -> 1008,
/// `AIN (12).JPG` -> 12, `IMG_1121.JPG` -> 1121.
pub fn frame_from_name(path: &Path) -> Option<u64> {
    let stem = path.file_stem()?.to_string_lossy();
    let bytes = stem.as_bytes();
    let end = bytes.iter().rposition(u8::is_ascii_digit)? + 1;
    let start = bytes[..end].iter().rposition(|b| !b.is_ascii_digit()).map_or(0, |i| i + 1);
    stem[start..end].parse().ok()
}

/// Natural order of names: runs of digits compare as numbers (`A8` < `A10` < `A1008`),
/// the rest byte by byte; ties are broken by plain byte order.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        if x[i].is_ascii_digit() && y[j].is_ascii_digit() {
            let si = i;
            while i < x.len() && x[i].is_ascii_digit() {
                i += 1;
            }
            let sj = j;
            while j < y.len() && y[j].is_ascii_digit() {
                j += 1;
            }
            let da = trim_zeros(&x[si..i]);
            let db = trim_zeros(&y[sj..j]);
            let ord = da.len().cmp(&db.len()).then_with(|| da.cmp(db));
            if ord != Ordering::Equal {
                return ord;
            }
        } else {
            if x[i] != y[j] {
                return x[i].cmp(&y[j]);
            }
            i += 1;
            j += 1;
        }
    }
    (x.len() - i).cmp(&(y.len() - j)).then_with(|| a.cmp(b))
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let start = d.iter().position(|&b| b != b'0').unwrap_or(d.len());
    &d[start..]
}

/// Converts to `ImageLuma8` (sources without colour) or `ImageRgb8` (alpha dropped) and
/// caps the long side at `max_side` with an antialiased (triangle) downscale that keeps
/// the aspect ratio.
pub fn normalize_image(img: DynamicImage, max_side: u32) -> DynamicImage {
    let img = match img {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => img,
        other if !other.color().has_color() => DynamicImage::ImageLuma8(other.to_luma8()),
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    };
    let (w, h) = (img.width(), img.height());
    let long = w.max(h);
    if long <= max_side {
        return img;
    }
    let scale = |v: u32| ((v as f64 * max_side as f64 / long as f64).round() as u32).clamp(1, max_side);
    let (nw, nh) = (scale(w), scale(h));
    match img {
        DynamicImage::ImageLuma8(b) => {
            DynamicImage::ImageLuma8(image::imageops::resize(&b, nw, nh, FilterType::Triangle))
        }
        DynamicImage::ImageRgb8(b) => {
            DynamicImage::ImageRgb8(image::imageops::resize(&b, nw, nh, FilterType::Triangle))
        }
        _ => unreachable!("converted above"),
    }
}

/// An image file waiting to be decoded.
pub(crate) struct PendingFile {
    pub path: PathBuf,
    pub label: u32,
    pub frame: Option<u64>,
}

/// Decodes files in parallel (rayon), keeping their order. A file that fails is an
/// error naming it (the first in order, with a count of the others), or with
/// `skip_bad` a [`SkippedFile`].
pub(crate) fn decode_files(files: Vec<PendingFile>, opts: &LoadOptions) -> Result<(Vec<Sample>, Vec<SkippedFile>)> {
    let max_side = opts.max_side;
    let results: Vec<std::result::Result<Sample, SkippedFile>> = files
        .into_par_iter()
        .map(|f| {
            let source = f.path.display().to_string();
            match shared::image_io::decode_file(&f.path) {
                Ok(img) => Ok(Sample {
                    image: normalize_image(img, max_side),
                    label: f.label,
                    source,
                    frame: f.frame,
                    subset: None,
                }),
                Err(e) => {
                    let msg = e.to_string();
                    let reason = msg.strip_prefix(&format!("{source}: ")).unwrap_or(&msg).to_string();
                    Err(SkippedFile { source, reason })
                }
            }
        })
        .collect();
    split_results(results, opts.skip_bad)
}

/// Separates good samples from bad ones: an error for the first bad one unless
/// `skip_bad`.
pub(crate) fn split_results(
    results: Vec<std::result::Result<Sample, SkippedFile>>,
    skip_bad: bool,
) -> Result<(Vec<Sample>, Vec<SkippedFile>)> {
    let mut samples = Vec::with_capacity(results.len());
    let mut skipped = Vec::new();
    for r in results {
        match r {
            Ok(s) => samples.push(s),
            Err(bad) => skipped.push(bad),
        }
    }
    if !skip_bad && let Some(first) = skipped.first() {
        let more = match skipped.len() {
            1 => String::new(),
            n => format!(" ({} more bad)", n - 1),
        };
        bail!("{}: {}{more}; use skip-bad to leave bad files out", first.source, first.reason);
    }
    Ok((samples, skipped))
}

/// Keeps the first `limit` items of each label, in their current order.
pub(crate) fn limit_per_label<T>(items: Vec<T>, limit: Option<usize>, label: impl Fn(&T) -> u32) -> Vec<T> {
    let Some(limit) = limit else { return items };
    let mut seen = std::collections::HashMap::<u32, usize>::new();
    items
        .into_iter()
        .filter(|it| {
            let n = seen.entry(label(it)).or_default();
            *n += 1;
            *n <= limit
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_from_names() {
        let f = |s: &str| frame_from_name(Path::new(s));
        assert_eq!(f("A1008.jpg"), Some(1008));
        assert_eq!(f("IMG_1121.JPG"), Some(1121));
        assert_eq!(f("AIN (12).JPG"), Some(12));
        assert_eq!(f("space8.jpg"), Some(8));
        assert_eq!(f("nothing.jpg"), None);
        assert_eq!(f("x99999999999999999999999.png"), None);
    }

    #[test]
    fn natural_order() {
        let mut v = vec!["A1008.jpg", "A8.jpg", "A10.jpg", "A010.jpg", "B1.jpg", "A9x.jpg"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["A8.jpg", "A9x.jpg", "A010.jpg", "A10.jpg", "A1008.jpg", "B1.jpg"]);
        assert_eq!(natural_cmp("a", "a"), Ordering::Equal);
        assert_eq!(natural_cmp("a", "ab"), Ordering::Less);
    }

    #[test]
    fn normalize_caps_and_converts() {
        let rgba = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(300, 100, image::Rgba([10, 20, 30, 40])));
        let out = normalize_image(rgba, 60);
        assert!(matches!(out, DynamicImage::ImageRgb8(_)));
        assert_eq!((out.width(), out.height()), (60, 20));
        assert_eq!(out.to_rgb8().get_pixel(30, 10).0, [10, 20, 30]);
        let gray = DynamicImage::ImageLumaA8(image::GrayAlphaImage::from_pixel(10, 40, image::LumaA([7, 255])));
        let out = normalize_image(gray, 512);
        assert!(matches!(out, DynamicImage::ImageLuma8(_)));
        assert_eq!((out.width(), out.height()), (10, 40));
        let thin = DynamicImage::ImageLuma8(image::GrayImage::new(1000, 1));
        let out = normalize_image(thin, 100);
        assert_eq!((out.width(), out.height()), (100, 1));
    }

    #[test]
    fn dataset_names() {
        assert_eq!(dataset_name(Path::new("/d/sign_mnist_test.csv.gz")), "sign_mnist_test");
        assert_eq!(dataset_name(Path::new("/d/asl-alphabet")), "asl-alphabet");
        assert_eq!(dataset_name(Path::new("/d/digits.npz")), "digits");
    }
}
