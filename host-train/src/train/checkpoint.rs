//! Checkpoints: model weights (and optimizer state) as safetensors, written atomically.

use std::path::Path;

use anyhow::{bail, Context, Result};
use tch::{nn, Tensor};

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
