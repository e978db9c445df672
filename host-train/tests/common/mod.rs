//! What host-train's tests share: the real data in ../shared.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

/// `../shared/data` beside the checkout (or under `$SIGNSPELL_SHARED`).
pub fn data_dir() -> PathBuf {
    shared::paths::shared_dir_from(Path::new(env!("CARGO_MANIFEST_DIR")))
        .expect("../shared/data not found beside the checkout (set SIGNSPELL_SHARED)")
        .join("data")
}

/// The header and the first `n` data lines of the real sign-mnist test CSV.
pub fn real_csv_lines(n: usize) -> (String, Vec<String>) {
    let f = std::fs::File::open(data_dir().join("sign-mnist/sign_mnist_test.csv.gz")).unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(f).read_to_string(&mut text).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    (header, lines.take(n).map(str::to_string).collect())
}

/// `../shared` beside the checkout (or `$SIGNSPELL_SHARED`).
pub fn shared_dir() -> PathBuf {
    shared::paths::shared_dir_from(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("../shared not found (set SIGNSPELL_SHARED)")
}

/// A fresh scratch folder of its own for the test `name` (process id and name in the path).
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("signspell-ht-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
