//! Transfer learning: loads the ImageNet MobileNetV2 of a TFLite file (uint8 weights,
//! batch norm folded into the convolutions) into our MobileNetV2.
//!
//! Each TFLite convolution becomes our convolution (dequantized, OHWI -> OIHW) and its
//! batch norm an identity with the folded bias as shift (scale 1, mean 0, variance
//! 1 - eps), so that with frozen batch norm the network computes what the TFLite one
//! does. The TFLite logits (1001 classes) load into the classifier only when the class
//! count matches; otherwise the classifier stays freshly initialized.
//!
//! One known difference: TensorFlow pads stride-2 convolutions "SAME" (one pixel at the
//! bottom and right), torchvision one pixel on every side, so feature maps after each
//! stride-2 layer are shifted by up to a pixel; fine-tuning absorbs it.

use std::path::Path;

use anyhow::{bail, ensure, Context, Result};
use tch::{nn, Tensor};

use super::mobilenetv2::conv_layers;
use super::tflite::{self, op};
use super::{ModelSpec, BN_EPS};

/// What [`load_mobilenetv2`] loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// Convolutions loaded (52 for MobileNetV2).
    pub convs: usize,
    /// Whether the classifier came from the file too (same class count).
    pub classifier: bool,
}

/// Loads the TFLite MobileNetV2 at `path` into `vs`, built for `spec`.
pub fn load_mobilenetv2(vs: &nn::VarStore, spec: &ModelSpec, path: &Path) -> Result<Loaded> {
    if !spec.arch.starts_with("mobilenetv2") {
        bail!("pretrained weights from {} fit MobileNetV2, not '{}'", path.display(), spec.arch);
    }
    let model = tflite::Model::load(path)?;
    let convs: Vec<_> = model.operators.iter().filter(|o| matches!(o.code, op::CONV_2D | op::DEPTHWISE_CONV_2D)).collect();
    let layers = conv_layers();
    // The TFLite graph ends with the 1x1 logits convolution after the pooling.
    ensure!(
        convs.len() == layers.len() + 1,
        "{}: {} convolutions, a MobileNetV2 has {} plus the logits",
        path.display(),
        convs.len(),
        layers.len()
    );
    let vars = vs.variables();
    let var = |name: &str| vars.get(name).with_context(|| format!("our model has no variable '{name}'"));
    tch::no_grad(|| -> Result<Loaded> {
        for ((conv, bn), o) in layers.iter().zip(&convs) {
            let (w, b) = (model.input(o, 1)?, model.input(o, 2)?);
            let w = to_tensor(w)?;
            // OHWI -> OIHW; depthwise 1HWC -> C1HW.
            let w = if o.code == op::DEPTHWISE_CONV_2D { w.permute([3, 0, 1, 2]) } else { w.permute([0, 3, 1, 2]) };
            copy(var(&format!("{conv}.weight"))?, &w, conv, path, spec)?;
            let b = to_tensor(b)?;
            let ones = b.ones_like();
            copy(var(&format!("{bn}.weight"))?, &ones, bn, path, spec)?;
            copy(var(&format!("{bn}.bias"))?, &b, bn, path, spec)?;
            copy(var(&format!("{bn}.running_mean"))?, &b.zeros_like(), bn, path, spec)?;
            copy(var(&format!("{bn}.running_var"))?, &(ones * (1.0 - BN_EPS)), bn, path, spec)?;
        }
        let logits = convs[layers.len()];
        let (w, b) = (to_tensor(model.input(logits, 1)?)?, to_tensor(model.input(logits, 2)?)?);
        let classifier = w.size()[0] == spec.outputs();
        if classifier {
            let w = w.reshape([w.size()[0], -1]);
            copy(var("classifier.1.weight")?, &w, "classifier.1", path, spec)?;
            copy(var("classifier.1.bias")?, &b, "classifier.1", path, spec)?;
        }
        Ok(Loaded { convs: layers.len(), classifier })
    })
}

fn to_tensor(t: &tflite::Tensor) -> Result<Tensor> {
    ensure!(!t.data.is_empty(), "TFLite tensor '{}' holds no constant data", t.name);
    let shape: Vec<i64> = t.shape.iter().map(|&d| d as i64).collect();
    Ok(Tensor::from_slice(&t.data).reshape(&shape))
}

fn copy(dst: &Tensor, src: &Tensor, layer: &str, path: &Path, spec: &ModelSpec) -> Result<()> {
    if dst.size() != src.size() {
        bail!(
            "{}: layer {layer} is {:?} in the file but {:?} in our model (ImageNet MobileNetV2 weights fit width 1.0 on RGB input; \
             this model is width {} with {} input channels)",
            path.display(),
            src.size(),
            dst.size(),
            spec.width,
            spec.in_channels
        );
    }
    let mut dst = dst.shallow_clone();
    dst.copy_(&src.to_device(dst.device()));
    Ok(())
}
