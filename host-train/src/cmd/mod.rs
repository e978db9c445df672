//! Subcommands whose whole logic lives in the library (the binary parses and dispatches).

pub mod landmarks;
