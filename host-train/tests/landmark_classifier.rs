//! The landmark classifier end to end on real data: the corpus of every source of hands
//! (pictures through MediaPipe in tract, and the 2-D CSV logs), leave-one-source-out,
//! and the export that the device runs.

mod common;

use host_train::cmd::landmarks::{LandmarkSplit, LandmarksArgs, run};
use host_train::data::hand_corpus::{self, CorpusOptions};
use host_train::data::landmark_csv;
use shared::card::InputSource;
use shared::features::{FeatureSpec, LEN, features};
use shared::tract_model::TractModel;

fn corpus_options(name: &str, limit: usize) -> CorpusOptions {
    let shared = common::shared_dir();
    CorpusOptions {
        data: shared.join("data"),
        models: shared.join("models/mediapipe"),
        cache_dir: common::scratch(name),
        limit_per_class: Some(limit),
        settle: shared::hands::SETTLE,
    }
}

#[test]
fn every_source_of_hands_joins_the_corpus_with_its_person() {
    let corpus = hand_corpus::build(&corpus_options("corpus", 2)).unwrap();
    let names: Vec<&str> = corpus.sources.iter().map(|s| s.name.as_str()).collect();
    for want in
        ["asl-alphabet", "roboflow", "sign-language-digits", "sign-mnist", "13lack13lood-hands-on-fluency", "insitee-asl", "fawziya20-interpreter"]
    {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    // Digits join only as the letters they look like.
    let digits = corpus.source("sign-language-digits").unwrap();
    let digit_letters: std::collections::BTreeSet<&str> = corpus
        .samples
        .iter()
        .filter(|s| s.source == digits)
        .map(|s| corpus.classes.get(s.label as usize).unwrap().label.as_str())
        .collect();
    assert_eq!(digit_letters.into_iter().collect::<Vec<_>>(), ["F", "O", "V", "W"]);
    // Pictures carry depth, the CSV logs do not; MediaPipe finds most hands.
    for s in &corpus.sources {
        assert!(s.samples > 0, "{s:?}");
        let depth = corpus.samples.iter().filter(|x| corpus.sources[x.source].name == s.name).all(|x| x.depth);
        assert_eq!(depth, !s.about.contains("2-D"), "{}", s.name);
    }
    let alphabet = &corpus.sources[corpus.source("asl-alphabet").unwrap()];
    assert!(alphabet.hands * 10 >= alphabet.samples * 7, "{alphabet:?}");
    // sign-mnist's numbered classes join as their letters (no J or Z: they move), and
    // its tiny crops, enlarged, give hands (2 a letter from each of its two files).
    let mnist = corpus.source("sign-mnist").unwrap();
    let mnist_letters: std::collections::BTreeSet<&str> = corpus
        .samples
        .iter()
        .filter(|s| s.source == mnist)
        .map(|s| corpus.classes.get(s.label as usize).unwrap().label.as_str())
        .collect();
    assert_eq!(mnist_letters.len(), 24, "{mnist_letters:?}");
    assert!(!mnist_letters.contains("J") && !mnist_letters.contains("Z") && mnist_letters.contains("Y"));
    let mnist = &corpus.sources[mnist];
    assert_eq!(mnist.samples, 24 * 2 * 2);
    assert!(mnist.hands * 10 >= mnist.samples * 8, "{mnist:?}");
    // Every found hand gives features.
    for s in corpus.samples.iter().filter(|s| s.points.is_some()) {
        features(s.points.as_ref().unwrap(), FeatureSpec::V1).unwrap();
    }
}

#[test]
fn the_csv_logs_read_as_the_same_hands_as_mediapipe_points() {
    // The Kazuhito00 rows are mirrored, wrist-relative and max-normalised: features undo
    // all three, so the mean hand of an author's 'B' (flat hand) has fingers up.
    let dir = common::data_dir().join("asl-landmarks/13lack13lood-hands-on-fluency");
    let rows = landmark_csv::load(&dir.join(landmark_csv::FILE)).unwrap();
    let b: Vec<_> = rows.iter().filter(|r| r.label == "B").collect();
    assert!(b.len() >= 10);
    for r in b {
        let f = features(&shared::features::points_2d(&r.xy), FeatureSpec { depth: false, ..FeatureSpec::V1 }).unwrap();
        // Point 12 (middle fingertip) is feature pair 11: far above the wrist.
        assert!(f[2 * 11 + 1] < -0.8, "{}: middle tip y {}", r.source, f[2 * 11 + 1]);
    }
}

#[test]
fn leave_one_source_out_reports_each_person_and_exports_a_model_tract_runs() {
    let out = common::scratch("loso");
    let args = LandmarksArgs {
        shared: Some(common::shared_dir()),
        split: LandmarkSplit::LeaveOneSourceOut,
        out: out.clone(),
        export: Some(out.join("asl-landmarks.onnx")),
        hold_out: None,
        compare: vec![],
        cache_dir: None,
        train_config: None,
        no_depth: false,
        epochs: Some(8),
        seed: Some(1),
        // An ensemble of two: the export averages both networks' logits in the graph.
        members: Some(2),
        limit_per_class: Some(3),
        settle: shared::hands::SETTLE,
    };
    let outcome = run(&args, tch::Device::Cpu).unwrap();
    let loso = outcome.loso.unwrap();
    assert_eq!(loso.folds.len(), outcome.sources.len(), "every source has letters");
    for f in &loso.folds {
        assert!(f.correct <= f.hands, "{}: a picture without a hand is never right", f.held_out);
        assert!((f.accuracy - f.correct as f64 / f.letters as f64).abs() < 1e-12);
        assert!(out.join(&f.held_out).join("report.txt").is_file());
        assert!(out.join(&f.held_out).join("confusion.png").is_file());
    }
    let md = std::fs::read_to_string(out.join("loso.md")).unwrap();
    assert!(md.contains("mean over sources") && md.contains("roboflow"), "{md}");
    // Even 3 samples a letter per source and 8 epochs read other people well above
    // chance (1/26).
    assert!(loso.mean_accuracy > 0.2, "{}", loso.mean_accuracy);

    assert_eq!(outcome.exported.len(), 1);
    let model = TractModel::load(&out.join("asl-landmarks.onnx")).unwrap();
    assert_eq!(model.card.input, InputSource::Landmarks { features: FeatureSpec::V1 });
    assert!(model.card.metrics.contains_key("loso_mean_accuracy"));
    assert_eq!(model.input_shape(), [1, 1, 1, LEN]);
    // Both members run: twice one network's multiply-adds (78 -> 256 -> 128 -> classes).
    let classes = model.card.classes.len();
    assert_eq!(model.macs, 2 * (LEN * 256 + 256 * 128 + 128 * classes) as u64);
    assert_eq!(model.card.architecture.hyperparameters["train"]["members"], 2);
    assert!(outcome.exported[0].top1_agreement == 1.0 && outcome.exported[0].rows >= 100);

    // The folds' confusions and sampled outputs, beside the model for the device's
    // lexicon decoder: each fold's confusion counts every letter of its source, and its
    // frames agree with them.
    let outputs = shared::loso::LosoOutputs::load(&shared::loso::LosoOutputs::path_for(&out.join("asl-landmarks.onnx"))).unwrap();
    assert_eq!(outputs, shared::loso::LosoOutputs::load(&out.join("loso-outputs.json")).unwrap());
    assert_eq!(outputs.folds.len(), loso.folds.len());
    for (o, f) in outputs.folds.iter().zip(&loso.folds) {
        assert_eq!(o.source, f.held_out);
        let total: u32 = o.confusion.iter().flatten().sum();
        let diagonal: u32 = (0..o.confusion.len()).map(|i| o.confusion[i][i]).sum();
        assert_eq!((total as usize, diagonal as usize), (f.letters, f.correct), "{}", f.held_out);
        assert!(!o.frames.is_empty() && o.frames.iter().all(|fr| fr.top.len() <= shared::loso::TOP_K));
    }
}
