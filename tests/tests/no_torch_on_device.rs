//! `device` and `shared` run on the Pi: neither may depend on libtorch.

#[test]
fn device_and_shared_do_not_depend_on_torch() {
    for package in ["device", "shared"] {
        let out = std::process::Command::new(env!("CARGO"))
            .args(["tree", "--offline", "--edges", "normal,build", "--prefix", "none", "--package", package])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("run cargo tree");
        assert!(out.status.success(), "cargo tree -p {package}: {}", String::from_utf8_lossy(&out.stderr));
        let tree = String::from_utf8_lossy(&out.stdout);
        assert!(tree.lines().any(|l| l.starts_with(package)), "unexpected cargo tree output:\n{tree}");
        let torch: Vec<_> = tree.lines().filter(|l| l.starts_with("tch ") || l.starts_with("torch-sys ")).collect();
        assert!(torch.is_empty(), "{package} depends on libtorch through: {torch:?}");
    }
}
