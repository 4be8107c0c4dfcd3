//! `cfscrub completions SHELL`: a completion script generated from the
//! clap definition in [`crate::cli`] (`clap_complete`), so it never drifts
//! from the flags.

use super::EXIT_CLEAN;
use crate::cli::{Cli, CompletionShell, CompletionsArgs};
use crate::out;
use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

/// Runs `cfscrub completions`: prints the script on stdout.
pub fn run(args: CompletionsArgs) -> Result<u8> {
    let shell = match args.shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "cfscrub", &mut script);
    let script = String::from_utf8(script).context("completion script is not UTF-8")?;
    out!("{script}");
    Ok(EXIT_CLEAN)
}
