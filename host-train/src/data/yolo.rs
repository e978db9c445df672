//! YOLOv5 detection datasets as Roboflow exports them (`asl-letters-roboflow`):
//! `data.yaml` naming the classes, and per split `<split>/images/*.jpg` with
//! `<split>/labels/<stem>.txt` holding `class cx cy w h` (normalised) per box.
//!
//! Each photo is one sample labelled by its first box's class; [`boxes`] reads the
//! boxes back for crop models. The `train` split is
//! [`Subset::Train`], `valid` and `test` (where present) [`Subset::Test`]. Roboflow
//! writes three augmented copies of each source photo, named `<photo>_jpg.rf.<hash>.jpg`:
//! [`photo_group`] names the photo, so that splits keep the copies together.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use shared::ClassTable;

use super::{Dataset, Format, LoadOptions, PendingFile, Subset};

/// The class names of `data.yaml` (`names: [A, B, ...]`, or a block list of `- A` lines).
pub fn class_names(yaml: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(yaml).with_context(|| format!("{}: cannot read", yaml.display()))?;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.trim().strip_prefix("names:") else { continue };
        let rest = rest.trim();
        let names: Vec<String> = if let Some(inner) = rest.strip_prefix('[') {
            let inner = inner.strip_suffix(']').with_context(|| format!("{}: 'names: [' is not closed on its line", yaml.display()))?;
            inner.split(',').map(|s| s.trim().trim_matches(['\'', '"']).to_string()).filter(|s| !s.is_empty()).collect()
        } else {
            lines
                .by_ref()
                .map_while(|l| l.trim().strip_prefix("- ").map(|s| s.trim().trim_matches(['\'', '"']).to_string()))
                .collect()
        };
        if names.is_empty() {
            bail!("{}: 'names' lists no classes", yaml.display());
        }
        return Ok(names);
    }
    bail!("{}: no 'names:' entry", yaml.display())
}

/// Whether `path` looks like a YOLO export (a `data.yaml` and a split folder with
/// `images/`).
pub fn is_yolo(path: &Path) -> bool {
    path.join("data.yaml").is_file() && SPLITS.iter().any(|(s, _)| path.join(s).join("images").is_dir())
}

const SPLITS: [(&str, Subset); 3] = [("train", Subset::Train), ("valid", Subset::Test), ("test", Subset::Test)];

/// The source photo of a Roboflow file name: `A22_jpg.rf.<hash>.jpg` -> `A22`; other
/// names are their own photo.
pub fn photo_group(source: &str) -> String {
    let name = Path::new(source).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    match name.find("_jpg.rf.").or_else(|| name.find("_png.rf.")).or_else(|| name.find("_jpeg.rf.")) {
        Some(i) => name[..i].to_string(),
        None => name,
    }
}

/// One box of a label file: class and `[cx, cy, w, h]`, normalised to the picture.
pub type LabelBox = (usize, [f32; 4]);

/// The boxes of a label file.
pub fn read_label(path: &Path, classes: usize) -> Result<Vec<LabelBox>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read the label file", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let bad = || format!("{}: line {} is not 'class cx cy w h'", path.display(), n + 1);
            if f.len() != 5 {
                bail!(bad());
            }
            let class: usize = f[0].parse().with_context(bad)?;
            if class >= classes {
                bail!("{}: line {} has class {class}, data.yaml names {classes}", path.display(), n + 1);
            }
            let mut b = [0f32; 4];
            for (v, s) in b.iter_mut().zip(&f[1..]) {
                *v = s.parse().with_context(bad)?;
            }
            Ok((class, b))
        })
        .collect()
}

/// The label file of an image: `<split>/labels/<stem>.txt`.
pub fn label_path(image: &Path) -> Option<PathBuf> {
    let split = image.parent()?.parent()?;
    Some(split.join("labels").join(format!("{}.txt", image.file_stem()?.to_string_lossy())))
}

/// The boxes of every sample of a YOLO dataset, in sample order.
pub fn boxes(ds: &Dataset) -> Result<Vec<Vec<LabelBox>>> {
    ds.samples
        .iter()
        .map(|s| {
            let p = label_path(Path::new(&s.source)).with_context(|| format!("{}: no label file path", s.source))?;
            read_label(&p, ds.classes.len())
        })
        .collect()
}

/// Loads a YOLO export (see the module documentation). A photo without a box is left
/// out with a warning.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Dataset> {
    let names = class_names(&path.join("data.yaml"))?;
    let classes = match super::forced_table(opts)? {
        Some(t) => t,
        None => ClassTable::from_labels(&super::dataset_name(path), &names)
            .with_context(|| format!("{}: classes of data.yaml", path.display()))?,
    };
    let mut pending = Vec::new();
    let mut unboxed = 0usize;
    let mut per_class = vec![0usize; classes.len()];
    for (split, subset) in SPLITS {
        let dir = path.join(split).join("images");
        if !dir.is_dir() {
            continue;
        }
        for file in super::read_dir_sorted(&dir)?.into_iter().filter(|f| super::is_image_file(f)) {
            let label = label_path(&file).with_context(|| format!("{}: no label path", file.display()))?;
            let Some(&(class, _)) = read_label(&label, names.len())?.first() else {
                unboxed += 1;
                continue;
            };
            let Some(info) = classes.by_label(&names[class]) else { continue };
            let n = &mut per_class[info.index as usize];
            if *n >= opts.limit_per_class.unwrap_or(usize::MAX) {
                continue;
            }
            *n += 1;
            pending.push((subset, PendingFile { path: file, label: info.index, frame: None }));
        }
    }
    if unboxed > 0 {
        tracing::warn!("{}: {unboxed} photo(s) without a box left out", path.display());
    }
    pending.sort_by(|a, b| a.1.label.cmp(&b.1.label).then_with(|| super::natural_cmp(&a.1.path.to_string_lossy(), &b.1.path.to_string_lossy())));
    let subset_of: std::collections::HashMap<String, Subset> =
        pending.iter().map(|(s, f)| (f.path.display().to_string(), *s)).collect();
    let (mut samples, skipped) = super::decode_files(pending.into_iter().map(|p| p.1).collect(), opts)?;
    for s in &mut samples {
        s.subset = subset_of.get(&s.source).copied();
    }
    Ok(Dataset { name: super::dataset_name(path), root: path.to_path_buf(), format: Format::Yolo, classes, samples, skipped, masks: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photo_groups_and_label_paths() {
        assert_eq!(photo_group("d/train/images/A22_jpg.rf.292a.jpg"), "A22");
        assert_eq!(photo_group("d/x/plain.jpg"), "plain.jpg");
        assert_eq!(label_path(Path::new("d/train/images/A0_jpg.rf.1.jpg")).unwrap(), Path::new("d/train/labels/A0_jpg.rf.1.txt"));
    }

    #[test]
    fn class_names_in_both_yaml_forms_and_bad_labels_named() {
        let dir = std::env::temp_dir().join(format!("yolo-yaml-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let y = dir.join("data.yaml");
        std::fs::write(&y, "nc: 2\nnames: ['A', B]\n").unwrap();
        assert_eq!(class_names(&y).unwrap(), ["A", "B"]);
        std::fs::write(&y, "nc: 2\nnames:\n  - A\n  - B\ntrain: x\n").unwrap();
        assert_eq!(class_names(&y).unwrap(), ["A", "B"]);
        std::fs::write(&y, "nc: 2\n").unwrap();
        assert!(class_names(&y).unwrap_err().to_string().contains("no 'names:'"));
        let l = dir.join("l.txt");
        std::fs::write(&l, "1 0.5 0.5 0.2 0.2\n0 0.1 0.1\n").unwrap();
        let e = read_label(&l, 2).unwrap_err().to_string();
        assert!(e.contains("l.txt") && e.contains("line 2"), "{e}");
        std::fs::write(&l, "7 0.5 0.5 0.2 0.2\n").unwrap();
        assert!(read_label(&l, 2).unwrap_err().to_string().contains("class 7"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
