//! `token roll` and `token revoke`: a new value into a vault file; a
//! deletion only after confirmation.

use super::{acting, mask_text, target, Ctx};
use crate::cli::{LiveFormat, Target};
use crate::commands::{EXIT_CLEAN, EXIT_ERROR};
use anyhow::Result;
use cfscrub::core::finding::Fingerprint;
use cfscrub::incident::token::manage;
use cfscrub::incident::token::records::{RevokedRecord, RolledRecord};
use cfscrub::mask::sanitize::display_path;
use cfscrub::{errln, outln};
use std::io::{BufRead, IsTerminal};

pub(super) fn roll_cmd(ctx: &Ctx, t: &Target, vault: &std::path::Path, force: bool) -> Result<u8> {
    let (id, scope, leaked) = target(ctx, t)?;
    let (auth, by_leaked) = acting(ctx, leaked)?;
    let name = display_path(vault);
    // From here on a temp file may hold the new value: a signal removes it.
    cfscrub::source::cleanup::install_signal_cleanup();
    let value = match manage::roll(&ctx.api, &auth, &scope, &id)? {
        Ok(v) => v,
        Err(why) => {
            errln!(
                "cfscrub token roll: Cloudflare refused to roll {id}: {}",
                mask_text(&why.to_string())
            );
            return Ok(EXIT_ERROR);
        }
    };
    if let Err(e) = cfscrub::incident::vault::store(vault, value.as_bytes(), force) {
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
            serde_json::to_string(&RolledRecord {
                rolled: &id,
                scope: scope.describe(),
                vault: &name,
                fingerprint: Fingerprint::of(value.as_bytes()).map(|f| f.to_string()),
                by_leaked,
            })?
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

pub(super) fn revoke_cmd(ctx: &Ctx, t: &Target, yes: bool) -> Result<u8> {
    let (id, scope, leaked) = target(ctx, t)?;
    let (auth, by_leaked) = acting(ctx, leaked)?;
    if !yes && !confirm(&id)? {
        errln!(
            "cfscrub token revoke: not confirmed: nothing sent (pass --yes when not on a terminal)"
        );
        return Ok(EXIT_ERROR);
    }
    match manage::revoke(&ctx.api, &auth, &scope, &id)? {
        Ok(()) => {
            // Without --id the target is the leaked token's own id.
            let itself = by_leaked && t.id.is_none();
            let note = if itself {
                " — the leaked token revoked itself (it held API Tokens Write)"
            } else if by_leaked {
                " (authenticated by the leaked token)"
            } else {
                ""
            };
            match ctx.format {
                LiveFormat::Json => outln!(
                    "{}",
                    serde_json::to_string(&RevokedRecord {
                        revoked: &id,
                        scope: scope.describe(),
                        by_leaked,
                        itself,
                    })?
                ),
                LiveFormat::Human => outln!("revoked token {id}{note}; anything still using it now fails with code 1000/10000"),
            }
            Ok(EXIT_CLEAN)
        }
        Err(why) => {
            errln!(
                "cfscrub token revoke: Cloudflare refused to delete {id}: {}",
                mask_text(&why.to_string())
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
    cfscrub::err!("Delete token {id}? Anything using it stops working. Type yes to confirm: ");
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(line.trim() == "yes")
}
