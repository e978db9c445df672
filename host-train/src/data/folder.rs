//! Image-folder datasets: `<root>/<class>/*.{jpg,jpeg,png,bmp}`.
//!
//! Classes are the folders that hold at least one image file, sorted by name (byte
//! order). When those names are exactly a built-in table's labels (`asl-alphabet-29`,
//! `asl-digits-10`, `arsl2018-32`, ...) that table is used, so ArSL classes carry their
//! Arabic letters; otherwise [`ClassTable::from_labels`]. Files without an image
//! extension (LICENSE, `.md`) and hidden files are ignored; an image file that does
//! not decode is bad. When the root holds no class folders but exactly one subfolder
//! that does (`arsl2018/` -> `ArASL_Database_54K/`, beside `Labels/`), that subfolder
//! is the root.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use shared::ClassTable;

use super::{Dataset, Format, LoadOptions, PendingFile};

/// The folder whose subfolders are the classes: `root` when one of its subfolders
/// holds images, else the single subfolder (searched up to three levels down) that is
/// such a folder.
pub fn find_class_root(root: &Path) -> Result<PathBuf> {
    find_class_root_depth(root, 3)?
        .with_context(|| format!("{}: no class folders holding images (<root>/<class>/*.jpg)", root.display()))
}

fn find_class_root_depth(dir: &Path, depth: u32) -> Result<Option<PathBuf>> {
    let subdirs = visible_subdirs(dir)?;
    if subdirs.iter().any(|d| holds_images(d)) {
        return Ok(Some(dir.to_path_buf()));
    }
    if depth == 0 {
        return Ok(None);
    }
    let mut found = Vec::new();
    for d in &subdirs {
        if let Some(r) = find_class_root_depth(d, depth - 1)? {
            found.push(r);
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => bail!(
            "{}: several subfolders hold class folders ({}); give one of them",
            dir.display(),
            found.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn visible_subdirs(dir: &Path) -> Result<Vec<PathBuf>> {
    Ok(super::read_dir_sorted(dir)?
        .into_iter()
        .filter(|p| p.is_dir() && !super::lower_name(p).starts_with('.'))
        .collect())
}

fn holds_images(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().any(|e| e.path().is_file() && super::is_image_file(&e.path())))
        .unwrap_or(false)
}

/// The image files of one folder, in natural name order.
fn image_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> =
        super::read_dir_sorted(dir)?.into_iter().filter(|p| super::is_image_file(p) && p.is_file()).collect();
    files.sort_by(|a, b| {
        super::natural_cmp(&a.file_name().unwrap().to_string_lossy(), &b.file_name().unwrap().to_string_lossy())
    });
    Ok(files)
}

/// The built-in table whose labels are exactly `labels`, in order.
fn matching_builtin(labels: &[String]) -> Option<ClassTable> {
    ClassTable::BUILTIN
        .iter()
        .filter_map(|n| ClassTable::builtin(n).ok())
        .find(|t| t.labels().iter().copied().eq(labels.iter().map(String::as_str)))
}

/// Loads an image-folder dataset (see the module documentation).
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Dataset> {
    let class_root = find_class_root(path)?;
    let class_dirs: Vec<PathBuf> = visible_subdirs(&class_root)?.into_iter().filter(|d| holds_images(d)).collect();
    let names: Vec<String> = class_dirs.iter().map(|d| d.file_name().unwrap().to_string_lossy().into_owned()).collect();
    let (classes, indices): (ClassTable, Vec<Option<u32>>) = match super::forced_table(opts)? {
        Some(table) => {
            let idx: Vec<Option<u32>> = names.iter().map(|n| table.by_label(n).map(|c| c.index)).collect();
            let left_out: Vec<&str> =
                names.iter().zip(&idx).filter(|(_, i)| i.is_none()).map(|(n, _)| n.as_str()).collect();
            if !left_out.is_empty() {
                tracing::warn!(
                    "{}: folders not in class table {} left out: {}",
                    path.display(),
                    table.name,
                    left_out.join(", ")
                );
            }
            let missing: Vec<&str> = table.labels().into_iter().filter(|l| !names.iter().any(|n| n == l)).collect();
            if !missing.is_empty() {
                tracing::warn!("{}: classes of {} with no folder: {}", path.display(), table.name, missing.join(", "));
            }
            (table, idx)
        }
        None => {
            let table = match matching_builtin(&names) {
                Some(t) => t,
                None => ClassTable::from_labels(&super::dataset_name(path), &names)
                    .with_context(|| format!("{}: class folders", class_root.display()))?,
            };
            (table, (0..names.len() as u32).map(Some).collect())
        }
    };
    let mut pending = Vec::new();
    for (dir, index) in class_dirs.iter().zip(indices) {
        let Some(label) = index else { continue };
        let files = image_files(dir)?;
        let keep = opts.limit_per_class.unwrap_or(usize::MAX);
        for file in files.into_iter().take(keep) {
            let frame = super::frame_from_name(&file);
            pending.push(PendingFile { path: file, label, frame });
        }
    }
    // Keep class order stable even when a forced table reorders the folders.
    pending.sort_by_key(|p| p.label);
    let (samples, skipped) = super::decode_files(pending, opts)?;
    Ok(Dataset {
        name: super::dataset_name(path),
        root: path.to_path_buf(),
        format: Format::ImageFolder,
        classes,
        samples,
        skipped,
        masks: None,
    })
}
