//! Datasets whose label is in the file name: one folder of `id_<n>_label_<d>.png`
//! (AHDD1 / MADBase). Labels map through [`ClassTable::ahdd_digits`] (or the forced
//! table) by `<d>`; the frame number is `<n>`, and samples are ordered by class, then
//! `<n>`. An image file whose name does not follow the pattern, or whose label has no
//! class in the default table, is bad (an error, or skipped with `skip_bad`); labels
//! missing from a forced table are left out with a warning; other files are ignored.

use std::path::Path;

use anyhow::Result;
use shared::ClassTable;

use super::{Dataset, Format, LoadOptions, PendingFile, SkippedFile};

/// Parses `id_<n>_label_<d>.<ext>` into `(n, d)`.
pub fn parse_name(path: &Path) -> Option<(u64, String)> {
    let stem = path.file_stem()?.to_str()?;
    let rest = stem.strip_prefix("id_")?;
    let (n, d) = rest.split_once("_label_")?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(n) || !digits(d) {
        return None;
    }
    let d = d.trim_start_matches('0');
    Some((n.parse().ok()?, if d.is_empty() { "0".to_string() } else { d.to_string() }))
}

/// Loads a file-name-labelled dataset (see the module documentation).
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Dataset> {
    let forced = super::forced_table(opts)?;
    let is_forced = forced.is_some();
    let classes = forced.unwrap_or_else(ClassTable::ahdd_digits);
    let mut left_out = 0usize;
    let mut pending = Vec::new();
    let mut bad = Vec::new();
    for file in super::read_dir_sorted(path)? {
        if !file.is_file() || !super::is_image_file(&file) {
            continue;
        }
        let source = file.display().to_string();
        match parse_name(&file) {
            None => bad.push(SkippedFile { source, reason: "file name is not id_<n>_label_<d>".into() }),
            Some((n, d)) => match classes.by_label(&d) {
                Some(c) => pending.push(PendingFile { path: file, label: c.index, frame: Some(n) }),
                None if is_forced => left_out += 1,
                None => bad.push(SkippedFile { source, reason: format!("label {d} has no class in {}", classes.name) }),
            },
        }
    }
    if left_out > 0 {
        tracing::warn!("{}: {left_out} files with labels not in class table {} left out", path.display(), classes.name);
    }
    if !bad.is_empty() && !opts.skip_bad {
        super::split_results(bad.into_iter().map(Err).collect(), false)?;
        unreachable!("split_results fails on bad entries without skip_bad");
    }
    pending.sort_by(|a, b| (a.label, a.frame).cmp(&(b.label, b.frame)).then_with(|| a.path.cmp(&b.path)));
    let pending = super::limit_per_label(pending, opts.limit_per_class, |p| p.label);
    let (samples, mut skipped) = super::decode_files(pending, opts)?;
    skipped.extend(bad);
    Ok(Dataset {
        name: super::dataset_name(path),
        root: path.to_path_buf(),
        format: Format::FileNameLabels,
        classes,
        samples,
        skipped,
        masks: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(parse_name(Path::new("id_17_label_3.png")), Some((17, "3".to_string())));
        assert_eq!(parse_name(Path::new("/x/id_10000_label_9.PNG")), Some((10000, "9".to_string())));
        assert_eq!(parse_name(Path::new("id_1_label_00.png")), Some((1, "0".to_string())));
        assert_eq!(parse_name(Path::new("id_x_label_3.png")), None);
        assert_eq!(parse_name(Path::new("img_1_label_3.png")), None);
        assert_eq!(parse_name(Path::new("id_1_label_.png")), None);
    }
}
