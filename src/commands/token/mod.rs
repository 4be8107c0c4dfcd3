//! `cfscrub token status|roll|revoke|audit`: wiring the live checks of
//! `incident::token` to the flags and printing their results (never a
//! value: kinds, fingerprints, ids, dates). `status` is here, the changes
//! (`roll`, `revoke`) in [`change`], `audit` in [`audit`].

mod audit;
mod change;

use super::{load_secrets, EXIT_CLEAN, EXIT_ERROR, EXIT_FOUND};
use crate::cli::{ApiArgs, LiveArgs, LiveFormat, TargetArgs, TokenAction, TokenArgs, WhichToken};
use crate::core::secrets::KnownSecrets;
use crate::incident::token::api::{Api, Auth, Base, Timeouts};
use crate::incident::token::status::{self, Liveness, Verdict};
use crate::incident::token::{self as live, Leaked, Scope};
use crate::mask::sanitize::display_path;
use crate::{errln, outln};
use anyhow::{bail, Context as _, Result};
use serde_json::json;
use std::time::Duration;
use zeroize::Zeroizing;

/// `text` masked (shapes and every value in play) and escaped for a terminal.
pub(super) fn mask_text(text: &str) -> String {
    crate::text::escape_bytes(crate::mask::sanitize::mask_text(text).as_bytes())
}

/// Runs `cfscrub token`.
pub fn run(args: TokenArgs) -> Result<u8> {
    match args.action {
        TokenAction::Status { which, live } => status_cmd(&which, &live),
        TokenAction::Roll {
            target,
            vault,
            force,
        } => change::roll_cmd(&target, &vault, force),
        TokenAction::Revoke { target, yes } => change::revoke_cmd(&target, yes),
        TokenAction::Audit {
            target,
            since,
            until,
        } => audit::audit_cmd(&target, &since, until.as_deref()),
    }
}

/// What every subcommand needs: the client, ids, the credentials.
pub(super) struct Ctx {
    api: Api,
    account_id: Option<String>,
    email: Option<String>,
    admin: Option<Auth>,
    leaked: Vec<Leaked>,
    format: LiveFormat,
}

/// Loads the credentials (registering them for masking), checks the base
/// URL (refused before anything else happens) and builds the client.
pub(super) fn context(which: &WhichToken, live: &LiveArgs) -> Result<Ctx> {
    let api = api_of(&live.api)?;
    let admin_stdin = live
        .admin_secret_from
        .as_ref()
        .is_some_and(|p| p.as_os_str() == "-")
        .then_some("--admin-secret-from -");
    let secrets = load_secrets(&which.secrets, admin_stdin)?;
    let mut admin_set = KnownSecrets::new();
    if let Some(p) = &live.admin_secret_from {
        admin_set
            .add_from_path(p, &display_path(p))
            .context("--admin-secret-from")?;
    }
    if let Some(var) = &live.admin_secret_env {
        admin_set.add_from_env(var).context("--admin-secret-env")?;
    }
    if admin_set.len() > 1 {
        bail!("the admin credential source holds more than one value: give exactly one");
    }
    // Every value in play is masked in whatever is printed.
    let mut all = KnownSecrets::new();
    for v in secrets.values().chain(admin_set.values()) {
        all.add(Zeroizing::new(v.to_vec()), "", 0)?;
    }
    crate::mask::sanitize::register_known_secrets(&all);
    let admin = admin_set
        .values()
        .next()
        .map(|v| Auth::Bearer(Zeroizing::new(String::from_utf8_lossy(v).into_owned())));
    let mut leaked: Vec<Leaked> = secrets
        .values()
        .filter_map(|v| Leaked::new(v, "--secret-from/--secret-env".to_string()))
        .collect();
    leaked.extend(live::found_in_paths(&which.paths)?);
    let account_id = match &live.api.account_id {
        Some(id) => Some(live::checked_id(id)?.to_string()),
        None => wrangler_account_id(live),
    };
    Ok(Ctx {
        api,
        account_id,
        email: live.api.email.clone(),
        admin,
        leaked: live::dedup(leaked),
        format: live.format,
    })
}

/// The client for `args`: the base URL is checked here, before anything
/// else happens.
pub(super) fn api_of(args: &ApiArgs) -> Result<Api> {
    let base = match &args.api_base {
        Some(url) => Base::parse(url)?,
        None => Base::cloudflare(),
    };
    Ok(Api::new(
        base,
        Timeouts {
            connect: Duration::from_secs(args.timeout.min(10)),
            total: Duration::from_secs(args.timeout),
        },
        args.offline,
    ))
}

fn wrangler_account_id(live: &LiveArgs) -> Option<String> {
    match &live.wrangler {
        Some(p) => live::account_id_of_wrangler(p),
        None => ["wrangler.jsonc", "wrangler.json", "wrangler.toml"]
            .iter()
            .find_map(|p| live::account_id_of_wrangler(std::path::Path::new(p))),
    }
}

fn status_cmd(which: &WhichToken, args: &LiveArgs) -> Result<u8> {
    let ctx = context(which, args)?;
    if ctx.leaked.is_empty() {
        bail!(
            "no credential to check: give PATHs to scan, --secret-from FILE|- or --secret-env VAR"
        );
    }
    let (mut live_count, mut errors) = (0, 0);
    for leaked in &ctx.leaked {
        let verdict = match status::verify(
            &ctx.api,
            leaked,
            ctx.account_id.as_deref(),
            ctx.email.as_deref(),
        ) {
            Ok(v) => v,
            Err(e) => {
                errors += 1;
                errln!(
                    "cfscrub token status: {} {}: {e}",
                    leaked.kind.name(),
                    leaked.shown()
                );
                continue;
            }
        };
        live_count += usize::from(verdict.status == Liveness::Active);
        let details = match (&ctx.admin, &verdict.token_id, &verdict.scope) {
            (Some(admin), Some(id), Some(scope)) => {
                match status::details(&ctx.api, admin, scope, id) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        errors += 1;
                        errln!("cfscrub token status: details of {id}: {e}");
                        None
                    }
                }
            }
            _ => None,
        };
        print_status(ctx.format, leaked, &verdict, details.as_ref());
    }
    Ok(if errors > 0 {
        EXIT_ERROR
    } else if live_count > 0 {
        EXIT_FOUND
    } else {
        EXIT_CLEAN
    })
}

fn print_status(
    format: LiveFormat,
    leaked: &Leaked,
    v: &Verdict,
    details: Option<&Result<status::Details, String>>,
) {
    let why = mask_text(&v.why);
    match format {
        LiveFormat::Json => {
            let mut o = json!({
                "fingerprint": leaked.fingerprint.map(|f| f.to_string()),
                "kind": leaked.kind,
                "found_at": leaked.found_at,
                "status": v.status,
                "why": why,
                "token_id": v.token_id,
                "expires_on": v.expires_on,
            });
            match details {
                Some(Ok(d)) => o["details"] = json!(d),
                Some(Err(e)) => o["details_error"] = json!(mask_text(e)),
                None => {}
            }
            outln!("{o}");
        }
        LiveFormat::Human => {
            outln!(
                "{}  {}  {}: {} ({why})",
                leaked.shown(),
                leaked.kind.name(),
                leaked.found_at.join(", "),
                v.status.word().to_uppercase()
            );
            if let Some(id) = &v.token_id {
                outln!(
                    "  token id {id} (also its R2 access key id); expires {}",
                    v.expires_on.as_deref().unwrap_or("never")
                );
            }
            match details {
                Some(Ok(d)) => {
                    let s = |o: &Option<String>| mask_text(o.as_deref().unwrap_or("-"));
                    outln!(
                        "  name {}; issued {}; last used {}; modified {}",
                        s(&d.name),
                        s(&d.issued_on),
                        s(&d.last_used_on),
                        s(&d.modified_on)
                    );
                    for p in &d.policies {
                        outln!("  policy {}", mask_text(p));
                    }
                    if d.can_manage_tokens {
                        outln!("  it holds API Tokens Write: it can revoke or roll itself");
                    }
                }
                Some(Err(e)) => outln!("  {}", mask_text(e)),
                None => {}
            }
        }
    }
}

/// The token a roll/revoke/audit is about: `--id`, or the one leaked
/// credential's id (found through verify); and the scope it lives in.
/// Also returns the leaked credential when there is one.
pub(super) fn target<'c>(
    ctx: &'c Ctx,
    t: &TargetArgs,
) -> Result<(String, Scope, Option<&'c Leaked>)> {
    let account_scope = || -> Result<Scope> {
        match &ctx.account_id {
            Some(a) => Ok(Scope::Account(a.clone())),
            None => bail!("an account-owned token needs the account id: --account-id, CLOUDFLARE_ACCOUNT_ID or the wrangler config"),
        }
    };
    if ctx.leaked.len() > 1 {
        bail!(
            "{} credentials given or found: this command acts on one",
            ctx.leaked.len()
        );
    }
    let leaked = ctx.leaked.first();
    if let Some(id) = &t.id {
        let scope = if t.account_owned {
            account_scope()?
        } else {
            Scope::User
        };
        return Ok((live::checked_id(id)?.to_string(), scope, leaked));
    }
    let Some(l) = leaked else {
        bail!("which token? give --id ID, or the leaked credential (PATH, --secret-from, --secret-env)");
    };
    let v = status::verify(&ctx.api, l, ctx.account_id.as_deref(), ctx.email.as_deref())?;
    match (v.token_id, v.scope) {
        (Some(id), Some(scope)) => Ok((id, scope, Some(l))),
        _ => bail!(
            "the token id of {} {} is not known: it is {} ({}); give --id",
            l.kind.name(),
            l.shown(),
            v.status.word(),
            mask_text(&v.why)
        ),
    }
}

/// The credential that authenticates a change: the admin one, else the
/// leaked token itself (it may hold API Tokens Write). True when leaked.
pub(super) fn acting(ctx: &Ctx, leaked: Option<&Leaked>) -> Result<(Auth, bool)> {
    match (&ctx.admin, leaked) {
        (Some(Auth::Bearer(v)), _) => Ok((Auth::Bearer(v.clone()), false)),
        (None, Some(l)) => Ok((l.bearer(), true)),
        _ => bail!("no credential to authenticate with: give --admin-secret-from FILE|- or --admin-secret-env VAR"),
    }
}

/// `checklist --live`: the live status of each known leaked value, as the
/// checklist's first section; true when a check failed.
pub fn live_section(
    secrets: &KnownSecrets,
    api: &ApiArgs,
    configs: &[std::path::PathBuf],
) -> Result<(crate::incident::checklist::Section, bool)> {
    if secrets.is_empty() {
        bail!("--live needs the leaked value: --secret-from FILE|- or --secret-env VAR");
    }
    let client = api_of(api)?;
    let account_id = match &api.account_id {
        Some(id) => Some(live::checked_id(id)?.to_string()),
        None => configs.iter().find_map(|p| live::account_id_of_wrangler(p)),
    };
    let leaked: Vec<Leaked> = secrets
        .values()
        .filter_map(|v| Leaked::new(v, "--secret-from/--secret-env".to_string()))
        .collect();
    let checked: Vec<(&Leaked, Result<Verdict, String>)> = leaked
        .iter()
        .map(|l| {
            let v = status::verify(&client, l, account_id.as_deref(), api.email.as_deref());
            (l, v.map_err(|e| e.to_string()))
        })
        .collect();
    let failed = checked.iter().any(|(_, v)| v.is_err());
    Ok((live::first_steps::section(&checked), failed))
}
