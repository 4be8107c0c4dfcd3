//! Reading a CI or wrangler log for the first Cloudflare API error and
//! mapping it to its cause and the missing token permission.
//!
//! wrangler prints the failing request and its code on separate lines:
//! `✘ [ERROR] A request to the Cloudflare API (/accounts/…/d1/database/…) failed.`
//! then `not authorized [code: 7403]`. Lines are read with ANSI colours and
//! GitHub Actions timestamps stripped; each `[code: N]` is paired with the
//! API path on its line or the nearest one above. The first error is the
//! actionable one; later ones are explained as follow-ons. Quoted lines go
//! through the masker, so a credential in the log is never repeated.

use crate::detect::Detector;
use crate::wrangler::{self, Permission};
use regex::Regex;
use serde::Serialize;
use std::io::BufRead;
use std::sync::OnceLock;

/// How far above a `[code: N]` line its API path may stand.
const PATH_REACH: usize = 6;

/// One Cloudflare API error found in a log.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ApiError {
    /// 1-based line of the `[code: N]`.
    pub line: usize,
    /// The error code.
    pub code: u32,
    /// The API path that failed, when the log names it.
    pub path: Option<String>,
    /// The log line, stripped and with credentials masked.
    pub quote: String,
}

/// What an error means.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Diagnosis {
    /// The error.
    pub error: ApiError,
    /// The likely cause.
    pub cause: String,
    /// The permission the token lacks, when that is the cause.
    pub missing_permission: Option<String>,
    /// What to do.
    pub fix: String,
}

fn regexes() -> &'static (Regex, Regex, Regex, Regex) {
    static R: OnceLock<(Regex, Regex, Regex, Regex)> = OnceLock::new();
    R.get_or_init(|| {
        (
            Regex::new(r"\x1b\[[0-9;?]*[ -/]*[@-~]").expect("valid"),
            Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ").expect("valid"),
            Regex::new(r"\[code: (\d+)\]").expect("valid"),
            Regex::new(r"(/(?:accounts|zones|memberships|user)[A-Za-z0-9_./\-]*)").expect("valid"),
        )
    })
}

fn strip(line: &str) -> String {
    let (ansi, stamp, _, _) = regexes();
    let no_colour = ansi.replace_all(line, "");
    stamp.replace(&no_colour, "").trim_end().to_string()
}

fn mask(detector: &Detector, replacement: &crate::rewrite::Replacement, text: &str) -> String {
    let mut out = Vec::new();
    crate::mask::mask_stream(detector, replacement, &mut text.as_bytes(), &mut out)
        .expect("masking memory cannot fail");
    String::from_utf8_lossy(&out).into_owned()
}

/// Finds every Cloudflare API error in a log, in order. The whole log is
/// also searched for wrangler's "User->User Details->Read" hint.
pub fn find_errors(
    reader: impl BufRead,
    detector: &Detector,
) -> std::io::Result<(Vec<ApiError>, bool)> {
    let (_, _, code_re, path_re) = regexes();
    let replacement =
        crate::rewrite::Replacement::new(crate::rewrite::DEFAULT_REPLACEMENT, detector)
            .expect("the default marker is never detected");
    let mut errors = Vec::new();
    let mut recent: Vec<(usize, String)> = Vec::new();
    let mut user_details_hint = false;
    for (i, line) in reader.split(b'\n').enumerate() {
        let line = strip(&String::from_utf8_lossy(&line?));
        let number = i + 1;
        if line.contains("User->User Details->Read") {
            user_details_hint = true;
        }
        let path_here = path_re
            .captures(&line)
            .map(|c| c[1].trim_end_matches('.').to_string());
        if let Some(p) = &path_here {
            recent.push((number, p.clone()));
            if recent.len() > PATH_REACH {
                recent.remove(0);
            }
        }
        if let Some(c) = code_re.captures(&line) {
            let Ok(code) = c[1].parse() else { continue };
            let path = path_here.or_else(|| {
                recent
                    .iter()
                    .rev()
                    .find(|(n, _)| number - n <= PATH_REACH)
                    .map(|(_, p)| p.clone())
            });
            errors.push(ApiError {
                line: number,
                code,
                path,
                quote: mask(detector, &replacement, &line),
            });
        }
    }
    Ok((errors, user_details_hint))
}

fn permission_for_path(path: &str) -> Option<Permission> {
    const BY_PATH: &[(&str, Permission)] = &[
        ("/r2/", wrangler::R2),
        ("/d1/", wrangler::D1),
        ("/workers/scripts", wrangler::WORKERS_SCRIPTS),
        ("/storage/kv/", wrangler::KV),
        ("/queues", wrangler::QUEUES),
        ("/vectorize", wrangler::VECTORIZE),
        ("/hyperdrive", wrangler::HYPERDRIVE),
        ("/pages/", wrangler::PAGES),
        ("/workers/routes", wrangler::ROUTES),
        ("/browser-rendering", wrangler::BROWSER),
        ("/ai/", wrangler::WORKERS_AI),
    ];
    BY_PATH
        .iter()
        .find(|(needle, _)| path.contains(needle))
        .map(|(_, p)| *p)
}

/// Explains one error; `first` says whether it is the first in the log.
pub fn explain(error: &ApiError, first: bool, user_details_hint: bool) -> Diagnosis {
    let path = error.path.as_deref().unwrap_or("");
    let memberships = path.starts_with("/memberships");
    let perm = permission_for_path(path);
    let (cause, missing, fix): (String, Option<Permission>, String) = match error.code {
        10000 if memberships && user_details_hint => (
            "wrangler is resolving the account through /memberships, which the token may not read".into(),
            None,
            "set CLOUDFLARE_ACCOUNT_ID in the CI environment (and pin the wrangler version) instead of widening the token".into(),
        ),
        10000 if perm.is_some() => (
            "authentication error on this resource: the token most likely lacks its permission (if it fails everywhere, it is invalid or revoked: verify it)".into(),
            perm,
            "mint a new token with this permission added (every scope at creation; never PUT /user/tokens/{id}): cfscrub checklist --wrangler wrangler.jsonc".into(),
        ),
        7403 if perm.is_some() => (
            "the token is valid but lacks the permission for this resource".into(),
            perm,
            "mint a new token with this permission added (every scope at creation; never PUT /user/tokens/{id}): cfscrub checklist --wrangler wrangler.jsonc".into(),
        ),
        10000 => (
            "authentication failed: the token is invalid, expired or revoked, or lacks a scope (a PUT /user/tokens/{id} that dropped scopes answers success)".into(),
            None,
            "verify the token (GET /client/v4/user/tokens/verify; account tokens: /accounts/<id>/tokens/verify) and mint a new one if it is not active".into(),
        ),
        7403 => (
            "the token is valid but not authorized for this account or service (wrong account id, or a missing permission)".into(),
            None,
            "check CLOUDFLARE_ACCOUNT_ID and the token's account resources".into(),
        ),
        9106 if memberships => (
            if first {
                "the token cannot list account memberships".into()
            } else {
                "a follow-on of the first failure: wrangler fell back to looking the account up".into()
            },
            Some(wrangler::ACCOUNT_SETTINGS),
            "set CLOUDFLARE_ACCOUNT_ID so wrangler skips the lookup (or grant Account Settings · Read)".into(),
        ),
        9106 => ("authentication failed or auth headers missing".into(), None, "check that CLOUDFLARE_API_TOKEN is set in this step".into()),
        9109 => ("unauthorized to access the resource, or an invalid access token".into(), perm, "verify the token and its resources".into()),
        1000 => ("invalid API token".into(), None, "the value is wrong, truncated or revoked: mint a new token".into()),
        9103 => ("unknown X-Auth-Key or X-Auth-Email".into(), None, "check the Global API Key / e-mail pair, or better move to a scoped API token".into()),
        6003 | 6111 | 6103 => (
            "invalid request headers: a malformed or mis-pasted credential (a stray newline, quote or space)".into(),
            None,
            "re-store the secret without surrounding whitespace: cfscrub vault store".into(),
        ),
        7000 | 7003 => ("no route for that URL: a wrong account or zone id".into(), None, "check account_id / CLOUDFLARE_ACCOUNT_ID and the zone".into()),
        _ => ("an error code cfscrub does not know".into(), perm, "see the Cloudflare API error reference".into()),
    };
    let cause = if !first && error.code != 9106 {
        format!("{cause} (after an earlier failure: often a consequence of it)")
    } else {
        cause
    };
    Diagnosis {
        error: error.clone(),
        cause,
        missing_permission: missing.map(|p| p.to_string()),
        fix,
    }
}

/// Whether any diagnosis names a known cause.
pub fn is_known(d: &Diagnosis) -> bool {
    !d.cause.starts_with("an error code cfscrub does not know")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::KnownSecrets;

    #[test]
    fn pairs_codes_with_the_path_above_and_masks_quotes() {
        let mut g = crate::fake::FakeGen::new(1);
        let token = g.scannable("cfut_", true);
        let log = format!(
            "2026-01-01T00:00:00.000Z \x1b[31m✘ [ERROR]\x1b[0m A request to the Cloudflare API (/accounts/abc/r2/buckets/assets) failed.\n\
             2026-01-01T00:00:00.001Z   Authentication error [code: 10000] token={token}\n\
             X [ERROR] A request to the Cloudflare API (/memberships) failed.\n  Authentication failed [code: 9106]\n"
        );
        let det = Detector::new(&KnownSecrets::new());
        let (errors, _) = find_errors(log.as_bytes(), &det).unwrap();
        assert_eq!(errors.len(), 2);
        assert_eq!(
            errors[0].path.as_deref(),
            Some("/accounts/abc/r2/buckets/assets")
        );
        assert!(errors[0]
            .quote
            .starts_with("  Authentication error [code: 10000] token=[REDACTED_CF_TOKEN]"));
        let d = explain(&errors[0], true, false);
        assert_eq!(
            d.missing_permission.as_deref(),
            Some("Account · Workers R2 Storage · Edit")
        );
        let follow = explain(&errors[1], false, false);
        assert!(follow.cause.contains("follow-on"));
    }
}
