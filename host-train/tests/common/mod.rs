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

/// A fresh scratch folder of its own for `name`: the process id, a number no other call
/// in this process gets and the name are in the path, so tests that run side by side (or
/// one helper called from several tests) never share a folder.
pub fn scratch(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("signspell-ht-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A path under `../shared/data` (e.g. `ahdd1-test`).
pub fn data(rel: &str) -> PathBuf {
    data_dir().join(rel)
}

/// The small gray CustomCNN the export tests train on ahdd1-test's digits.
pub const DIGIT_CNN: [&str; 8] = ["--arch", "custom-cnn", "--width", "0.25", "--input-size", "28", "--color", "gray"];

/// Runs the `host-train` binary with one libtorch thread (tests run side by side) and
/// `args`, stdin closed; its output.
pub fn host_train(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_host-train"))
        .args(["--threads", "1"])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

/// Waits until `done()` holds, checking every 20 ms for at most `limit`; panics naming
/// `what` when it never does. Tests synchronise with this, never with a bare sleep.
pub fn poll_until(what: &str, limit: std::time::Duration, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what}: not after {limit:?}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// `text` without its ANSI colour sequences (tracing colours the fields of a log line).
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
        } else {
            out.push(c);
        }
    }
    out
}
