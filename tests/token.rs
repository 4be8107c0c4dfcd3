//! End-to-end tests of `cfscrub token status|roll|revoke|audit` against an
//! in-process mock of the Cloudflare API on 127.0.0.1 (`tests/mock`). Each
//! test checks the exact requests sent and that no output holds a value.

mod common;
mod mock;
use common::*;
use mock::cli::*;
use mock::{Mock, Reply};
use serde_json::json;
use std::time::{Duration, Instant};

/// A status run of one `cfut_` token given through the environment.
fn status_of(mock: &Mock, value: &str, extra: &[&str]) -> Ran {
    let tree = Tree::new();
    let mut args = vec!["status", "--secret-env", "LEAKED", "--api-base", &mock.base];
    args.extend_from_slice(extra);
    run(token(&tree, &args).env("LEAKED", value))
}

#[test]
fn status_active_user_token_exits_1_and_sends_it_only_in_authorization() {
    let mut planted = Planted::default();
    let value = planted.add(FakeGen::new(1).scannable("cfut_", true));
    let mock = Mock::start(|_, _| verify_result("active"));
    let ran = status_of(&mock, &value, &[]).expect(1);
    no_leak(&planted, &ran);
    let out = ran.stdout();
    assert!(out.contains("ACTIVE"), "{out}");
    assert!(out.contains(TOKEN_ID), "{out}");
    assert!(out.contains("fp:"), "{out}");
    let seen = mock.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].url, "/client/v4/user/tokens/verify");
    assert_eq!(
        seen[0].header("Authorization"),
        Some(format!("Bearer {value}").as_str())
    );
    planted.assert_absent(
        "request outside Authorization",
        seen[0].without("Authorization").as_bytes(),
    );
}

#[test]
fn status_disabled_and_expired_tokens_are_not_live_exit_0() {
    for word in ["disabled", "expired"] {
        let mut planted = Planted::default();
        let value = planted.add(FakeGen::new(2).scannable("cfut_", true));
        let mock = Mock::start(move |_, _| verify_result(word));
        let ran = status_of(&mock, &value, &["--format", "json"]).expect(0);
        no_leak(&planted, &ran);
        let lines = json_lines(&ran.stdout);
        assert_eq!(lines[0]["status"], word);
        assert_eq!(lines[0]["token_id"], TOKEN_ID);
        assert_eq!(lines[0]["kind"], "user-token");
    }
}

#[test]
fn status_invalid_token_code_1000_is_invalid_exit_0() {
    let mut planted = Planted::default();
    let value = planted.add(FakeGen::new(3).scannable("cfut_", true));
    let mock = Mock::start(|_, _| Reply::error(401, 1000, "Invalid API Token"));
    let ran = status_of(&mock, &value, &["--format", "json"]).expect(0);
    no_leak(&planted, &ran);
    let lines = json_lines(&ran.stdout);
    assert_eq!(lines[0]["status"], "invalid");
    assert!(lines[0]["why"].as_str().unwrap().contains("1000"));
}

#[test]
fn status_account_token_uses_the_account_verify_endpoint() {
    let mut planted = Planted::default();
    let value = planted.add(FakeGen::new(4).scannable("cfat_", true));
    let mock = Mock::start(|_, _| verify_result("active"));
    let tree = Tree::new();
    let ran = run(token(
        &tree,
        &["status", "--secret-env", "LEAKED", "--api-base", &mock.base],
    )
    .env("LEAKED", &value)
    .env("CLOUDFLARE_ACCOUNT_ID", ACCOUNT))
    .expect(1);
    no_leak(&planted, &ran);
    let seen = mock.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].url,
        format!("/client/v4/accounts/{ACCOUNT}/tokens/verify")
    );
}

#[test]
fn status_account_token_without_account_id_is_unknown_and_sends_nothing() {
    let mut planted = Planted::default();
    let value = planted.add(FakeGen::new(5).scannable("cfat_", true));
    let mock = Mock::start(|_, _| verify_result("active"));
    let ran = status_of(&mock, &value, &[]).expect(0);
    no_leak(&planted, &ran);
    assert!(ran.stdout().contains("UNKNOWN"), "{}", ran.stdout());
    assert!(ran.stdout().contains("--account-id"));
    assert!(mock.seen().is_empty());
}

#[test]
fn status_account_id_comes_from_the_wrangler_config() {
    let mut planted = Planted::default();
    let value = planted.add(FakeGen::new(6).scannable("cfat_", true));
    let mock = Mock::start(|_, _| verify_result("active"));
    let tree = Tree::new();
    tree.write(
        "wrangler.toml",
        format!("name = \"w\"\naccount_id = \"{ACCOUNT}\"\n"),
    );
    let ran = run(token(
        &tree,
        &["status", "--secret-env", "LEAKED", "--api-base", &mock.base],
    )
    .env("LEAKED", &value))
    .expect(1);
    no_leak(&planted, &ran);
    assert_eq!(
        mock.seen()[0].path(),
        format!("/client/v4/accounts/{ACCOUNT}/tokens/verify")
    );
}

#[test]
fn status_global_api_key_sends_x_auth_key_and_email_to_user() {
    let mut planted = Planted::default();
    let value = planted.add(FakeGen::new(7).scannable("cfk_", true));
    let mock = Mock::start(|_, _| Reply::ok(json!({"id": "u1", "email": "ops@example.com"})));
    let ran = status_of(&mock, &value, &["--email", "ops@example.com"]).expect(1);
    no_leak(&planted, &ran);
    let seen = mock.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].url, "/client/v4/user");
    assert_eq!(seen[0].header("X-Auth-Key"), Some(value.as_str()));
    assert_eq!(seen[0].header("X-Auth-Email"), Some("ops@example.com"));
    assert_eq!(seen[0].header("Authorization"), None);
    planted.assert_absent(
        "request outside X-Auth-Key",
        seen[0].without("X-Auth-Key").as_bytes(),
    );
}

#[test]
fn status_rejected_global_api_key_code_9103_is_invalid() {
    let mut planted = Planted::default();
    let value = planted.add(FakeGen::new(8).hex(37));
    let mock = Mock::start(|_, _| Reply::error(403, 9103, "Unknown X-Auth-Key or X-Auth-Email"));
    let ran = status_of(
        &mock,
        &value,
        &["--email", "ops@example.com", "--format", "json"],
    )
    .expect(0);
    no_leak(&planted, &ran);
    assert_eq!(json_lines(&ran.stdout)[0]["status"], "invalid");
}

#[test]
fn status_waits_for_retry_after_on_429_then_succeeds() {
    let mut planted = Planted::default();
    let value = planted.add(FakeGen::new(9).scannable("cfut_", true));
    let mock = Mock::start(|_, n| {
        if n == 0 {
            Reply::error(429, 971, "rate limited").header("Retry-After", "1")
        } else {
            verify_result("active")
        }
    });
    let start = Instant::now();
    let ran = status_of(&mock, &value, &[]).expect(1);
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    no_leak(&planted, &ran);
    assert_eq!(mock.seen().len(), 2);
}

#[test]
fn status_retries_a_500_then_succeeds() {
    let mut planted = Planted::default();
    let value = planted.add(FakeGen::new(10).scannable("cfut_", true));
    let mock = Mock::start(|_, n| {
        if n == 0 {
            Reply::raw(500, "oops")
        } else {
            verify_result("active")
        }
    });
    let ran = status_of(&mock, &value, &[]).expect(1);
    no_leak(&planted, &ran);
    assert_eq!(mock.seen().len(), 2);
}

#[test]
fn status_gives_up_after_bounded_5xx_retries_exit_2() {
    let mut planted = Planted::default();
    let value = planted.add(FakeGen::new(11).scannable("cfut_", true));
    let mock = Mock::start(|_, _| Reply::raw(503, "down"));
    let ran = status_of(&mock, &value, &[]).expect(2);
    no_leak(&planted, &ran);
    assert!(ran.stderr().contains("HTTP 503"), "{}", ran.stderr());
    assert_eq!(mock.seen().len(), 4);
}

#[test]
fn status_timeout_is_a_clear_error_exit_2() {
    let mut planted = Planted::default();
    let value = planted.add(FakeGen::new(12).scannable("cfut_", true));
    let mock = Mock::start(|_, _| {
        let mut r = verify_result("active");
        r.delay = Duration::from_secs(5);
        r
    });
    let start = Instant::now();
    let ran = status_of(&mock, &value, &["--timeout", "1"]).expect(2);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "the timeout cut the wait"
    );
    no_leak(&planted, &ran);
    assert!(ran.stderr().contains("timed out"), "{}", ran.stderr());
}

#[test]
fn status_connection_refused_is_a_network_error_exit_2() {
    let mut planted = Planted::default();
    let value = planted.add(FakeGen::new(25).scannable("cfut_", true));
    // A port that was just free: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let tree = Tree::new();
    let base = format!("http://127.0.0.1:{port}");
    let ran = run(token(
        &tree,
        &["status", "--secret-env", "LEAKED", "--api-base", &base],
    )
    .env("LEAKED", &value))
    .expect(2);
    no_leak(&planted, &ran);
    assert!(ran.stderr().contains("network error"), "{}", ran.stderr());
}

#[test]
fn status_malformed_json_is_an_error_exit_2() {
    let mut planted = Planted::default();
    let value = planted.add(FakeGen::new(13).scannable("cfut_", true));
    let mock = Mock::start(|_, _| Reply::raw(200, "<html>not json"));
    let ran = status_of(&mock, &value, &[]).expect(2);
    no_leak(&planted, &ran);
    assert!(
        ran.stderr().contains("not the expected JSON"),
        "{}",
        ran.stderr()
    );
}

#[test]
fn status_with_admin_credential_prints_name_dates_and_policies() {
    let mut planted = Planted::default();
    let mut g = FakeGen::new(14);
    let value = planted.add(g.scannable("cfut_", true));
    let admin = planted.add(g.scannable("cfut_", true));
    let mock = Mock::start(|s, _| {
        if s.path().ends_with("/verify") {
            verify_result("active")
        } else {
            Reply::ok(json!({
                "id": TOKEN_ID, "name": "ci deploy", "status": "active",
                "issued_on": "2026-01-02T00:00:00Z", "last_used_on": "2026-11-24T10:00:00Z",
                "policies": [{"effect": "allow", "resources": {"com.cloudflare.api.account.x": "*"},
                  "permission_groups": [{"id": "a", "name": "Workers Scripts Write"}, {"id": "b", "name": "API Tokens Write"}]}]
            }))
        }
    });
    let tree = Tree::new();
    let ran = run(token(
        &tree,
        &[
            "status",
            "--secret-env",
            "LEAKED",
            "--admin-secret-env",
            "ADMIN",
            "--api-base",
            &mock.base,
        ],
    )
    .env("LEAKED", &value)
    .env("ADMIN", &admin))
    .expect(1);
    no_leak(&planted, &ran);
    let out = ran.stdout();
    assert!(
        out.contains("ci deploy") && out.contains("last used 2026-11-24T10:00:00Z"),
        "{out}"
    );
    assert!(out.contains("Workers Scripts Write"), "{out}");
    assert!(out.contains("can revoke or roll itself"), "{out}");
    let seen = mock.seen();
    assert_eq!(seen[1].url, format!("/client/v4/user/tokens/{TOKEN_ID}"));
    assert_eq!(
        seen[1].header("Authorization"),
        Some(format!("Bearer {admin}").as_str())
    );
}

#[test]
fn status_scans_paths_with_the_scan_engine() {
    let mut planted = Planted::default();
    let mut g = FakeGen::new(15);
    let value = planted.add(g.scannable("cfut_", true));
    let mock = Mock::start(|_, _| verify_result("active"));
    let tree = Tree::new();
    tree.write(
        "ci/log.txt",
        format!("step 1\nexport CLOUDFLARE_API_TOKEN={value}\n"),
    );
    tree.write(".env", format!("CLOUDFLARE_API_TOKEN={value}\n"));
    let ran = run(&mut token(
        &tree,
        &["status", ".", "--api-base", &mock.base],
    ))
    .expect(1);
    no_leak(&planted, &ran);
    let out = ran.stdout();
    assert!(
        out.contains("ci/log.txt:2") && out.contains(".env:1"),
        "{out}"
    );
    assert_eq!(mock.seen().len(), 1, "one request per distinct value");
}

#[test]
fn non_loopback_base_is_refused_and_nothing_is_sent() {
    let mut planted = Planted::default();
    let value = planted.add(FakeGen::new(16).scannable("cfut_", true));
    // The mock doubles as a proxy: a request that went anywhere through
    // HTTPS_PROXY/HTTP_PROXY would reach it.
    let mock = Mock::start(|_, _| verify_result("active"));
    for base in [
        "http://example.com",
        "https://10.0.0.1",
        "http://localhost:1",
        "https://api.cloudflare.com.example.net",
    ] {
        let tree = Tree::new();
        let ran = run(token(
            &tree,
            &["status", "--secret-env", "LEAKED", "--api-base", base],
        )
        .env("LEAKED", &value)
        .env("HTTPS_PROXY", &mock.base)
        .env("HTTP_PROXY", &mock.base))
        .expect(2);
        no_leak(&planted, &ran);
        assert!(ran.stderr().contains("refused"), "{}", ran.stderr());
    }
    assert!(mock.seen().is_empty());
}

#[test]
fn offline_refuses_all_network_use() {
    let mut planted = Planted::default();
    let value = planted.add(FakeGen::new(17).scannable("cfut_", true));
    let mock = Mock::start(|_, _| verify_result("active"));
    let ran = status_of(&mock, &value, &["--offline"]).expect(2);
    no_leak(&planted, &ran);
    assert!(ran.stderr().contains("--offline"), "{}", ran.stderr());
    assert!(mock.seen().is_empty());
}
