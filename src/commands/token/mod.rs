//! `cfscrub token status|roll|revoke|audit`: wiring the live checks of
//! `incident::token` to the flags and printing their results (never a
//! value: kinds, fingerprints, ids, dates). `status` is here, the changes
//! (`roll`, `revoke`) in [`change`], `audit` in [`audit`].

mod audit;
mod change;

use super::wiring::load_secrets;
use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FOUND};
use crate::cli::token::AdminSource;
use crate::cli::{LiveFormat, Target, TokenOptions, TokenRun};
use anyhow::{bail, Context as _, Result};
use cfscrub::core::secrets::KnownSecrets;
use cfscrub::incident::token::api::{Api, Auth};
use cfscrub::incident::token::records::{ByIdRecord, StatusRecord};
use cfscrub::incident::token::status::{self, Liveness, Verdict};
use cfscrub::incident::token::{self as live, Leaked, Scope};
use cfscrub::mask::sanitize::display_path;
use cfscrub::{errln, outln};
use zeroize::Zeroizing;

/// `text` masked (shapes and every value in play) and escaped for a terminal.
pub(super) fn mask_text(text: &str) -> String {
    cfscrub::text::escape_bytes(cfscrub::mask::sanitize::mask_text(text).as_bytes())
}

/// Runs `cfscrub token`.
pub fn run(options: TokenOptions) -> Result<u8> {
    if let TokenRun::Roll { vault, .. } = &options.run {
        if cfscrub::incident::vault::looks_like_credential(vault) {
            bail!("--vault looks like a credential, not a file name: refused");
        }
    }
    let ctx = context(&options)?;
    match &options.run {
        TokenRun::Status { target } => status_cmd(&ctx, target),
        TokenRun::Roll {
            target,
            vault,
            force,
        } => change::roll_cmd(&ctx, target, vault, *force),
        TokenRun::Revoke { target, yes } => change::revoke_cmd(&ctx, target, *yes),
        TokenRun::Audit {
            target,
            since,
            before,
        } => audit::audit_cmd(&ctx, target, since, before),
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

/// Loads the credentials (registering every one for masking), finds the
/// leaked ones in the paths, and builds the client (the base URL was
/// checked when the flags were resolved).
fn context(o: &TokenOptions) -> Result<Ctx> {
    let secrets = load_secrets(&o.secrets)?;
    let mut admin_set = KnownSecrets::new();
    match &o.admin {
        Some(AdminSource::File(p)) => admin_set
            .add_from_path(p, &display_path(p))
            .context("--admin-secret-from")?,
        Some(AdminSource::Env(var)) => admin_set.add_from_env(var).context("--admin-secret-env")?,
        None => {}
    }
    if admin_set.len() > 1 {
        bail!("the admin credential source holds more than one value: give exactly one");
    }
    // Every value in play is masked in whatever is printed.
    let mut all = KnownSecrets::new();
    for v in secrets.values().chain(admin_set.values()) {
        all.add(Zeroizing::new(v.to_vec()), "", 0)?;
    }
    if !all.is_empty() {
        cfscrub::sys::forbid_core_dumps();
        cfscrub::mask::sanitize::register_known_secrets(&all);
    }
    let admin = admin_set
        .values()
        .next()
        .map(|v| Auth::Bearer(Zeroizing::new(String::from_utf8_lossy(v).into_owned())));
    let mut leaked: Vec<Leaked> = secrets
        .values()
        .filter_map(|v| Leaked::new(v, "--secret-from/--secret-env".to_string()))
        .collect();
    leaked.extend(live::found_in_paths(&o.paths)?);
    let account_id = o.api.account_id.clone().or_else(|| match &o.wrangler {
        Some(p) => live::account_id_of_wrangler(p),
        None => ["wrangler.jsonc", "wrangler.json", "wrangler.toml"]
            .iter()
            .find_map(|p| live::account_id_of_wrangler(std::path::Path::new(p))),
    });
    Ok(Ctx {
        api: Api::new(o.api.base.clone(), o.api.timeouts, o.api.offline),
        account_id,
        email: o.api.email.clone(),
        admin,
        leaked: live::dedup(leaked),
        format: o.format,
    })
}

fn status_cmd(ctx: &Ctx, t: &Target) -> Result<u8> {
    if ctx.leaked.is_empty() && t.id.is_none() {
        bail!(
            "no credential to check: give PATHs to scan, --secret-from FILE|- or --secret-env VAR, or --id ID with an admin credential"
        );
    }
    let (mut live_count, mut errors) = (0, 0);
    if let Some(id) = &t.id {
        let Some(admin) = &ctx.admin else {
            bail!("--id: reading a token by its id needs the admin credential: --admin-secret-from FILE|- or --admin-secret-env VAR");
        };
        let scope = scope_of(ctx, t)?;
        match status::details(&ctx.api, admin, &scope, id)? {
            Ok(d) => {
                live_count += usize::from(d.status.as_deref() == Some("active"));
                print_by_id(ctx.format, id, &scope, &d)?;
            }
            Err(why) => {
                errors += 1;
                errln!(
                    "cfscrub token status: token {id}: {}",
                    mask_text(&why.to_string())
                );
            }
        }
    }
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
        print_status(ctx.format, leaked, &verdict, details.as_ref())?;
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
    details: Option<&Result<status::Details, status::Unreadable>>,
) -> Result<()> {
    let why = mask_text(&v.why);
    match format {
        LiveFormat::Json => {
            let record = StatusRecord {
                fingerprint: leaked.fingerprint.map(|f| f.to_string()),
                kind: leaked.kind,
                found_at: &leaked.found_at,
                status: v.status,
                why,
                token_id: v.token_id.as_deref(),
                expires_on: v.expires_on.as_deref(),
                details: details.and_then(|d| d.as_ref().ok()),
                details_error: details
                    .and_then(|d| d.as_ref().err())
                    .map(|e| mask_text(&e.to_string())),
            };
            outln!("{}", serde_json::to_string(&record)?);
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
                Some(Ok(d)) => print_details(d),
                Some(Err(e)) => outln!("  {}", mask_text(&e.to_string())),
                None => {}
            }
        }
    }
    Ok(())
}

/// The lines of a token's details (human output).
fn print_details(d: &status::Details) {
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

/// `status --id`: the token as its record (read with the admin credential) says.
fn print_by_id(format: LiveFormat, id: &str, scope: &Scope, d: &status::Details) -> Result<()> {
    match format {
        LiveFormat::Json => {
            let record = ByIdRecord {
                token_id: id,
                scope: scope.describe(),
                status: d.status.as_deref(),
                expires_on: d.expires_on.as_deref(),
                details: d,
            };
            outln!("{}", serde_json::to_string(&record)?);
        }
        LiveFormat::Human => {
            outln!(
                "token {id} ({} token, also its R2 access key id): {}; expires {}",
                scope.describe(),
                mask_text(d.status.as_deref().unwrap_or("unknown")).to_uppercase(),
                mask_text(d.expires_on.as_deref().unwrap_or("never"))
            );
            print_details(d);
        }
    }
    Ok(())
}

/// The scope of `--id`: the account's with `--account-owned`, else the user's.
fn scope_of(ctx: &Ctx, t: &Target) -> Result<Scope> {
    if !t.account_owned {
        return Ok(Scope::User);
    }
    match &ctx.account_id {
        Some(a) => Ok(Scope::Account(a.clone())),
        None => bail!("an account-owned token needs the account id: --account-id, CLOUDFLARE_ACCOUNT_ID or the wrangler config"),
    }
}

/// The token a roll/revoke/audit is about: `--id`, or the one leaked
/// credential's id (found through verify); and the scope it lives in.
/// Also returns the leaked credential when there is one.
pub(super) fn target<'c>(ctx: &'c Ctx, t: &Target) -> Result<(String, Scope, Option<&'c Leaked>)> {
    if ctx.leaked.len() > 1 {
        bail!(
            "{} credentials given or found: this command acts on one",
            ctx.leaked.len()
        );
    }
    let leaked = ctx.leaked.first();
    if let Some(id) = &t.id {
        return Ok((id.clone(), scope_of(ctx, t)?, leaked));
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
