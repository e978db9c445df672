//! Checkpoints: model weights (and optimizer state) as safetensors, written atomically;
//! a run's last checkpoint carries its progress, from which it resumes ([`RunFiles`]).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use tch::{nn, Tensor};

use super::optim::Optimizer;
use super::state::RunState;

/// Writes the variables of `vs` (as `model.<name>`) and `extra` tensors to `path`:
/// into a temporary file beside it, then renamed, so a kill never leaves a
/// half-written checkpoint under the real name.
pub fn save(path: &Path, vs: &nn::VarStore, extra: &[(String, Tensor)]) -> Result<()> {
    let mut named: Vec<(String, Tensor)> =
        vs.variables().into_iter().map(|(k, v)| (format!("model.{k}"), v.to_device(tch::Device::Cpu))).collect();
    named.extend(extra.iter().map(|(k, v)| (k.clone(), v.to_device(tch::Device::Cpu))));
    named.sort_by(|a, b| a.0.cmp(&b.0));
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = path.file_name().context("checkpoint path has no file name")?.to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    Tensor::write_safetensors(&named, &tmp).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::File::open(&tmp).and_then(|f| f.sync_all()).with_context(|| format!("syncing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    Ok(())
}

/// Loads `model.*` tensors from `path` into the variables of `vs` and returns the other
/// tensors (optimizer state). Every variable must be present with its shape.
pub fn load(path: &Path, vs: &nn::VarStore) -> Result<Vec<(String, Tensor)>> {
    let tensors = Tensor::read_safetensors(path).with_context(|| format!("{}: not a readable checkpoint", path.display()))?;
    let mut vars = vs.variables();
    let mut rest = Vec::new();
    let mut loaded = 0;
    tch::no_grad(|| -> Result<()> {
        for (name, t) in tensors {
            match name.strip_prefix("model.").and_then(|n| vars.get_mut(n)) {
                Some(var) => {
                    if var.size() != t.size() {
                        bail!("{}: {name} has shape {:?}, the model needs {:?}", path.display(), t.size(), var.size());
                    }
                    var.copy_(&t.to_device(var.device()));
                    loaded += 1;
                }
                None if name.starts_with("model.") => bail!("{}: {name} is not a variable of this model", path.display()),
                None => rest.push((name, t)),
            }
        }
        Ok(())
    })?;
    if loaded != vars.len() {
        bail!("{}: holds {loaded} of the model's {} variables", path.display(), vars.len());
    }
    Ok(rest)
}

/// The tensor of the last checkpoint that holds the run state (UTF-8 JSON bytes).
pub(crate) const RUN_STATE: &str = "run.state";

/// A run directory's checkpoint files.
pub(crate) struct RunFiles {
    /// `checkpoints/last.safetensors`: weights, optimizer state and [`RUN_STATE`].
    pub last: PathBuf,
    /// `checkpoints/best.safetensors`: the best epoch's weights.
    pub best: PathBuf,
    /// `checkpoints/state.json`: the run state, to read.
    pub state: PathBuf,
}

impl RunFiles {
    /// The checkpoint files of `run_dir`.
    pub fn new(run_dir: &Path) -> Self {
        let dir = run_dir.join("checkpoints");
        Self { last: dir.join("last.safetensors"), best: dir.join("best.safetensors"), state: dir.join("state.json") }
    }

    /// Loads the last checkpoint into `vs` and `opt` and returns its run state. The run
    /// state travels inside the checkpoint, so weights, optimizer and progress always
    /// come from one atomic write; state.json is its readable copy.
    pub fn resume(&self, vs: &nn::VarStore, opt: &mut Optimizer) -> Result<RunState> {
        let rest = load(&self.last, vs)?;
        opt.load_state(&rest);
        let text = match rest.iter().find(|(k, _)| k == RUN_STATE) {
            Some((_, t)) => String::from_utf8(Vec::<u8>::try_from(t)?)
                .with_context(|| format!("{}: run state is not UTF-8", self.last.display()))?,
            None => std::fs::read_to_string(&self.state).with_context(|| format!("reading {}", self.state.display()))?,
        };
        let state: RunState =
            serde_json::from_str(&text).with_context(|| format!("{}: not a valid run state", self.last.display()))?;
        tracing::info!(epoch = state.epoch, "resumed from {}", self.last.display());
        Ok(state)
    }

    /// Writes the last checkpoint (weights, optimizer state, run state) and state.json.
    pub fn save_last(&self, vs: &nn::VarStore, opt: &Optimizer, state: &RunState) -> Result<()> {
        let json = serde_json::to_string_pretty(state)?;
        let mut extra = opt.state_tensors();
        extra.push((RUN_STATE.to_string(), Tensor::from_slice(json.as_bytes())));
        save(&self.last, vs, &extra)?;
        shared::atomic::write(&self.state, json.as_bytes()).with_context(|| format!("writing {}", self.state.display()))
    }
}
