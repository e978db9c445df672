//! Training end to end on real data with the real binary: a short run must beat chance
//! by a wide margin and write every run-directory file; a run killed at a random moment
//! and resumed must finish exactly like an uninterrupted one (CPU, same seed).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn digits() -> PathBuf {
    shared::paths::shared_dir_from(Path::new(env!("CARGO_MANIFEST_DIR")))
        .expect("../shared not found beside the checkout; set SIGNSPELL_SHARED")
        .join("data/sign-language-digits")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("signspell-train-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// A small, quick configuration: CustomCNN at width 0.5 and 32 px on sign-language
/// digits (all 2,062, or the first `limit` per class), one libtorch thread (the two
/// tests run side by side).
fn train_cmd(out: &Path, epochs: usize, limit: Option<usize>) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_host-train"));
    c.args(["--threads", "1", "train", "--dataset"])
        .arg(digits())
        .args(["--arch", "custom-cnn", "--width", "0.5", "--input-size", "32"]);
    if let Some(n) = limit {
        c.args(["--limit-per-class", &n.to_string()]);
    }
    c
        .args(["--epochs", &epochs.to_string(), "--batch", "32", "--lr", "3e-3", "--seed", "7", "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

#[test]
fn short_run_beats_chance_and_writes_the_run_dir() {
    let out = scratch("short");
    let status = train_cmd(&out, 10, None).status().unwrap();
    assert!(status.success());
    for f in ["config.toml", "split.json", "metrics.jsonl", "report.json", "report.txt", "confusion.png", "curves.png", "card.json",
              "checkpoints/best.safetensors", "checkpoints/last.safetensors", "checkpoints/state.json"] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let report = read_json(&out.join("report.json"));
    let acc = report["accuracy"].as_f64().unwrap();
    // Ten classes: chance is 0.10.
    assert!(acc >= 0.6, "test accuracy {acc} does not beat chance (0.10) by a wide margin");
    assert_eq!(report["classes"].as_array().unwrap().len(), 10);
    assert_eq!(std::fs::read_to_string(out.join("metrics.jsonl")).unwrap().lines().count(), 10);
    let card = shared::ModelCard::from_json(&std::fs::read_to_string(out.join("card.json")).unwrap(), &out.join("card.json")).unwrap();
    assert_eq!(card.classes.len(), 10);
    assert_eq!(card.preprocess.input_shape(), [1, 3, 32, 32]);
    assert!(report["parameters"].as_u64().unwrap() == card.parameters && card.parameters > 0);

    // `eval` reproduces the test accuracy from the best checkpoint.
    let eval_out = out.join("eval");
    let status = Command::new(env!("CARGO_BIN_EXE_host-train"))
        .args(["eval", "--run"])
        .arg(&out)
        .arg("--out")
        .arg(&eval_out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let again = read_json(&eval_out.join("report.json"));
    assert_eq!(again["confusion_matrix"], report["confusion_matrix"]);
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn killed_run_resumes_to_the_same_result() {
    let whole = scratch("whole");
    assert!(train_cmd(&whole, 3, Some(80)).status().unwrap().success());
    let metrics = std::fs::read_to_string(whole.join("metrics.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(metrics.lines().next().unwrap()).unwrap();
    let epoch_secs = first["seconds"].as_f64().unwrap();

    // Killed at a random moment of the second or third epoch: in a training step, while
    // evaluating, or while a checkpoint is being written.
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let delay = Duration::from_secs_f64(epoch_secs * 2.0 * (seed % 1000) as f64 / 1000.0);
    let broken = scratch("broken");
    let mut child = train_cmd(&broken, 3, Some(80)).spawn().unwrap();
    let state = broken.join("checkpoints/state.json");
    let start = Instant::now();
    loop {
        if std::fs::read_to_string(&state).ok().and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok()).is_some_and(|v| v["epoch"] == 1) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(600), "no checkpoint after 10 minutes");
        assert!(child.try_wait().unwrap().is_none(), "run ended before it could be killed");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(delay);
    eprintln!("killing {delay:?} after the first epoch's checkpoint (epochs take {epoch_secs:.1} s)");
    child.kill().unwrap();
    child.wait().unwrap();
    // Whatever the moment, the checkpoint under the real name is a whole one.
    let last = std::fs::read(broken.join("checkpoints/last.safetensors")).unwrap();
    let header = u64::from_le_bytes(last[..8].try_into().unwrap()) as usize;
    assert!(last.len() > 8 + header, "last.safetensors is cut short");
    // The run's state travels inside that checkpoint: a kill between writing it and
    // writing state.json (here: state.json gone) still resumes from a matching pair.
    std::fs::remove_file(broken.join("checkpoints/state.json")).unwrap();
    let mut resume = Command::new(env!("CARGO_BIN_EXE_host-train"));
    resume.args(["--threads", "1", "train", "--resume", "--out"]).arg(&broken).stdout(Stdio::null()).stderr(Stdio::null());
    assert!(resume.status().unwrap().success());

    let lines = |d: &Path| -> Vec<serde_json::Value> {
        std::fs::read_to_string(d.join("metrics.jsonl")).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    let (a, b) = (lines(&whole), lines(&broken));
    assert_eq!(a.len(), 3);
    assert_eq!(b.len(), 3);
    for (x, y) in a.iter().zip(&b) {
        for key in ["train_loss", "val_loss", "val_accuracy", "train_accuracy"] {
            let (p, q) = (x[key].as_f64().unwrap(), y[key].as_f64().unwrap());
            assert!((p - q).abs() <= 1e-5 * p.abs().max(1.0), "epoch {}: {key} {p} vs {q} after resume", x["epoch"]);
        }
    }
    assert_eq!(read_json(&whole.join("report.json"))["confusion_matrix"], read_json(&broken.join("report.json"))["confusion_matrix"]);
    std::fs::remove_dir_all(&whole).unwrap();
    std::fs::remove_dir_all(&broken).unwrap();
}
