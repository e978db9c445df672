//! Subcommands whose whole logic lives in the library (the binary parses and dispatches):
//! one module per subcommand, each with its clap `...Args` and a `run`.

pub mod bench;
pub mod eval;
pub mod export;
pub mod info;
pub mod landmarks;
pub mod latency;
pub mod split_files;
pub mod summary;
pub mod train;
