//! What the `token` test files share: the ids the mock answers with, the
//! command in a clean environment, the no-leak check.

use super::Reply;
use crate::common::*;
use serde_json::json;

/// A token id (32 hex) the mock answers with.
pub const TOKEN_ID: &str = "0123456789abcdef0123456789abcdef";
/// An account id (32 hex).
pub const ACCOUNT: &str = "fedcba9876543210fedcba9876543210";

/// `cfscrub token ARGS…` in an empty directory, with nothing from the
/// environment that could change where requests go.
pub fn token(tree: &Tree, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = cfscrub();
    cmd.current_dir(tree.path())
        .env_remove("CLOUDFLARE_ACCOUNT_ID")
        .env_remove("CLOUDFLARE_EMAIL")
        .env_remove("CFSCRUB_API_BASE")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .arg("token")
        .args(args);
    cmd
}

/// Checks stdout and stderr for every planted value.
pub fn no_leak(planted: &Planted, ran: &Ran) {
    planted.assert_absent("stdout", &ran.stdout);
    planted.assert_absent("stderr", &ran.stderr);
}

/// A verify reply with `status`, for [`TOKEN_ID`].
pub fn verify_result(status: &str) -> Reply {
    Reply::ok(json!({"id": TOKEN_ID, "status": status, "expires_on": "2027-01-01T00:00:00Z"}))
}
