//! The one place where detection, reading and reporting meet: each
//! subcommand module wires its resolved options ([`crate::cli`]) to the
//! library and returns an exit code.
//!
//! Command modules never import each other: what several share lives in
//! [`wiring`] (known secrets, the masker's setup and summary) and
//! [`search`] (the walk → scan → report driver of `scan` and `verify`).
//!
//! Exit codes are grep's: 0 nothing found, 1 found, 2 an error (an error
//! outranks a finding).

pub mod checklist;
pub mod completions;
pub mod configured;
pub mod demo;
pub mod diagnose;
pub mod filter;
pub mod git;
pub mod history;
pub mod man;
pub mod redact;
pub mod rules;
pub mod run;
pub mod scan;
pub mod search;
pub mod token;
pub mod vault;
pub mod verify;
pub mod wiring;

use crate::cli::Invocation;
use anyhow::Result;
use cfscrub::report::Tally;

/// Nothing found.
pub const EXIT_CLEAN: u8 = 0;
/// Something found.
pub const EXIT_FOUND: u8 = 1;
/// An error occurred.
pub const EXIT_ERROR: u8 = 2;

/// Runs a resolved command line; returns the process exit code.
pub fn run(invocation: Invocation) -> Result<u8> {
    match invocation {
        Invocation::Scan(options) => scan::run(options),
        Invocation::Verify(options) => verify::run(options),
        Invocation::Redact(options) => redact::run(options),
        Invocation::Filter(options) => filter::run(options),
        Invocation::Run(options) => run::run(options),
        Invocation::Vault(options) => vault::run(options),
        Invocation::Checklist(options) => checklist::run(options),
        Invocation::Diagnose(options) => diagnose::run(options),
        Invocation::History(options) => history::run(options),
        Invocation::HistoryHook(shell) => history::hook(shell),
        Invocation::Demo(options) => demo::run(options),
        Invocation::GitScan(options) => git::scan::run(options),
        Invocation::GitRedact(options) => git::redact::run(options),
        Invocation::Token(options) => token::run(options),
        Invocation::Completions(shell) => completions::run(shell),
        Invocation::Man => man::run(),
        Invocation::RulesExport(format) => rules::run(format),
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
