//! The model card: everything the device needs to run a model, stored as JSON in the
//! ONNX file's `metadata_props` under [`CARD_KEY`].
//!
//! Reading a card back ([`ModelCard::read_onnx`]) validates it and checks it against
//! the graph's declared input shape and output size, so a device never runs a model
//! with the wrong preprocessing or class table.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::classes::ClassTable;
use crate::onnx::{self, Dim, OnnxError, OnnxInfo};
use crate::preprocess::PreprocessSpec;

/// The `metadata_props` key that holds the card.
pub const CARD_KEY: &str = "signspell.model_card";
/// The card's schema name.
pub const SCHEMA: &str = "signspell.model-card";
/// The schema version this crate writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// What the model's output holds.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// One logit per class; apply softmax for probabilities.
    Logits,
    /// One probability per class (softmax inside the graph).
    Probabilities,
    /// A single logit for two classes (sigmoid gives the probability of class 1).
    BinaryLogit,
}

impl OutputKind {
    /// Turns a model's raw output into one probability per class.
    pub fn to_probabilities(self, mut out: Vec<f32>) -> Vec<f32> {
        match self {
            OutputKind::Probabilities => out,
            OutputKind::BinaryLogit => {
                let p = 1.0 / (1.0 + (-out.first().copied().unwrap_or(0.0)).exp());
                vec![1.0 - p, p]
            }
            OutputKind::Logits => {
                let max = out.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let mut sum = 0.0;
                for v in &mut out {
                    *v = (*v - max).exp();
                    sum += *v;
                }
                out.iter_mut().for_each(|v| *v /= sum);
                out
            }
        }
    }
}

/// What picture the model classifies.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InputSource {
    /// The hand region of the camera frame, preprocessed per [`PreprocessSpec`] (the
    /// default, and what cards without this field mean).
    #[default]
    Crop,
    /// The hand's 21 landmarks drawn as a white skeleton on black at the input size
    /// (`hands::mask::draw`, seed 002 §4.5.3); all black when no hand is found. The
    /// device needs the hand-landmark stage to run such a model.
    LandmarkMask {
        /// Fraction of the side left black around the hand's box, each side.
        margin: f32,
        /// How bones and joints are coloured.
        #[serde(default)]
        style: MaskStyle,
    },
    /// The hand's 21 landmarks as numbers ([`crate::features`]): the input tensor
    /// is `[1, 1, 1, N]` with `N` = [`crate::features::LEN`], described by the
    /// preprocessing as a 1-row gray picture `N` wide so that one shape check serves
    /// every kind. No hand found means the class `nothing`, without running the model.
    Landmarks {
        /// Which features, with or without depth.
        features: crate::features::FeatureSpec,
    },
}

/// How a landmark mask is drawn.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum MaskStyle {
    /// Every bone and joint white, as seed 002 §4.5.3 draws it.
    #[default]
    White,
    /// Each finger in its own colour (thumb red, index yellow, middle green, ring cyan,
    /// little magenta; palm and wrist white), nearer bones drawn over farther ones, so
    /// the mask keeps which finger is which and which lies in front.
    Fingers,
}

impl InputSource {
    /// The mask margin, for landmark-mask models.
    pub fn mask_margin(&self) -> Option<f32> {
        match self {
            InputSource::Crop | InputSource::Landmarks { .. } => None,
            InputSource::LandmarkMask { margin, .. } => Some(*margin),
        }
    }

    /// The mask style, for landmark-mask models.
    pub fn mask_style(&self) -> Option<MaskStyle> {
        match self {
            InputSource::Crop | InputSource::Landmarks { .. } => None,
            InputSource::LandmarkMask { style, .. } => Some(*style),
        }
    }

    /// The landmark features, for models that classify landmarks.
    pub fn landmark_features(&self) -> Option<crate::features::FeatureSpec> {
        match self {
            InputSource::Landmarks { features } => Some(*features),
            _ => None,
        }
    }

    /// Whether the device must find the hand's landmarks to run the model (landmark
    /// masks and landmark features).
    pub fn needs_landmarks(&self) -> bool {
        !matches!(self, InputSource::Crop)
    }
}

/// The architecture and its hyper-parameters (width, dropout, attention stages, ...).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Architecture {
    /// Registry name, e.g. `mobilenetv2`.
    pub name: String,
    /// Hyper-parameters as given to the registry.
    #[serde(default)]
    pub hyperparameters: BTreeMap<String, serde_json::Value>,
}

/// How the data was split.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SplitKind {
    /// Stratified random split with a seed.
    Stratified,
    /// Split keeping groups (runs of consecutive frames) together.
    Grouped,
    /// The dataset's own train/test split.
    Dataset,
    /// Each source (a signer, an author, a photo collection) held out in turn; the
    /// shipped model is trained on all of them.
    LeaveOneSourceOut,
}

/// The split a model was trained and measured on.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SplitInfo {
    /// Kind of split.
    pub kind: SplitKind,
    /// Random seed, where the split is random.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Training samples.
    pub train: u64,
    /// Validation samples.
    pub val: u64,
    /// Test samples.
    pub test: u64,
}

/// The dataset a model was trained on.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DatasetInfo {
    /// Dataset name, e.g. `asl-alphabet`.
    pub name: String,
    /// Where it was read from.
    #[serde(default)]
    pub path: Option<String>,
    /// The split.
    pub split: SplitInfo,
}

/// Numeric form of the weights and activations.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Quantization {
    /// Plain f32.
    Float32,
    /// 8-bit integer.
    Int8 {
        /// The ONNX form, e.g. `qdq-per-channel` or `weights-only`.
        form: String,
        /// Images used for calibration.
        calibration_images: u64,
    },
}

/// Who wrote the model.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Producer {
    /// Program name, e.g. `host-train`.
    pub name: String,
    /// Program version.
    pub version: String,
}

/// The model card.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModelCard {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// [`SCHEMA_VERSION`] when written by this crate.
    pub schema_version: u32,
    /// Model name, e.g. `asl-mobilenetv2-0.5-128`.
    pub name: String,
    /// What each output index means.
    pub classes: ClassTable,
    /// How to make the input tensor.
    pub preprocess: PreprocessSpec,
    /// What picture the preprocessing starts from: the camera's hand region or the
    /// landmark mask.
    #[serde(default, skip_serializing_if = "is_crop")]
    pub input: InputSource,
    /// What the output holds.
    pub output: OutputKind,
    /// Architecture and hyper-parameters.
    pub architecture: Architecture,
    /// Number of trainable parameters.
    pub parameters: u64,
    /// Training data and split.
    pub dataset: DatasetInfo,
    /// Measured metrics (e.g. `accuracy` on the test split, 0..1).
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
    /// Numeric form.
    pub quantization: Quantization,
    /// Producing program and version.
    pub producer: Producer,
}

/// Why a card is missing, unreadable or disagrees with its model.
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// The ONNX file could not be read.
    #[error(transparent)]
    Onnx(#[from] OnnxError),
    /// The model has no card.
    #[error("{path}: no model card (metadata key '{CARD_KEY}')")]
    Missing { path: PathBuf },
    /// The card is not valid JSON for this schema.
    #[error("{path}: model card is not valid: {reason}")]
    Json { path: PathBuf, reason: String },
    /// The card belongs to another schema.
    #[error("{path}: model card schema is '{found}', expected '{SCHEMA}'")]
    WrongSchema { path: PathBuf, found: String },
    /// The card's schema version is newer than this program reads.
    #[error("{path}: model card schema version {found} is not supported (this build reads {SCHEMA_VERSION})")]
    UnsupportedVersion { path: PathBuf, found: u64 },
    /// The card is inconsistent in itself.
    #[error("{path}: model card is inconsistent: {reason}")]
    Invalid { path: PathBuf, reason: String },
    /// The card and the graph disagree about the input.
    #[error("{path}: input '{name}' {problem}")]
    Input { path: PathBuf, name: String, problem: String },
    /// The card and the graph disagree about the output.
    #[error("{path}: output '{name}' {problem}")]
    Output { path: PathBuf, name: String, problem: String },
}

impl ModelCard {
    /// Parses card JSON; `path` names the source in errors. Checks the schema name and
    /// version before the fields, so a foreign or newer card gets a precise error.
    pub fn from_json(json: &str, path: &Path) -> Result<Self, CardError> {
        let p = || path.to_path_buf();
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| CardError::Json { path: p(), reason: e.to_string() })?;
        match value.get("schema").and_then(|s| s.as_str()) {
            Some(SCHEMA) => {}
            Some(other) => return Err(CardError::WrongSchema { path: p(), found: other.to_string() }),
            None => return Err(CardError::WrongSchema { path: p(), found: "(none)".into() }),
        }
        match value.get("schema_version").and_then(|v| v.as_u64()) {
            Some(v) if v == SCHEMA_VERSION as u64 => {}
            Some(v) => return Err(CardError::UnsupportedVersion { path: p(), found: v }),
            None => return Err(CardError::Json { path: p(), reason: "schema_version is missing".into() }),
        }
        let card: Self =
            serde_json::from_value(value).map_err(|e| CardError::Json { path: p(), reason: e.to_string() })?;
        card.validate(path)?;
        Ok(card)
    }

    /// The card as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a model card always serializes")
    }

    /// Checks the card is consistent in itself: schema, class table, preprocessing, and
    /// an output kind that fits the number of classes.
    pub fn validate(&self, path: &Path) -> Result<(), CardError> {
        let invalid = |reason: String| CardError::Invalid { path: path.to_path_buf(), reason };
        if self.schema != SCHEMA {
            return Err(CardError::WrongSchema { path: path.to_path_buf(), found: self.schema.clone() });
        }
        if self.schema_version != SCHEMA_VERSION {
            return Err(CardError::UnsupportedVersion { path: path.to_path_buf(), found: self.schema_version as u64 });
        }
        self.classes.validate().map_err(|e| invalid(e.to_string()))?;
        self.preprocess.validate().map_err(|e| invalid(e.to_string()))?;
        if let Some(m) = self.input.mask_margin()
            && !(0.0..0.5).contains(&m)
        {
            return Err(invalid(format!("landmark mask margin {m} is outside 0..0.5")));
        }
        if let Some(f) = self.input.landmark_features() {
            f.validate().map_err(invalid)?;
            let n = crate::features::LEN as u32;
            let p = &self.preprocess;
            if (p.width, p.height, p.color) != (n, 1, crate::preprocess::ColorMode::Gray) {
                return Err(invalid(format!(
                    "a landmark model's input is {n} features (a 1-row gray input {n} wide), the preprocessing says {}x{} {:?}",
                    p.width, p.height, p.color
                )));
            }
            if self.classes.by_label("nothing").is_none() {
                return Err(invalid("a landmark model needs a 'nothing' class for frames without a hand".into()));
            }
        }
        if self.output == OutputKind::BinaryLogit && self.classes.len() != 2 {
            return Err(invalid(format!("binary_logit output needs 2 classes, the table has {}", self.classes.len())));
        }
        Ok(())
    }

    /// Number of values the model's output must have.
    pub fn output_len(&self) -> usize {
        match self.output {
            OutputKind::BinaryLogit => 1,
            _ => self.classes.len(),
        }
    }

    /// Checks the card against what the ONNX graph declares: one float input of the
    /// spec's shape (batch 1, or a free batch), and a first output of `[batch, n]`
    /// with `n` = [`ModelCard::output_len`].
    pub fn check_against(&self, info: &OnnxInfo, path: &Path) -> Result<(), CardError> {
        let p = || path.to_path_buf();
        let [input] = info.inputs.as_slice() else {
            let names: Vec<_> = info.inputs.iter().map(|i| i.name.as_str()).collect();
            return Err(CardError::Input {
                path: p(),
                name: names.join(", "),
                problem: format!("the model has {} inputs, the card describes one", names.len()),
            });
        };
        let in_err = |problem: String| CardError::Input { path: p(), name: input.name.clone(), problem };
        if input.elem_type != onnx::ELEM_FLOAT {
            return Err(in_err(format!("has element type {}, the card needs float (1)", input.elem_type)));
        }
        let expected = self.preprocess.input_shape();
        let dims = input.dims.as_ref().ok_or_else(|| in_err("declares no shape".into()))?;
        let shape_ok = dims.len() == expected.len()
            && dims.iter().zip(expected).enumerate().all(|(i, (d, e))| match d {
                Dim::Fixed(v) => *v == e as i64,
                _ => i == 0,
            });
        if !shape_ok {
            return Err(in_err(format!(
                "has shape {}, the card's preprocessing ({:?}, {:?}) makes {:?}",
                fmt_dims(dims),
                self.preprocess.layout,
                self.preprocess.color,
                expected
            )));
        }
        let output = info.outputs.first().ok_or_else(|| CardError::Output {
            path: p(),
            name: "(none)".into(),
            problem: "is missing: the model has no outputs".into(),
        })?;
        let out_err = |problem: String| CardError::Output { path: p(), name: output.name.clone(), problem };
        let dims = output.dims.as_ref().ok_or_else(|| out_err("declares no shape".into()))?;
        let want = self.output_len();
        let size_ok = dims.len() == 2 && dims[1] == Dim::Fixed(want as i64) && !matches!(dims[0], Dim::Fixed(b) if b != 1);
        if !size_ok {
            return Err(out_err(format!(
                "has shape {}, the card's {} classes ({:?}) need [1, {want}]",
                fmt_dims(dims),
                self.classes.len(),
                self.output
            )));
        }
        Ok(())
    }

    /// Reads, validates and checks the card of the ONNX file at `path`.
    pub fn read_onnx(path: &Path) -> Result<(Self, OnnxInfo), CardError> {
        let info = OnnxInfo::read(path)?;
        let card = Self::from_info(&info, path)?;
        Ok((card, info))
    }

    /// The validated and checked card of already-parsed ONNX metadata.
    pub fn from_info(info: &OnnxInfo, path: &Path) -> Result<Self, CardError> {
        let json = info.metadata(CARD_KEY).ok_or_else(|| CardError::Missing { path: path.to_path_buf() })?;
        let card = Self::from_json(json, path)?;
        card.check_against(info, path)?;
        Ok(card)
    }

    /// Returns the ONNX `bytes` with this card stored in them, after checking that the
    /// card fits the graph. Any earlier card is replaced; nothing else changes.
    pub fn embed(&self, bytes: &[u8], path: &Path) -> Result<Vec<u8>, CardError> {
        self.validate(path)?;
        let info = OnnxInfo::parse(bytes, path)?;
        self.check_against(&info, path)?;
        Ok(onnx::set_metadata(bytes, CARD_KEY, &self.to_json(), path)?)
    }

    /// Stores this card in the ONNX file at `path`, atomically.
    pub fn write_into_onnx(&self, path: &Path) -> Result<(), CardError> {
        let bytes = std::fs::read(path).map_err(|source| OnnxError::Io { path: path.to_path_buf(), source })?;
        let out = self.embed(&bytes, path)?;
        crate::atomic::write(path, &out).map_err(|source| OnnxError::Io { path: path.to_path_buf(), source })?;
        Ok(())
    }
}

fn is_crop(input: &InputSource) -> bool {
    *input == InputSource::Crop
}

fn fmt_dims(dims: &[Dim]) -> String {
    let parts: Vec<String> = dims
        .iter()
        .map(|d| match d {
            Dim::Fixed(v) => v.to_string(),
            Dim::Symbolic(s) => s.clone(),
            Dim::Unknown => "?".into(),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}
