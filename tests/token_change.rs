//! End-to-end tests of `cfscrub token roll|revoke|audit` against the
//! in-process mock of the Cloudflare API (`tests/mock`): the exact requests
//! (no policy body on roll, nothing without confirmation on revoke), the
//! vault file, and no value in any output.

mod common;
mod mock;
use common::*;
use mock::cli::*;
use mock::{Mock, Reply};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;

#[test]
fn roll_puts_an_empty_body_and_stores_the_new_value_in_a_vault_file() {
    let mut planted = Planted::default();
    let mut g = FakeGen::new(18);
    let admin = planted.add(g.scannable("cfut_", true));
    let new = planted.add(g.scannable("cfut_", true));
    let reply_value = new.clone();
    let mock = Mock::start(move |_, _| Reply::ok(json!(reply_value)));
    let tree = Tree::new();
    let ran = run(token(
        &tree,
        &[
            "roll",
            "--id",
            TOKEN_ID,
            "--vault",
            "vault/new-token",
            "--admin-secret-env",
            "ADMIN",
            "--api-base",
            &mock.base,
        ],
    )
    .env("ADMIN", &admin));
    // The vault directory does not exist yet: the roll happened, storing failed.
    assert_eq!(ran.code, Some(2));
    no_leak(&planted, &ran);
    assert!(ran.stderr().contains("WAS rolled"), "{}", ran.stderr());

    std::fs::create_dir(tree.join("vault")).unwrap();
    let ran = run(token(
        &tree,
        &[
            "roll",
            "--id",
            TOKEN_ID,
            "--vault",
            "vault/new-token",
            "--admin-secret-env",
            "ADMIN",
            "--api-base",
            &mock.base,
        ],
    )
    .env("ADMIN", &admin))
    .expect(0);
    no_leak(&planted, &ran);
    let out = ran.stdout();
    assert!(
        out.contains("vault/new-token") && out.contains("gh secret set"),
        "{out}"
    );
    let stored = tree.join("vault/new-token");
    assert_eq!(
        std::fs::read_to_string(&stored).unwrap(),
        format!("{new}\n")
    );
    assert_eq!(
        std::fs::metadata(&stored).unwrap().permissions().mode() & 0o7777,
        0o600
    );
    let names: Vec<String> = std::fs::read_dir(tree.join("vault"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["new-token"], "no temp file left");
    planted.assert_absent("file names", names.join("/").as_bytes());
    for s in mock.seen() {
        assert_eq!(s.method, "PUT");
        assert_eq!(s.url, format!("/client/v4/user/tokens/{TOKEN_ID}/value"));
        assert_eq!(s.body, "{}", "never a policy list");
        assert_eq!(
            s.header("Authorization"),
            Some(format!("Bearer {admin}").as_str())
        );
    }
}

#[test]
fn roll_of_an_account_token_found_through_verify_uses_the_account_path() {
    let mut planted = Planted::default();
    let mut g = FakeGen::new(19);
    let leaked = planted.add(g.scannable("cfat_", true));
    let new = planted.add(g.scannable("cfat_", true));
    let reply_value = new.clone();
    let mock = Mock::start(move |s, _| {
        if s.path().ends_with("/verify") {
            verify_result("active")
        } else {
            Reply::ok(json!(reply_value))
        }
    });
    let tree = Tree::new();
    let ran = run(token(
        &tree,
        &[
            "roll",
            "--secret-env",
            "LEAKED",
            "--vault",
            "new",
            "--account-id",
            ACCOUNT,
            "--api-base",
            &mock.base,
            "--format",
            "json",
        ],
    )
    .env("LEAKED", &leaked))
    .expect(0);
    no_leak(&planted, &ran);
    let record = &json_lines(&ran.stdout)[0];
    assert_eq!(record["rolled"], TOKEN_ID);
    assert_eq!(record["scope"], "account");
    assert_eq!(
        record["by_leaked"], true,
        "authenticated by the leaked token itself"
    );
    assert_eq!(record["fingerprint"].as_str().map(str::len), Some(16));
    let seen = mock.seen();
    assert_eq!(
        seen[0].url,
        format!("/client/v4/accounts/{ACCOUNT}/tokens/verify")
    );
    assert_eq!(seen[1].method, "PUT");
    assert_eq!(
        seen[1].url,
        format!("/client/v4/accounts/{ACCOUNT}/tokens/{TOKEN_ID}/value")
    );
    assert_eq!(seen[1].body, "{}");
}

#[test]
fn revoke_without_confirmation_sends_nothing() {
    let mut planted = Planted::default();
    let admin = planted.add(FakeGen::new(20).scannable("cfut_", true));
    let mock = Mock::start(|_, _| Reply::ok(json!({"id": TOKEN_ID})));
    let tree = Tree::new();
    let ran = run(token(
        &tree,
        &[
            "revoke",
            "--id",
            TOKEN_ID,
            "--admin-secret-env",
            "ADMIN",
            "--api-base",
            &mock.base,
        ],
    )
    .env("ADMIN", &admin))
    .expect(2);
    no_leak(&planted, &ran);
    assert!(ran.stderr().contains("nothing sent"), "{}", ran.stderr());
    assert!(mock.seen().is_empty());
}

#[test]
fn revoke_with_yes_deletes_and_says_when_the_token_revoked_itself() {
    let mut planted = Planted::default();
    let leaked = planted.add(FakeGen::new(21).scannable("cfut_", true));
    let mock = Mock::start(|s, _| {
        if s.path().ends_with("/verify") {
            verify_result("active")
        } else {
            Reply::ok(json!({"id": TOKEN_ID}))
        }
    });
    let tree = Tree::new();
    let ran = run(token(
        &tree,
        &[
            "revoke",
            "--yes",
            "--secret-env",
            "LEAKED",
            "--api-base",
            &mock.base,
        ],
    )
    .env("LEAKED", &leaked))
    .expect(0);
    no_leak(&planted, &ran);
    assert!(ran.stdout().contains("revoked itself"), "{}", ran.stdout());
    let seen = mock.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].method, "DELETE");
    assert_eq!(seen[1].url, format!("/client/v4/user/tokens/{TOKEN_ID}"));
    assert_eq!(
        seen[1].header("Authorization"),
        Some(format!("Bearer {leaked}").as_str())
    );
}

#[test]
fn revoke_refused_by_cloudflare_is_an_error() {
    let mut planted = Planted::default();
    let admin = planted.add(FakeGen::new(22).scannable("cfut_", true));
    let mock =
        Mock::start(|_, _| Reply::error(403, 9109, "Unauthorized to access requested resource"));
    let tree = Tree::new();
    let ran = run(token(
        &tree,
        &[
            "revoke",
            "--yes",
            "--id",
            TOKEN_ID,
            "--admin-secret-env",
            "ADMIN",
            "--api-base",
            &mock.base,
        ],
    )
    .env("ADMIN", &admin))
    .expect(2);
    no_leak(&planted, &ran);
    assert!(ran.stderr().contains("9109"), "{}", ran.stderr());
}

#[test]
fn audit_follows_cursor_pages_and_keeps_the_tokens_entries() {
    let mut planted = Planted::default();
    let admin = planted.add(FakeGen::new(23).scannable("cfut_", true));
    let entry = |id: &str, time: &str, uri: &str| {
        json!({"id": "e", "action": {"time": time, "type": "update", "result": "success"},
               "actor": {"token_id": id, "ip_address": "203.0.113.7", "type": "user"},
               "raw": {"method": "PUT", "uri": uri, "status_code": 200, "user_agent": "curl/8"}})
    };
    let pages = [
        (
            vec![
                entry(
                    TOKEN_ID,
                    "2026-11-20T10:00:00Z",
                    "/client/v4/zones/z/dns_records/1",
                ),
                entry("other", "2026-11-20T11:00:00Z", "/x"),
            ],
            "c2",
        ),
        (
            vec![entry(
                TOKEN_ID,
                "2026-11-21T09:00:00Z",
                "/client/v4/accounts/a/workers/scripts/w",
            )],
            "",
        ),
    ];
    let mock = Mock::start(move |s, _| {
        if !s.path().ends_with("/logs/audit") {
            return details_reply();
        }
        let page = usize::from(s.query("cursor").as_deref() == Some("c2"));
        let (result, cursor) = &pages[page];
        Reply::json(
            200,
            json!({"success": true, "errors": [], "result": result, "result_info": {"cursor": cursor}}),
        )
    });
    let tree = Tree::new();
    let ran = run(token(
        &tree,
        &[
            "audit",
            "--id",
            TOKEN_ID,
            "--account-id",
            ACCOUNT,
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-25",
            "--admin-secret-env",
            "ADMIN",
            "--api-base",
            &mock.base,
            "--format",
            "json",
        ],
    )
    .env("ADMIN", &admin))
    .expect(1);
    no_leak(&planted, &ran);
    let lines = json_lines(&ran.stdout);
    assert_eq!(lines.len(), 3, "two events and a summary");
    assert_eq!(lines[0]["uri"], "/client/v4/zones/z/dns_records/1");
    assert_eq!(lines[1]["source_ip"], "203.0.113.7");
    assert!(lines[2]["summary"]["note"]
        .as_str()
        .unwrap()
        .contains("not reads"));
    assert_eq!(lines[2]["summary"]["last_used_on"], "2026-11-24T10:00:00Z");
    let seen = mock.seen();
    assert_eq!(seen.len(), 3, "two pages and the token's details");
    assert_eq!(seen[2].url, format!("/client/v4/user/tokens/{TOKEN_ID}"));
    for s in &seen[..2] {
        assert_eq!(
            s.path(),
            format!("/client/v4/accounts/{ACCOUNT}/logs/audit")
        );
        assert_eq!(s.query("since").as_deref(), Some("2026-11-01T00:00:00Z"));
        assert_eq!(s.query("before").as_deref(), Some("2026-11-25T00:00:00Z"));
    }
    assert_eq!(seen[1].query("cursor").as_deref(), Some("c2"));
}

#[test]
fn audit_human_output_states_that_reads_are_not_recorded() {
    let mut planted = Planted::default();
    let admin = planted.add(FakeGen::new(24).scannable("cfut_", true));
    let mock = Mock::start(|s, _| {
        if s.path().ends_with("/logs/audit") {
            Reply::ok(json!([]))
        } else {
            details_reply()
        }
    });
    let tree = Tree::new();
    let ran = run(token(
        &tree,
        &[
            "audit",
            "--id",
            TOKEN_ID,
            "--account-id",
            ACCOUNT,
            "--admin-secret-env",
            "ADMIN",
            "--api-base",
            &mock.base,
        ],
    )
    .env("ADMIN", &admin))
    .expect(0);
    no_leak(&planted, &ran);
    let out = ran.stdout();
    assert!(
        out.contains("0 change(s)") && out.contains("not reads"),
        "{out}"
    );
    assert!(
        out.contains("last used (Cloudflare's record, reads included): 2026-11-24T10:00:00Z"),
        "{out}"
    );
}

/// The token's details as an admin credential reads them.
fn details_reply() -> Reply {
    Reply::ok(
        json!({"id": TOKEN_ID, "name": "ci", "last_used_on": "2026-11-24T10:00:00Z", "policies": []}),
    )
}
