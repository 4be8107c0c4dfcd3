//! `cfscrub rules export`: the rule catalogue in a log pipeline's language
//! ([`cfscrub::report::rule_export`]).

use super::EXIT_CLEAN;
use anyhow::Result;
use cfscrub::out;
use cfscrub::report::rule_export::{render, ExportFormat};

/// Runs `cfscrub rules export`: prints the rules on stdout.
pub fn run(format: ExportFormat) -> Result<u8> {
    out!("{}", render(format)?);
    Ok(EXIT_CLEAN)
}
