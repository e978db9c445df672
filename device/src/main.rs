//! `device`: the Signspell kiosk command line (run, demo, classify, bench, card).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use device::config::{DisplayKind, KioskConfig, RecoveryConfig};
use device::decode::{Decoder, DecoderConfig};
use device::display::png::PngPanel;
use device::display::spi::SpiPanel;
use device::display::{CountingPanel, NullPanel, Panel};
use device::engine::{self, Engine};
use device::kiosk::Kiosk;
use device::model_switch::ModelSwitcher;
use device::region::{GuideBox, HandsConfig, Region};
use device::source::camera::{Camera, CameraConfig};
use device::source::replay::{Replay, collect_images};
use device::source::FrameSource;
use device::collect::{CollectConfig, Collector};
use device::{bench, demo};
use shared::hands::{HandTracker, TrackerConfig};

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
    Run {
        /// The kiosk config (see device/kiosk.toml).
        #[arg(long)]
        config: PathBuf,
    },
    /// Spell a word from real frames (replayed from a dataset folder, or a live camera)
    /// and write the screens as PNG files.
    Demo(DemoArgs),
    /// Classify images or folders of images.
    Classify {
        /// The ONNX model (default: the shipped ASL landmark classifier, models/asl-landmarks.onnx).
        #[arg(long)]
        model: Option<PathBuf>,
        /// One JSON line per image.
        #[arg(long)]
        json: bool,
        /// How many classes to list.
        #[arg(long, default_value_t = 3)]
        top: usize,
        /// Average each image's and its mirror's probabilities.
        #[arg(long)]
        mirrored: bool,
        /// For landmark models (features or masks): MediaPipe's models folder (default:
        /// ../shared/models/mediapipe, else /usr/share/signspell/mediapipe).
        #[arg(long)]
        hands: Option<PathBuf>,
        /// Image files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Find hands with MediaPipe's palm detector and landmark model: per image, whether
    /// a hand was found, its box, 21 points and scores.
    Hands {
        /// Folder with palm_detection_lite.onnx and hand_landmark_lite.onnx (default:
        /// ../shared/models/mediapipe).
        #[arg(long)]
        models: Option<PathBuf>,
        /// One JSON line per image: {"path","found","box","points","score","handedness"}.
        #[arg(long)]
        json: bool,
        /// Image files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Collection mode: prompt each letter on screen and record the signer's hand
    /// region as an image-folder dataset for `host-train train --init` (adaptation).
    Collect(CollectArgs),
    /// Time every stage of the kiosk loop on replayed frames.
    Bench(BenchArgs),
    /// Spell common words and names from frames of people the model never saw (its
    /// leave-one-source-out outputs): the plain and the lexicon decoder side by side, at
    /// several paces.
    SpellBench(device::spell_bench::SpellBenchArgs),
    /// Time every node of a model's tract plan on a real input: per operator kind and
    /// the most expensive nodes.
    Profile(ProfileArgs),
    /// Soak the kiosk loop: replayed held-out frames with faults injected and the model
    /// switched every minute, resident memory sampled; fails if, after warm-up, the
    /// second half's median memory sits above the first half's by more than the bound.
    Soak(SoakArgs),
    /// Validate a model file against its model card and print the card (JSON).
    Card {
        /// The ONNX model written by `host-train export`.
        model: PathBuf,
    },
}

#[derive(clap::Args, Debug)]
struct DemoArgs {
    /// Spell letters only: no word proposals from the lexicon.
    #[arg(long)]
    letters_only: bool,
    /// The word to spell.
    #[arg(long, default_value = "HELLO")]
    word: String,
    /// Dataset folder with one subfolder per class (default: ../shared/data/asl-alphabet).
    #[arg(long)]
    frames: Option<PathBuf>,
    /// Run live from this camera instead of replaying (e.g. /dev/video0).
    #[arg(long)]
    camera: Option<PathBuf>,
    /// The ONNX model (default: the shipped ASL landmark classifier, models/asl-landmarks.onnx).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Where the screens go.
    #[arg(long, default_value = "runs/demo-screens")]
    out: PathBuf,
    /// Screen size.
    #[arg(long, default_value = "240x240", value_parser = parse_size)]
    size: (u32, u32),
    /// Replay frame rate.
    #[arg(long, default_value_t = 10.0)]
    fps: f64,
    /// Frames of each letter.
    #[arg(long, default_value_t = 15)]
    per_letter: usize,
    /// Frames of `nothing` between letters.
    #[arg(long, default_value_t = 6)]
    gap: usize,
    /// Replay at the frame rate instead of as fast as possible.
    #[arg(long)]
    paced: bool,
    /// Use any frames of each class, not only the model's held-out ones.
    #[arg(long)]
    any_frames: bool,
}

#[derive(clap::Args, Debug)]
struct CollectArgs {
    /// Who signs (letters, digits, '-', '_'): names the files and the manifest.
    #[arg(long)]
    signer: String,
    /// The dataset folder (earlier samples in it are kept).
    #[arg(long, default_value = "collected")]
    out: PathBuf,
    /// Letters to prompt, e.g. "ABC" (default: every letter of the model).
    #[arg(long)]
    letters: Option<String>,
    /// Samples per letter.
    #[arg(long, default_value_t = 30)]
    per_letter: usize,
    /// Keep every N-th frame.
    #[arg(long, default_value_t = 3)]
    every: usize,
    /// Frames skipped after each prompt while the person changes sign.
    #[arg(long, default_value_t = 20)]
    settle: usize,
    /// The kiosk config: its camera, region, display and model (the device's way).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Without --config: the model whose classes are prompted (default: the shipped
    /// ASL model).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Without --config: replay a dataset folder, each letter's frames in turn, instead
    /// of a camera (a rehearsal and the test's way).
    #[arg(long)]
    frames: Option<PathBuf>,
    /// Without --config: the camera (default /dev/video0).
    #[arg(long)]
    camera: Option<PathBuf>,
    /// Without --config: write the screens as PNG files here.
    #[arg(long)]
    screens: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct BenchArgs {
    /// The ONNX model (default: the shipped ASL landmark classifier, models/asl-landmarks.onnx).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Frames to time (after 20 warm-up frames).
    #[arg(long, default_value_t = 300)]
    frames: u64,
    /// tract threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Image files or folders to replay (default: ../shared/data/asl-alphabet).
    #[arg(long)]
    source: Vec<PathBuf>,
    /// Mirrored inference (two passes a frame).
    #[arg(long)]
    mirrored: bool,
    /// How tract's plans are built: tract, channel-last, channel-last-depthwise or
    /// tract-depthwise (default: what the kiosk runs, each model's measured best).
    #[arg(long)]
    plan: Option<shared::tract_model::PlanForm>,
    /// Screen size drawn.
    #[arg(long, default_value = "240x240", value_parser = parse_size)]
    size: (u32, u32),
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Write the model inputs of the first 32 timed frames here, as little-endian f32
    /// one tensor after another (for timing another engine on the same inputs).
    #[arg(long)]
    save_inputs: Option<PathBuf>,
    /// Follow the hand with MediaPipe's models from this folder (e.g.
    /// ../shared/models/mediapipe) instead of the fixed guide box; the table then
    /// shows the palm and landmark models' own times.
    #[arg(long)]
    hands: Option<PathBuf>,
    /// With --hands: run the palm detector every N frames.
    #[arg(long, default_value_t = 10)]
    detect_every: usize,
}

#[derive(clap::Args, Debug)]
struct ProfileArgs {
    /// The ONNX model (default: the shipped ASL landmark classifier, models/asl-landmarks.onnx).
    #[arg(long)]
    model: Option<PathBuf>,
    /// The picture whose input is profiled (default: the first held-out picture of the
    /// ASL alphabet dataset).
    #[arg(long)]
    image: Option<PathBuf>,
    /// Timed runs.
    #[arg(long, default_value_t = 100)]
    runs: usize,
    /// tract threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// How tract's plans are built: tract, channel-last, channel-last-depthwise or
    /// tract-depthwise (default: what the kiosk runs, each model's measured best).
    #[arg(long)]
    plan: Option<shared::tract_model::PlanForm>,
    /// Profile one of MediaPipe's hand models instead (`palm` or `landmarks`, from
    /// ../shared/models/mediapipe or where the .deb installs them).
    #[arg(long, value_parser = ["palm", "landmarks"])]
    hands: Option<String>,
    /// Nodes listed in the table.
    #[arg(long, default_value_t = 15)]
    top: usize,
    /// Print JSON (every node) instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
struct SoakArgs {
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 1200)]
    seconds: u64,
    /// Models the mode button steps through (default: the shipped ASL alphabet model,
    /// int8 and float).
    #[arg(long)]
    model: Vec<PathBuf>,
    /// The asl-alphabet dataset folder (default: ../shared/data/asl-alphabet).
    #[arg(long)]
    frames: Option<PathBuf>,
    /// The word spelled over and over.
    #[arg(long, default_value = "SIGNSPELL")]
    word: String,
    /// Seconds between memory samples.
    #[arg(long, default_value_t = 10)]
    sample_every: u64,
    /// Seconds of warm-up before memory is held to the bound.
    #[arg(long, default_value_t = 300)]
    warm_up: u64,
    /// Seconds between model switches.
    #[arg(long, default_value_t = 60)]
    switch_every: u64,
    /// Largest rise of the second half's median memory over the first half's (after
    /// warm-up), MiB.
    #[arg(long, default_value_t = 8.0)]
    max_growth_mib: f64,
    /// Write the report (every sample) as JSON here.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s.split_once('x').ok_or_else(|| format!("'{s}' is not WIDTHxHEIGHT"))?;
    let p = |v: &str| v.parse::<u32>().ok().filter(|v| *v > 0).ok_or_else(|| format!("'{s}' is not WIDTHxHEIGHT"));
    Ok((p(w)?, p(h)?))
}

#[global_allocator]
static ALLOCATOR: device::alloc_count::Counting = device::alloc_count::Counting;

/// When `main` began (startup time in `device bench`).
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

fn main() -> Result<()> {
    STARTED.get_or_init(std::time::Instant::now);
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Run { config } => run(&config),
        Command::Demo(a) => demo_cmd(a),
        Command::Classify { model, json, top, mirrored, hands, paths } => {
            classify(&model_or_default(model), json, top, mirrored, hands, &paths)
        }
        Command::Hands { models, json, paths } => hands(models, json, &paths),
        Command::Collect(a) => collect_cmd(a),
        Command::Bench(a) => bench_cmd(a),
        Command::SpellBench(a) => device::spell_bench::cli(&a),
        Command::Profile(a) => profile_cmd(a),
        Command::Soak(a) => soak_cmd(a),
        Command::Card { model } => {
            let (card, info) = shared::ModelCard::read_onnx(&model).with_context(|| format!("cannot use model {}", model.display()))?;
            tracing::info!(model = %model.display(), classes = card.classes.len(), input = ?card.preprocess.input_shape(),
                producer = %info.producer, "model card valid");
            println!("{}", card.to_json());
            Ok(())
        }
    }
}

fn model_or_default(model: Option<PathBuf>) -> PathBuf {
    model.unwrap_or_else(|| demo::shipped_model(demo::DEFAULT_MODEL))
}

fn default_dataset() -> Result<PathBuf> {
    let dir = shared::paths::data_dir().map(|d| d.join("asl-alphabet"));
    match dir {
        Some(d) if d.is_dir() => Ok(d),
        _ => bail!(
            "no frames to replay: ../shared/data/asl-alphabet is not there (set SIGNSPELL_SHARED, pass --frames DIR with one folder of images per class, or --camera /dev/videoN)"
        ),
    }
}

/// A stop flag set by SIGTERM and SIGINT.
fn stop_flag() -> Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, stop.clone()).context("cannot install the signal handler")?;
    }
    Ok(stop)
}

fn run(config: &Path) -> Result<()> {
    let cfg = KioskConfig::load(config)?;
    engine::set_threads(cfg.engine.threads);
    let engine = Engine::load(&cfg.model)?;
    tracing::info!(model = %cfg.model.display(), name = %engine.card().name, threads = cfg.engine.threads, "model loaded");
    let decoder = Decoder::new(cfg.decoder.clone(), engine.card().classes.clone());
    // Word lists that cannot be read stop the start, as a bad model does.
    let words = match &cfg.decoder.lexicon {
        Some(dir) => device::decode::WordDecoder::for_model(dir, &cfg.model, &engine.card().classes)
            .with_context(|| format!("[decoder] lexicon in {}", config.display()))?,
        None => None,
    };
    let panel: Box<dyn Panel> = match cfg.display.kind {
        DisplayKind::Spi => Box::new(SpiPanel::open(&cfg.display.spi).with_context(|| format!("display in {}", config.display()))?),
        DisplayKind::Png => Box::new(PngPanel::new(&cfg.display.png_dir, cfg.display.size[0], cfg.display.size[1])?),
        DisplayKind::None => Box::new(NullPanel { size: (cfg.display.size[0], cfg.display.size[1]) }),
    };
    let mut camera = Camera::closed(cfg.camera.clone());
    match camera.reopen() {
        Ok(()) => tracing::info!(source = %camera.describe(), "camera open"),
        Err(e @ device::source::SourceError::Unusable { .. }) => return Err(e).with_context(|| format!("camera in {}", config.display())),
        Err(e) => tracing::warn!("{e}; the kiosk will retry"),
    }
    let region = Region::for_model(&cfg.region, engine.wants_landmarks(), default_mediapipe())
        .with_context(|| format!("[region] in {}", config.display()))?;
    let speaker = device::speech::from_config(&cfg.speech, &engine.card().classes);
    let mut kiosk = Kiosk::new(camera, region, engine, decoder, panel, cfg.recovery.clone());
    kiosk.stop = stop_flag()?;
    kiosk.speaker = speaker;
    kiosk.controls = cfg.controls.open().with_context(|| format!("[controls] in {}", config.display()))?;
    kiosk.models = (cfg.engine.watch_ms > 0 || !cfg.models.is_empty()).then(|| ModelSwitcher::from_config(&cfg, config));
    kiosk.speller = device::decode::Speller::new(words, cfg.decoder.propose_at);
    let summary = kiosk.run()?;
    tracing::info!(ended = ?summary.ended, frames = summary.frames, text = %summary.text, "kiosk stopped");
    Ok(())
}

fn soak_cmd(a: SoakArgs) -> Result<()> {
    let models = if a.model.is_empty() {
        vec![demo::shipped_model("asl-alphabet-int8.onnx"), model_or_default(None)]
    } else {
        a.model.clone()
    };
    let cfg = device::soak::SoakConfig {
        models,
        frames: match a.frames {
            Some(f) => f,
            None => default_dataset()?,
        },
        word: a.word.clone(),
        duration: std::time::Duration::from_secs(a.seconds),
        sample_every: std::time::Duration::from_secs(a.sample_every.max(1)),
        warm_up: std::time::Duration::from_secs(a.warm_up),
        switch_every: std::time::Duration::from_secs(a.switch_every.max(1)),
    };
    let r = device::soak::soak(&cfg)?;
    if let Some(out) = &a.out {
        device::soak::write_report(&r, out)?;
    }
    print!("{}", device::soak::table(&r, (a.seconds as f64 / 10.0).max(a.sample_every as f64)));
    let mib = |k: u64| k as f64 / 1024.0;
    println!(
        "{:.0} s: {} frames ({:.1} fps), {} dropped, {} camera losses, {} model switches, {} edits; \
         RSS after the {} s warm-up, first half / second half: median {:.1} / {:.1} MiB, floor {:.1} / {:.1} MiB, \
         peak {:.1} / {:.1} MiB, end {:.1} MiB; growth of the median {:.2} MiB (bound {:.1} MiB), trend {:+.1} MiB/hour",
        r.seconds,
        r.frames,
        r.frames as f64 / r.seconds,
        r.dropped,
        r.lost,
        r.switches,
        r.edits,
        a.warm_up,
        mib(r.first_half_median_kib),
        mib(r.second_half_median_kib),
        mib(r.floors_kib[0]),
        mib(r.floors_kib[1]),
        mib(r.peaks_kib[0]),
        mib(r.peaks_kib[1]),
        mib(r.end_rss_kib),
        r.growth_kib as f64 / 1024.0,
        a.max_growth_mib,
        r.slope_mib_per_hour
    );
    if r.growth_kib as f64 / 1024.0 > a.max_growth_mib {
        bail!(
            "resident memory sat {:.2} MiB higher in the second half than in the first (medians), more than {:.1} MiB",
            r.growth_kib as f64 / 1024.0,
            a.max_growth_mib
        );
    }
    Ok(())
}

fn demo_cmd(a: DemoArgs) -> Result<()> {
    let model = model_or_default(a.model);
    let engine = Engine::load(&model)?;
    let classes = engine.card().classes.clone();
    let lexicon = if a.letters_only { None } else { device::decode::lexicon::default_dir() };
    let decoder = Decoder::new(DecoderConfig { lexicon, ..DecoderConfig::default() }, classes.clone());
    let panel = PngPanel::new(&a.out, a.size.0, a.size.1)?;
    let source: Box<dyn FrameSource> = if let Some(dev) = &a.camera {
        Box::new(Camera::open(CameraConfig { device: dev.clone(), ..CameraConfig::default() })?)
    } else {
        let root = match a.frames {
            Some(f) => f,
            None => default_dataset()?,
        };
        let heldout = if a.any_frames { None } else { demo::heldout_list(&model)? };
        let files = demo::word_frames(&root, &classes, &a.word, a.per_letter, a.gap, heldout.as_ref())?;
        tracing::info!(word = %a.word, frames = files.len(), root = %root.display(), held_out_only = heldout.is_some(), "replaying");
        Box::new(Replay::new(files, a.fps)?.paced(a.paced))
    };
    let region = Region::for_model(&GuideBox::default(), engine.wants_landmarks(), default_mediapipe())?;
    let mut kiosk = Kiosk::new(source, region, engine, decoder, panel, RecoveryConfig::default());
    kiosk.stop = stop_flag()?;
    kiosk.use_lexicon(&model);
    let summary = kiosk.run()?;
    if let Some(p) = kiosk.speller.proposal().filter(|p| p.worth_showing(kiosk.decoder.config().propose_at)) {
        println!("proposed: {} ({:.0}%)", p.word, 100.0 * p.posterior);
    }
    println!("spelled: {}", summary.text);
    eprintln!("{} frames, {} screens in {}", summary.frames, summary.frames, a.out.display());
    Ok(())
}

fn collect_cmd(a: CollectArgs) -> Result<()> {
    let cfg = a.config.as_deref().map(KioskConfig::load).transpose()?;
    let model = match &cfg {
        Some(c) => c.model.clone(),
        None => model_or_default(a.model.clone()),
    };
    let engine = Engine::load(&model)?;
    let letters: Vec<String> = a.letters.as_deref().unwrap_or("").chars().map(|c| c.to_string()).collect();
    let collect = CollectConfig {
        out: a.out.clone(),
        signer: a.signer.clone(),
        letters: letters.clone(),
        per_letter: a.per_letter,
        every: a.every,
        settle: a.settle,
    };
    let (source, region_cfg, panel): (Box<dyn FrameSource>, GuideBox, Box<dyn Panel>) = match (&cfg, &a.frames) {
        (Some(c), _) => {
            let mut camera = Camera::closed(c.camera.clone());
            camera.reopen().with_context(|| format!("camera in {}", a.config.as_ref().unwrap().display()))?;
            let panel: Box<dyn Panel> = match c.display.kind {
                DisplayKind::Spi => Box::new(SpiPanel::open(&c.display.spi)?),
                DisplayKind::Png => Box::new(PngPanel::new(&c.display.png_dir, c.display.size[0], c.display.size[1])?),
                DisplayKind::None => Box::new(NullPanel { size: (c.display.size[0], c.display.size[1]) }),
            };
            (Box::new(camera), c.region.clone(), panel)
        }
        (None, frames) => {
            let source: Box<dyn FrameSource> = match frames {
                Some(root) => {
                    // Each prompted letter's frames, exactly as many as it takes.
                    let word: String = if letters.is_empty() {
                        bail!("--frames needs --letters (the replay shows those signs in turn)");
                    } else {
                        letters.concat()
                    };
                    let n = a.settle + a.per_letter * a.every;
                    let files = demo::word_frames(root, &engine.card().classes, &word, n, 0, None)?;
                    Box::new(Replay::new(files, 30.0)?)
                }
                None => Box::new(Camera::open(CameraConfig {
                    device: a.camera.clone().unwrap_or_else(|| "/dev/video0".into()),
                    ..CameraConfig::default()
                })?),
            };
            let panel: Box<dyn Panel> = match &a.screens {
                Some(dir) => Box::new(PngPanel::new(dir, 240, 240)?),
                None => Box::new(NullPanel { size: (240, 240) }),
            };
            (source, GuideBox::default(), panel)
        }
    };
    let collector = Collector::new(collect, engine.card(), source.describe())?;
    let region = Region::for_model(&region_cfg, engine.wants_landmarks(), default_mediapipe())?;
    let decoder = Decoder::new(DecoderConfig::default(), engine.card().classes.clone());
    let mut kiosk = Kiosk::new(source, region, engine, decoder, panel, RecoveryConfig::default());
    kiosk.collector = Some(collector);
    kiosk.stop = stop_flag()?;
    let summary = kiosk.run()?;
    let c = kiosk.collector.as_ref().expect("set above");
    println!("{}", c.prompt());
    if !c.finished() {
        bail!("collection ended early ({:?}): {}", summary.ended, c.prompt());
    }
    Ok(())
}

/// Decodes every image under `paths` (files, or folders walked in order) and hands it to
/// `each`; a file that fails is reported with its name and the others go on, and the
/// command fails at the end saying how many could not be `what` (e.g. "classified").
fn for_each_image(paths: &[PathBuf], what: &str, mut each: impl FnMut(&Path, image::DynamicImage) -> Result<()>) -> Result<()> {
    let mut files = Vec::new();
    for p in paths {
        collect_images(p, &mut files)?;
    }
    let mut failed = 0;
    for f in &files {
        // Decoding errors name the file themselves.
        let result = match shared::image_io::decode_file(f) {
            Ok(img) => each(f, img).with_context(|| f.display().to_string()),
            Err(e) => Err(e.into()),
        };
        if let Err(e) = result {
            failed += 1;
            eprintln!("error: {e:#}");
        }
    }
    if failed > 0 {
        bail!("{failed} of {} images could not be {what}", files.len());
    }
    Ok(())
}

fn classify(model: &Path, json: bool, top: usize, mirrored: bool, hands: Option<PathBuf>, paths: &[PathBuf]) -> Result<()> {
    let mut engine = Engine::load(model)?;
    // Landmark models read the hand's landmarks: find them first.
    let mut tracker = match engine.wants_landmarks() {
        true => Some(HandTracker::load(&mediapipe_dir(hands)?, TrackerConfig::default())?),
        false => None,
    };
    // Pictures in class folders (`A/`, or `a/`) are scored against the folder's class.
    let (mut scored, mut right) = (0usize, 0usize);
    for_each_image(paths, "classified", |f, img| {
        let p = match &mut tracker {
            None => engine.classify_image(&img, mirrored)?,
            Some(t) => {
                let hand = t.find(&img.to_rgb8())?;
                engine.preprocess_landmarks(hand.as_ref().map(|h| &h.landmarks.points))?;
                engine.infer(mirrored)?
            }
        };
        let classes = &engine.card().classes;
        let label = |i: usize| classes.get(i).map_or("?", |c| c.label.as_str()).to_string();
        let truth = demo::folder_class(classes, f);
        if let Some(t) = truth {
            scored += 1;
            right += usize::from(t == p.top);
        }
        if json {
            let top: Vec<(String, f32)> = p.top_k(top).into_iter().map(|(i, q)| (label(i), q)).collect();
            println!(
                "{}",
                serde_json::json!({"path": f.display().to_string(), "label": label(p.top), "index": p.top, "confidence": p.confidence, "top": top, "truth": truth.map(label)})
            );
        } else {
            let rest: Vec<String> = p.top_k(top).iter().skip(1).map(|(i, q)| format!("{} {:.3}", label(*i), q)).collect();
            println!("{}\t{} {:.3}\t({})", f.display(), label(p.top), p.confidence, rest.join(", "));
        }
        Ok(())
    })?;
    if scored > 0 {
        eprintln!("{right} of {scored} pictures in class folders read right ({:.2}%)", 100.0 * right as f64 / scored as f64);
    }
    Ok(())
}

/// Where the .deb installs MediaPipe's models.
const INSTALLED_MEDIAPIPE: &str = "/usr/share/signspell/mediapipe";

/// MediaPipe's models folder when none is given: `../shared/models/mediapipe`, else
/// where the .deb installs them.
fn default_mediapipe() -> Option<PathBuf> {
    shared::paths::models_dir()
        .map(|d| d.join("mediapipe"))
        .filter(|d| d.is_dir())
        .or_else(|| Some(PathBuf::from(INSTALLED_MEDIAPIPE)).filter(|d| d.is_dir()))
}

/// MediaPipe's models folder: `--models`, else [`default_mediapipe`].
fn mediapipe_dir(models: Option<PathBuf>) -> Result<PathBuf> {
    match models.or_else(default_mediapipe) {
        Some(d) if d.join(shared::hands::PALM_MODEL).is_file() => Ok(d),
        Some(d) => bail!("{} has no {} (pass --models DIR)", d.display(), shared::hands::PALM_MODEL),
        None => bail!(
            "no MediaPipe models: neither ../shared/models/mediapipe nor {INSTALLED_MEDIAPIPE} is there (pass --models DIR or set SIGNSPELL_SHARED)"
        ),
    }
}

fn hands(models: Option<PathBuf>, json: bool, paths: &[PathBuf]) -> Result<()> {
    let dir = mediapipe_dir(models)?;
    let mut tracker = HandTracker::load(&dir, TrackerConfig::default())?;
    for_each_image(paths, "read", |f, img| {
        let hand = tracker.find(&img.to_rgb8())?;
        let path = f.display().to_string();
        match (&hand, json) {
            (Some(h), true) => {
                let l = &h.landmarks;
                let points: Vec<[f32; 3]> = l.points.iter().map(|p| [p.x, p.y, p.z]).collect();
                let side = if l.right_hand >= 0.5 { "right" } else { "left" };
                println!(
                    "{}",
                    serde_json::json!({"path": path, "found": true, "box": [h.bbox.x0, h.bbox.y0, h.bbox.x1, h.bbox.y1],
                        "points": points, "score": l.presence, "handedness": side, "right_hand_probability": l.right_hand,
                        "palm_score": h.palm_score})
                );
            }
            (None, true) => println!("{}", serde_json::json!({"path": path, "found": false})),
            (Some(h), false) => println!(
                "{path}\thand {:.2}\tbox {:.0},{:.0} {:.0}x{:.0}",
                h.landmarks.presence,
                h.bbox.x0,
                h.bbox.y0,
                h.bbox.width(),
                h.bbox.height()
            ),
            (None, false) => println!("{path}\tno hand"),
        }
        Ok(())
    })
}

fn profile_cmd(a: ProfileArgs) -> Result<()> {
    engine::set_threads(a.threads);
    let model = model_or_default(a.model);
    let image = match a.image {
        Some(i) => i,
        None => Replay::from_paths(&[default_dataset()?], 30.0)?.files()[0].clone(),
    };
    let picture = shared::image_io::decode_file(&image)?;
    let runs = a.runs.max(1);
    let (model, run_ms, nodes) = match a.hands {
        Some(which) => profile_hands(&which, picture.to_rgb8(), a.plan, runs)?,
        None => {
            let mut engine = Engine::load_as(&model, a.plan.unwrap_or_default())?;
            engine.preprocess_image(&picture)?;
            let run_ms = mean_ms(runs, || engine.infer(false).map(drop))?;
            (model, run_ms, engine.profile(runs)?)
        }
    };
    let report = device::profile::ProfileReport::new(model, image, a.threads, runs, run_ms, nodes);
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.table(a.top));
    }
    Ok(())
}

/// Mean milliseconds of `runs` calls of `run`.
fn mean_ms(runs: usize, mut run: impl FnMut() -> Result<()>) -> Result<f64> {
    let started = std::time::Instant::now();
    for _ in 0..runs {
        run()?;
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0 / runs.max(1) as f64)
}

/// `device profile --hands`: one of MediaPipe's models on the picture (the palm
/// detector's letterboxed input, or the landmark model's crop of the centred square):
/// the model file, the mean ms of an ordinary run, and every node's time.
fn profile_hands(
    which: &str,
    rgb: image::RgbImage,
    plan: Option<shared::tract_model::PlanForm>,
    runs: usize,
) -> Result<(PathBuf, f64, Vec<shared::tract_model::NodeTime>)> {
    let dir = mediapipe_dir(None)?;
    if which == "palm" {
        let path = dir.join(shared::hands::PALM_MODEL);
        let mut palm = shared::hands::PalmDetector::load_as(&path, plan.unwrap_or(shared::hands::palm::PLAN))?;
        let input = palm.input_tensor(&rgb, 0.5).to_vec();
        let run_ms = mean_ms(runs, || palm.run_raw(&input).map(drop).map_err(Into::into))?;
        return Ok((path, run_ms, palm.profile(&input, runs)?));
    }
    let path = dir.join(shared::hands::LANDMARK_MODEL);
    let mut landmarks = shared::hands::HandLandmarker::load_as(&path, plan.unwrap_or(shared::hands::landmarks::PLAN))?;
    let side = rgb.width().min(rgb.height()) as f32;
    let rect = shared::hands::RotatedRect {
        cx: rgb.width() as f32 / 2.0,
        cy: rgb.height() as f32 / 2.0,
        w: side,
        h: side,
        rotation: 0.0,
    };
    let input = landmarks.input_tensor(&rgb, &rect).to_vec();
    let run_ms = mean_ms(runs, || landmarks.run_raw(&input).map(drop).map_err(Into::into))?;
    Ok((path, run_ms, landmarks.profile(&input, runs)?))
}

fn bench_cmd(a: BenchArgs) -> Result<()> {
    engine::set_threads(a.threads);
    let model = model_or_default(a.model);
    let started = std::time::Instant::now();
    let engine = Engine::load_as(&model, a.plan.unwrap_or_default())?;
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let sources = if a.source.is_empty() { vec![default_dataset()?] } else { a.source };
    let replay = Replay::from_paths(&sources, 30.0)?.looped(true);
    let described = replay.describe();
    let decoder = Decoder::new(DecoderConfig { mirrored: a.mirrored, ..DecoderConfig::default() }, engine.card().classes.clone());
    let (bytes, quantization, macs) = (engine.file_bytes(), format!("{:?}", engine.card().quantization), engine.macs());
    // A landmark-mask model gets the hand follower anyway; built here so --plan reaches it.
    let hands = a.hands.or_else(|| engine.wants_landmarks().then(default_mediapipe).flatten());
    let region = GuideBox {
        hands: hands.map(|models| HandsConfig { models, detect_every: a.detect_every, margin: 0.25, plan: a.plan }),
        ..GuideBox::default()
    };
    let region = Region::for_model(&region, engine.wants_landmarks(), default_mediapipe())?;
    let mut kiosk = Kiosk::new(replay, region, engine, decoder, CountingPanel::new(a.size), RecoveryConfig::default());
    kiosk.max_frames = Some(20);
    kiosk.run()?;
    kiosk.timings.clear();
    kiosk.panel.reset_counts();
    if let Region::Hands(h) = &mut kiosk.region {
        h.tracker.timings = Some(Default::default());
        h.counts = (0, 0);
    }
    kiosk.max_frames = Some(a.frames.max(1));
    kiosk.kept_inputs = a.save_inputs.is_some().then(|| (32, Vec::new()));
    let allocations = device::alloc_count::allocations();
    kiosk.run()?;
    let allocations = device::alloc_count::allocations() - allocations;
    if let (Some(path), Some((_, kept))) = (&a.save_inputs, &kiosk.kept_inputs) {
        let bytes: Vec<u8> = kept.iter().flat_map(|v| v.to_le_bytes()).collect();
        shared::atomic::write(path, &bytes).with_context(|| format!("cannot write the inputs to {}", path.display()))?;
    }
    let mut report = bench::BenchReport::new(&kiosk.timings, model, bytes, macs, quantization, described, a.threads, a.mirrored, load_ms);
    report.allocations_per_frame = allocations as f64 / a.frames.max(1) as f64;
    report.spi_bytes_per_frame = kiosk.panel.bytes_per_push();
    report.spi_bytes_full_screen = kiosk.panel.bytes_full_screen();
    report.startup_ms = match (STARTED.get(), kiosk.first_frame_at) {
        (Some(start), Some(first)) => Some(first.duration_since(*start).as_secs_f64() * 1000.0),
        _ => None,
    };
    if let Region::Hands(h) = &kiosk.region {
        let t = h.tracker.timings.clone().unwrap_or_default();
        report.hands = Some(bench::HandsStages {
            detect_every: a.detect_every,
            palm_ms: device::timing::Summary::of(&t.palm_ms),
            landmark_ms: device::timing::Summary::of(&t.landmark_ms),
            frames_with_hand: h.counts.1,
        });
    }
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}
