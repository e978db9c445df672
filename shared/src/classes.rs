//! Class tables: what each output index of a model means.
//!
//! The built-in tables follow each dataset's own label order (the sorted folder names
//! of an image-folder dataset, the numeric label of a CSV), so a loader's label index is
//! the model's output index.

use serde::{Deserialize, Serialize};

/// What a class does to the spelled text.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ClassKind {
    /// A letter: appended to the text.
    Letter,
    /// A digit: appended to the text.
    Digit,
    /// Ends a word: appends a space.
    Space,
    /// Deletes the last character.
    Delete,
    /// No sign: resets the decoder's hold and release state.
    Nothing,
}

/// One output class of a model.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClassInfo {
    /// Output index in the model.
    pub index: u32,
    /// Label in the dataset: folder name, or the CSV's numeric label.
    pub label: String,
    /// Latin text shown on screen ("A", "7", "space", or the ArSL class name "ain").
    pub display: String,
    /// What the class does to the spelled text.
    pub kind: ClassKind,
    /// The Arabic letter (ArSL) or Arabic-Indic digit (AHDD) the class stands for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arabic: Option<String>,
}

impl ClassInfo {
    /// The text a committed sign adds: the Arabic form when the class has one, else the
    /// display text (empty for space, delete and nothing, whose effect is their kind).
    pub fn text(&self) -> &str {
        match self.kind {
            ClassKind::Letter | ClassKind::Digit => self.arabic.as_deref().unwrap_or(&self.display),
            _ => "",
        }
    }
}

/// A model's classes, in output order.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClassTable {
    /// Name of the table, e.g. `asl-alphabet-29`.
    pub name: String,
    /// The classes; `classes[i].index == i`.
    pub classes: Vec<ClassInfo>,
}

/// Why a class table is unusable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClassTableError {
    /// The table has no classes.
    #[error("class table '{0}' is empty")]
    Empty(String),
    /// `classes[position].index != position`.
    #[error("class table '{table}': entry {position} has index {index}")]
    IndexOrder { table: String, position: usize, index: u32 },
    /// Two classes share a dataset label.
    #[error("class table '{table}': label '{label}' appears twice")]
    DuplicateLabel { table: String, label: String },
    /// No built-in table has this name.
    #[error("no built-in class table named '{0}' (known: {known})", known = ClassTable::BUILTIN.join(", "))]
    Unknown(String),
}

/// ArSL2018 folder names with the Arabic letter each stands for, in folder order.
const ARSL2018: [(&str, &str); 32] = [
    ("ain", "ع"),
    ("al", "ال"),
    ("aleff", "أ"),
    ("bb", "ب"),
    ("dal", "د"),
    ("dha", "ظ"),
    ("dhad", "ض"),
    ("fa", "ف"),
    ("gaaf", "ق"),
    ("ghain", "غ"),
    ("ha", "ه"),
    ("haa", "ح"),
    ("jeem", "ج"),
    ("kaaf", "ك"),
    ("khaa", "خ"),
    ("la", "لا"),
    ("laam", "ل"),
    ("meem", "م"),
    ("nun", "ن"),
    ("ra", "ر"),
    ("saad", "ص"),
    ("seen", "س"),
    ("sheen", "ش"),
    ("ta", "ت"),
    ("taa", "ط"),
    ("thaa", "ث"),
    ("thal", "ذ"),
    ("toot", "ة"),
    ("waw", "و"),
    ("ya", "ى"),
    ("yaa", "ي"),
    ("zay", "ز"),
];

/// The ArSL2018 classes that seed 000's 29-class model leaves out.
const ARSL2018_29_DROPPED: [&str; 3] = ["al", "toot", "yaa"];

const ARABIC_INDIC_DIGITS: [&str; 10] = ["٠", "١", "٢", "٣", "٤", "٥", "٦", "٧", "٨", "٩"];

impl ClassTable {
    /// Names accepted by [`ClassTable::builtin`].
    pub const BUILTIN: [&'static str; 6] =
        ["asl-alphabet-29", "asl-digits-10", "sign-mnist-24", "arsl2018-32", "arsl2018-29", "ahdd-digits-10"];

    /// A built-in table by name (see [`ClassTable::BUILTIN`]).
    pub fn builtin(name: &str) -> Result<Self, ClassTableError> {
        Ok(match name {
            "asl-alphabet-29" => Self::asl_alphabet(),
            "asl-digits-10" => Self::asl_digits(),
            "sign-mnist-24" => Self::sign_mnist(),
            "arsl2018-32" => Self::arsl2018(),
            "arsl2018-29" => Self::arsl2018_29(),
            "ahdd-digits-10" => Self::ahdd_digits(),
            other => return Err(ClassTableError::Unknown(other.to_string())),
        })
    }

    /// ASL alphabet, 29 classes in the dataset's folder order: `A`..`Z`, `del`,
    /// `nothing`, `space`.
    pub fn asl_alphabet() -> Self {
        let letters = ('A'..='Z').map(|c| (c.to_string(), c.to_string(), ClassKind::Letter, None));
        let special = [("del", ClassKind::Delete), ("nothing", ClassKind::Nothing), ("space", ClassKind::Space)]
            .into_iter()
            .map(|(l, k)| (l.to_string(), l.to_string(), k, None));
        Self::from_rows("asl-alphabet-29", letters.chain(special))
    }

    /// Sign-language digits (the Turkey Ankara dataset), `0`..`9`.
    pub fn asl_digits() -> Self {
        Self::from_rows(
            "asl-digits-10",
            (0..10).map(|d| (d.to_string(), d.to_string(), ClassKind::Digit, None)),
        )
    }

    /// Sign Language MNIST: CSV labels 0..=24 without 9 (J) and 25 (Z), which need
    /// motion; 24 classes, `A`..`Y`. The dataset label is the CSV number.
    pub fn sign_mnist() -> Self {
        let rows = (0u8..=24).filter(|&l| l != 9).map(|l| {
            let letter = ((b'A' + l) as char).to_string();
            (l.to_string(), letter, ClassKind::Letter, None)
        });
        Self::from_rows("sign-mnist-24", rows)
    }

    /// ArSL2018, 32 classes in folder order, each with its Arabic letter.
    pub fn arsl2018() -> Self {
        Self::from_rows("arsl2018-32", Self::arsl_rows(|_| true))
    }

    /// The 29-class ArSL2018 table of seed 000 (without `al`, `toot`, `yaa`).
    pub fn arsl2018_29() -> Self {
        Self::from_rows("arsl2018-29", Self::arsl_rows(|l| !ARSL2018_29_DROPPED.contains(&l)))
    }

    /// Arabic handwritten digits (AHDD1), `0`..`9` with their Arabic-Indic glyphs.
    pub fn ahdd_digits() -> Self {
        let rows = ARABIC_INDIC_DIGITS
            .iter()
            .enumerate()
            .map(|(d, g)| (d.to_string(), d.to_string(), ClassKind::Digit, Some(g.to_string())));
        Self::from_rows("ahdd-digits-10", rows)
    }

    /// A table for any labelled dataset, in the given order. The kind is inferred:
    /// `space`, `del`/`delete`, `nothing` by name; all-digit labels are digits; the rest
    /// letters.
    pub fn from_labels<S: AsRef<str>>(name: &str, labels: &[S]) -> Result<Self, ClassTableError> {
        let rows = labels.iter().map(|l| {
            let l = l.as_ref();
            let kind = match l.to_ascii_lowercase().as_str() {
                "space" => ClassKind::Space,
                "del" | "delete" => ClassKind::Delete,
                "nothing" => ClassKind::Nothing,
                s if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) => ClassKind::Digit,
                _ => ClassKind::Letter,
            };
            (l.to_string(), l.to_string(), kind, None)
        });
        let table = Self::from_rows(name, rows);
        table.validate()?;
        Ok(table)
    }

    fn arsl_rows(keep: impl Fn(&str) -> bool) -> impl Iterator<Item = (String, String, ClassKind, Option<String>)> {
        ARSL2018
            .into_iter()
            .filter(move |(l, _)| keep(l))
            .map(|(l, a)| (l.to_string(), l.to_string(), ClassKind::Letter, Some(a.to_string())))
    }

    fn from_rows(name: &str, rows: impl Iterator<Item = (String, String, ClassKind, Option<String>)>) -> Self {
        let classes = rows
            .enumerate()
            .map(|(i, (label, display, kind, arabic))| ClassInfo { index: i as u32, label, display, kind, arabic })
            .collect();
        Self { name: name.to_string(), classes }
    }

    /// Number of classes.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// True when there are no classes.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// The class at output index `index`.
    pub fn get(&self, index: usize) -> Option<&ClassInfo> {
        self.classes.get(index)
    }

    /// The class with dataset label `label`.
    pub fn by_label(&self, label: &str) -> Option<&ClassInfo> {
        self.classes.iter().find(|c| c.label == label)
    }

    /// The dataset labels, in output order.
    pub fn labels(&self) -> Vec<&str> {
        self.classes.iter().map(|c| c.label.as_str()).collect()
    }

    /// Checks the table is non-empty, indices run 0..n in order, and labels are unique.
    pub fn validate(&self) -> Result<(), ClassTableError> {
        if self.classes.is_empty() {
            return Err(ClassTableError::Empty(self.name.clone()));
        }
        let mut seen = std::collections::HashSet::new();
        for (position, c) in self.classes.iter().enumerate() {
            if c.index as usize != position {
                return Err(ClassTableError::IndexOrder { table: self.name.clone(), position, index: c.index });
            }
            if !seen.insert(c.label.as_str()) {
                return Err(ClassTableError::DuplicateLabel { table: self.name.clone(), label: c.label.clone() });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_tables_are_valid_and_sized() {
        let sizes = [29, 10, 24, 32, 29, 10];
        for (name, size) in ClassTable::BUILTIN.iter().zip(sizes) {
            let t = ClassTable::builtin(name).unwrap();
            t.validate().unwrap();
            assert_eq!((t.name.as_str(), t.len()), (*name, size));
        }
        assert!(matches!(ClassTable::builtin("klingon"), Err(ClassTableError::Unknown(_))));
    }

    #[test]
    fn asl_alphabet_kinds_and_text() {
        let t = ClassTable::asl_alphabet();
        assert_eq!(t.get(0).unwrap().text(), "A");
        assert_eq!(t.get(25).unwrap().label, "Z");
        let kinds: Vec<_> = t.classes[26..].iter().map(|c| (c.label.as_str(), c.kind)).collect();
        assert_eq!(kinds, [("del", ClassKind::Delete), ("nothing", ClassKind::Nothing), ("space", ClassKind::Space)]);
        assert_eq!(t.by_label("space").unwrap().text(), "");
    }

    #[test]
    fn sign_mnist_skips_j_and_z() {
        let t = ClassTable::sign_mnist();
        let i = t.by_label("10").unwrap();
        assert_eq!((i.index, i.display.as_str()), (9, "K"));
        assert_eq!(t.by_label("8").unwrap().display, "I");
        assert_eq!(t.classes.last().unwrap().display, "Y");
        assert!(t.by_label("9").is_none() && !t.classes.iter().any(|c| c.display == "J" || c.display == "Z"));
    }

    #[test]
    fn arabic_tables_carry_glyphs() {
        let t = ClassTable::arsl2018_29();
        assert!(t.by_label("toot").is_none() && t.by_label("al").is_none() && t.by_label("yaa").is_none());
        assert_eq!(t.by_label("ya").unwrap().index, 27);
        assert_eq!(t.by_label("zay").unwrap().index, 28);
        assert_eq!(ClassTable::arsl2018().by_label("ain").unwrap().text(), "ع");
        assert!(t.classes.iter().all(|c| c.arabic.is_some()));
        let d = ClassTable::ahdd_digits();
        assert_eq!(d.get(7).unwrap().text(), "٧");
    }

    #[test]
    fn validation_errors() {
        let mut t = ClassTable::asl_digits();
        t.classes[3].index = 7;
        assert_eq!(
            t.validate(),
            Err(ClassTableError::IndexOrder { table: "asl-digits-10".into(), position: 3, index: 7 })
        );
        assert!(matches!(ClassTable::from_labels("x", &["a", "a"]), Err(ClassTableError::DuplicateLabel { .. })));
        assert!(matches!(ClassTable::from_labels::<&str>("x", &[]), Err(ClassTableError::Empty(_))));
        let t = ClassTable::from_labels("mine", &["B", "7", "Space", "del"]).unwrap();
        let kinds: Vec<_> = t.classes.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [ClassKind::Letter, ClassKind::Digit, ClassKind::Space, ClassKind::Delete]);
    }
}
