//! `cfscrub git`: the subcommands on git repositories ([`scan`], [`redact`]).

pub mod redact;
pub mod scan;

use crate::cli::{GitArgs, GitCommand};
use anyhow::Result;

/// Runs `cfscrub git …`.
pub fn run(args: GitArgs) -> Result<u8> {
    match args.command {
        GitCommand::Scan(args) => scan::run(args),
        GitCommand::Redact(args) => redact::run(args),
    }
}
