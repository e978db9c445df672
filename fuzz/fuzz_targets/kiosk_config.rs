//! The kiosk's TOML config: any text is a config that passes its checks or an error,
//! never a panic (serde, toml, then `KioskConfig::validate`).
#![no_main]

#[path = "../checks_device.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::kiosk_config(data));
