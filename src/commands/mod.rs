//! The one place where detection, reading and reporting meet: each
//! subcommand module turns parsed flags into a run and an exit code.
//!
//! Exit codes are grep's: 0 nothing found, 1 found, 2 an error (an error
//! outranks a finding).

pub mod checklist;
pub mod completions;
pub mod demo;
pub mod diagnose;
pub mod filter;
pub mod history;
pub mod man;
pub mod redact;
pub mod rules;
pub mod run;
pub mod scan;
pub mod search;
pub mod vault;
pub mod verify;

use crate::cli::{Cli, Command, SecretArgs};
use crate::core::secrets::KnownSecrets;
use crate::report::Tally;
use anyhow::{Context, Result};

/// Nothing found.
pub const EXIT_CLEAN: u8 = 0;
/// Something found.
pub const EXIT_FOUND: u8 = 1;
/// An error occurred.
pub const EXIT_ERROR: u8 = 2;

/// Runs a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Redact(args) => redact::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Filter(args) => filter::run(args),
        Command::Run(args) => run::run(args),
        Command::Vault(args) => vault::run(args),
        Command::Checklist(args) => checklist::run(args),
        Command::Diagnose(args) => diagnose::run(args),
        Command::History(args) => history::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Man => man::run(),
        Command::Rules(args) => rules::run(args),
    }
}

/// grep-like exit code for a tally.
pub fn exit_code(tally: &Tally) -> u8 {
    if tally.errors > 0 {
        EXIT_ERROR
    } else if tally.findings > 0 {
        EXIT_FOUND
    } else {
        EXIT_CLEAN
    }
}

/// Loads `--secret-from` / `--secret-env` values. Once secrets are in
/// memory the process is made non-dumpable, so no core dump holds them,
/// and they are registered with [`crate::mask::sanitize`], so that no printed
/// path or message shows them either.
/// `stdin_use` names what else reads standard input in this run (the
/// filtered stream, a `-` path), so that `--secret-from -` is refused there.
pub fn load_secrets(args: &SecretArgs, stdin_use: Option<&str>) -> Result<KnownSecrets> {
    if let Some(other) = stdin_use {
        if args.secret_from.iter().any(|p| p.as_os_str() == "-") {
            anyhow::bail!("--secret-from - reads standard input, which is {other} here: use --secret-from FILE or --secret-env VAR");
        }
    }
    let mut secrets = KnownSecrets::new();
    for path in &args.secret_from {
        secrets
            .add_from_path(path, &crate::mask::sanitize::display_path(path))
            .context("--secret-from")?;
    }
    for var in &args.secret_env {
        secrets.add_from_env(var).context("--secret-env")?;
    }
    if !secrets.is_empty() {
        // SAFETY: prctl(PR_SET_DUMPABLE) takes plain integers and has no memory effects.
        unsafe {
            libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        }
        crate::mask::sanitize::register_known_secrets(&secrets);
    }
    Ok(secrets)
}

/// A thread pool of `threads` workers (default: one per core).
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    sized_pool(threads.unwrap_or(0))
}

/// A pool for work that mostly waits on `fsync`: four workers per core
/// (at most [`crate::cli::MAX_THREADS`]) unless `threads` says otherwise.
pub fn io_thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    sized_pool(threads.unwrap_or((4 * cores).min(crate::cli::MAX_THREADS)))
}

fn sized_pool(n: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .context("cannot start worker threads")
}
