//! `cfscrub checklist`: the rotation checklist as Markdown or JSON.

use super::wiring::load_secrets;
use super::{EXIT_CLEAN, EXIT_ERROR};
use crate::cli::{ApiOptions, ChecklistOptions, DocFormat};
use anyhow::Result;
use cfscrub::core::secrets::KnownSecrets;
use cfscrub::incident::checklist::{build, markdown, LeakedType, Section};
use cfscrub::incident::token::api::{Api, ApiError};
use cfscrub::incident::token::status::{self, Verdict};
use cfscrub::incident::token::{self as live, Leaked};
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
    let mut list = build(&leaked, needs.as_ref());
    if args.leaked_in_git {
        list.sections
            .push(cfscrub::incident::git_next_steps::section(None));
    }
    list.configs_read = configs
        .iter()
        .map(|p| cfscrub::mask::sanitize::display_path(p))
        .collect();
    let mut code = EXIT_CLEAN;
    if let Some(api) = &args.live {
        if secrets.is_empty() {
            anyhow::bail!(
                "--live needs the leaked value: --secret-from FILE|- or --secret-env VAR"
            );
        }
        let (section, failed) = live_section(&secrets, api, &configs);
        list.sections.insert(0, section);
        if failed {
            code = EXIT_ERROR;
        }
    }
    match args.format {
        DocFormat::Human => out!("{}", markdown(&list)),
        DocFormat::Json => outln!("{}", serde_json::to_string_pretty(&list)?),
    }
    Ok(code)
}

/// `--live`: the live status of each known leaked value, as the
/// checklist's first section; true when a check failed.
fn live_section(secrets: &KnownSecrets, api: &ApiOptions, configs: &[PathBuf]) -> (Section, bool) {
    let client = Api::new(api.base.clone(), api.timeouts, api.offline);
    let account_id = api
        .account_id
        .clone()
        .or_else(|| configs.iter().find_map(|p| live::account_id_of_wrangler(p)));
    let leaked: Vec<Leaked> = secrets
        .values()
        .filter_map(|v| Leaked::new(v, "--secret-from/--secret-env".to_string()))
        .collect();
    let checked: Vec<(&Leaked, Result<Verdict, ApiError>)> = leaked
        .iter()
        .map(|l| {
            let v = status::verify(&client, l, account_id.as_deref(), api.email.as_deref());
            (l, v)
        })
        .collect();
    let failed = checked.iter().any(|(_, v)| v.is_err());
    (live::first_steps::section(&checked), failed)
}
