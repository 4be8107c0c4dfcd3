//! The `cfscrub` binary: parse flags, run, exit with a grep-like code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // A panic message can quote the data being processed (a slice, a
    // string): print where it happened, never what it said.
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        eprintln!("cfscrub: internal error{place} (details withheld: they may quote scanned data); please report it");
    }));
    let cli = cfscrub::cli::Cli::parse();
    let code = match std::panic::catch_unwind(|| cfscrub::commands::run(cli)) {
        Ok(Ok(code)) => code,
        Ok(Err(err)) => {
            eprintln!("cfscrub: {err:#}");
            cfscrub::commands::EXIT_ERROR
        }
        Err(_) => cfscrub::commands::EXIT_ERROR,
    };
    ExitCode::from(code)
}
