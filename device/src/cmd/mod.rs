//! The `device` command line, one file per subcommand: each has its `#[derive(clap::Args)]`
//! arguments and a `run` that does the work; `src/main.rs` only parses and dispatches.
//! What several subcommands need (the default model, dataset and MediaPipe folder, the
//! stop flag, walking image folders) is here.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::source::replay::collect_images;

pub mod bench;
pub mod card;
pub mod classify;
pub mod collect;
pub mod demo;
pub mod hands;
pub mod profile;
pub mod run;
pub mod soak;
pub mod spell_bench;

/// When the process began (startup time in `device bench`); set by [`mark_started`].
static STARTED: OnceLock<Instant> = OnceLock::new();

/// Notes that the process starts now (the first thing `main` does).
pub fn mark_started() {
    STARTED.get_or_init(Instant::now);
}

/// When [`mark_started`] was called.
pub fn started() -> Option<Instant> {
    STARTED.get().copied()
}

/// `--model`, else the shipped default model.
pub fn model_or_default(model: Option<PathBuf>) -> PathBuf {
    model.unwrap_or_else(|| crate::demo::shipped_model(crate::demo::DEFAULT_MODEL))
}

/// `../shared/data/asl-alphabet`, the frames replayed when none are given.
pub fn default_dataset() -> Result<PathBuf> {
    let dir = shared::paths::data_dir().map(|d| d.join("asl-alphabet"));
    match dir {
        Some(d) if d.is_dir() => Ok(d),
        _ => bail!(
            "no frames to replay: ../shared/data/asl-alphabet is not there (set SIGNSPELL_SHARED, pass --frames DIR with one folder of images per class, or --camera /dev/videoN)"
        ),
    }
}

/// A stop flag set by SIGTERM and SIGINT.
pub fn stop_flag() -> Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, stop.clone()).context("cannot install the signal handler")?;
    }
    Ok(stop)
}

/// Parses `WIDTHxHEIGHT` (`--size`).
pub fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s.split_once('x').ok_or_else(|| format!("'{s}' is not WIDTHxHEIGHT"))?;
    let p = |v: &str| v.parse::<u32>().ok().filter(|v| *v > 0).ok_or_else(|| format!("'{s}' is not WIDTHxHEIGHT"));
    Ok((p(w)?, p(h)?))
}

/// Where the .deb installs MediaPipe's models.
pub const INSTALLED_MEDIAPIPE: &str = "/usr/share/signspell/mediapipe";

/// MediaPipe's models folder when none is given: `../shared/models/mediapipe`, else
/// where the .deb installs them.
pub fn default_mediapipe() -> Option<PathBuf> {
    shared::paths::models_dir()
        .map(|d| d.join("mediapipe"))
        .filter(|d| d.is_dir())
        .or_else(|| Some(PathBuf::from(INSTALLED_MEDIAPIPE)).filter(|d| d.is_dir()))
}

/// MediaPipe's models folder: `--models`, else [`default_mediapipe`].
pub fn mediapipe_dir(models: Option<PathBuf>) -> Result<PathBuf> {
    match models.or_else(default_mediapipe) {
        Some(d) if d.join(shared::hands::PALM_MODEL).is_file() => Ok(d),
        Some(d) => bail!("{} has no {} (pass --models DIR)", d.display(), shared::hands::PALM_MODEL),
        None => bail!(
            "no MediaPipe models: neither ../shared/models/mediapipe nor {INSTALLED_MEDIAPIPE} is there (pass --models DIR or set SIGNSPELL_SHARED)"
        ),
    }
}

/// Decodes every image under `paths` (files, or folders walked in order) and hands it to
/// `each`; a file that fails is reported with its name and the others go on, and the
/// command fails at the end saying how many could not be `what` (e.g. "classified").
pub fn for_each_image(paths: &[PathBuf], what: &str, mut each: impl FnMut(&Path, image::DynamicImage) -> Result<()>) -> Result<()> {
    let mut files = Vec::new();
    for p in paths {
        collect_images(p, &mut files)?;
    }
    let mut failed = 0;
    for f in &files {
        // Decoding errors name the file themselves.
        let result = match shared::image_io::decode_file(f) {
            Ok(img) => each(f, img).with_context(|| f.display().to_string()),
            Err(e) => Err(e.into()),
        };
        if let Err(e) = result {
            failed += 1;
            eprintln!("error: {e:#}");
        }
    }
    if failed > 0 {
        bail!("{failed} of {} images could not be {what}", files.len());
    }
    Ok(())
}
