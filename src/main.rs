//! The `cfscrub` binary: parse flags, run, exit with a grep-like code.
//!
//! The command line lives here, not in the library: [`cli`] parses raw
//! flags and resolves them once into options, [`commands`] wires those
//! options to the library.
// Printing goes through `cfscrub::console`, which never panics on a closed stream.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod commands;

use cfscrub::{err, errln, out};
use clap::Parser;
use commands::EXIT_ERROR;
use std::process::ExitCode;

fn main() -> ExitCode {
    // A panic message can quote the data being processed (a slice, a
    // string): print where it happened, never what it said. `errln!` cannot
    // panic, so neither can the hook.
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        errln!("cfscrub: internal error{place} (details withheld: they may quote scanned data); please report it");
    }));
    // Errors can quote what was typed (a token given where a path or a
    // variable name was expected): every one is masked before printing.
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let text = cfscrub::mask::sanitize::mask_text(&e.render().to_string());
            if e.use_stderr() {
                err!("{text}");
                return ExitCode::from(EXIT_ERROR);
            }
            out!("{text}"); // --help, --version
            return ExitCode::from(stdout_checked(0));
        }
    };
    let code = match std::panic::catch_unwind(|| cli::resolve(cli).and_then(commands::run)) {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            errln!(
                "cfscrub: {}",
                cfscrub::mask::sanitize::mask_text(&format!("{e:#}"))
            );
            EXIT_ERROR
        }
        Err(_) => EXIT_ERROR,
    };
    cfscrub::mask::sanitize::forget_known_secrets();
    ExitCode::from(stdout_checked(code))
}

/// `code`, or 2 when standard output could not be written for a reason
/// other than a closed pipe (a full disk): the output is incomplete.
fn stdout_checked(code: u8) -> u8 {
    match cfscrub::console::take_stdout_failure() {
        Some(e) => {
            errln!("cfscrub: cannot write standard output: {e}");
            EXIT_ERROR
        }
        None => code,
    }
}
