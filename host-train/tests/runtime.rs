//! The built `host-train` binary finds libtorch by itself (rpath, no LD_LIBRARY_PATH)
//! and computes with it.

use std::process::Command;

#[test]
fn info_runs_libtorch_without_environment() {
    let out = Command::new(env!("CARGO_BIN_EXE_host-train"))
        .args(["--threads", "1", "info"])
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("LIBTORCH")
        .output()
        .expect("run host-train");
    assert!(out.status.success(), "host-train info failed: {}", String::from_utf8_lossy(&out.stderr));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(info["check_sum_of_squares"], 14.0, "{info}");
    assert_eq!(info["threads"], 1, "{info}");
    let device = info["device"].as_str().unwrap();
    let cuda = info["cuda_devices"].as_i64().unwrap();
    assert!(device == "Cpu" && cuda == 0 || device.starts_with("Cuda") && cuda > 0, "{info}");
    assert!(info["libtorch_dir"].as_str().is_some_and(|d| d.ends_with("/lib")), "{info}");
}

#[test]
fn cpu_flag_forces_the_cpu() {
    let out = Command::new(env!("CARGO_BIN_EXE_host-train")).args(["--cpu", "info"]).output().unwrap();
    assert!(out.status.success());
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["device"], "Cpu");
}
