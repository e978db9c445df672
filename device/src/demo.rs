//! `device demo`: spells a word from real frames. Without a camera it replays, for each
//! letter, a run of consecutive frames of that sign from a dataset folder (with frames
//! of `nothing` between letters, as a signer drops their hand), through the real kiosk
//! loop and the shipped model, and writes every screen as a PNG.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use shared::{ClassKind, ClassTable};

use crate::source::replay::collect_images;

/// The model the product ships for the ASL alphabet: the landmark classifier, the most
/// accurate on people it never saw (models/README.md).
pub const DEFAULT_MODEL: &str = "asl-landmarks.onnx";

/// Finds a file shipped in the project's `models/`: from the current directory, else
/// from the source checkout this binary was built in.
pub fn shipped_model(name: &str) -> PathBuf {
    let here = Path::new("models").join(name);
    if here.is_file() {
        return here;
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("models").join(name);
    if built.is_file() { built } else { here }
}

/// The held-out list shipped beside a model (`NAME.heldout.txt`: dataset-relative paths
/// of the test split the model never trained on; `NAME-int8.onnx` shares `NAME`'s), if
/// there is one.
pub fn heldout_list(model: &Path) -> Result<Option<HashSet<String>>> {
    let stem = model.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    let stem = stem.strip_suffix("-int8").unwrap_or(&stem);
    let path = model.with_file_name(format!("{stem}.heldout.txt"));
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Some(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()))
}

/// The folder of class `label` under `root`: `root/label`, or a folder whose name is
/// `label` in another case (`a/` for `A`), so that anyone's photo folders work.
pub fn class_dir(root: &Path, label: &str) -> PathBuf {
    let exact = root.join(label);
    if exact.is_dir() {
        return exact;
    }
    std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_dir() && p.file_name().is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case(label)))
        .unwrap_or(exact)
}

/// The class whose label is the name of the folder holding `file`, in any case (`a/`
/// or `A/`): the truth for pictures sorted into class folders.
pub fn folder_class(classes: &ClassTable, file: &Path) -> Option<usize> {
    let dir = file.parent()?.file_name()?.to_string_lossy();
    classes.classes.iter().position(|c| c.label.eq_ignore_ascii_case(&dir))
}

/// The class label that spells character `c` (`' '` is `space`).
fn label_for(classes: &ClassTable, c: char) -> Option<&str> {
    if c == ' ' {
        return classes.classes.iter().find(|k| k.kind == ClassKind::Space).map(|k| k.label.as_str());
    }
    let up = c.to_uppercase().to_string();
    classes
        .classes
        .iter()
        .find(|k| matches!(k.kind, ClassKind::Letter | ClassKind::Digit) && (k.display == up || k.label == up))
        .map(|k| k.label.as_str())
}

/// The frames that spell `word`: `per_letter` consecutive files of each letter's class
/// folder under `root` (held-out files only, when `heldout` is given), with `gap` frames
/// of the `nothing` class between letters. Repeated letters use later files.
pub fn word_frames(
    root: &Path,
    classes: &ClassTable,
    word: &str,
    per_letter: usize,
    gap: usize,
    heldout: Option<&HashSet<String>>,
) -> Result<Vec<PathBuf>> {
    if !root.is_dir() {
        bail!(
            "{} is not there: pass --frames DIR (a folder with one subfolder of images per class, as ../shared/data/asl-alphabet) or connect a camera",
            root.display()
        );
    }
    let class_files = |label: &str| -> Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        collect_images(&class_dir(root, label), &mut files).with_context(|| format!("no frames for class '{label}'"))?;
        if let Some(keep) = heldout {
            files.retain(|f| f.strip_prefix(root).is_ok_and(|r| keep.contains(&r.to_string_lossy().to_string())));
        }
        // Consecutive video frames: order by the number in the file name.
        files.sort_by_key(|f| {
            let stem = f.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
            let digits: String = stem.chars().filter(|c| c.is_ascii_digit()).collect();
            (digits.parse::<u64>().unwrap_or(u64::MAX), stem)
        });
        Ok(files)
    };
    let nothing = classes.classes.iter().find(|k| k.kind == ClassKind::Nothing).map(|k| k.label.clone());
    if gap > 0 && nothing.is_none() {
        bail!("the model has no 'nothing' class to put between letters; use --gap 0 and a word without repeated letters");
    }
    let mut used: std::collections::HashMap<String, usize> = Default::default();
    let mut take = |label: &str, n: usize| -> Result<Vec<PathBuf>> {
        let files = class_files(label)?;
        if files.len() < n {
            bail!("class '{label}' under {} has {} usable frames, a letter needs {n}", root.display(), files.len());
        }
        // Fresh frames while they last, then around again: a long word reuses frames
        // of a letter (or of `nothing`) rather than failing.
        let start = used.get(label).copied().unwrap_or(0) % files.len();
        used.insert(label.to_string(), start + n);
        Ok(files.iter().cycle().skip(start).take(n).cloned().collect())
    };
    let mut out = Vec::new();
    for (i, c) in word.chars().enumerate() {
        let label = label_for(classes, c)
            .with_context(|| format!("the model's classes ({}) cannot spell '{c}'", classes.name))?
            .to_string();
        if i > 0 && gap > 0 {
            out.extend(take(nothing.as_deref().unwrap_or_default(), gap)?);
        }
        out.extend(take(&label, per_letter)?);
    }
    if gap > 0 {
        out.extend(take(nothing.as_deref().unwrap_or_default(), gap)?);
    }
    Ok(out)
}
