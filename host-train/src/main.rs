//! `host-train`: trains, evaluates and benchmarks Signspell's models with libtorch.
//! This binary only parses the command line and dispatches: each subcommand's logic
//! lives in the library, one module per subcommand under [`host_train::cmd`].

use anyhow::Result;
use clap::{Parser, Subcommand};
use host_train::cmd::{bench, eval, export, info, landmarks, latency, split_files, summary, train};
use host_train::runtime;

/// Signspell's host trainer.
#[derive(Parser, Debug)]
#[command(name = "host-train", version, about)]
struct Cli {
    /// CPU threads for libtorch (default: one per core). Use fewer when another
    /// process holds a core: libtorch's threads collapse when they must share.
    #[arg(long, global = true)]
    threads: Option<usize>,
    /// Run on the CPU even when a GPU is available.
    #[arg(long, global = true)]
    cpu: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Train a model on a dataset; evaluates the best checkpoint on the test split.
    Train(Box<train::TrainArgs>),
    /// Evaluate a run's best checkpoint and write its reports.
    Eval(eval::EvalArgs),
    /// Export a run's best checkpoint to ONNX (float or int8) with its model card,
    /// after the tract parity gate passes.
    Export(export::ExportArgs),
    /// Measure tract inference latency of ONNX files side by side (batch 1, one
    /// thread), e.g. a float and an int8 export of the same run.
    Latency(latency::LatencyArgs),
    /// Measure training throughput (images/s) of an architecture on random inputs.
    Bench(bench::BenchArgs),
    /// List the files of one part of a run's split, relative to the dataset root (e.g.
    /// the held-out test frames shipped beside a model as `NAME.heldout.txt`).
    SplitFiles(split_files::SplitFilesArgs),
    /// Print an architecture's layers with output shapes and parameter counts, ending
    /// with `total params: N`.
    Summary(summary::SummaryArgs),
    /// Train the landmark classifier on every source of hands: measured leave one
    /// source out, then trained on all and exported (`--export FILE`).
    Landmarks(landmarks::LandmarksArgs),
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
        Command::Info => info::run(&rt),
        Command::Train(a) => train::run(*a, rt.device),
        Command::Eval(a) => eval::run(a, rt.device),
        Command::Landmarks(a) => {
            let outcome = landmarks::run(&a, rt.device)?;
            println!("{}", serde_json::to_string_pretty(&outcome.exported)?);
            Ok(())
        }
        Command::Summary(a) => summary::run(a),
        Command::Export(a) => export::run(a),
        Command::Bench(a) => bench::run(a, rt.device, rt.threads),
        Command::Latency(a) => latency::run(a),
        Command::SplitFiles(a) => split_files::run(a),
    }
}
