//! `host-train`: trains, evaluates and exports Signspell's models with libtorch.
//!
//! This first cut holds the libtorch runtime (device choice, CUDA backend, threads);
//! training, evaluation and export come in their own modules.

mod runtime;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Signspell's host trainer.
#[derive(Parser, Debug)]
#[command(name = "host-train", version, about)]
struct Cli {
    /// CPU threads for libtorch (default: one per core). Use fewer when another
    /// process holds a core: libtorch's threads collapse when they must share.
    #[arg(long, global = true)]
    threads: Option<usize>,
    /// Train on the CPU even when a GPU is available.
    #[arg(long, global = true)]
    cpu: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the libtorch runtime: device, CUDA backend, threads (JSON).
    Info,
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = runtime::init(cli.threads, cli.cpu);
    tracing::info!(device = ?rt.device, threads = rt.threads, cuda = %rt.cuda_backend, "libtorch ready");
    match cli.command {
        Command::Info => {
            // Prove libtorch computes on the chosen device, not only that it loaded.
            let x = tch::Tensor::from_slice(&[1f32, 2., 3.]).to_device(rt.device);
            let sum = (&x * &x).sum(tch::Kind::Float).double_value(&[]);
            let mut v = serde_json::to_value(&rt)?;
            v["check_sum_of_squares"] = serde_json::json!(sum);
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
    }
    Ok(())
}
