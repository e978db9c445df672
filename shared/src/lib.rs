//! The contract that `host-train` and `device` both obey.
//!
//! A model trained on the host and run on the kiosk must agree, bit for bit, on how a
//! picture becomes a tensor and what each output index means. Both sides therefore use
//! this one crate:
//!
//! - [`preprocess`]: the [`PreprocessSpec`] (size, colour, resize mode and filter,
//!   normalization, layout) and the [`Preprocessor`] that applies it to decoded images
//!   and to raw camera buffers (RGB24, YUYV);
//! - [`atomic`]: atomic file writes for models and checkpoints;
//! - [`image_io`]: decoding image files with errors that name the file;
//! - [`classes`]: the class tables of the datasets we train on ([`ClassTable`]);
//! - [`card`]: the [`ModelCard`], stored as JSON in the ONNX file's `metadata_props`;
//! - [`paths`]: where the datasets and pretrained networks beside the checkout are;
//! - [`features`]: the hand's 21 landmarks as the numbers landmark classifiers read
//!   (position, size and handedness taken out), on the trainer and the device alike;
//! - [`loso`]: what a model's leave-one-source-out folds read (`NAME.loso.json`), the
//!   lexicon decoder's letter confusions and the word benchmark's frames;
//! - [`signer`]: the letters a signer confirmed, remembered by their landmark features
//!   and mixed into the model's reading of their next frames;
//! - [`stats`]: percentiles (nearest rank), shared by every benchmark;
//! - [`onnx`]: the few ONNX facts the card is checked against (input shape, output
//!   size), read without an inference engine, and lossless metadata editing;
//! - `tract_model` (feature `tract`): how a model file becomes a runnable tract plan,
//!   used alike by the export gate and the kiosk;
//! - `depthwise` (feature `tract`): the channel-last depthwise convolution that
//!   replaces tract's in the plans the device runs;
//! - `pointwise` (feature `tract`): the channel-last 1x1 convolution with packed
//!   weights that replaces tract's matrix product in the hand models' plans;
//! - `maxpool` (feature `tract`): max-pooling turned channel-last between those ops;
//! - `prelu` (feature `tract`): the channel-last PReLU that replaces the palm detector's
//!   PReLUs (two axis moves and four passes each) in its plan;
//! - `stem` (feature `tract`): the first convolution (few input channels) read in place,
//!   without tract's padding copy and im2col product;
//! - `resize` and `pad` (feature `tract`): the palm detector's bilinear upsampling and
//!   channel padding turned channel-last between those ops;
//! - `hands` (feature `tract`): MediaPipe palm detection and hand landmarks in tract,
//!   the hand-region stage of the kiosk and of landmark-mask training.
//!
//! The crate is light on purpose: it runs on a Raspberry Pi and never links libtorch.

pub mod atomic;
pub mod card;
pub mod features;
pub mod classes;
pub mod image_io;
pub mod loso;
pub mod onnx;
pub mod paths;
pub mod preprocess;
pub mod signer;
pub mod stats;
#[cfg(feature = "tract")]
pub mod depthwise;
#[cfg(feature = "tract")]
pub mod hands;
#[cfg(feature = "tract")]
pub mod lanes;
#[cfg(feature = "tract")]
pub mod maxpool;
#[cfg(feature = "tract")]
pub mod onnx_builder;
#[cfg(feature = "tract")]
pub mod pointwise;
#[cfg(feature = "tract")]
pub mod pad;
#[cfg(feature = "tract")]
pub mod prelu;
#[cfg(feature = "tract")]
pub mod resize;
#[cfg(feature = "tract")]
pub mod stem;
#[cfg(feature = "tract")]
pub mod tract_model;

pub use card::{CardError, ModelCard};
pub use classes::{ClassInfo, ClassKind, ClassTable};
pub use preprocess::{
    ColorMode, Frame, Layout, PixelFormat, PreprocessError, PreprocessSpec, Preprocessor,
    ResizeFilter, ResizeMode, Roi,
};
