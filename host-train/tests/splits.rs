//! Splits of the real datasets: stratified proportions, grouped splits that keep runs
//! of consecutive frames together, the datasets' own splits, determinism, and split
//! files (round trip and corruption).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use host_train::data::split::{Split, SplitOptions, make_split};
use host_train::data::{self, Dataset, LoadOptions, Subset};
use shared::card::{SplitInfo, SplitKind};

fn data_dir() -> PathBuf {
    shared::paths::shared_dir_from(Path::new(env!("CARGO_MANIFEST_DIR")))
        .expect("../shared/data not found (set SIGNSPELL_SHARED)")
        .join("data")
}

fn load(rel: &str, limit: Option<usize>) -> Dataset {
    data::load(&data_dir().join(rel), &LoadOptions { limit_per_class: limit, ..LoadOptions::default() }).unwrap()
}

/// Which part each sample is in; panics when a sample is in two parts or none.
fn parts_of(split: &Split, n: usize) -> Vec<&'static str> {
    let mut part = vec![""; n];
    for (name, list) in [("train", &split.train), ("val", &split.val), ("test", &split.test)] {
        for &i in list {
            assert_eq!(part[i], "", "sample {i} in {} and {name}", part[i]);
            part[i] = name;
        }
    }
    assert!(part.iter().all(|p| !p.is_empty()), "every sample is in a part");
    part
}

/// Expected (val, test) sizes for a class of `n`, from the documented rule.
fn expected_sizes(n: usize, val: f64, test: f64) -> (usize, usize) {
    let mut v = (n as f64 * val).round() as usize;
    let mut t = (n as f64 * test).round() as usize;
    if n >= 3 {
        v = v.max(1);
        t = t.max(1);
    }
    assert!(v + t < n, "the test datasets leave room for training");
    (v, t)
}

#[test]
fn stratified_split_keeps_class_proportions() {
    // The full sign-mnist test file: 24 classes of uneven size (144..498).
    let ds = load("sign-mnist/sign_mnist_test.csv.gz", None);
    let opts = SplitOptions { seed: 7, ..SplitOptions::default() };
    let split = make_split(&ds, &opts).unwrap();
    assert_eq!((split.kind, split.seed), (SplitKind::Stratified, 7));
    let part = parts_of(&split, ds.samples.len());
    let counts = ds.class_counts();
    for (c, &n) in counts.iter().enumerate() {
        let in_part =
            |p: &str| (0..ds.samples.len()).filter(|&i| ds.samples[i].label == c as u32 && part[i] == p).count();
        let (v, t) = expected_sizes(n, 0.15, 0.15);
        assert_eq!((in_part("val"), in_part("test"), in_part("train")), (v, t, n - v - t), "class {c} of {n}");
    }
    let total = ds.samples.len() as f64;
    assert!((split.test.len() as f64 / total - 0.15).abs() < 0.005);
    assert!((split.val.len() as f64 / total - 0.15).abs() < 0.005);
    assert!(split.train.windows(2).all(|w| w[0] < w[1]), "index lists are sorted");

    // Deterministic for a seed; another seed picks other samples.
    assert_eq!(make_split(&ds, &opts).unwrap(), split);
    let other = make_split(&ds, &SplitOptions { seed: 8, ..opts }).unwrap();
    assert_ne!(other.test, split.test);
    assert_eq!(other.test.len(), split.test.len());

    // Tiny classes: 3 samples give one to each part; 2 keep both for training.
    let small = load("asl-alphabet", Some(3));
    let split = make_split(&small, &SplitOptions::default()).unwrap();
    assert_eq!((split.train.len(), split.val.len(), split.test.len()), (29, 29, 29));
    let two = load("asl-alphabet", Some(2));
    let split = make_split(&two, &SplitOptions::default()).unwrap();
    assert_eq!((split.train.len(), split.val.len(), split.test.len()), (58, 0, 0));
}

#[test]
fn grouped_split_never_cuts_a_run_of_frames() {
    let ds = load("asl-alphabet", Some(60));
    let opts = SplitOptions { kind: SplitKind::Grouped, seed: 3, group_size: 10, ..SplitOptions::default() };
    let split = make_split(&ds, &opts).unwrap();
    let part = parts_of(&split, ds.samples.len());
    for c in 0..ds.classes.len() as u32 {
        // The class's samples in frame order, independently of the splitter.
        let mut members: Vec<usize> = (0..ds.samples.len()).filter(|&i| ds.samples[i].label == c).collect();
        members.sort_by_key(|&i| (ds.samples[i].frame.unwrap(), ds.samples[i].source.clone()));
        assert_eq!(members.len(), 60);
        // Each run of 10 consecutive frames lies wholly in one part...
        for run in members.chunks(10) {
            let p = part[run[0]];
            assert!(run.iter().all(|&i| part[i] == p), "class {c}: a run crosses parts");
        }
        // ...so the part can only change at a run boundary.
        for k in 1..members.len() {
            if part[members[k]] != part[members[k - 1]] {
                assert_eq!(k % 10, 0, "class {c}: parts change inside a run at {k}");
            }
        }
        // 6 runs: one for test, one for validation, four for training.
        let count = |p: &str| members.iter().filter(|&&i| part[i] == p).count();
        assert_eq!((count("train"), count("val"), count("test")), (40, 10, 10), "class {c}");
    }
    assert_eq!(make_split(&ds, &opts).unwrap(), split, "deterministic");
    assert_ne!(make_split(&ds, &SplitOptions { seed: 4, ..opts }).unwrap().test, split.test);

    // A random split of the same data does cut runs: the property above is not free.
    let random = make_split(&ds, &SplitOptions { seed: 3, ..SplitOptions::default() }).unwrap();
    let rpart = parts_of(&random, ds.samples.len());
    let mut members: Vec<usize> = (0..ds.samples.len()).filter(|&i| ds.samples[i].label == 0).collect();
    members.sort_by_key(|&i| ds.samples[i].frame.unwrap());
    assert!(members.chunks(10).any(|run| run.iter().any(|&i| rpart[i] != rpart[run[0]])));
}

#[test]
fn grouped_split_needs_frame_numbers() {
    let ds = load("sign-mnist/sign_mnist_test.csv.gz", Some(5));
    let opts = SplitOptions { kind: SplitKind::Grouped, ..SplitOptions::default() };
    let e = format!("{:#}", make_split(&ds, &opts).unwrap_err());
    assert!(e.contains("frame") && e.contains("sign_mnist_test.csv.gz:row 1"), "{e}");
    let e =
        format!("{:#}", make_split(&load("ahdd1-test", Some(3)), &SplitOptions { group_size: 0, ..opts }).unwrap_err());
    assert!(e.contains("group_size"), "{e}");
}

#[test]
fn dataset_split_uses_the_datasets_own_test_part() {
    let ds = load("sign-mnist", Some(20));
    let opts = SplitOptions { kind: SplitKind::Dataset, seed: 1, ..SplitOptions::default() };
    let split = make_split(&ds, &opts).unwrap();
    let part = parts_of(&split, ds.samples.len());
    for (i, s) in ds.samples.iter().enumerate() {
        assert_eq!(part[i] == "test", s.subset == Some(Subset::Test), "{}", s.source);
    }
    assert_eq!(split.test.len(), 24 * 20);
    // 20 training rows per class: 3 for validation (round(20 * 0.15)).
    let mut val_per_class = HashMap::new();
    for &i in &split.val {
        *val_per_class.entry(ds.samples[i].label).or_insert(0) += 1;
    }
    assert_eq!(val_per_class.len(), 24);
    assert!(val_per_class.values().all(|&v| v == 3), "{val_per_class:?}");
    assert_eq!(split.train.len(), 24 * 17);
    assert_eq!(split.info(), SplitInfo { kind: SplitKind::Dataset, seed: Some(1), train: 408, val: 72, test: 480 });
}

#[test]
fn split_options_are_checked() {
    let ds = load("ahdd1-test", Some(10));
    let bad = SplitOptions { val_fraction: 0.5, test_fraction: 0.5, ..SplitOptions::default() };
    assert!(format!("{:#}", make_split(&ds, &bad).unwrap_err()).contains("nothing for training"));
    let bad = SplitOptions { val_fraction: f64::NAN, ..SplitOptions::default() };
    assert!(make_split(&ds, &bad).is_err());
    let e = format!(
        "{:#}",
        make_split(&ds, &SplitOptions { kind: SplitKind::Dataset, ..SplitOptions::default() }).unwrap_err()
    );
    assert!(e.contains("no own train/test split"), "{e}");
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn split_files_round_trip_and_reject_corruption() {
    let ds = load("ahdd1-test", Some(40));
    let split =
        make_split(&ds, &SplitOptions { kind: SplitKind::Grouped, seed: 11, ..SplitOptions::default() }).unwrap();
    let tmp = TempDir(std::env::temp_dir().join(format!("signspell-splits-{}", std::process::id())));
    std::fs::create_dir_all(&tmp.0).unwrap();
    let path = tmp.0.join("split.json");
    split.save(&path).unwrap();
    assert_eq!(Split::load(&path, &ds).unwrap(), split);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(json["kind"], "grouped");
    assert_eq!(json["seed"], 11);
    assert_eq!(json["test"].as_array().unwrap().len(), split.test.len());
    assert_eq!(split.info(), SplitInfo { kind: SplitKind::Grouped, seed: Some(11), train: 200, val: 100, test: 100 });
    let leftovers: HashSet<_> = std::fs::read_dir(&tmp.0).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary files left: {leftovers:?}");

    let text = std::fs::read_to_string(&path).unwrap();
    let check = |name: &str, content: &str, want: &str| {
        let p = tmp.0.join(name);
        std::fs::write(&p, content).unwrap();
        let e = format!("{:#}", Split::load(&p, &ds).unwrap_err());
        assert!(e.contains(&p.display().to_string()) && e.contains(want), "{name}: {e}");
    };
    check("cut.json", &text[..text.len() / 2], "not a valid split file");
    let n = ds.samples.len();
    let mut out_of_range = split.clone();
    out_of_range.val.push(n);
    check("range.json", &serde_json::to_string(&out_of_range).unwrap(), &format!("index {n} in val is out of range"));
    let mut twice = split.clone();
    twice.test.push(split.train[0]);
    check("twice.json", &serde_json::to_string(&twice).unwrap(), &format!("sample {} appears twice", split.train[0]));
    check("kind.json", &text.replace("\"grouped\"", "\"sideways\""), "not a valid split file");
    check("extra.json", &text.replacen('{', "{\"bogus\":1,", 1), "not a valid split file");
    // A split of a bigger dataset does not fit a smaller one.
    let small = load("ahdd1-test", Some(5));
    let e = format!("{:#}", Split::load(&path, &small).unwrap_err());
    assert!(e.contains("split.json") && e.contains("out of range"), "{e}");
    let e = format!("{:#}", Split::load(&tmp.0.join("missing.json"), &ds).unwrap_err());
    assert!(e.contains("missing.json"), "{e}");
}
