//! Evaluation reports: metrics against hand-computed confusion matrices, the
//! scikit-learn text layout, top confusions, and the files `write_reports` writes.

use host_train::eval::{self, EpochRecord, EvalError, Report};

fn labels(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

/// Asserts (precision, recall, f1, support) of class `i`.
fn assert_class(r: &Report, i: usize, p: f64, rc: f64, f: f64, support: u64) {
    let c = &r.per_class[i];
    assert!(
        close(c.precision, p) && close(c.recall, rc) && close(c.f1, f) && c.support == support,
        "class {i} ({}): got ({}, {}, {}, {}), want ({p}, {rc}, {f}, {support})",
        c.label,
        c.precision,
        c.recall,
        c.f1,
        c.support
    );
}

/// Case 1: three classes, every class both confused and predicted.
///
/// ```text
/// y_true = 0 0 0 0 1 1 1 2 2 2
/// y_pred = 0 0 1 2 1 1 0 2 2 1
///
///               pred cat dog bird | support
/// true cat            2   1   1   |   4
/// true dog            1   2   0   |   3
/// true bird           0   1   2   |   3
/// predicted           3   4   3   |  10
///
/// cat:  P = 2/3, R = 2/4 = 1/2, F1 = 2*2/(4+3) = 4/7
/// dog:  P = 2/4 = 1/2, R = 2/3, F1 = 4/(3+4) = 4/7
/// bird: P = 2/3, R = 2/3, F1 = 4/(3+3) = 2/3
/// accuracy = 6/10
/// macro:    P = (2/3 + 1/2 + 2/3)/3 = 11/18, R = (1/2 + 2/3 + 2/3)/3 = 11/18,
///           F1 = (4/7 + 4/7 + 2/3)/3 = 38/63
/// weighted: P = (4*2/3 + 3*1/2 + 3*2/3)/10 = 37/60, R = (2 + 2 + 2)/10 = 3/5,
///           F1 = (4*4/7 + 3*4/7 + 3*2/3)/10 = 3/5
/// ```
fn case1() -> Report {
    eval::compute(&[0, 0, 0, 0, 1, 1, 1, 2, 2, 2], &[0, 0, 1, 2, 1, 1, 0, 2, 2, 1], &labels(&["cat", "dog", "bird"]))
        .unwrap()
}

/// Case 2: class "C" is never predicted (precision 0/0 -> 0), and has a long label.
///
/// ```text
/// y_true = 0 0 1 1 2
/// y_pred = 0 0 1 0 0
///
///            pred A  B  C | support
/// true A          2  0  0 |   2
/// true B          1  1  0 |   2
/// true C          1  0  0 |   1
/// predicted       4  1  0 |   5
///
/// A: P = 2/4 = 1/2, R = 2/2 = 1, F1 = 4/(2+4) = 2/3
/// B: P = 1/1 = 1, R = 1/2, F1 = 2/(2+1) = 2/3
/// C: P = 0/0 -> 0, R = 0/1 = 0, F1 = 0
/// accuracy = 3/5
/// macro:    P = (1/2 + 1 + 0)/3 = 1/2, R = (1 + 1/2 + 0)/3 = 1/2, F1 = (4/3)/3 = 4/9
/// weighted: P = (2*1/2 + 2*1 + 0)/5 = 3/5, R = (2 + 1 + 0)/5 = 3/5,
///           F1 = (2*2/3 + 2*2/3 + 0)/5 = 8/15
/// ```
fn case2() -> Report {
    eval::compute(&[0, 0, 1, 1, 2], &[0, 0, 1, 0, 0], &labels(&["A", "B", "nothing_at_all_long"])).unwrap()
}

#[test]
fn case1_metrics_by_hand() {
    let r = case1();
    assert_eq!(r.confusion_matrix, vec![vec![2, 1, 1], vec![1, 2, 0], vec![0, 1, 2]]);
    assert_eq!(r.samples, 10);
    assert!(close(r.accuracy, 0.6));
    assert_class(&r, 0, 2.0 / 3.0, 0.5, 4.0 / 7.0, 4);
    assert_class(&r, 1, 0.5, 2.0 / 3.0, 4.0 / 7.0, 3);
    assert_class(&r, 2, 2.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0, 3);
    assert!(close(r.macro_avg.precision, 11.0 / 18.0));
    assert!(close(r.macro_avg.recall, 11.0 / 18.0));
    assert!(close(r.macro_avg.f1, 38.0 / 63.0));
    assert_eq!(r.macro_avg.support, 10);
    assert!(close(r.weighted_avg.precision, 37.0 / 60.0));
    assert!(close(r.weighted_avg.recall, 0.6));
    assert!(close(r.weighted_avg.f1, 0.6));
    assert_eq!(r.weighted_avg.support, 10);
    assert_eq!(r.classes, labels(&["cat", "dog", "bird"]));
    assert_eq!((r.loss, r.parameters, r.split.as_deref(), r.model.as_deref()), (None, None, None, None));
}

#[test]
fn case2_never_predicted_class_is_zero() {
    let r = case2();
    assert_eq!(r.confusion_matrix, vec![vec![2, 0, 0], vec![1, 1, 0], vec![1, 0, 0]]);
    assert!(close(r.accuracy, 0.6));
    assert_class(&r, 0, 0.5, 1.0, 2.0 / 3.0, 2);
    assert_class(&r, 1, 1.0, 0.5, 2.0 / 3.0, 2);
    assert_class(&r, 2, 0.0, 0.0, 0.0, 1);
    assert!(close(r.macro_avg.precision, 0.5));
    assert!(close(r.macro_avg.recall, 0.5));
    assert!(close(r.macro_avg.f1, 4.0 / 9.0));
    assert!(close(r.weighted_avg.precision, 0.6));
    assert!(close(r.weighted_avg.recall, 0.6));
    assert!(close(r.weighted_avg.f1, 8.0 / 15.0));
    // Zero division gives 0, never NaN.
    assert!(r.per_class.iter().all(|c| c.precision.is_finite() && c.recall.is_finite() && c.f1.is_finite()));
}

#[test]
fn error_cases() {
    let l = labels(&["a", "b", "c"]);
    assert_eq!(eval::compute(&[0, 1], &[0], &l), Err(EvalError::LengthMismatch { y_true: 2, y_pred: 1 }));
    assert_eq!(eval::compute(&[], &[], &l), Err(EvalError::Empty));
    let e = eval::compute(&[0, 3], &[0, 1], &l).unwrap_err();
    assert_eq!(e, EvalError::IndexOutOfRange { which: "y_true", position: 1, index: 3, classes: 3 });
    assert_eq!(e.to_string(), "y_true[1] = 3 is out of range for 3 classes");
    assert!(matches!(
        eval::compute(&[0, 1], &[0, 9], &l),
        Err(EvalError::IndexOutOfRange { which: "y_pred", position: 1, index: 9, .. })
    ));
    assert!(eval::compute(&[0], &[0], &[]).is_err());
}

/// Expected strings are what scikit-learn's
/// `classification_report(y_true, y_pred, labels=[0, 1, 2], target_names=..., digits=4)`
/// prints for these cases (its format strings applied to the hand-computed values).
#[test]
fn text_matches_sklearn_layout() {
    let expected1 = concat!(
        "              precision    recall  f1-score   support\n",
        "\n",
        "         cat     0.6667    0.5000    0.5714         4\n",
        "         dog     0.5000    0.6667    0.5714         3\n",
        "        bird     0.6667    0.6667    0.6667         3\n",
        "\n",
        "    accuracy                         0.6000        10\n",
        "   macro avg     0.6111    0.6111    0.6032        10\n",
        "weighted avg     0.6167    0.6000    0.6000        10\n",
    );
    assert_eq!(case1().to_text(), expected1);

    // A label longer than "weighted avg" sets the first column's width.
    let expected2 = concat!(
        "                     precision    recall  f1-score   support\n",
        "\n",
        "                  A     0.5000    1.0000    0.6667         2\n",
        "                  B     1.0000    0.5000    0.6667         2\n",
        "nothing_at_all_long     0.0000    0.0000    0.0000         1\n",
        "\n",
        "           accuracy                         0.6000         5\n",
        "          macro avg     0.5000    0.5000    0.4444         5\n",
        "       weighted avg     0.6000    0.6000    0.5333         5\n",
    );
    assert_eq!(case2().to_text(), expected2);
}

/// Builds y_true/y_pred realizing the confusion matrix `cm`.
fn from_matrix(cm: &[Vec<u64>]) -> (Vec<usize>, Vec<usize>) {
    let (mut t, mut p) = (Vec::new(), Vec::new());
    for (i, row) in cm.iter().enumerate() {
        for (j, &c) in row.iter().enumerate() {
            for _ in 0..c {
                t.push(i);
                p.push(j);
            }
        }
    }
    (t, p)
}

#[test]
fn top_confusions_order_and_limit() {
    let cm =
        vec![vec![9, 1, 4, 0, 2], vec![4, 9, 1, 1, 0], vec![0, 7, 9, 2, 1], vec![3, 0, 4, 9, 1], vec![2, 0, 0, 7, 9]];
    let (t, p) = from_matrix(&cm);
    let r = eval::compute(&t, &p, &labels(&["a", "b", "c", "d", "e"])).unwrap();
    assert_eq!(r.confusion_matrix, cm);
    let got: Vec<(&str, &str, u64)> =
        r.top_confusions.iter().map(|c| (c.true_label.as_str(), c.predicted.as_str(), c.count)).collect();
    // 7s, then 4s, 3, 2s (14 nonzero off-diagonal cells; ties in (true, pred) order), cut at 10.
    assert_eq!(
        got,
        vec![
            ("c", "b", 7),
            ("e", "d", 7),
            ("a", "c", 4),
            ("b", "a", 4),
            ("d", "c", 4),
            ("d", "a", 3),
            ("a", "e", 2),
            ("c", "d", 2),
            ("e", "a", 2),
            ("a", "b", 1),
        ]
    );
    assert_eq!(eval::TOP_CONFUSIONS, 10);
    // All ties: (true, predicted) index order.
    let c1 = case1();
    let pairs: Vec<(&str, &str)> =
        c1.top_confusions.iter().map(|c| (c.true_label.as_str(), c.predicted.as_str())).collect();
    assert_eq!(pairs, vec![("cat", "dog"), ("cat", "bird"), ("dog", "cat"), ("bird", "dog")]);
}

fn history(epochs: usize) -> Vec<EpochRecord> {
    (1..=epochs)
        .map(|e| {
            let x = e as f64;
            EpochRecord {
                epoch: e,
                train_loss: 2.5 / x,
                train_accuracy: 1.0 - 0.6 / x,
                val_loss: 2.7 / x + 0.05 * (x / 5.0),
                val_accuracy: 1.0 - 0.7 / x - 0.002 * x,
                lr: 1e-3 * 0.9f64.powi(e as i32),
                seconds: 30.0,
                images_per_sec: 1200.0,
            }
        })
        .collect()
}

/// A plausible report with `n` classes: mostly right, some confusion with neighbours.
fn synthetic(names: &[String], per_class: usize) -> Report {
    let n = names.len();
    let (mut t, mut p) = (Vec::new(), Vec::new());
    for i in 0..n {
        for k in 0..per_class + i * 7 {
            t.push(i);
            p.push(match (k * 31 + i * 17) % 100 {
                0..=84 => i,
                85..=92 => (i + 1) % n,
                93..=96 => (i + n - 1) % n,
                _ => (i * 7 + k) % n,
            });
        }
    }
    let mut r = eval::compute(&t, &p, names).unwrap();
    r.split = Some("test".into());
    r.model = Some("mobilenetv2".into());
    r.loss = Some(0.4321);
    r.parameters = Some(2_257_984);
    r.inference_samples_per_sec = Some(812.5);
    r
}

fn asl29() -> Vec<String> {
    let mut v: Vec<String> = ('A'..='Z').map(|c| c.to_string()).collect();
    v.extend(["del", "nothing", "space"].map(String::from));
    v
}

/// Asserts that a report read back from JSON equals the original. Equal when
/// serde_json's `float_roundtrip` feature is on; without it serde_json's fast float
/// parser may be one ulp off, so floats are compared to 1e-15 relative.
fn assert_same(back: &Report, original: &Report) {
    if back == original {
        return;
    }
    fn same(a: &serde_json::Value, b: &serde_json::Value, at: &str) {
        use serde_json::Value::*;
        match (a, b) {
            (Number(x), Number(y)) if x.is_f64() || y.is_f64() => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                assert!((x - y).abs() <= 1e-15 * x.abs().max(y.abs()), "{at}: {x} != {y}");
            }
            (Array(x), Array(y)) => {
                assert_eq!(x.len(), y.len(), "{at}: lengths differ");
                for (i, (x, y)) in x.iter().zip(y).enumerate() {
                    same(x, y, &format!("{at}[{i}]"));
                }
            }
            (Object(x), Object(y)) => {
                assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>(), "{at}: keys differ");
                for (k, x) in x {
                    same(x, &y[k], &format!("{at}.{k}"));
                }
            }
            _ => assert_eq!(a, b, "{at}"),
        }
    }
    same(&serde_json::to_value(back).unwrap(), &serde_json::to_value(original).unwrap(), "report");
}

/// Decodes a PNG and returns its size.
fn png_size(path: &std::path::Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{} is not a PNG", path.display());
    let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
        .unwrap_or_else(|e| panic!("{} does not decode: {e}", path.display()));
    let rgb = img.to_rgb8();
    // Not blank: some pixels are dark (text, lines) and most are light (background).
    let dark = rgb.pixels().filter(|p| p.0.iter().all(|&c| c < 100)).count();
    assert!(dark > 500, "{} has almost no dark pixels", path.display());
    (img.width(), img.height())
}

fn out_dir(name: &str) -> std::path::PathBuf {
    // Kept under target/ so the pictures can be looked at after a run.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("eval_reports").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn write_reports_29_classes() {
    let dir = out_dir("asl29");
    let report = synthetic(&asl29(), 40);
    let hist = history(25);
    eval::write_reports(&dir, &report, &hist).unwrap();

    let json = std::fs::read_to_string(dir.join("report.json")).unwrap();
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_same(&back, &report);
    assert!(json.contains("\n  \"accuracy\""), "report.json is not pretty-printed");

    let txt = std::fs::read_to_string(dir.join("report.txt")).unwrap();
    assert!(txt.starts_with(&report.to_text()));
    assert!(txt.contains("split: test") && txt.contains("top confusions"));

    let (w, h) = png_size(&dir.join("confusion.png"));
    assert!((800..=2400).contains(&w) && (800..=2400).contains(&h), "confusion.png is {w}x{h}");
    let (w, h) = png_size(&dir.join("curves.png"));
    assert!((800..=2400).contains(&w) && (300..=1200).contains(&h), "curves.png is {w}x{h}");
    // No temporary files left behind.
    let names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 4, "{names:?}");
}

#[test]
fn write_reports_10_classes_without_history() {
    let dir = out_dir("digits10");
    let names: Vec<String> = (0..10).map(|d| d.to_string()).collect();
    let report = synthetic(&names, 300);
    eval::write_reports(&dir, &report, &[]).unwrap();
    let (w, h) = png_size(&dir.join("confusion.png"));
    assert!((500..=1600).contains(&w) && (500..=1600).contains(&h), "confusion.png is {w}x{h}");
    assert!(!dir.join("curves.png").exists(), "curves.png written without history");
    let back: Report = serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_same(&back, &report);
}

#[test]
fn plots_cover_edge_sizes() {
    // Two classes, 32 long-named classes, a single epoch, and a NaN loss all render.
    let two = eval::compute(&[0, 1, 1], &[0, 1, 0], &labels(&["yes", "no"])).unwrap();
    let dir = out_dir("edges");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("two.png"), eval::confusion_png(&two).unwrap()).unwrap();
    png_size(&dir.join("two.png"));

    let names: Vec<String> = (0..32).map(|i| format!("class_{i:02}_longname")).collect();
    std::fs::write(dir.join("thirtytwo.png"), eval::confusion_png(&synthetic(&names, 20)).unwrap()).unwrap();
    let (w, h) = png_size(&dir.join("thirtytwo.png"));
    assert!(w <= 2400 && h <= 2400, "{w}x{h}");

    let mut one = history(1);
    one[0].val_loss = f64::NAN;
    std::fs::write(dir.join("one_epoch.png"), eval::curves_png(&one).unwrap()).unwrap();
    png_size(&dir.join("one_epoch.png"));
    assert!(eval::curves_png(&[]).is_err());
}

#[test]
fn write_reports_error_names_the_file() {
    // A directory where a file should go makes the write fail.
    let dir = out_dir("blocked");
    std::fs::create_dir_all(dir.join("report.json")).unwrap();
    let err = eval::write_reports(&dir, &case1(), &[]).unwrap_err();
    assert!(format!("{err:#}").contains("report.json"), "{err:#}");
}
