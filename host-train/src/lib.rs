//! `host-train`: Signspell's trainer. Data flows through the modules in this order:
//!
//! - [`data`]: datasets in their download layouts (image folders, Kaggle CSV, file-name
//!   labels, NPY/NPZ), splits, augmentation, and the parallel batch loader;
//! - [`model`]: the model registry (MobileNetV2 with optional channel attention,
//!   CustomCNN, MLP, ...), written in `tch::nn`;
//! - [`train`]: the training loop, optimizers, schedules, checkpoints and resume;
//! - [`eval`]: classification reports, confusion matrices and curves;
//! - [`export`]: ONNX files for the device, with the model card and a parity gate;
//! - [`cmd`]: subcommands that run the whole path, e.g. `landmarks` (corpus of hands ->
//!   leave-one-source-out -> training on all -> export);
//! - [`runtime`]: libtorch's device, threads and allocator.

pub mod cmd;
pub mod data;
pub mod eval;
pub mod export;
pub mod model;
pub mod runtime;
pub mod train;
