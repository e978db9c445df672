//! Loading the real datasets in ../shared/data in every supported layout, and the
//! errors for bad files and rows (truncated CSV, corrupt JPEG, missing paths).

use std::io::Write;
use std::path::{Path, PathBuf};

mod common;

use common::{data_dir, real_csv_lines};
use host_train::data::{self, Dataset, Format, LoadOptions, Subset};
use image::DynamicImage;
use npyz::WriterBuilder;
use shared::ClassTable;

fn limited(n: usize) -> LoadOptions {
    LoadOptions { limit_per_class: Some(n), ..LoadOptions::default() }
}

/// A temporary folder removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("signspell-data-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The number in a file name, computed independently of the loader.
fn number_in(name: &str) -> u64 {
    let digits: String =
        name.rsplit(|c: char| !c.is_ascii_digit()).find(|s| !s.is_empty()).expect("a number in the name").to_string();
    digits.parse().unwrap()
}

fn image_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let ext = p.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
            ["jpg", "jpeg", "png", "bmp"].contains(&ext.as_str())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn detects_every_real_layout() {
    let d = data_dir();
    let cases = [
        ("asl-alphabet", Format::ImageFolder),
        ("sign-language-digits", Format::ImageFolder),
        ("arsl2018", Format::ImageFolder),
        ("arsl2018/ArASL_Database_54K", Format::ImageFolder),
        ("sign-mnist", Format::KaggleCsv),
        ("sign-mnist/sign_mnist_test.csv.gz", Format::KaggleCsv),
        ("ahdd1-test", Format::FileNameLabels),
        ("asl-letters-roboflow", Format::Yolo),
    ];
    for (rel, want) in cases {
        assert_eq!(data::detect_format(&d.join(rel)).unwrap(), want, "{rel}");
    }
    let e = data::detect_format(&d.join("asl-alphabet/LICENSE.source-repo")).unwrap_err().to_string();
    assert!(e.contains("LICENSE.source-repo"), "{e}");
}

#[test]
fn a_yolo_export_loads_one_sample_a_photo_with_its_photo_group() {
    let d = data_dir().join("asl-letters-roboflow");
    let ds = data::load(&d, &data::LoadOptions { limit_per_class: Some(3), ..Default::default() }).unwrap();
    assert_eq!(ds.format, Format::Yolo);
    assert_eq!(ds.classes.len(), 26);
    assert_eq!(ds.samples.len(), 26 * 3, "3 photos a letter");
    for s in &ds.samples {
        // The first box's class is the label, and the file name starts with the letter.
        let name = std::path::Path::new(&s.source).file_name().unwrap().to_string_lossy().to_string();
        assert!(name.starts_with(&ds.classes.get(s.label as usize).unwrap().label), "{name}");
        assert_eq!(s.subset, Some(Subset::Train));
        assert!(host_train::data::yolo::photo_group(&s.source).len() < name.len());
    }
    let boxes = host_train::data::yolo::boxes(&ds).unwrap();
    assert!(boxes.iter().all(|b| !b.is_empty() && b[0].1.iter().all(|v| (0.0..=1.0).contains(v))));
}

#[test]
fn format_names_for_cli_and_json() {
    use clap::ValueEnum;
    let names: Vec<String> =
        Format::value_variants().iter().map(|f| f.to_possible_value().unwrap().get_name().to_string()).collect();
    assert_eq!(names, ["image-folder", "kaggle-csv", "file-name-labels", "npy", "npz", "yolo"]);
    assert_eq!(Format::from_str("file-name-labels", false).unwrap(), Format::FileNameLabels);
    assert_eq!(serde_json::to_string(&Format::KaggleCsv).unwrap(), "\"kaggle_csv\"");
    assert_eq!(serde_json::to_string(&Subset::Test).unwrap(), "\"test\"");
    assert_eq!(serde_json::from_str::<Format>("\"image_folder\"").unwrap(), Format::ImageFolder);
}

#[test]
fn missing_path_is_a_clear_error() {
    let p = data_dir().join("no-such-dataset");
    let e = data::load(&p, &LoadOptions::default()).unwrap_err().to_string();
    assert!(e.contains("no-such-dataset") && e.contains("not found"), "{e}");
    let e = data::detect_format(&p).unwrap_err().to_string();
    assert!(e.contains("no-such-dataset"), "{e}");
}

#[test]
fn asl_alphabet_classes_order_and_frames() {
    let root = data_dir().join("asl-alphabet");
    let ds = data::load(&root, &limited(6)).unwrap();
    assert_eq!(ds.format, Format::ImageFolder);
    assert_eq!(ds.classes, ClassTable::asl_alphabet());
    assert_eq!(ds.samples.len(), 29 * 6);
    assert_eq!(ds.class_counts(), vec![6; 29]);
    assert!(ds.skipped.is_empty(), "LICENSE and .md files are ignored silently: {:?}", ds.skipped);
    // The first six of each class are its six smallest frame numbers, in order.
    for (ci, class) in ds.classes.classes.iter().enumerate() {
        let mut frames: Vec<u64> = image_files(&root.join(&class.label))
            .iter()
            .map(|p| number_in(&p.file_name().unwrap().to_string_lossy()))
            .collect();
        frames.sort();
        let got: Vec<u64> = ds.samples.iter().filter(|s| s.label == ci as u32).map(|s| s.frame.unwrap()).collect();
        assert_eq!(got, frames[..6], "class {}", class.label);
    }
    for s in &ds.samples {
        let path = Path::new(&s.source);
        assert!(path.is_file(), "{}", s.source);
        assert_eq!(
            path.parent().unwrap().file_name().unwrap().to_string_lossy(),
            ds.classes.classes[s.label as usize].label
        );
        assert_eq!(s.frame, Some(number_in(&path.file_name().unwrap().to_string_lossy())));
        assert!(matches!(&s.image, DynamicImage::ImageRgb8(i) if i.dimensions() == (200, 200)));
        assert_eq!(s.subset, None);
        // Pixels are the file's, undisturbed.
        assert_eq!(s.image, shared::image_io::decode_file(path).unwrap());
    }
    assert_eq!(ds.samples[0].source, root.join("A").join("A8.jpg").display().to_string());
}

#[test]
fn sign_language_digits_full_with_large_images_capped() {
    let root = data_dir().join("sign-language-digits");
    let ds = data::load(&root, &LoadOptions { max_side: 128, ..LoadOptions::default() }).unwrap();
    assert_eq!(ds.classes, ClassTable::asl_digits());
    assert_eq!(ds.samples.len(), 2062);
    let on_disk: Vec<usize> = (0..10).map(|d| image_files(&root.join(d.to_string())).len()).collect();
    assert_eq!(ds.class_counts(), on_disk);
    assert!(ds.samples.iter().all(|s| s.image.width().max(s.image.height()) <= 128));
    assert!(ds.samples.iter().all(|s| matches!(s.image, DynamicImage::ImageRgb8(_))));
    // The three 3024x3024 photos in 7/ are downscaled to the cap, antialiased.
    let big = root.join("7").join("IMG_5978.JPG").display().to_string();
    let s = ds.samples.iter().find(|s| s.source == big).unwrap();
    assert_eq!((s.image.width(), s.image.height()), (128, 128));
    let original = shared::image_io::decode_file(Path::new(&big)).unwrap().to_rgb8();
    let expected = image::imageops::resize(&original, 128, 128, image::imageops::FilterType::Triangle);
    assert_eq!(s.image.to_rgb8(), expected);
    // 100x100 images are left alone.
    let small = ds.samples.iter().filter(|s| s.image.width() == 100 && s.image.height() == 100).count();
    assert!(small > 2000, "{small}");
}

#[test]
fn arsl2018_from_either_root_keeps_arabic_and_grayscale() {
    let d = data_dir().join("arsl2018");
    let outer = data::load(&d, &limited(4)).unwrap();
    let inner = data::load(&d.join("ArASL_Database_54K"), &limited(4)).unwrap();
    assert_eq!(outer.classes, ClassTable::arsl2018());
    assert_eq!(outer.classes.by_label("ain").unwrap().arabic.as_deref(), Some("ع"));
    assert_eq!(outer.samples.len(), 32 * 4);
    let sources = |ds: &Dataset| ds.samples.iter().map(|s| s.source.clone()).collect::<Vec<_>>();
    assert_eq!(sources(&outer), sources(&inner));
    assert!(outer.samples.iter().all(|s| s.source.contains("ArASL_Database_54K") && !s.source.contains("Labels")));
    // Mostly 64x64 grayscale JPEGs, which stay Luma8; none is above the default cap.
    let gray = outer.samples.iter().filter(|s| matches!(s.image, DynamicImage::ImageLuma8(_))).count();
    assert!(gray > outer.samples.len() / 2, "{gray} grayscale");
    assert!(outer.samples.iter().all(|s| s.image.width().max(s.image.height()) <= 512));
    assert!(outer.samples.iter().all(|s| matches!(s.image, DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_))));
    // Frames come from "AIN (1001).JPG"-style names.
    let s = &outer.samples[0];
    assert_eq!(s.frame, Some(number_in(&Path::new(&s.source).file_name().unwrap().to_string_lossy())));

    // Forcing the 29-class table leaves out al, toot and yaa.
    let opts = LoadOptions { classes: Some("arsl2018-29".into()), ..limited(2) };
    let ds29 = data::load(&d, &opts).unwrap();
    assert_eq!(ds29.classes, ClassTable::arsl2018_29());
    assert_eq!(ds29.samples.len(), 29 * 2);
    assert_eq!(ds29.class_counts(), vec![2; 29]);
    for s in &ds29.samples {
        let folder = Path::new(&s.source).parent().unwrap().file_name().unwrap().to_string_lossy().into_owned();
        assert!(!["al", "toot", "yaa"].contains(&folder.as_str()));
        assert_eq!(ds29.classes.classes[s.label as usize].label, folder);
    }
}

#[test]
fn sign_mnist_test_csv_loads_fully() {
    let path = data_dir().join("sign-mnist/sign_mnist_test.csv.gz");
    let ds = data::load(&path, &LoadOptions::default()).unwrap();
    assert_eq!(ds.format, Format::KaggleCsv);
    assert_eq!(ds.name, "sign_mnist_test");
    assert_eq!(ds.samples.len(), 7172);
    assert_eq!(ds.classes, ClassTable::sign_mnist());
    let counts = ds.class_counts();
    assert_eq!(counts.len(), 24);
    assert!(counts.iter().all(|&c| c > 0), "{counts:?}");
    assert_eq!(counts.iter().sum::<usize>(), 7172);
    assert!(ds.samples.iter().all(|s| matches!(&s.image, DynamicImage::ImageLuma8(i) if i.dimensions() == (28, 28))));
    // Rows against the text, parsed independently.
    let (_, lines) = real_csv_lines(3);
    for (i, line) in lines.iter().enumerate() {
        let cells: Vec<u32> = line.split(',').map(|c| c.parse().unwrap()).collect();
        let s = &ds.samples[i];
        assert_eq!(s.source, format!("sign_mnist_test.csv.gz:row {}", i + 1));
        assert_eq!(ds.classes.classes[s.label as usize].label, cells[0].to_string());
        let px: Vec<u32> = s.image.to_luma8().into_raw().into_iter().map(u32::from).collect();
        assert_eq!(px, cells[1..]);
        assert_eq!((s.frame, s.subset), (None, None));
    }
    // First row is label 6 = G.
    assert_eq!(ds.classes.classes[ds.samples[0].label as usize].display, "G");
}

#[test]
fn sign_mnist_folder_has_train_and_test_subsets() {
    let ds = data::load(&data_dir().join("sign-mnist"), &limited(5)).unwrap();
    let train = ds.samples.iter().filter(|s| s.subset == Some(Subset::Train)).count();
    let test = ds.samples.iter().filter(|s| s.subset == Some(Subset::Test)).count();
    assert_eq!((train, test), (24 * 5, 24 * 5), "limit_per_class applies per file");
    assert!(ds.samples[..120].iter().all(|s| s.source.starts_with("sign_mnist_test.csv.gz:row ")));
    assert!(ds.samples[120..].iter().all(|s| s.source.starts_with("sign_mnist_train.csv.gz:row ")));
}

fn write_gz(path: &Path, bytes: &[u8]) {
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(path).unwrap(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap();
}

#[test]
fn truncated_and_bad_csv_rows_are_named() {
    let tmp = TempDir::new("csv");
    let (header, lines) = real_csv_lines(30);
    // 20 whole rows, then row 21 cut in the middle (the file ends there).
    let cut = &lines[20][..lines[20].len() / 2];
    let text = format!("{header}\n{}\n{cut}", lines[..20].join("\n"));
    let plain = tmp.0.join("cut.csv");
    std::fs::write(&plain, &text).unwrap();
    let gz = tmp.0.join("cut.csv.gz");
    write_gz(&gz, text.as_bytes());
    for path in [&plain, &gz] {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let e = data::load(path, &LoadOptions::default()).unwrap_err().to_string();
        assert!(e.contains(&name) && e.contains("row 21") && e.contains("found"), "{e}");
        let ds = data::load(path, &LoadOptions { skip_bad: true, ..LoadOptions::default() }).unwrap();
        assert_eq!(ds.samples.len(), 20);
        assert_eq!(ds.skipped.len(), 1);
        assert_eq!(ds.skipped[0].source, format!("{name}:row 21"));
        assert!(ds.skipped[0].reason.contains("expected 785 fields"), "{}", ds.skipped[0].reason);
    }

    // A non-numeric cell, a pixel above 255 and a label with no class (9 = J).
    let mut bad = lines[..10].to_vec();
    bad[2] = bad[2].replacen(",", ",x", 2);
    let mut cells: Vec<&str> = lines[5].split(',').collect();
    cells[100] = "256";
    bad[5] = cells.join(",");
    let mut cells: Vec<&str> = lines[7].split(',').collect();
    cells[0] = "9";
    bad[7] = cells.join(",");
    let path = tmp.0.join("bad.csv");
    std::fs::write(&path, format!("{header}\n{}\n", bad.join("\n"))).unwrap();
    let e = data::load(&path, &LoadOptions::default()).unwrap_err().to_string();
    assert!(e.contains("bad.csv") && e.contains("row 3") && e.contains("not a number"), "{e}");
    let ds = data::load(&path, &LoadOptions { skip_bad: true, ..LoadOptions::default() }).unwrap();
    assert_eq!(ds.samples.len(), 7);
    let skipped: Vec<(&str, &str)> = ds.skipped.iter().map(|s| (s.source.as_str(), s.reason.as_str())).collect();
    assert_eq!(skipped[0].0, "bad.csv:row 3");
    assert_eq!(skipped[1], ("bad.csv:row 6", "pixel100 is 256, above 255"));
    assert_eq!(skipped[2], ("bad.csv:row 8", "label 9 has no class in sign-mnist-24"));

    // A gzip stream cut short is an error even with skip_bad.
    let full = tmp.0.join("full.csv.gz");
    write_gz(&full, format!("{header}\n{}\n", lines.join("\n")).as_bytes());
    let bytes = std::fs::read(&full).unwrap();
    let short = tmp.0.join("short.csv.gz");
    std::fs::write(&short, &bytes[..bytes.len() * 2 / 3]).unwrap();
    for skip_bad in [false, true] {
        let e = data::load(&short, &LoadOptions { skip_bad, ..LoadOptions::default() }).unwrap_err().to_string();
        assert!(e.contains("short.csv.gz") && e.contains("row ") && e.contains("truncated"), "{e}");
    }
    // The whole file reads back.
    assert_eq!(data::load(&full, &LoadOptions::default()).unwrap().samples.len(), 30);
}

/// A temp image folder `a/`, `b/` with real asl-alphabet JPEGs (3 each), plus files that
/// are not images.
fn small_image_folder(tmp: &TempDir) -> Vec<PathBuf> {
    let src = data_dir().join("asl-alphabet");
    let mut copied = Vec::new();
    for (class, from) in [("a", "A"), ("b", "B")] {
        let dir = tmp.0.join(class);
        std::fs::create_dir_all(&dir).unwrap();
        for f in image_files(&src.join(from)).into_iter().take(3) {
            let to = dir.join(f.file_name().unwrap());
            std::fs::copy(&f, &to).unwrap();
            copied.push(to);
        }
        std::fs::write(dir.join("notes.md"), "not an image").unwrap();
    }
    std::fs::write(tmp.0.join("LICENSE"), "text").unwrap();
    copied
}

#[test]
fn corrupt_jpeg_is_named_and_skippable() {
    for damage in ["truncated", "garbled"] {
        let tmp = TempDir::new(&format!("jpeg-{damage}"));
        let files = small_image_folder(&tmp);
        let victim = &files[4];
        let mut bytes = std::fs::read(victim).unwrap();
        match damage {
            "truncated" => bytes.truncate(bytes.len() / 2),
            _ => {
                // Overwrite the header segments (quantization and frame markers) with noise.
                for (i, b) in bytes[2..400].iter_mut().enumerate() {
                    *b = (i as u8).wrapping_mul(37).wrapping_add(11);
                }
            }
        }
        std::fs::write(victim, &bytes).unwrap();
        let ds = data::load(&tmp.0, &LoadOptions::default());
        let e = ds.unwrap_err().to_string();
        assert!(e.contains(&victim.display().to_string()), "{damage}: {e}");
        assert!(e.contains("corrupt") || e.contains("not a supported image"), "{damage}: {e}");
        let ds = data::load(&tmp.0, &LoadOptions { skip_bad: true, ..LoadOptions::default() }).unwrap();
        assert_eq!(ds.samples.len(), 5, "{damage}");
        assert_eq!(ds.skipped.len(), 1, "{damage}");
        assert_eq!(ds.skipped[0].source, victim.display().to_string());
        assert_eq!(ds.class_counts(), [3, 2]);
        assert_eq!(ds.classes.labels(), ["a", "b"]);
        assert!(ds.samples.iter().all(|s| s.source != victim.display().to_string()));
    }
}

#[test]
fn ahdd_labels_and_frames_from_file_names() {
    let root = data_dir().join("ahdd1-test");
    let ds = data::load(&root, &limited(25)).unwrap();
    assert_eq!(ds.format, Format::FileNameLabels);
    assert_eq!(ds.classes, ClassTable::ahdd_digits());
    assert_eq!(ds.class_counts(), vec![25; 10]);
    for s in &ds.samples {
        let name = Path::new(&s.source).file_stem().unwrap().to_string_lossy().into_owned();
        let (n, d) = name.strip_prefix("id_").unwrap().split_once("_label_").unwrap();
        assert_eq!(s.frame, Some(n.parse().unwrap()));
        assert_eq!(s.label, d.parse::<u32>().unwrap());
        assert!(matches!(&s.image, DynamicImage::ImageLuma8(i) if i.dimensions() == (28, 28)), "{}", s.source);
    }
    // Ordered by class, then id; each class's first 25 ids.
    for d in 0..10u32 {
        let got: Vec<u64> = ds.samples.iter().filter(|s| s.label == d).map(|s| s.frame.unwrap()).collect();
        let mut all: Vec<u64> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(&format!("_label_{d}.png")))
            .map(|n| n.strip_prefix("id_").unwrap().split_once('_').unwrap().0.parse().unwrap())
            .collect();
        all.sort();
        assert_eq!(all.len(), 1000);
        assert_eq!(got, all[..25]);
    }
    assert_eq!(ds.classes.classes[7].text(), "٧");
}

/// Real sign-language-digits images (100x100 RGB), 3 per class, with labels.
fn digit_images() -> (Vec<image::RgbImage>, Vec<u32>) {
    let ds = data::load(&data_dir().join("sign-language-digits"), &limited(4)).unwrap();
    let picked: Vec<_> = ds.samples.iter().filter(|s| s.image.width() == 100 && s.image.height() == 100).collect();
    assert!(picked.len() >= 30);
    (picked.iter().map(|s| s.image.to_rgb8()).collect(), picked.iter().map(|s| s.label).collect())
}

fn write_npy<T: npyz::Serialize + npyz::AutoSerialize + Copy>(path: &Path, shape: &[u64], data: &[T]) {
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(shape)
        .writer(std::io::BufWriter::new(std::fs::File::create(path).unwrap()))
        .begin_nd()
        .unwrap();
    w.extend(data.iter().copied()).unwrap();
    w.finish().unwrap();
}

#[test]
fn npy_folder_round_trips_real_images() {
    let (images, labels) = digit_images();
    let n = images.len() as u64;
    let flat: Vec<u8> = images.iter().flat_map(|i| i.as_raw().iter().copied()).collect();

    // u8 N x H x W x 3 images with i64 labels.
    let tmp = TempDir::new("npy-u8");
    write_npy(&tmp.0.join("X.npy"), &[n, 100, 100, 3], &flat);
    let y: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
    write_npy(&tmp.0.join("Y.npy"), &[n], &y);
    assert_eq!(data::detect_format(&tmp.0).unwrap(), Format::Npy);
    let ds = data::load(&tmp.0, &LoadOptions::default()).unwrap();
    assert_eq!(ds.format, Format::Npy);
    assert_eq!(ds.classes.labels(), (0..10).map(|i| i.to_string()).collect::<Vec<_>>());
    assert_eq!(ds.samples.len(), images.len());
    for (i, s) in ds.samples.iter().enumerate() {
        assert_eq!(s.image, DynamicImage::ImageRgb8(images[i].clone()), "image {i}");
        assert_eq!(s.label, labels[i]);
        assert_eq!(s.source, format!("X.npy[{i}]"));
    }

    // f32 in 0..1 with one-hot labels, and the builtin table forced.
    let tmp = TempDir::new("npy-f32");
    let scaled: Vec<f32> = flat.iter().map(|&p| p as f32 / 255.0).collect();
    write_npy(&tmp.0.join("x.npy"), &[n, 100, 100, 3], &scaled);
    let mut one_hot = vec![0f32; images.len() * 10];
    for (i, &l) in labels.iter().enumerate() {
        one_hot[i * 10 + l as usize] = 1.0;
    }
    write_npy(&tmp.0.join("y.npy"), &[n, 10], &one_hot);
    let opts = LoadOptions { classes: Some("asl-digits-10".into()), ..LoadOptions::default() };
    let ds = data::load(&tmp.0.join("x.npy"), &LoadOptions { format: Some(Format::Npy), ..opts }).unwrap();
    assert_eq!(ds.classes, ClassTable::asl_digits());
    for (i, s) in ds.samples.iter().enumerate() {
        assert_eq!(s.image, DynamicImage::ImageRgb8(images[i].clone()), "image {i}");
        assert_eq!(s.label, labels[i]);
    }

    // Mismatched counts and bad labels are errors naming the arrays.
    write_npy(&tmp.0.join("y.npy"), &[n - 1, 10], &one_hot[..(n as usize - 1) * 10]);
    let e = data::load(&tmp.0, &LoadOptions::default()).unwrap_err().to_string();
    assert!(e.contains("x.npy") && e.contains("y.npy") && e.contains(&format!("{}", n - 1)), "{e}");
    let mut two_hot = one_hot.clone();
    two_hot[3 * 10 + (labels[3] as usize + 1) % 10] = 1.0;
    write_npy(&tmp.0.join("y.npy"), &[n, 10], &two_hot);
    let e = data::load(&tmp.0, &LoadOptions::default()).unwrap_err().to_string();
    assert!(e.contains("y.npy") && e.contains("row 3 is not one-hot"), "{e}");
}

#[test]
fn npz_round_trips_real_images_and_lists_unknown_names() {
    let (images, labels) = digit_images();
    let gray: Vec<image::GrayImage> = images.iter().map(|i| DynamicImage::ImageRgb8(i.clone()).to_luma8()).collect();
    let n = gray.len();
    let half = n / 2;
    let tmp = TempDir::new("npz");

    // Keras-style x_train/y_train/x_test/y_test, grayscale N x H x W u8, u8 labels.
    let path = tmp.0.join("digits.npz");
    {
        let mut npz = npyz::npz::NpzWriter::create(&path).unwrap();
        let parts = [("train", 0..half), ("test", half..n)];
        for (tag, range) in parts {
            let px: Vec<u8> = gray[range.clone()].iter().flat_map(|g| g.as_raw().iter().copied()).collect();
            let mut w = npz
                .array::<u8>(&format!("x_{tag}"), Default::default())
                .unwrap()
                .default_dtype()
                .shape(&[range.len() as u64, 100, 100])
                .begin_nd()
                .unwrap();
            w.extend(px).unwrap();
            w.finish().unwrap();
            let ys: Vec<u8> = labels[range.clone()].iter().map(|&l| l as u8).collect();
            let mut w = npz
                .array::<u8>(&format!("y_{tag}"), Default::default())
                .unwrap()
                .default_dtype()
                .shape(&[range.len() as u64])
                .begin_nd()
                .unwrap();
            w.extend(ys).unwrap();
            w.finish().unwrap();
        }
    }
    assert_eq!(data::detect_format(&path).unwrap(), Format::Npz);
    assert_eq!(data::detect_format(&tmp.0).unwrap(), Format::Npz);
    let ds = data::load(&path, &LoadOptions::default()).unwrap();
    assert_eq!((ds.format, ds.name.as_str(), ds.samples.len()), (Format::Npz, "digits", n));
    let max_label = *labels.iter().max().unwrap() as usize;
    assert_eq!(ds.classes.len(), max_label + 1);
    for (i, s) in ds.samples.iter().enumerate() {
        let (subset, j) = if i < half { (Subset::Train, i) } else { (Subset::Test, i - half) };
        assert_eq!(s.image, DynamicImage::ImageLuma8(gray[i].clone()), "image {i}");
        assert_eq!(s.label, labels[i]);
        assert_eq!(s.subset, Some(subset));
        let tag = if i < half { "train" } else { "test" };
        assert_eq!(s.source, format!("digits.npz:x_{tag}[{j}]"));
    }

    // Arrays with names we do not know: the error lists them.
    let odd = tmp.0.join("odd.npz");
    {
        let mut npz = npyz::npz::NpzWriter::create(&odd).unwrap();
        for name in ["pictures", "answers"] {
            let mut w =
                npz.array::<u8>(name, Default::default()).unwrap().default_dtype().shape(&[1]).begin_nd().unwrap();
            w.push(&0).unwrap();
            w.finish().unwrap();
        }
    }
    let e = data::load(&odd, &LoadOptions::default()).unwrap_err().to_string();
    assert!(e.contains("odd.npz") && e.contains("answers, pictures"), "{e}");
}
