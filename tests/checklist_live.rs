//! `cfscrub checklist --live`: the leaked token's live status from the
//! mock Cloudflare API (`tests/mock`) decides the checklist's first steps;
//! without `--live` (and in every command but `token`) nothing is sent.

mod common;
mod mock;
use common::*;
use mock::{Mock, Reply};
use serde_json::json;

fn checklist_live(mock: &Mock, value: &str, format: &str) -> Ran {
    let tree = Tree::new();
    run(cfscrub()
        .current_dir(tree.path())
        .env_remove("CLOUDFLARE_ACCOUNT_ID")
        .env_remove("CFSCRUB_API_BASE")
        .env("LEAKED", value)
        .args([
            "checklist",
            "--live",
            "--secret-env",
            "LEAKED",
            "--format",
            format,
            "--api-base",
            &mock.base,
        ]))
}

#[test]
fn checklist_live_puts_revoke_now_before_minting_for_a_live_token() {
    let mut planted = Planted::default();
    let value = planted.add(FakeGen::new(31).scannable("cfut_", true));
    let mock = Mock::start(|_, _| Reply::ok(json!({"id": "abc", "status": "active"})));
    let ran = checklist_live(&mock, &value, "human").expect(0);
    planted.assert_absent("stdout", &ran.stdout);
    planted.assert_absent("stderr", &ran.stderr);
    let out = ran.stdout();
    let revoke = out.find("revoke it NOW").expect("revoke step");
    let roll = out.find("cfscrub token roll").expect("roll alternative");
    let mint = out.find("Mint a NEW token").expect("mint step");
    assert!(revoke < mint && roll < mint, "{out}");
    assert_eq!(mock.seen().len(), 1);
    assert_eq!(mock.seen()[0].url, "/client/v4/user/tokens/verify");
}

#[test]
fn checklist_live_with_an_invalid_token_only_reports_its_status() {
    let mut planted = Planted::default();
    let value = planted.add(FakeGen::new(32).scannable("cfut_", true));
    let mock = Mock::start(|_, _| Reply::error(401, 1000, "Invalid API Token"));
    let ran = checklist_live(&mock, &value, "json").expect(0);
    planted.assert_absent("stdout", &ran.stdout);
    let doc: serde_json::Value = serde_json::from_slice(&ran.stdout).unwrap();
    let first = &doc["sections"][0];
    assert_eq!(first["title"], "Live status (Cloudflare)");
    assert!(first["steps"][0]["text"]
        .as_str()
        .unwrap()
        .contains("INVALID"));
    assert_eq!(
        first["steps"].as_array().unwrap().len(),
        1,
        "no revoke-now step"
    );
}

#[test]
fn checklist_live_failure_is_reported_and_exits_2() {
    let mut planted = Planted::default();
    let value = planted.add(FakeGen::new(33).scannable("cfut_", true));
    let mock = Mock::start(|_, _| Reply::raw(200, "not json"));
    let ran = checklist_live(&mock, &value, "human").expect(2);
    planted.assert_absent("stdout", &ran.stdout);
    planted.assert_absent("stderr", &ran.stderr);
    assert!(
        ran.stdout().contains("live check failed"),
        "{}",
        ran.stdout()
    );
}

#[test]
fn no_network_outside_token_subcommands_and_checklist_live() {
    // Every other command runs with a proxy that would record a request.
    let mock = Mock::start(|_, _| Reply::raw(200, "{}"));
    let tree = Tree::new();
    tree.write("a.txt", "nothing here\n");
    run(cfscrub()
        .current_dir(tree.path())
        .env("HTTPS_PROXY", &mock.base)
        .args(["scan", "."]))
    .expect(0);
    // checklist with a leaked value and the API base set: no --live, no request.
    let value = FakeGen::new(26).scannable("cfut_", true);
    run(cfscrub()
        .current_dir(tree.path())
        .env("HTTPS_PROXY", &mock.base)
        .env("CFSCRUB_API_BASE", &mock.base)
        .env("LEAKED", &value)
        .args(["checklist", "--secret-env", "LEAKED"]))
    .expect(0);
    assert!(mock.seen().is_empty());
}
