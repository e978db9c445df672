//! The landmark corpus: every source of hands we have, as MediaPipe landmarks labelled
//! with the ASL alphabet's classes, each sample tagged with the person or source it came
//! from, so that models can be measured on people they never saw.
//!
//! Sources (read from the shared data folder):
//! - `asl-alphabet`: one signer; landmarks found once with `shared::hands` (the device's
//!   own code) and cached ([`super::landmarks::landmarks`]);
//! - `asl-letters-roboflow`: several people in many rooms, whole photos, cached alike;
//! - `sign-language-digits`: 218 students; the digits whose hand shape is a letter's
//!   ([`DIGIT_LETTERS`]), cached alike;
//! - `sign-mnist`: many people's hands as 28x28 grey crops, each enlarged and framed by
//!   its own edge ([`Prepare::Enlarge`]) so that the whole hand lies inside the square the
//!   landmark model reads; cached alike;
//! - `asl-landmarks/<author>`: 2-D landmarks logged by three other people
//!   ([`super::landmark_csv`]), one source each.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;
use shared::ClassTable;
use shared::features::{POINTS, Point};

use super::landmarks::Prepare;
use super::{LoadOptions, landmark_csv, landmarks};

/// Digits of `sign-language-digits` made with a letter's hand shape (ASL): 0 is O, 2 is
/// V, 6 is W, 9 is F.
pub const DIGIT_LETTERS: [(&str, &str); 4] = [("0", "O"), ("2", "V"), ("6", "W"), ("9", "F")];

/// One hand, or a picture in which none was found.
#[derive(Debug, Clone)]
pub struct HandSample {
    /// Index into [`Corpus::classes`].
    pub label: u32,
    /// The 21 points; `None` where MediaPipe found no hand in the picture.
    pub points: Option<[Point; POINTS]>,
    /// Whether the points have depth (MediaPipe on our pictures) or not (2-D logs).
    pub depth: bool,
    /// Index into [`Corpus::sources`]: the person or source the sample came from.
    pub source: usize,
    /// The picture or CSV row.
    pub id: String,
}

/// Counts of one source.
#[derive(Debug, Clone, Serialize)]
pub struct SourceInfo {
    /// Name (`asl-alphabet`, `roboflow`, an author's folder, ...).
    pub name: String,
    /// What it holds.
    pub about: String,
    /// Samples.
    pub samples: usize,
    /// Samples in which a hand was found.
    pub hands: usize,
}

/// All hands, labelled by the ASL alphabet's 29 classes.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// `asl-alphabet-29`: A..Z, del, nothing, space.
    pub classes: ClassTable,
    /// The samples.
    pub samples: Vec<HandSample>,
    /// The sources, indexed by [`HandSample::source`].
    pub sources: Vec<SourceInfo>,
}

/// Where the corpus comes from.
#[derive(Debug, Clone)]
pub struct CorpusOptions {
    /// The shared data folder (`../shared/data`).
    pub data: PathBuf,
    /// MediaPipe's models folder.
    pub models: PathBuf,
    /// Folder of landmark caches.
    pub cache_dir: PathBuf,
    /// Keep at most this many pictures or rows per class and source (quick runs, tests).
    pub limit_per_class: Option<usize>,
    /// Settling passes of the landmark model on each picture
    /// ([`shared::hands::TrackerConfig::settle`]).
    pub settle: usize,
}

impl Corpus {
    /// Index of the source named `name`.
    pub fn source(&self, name: &str) -> Option<usize> {
        self.sources.iter().position(|s| s.name == name)
    }

    /// Whether class `label` is a letter (A..Z).
    pub fn is_letter(&self, label: u32) -> bool {
        self.classes.get(label as usize).is_some_and(|c| c.kind == shared::ClassKind::Letter)
    }

    fn push_source(&mut self, name: &str, about: &str) -> usize {
        self.sources.push(SourceInfo { name: name.into(), about: about.into(), samples: 0, hands: 0 });
        self.sources.len() - 1
    }

    fn push(&mut self, sample: HandSample) {
        let s = &mut self.sources[sample.source];
        s.samples += 1;
        s.hands += usize::from(sample.points.is_some());
        self.samples.push(sample);
    }
}

/// A source of pictures: its name in the corpus, folder under the data folder, what it
/// holds, and how its classes become letters (empty: by name).
#[derive(Debug, Clone, Copy)]
pub struct PictureSource {
    /// Name in the corpus.
    pub name: &'static str,
    /// Folder under the shared data folder.
    pub folder: &'static str,
    /// What it holds.
    pub about: &'static str,
    /// Dataset label -> letter; empty: labels are letters already.
    pub relabel: &'static [(&'static str, &'static str)],
    /// What is done to a picture before the hand is looked for in it.
    pub prepare: Prepare,
    /// At most this many pictures per class (and file) of this source, to bound the time
    /// spent finding hands in a large set of near-copies.
    pub limit_per_class: Option<usize>,
}

/// The sources of pictures, in corpus order.
pub const PICTURE_SOURCES: [PictureSource; 4] = [
    PictureSource {
        name: "asl-alphabet",
        folder: "asl-alphabet",
        about: "one signer, one room (image folder)",
        relabel: &[],
        prepare: Prepare::AsIs,
        limit_per_class: None,
    },
    PictureSource {
        name: "roboflow",
        folder: "asl-letters-roboflow",
        about: "several people in many rooms, whole photos (YOLO export)",
        relabel: &[],
        prepare: Prepare::AsIs,
        limit_per_class: None,
    },
    PictureSource {
        name: "sign-language-digits",
        folder: "sign-language-digits",
        about: "218 students, digits shaped as O, V, W, F",
        relabel: &DIGIT_LETTERS,
        prepare: Prepare::AsIs,
        limit_per_class: None,
    },
    PictureSource {
        name: "sign-mnist",
        folder: "sign-mnist",
        about: "many people's hands, 28x28 grey crops (Kaggle CSV), enlarged",
        relabel: &[],
        prepare: SIGN_MNIST_PREPARE,
        limit_per_class: Some(SIGN_MNIST_PER_CLASS),
    },
];

/// How sign-mnist's crops are made readable: enlarged to the landmark model's side, then
/// a border of a quarter side of repeated edge pixels all round (the hand then fills the
/// middle two thirds, as in a crop MediaPipe makes itself).
pub const SIGN_MNIST_PREPARE: Prepare = Prepare::Enlarge { side: 224, border: 0.25 };

/// Crops of sign-mnist per letter and file: its 34,627 rows are augmented copies of
/// 1,704 photos, so a few hundred a letter hold most of what it has to give.
pub const SIGN_MNIST_PER_CLASS: usize = 250;

/// The pictures of `src` whose class is in `classes` (through its relabelling), with
/// those labels; `None` when the folder is missing.
pub fn load_pictures(src: &PictureSource, data: &Path, classes: &ClassTable, limit_per_class: Option<usize>) -> Result<Option<(super::Dataset, Vec<u32>)>> {
    let path = data.join(src.folder);
    if !path.exists() {
        tracing::warn!("{}: not found, source '{}' left out", path.display(), src.name);
        return Ok(None);
    }
    let limit_per_class = [limit_per_class, src.limit_per_class].into_iter().flatten().min();
    let load = LoadOptions { limit_per_class, ..LoadOptions::default() };
    let mut ds = super::load(&path, &load).with_context(|| format!("loading source '{}'", src.name))?;
    // A letter by the dataset's label (a folder name), else by the text it shows
    // (sign-mnist's labels are numbers, its classes show letters).
    let to_alphabet = |class: &shared::ClassInfo| -> Option<u32> {
        if !src.relabel.is_empty() {
            let letter = src.relabel.iter().find(|(d, _)| *d == class.label).map(|(_, l)| *l)?;
            return classes.by_label(letter).map(|c| c.index);
        }
        classes.by_label(&class.label).or_else(|| classes.by_label(&class.display)).map(|c| c.index)
    };
    let labels: Vec<Option<u32>> =
        ds.samples.iter().map(|s| to_alphabet(ds.classes.get(s.label as usize).expect("label in table"))).collect();
    let mut keep = labels.iter();
    ds.samples.retain(|_| keep.next().is_some_and(Option::is_some));
    Ok(Some((ds, labels.into_iter().flatten().collect())))
}

/// Builds the corpus from every source found under `opts.data` (a missing source is
/// left out with a warning; none at all is an error).
pub fn build(opts: &CorpusOptions) -> Result<Corpus> {
    let mut corpus = Corpus { classes: ClassTable::asl_alphabet(), samples: Vec::new(), sources: Vec::new() };
    for src in &PICTURE_SOURCES {
        let Some((ds, labels)) = load_pictures(src, &opts.data, &corpus.classes, opts.limit_per_class)? else { continue };
        let hands = landmarks::landmarks_prepared(&ds, &opts.models, &opts.cache_dir, src.prepare, opts.settle)?;
        let id = corpus.push_source(src.name, src.about);
        for ((s, h), label) in ds.samples.iter().zip(hands).zip(labels) {
            corpus.push(HandSample { label, points: h.hand_points(), depth: true, source: id, id: s.source.clone() });
        }
    }
    let csv_root = opts.data.join("asl-landmarks");
    if csv_root.is_dir() {
        for dir in super::read_dir_sorted(&csv_root)?.into_iter().filter(|d| d.join(landmark_csv::FILE).is_file()) {
            let name = dir.file_name().expect("a folder has a name").to_string_lossy().into_owned();
            let rows = landmark_csv::load(&dir.join(landmark_csv::FILE))?;
            let src = corpus.push_source(&name, "2-D landmarks logged by one person (Kazuhito00 app CSV)");
            let mut per_class = vec![0usize; corpus.classes.len()];
            for row in rows {
                let Some(c) = corpus.classes.by_label(&row.label) else {
                    tracing::warn!("{}: label '{}' is not a letter of the alphabet, row left out", row.source, row.label);
                    continue;
                };
                let n = &mut per_class[c.index as usize];
                if *n >= opts.limit_per_class.unwrap_or(usize::MAX) {
                    continue;
                }
                *n += 1;
                let points = shared::features::points_2d(&row.xy);
                corpus.push(HandSample { label: c.index, points: Some(points), depth: false, source: src, id: row.source });
            }
        }
    } else {
        tracing::warn!("{}: not found, the 2-D landmark sources are left out", csv_root.display());
    }
    if corpus.samples.is_empty() {
        anyhow::bail!("{}: no source of hands found", opts.data.display());
    }
    Ok(corpus)
}

