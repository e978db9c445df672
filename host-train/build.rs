//! Puts libtorch's directory into the binary's rpath, so `host-train` and its tests run
//! with no LD_LIBRARY_PATH. torch-sys's own rpath flag only reaches its C++ wrapper,
//! not the final binaries; torch-sys exports the directory as DEP_TCH_LIBTORCH_LIB
//! (its `links = "tch"` key) to crates that depend on it directly, as this one does.
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
        println!("cargo:rustc-env=SIGNSPELL_LIBTORCH_LIB={dir}");
    }
}
