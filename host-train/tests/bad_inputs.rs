//! The trainer's side of the bad-input table (docs/bad-inputs.md): bad datasets given
//! to `host-train train` as a user would, each failing before training with an error that
//! names the file (and row or array) and says what is wrong.
//! `cargo test -p host-train --test bad_inputs -- --nocapture` prints the messages the
//! table quotes.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{data_dir, real_csv_lines, scratch};

/// `host-train train --dataset <dataset>` must fail; its stderr, with the error line
/// printed for the table. Each call writes its run into a folder of its own.
fn train_fails(row: &str, dataset: &Path, extra: &[&str]) -> String {
    let out_dir = scratch("run");
    let out = Command::new(env!("CARGO_BIN_EXE_host-train"))
        .args(["--threads", "1", "train", "--epochs", "1", "--dataset"])
        .arg(dataset)
        .args(extra)
        .arg("--out")
        .arg(&out_dir)
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{row}: training started\n{err}");
    assert!(!err.contains("panicked"), "{row}: a panic instead of an error\n{err}");
    let shown: Vec<&str> = err.lines().filter(|l| l.starts_with("Error") || l.starts_with("  ") || l.starts_with("Caused")).collect();
    println!("| {row} | `{}` |", shown.join(" ").trim());
    err
}

fn assert_says(err: &str, parts: &[&str]) {
    for p in parts {
        assert!(err.contains(p), "the error lacks {p:?}:\n{err}");
    }
}

#[test]
fn bad_csv_files_are_named_with_their_row() {
    let dir = scratch("csv");
    let (header, lines) = real_csv_lines(40);
    let short = dir.join("short-row.csv");
    let mut rows = lines.clone();
    rows[11] = rows[11].rsplitn(40, ',').last().unwrap().to_string();
    std::fs::write(&short, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
    let err = train_fails("CSV with a short row", &short, &[]);
    assert_says(&err, &["short-row.csv", "row 12"]);

    let text = dir.join("text-cell.csv");
    let mut rows = lines.clone();
    rows[4] = rows[4].replacen(",", ",dark", 3);
    std::fs::write(&text, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
    let err = train_fails("CSV with a non-numeric cell", &text, &[]);
    assert_says(&err, &["text-cell.csv", "row 5", "not a number"]);

    let gz = dir.join("cut.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(format!("{header}\n{}\n", lines.join("\n")).as_bytes()).unwrap();
    let bytes = enc.finish().unwrap();
    std::fs::write(&gz, &bytes[..bytes.len() / 2]).unwrap();
    let err = train_fails("gzip CSV cut short (a download that stopped)", &gz, &["--skip-bad"]);
    assert_says(&err, &["cut.csv.gz", "truncated"]);
}

/// An NPY file (format 1.0) with `descr` and `shape` written as given and `data` after.
fn npy(path: &Path, descr: &str, shape: &[usize], data: &[u8]) {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(data);
    std::fs::write(path, out).unwrap();
}

/// Eight real 28x28 sign-mnist pictures as bytes, and their labels.
fn real_pictures() -> (Vec<u8>, Vec<u8>) {
    let (_, lines) = real_csv_lines(8);
    let mut px = Vec::new();
    let mut labels = Vec::new();
    for l in &lines {
        let cells: Vec<u8> = l.split(',').map(|c| c.parse().unwrap()).collect();
        labels.push(cells[0]);
        px.extend(&cells[1..]);
    }
    (px, labels)
}

#[test]
fn bad_npy_arrays_are_named_with_what_is_wrong() {
    let (px, labels) = real_pictures();
    let dir = scratch("npy-dtype");
    // Complex numbers are no pixels.
    npy(&dir.join("X.npy"), "<c8", &[8, 28, 28], &vec![0u8; 8 * 28 * 28 * 8]);
    npy(&dir.join("Y.npy"), "|u1", &[8], &labels);
    let err = train_fails("NPY with a complex dtype", &dir, &[]);
    assert_says(&err, &["X.npy", "dtype", "not supported"]);

    let dir = scratch("npy-shape");
    npy(&dir.join("X.npy"), "|u1", &[8, 784], &px);
    npy(&dir.join("Y.npy"), "|u1", &[8], &labels);
    let err = train_fails("NPY images flattened to N x 784", &dir, &[]);
    assert_says(&err, &["X.npy", "N x H x W", "[8, 784]"]);

    let dir = scratch("npy-count");
    npy(&dir.join("X.npy"), "|u1", &[8, 28, 28], &px);
    npy(&dir.join("Y.npy"), "|u1", &[7], &labels[..7]);
    let err = train_fails("NPY with 8 images and 7 labels", &dir, &[]);
    assert_says(&err, &["X.npy", "Y.npy", "7"]);

    let dir = scratch("npy-cut");
    npy(&dir.join("X.npy"), "|u1", &[8, 28, 28], &px[..px.len() / 2]);
    npy(&dir.join("Y.npy"), "|u1", &[8], &labels);
    let err = train_fails("NPY whose data stops before its shape says", &dir, &[]);
    assert_says(&err, &["X.npy", "ends before", "[8, 28, 28]"]);

    let dir = scratch("npy-text");
    std::fs::write(dir.join("X.npy"), "x,y\n1,2\n").unwrap();
    npy(&dir.join("Y.npy"), "|u1", &[8], &labels);
    let err = train_fails("a text file named X.npy", &dir, &[]);
    assert_says(&err, &["X.npy", "not a valid .npy"]);
}

#[test]
fn an_image_folder_with_files_that_are_not_pictures() {
    let dir = scratch("folder");
    let src = data_dir().join("asl-alphabet");
    for class in ["A", "B"] {
        std::fs::create_dir_all(dir.join(class)).unwrap();
        let mut files: Vec<PathBuf> = std::fs::read_dir(src.join(class)).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for f in files.iter().take(12) {
            std::fs::copy(f, dir.join(class).join(f.file_name().unwrap())).unwrap();
        }
        // Files that are not pictures by their name are left out without a word.
        std::fs::write(dir.join(class).join("notes.md"), "not an image").unwrap();
    }
    std::fs::write(dir.join("B/readme.jpg"), "a text file named like a picture").unwrap();
    let err = train_fails("image folder with a text file named .jpg", &dir, &[]);
    assert_says(&err, &["readme.jpg", "skip-bad"]);
}

/// The tests here run side by side and each writes runs: no two get one folder, even
/// for the same name (`train_fails` asks for "run" every time).
#[test]
fn every_scratch_folder_is_its_own() {
    let (a, b) = (scratch("run"), scratch("run"));
    assert_ne!(a, b, "two tests would share {}", a.display());
    std::fs::write(a.join("mine"), b"a").unwrap();
    assert!(a.join("mine").is_file() && !b.join("mine").exists());
}
