//! `device card`: validates a model file against its model card and prints the card.

use std::path::PathBuf;

use anyhow::{Context, Result};

/// Arguments of `device card`.
#[derive(clap::Args, Debug)]
pub struct CardArgs {
    /// The ONNX model written by `host-train export`.
    pub model: PathBuf,
}

/// Runs `device card`.
pub fn run(a: CardArgs) -> Result<()> {
    let model = a.model;
    let (card, info) = shared::ModelCard::read_onnx(&model).with_context(|| format!("cannot use model {}", model.display()))?;
    tracing::info!(model = %model.display(), classes = card.classes.len(), input = ?card.preprocess.input_shape(),
        producer = %info.producer, "model card valid");
    println!("{}", card.to_json());
    Ok(())
}
