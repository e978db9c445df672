//! Training end to end on real data with the real binary: a short run must beat chance
//! by a wide margin and write every run-directory file; a run killed after its first
//! checkpoint and resumed must resume from that checkpoint's epoch and finish exactly like
//! an uninterrupted one (CPU, same seed).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::scratch;

fn digits() -> PathBuf {
    common::data("sign-language-digits")
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

    // Killed as soon as the first epoch's checkpoint is there: found by a bounded poll,
    // with the run still going (two epochs left), so the resume below has work to do.
    let broken = scratch("broken");
    let mut child = train_cmd(&broken, 3, Some(80)).spawn().unwrap();
    let state = broken.join("checkpoints/state.json");
    let epoch_of = |path: &Path| -> Option<u64> {
        std::fs::read_to_string(path).ok().and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok()).and_then(|v| v["epoch"].as_u64())
    };
    common::poll_until("the first epoch's checkpoint", Duration::from_secs(600), || {
        assert!(child.try_wait().unwrap().is_none(), "run ended before its first checkpoint was seen");
        epoch_of(&state) == Some(1)
    });
    assert!(child.try_wait().unwrap().is_none(), "run finished before it was killed");
    child.kill().unwrap();
    child.wait().unwrap();
    let done = epoch_of(&state).unwrap();
    assert!(done < 3, "the killed run had finished all 3 epochs");
    eprintln!("killed after epoch {done}'s checkpoint");
    // Whatever the moment, the checkpoint under the real name is a whole one.
    let last = std::fs::read(broken.join("checkpoints/last.safetensors")).unwrap();
    let header = u64::from_le_bytes(last[..8].try_into().unwrap()) as usize;
    assert!(last.len() > 8 + header, "last.safetensors is cut short");
    // The run's state travels inside that checkpoint: a kill between writing it and
    // writing state.json (here: state.json gone) still resumes from a matching pair.
    std::fs::remove_file(broken.join("checkpoints/state.json")).unwrap();
    let resume = Command::new(env!("CARGO_BIN_EXE_host-train"))
        .args(["--threads", "1", "train", "--resume", "--out"])
        .arg(&broken)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let log = common::plain(&String::from_utf8_lossy(&resume.stderr));
    assert!(resume.status.success(), "resume failed: {log}");
    // It really resumed: from the checkpoint's epoch, training only the epochs after it.
    assert!(log.contains("resumed from") && log.contains(&format!("epoch={done}")), "the run did not resume from epoch {done}:\n{log}");
    for e in 1..=3 {
        let trained = log.contains(&format!("epoch {e}/3: train loss"));
        assert_eq!(trained, e as u64 > done, "epoch {e} after resuming from epoch {done}:\n{log}");
    }

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
