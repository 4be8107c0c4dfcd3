//! `cfscrub completions SHELL`: a completion script generated from the
//! clap definition in [`crate::cli::flags`] (`clap_complete`), so it never
//! drifts from the flags.

use super::EXIT_CLEAN;
use crate::cli::Cli;
use anyhow::{Context, Result};
use cfscrub::out;
use clap::CommandFactory;
use clap_complete::Shell;

/// Runs `cfscrub completions`: prints the script on stdout.
pub fn run(shell: Shell) -> Result<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "cfscrub", &mut script);
    let script = String::from_utf8(script).context("completion script is not UTF-8")?;
    out!("{script}");
    Ok(EXIT_CLEAN)
}
