//! `cfscrub token status|roll|revoke|audit`: wiring the live checks of
//! `incident::token` to the flags and printing their results (never a
//! value: kinds, fingerprints, ids, dates).

use super::{load_secrets, EXIT_CLEAN, EXIT_ERROR, EXIT_FOUND};
use crate::cli::{LiveArgs, LiveFormat, TargetArgs, TokenAction, TokenArgs, WhichToken};
use crate::core::finding::Fingerprint;
use crate::core::secrets::KnownSecrets;
use crate::incident::token::api::{Api, Auth, Base, Timeouts};
use crate::incident::token::status::{self, Liveness, Verdict};
use crate::incident::token::{self as live, audit, manage, Leaked, Scope};
use crate::mask::sanitize::display_path;
use crate::{errln, outln};
use anyhow::{bail, Context as _, Result};
use serde_json::json;
use std::io::{BufRead, IsTerminal};
use std::time::{Duration, SystemTime};
use zeroize::Zeroizing;

/// `text` masked (shapes and every value in play) and escaped for a terminal.
fn mask_text(text: &str) -> String {
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
        } => roll_cmd(&target, &vault, force),
        TokenAction::Revoke { target, yes } => revoke_cmd(&target, yes),
        TokenAction::Audit {
            target,
            since,
            until,
        } => audit_cmd(&target, &since, until.as_deref()),
    }
}

/// What every subcommand needs: the client, ids, the credentials.
struct Ctx {
    api: Api,
    account_id: Option<String>,
    email: Option<String>,
    admin: Option<Auth>,
    leaked: Vec<Leaked>,
    format: LiveFormat,
}

/// Loads the credentials (registering them for masking), checks the base
/// URL (refused before anything else happens) and builds the client.
fn context(which: &WhichToken, live: &LiveArgs) -> Result<Ctx> {
    let base = match &live.api_base {
        Some(url) => Base::parse(url)?,
        None => Base::cloudflare(),
    };
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
    let account_id = match &live.account_id {
        Some(id) => Some(live::checked_id(id)?.to_string()),
        None => wrangler_account_id(live),
    };
    Ok(Ctx {
        api: Api::new(
            base,
            Timeouts {
                connect: Duration::from_secs(live.timeout.min(10)),
                total: Duration::from_secs(live.timeout),
            },
            live.offline,
        ),
        account_id,
        email: live.email.clone(),
        admin,
        leaked: live::dedup(leaked),
        format: live.format,
    })
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
fn target<'c>(ctx: &'c Ctx, t: &TargetArgs) -> Result<(String, Scope, Option<&'c Leaked>)> {
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
fn acting(ctx: &Ctx, leaked: Option<&Leaked>) -> Result<(Auth, bool)> {
    match (&ctx.admin, leaked) {
        (Some(Auth::Bearer(v)), _) => Ok((Auth::Bearer(v.clone()), false)),
        (None, Some(l)) => Ok((l.bearer(), true)),
        _ => bail!("no credential to authenticate with: give --admin-secret-from FILE|- or --admin-secret-env VAR"),
    }
}

fn roll_cmd(t: &TargetArgs, vault: &std::path::Path, force: bool) -> Result<u8> {
    if crate::incident::vault::looks_like_credential(vault) {
        bail!("--vault looks like a credential, not a file name: refused");
    }
    let ctx = context(&t.which, &t.live)?;
    let (id, scope, leaked) = target(&ctx, t)?;
    let (auth, by_leaked) = acting(&ctx, leaked)?;
    let name = display_path(vault);
    // From here on a temp file may hold the new value: a signal removes it.
    crate::source::cleanup::install_signal_cleanup();
    let value = match manage::roll(&ctx.api, &auth, &scope, &id)? {
        Ok(v) => v,
        Err(why) => {
            errln!(
                "cfscrub token roll: Cloudflare refused to roll {id}: {}",
                mask_text(&why)
            );
            return Ok(EXIT_ERROR);
        }
    };
    if let Err(e) = crate::incident::vault::store(vault, value.as_bytes(), force) {
        errln!(
            "cfscrub token roll: token {id} WAS rolled (the old value is dead) but the new value could not be stored in {name}: {e}; roll again to get a value you can store"
        );
        return Ok(EXIT_ERROR);
    }
    let fp = Fingerprint::of(value.as_bytes()).map_or_else(String::new, |f| format!(" (fp:{f})"));
    let by = if by_leaked {
        " (authenticated by the leaked token itself)"
    } else {
        ""
    };
    match ctx.format {
        LiveFormat::Json => outln!(
            "{}",
            json!({"rolled": id, "scope": scope.describe(), "vault": name, "fingerprint": fp.trim().trim_start_matches("(fp:").trim_end_matches(')'), "by_leaked": by_leaked})
        ),
        LiveFormat::Human => {
            outln!("rolled token {id}{by}: same permissions, new value in {name}{fp}, mode 0600; the old value no longer works");
            outln!("next: check it:            cfscrub token status --secret-from {name}");
            outln!("next: update the CI secret: gh secret set CLOUDFLARE_API_TOKEN < {name}");
            outln!("next: redeploy, then remove leaked copies (cfscrub redact) and rotate anything the token could read");
        }
    }
    Ok(EXIT_CLEAN)
}

fn revoke_cmd(t: &TargetArgs, yes: bool) -> Result<u8> {
    let ctx = context(&t.which, &t.live)?;
    let (id, scope, leaked) = target(&ctx, t)?;
    let (auth, by_leaked) = acting(&ctx, leaked)?;
    if !yes && !confirm(&id)? {
        errln!(
            "cfscrub token revoke: not confirmed: nothing sent (pass --yes when not on a terminal)"
        );
        return Ok(EXIT_ERROR);
    }
    match manage::revoke(&ctx.api, &auth, &scope, &id)? {
        Ok(()) => {
            let itself = if by_leaked {
                " — the leaked token revoked itself (it held API Tokens Write)"
            } else {
                ""
            };
            match ctx.format {
                LiveFormat::Json => outln!(
                    "{}",
                    json!({"revoked": id, "scope": scope.describe(), "by_leaked": by_leaked})
                ),
                LiveFormat::Human => outln!("revoked token {id}{itself}; anything still using it now fails with code 1000/10000"),
            }
            Ok(EXIT_CLEAN)
        }
        Err(why) => {
            errln!(
                "cfscrub token revoke: Cloudflare refused to delete {id}: {}",
                mask_text(&why)
            );
            Ok(EXIT_ERROR)
        }
    }
}

/// Asks on the terminal; false when standard input is not one.
fn confirm(id: &str) -> Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Ok(false);
    }
    crate::err!("Delete token {id}? Anything using it stops working. Type yes to confirm: ");
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(line.trim() == "yes")
}

fn audit_cmd(t: &TargetArgs, since: &str, until: Option<&str>) -> Result<u8> {
    let now = SystemTime::now();
    let since = audit::parse_time(since, now).map_err(|e| anyhow::anyhow!("--since: {e}"))?;
    let before = match until {
        Some(u) => audit::parse_time(u, now).map_err(|e| anyhow::anyhow!("--until: {e}"))?,
        None => audit::rfc3339(now),
    };
    let ctx = context(&t.which, &t.live)?;
    let Some(account) = ctx.account_id.clone() else {
        bail!("the audit log is per account: give --account-id, CLOUDFLARE_ACCOUNT_ID or a wrangler config with account_id");
    };
    let (id, _, leaked) = target(&ctx, t)?;
    let (auth, _) = acting(&ctx, leaked)?;
    let events = match audit::timeline(&ctx.api, &auth, &account, &id, &since, &before)? {
        Ok(e) => e,
        Err(why) => {
            errln!(
                "cfscrub token audit: Cloudflare refused the audit log: {}",
                mask_text(&why)
            );
            return Ok(EXIT_ERROR);
        }
    };
    match ctx.format {
        LiveFormat::Json => {
            for e in &events {
                outln!("{}", mask_text(&json!(e).to_string()));
            }
            outln!(
                "{}",
                json!({"summary": {"token_id": id, "since": since, "before": before, "events": events.len(), "note": audit::LIMIT_NOTE}})
            );
        }
        LiveFormat::Human => {
            outln!(
                "audit log of account {account}, token {id}, {since} .. {before}: {} change(s)",
                events.len()
            );
            for e in &events {
                let line = format!(
                    "{}  {} {}  {} {}  {}  from {}  {}",
                    e.time,
                    e.action,
                    e.result,
                    e.method,
                    e.uri,
                    e.status.map_or_else(|| "-".to_string(), |s| s.to_string()),
                    e.source_ip,
                    e.user_agent
                );
                outln!("{}", mask_text(&line));
            }
            outln!("note: {}", audit::LIMIT_NOTE);
        }
    }
    Ok(if events.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_FOUND
    })
}
