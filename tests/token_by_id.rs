//! `cfscrub token status --id` / `--r2-access-key-id`: a token looked up by
//! its id (an R2 access key id is that id) with the admin credential; and
//! `revoke --id`, where the leaked token only authenticates.

mod common;
mod mock;
use common::*;
use mock::{Mock, Reply};
use serde_json::json;

const KEY_ID: &str = "0123456789abcdef0123456789abcdef";
const ACCOUNT: &str = "fedcba9876543210fedcba9876543210";

fn lookup(mock: &Mock, admin: &str, extra: &[&str]) -> Ran {
    let tree = Tree::new();
    let mut args = vec![
        "token",
        "status",
        "--admin-secret-env",
        "ADMIN",
        "--api-base",
        &mock.base,
    ];
    args.extend_from_slice(extra);
    run(cfscrub()
        .current_dir(tree.path())
        .env_remove("CLOUDFLARE_ACCOUNT_ID")
        .env_remove("CFSCRUB_API_BASE")
        .env("ADMIN", admin)
        .args(&args))
}

#[test]
fn r2_access_key_id_maps_to_its_token_and_its_status() {
    let mut planted = Planted::default();
    let admin = planted.add(FakeGen::new(51).scannable("cfut_", true));
    let mock = Mock::start(|_, _| {
        Reply::ok(
            json!({"id": KEY_ID, "name": "r2 backup", "status": "active",
            "expires_on": "2027-03-01T00:00:00Z", "last_used_on": "2026-11-25T08:00:00Z",
            "policies": [{"effect": "allow", "resources": {"r": "*"}, "permission_groups": [{"name": "Workers R2 Storage Write"}]}]}),
        )
    });
    let ran = lookup(&mock, &admin, &["--r2-access-key-id", KEY_ID]).expect(1);
    planted.assert_absent("stdout", &ran.stdout);
    planted.assert_absent("stderr", &ran.stderr);
    let out = ran.stdout();
    assert!(
        out.contains(&format!("token {KEY_ID}")) && out.contains("ACTIVE"),
        "{out}"
    );
    assert!(
        out.contains("r2 backup") && out.contains("Workers R2 Storage Write"),
        "{out}"
    );
    let seen = mock.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].url, format!("/client/v4/user/tokens/{KEY_ID}"));
    assert_eq!(
        seen[0].header("Authorization"),
        Some(format!("Bearer {admin}").as_str())
    );
}

#[test]
fn account_owned_id_is_read_under_the_account_and_disabled_exits_0() {
    let mut planted = Planted::default();
    let admin = planted.add(FakeGen::new(52).scannable("cfut_", true));
    let mock = Mock::start(|_, _| Reply::ok(json!({"id": KEY_ID, "status": "disabled"})));
    let ran = lookup(
        &mock,
        &admin,
        &[
            "--id",
            KEY_ID,
            "--account-owned",
            "--account-id",
            ACCOUNT,
            "--format",
            "json",
        ],
    )
    .expect(0);
    planted.assert_absent("stdout", &ran.stdout);
    let line = &json_lines(&ran.stdout)[0];
    assert_eq!(line["status"], "disabled");
    assert_eq!(line["scope"], "account");
    assert_eq!(
        mock.seen()[0].url,
        format!("/client/v4/accounts/{ACCOUNT}/tokens/{KEY_ID}")
    );
}

#[test]
fn id_lookup_without_admin_credential_is_refused_before_sending() {
    let mock = Mock::start(|_, _| Reply::ok(json!({})));
    let tree = Tree::new();
    let ran = run(cfscrub()
        .current_dir(tree.path())
        .env_remove("CFSCRUB_API_BASE")
        .args(["token", "status", "--id", KEY_ID, "--api-base", &mock.base]))
    .expect(2);
    assert!(
        ran.stderr().contains("admin credential"),
        "{}",
        ran.stderr()
    );
    assert!(mock.seen().is_empty());
}

#[test]
fn an_id_that_could_change_the_url_path_is_refused() {
    let mock = Mock::start(|_, _| Reply::ok(json!({})));
    let ran = lookup(&mock, "x", &["--id", "../../accounts/x"]).expect(2);
    assert!(ran.stderr().contains("--id"), "{}", ran.stderr());
    assert!(mock.seen().is_empty());
}

#[test]
fn revoke_by_id_with_the_leaked_token_does_not_claim_it_revoked_itself() {
    let mut planted = Planted::default();
    let leaked = planted.add(FakeGen::new(53).scannable("cfut_", true));
    let mock = Mock::start(|_, _| Reply::ok(json!({"id": KEY_ID})));
    let tree = Tree::new();
    let ran = run(cfscrub()
        .current_dir(tree.path())
        .env_remove("CFSCRUB_API_BASE")
        .env("LEAKED", &leaked)
        .args([
            "token",
            "revoke",
            "--yes",
            "--id",
            KEY_ID,
            "--secret-env",
            "LEAKED",
            "--api-base",
            &mock.base,
        ]))
    .expect(0);
    planted.assert_absent("stdout", &ran.stdout);
    planted.assert_absent("stderr", &ran.stderr);
    let out = ran.stdout();
    assert!(
        out.contains("authenticated by the leaked token") && !out.contains("itself"),
        "{out}"
    );
    let seen = mock.seen();
    assert_eq!(seen.len(), 1, "no verify: the id was given");
    assert_eq!(seen[0].method, "DELETE");
    assert_eq!(
        seen[0].header("Authorization"),
        Some(format!("Bearer {leaked}").as_str())
    );
}
