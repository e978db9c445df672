//! `host-train info`: the libtorch runtime, proven by computing on its device.

use anyhow::Result;
use tch::{Kind, Tensor};

use crate::runtime::Runtime;

/// Prints the runtime as JSON, with a sum of squares computed on its device.
pub fn run(rt: &Runtime) -> Result<()> {
    // Prove libtorch computes on the chosen device, not only that it loaded.
    let x = Tensor::from_slice(&[1f32, 2., 3.]).to_device(rt.device);
    let sum = (&x * &x).sum(Kind::Float).double_value(&[]);
    let mut v = serde_json::to_value(rt)?;
    v["check_sum_of_squares"] = serde_json::json!(sum);
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}
