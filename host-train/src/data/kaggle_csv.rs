//! Kaggle CSV datasets (Sign Language MNIST): a header row, then `label,pixel1..pixel784`
//! per image, 28x28 grayscale, as `.csv` or gzip-compressed `.csv.gz`.
//!
//! The path is one file, or a folder whose `*.csv[.gz]` files are all read, in name
//! order; in a folder, files named `*train*` give [`Subset::Train`] samples and `*test*`
//! [`Subset::Test`] (a single file given directly has no subset). Labels map through
//! [`ClassTable::sign_mnist`] (or the forced table) by their number, so label 9 (J),
//! which has no class, is a bad row.
//!
//! A bad row (fewer or more than 785 fields, a non-numeric cell, a pixel above 255, a
//! label without a class) is an error naming the file and row; with `skip_bad` it is
//! skipped. Rows are numbered from 1 after the header, so `row 17` is the file's
//! 18th line. A gzip stream cut short (or any other read error) is an error even with
//! `skip_bad`: the rest of the file is unknown, and quietly training on part of a
//! dataset would skew it.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use image::{DynamicImage, GrayImage};
use shared::ClassTable;

use super::{Dataset, Format, LoadOptions, Sample, SkippedFile, Subset};

/// Pixels per image (28x28).
pub const PIXELS: usize = 28 * 28;
/// Side of the square images.
pub const SIDE: u32 = 28;

/// The CSV files of `path` with their subsets (see the module documentation).
pub fn csv_files(path: &Path) -> Result<Vec<(PathBuf, Option<Subset>)>> {
    if path.is_file() {
        return Ok(vec![(path.to_path_buf(), None)]);
    }
    let files: Vec<(PathBuf, Option<Subset>)> = super::read_dir_sorted(path)?
        .into_iter()
        .filter(|p| p.is_file() && super::is_csv_name(&super::lower_name(p)))
        .map(|p| {
            let name = super::lower_name(&p);
            let subset = if name.contains("train") {
                Some(Subset::Train)
            } else if name.contains("test") {
                Some(Subset::Test)
            } else {
                None
            };
            (p, subset)
        })
        .collect();
    if files.is_empty() {
        bail!("{}: no .csv or .csv.gz files", path.display());
    }
    Ok(files)
}

/// Loads a Kaggle CSV dataset (see the module documentation).
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Dataset> {
    let classes = super::forced_table(opts)?.unwrap_or_else(ClassTable::sign_mnist);
    let mut samples = Vec::new();
    let mut skipped = Vec::new();
    for (file, subset) in csv_files(path)? {
        read_file(&file, subset, &classes, opts, &mut samples, &mut skipped)?;
    }
    Ok(Dataset {
        name: super::dataset_name(path),
        root: path.to_path_buf(),
        format: Format::KaggleCsv,
        classes,
        samples,
        skipped,
        masks: None,
    })
}

fn open(file: &Path) -> Result<Box<dyn Read>> {
    let f = File::open(file).with_context(|| format!("{}: cannot open", file.display()))?;
    let reader = BufReader::with_capacity(1 << 16, f);
    Ok(if super::lower_name(file).ends_with(".gz") {
        Box::new(flate2::read::GzDecoder::new(reader))
    } else {
        Box::new(reader)
    })
}

fn read_file(
    file: &Path,
    subset: Option<Subset>,
    classes: &ClassTable,
    opts: &LoadOptions,
    samples: &mut Vec<Sample>,
    skipped: &mut Vec<SkippedFile>,
) -> Result<()> {
    let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(open(file)?);
    let header =
        reader.byte_headers().map_err(|e| anyhow!("{}: cannot read the header row: {e}", file.display()))?.clone();
    if header.len() != PIXELS + 1 || !header.get(0).is_some_and(|h| h.trim_ascii().eq_ignore_ascii_case(b"label")) {
        bail!(
            "{}: header is not label,pixel1..pixel{PIXELS} ({} fields, first {:?})",
            file.display(),
            header.len(),
            header.get(0).map(String::from_utf8_lossy).unwrap_or_default()
        );
    }
    let mut per_class = vec![0usize; classes.len()];
    let limit = opts.limit_per_class.unwrap_or(usize::MAX);
    let mut record = csv::ByteRecord::new();
    let mut row = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let kind = match e.kind() {
                    csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                        "the compressed stream ends early (truncated file)".to_string()
                    }
                    _ => e.to_string(),
                };
                bail!("{}: row {}: cannot read: {kind}", file.display(), row + 1);
            }
        }
        row += 1;
        let source = format!("{file_name}:row {row}");
        let parsed = parse_row(&record, classes)
            .map(|(label, pixels)| (label, GrayImage::from_raw(SIDE, SIDE, pixels).expect("784 pixels")));
        match parsed {
            Ok((label, img)) => {
                let n = &mut per_class[label as usize];
                *n += 1;
                if *n > limit {
                    continue;
                }
                samples.push(Sample {
                    image: super::normalize_image(DynamicImage::ImageLuma8(img), opts.max_side),
                    label,
                    source,
                    frame: None,
                    subset,
                });
            }
            Err(reason) if opts.skip_bad => skipped.push(SkippedFile { source, reason }),
            Err(reason) => bail!("{}: row {row}: {reason}; use skip-bad to leave bad rows out", file.display()),
        }
    }
    if row == 0 {
        tracing::warn!("{}: no data rows", file.display());
    }
    Ok(())
}

/// Parses one data row into (class index, 784 pixels).
fn parse_row(record: &csv::ByteRecord, classes: &ClassTable) -> std::result::Result<(u32, Vec<u8>), String> {
    if record.len() != PIXELS + 1 {
        return Err(format!("expected {} fields (label + {PIXELS} pixels), found {}", PIXELS + 1, record.len()));
    }
    let label_cell = &record[0];
    let label = parse_uint(label_cell).ok_or_else(|| format!("label {:?} is not a number", cell_text(label_cell)))?;
    let class = classes
        .by_label(&label.to_string())
        .ok_or_else(|| format!("label {label} has no class in {}", classes.name))?;
    let mut pixels = Vec::with_capacity(PIXELS);
    for (i, cell) in record.iter().skip(1).enumerate() {
        match parse_uint(cell) {
            Some(v) if v <= 255 => pixels.push(v as u8),
            Some(v) => return Err(format!("pixel{} is {v}, above 255", i + 1)),
            None => return Err(format!("pixel{} {:?} is not a number", i + 1, cell_text(cell))),
        }
    }
    Ok((class.index, pixels))
}

fn cell_text(cell: &[u8]) -> String {
    let s = String::from_utf8_lossy(cell);
    if s.chars().count() > 20 { format!("{}...", s.chars().take(20).collect::<String>()) } else { s.into_owned() }
}

/// A non-negative decimal integer, with optional surrounding spaces and an optional
/// all-zero fraction (`"12"`, `" 12 "`, `"12.0"`).
fn parse_uint(cell: &[u8]) -> Option<u64> {
    let cell = cell.trim_ascii();
    let (int, frac) = match cell.iter().position(|&b| b == b'.') {
        Some(p) => (&cell[..p], &cell[p + 1..]),
        None => (cell, &[][..]),
    };
    if int.is_empty() || !frac.iter().all(|&b| b == b'0') {
        return None;
    }
    let mut v: u64 = 0;
    for &b in int {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((b - b'0') as u64)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uints() {
        assert_eq!(parse_uint(b"0"), Some(0));
        assert_eq!(parse_uint(b" 255 "), Some(255));
        assert_eq!(parse_uint(b"12.0"), Some(12));
        assert_eq!(parse_uint(b"12.5"), None);
        assert_eq!(parse_uint(b"-1"), None);
        assert_eq!(parse_uint(b""), None);
        assert_eq!(parse_uint(b"abc"), None);
        assert_eq!(parse_uint(b"99999999999999999999999"), None);
    }

    #[test]
    fn rows() {
        let t = ClassTable::sign_mnist();
        let mut cells = vec!["10".to_string()];
        cells.extend((0..PIXELS).map(|i| (i % 256).to_string()));
        let rec = csv::ByteRecord::from(cells.clone());
        let (label, px) = parse_row(&rec, &t).unwrap();
        assert_eq!(label, 9, "label 10 (K) is class 9");
        assert_eq!(px[300], (300 % 256) as u8);
        cells[0] = "9".into();
        assert!(parse_row(&csv::ByteRecord::from(cells.clone()), &t).unwrap_err().contains("label 9 has no class"));
        cells[0] = "3".into();
        cells[5] = "256".into();
        assert!(parse_row(&csv::ByteRecord::from(cells.clone()), &t).unwrap_err().contains("pixel5 is 256"));
        cells[5] = "x".into();
        assert!(parse_row(&csv::ByteRecord::from(cells.clone()), &t).unwrap_err().contains("pixel5"));
        cells.truncate(100);
        assert!(parse_row(&csv::ByteRecord::from(cells), &t).unwrap_err().contains("found 100"));
    }
}
