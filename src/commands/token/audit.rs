//! `token audit`: the token's changes from the account audit log, as a
//! timeline, with the log's limit stated.

use super::{acting, mask_text, target, Ctx};
use crate::cli::{LiveFormat, Target};
use crate::commands::{EXIT_CLEAN, EXIT_ERROR, EXIT_FOUND};
use anyhow::{bail, Result};
use cfscrub::incident::token::records::{AuditSummary, AuditSummaryLine};
use cfscrub::incident::token::{audit, status};
use cfscrub::{errln, outln};

pub(super) fn audit_cmd(ctx: &Ctx, t: &Target, since: &str, before: &str) -> Result<u8> {
    let Some(account) = ctx.account_id.clone() else {
        bail!("the audit log is per account: give --account-id, CLOUDFLARE_ACCOUNT_ID or a wrangler config with account_id");
    };
    let (id, scope, leaked) = target(ctx, t)?;
    let (auth, _) = acting(ctx, leaked)?;
    let events = match audit::timeline(&ctx.api, &auth, &account, &id, since, before)? {
        Ok(e) => e,
        Err(why) => {
            errln!(
                "cfscrub token audit: Cloudflare refused the audit log: {}",
                mask_text(&why.to_string())
            );
            return Ok(EXIT_ERROR);
        }
    };
    // Pair the changes with Cloudflare's record of use (reads included).
    let last_used = match &ctx.admin {
        Some(admin) => match status::details(&ctx.api, admin, &scope, &id)? {
            Ok(d) => d.last_used_on.unwrap_or_else(|| "never".to_string()),
            Err(why) => why.to_string(),
        },
        None => "not read (needs --admin-secret-from/--admin-secret-env)".to_string(),
    };
    let last_used = mask_text(&last_used);
    match ctx.format {
        LiveFormat::Json => {
            for e in &events {
                outln!("{}", mask_text(&serde_json::to_string(e)?));
            }
            outln!(
                "{}",
                serde_json::to_string(&AuditSummaryLine {
                    summary: AuditSummary {
                        token_id: &id,
                        since,
                        before,
                        events: events.len(),
                        last_used_on: &last_used,
                        note: audit::LIMIT_NOTE,
                    }
                })?
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
            outln!("last used (Cloudflare's record, reads included): {last_used}");
            outln!("note: {}", audit::LIMIT_NOTE);
        }
    }
    Ok(if events.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_FOUND
    })
}
