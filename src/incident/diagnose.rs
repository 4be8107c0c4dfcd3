//! Reading a CI or wrangler log for the first Cloudflare API error and
//! mapping it to its cause and the missing token permission.
//!
//! wrangler prints the failing request and its code on separate lines:
//! `✘ [ERROR] A request to the Cloudflare API (/accounts/…/d1/database/…) failed.`
//! then `not authorized [code: 7403]`. curl, Terraform debug logs and
//! scripts show the API's own JSON instead: `{"code":10000,"message":…}`.
//! Lines are read with ANSI colours and GitHub Actions timestamps
//! stripped; each code is paired with the API path on its line or the
//! nearest one above. The first error is the actionable one; later ones are
//! explained as follow-ons. Everything quoted from the log — the line and
//! the API path — goes through [`crate::mask::sanitize::mask_excerpt`], so a
//! credential in the log is never repeated.

use crate::incident::wrangler::{self, Permission};
use regex::Regex;
use serde::Serialize;
use std::io::BufRead;
use std::sync::OnceLock;

/// How far above a code's line its API path may stand.
const PATH_REACH: usize = 6;

/// One Cloudflare API error found in a log.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ApiError {
    /// 1-based line of the code.
    pub line: usize,
    /// The error code.
    pub code: u32,
    /// The API path that failed, when the log names it, with credentials
    /// masked.
    pub path: Option<String>,
    /// The log line, stripped and with credentials masked.
    pub quote: String,
}

/// `diagnose --format json`: the first error's diagnosis and the later ones.
#[derive(Debug, Serialize)]
pub struct DiagnoseDocument<'a> {
    /// The first Cloudflare API error, or `null`.
    pub first: Option<&'a Diagnosis>,
    /// The errors after it.
    pub follow_on: &'a [Diagnosis],
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
    /// Whether cfscrub knows what the error code means (not in the JSON:
    /// `diagnose`'s exit code says it).
    #[serde(skip)]
    pub known: bool,
}

struct Patterns {
    ansi: Regex,
    timestamp: Regex,
    /// wrangler's `[code: N]` or the API's JSON `"code": N` (4 to 6
    /// digits: Cloudflare's codes, not HTTP statuses).
    code: Regex,
    api_path: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        ansi: Regex::new(r"\x1b\[[0-9;?]*[ -/]*[@-~]").expect("valid"),
        timestamp: Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ").expect("valid"),
        code: Regex::new(r#"\[code: (\d+)\]|"code"\s*:\s*(\d{4,6})\b"#).expect("valid"),
        api_path: Regex::new(r"(/(?:accounts|zones|memberships|user)[A-Za-z0-9_./\-]*)")
            .expect("valid"),
    })
}

fn strip(line: &str) -> String {
    let p = patterns();
    let no_colour = p.ansi.replace_all(line, "");
    p.timestamp.replace(&no_colour, "").trim_end().to_string()
}

/// Finds every Cloudflare API error in a log, in order. The whole log is
/// also searched for wrangler's "User->User Details->Read" hint.
pub fn find_errors(reader: impl BufRead) -> std::io::Result<(Vec<ApiError>, bool)> {
    let p = patterns();
    let mut errors = Vec::new();
    let mut recent: Vec<(usize, String)> = Vec::new();
    let mut user_details_hint = false;
    for (i, line) in reader.split(b'\n').enumerate() {
        let line = strip(&String::from_utf8_lossy(&line?));
        let number = i + 1;
        if line.contains("User->User Details->Read") {
            user_details_hint = true;
        }
        let path_here = p
            .api_path
            .captures(&line)
            .map(|c| crate::mask::sanitize::mask_excerpt(c[1].trim_end_matches('.')));
        if let Some(path) = &path_here {
            recent.push((number, path.clone()));
            if recent.len() > PATH_REACH {
                recent.remove(0);
            }
        }
        let mut quote = None;
        for c in p.code.captures_iter(&line) {
            let digits = c.get(1).or_else(|| c.get(2)).expect("one group matches");
            let Ok(code) = digits.as_str().parse() else {
                continue;
            };
            let path = path_here.clone().or_else(|| {
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
                quote: quote
                    .get_or_insert_with(|| crate::mask::sanitize::mask_excerpt(&line))
                    .clone(),
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
    let mut known = true;
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
        10021 => (
            "the Worker script was rejected at upload: it failed validation or threw at startup (an error in the code or bundle, not a token permission)".into(),
            None,
            "read the script error printed with the code and reproduce it locally (npx wrangler deploy --dry-run, or wrangler dev)".into(),
        ),
        // No permission advice for a code whose meaning is unknown.
        _ => {
            known = false;
            ("an error code cfscrub does not know".into(), None, "see the Cloudflare API error reference".into())
        }
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
        known,
    }
}

/// Whether the diagnosis names a known cause.
pub fn is_known(d: &Diagnosis) -> bool {
    d.known
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_codes_with_the_path_above_and_masks_quotes() {
        let mut g = crate::fake::FakeGen::new(1);
        let token = g.scannable("cfut_", true);
        let log = format!(
            "2026-01-01T00:00:00.000Z \x1b[31m✘ [ERROR]\x1b[0m A request to the Cloudflare API (/accounts/abc/r2/buckets/assets) failed.\n\
             2026-01-01T00:00:00.001Z   Authentication error [code: 10000] token={token}\n\
             X [ERROR] A request to the Cloudflare API (/memberships) failed.\n  Authentication failed [code: 9106]\n"
        );
        let (errors, _) = find_errors(log.as_bytes()).unwrap();
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

    #[test]
    fn a_token_inside_the_api_path_is_masked() {
        let mut g = crate::fake::FakeGen::new(2);
        let token = g.scannable("cfat_", true);
        let legacy = g.legacy_token();
        let log = format!(
            "A request to the Cloudflare API (/accounts/{token}/d1/database/x) failed.\n  not authorized [code: 7403]\n\
             A request to the Cloudflare API (/user/tokens/{legacy}/value) failed.\n  Authentication error [code: 10000]\n"
        );
        let (errors, _) = find_errors(log.as_bytes()).unwrap();
        let paths: Vec<_> = errors.iter().map(|e| e.path.as_deref()).collect();
        assert_eq!(
            paths,
            [
                Some("/accounts/[REDACTED_CF_TOKEN]/d1/database/x"),
                Some("/user/tokens/[REDACTED_CF_TOKEN]/value")
            ]
        );
        // The permission is still read from the masked path.
        assert_eq!(
            explain(&errors[0], true, false)
                .missing_permission
                .as_deref(),
            Some("Account · D1 · Edit")
        );
    }

    #[test]
    fn unknown_codes_get_no_permission_advice() {
        let log = "A request to the Cloudflare API (/accounts/abc/d1/database/x) failed.\n  odd [code: 12345]\n";
        let (errors, _) = find_errors(log.as_bytes()).unwrap();
        let d = explain(&errors[0], true, false);
        assert!(!is_known(&d));
        assert_eq!(d.missing_permission, None);
    }

    #[test]
    fn code_10021_is_a_script_error_not_a_permission() {
        let log = "A request to the Cloudflare API (/accounts/abc/workers/scripts/api) failed.\n  \
                   Uncaught ReferenceError: x is not defined [code: 10021]\n";
        let (errors, _) = find_errors(log.as_bytes()).unwrap();
        let d = explain(&errors[0], true, false);
        assert!(is_known(&d), "{}", d.cause);
        assert!(d.cause.contains("script"), "{}", d.cause);
        assert_eq!(d.missing_permission, None);
    }

    #[test]
    fn raw_api_json_errors_are_recognised() {
        let log = "+ curl -s https://api.cloudflare.com/client/v4/accounts/abc/r2/buckets\n\
                   {\"success\":false,\"errors\":[{\"code\":10000,\"message\":\"Authentication error\"}],\"messages\":[],\"result\":null}\n\
                   {\n  \"errors\": [\n    {\n      \"code\": 9109,\n      \"message\": \"Unauthorized\"\n    }\n  ]\n}\n\
                   {\"status\": 200, \"code\": 404}\n";
        let (errors, _) = find_errors(log.as_bytes()).unwrap();
        let codes: Vec<_> = errors.iter().map(|e| (e.line, e.code)).collect();
        assert_eq!(codes, [(2, 10000), (6, 9109)]);
        let d = explain(&errors[0], true, false);
        assert_eq!(
            d.missing_permission.as_deref(),
            Some("Account · Workers R2 Storage · Edit")
        );
    }
}
