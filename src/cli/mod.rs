//! The command line, in two steps (ripgrep's low-level → high-level
//! arguments): [`flags`] are the raw flags as clap parses them; [`resolve`]
//! turns them, once, into the validated options of one [`Invocation`]. Every
//! check that involves more than one flag (two readers of standard input,
//! a format a command cannot print, a bad `--exclude` glob) is made there,
//! before anything runs, and is an error with exit code 2. Commands
//! (`crate::commands`) receive resolved options only.
//!
//! Adding a subcommand: its flags struct and a `Command` variant in
//! [`flags`]; its options struct, an [`Invocation`] variant and the mapping
//! in [`resolve`]; a module in `commands/` and one line in
//! `commands::run`.

pub mod flags;
pub mod resolve;
pub mod token;

pub use flags::{Cli, DocFormat};
pub use resolve::*;
pub use token::{ApiOptions, LiveFormat, Target, TokenOptions, TokenRun};
