//! A network as a list of named layers: what every registry builder returns, so that
//! training runs it as one module and `host-train summary` can print each layer's
//! output shape and parameter count.

use tch::nn::{self, ModuleT};
use tch::{Device, Kind, Tensor};

/// One named layer: a module and the variable-name prefixes its parameters live under.
struct Layer {
    name: String,
    prefixes: Vec<String>,
    module: Box<dyn ModuleT + Send>,
}

impl std::fmt::Debug for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Layer").field("name", &self.name).field("prefixes", &self.prefixes).finish()
    }
}

/// Layers applied in order.
#[derive(Debug, Default)]
pub struct Layers {
    layers: Vec<Layer>,
}

/// One row of a layer summary.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SummaryRow {
    /// Layer name.
    pub name: String,
    /// Output shape for a batch of one.
    pub shape: Vec<i64>,
    /// Trainable parameters.
    pub params: u64,
}

impl Layers {
    /// An empty network.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a layer whose parameters live under the variable prefix `prefix`
    /// (`""` for a layer without parameters).
    pub fn push(self, name: &str, prefix: &str, module: impl ModuleT + Send + 'static) -> Self {
        let prefixes = if prefix.is_empty() { vec![] } else { vec![prefix.to_string()] };
        self.push_prefixes(name, prefixes, module)
    }

    /// Appends a layer whose parameters live under several variable prefixes.
    pub fn push_prefixes(mut self, name: &str, prefixes: Vec<String>, module: impl ModuleT + Send + 'static) -> Self {
        self.layers.push(Layer { name: name.into(), prefixes, module: Box::new(module) });
        self
    }

    /// Appends a parameter-free function of the input.
    pub fn push_fn(self, name: &str, f: impl Fn(&Tensor) -> Tensor + Send + 'static) -> Self {
        self.push(name, "", nn::func_t(move |x, _| f(x)))
    }

    /// Appends a parameter-free function of the input and the training flag.
    pub fn push_fn_t(self, name: &str, f: impl Fn(&Tensor, bool) -> Tensor + Send + 'static) -> Self {
        self.push(name, "", nn::func_t(f))
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there are no layers.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Each layer's output shape for one input of `[channels, size, size]` (evaluation
    /// mode, no gradients) and its trainable parameters in `vs`.
    pub fn summary(&self, vs: &nn::VarStore, channels: i64, size: i64) -> Vec<SummaryRow> {
        let vars = vs.variables();
        let trainable: Vec<(String, u64)> =
            vars.iter().filter(|(_, t)| t.requires_grad()).map(|(name, t)| (name.clone(), t.numel() as u64)).collect();
        let _guard = tch::no_grad_guard();
        let mut x = Tensor::zeros([1, channels, size, size], (Kind::Float, Device::Cpu)).to_device(vs.device());
        let mut rows = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            x = layer.module.forward_t(&x, false);
            let params = trainable
                .iter()
                .filter(|(name, _)| {
                    layer
                        .prefixes
                        .iter()
                        .any(|p| name == p || name.strip_prefix(p.as_str()).is_some_and(|r| r.starts_with('.')))
                })
                .map(|(_, n)| n)
                .sum();
            rows.push(SummaryRow { name: layer.name.clone(), shape: x.size(), params });
        }
        rows
    }
}

impl ModuleT for Layers {
    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let mut layers = self.layers.iter();
        let Some(first) = layers.next() else {
            return x.shallow_clone();
        };
        layers.fold(first.module.forward_t(x, train), |y, l| l.module.forward_t(&y, train))
    }
}

/// The summary as a table ending with `total params: N`.
pub fn summary_table(rows: &[SummaryRow], total: u64) -> String {
    use std::fmt::Write;
    let shape = |s: &[i64]| format!("[{}]", s.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "));
    let name_w = rows.iter().map(|r| r.name.len()).max().unwrap_or(0).max("Layer".len());
    let shape_w = rows.iter().map(|r| shape(&r.shape).len()).max().unwrap_or(0).max("Output Shape".len());
    let mut out = String::new();
    let _ = writeln!(out, "{:<name_w$}  {:<shape_w$}  {:>12}", "Layer", "Output Shape", "Param #");
    let _ = writeln!(out, "{}", "-".repeat(name_w + shape_w + 16));
    for r in rows {
        let _ = writeln!(out, "{:<name_w$}  {:<shape_w$}  {:>12}", r.name, shape(&r.shape), group_digits(r.params));
    }
    let _ = writeln!(out, "{}", "-".repeat(name_w + shape_w + 16));
    let _ = writeln!(out, "total params: {total}");
    out
}

/// `1234567` as `1,234,567`.
fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
