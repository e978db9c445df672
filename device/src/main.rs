//! `device`: the Signspell kiosk that runs on a Raspberry Pi or Jetson.
//!
//! The data's path on the device is: camera frame -> hand region -> inference ->
//! decoding into letters and words -> screen. This first cut holds the model-card
//! check every later stage starts from: `device card MODEL.onnx` validates a model file
//! against its card exactly as the kiosk does at start, and prints the card.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

/// The Signspell kiosk.
#[derive(Parser, Debug)]
#[command(name = "device", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate a model file against its model card and print the card (JSON).
    Card {
        /// The ONNX model written by `host-train export`.
        model: PathBuf,
    },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Card { model } => {
            let (card, info) = shared::ModelCard::read_onnx(&model)
                .with_context(|| format!("cannot use model {}", model.display()))?;
            tracing::info!(
                model = %model.display(),
                classes = card.classes.len(),
                input = ?card.preprocess.input_shape(),
                producer = %info.producer,
                "model card valid"
            );
            println!("{}", card.to_json());
        }
    }
    Ok(())
}
