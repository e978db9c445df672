//! Array datasets: an image array and a label array, as `.npy` files in one folder
//! ([`Format::Npy`]) or inside one `.npz` archive ([`Format::Npz`]).
//!
//! Array names are matched case-insensitively: images `X`, `x`, `images`, `image`,
//! `imgs`, `data`, `features`, `inputs`, `input`, `pixels`; labels `Y`, `y`, `labels`, `label`,
//! `targets`, `target`. With a `_train`/`_test` suffix (or `train_`/`test_` prefix),
//! as in Keras' `x_train, y_train, x_test, y_test`, the samples get that [`Subset`].
//! The error for an archive without such arrays lists the names found.
//!
//! - Images: `N x H x W` or `N x H x W x C` (C = 1 grayscale, 3 RGB, 4 RGBA with alpha
//!   dropped), C order, dtype `u8`, another integer type holding 0..=255, or
//!   `f32`/`f64` holding 0..=1 (scaled by 255) or, when the maximum is above 1,
//!   0..=255 (rounded).
//! - Labels: `N` (or `N x 1`) integers (integral floats accepted), or `N x K` one-hot.
//!
//! Classes are `"0".."K-1"` (K: the one-hot width, else the largest label + 1), unless
//! [`LoadOptions::classes`] names a built-in table. Sample sources read `X.npy[12]` or
//! `digits.npz:X[12]`.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use image::{DynamicImage, GrayImage, RgbImage};
use npyz::{DType, NpyFile, Order, TypeChar};
use rayon::prelude::*;
use shared::ClassTable;

use super::{Dataset, Format, LoadOptions, Sample, SkippedFile, Subset};

const IMAGE_NAMES: [&str; 9] = ["x", "images", "image", "imgs", "data", "features", "inputs", "pixels", "input"];
const LABEL_NAMES: [&str; 5] = ["y", "labels", "label", "targets", "target"];

/// The image and label arrays of one part of an array dataset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArrayPair {
    /// Name of the image array (as stored, e.g. `X` or `x_train`).
    pub images: String,
    /// Name of the label array.
    pub labels: String,
    /// The dataset's own split this pair belongs to, from a `train`/`test` affix.
    pub subset: Option<Subset>,
}

/// Chooses the image and label arrays among `names` (see the module documentation):
/// the `train`/`test` pairs when both roles are present for a subset, else the plain
/// pair. Fails, listing `names`, when there is no pair or a role is ambiguous.
pub fn pick_arrays(names: &[String]) -> Result<Vec<ArrayPair>> {
    #[derive(Default)]
    struct Roles {
        images: Vec<String>,
        labels: Vec<String>,
    }
    let mut by_subset: [(Option<Subset>, Roles); 3] =
        [(None, Roles::default()), (Some(Subset::Train), Roles::default()), (Some(Subset::Test), Roles::default())];
    for name in names {
        let lower = name.to_ascii_lowercase();
        let (base, subset) = strip_subset(&lower);
        let slot = &mut by_subset.iter_mut().find(|(s, _)| *s == subset).expect("all subsets listed").1;
        if IMAGE_NAMES.contains(&base) {
            slot.images.push(name.clone());
        } else if LABEL_NAMES.contains(&base) {
            slot.labels.push(name.clone());
        }
    }
    let listed = || if names.is_empty() { "none".to_string() } else { names.join(", ") };
    let mut pairs = Vec::new();
    for (subset, roles) in &by_subset {
        if roles.images.is_empty() || roles.labels.is_empty() {
            continue;
        }
        if roles.images.len() > 1 || roles.labels.len() > 1 {
            bail!(
                "ambiguous arrays: images {:?}, labels {:?} (arrays found: {})",
                roles.images,
                roles.labels,
                listed()
            );
        }
        pairs.push(ArrayPair { images: roles.images[0].clone(), labels: roles.labels[0].clone(), subset: *subset });
    }
    if pairs.len() > 1 && pairs[0].subset.is_none() {
        // A plain pair beside train/test pairs: the split pairs are the dataset.
        pairs.remove(0);
    }
    if pairs.is_empty() {
        bail!(
            "no image and label arrays (expected names like X/Y, x/y, images/labels, x_train/y_train; arrays found: {})",
            listed()
        );
    }
    Ok(pairs)
}

fn strip_subset(lower: &str) -> (&str, Option<Subset>) {
    for (tag, subset) in [("train", Subset::Train), ("test", Subset::Test)] {
        for sep in ["_", "-", "."] {
            if let Some(b) = lower.strip_suffix(&format!("{sep}{tag}")) {
                return (b, Some(subset));
            }
            if let Some(b) = lower.strip_prefix(&format!("{tag}{sep}")) {
                return (b, Some(subset));
            }
        }
    }
    (lower, None)
}

/// Decoded values of one array, in C order.
#[derive(Clone, Debug, PartialEq)]
enum Values {
    U8(Vec<u8>),
    I64(Vec<i64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::U8(v) => v.len(),
            Values::I64(v) => v.len(),
            Values::F32(v) => v.len(),
            Values::F64(v) => v.len(),
        }
    }
}

/// One array: its shape and values.
#[derive(Clone, Debug)]
struct Array {
    shape: Vec<u64>,
    values: Values,
}

fn read_array<R: Read>(npy: NpyFile<R>, what: &str) -> Result<Array> {
    let shape = npy.shape().to_vec();
    if npy.order() == Order::Fortran && shape.iter().filter(|&&d| d > 1).count() > 1 {
        bail!("{what}: Fortran-order arrays are not supported (save with numpy's default C order)");
    }
    let DType::Plain(ts) = npy.dtype() else {
        bail!("{what}: structured dtype {:?} is not supported", npy.dtype().descr());
    };
    let expected: u64 = shape.iter().product();
    let err = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => {
            anyhow!("{what}: the data ends before the {expected} values of shape {shape:?} (a truncated file?)")
        }
        _ => anyhow!("{what}: cannot read data: {e}"),
    };
    let widen = |v: Vec<i64>| Values::I64(v);
    let values = match (ts.type_char(), ts.size_field()) {
        (TypeChar::Uint, 1) => Values::U8(npy.into_vec::<u8>().map_err(err)?),
        (TypeChar::Uint, 2) => widen(npy.into_vec::<u16>().map_err(err)?.into_iter().map(i64::from).collect()),
        (TypeChar::Uint, 4) => widen(npy.into_vec::<u32>().map_err(err)?.into_iter().map(i64::from).collect()),
        (TypeChar::Uint, 8) => widen(
            npy.into_vec::<u64>().map_err(err)?.into_iter().map(|v| i64::try_from(v).unwrap_or(i64::MAX)).collect(),
        ),
        (TypeChar::Int, 1) => widen(npy.into_vec::<i8>().map_err(err)?.into_iter().map(i64::from).collect()),
        (TypeChar::Int, 2) => widen(npy.into_vec::<i16>().map_err(err)?.into_iter().map(i64::from).collect()),
        (TypeChar::Int, 4) => widen(npy.into_vec::<i32>().map_err(err)?.into_iter().map(i64::from).collect()),
        (TypeChar::Int, 8) => widen(npy.into_vec::<i64>().map_err(err)?),
        (TypeChar::Float, 4) => Values::F32(npy.into_vec::<f32>().map_err(err)?),
        (TypeChar::Float, 8) => Values::F64(npy.into_vec::<f64>().map_err(err)?),
        _ => bail!("{what}: dtype {ts} is not supported (use u8, an integer type, f32 or f64)"),
    };
    if values.len() as u64 != expected {
        bail!("{what}: holds {} values, shape {:?} needs {expected}", values.len(), shape);
    }
    Ok(Array { shape, values })
}

/// Pixel values as u8 (see the module documentation for the accepted ranges).
fn to_pixels(values: Values, what: &str) -> Result<Vec<u8>> {
    fn floats<F: Copy + Into<f64> + Send + Sync>(v: &[F], what: &str) -> Result<Vec<u8>> {
        let (min, max) = v
            .par_iter()
            .map(|&x| x.into())
            .fold(
                || (f64::INFINITY, f64::NEG_INFINITY),
                |(lo, hi), x: f64| if x.is_nan() { (f64::NAN, f64::NAN) } else { (lo.min(x), hi.max(x)) },
            )
            .reduce(
                || (f64::INFINITY, f64::NEG_INFINITY),
                |a, b| if a.0.is_nan() || b.0.is_nan() { (f64::NAN, f64::NAN) } else { (a.0.min(b.0), a.1.max(b.1)) },
            );
        if min.is_nan() || min.is_infinite() || max.is_infinite() {
            if v.is_empty() {
                return Ok(Vec::new());
            }
            bail!("{what}: pixel values include NaN or infinity");
        }
        if min < 0.0 || max > 255.0 {
            bail!("{what}: pixel values run {min}..{max}, outside 0..1 and 0..255");
        }
        let scale = if max <= 1.0 { 255.0 } else { 1.0 };
        Ok(v.par_iter().map(|&x| (x.into() * scale).round().clamp(0.0, 255.0) as u8).collect())
    }
    match values {
        Values::U8(v) => Ok(v),
        Values::I64(v) => {
            if let Some((i, x)) = v.iter().enumerate().find(|(_, x)| !(0..=255).contains(*x)) {
                bail!("{what}: pixel value {x} at flat index {i} is outside 0..=255");
            }
            Ok(v.into_iter().map(|x| x as u8).collect())
        }
        Values::F32(v) => floats(&v, what),
        Values::F64(v) => floats(&v, what),
    }
}

/// Labels as integers, from `N`/`N x 1` integers or `N x K` one-hot; also returns K for
/// one-hot labels.
fn to_labels(array: Array, what: &str) -> Result<(Vec<u64>, Option<usize>)> {
    let as_f64: Vec<f64> = match array.values {
        Values::U8(v) => v.into_iter().map(f64::from).collect(),
        Values::I64(v) => v.into_iter().map(|x| x as f64).collect(),
        Values::F32(v) => v.into_iter().map(f64::from).collect(),
        Values::F64(v) => v,
    };
    let integral = |x: f64, i: usize| -> Result<u64> {
        if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x < 1e15 {
            Ok(x as u64)
        } else {
            bail!("{what}: label {x} at row {i} is not a non-negative integer")
        }
    };
    match array.shape.as_slice() {
        [_] | [_, 1] => Ok((as_f64.iter().enumerate().map(|(i, &x)| integral(x, i)).collect::<Result<_>>()?, None)),
        [n, k] => {
            let k = *k as usize;
            let mut labels = Vec::with_capacity(*n as usize);
            for (i, row) in as_f64.chunks(k).enumerate() {
                let ones: Vec<usize> = row.iter().enumerate().filter(|(_, x)| **x != 0.0).map(|(j, _)| j).collect();
                match ones.as_slice() {
                    [j] if row[*j] == 1.0 => labels.push(*j as u64),
                    _ => bail!("{what}: row {i} is not one-hot ({} non-zero values)", ones.len()),
                }
            }
            Ok((labels, Some(k)))
        }
        other => bail!("{what}: labels must be N, N x 1 or N x K one-hot, not shape {other:?}"),
    }
}

/// One part (subset) read from arrays, before class mapping.
struct Part {
    images: Array,
    images_name: String,
    labels: Vec<u64>,
    subset: Option<Subset>,
}

/// Where the arrays come from.
enum Source {
    Folder(PathBuf),
    Archive(PathBuf),
}

impl Source {
    fn names(&self) -> Result<Vec<String>> {
        match self {
            Source::Folder(dir) => Ok(super::read_dir_sorted(dir)?
                .into_iter()
                .filter(|p| p.is_file() && super::lower_name(p).ends_with(".npy"))
                .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .collect()),
            Source::Archive(file) => {
                let archive = npyz::npz::NpzArchive::open(file)
                    .with_context(|| format!("{}: cannot open as .npz", file.display()))?;
                let mut names: Vec<String> = archive.array_names().map(str::to_string).collect();
                names.sort();
                Ok(names)
            }
        }
    }

    /// The display name of array `name`, as used in errors and sample sources.
    fn label(&self, name: &str) -> String {
        match self {
            Source::Folder(_) => format!("{name}.npy"),
            Source::Archive(file) => format!("{}:{name}", file.file_name().unwrap_or_default().to_string_lossy()),
        }
    }

    fn read(&self, name: &str) -> Result<Array> {
        match self {
            Source::Folder(dir) => {
                let path = dir.join(format!("{name}.npy"));
                let what = path.display().to_string();
                let f = File::open(&path).with_context(|| format!("{what}: cannot open"))?;
                let npy = NpyFile::new(BufReader::with_capacity(1 << 16, f))
                    .map_err(|e| anyhow!("{what}: not a valid .npy file: {e}"))?;
                read_array(npy, &what)
            }
            Source::Archive(file) => {
                let what = format!("{}:{name}", file.display());
                let mut archive = npyz::npz::NpzArchive::open(file)
                    .with_context(|| format!("{}: cannot open as .npz", file.display()))?;
                let npy = archive
                    .by_name(name)
                    .map_err(|e| anyhow!("{what}: not a valid array: {e}"))?
                    .ok_or_else(|| anyhow!("{what}: no such array"))?;
                read_array(npy, &what)
            }
        }
    }
}

/// Finds the arrays for `path` in `format`.
fn source_for(path: &Path, format: Format) -> Result<Source> {
    Ok(match format {
        Format::Npy if path.is_file() => Source::Folder(path.parent().unwrap_or(Path::new(".")).to_path_buf()),
        Format::Npy => Source::Folder(path.to_path_buf()),
        Format::Npz if path.is_file() => Source::Archive(path.to_path_buf()),
        Format::Npz => {
            let npz: Vec<PathBuf> = super::read_dir_sorted(path)?
                .into_iter()
                .filter(|p| p.is_file() && super::lower_name(p).ends_with(".npz"))
                .collect();
            match npz.as_slice() {
                [one] => Source::Archive(one.clone()),
                [] => bail!("{}: no .npz file in this folder", path.display()),
                _ => bail!("{}: several .npz files; give one of them", path.display()),
            }
        }
        other => bail!("arrays::load does not read {other:?}"),
    })
}

/// Loads an NPY folder or NPZ archive (see the module documentation).
pub fn load(path: &Path, format: Format, opts: &LoadOptions) -> Result<Dataset> {
    let source = source_for(path, format)?;
    let where_ = match &source {
        Source::Folder(d) => d.display().to_string(),
        Source::Archive(f) => f.display().to_string(),
    };
    let names = source.names()?;
    let pairs = pick_arrays(&names).map_err(|e| anyhow!("{where_}: {e}"))?;
    let mut parts = Vec::new();
    let mut width: Option<usize> = None;
    for pair in &pairs {
        let images = source.read(&pair.images)?;
        let labels_what = source.label(&pair.labels);
        let (labels, k) = to_labels(source.read(&pair.labels)?, &format!("{where_}: {labels_what}"))?;
        if let Some(k) = k {
            if width.is_some_and(|w| w != k) {
                bail!("{where_}: one-hot label arrays differ in width");
            }
            width = Some(k);
        }
        let n = images.shape.first().copied().unwrap_or(0);
        if n != labels.len() as u64 {
            bail!(
                "{where_}: {} holds {n} images but {} holds {} labels",
                source.label(&pair.images),
                labels_what,
                labels.len()
            );
        }
        parts.push(Part { images, images_name: pair.images.clone(), labels, subset: pair.subset });
    }
    let max_label = parts.iter().flat_map(|p| p.labels.iter().copied()).max();
    let forced = super::forced_table(opts)?;
    let classes = match forced {
        Some(t) => t,
        None => {
            let k = width.unwrap_or_else(|| max_label.map_or(0, |m| m as usize + 1));
            let labels: Vec<String> = (0..k).map(|i| i.to_string()).collect();
            ClassTable::from_labels(&super::dataset_name(path), &labels).map_err(|e| anyhow!("{where_}: {e}"))?
        }
    };
    let numeric = classes.classes.iter().all(|c| !c.label.is_empty() && c.label.bytes().all(|b| b.is_ascii_digit()));
    let class_of = |v: u64| -> Option<u32> {
        if numeric {
            classes.by_label(&v.to_string()).map(|c| c.index)
        } else {
            (v < classes.len() as u64).then_some(v as u32)
        }
    };
    let mut samples = Vec::new();
    let mut skipped = Vec::new();
    for part in parts {
        let prefix = source.label(&part.images_name);
        let (h, w, c) = match part.images.shape.as_slice() {
            [_, h, w] => (*h, *w, 1),
            [_, h, w, c] if [1, 3, 4].contains(c) => (*h, *w, *c),
            other => bail!(
                "{where_}: {prefix}: images must be N x H x W or N x H x W x C with C 1, 3 or 4, not shape {other:?}"
            ),
        };
        if h == 0 || w == 0 {
            bail!("{where_}: {prefix}: images have zero size ({w}x{h})");
        }
        let (h, w, c) = (h as u32, w as u32, c as usize);
        let pixels = to_pixels(part.images.values, &format!("{where_}: {prefix}"))?;
        let per_image = h as usize * w as usize * c;
        let mut keep = Vec::new();
        for (i, &v) in part.labels.iter().enumerate() {
            match class_of(v) {
                Some(label) => keep.push((i, label)),
                None => {
                    let source = format!("{prefix}[{i}]");
                    let reason = format!("label {v} has no class in {}", classes.name);
                    if !opts.skip_bad {
                        bail!("{where_}: {source}: {reason}");
                    }
                    skipped.push(SkippedFile { source, reason });
                }
            }
        }
        let keep = super::limit_per_label(keep, opts.limit_per_class, |(_, l)| *l);
        let built: Vec<Sample> = keep
            .into_par_iter()
            .map(|(i, label)| {
                let px = pixels[i * per_image..(i + 1) * per_image].to_vec();
                let image = match c {
                    1 => DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, px).expect("sized")),
                    3 => DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, px).expect("sized")),
                    _ => DynamicImage::ImageRgba8(image::RgbaImage::from_raw(w, h, px).expect("sized")),
                };
                Sample {
                    image: super::normalize_image(image, opts.max_side),
                    label,
                    source: format!("{prefix}[{i}]"),
                    frame: None,
                    subset: part.subset,
                }
            })
            .collect();
        samples.extend(built);
    }
    Ok(Dataset { name: super::dataset_name(path), root: path.to_path_buf(), format, classes, samples, skipped, masks: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn picks_pairs() {
        let p = pick_arrays(&names(&["X", "Y"])).unwrap();
        assert_eq!(p, [ArrayPair { images: "X".into(), labels: "Y".into(), subset: None }]);
        let p = pick_arrays(&names(&["x_test", "x_train", "y_test", "y_train"])).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].images.as_str(), p[0].labels.as_str(), p[0].subset),
            ("x_train", "y_train", Some(Subset::Train))
        );
        assert_eq!((p[1].images.as_str(), p[1].subset), ("x_test", Some(Subset::Test)));
        let p = pick_arrays(&names(&["images", "labels", "meta"])).unwrap();
        assert_eq!(p[0].labels, "labels");
        let e = pick_arrays(&names(&["foo", "bar"])).unwrap_err().to_string();
        assert!(e.contains("arrays found: foo, bar"), "{e}");
        let e = pick_arrays(&names(&["X", "images", "Y"])).unwrap_err().to_string();
        assert!(e.contains("ambiguous"), "{e}");
        assert!(pick_arrays(&names(&["X"])).is_err());
    }

    #[test]
    fn pixels_and_labels() {
        assert_eq!(to_pixels(Values::F32(vec![0.0, 0.5, 1.0]), "t").unwrap(), [0, 128, 255]);
        assert_eq!(to_pixels(Values::F64(vec![0.0, 2.0, 254.6]), "t").unwrap(), [0, 2, 255]);
        assert!(to_pixels(Values::F32(vec![0.0, f32::NAN]), "t").is_err());
        assert!(to_pixels(Values::F32(vec![-1.0, 0.5]), "t").is_err());
        assert!(to_pixels(Values::I64(vec![0, 256]), "t").is_err());
        let one_hot = Array { shape: vec![2, 3], values: Values::F32(vec![0.0, 1.0, 0.0, 0.0, 0.0, 1.0]) };
        assert_eq!(to_labels(one_hot, "t").unwrap(), (vec![1, 2], Some(3)));
        let bad = Array { shape: vec![1, 3], values: Values::F32(vec![0.0, 1.0, 1.0]) };
        assert!(to_labels(bad, "t").unwrap_err().to_string().contains("row 0 is not one-hot"));
        let ints = Array { shape: vec![3, 1], values: Values::I64(vec![4, 0, 2]) };
        assert_eq!(to_labels(ints, "t").unwrap(), (vec![4, 0, 2], None));
        let frac = Array { shape: vec![1], values: Values::F64(vec![1.5]) };
        assert!(to_labels(frac, "t").is_err());
    }
}
