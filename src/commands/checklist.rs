//! `cfscrub checklist`: the rotation checklist as Markdown or JSON.

use super::wiring::load_secrets;
use super::EXIT_CLEAN;
use crate::cli::{ChecklistOptions, DocFormat};
use anyhow::Result;
use cfscrub::incident::checklist::{build, markdown, LeakedType};
use cfscrub::incident::wrangler::needs_of_files;
use cfscrub::{out, outln};
use std::path::PathBuf;

/// Runs `cfscrub checklist`.
pub fn run(args: ChecklistOptions) -> Result<u8> {
    let secrets = load_secrets(&args.secrets)?;
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
    let list = build(&leaked, needs.as_ref());
    match args.format {
        DocFormat::Human => out!("{}", markdown(&list)),
        DocFormat::Json => outln!("{}", serde_json::to_string_pretty(&list)?),
    }
    Ok(EXIT_CLEAN)
}
