//! `device`: the Signspell kiosk command line. It parses the arguments and hands each
//! subcommand to its file in `device::cmd`.

use anyhow::Result;
use clap::{Parser, Subcommand};
use device::cmd;

/// The Signspell kiosk.
#[derive(Parser, Debug)]
#[command(name = "device", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the kiosk: camera, model and display from a TOML config.
    Run(cmd::run::RunArgs),
    /// Spell a word from real frames (replayed from a dataset folder, or a live camera)
    /// and write the screens as PNG files.
    Demo(cmd::demo::DemoArgs),
    /// Classify images or folders of images.
    Classify(cmd::classify::ClassifyArgs),
    /// Find hands with MediaPipe's palm detector and landmark model: per image, whether
    /// a hand was found, its box, 21 points and scores.
    Hands(cmd::hands::HandsArgs),
    /// Collection mode: prompt each letter on screen and record the signer's hand
    /// region as an image-folder dataset for `host-train train --init` (adaptation).
    Collect(cmd::collect::CollectArgs),
    /// Time every stage of the kiosk loop on replayed frames.
    Bench(cmd::bench::BenchArgs),
    /// Spell common words and names from frames of people the model never saw (its
    /// leave-one-source-out outputs): the plain and the lexicon decoder side by side, at
    /// several paces.
    SpellBench(cmd::spell_bench::SpellBenchArgs),
    /// Time every node of a model's tract plan on a real input: per operator kind and
    /// the most expensive nodes.
    Profile(cmd::profile::ProfileArgs),
    /// Soak the kiosk loop: replayed held-out frames with faults injected and the model
    /// switched every minute, resident memory sampled; fails if, after warm-up, the
    /// second half's median memory sits above the first half's by more than the bound.
    Soak(cmd::soak::SoakArgs),
    /// Validate a model file against its model card and print the card (JSON).
    Card(cmd::card::CardArgs),
}

/// Counts heap allocations (`device bench` reports them a frame).
#[global_allocator]
static ALLOCATOR: device::alloc_count::Counting = device::alloc_count::Counting;

fn main() -> Result<()> {
    cmd::mark_started();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Run(a) => cmd::run::run(a),
        Command::Demo(a) => cmd::demo::run(a),
        Command::Classify(a) => cmd::classify::run(a),
        Command::Hands(a) => cmd::hands::run(a),
        Command::Collect(a) => cmd::collect::run(a),
        Command::Bench(a) => cmd::bench::run(a),
        Command::SpellBench(a) => cmd::spell_bench::run(a),
        Command::Profile(a) => cmd::profile::run(a),
        Command::Soak(a) => cmd::soak::run(a),
        Command::Card(a) => cmd::card::run(a),
    }
}
