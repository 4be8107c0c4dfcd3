//! `cfscrub checklist`: the rotation checklist as Markdown or JSON.

use super::{load_secrets, EXIT_CLEAN};
use crate::cli::{ChecklistArgs, DocFormat, LeakedIn};
use crate::incident::checklist::{build, markdown, LeakedType};
use crate::incident::wrangler::needs_of_files;
use crate::{out, outln};
use anyhow::Result;
use std::path::PathBuf;

/// Runs `cfscrub checklist`.
pub fn run(args: ChecklistArgs) -> Result<u8> {
    let secrets = load_secrets(&args.secrets, None)?;
    let leaked: Vec<LeakedType> = secrets.values().map(LeakedType::of).collect();
    let configs: Vec<PathBuf> = if args.wrangler.is_empty() {
        ["wrangler.jsonc", "wrangler.json", "wrangler.toml"]
            .iter()
            .map(PathBuf::from)
            .filter(|p| p.is_file())
            .collect()
    } else {
        args.wrangler.clone()
    };
    let needs = if configs.is_empty() {
        None
    } else {
        Some(needs_of_files(&configs)?)
    };
    let mut list = build(&leaked, needs.as_ref());
    if args.leaked_in.contains(&LeakedIn::Git) {
        list.sections
            .push(crate::incident::git_next_steps::section(None));
    }
    match args.format {
        DocFormat::Human => out!("{}", markdown(&list)),
        DocFormat::Json => outln!("{}", serde_json::to_string_pretty(&list)?),
    }
    Ok(EXIT_CLEAN)
}
