//! `device`: the Signspell kiosk that runs on a Raspberry Pi or Jetson.
//!
//! The data's path, one module per stage:
//! [`source`] (camera, replay, faults) -> [`region`] (where the hand is) -> [`engine`]
//! (tract inference on the `shared` preprocessing, driven by the model card) ->
//! [`decode`] (letters and words) -> [`ui`] (the screen, drawn with `embedded-graphics`)
//! -> [`display`] (SPI panel, PNG files or nothing). [`kiosk`] runs the loop, [`demo`]
//! replays a word from a dataset, [`bench`](mod@bench) times every stage, [`spell_bench`] scores the decoders on words, [`profile`] every node of the model, [`config`] reads the
//! kiosk's TOML, [`controls`] turns buttons and keys into actions, [`model_switch`]
//! swaps models while running, [`speech`] speaks words and [`collect`] records a
//! signer's own samples.
//!
//! [`cmd`] holds the command line's subcommands, one file each (`src/main.rs` only
//! dispatches).
//!
//! The device never links libtorch: it runs only the ONNX files `host-train export`
//! writes, and validates their model card before the first frame.

pub mod alloc_count;
pub mod bench;
pub mod cmd;
pub mod collect;
pub mod config;
pub mod controls;
pub mod decode;
pub mod demo;
pub mod display;
pub mod engine;
pub mod kiosk;
pub mod model_switch;
pub mod profile;
pub mod region;
pub mod soak;
pub mod source;
pub mod speech;
pub mod spell_bench;
pub mod timing;
pub mod ui;
