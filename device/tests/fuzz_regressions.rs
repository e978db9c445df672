//! The kiosk config's fuzz check (fuzz/checks_device.rs) in CI: on the inputs a fuzzing
//! run found to crash (fuzz/regressions/kiosk_config/), and on the shipped configs cut
//! short and with lines dropped or changed.

#[path = "../../fuzz/checks_device.rs"]
mod checks;

use std::path::Path;

#[test]
fn kiosk_config_check_on_shipped_configs_and_damaged_copies() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut inputs = Vec::new();
    for cfg in ["kiosk.toml", "debian/kiosk.toml"] {
        let text = std::fs::read_to_string(root.join(cfg)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        inputs.push(text.clone());
        for cut in 1..8 {
            inputs.push(text[..text.len() * cut / 8].to_string());
        }
        for i in 0..lines.len() {
            let mut without = lines.clone();
            without.remove(i);
            inputs.push(without.join("\n"));
            // Numbers become text, text becomes numbers, tables turn into arrays.
            let mut changed = lines.clone();
            let swapped = lines[i].replace('"', "").replace(" = ", " = \"x").replace("[", "[[");
            changed[i] = &swapped;
            inputs.push(changed.join("\n"));
        }
    }
    let dir = root.join("../fuzz/regressions/kiosk_config");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        inputs.extend(entries.map(|e| String::from_utf8_lossy(&std::fs::read(e.unwrap().path()).unwrap()).into_owned()));
    }
    assert!(inputs.len() > 50);
    for text in &inputs {
        checks::kiosk_config(text.as_bytes());
    }
}
