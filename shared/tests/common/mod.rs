//! Helpers for the shared crate's tests: the real data beside the checkout.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `../shared` beside the checkout (or `$SIGNSPELL_SHARED`); panics with a clear message.
pub fn shared_dir() -> PathBuf {
    shared::paths::shared_dir_from(Path::new(env!("CARGO_MANIFEST_DIR")))
        .expect("../shared (with data/README.md) not found beside the checkout; set SIGNSPELL_SHARED")
}

/// A file under `shared/data`.
pub fn data(rel: &str) -> PathBuf {
    let p = shared_dir().join("data").join(rel);
    assert!(p.exists(), "missing test data {}", p.display());
    p
}

/// A file under `shared/models`.
pub fn model(rel: &str) -> PathBuf {
    let p = shared_dir().join("models").join(rel);
    assert!(p.exists(), "missing model {}", p.display());
    p
}

/// A committed fixture under `shared/tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// FNV-1a over the bit patterns of the values: equal digests mean bit-identical tensors.
pub fn digest(values: &[f32]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for v in values {
        for b in v.to_bits().to_le_bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    h
}

/// A scratch directory unique to this test process and name.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("signspell-shared-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
