//! The libtorch runtime: which device trains, how many CPU threads, allocator tuning.
//!
//! A tch binary links only `libtorch_cpu.so`, so on a GPU machine libtorch never sees
//! CUDA (tch-rs issue 980). [`init`] therefore `dlopen`s `libtorch_cuda.so` from the
//! directory libtorch was loaded from; its static initializers register the CUDA
//! backend. Where that library or its CUDA dependencies are missing (the lean CPU
//! install of `scripts/setup.sh`), the load fails and training stays on the CPU.

use std::ffi::CString;
use std::path::PathBuf;

use serde::Serialize;
use tch::Device;

/// Where libtorch runs, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Runtime {
    /// The device training uses.
    #[serde(serialize_with = "ser_device")]
    pub device: Device,
    /// libtorch's directory, as loaded.
    pub libtorch_dir: Option<PathBuf>,
    /// Outcome of loading `libtorch_cuda.so`.
    pub cuda_backend: String,
    /// CUDA devices libtorch sees.
    pub cuda_devices: i64,
    /// CPU threads libtorch uses for intra-op parallelism.
    pub threads: i32,
}

fn ser_device<S: serde::Serializer>(d: &Device, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{d:?}"))
}

/// Prepares libtorch: tunes the allocator, loads the CUDA backend when it can, sets the
/// CPU thread count (`None`: libtorch's default, one per core) and picks the device
/// (`cpu_only` forces the CPU).
pub fn init(threads: Option<usize>, cpu_only: bool) -> Runtime {
    tune_malloc();
    let libtorch_dir = loaded_libtorch_dir();
    let cuda_backend = match &libtorch_dir {
        Some(dir) => load_cuda_backend(&dir.join("libtorch_cuda.so")),
        None => "libtorch_cpu.so not found in the process maps".to_string(),
    };
    if let Some(n) = threads {
        tch::set_num_threads(n.max(1) as i32);
    }
    let cuda_devices = if tch::Cuda::is_available() { tch::Cuda::device_count() } else { 0 };
    let device = if cpu_only { Device::Cpu } else { Device::cuda_if_available() };
    Runtime { device, libtorch_dir, cuda_backend, cuda_devices, threads: tch::get_num_threads() }
}

/// Keeps freed large buffers in the process instead of returning them to the OS after
/// every step (the same as `GLIBC_TUNABLES=glibc.malloc.mmap_max=0:
/// glibc.malloc.trim_threshold=68719476736`, without needing the environment).
fn tune_malloc() {
    // SAFETY: mallopt only changes allocator parameters; called before worker threads.
    unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
}

/// The directory `libtorch_cpu.so` was loaded from, read from `/proc/self/maps`.
fn loaded_libtorch_dir() -> Option<PathBuf> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .find(|p| p.ends_with("/libtorch_cpu.so"))
        .and_then(|p| PathBuf::from(p).parent().map(PathBuf::from))
}

fn load_cuda_backend(path: &std::path::Path) -> String {
    if !path.exists() {
        return format!("not loaded: {} does not exist", path.display());
    }
    let Ok(c_path) = CString::new(path.as_os_str().as_encoded_bytes()) else {
        return "not loaded: path contains NUL".into();
    };
    // SAFETY: dlopen with a valid C string; the handle is intentionally never closed so
    // the CUDA backend stays registered for the life of the process.
    let handle = unsafe { libc::dlopen(c_path.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL) };
    if handle.is_null() {
        // SAFETY: dlerror returns a thread-local C string or null.
        let err = unsafe { libc::dlerror() };
        let msg = if err.is_null() {
            "unknown error".to_string()
        } else {
            unsafe { std::ffi::CStr::from_ptr(err) }.to_string_lossy().into_owned()
        };
        format!("not loaded (CPU only): {msg}")
    } else {
        format!("loaded {}", path.display())
    }
}
