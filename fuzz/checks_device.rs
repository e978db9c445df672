//! The fuzz check that needs the device crate, shared with
//! `device/tests/fuzz_regressions.rs`.

/// The kiosk's TOML config: any text is a config that passes its checks or an error,
/// never a panic (serde, toml, then `KioskConfig::validate`).
pub fn kiosk_config(data: &[u8]) {
    use device::config::KioskConfig;
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(cfg) = toml::from_str::<KioskConfig>(text) {
        let _ = cfg.validate();
        let _ = cfg.model_choices();
    }
}
