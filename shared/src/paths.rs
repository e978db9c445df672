//! Where the shared resources live: the datasets and pretrained networks that sit
//! beside the checkout in `../shared` and are never copied into the repository.

use std::path::{Path, PathBuf};

/// Environment variable that overrides where `shared/` (with `data/` and `models/`) is.
pub const ENV_SHARED: &str = "SIGNSPELL_SHARED";

/// The `shared/` resource folder: `$SIGNSPELL_SHARED`, or the first `shared/` holding
/// `data/README.md` in `start` or one of its ancestors (so `../shared` from the
/// checkout).
pub fn shared_dir_from(start: &Path) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(ENV_SHARED) {
        return Some(PathBuf::from(dir));
    }
    start
        .ancestors()
        .map(|a| a.join("shared"))
        .find(|s| s.join("data").join("README.md").is_file())
}

/// [`shared_dir_from`] the current directory.
pub fn shared_dir() -> Option<PathBuf> {
    shared_dir_from(&std::env::current_dir().ok()?)
}

/// `shared/data`, the datasets.
pub fn data_dir() -> Option<PathBuf> {
    shared_dir().map(|s| s.join("data"))
}

/// `shared/models`, the pretrained networks.
pub fn models_dir() -> Option<PathBuf> {
    shared_dir().map(|s| s.join("models"))
}
