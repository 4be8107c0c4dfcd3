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
    // Errors can quote what was typed (a token given where a path or a
    // variable name was expected): every one is masked before printing.
    let cli = match cfscrub::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let text = cfscrub::mask::sanitize::mask_text(&err.render().to_string());
            if err.use_stderr() {
                eprint!("{text}");
            } else {
                print!("{text}");
            }
            return ExitCode::from(if err.use_stderr() {
                cfscrub::commands::EXIT_ERROR
            } else {
                0
            });
        }
    };
    let code = match std::panic::catch_unwind(|| cfscrub::commands::run(cli)) {
        Ok(Ok(code)) => code,
        Ok(Err(err)) => {
            eprintln!(
                "cfscrub: {}",
                cfscrub::mask::sanitize::mask_text(&format!("{err:#}"))
            );
            cfscrub::commands::EXIT_ERROR
        }
        Err(_) => cfscrub::commands::EXIT_ERROR,
    };
    cfscrub::mask::sanitize::forget_known_secrets();
    ExitCode::from(code)
}
