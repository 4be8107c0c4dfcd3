//! `cfscrub rules export`: the rule catalogue in a log pipeline's language
//! ([`crate::report::rule_export`]).

use super::EXIT_CLEAN;
use crate::cli::{RulesAction, RulesArgs, RulesFormat};
use crate::out;
use crate::report::rule_export::{gitleaks, vector};
use anyhow::Result;

/// Runs `cfscrub rules`.
pub fn run(args: RulesArgs) -> Result<u8> {
    match args.action {
        RulesAction::Export { format } => {
            let text = match format {
                RulesFormat::Gitleaks => gitleaks::render()?,
                RulesFormat::Vector => vector::render(),
            };
            out!("{text}");
        }
    }
    Ok(EXIT_CLEAN)
}
