//! End-to-end tests of `.cfscrub.toml` and the baseline, on `scan`,
//! `verify` and `redact`.

mod common;
use common::*;

/// A fingerprint as `scan` prints it, for the token planted alone in `rel`.
fn fingerprint_of(t: &Tree, rel: &str) -> String {
    let ran = run(cfscrub()
        .args(["scan", "--no-config", "--format", "json"])
        .arg(t.join(rel)));
    let found = findings(&ran.stdout);
    assert_eq!(found.len(), 1, "one finding expected in {rel}");
    found[0]["fingerprint"]
        .as_str()
        .expect("fingerprinted")
        .to_string()
}

#[test]
fn config_is_found_upward_and_its_excludes_apply() {
    let t = Tree::new();
    let mut g = FakeGen::new(160);
    let mut planted = Planted::default();
    let token = planted.add(g.scannable("cfut_", true));
    t.write("proj/fixtures/a.log", format!("t={token}\n"));
    t.write("proj/src/b.log", format!("t={token}\n"));
    t.write("proj/.cfscrub.toml", "exclude = [\"a.log\"]\n");
    let ran = run(cfscrub()
        .args(["scan", "--format", "json"])
        .arg(t.join("proj/src"))
        .arg(t.join("proj/fixtures")))
    .expect(1);
    let found = findings(&ran.stdout);
    assert_eq!(found.len(), 1);
    assert!(found[0]["path"].as_str().unwrap().ends_with("b.log"));
    planted.assert_absent("scan stdout", &ran.stdout);
    planted.assert_absent("scan stderr", &ran.stderr);
    // Never applied silently: stderr names the file (-q drops the line).
    assert!(
        ran.stderr().contains("settings from ")
            && ran.stderr().contains("proj/.cfscrub.toml (1 exclude(s)"),
        "{}",
        ran.stderr()
    );
    let quiet = run(cfscrub().args(["scan", "-q"]).arg(t.join("proj/src"))).expect(1);
    assert!(
        !quiet.stderr().contains("settings from"),
        "{}",
        quiet.stderr()
    );
    // --no-config ignores it.
    let all = run(cfscrub()
        .args(["scan", "--no-config", "--format", "json"])
        .arg(t.join("proj")))
    .expect(1);
    assert_eq!(findings(&all.stdout).len(), 2);
}

#[test]
fn allowed_fingerprints_are_not_reported_verified_or_redacted() {
    let t = Tree::new();
    let mut g = FakeGen::new(161);
    let mut planted = Planted::default();
    let fake = planted.add(g.scannable("cfut_", true));
    let real = planted.add(g.scannable("cfat_", true));
    t.write("fixture.txt", format!("t={fake}\n"));
    let fp = fingerprint_of(&t, "fixture.txt");
    let log = t.write("app.log", format!("a={fake}\nb={real}\n"));
    let config = t.write("settings.toml", format!("allow = [\"{fp}\"]\n"));
    let scan = run(cfscrub()
        .args(["scan", "--format", "json", "--config"])
        .arg(&config)
        .arg(&log))
    .expect(1);
    let found = findings(&scan.stdout);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["kind"], "cloudflare-account-token");
    run(cfscrub()
        .args(["redact", "--config"])
        .arg(&config)
        .arg(&log))
    .expect(0);
    let after = std::fs::read_to_string(&log).unwrap();
    assert!(after.contains(&fake), "the allowed fake is left in place");
    assert!(!after.contains(&real), "the other token is redacted");
    let verify = run(cfscrub()
        .args(["verify", "--config"])
        .arg(&config)
        .arg(&log))
    .expect(0);
    planted.assert_absent("scan stdout", &scan.stdout);
    planted.assert_absent("verify stderr", &verify.stderr);
    // Without the config the fake is still a finding.
    run(cfscrub().args(["verify", "--no-config"]).arg(&log)).expect(1);
}

#[test]
fn extra_keywords_find_values_after_the_users_word() {
    let t = Tree::new();
    let mut g = FakeGen::new(162);
    let mut planted = Planted::default();
    let legacy = planted.add(g.legacy_token());
    t.write("deploy.env", format!("DEPLOY_SECRET={legacy}\n"));
    run(cfscrub().args(["scan", "--no-config"]).arg(t.path())).expect(0);
    t.write(
        ".cfscrub.toml",
        "[keywords]\ndeploy_secret = \"cloudflare-legacy-api-token\"\n",
    );
    let ran = run(cfscrub().args(["scan", "--format", "json"]).arg(t.path())).expect(1);
    let found = findings(&ran.stdout);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["kind"], "cloudflare-legacy-api-token");
    planted.assert_absent("scan stdout", &ran.stdout);
}

#[test]
fn invalid_config_names_its_line_and_scans_nothing() {
    let t = Tree::new();
    let mut g = FakeGen::new(163);
    let mut planted = Planted::default();
    let token = planted.add(g.scannable("cfut_", true));
    t.write("a.log", format!("t={token}\n"));
    for (text, line, what) in [
        ("exclude = []\nexclde = [\"x\"]\n", "2:1", "unknown field"),
        ("allow = [\n  \"0123\",\n]\n", "2:3", "16 hex digits"),
        (
            "[keywords]\nx_secret = \"no-such-kind\"\n",
            "2:12",
            "unknown kind",
        ),
        (
            "[keywords]\nx_secret = \"cloudflare-user-token\"\n",
            "2:12",
            "no context rule",
        ),
        ("[limits]\narchive_depth = 0\n", "2:17", "expected 1 to 16"),
        (
            "[limits]\narchive_member_bytes = 0\n",
            "2:24",
            "expected at least 1",
        ),
        ("[limits]\narchive_size = 1\n", "2:1", "unknown field"),
        ("exclude = [\"a[\"]\n", "1:12", "exclude"),
        ("baseline = \n", "1:12", ""),
    ] {
        t.write(".cfscrub.toml", text);
        for command in ["scan", "verify", "redact"] {
            let ran = run(cfscrub().args([command, "--format", "json"]).arg(t.path())).expect(2);
            let err = ran.stderr();
            assert!(
                err.contains(&format!(".cfscrub.toml:{line}: ")) && err.contains(what),
                "{command} with {text:?}: {err}"
            );
            assert!(ran.stdout.is_empty(), "nothing scanned: {}", ran.stdout());
            planted.assert_absent("config error", &ran.stderr);
        }
    }
    assert!(std::fs::read_to_string(t.join("a.log"))
        .unwrap()
        .contains(&token));
}

#[test]
fn a_config_error_never_echoes_a_token_written_in_it() {
    let t = Tree::new();
    let mut g = FakeGen::new(164);
    let mut planted = Planted::default();
    let token = planted.add(g.scannable("cfut_", true));
    t.write(
        ".cfscrub.toml",
        format!("allow = [\"{token}\"]\n[limits]\narchive_depth = \"{token}\"\n"),
    );
    let ran = run(cfscrub().arg("scan").arg(t.path())).expect(2);
    planted.assert_absent("config error", &ran.stderr);
    t.write(
        ".cfscrub.toml",
        format!("[limits]\narchive_depth = \"{token}\"\n"),
    );
    let ran = run(cfscrub().arg("scan").arg(t.path())).expect(2);
    assert!(
        ran.stderr().contains(".cfscrub.toml:2:17: "),
        "{}",
        ran.stderr()
    );
    planted.assert_absent("config error", &ran.stderr);
}

#[test]
fn baseline_accepts_existing_findings_and_survives_line_moves() {
    let t = Tree::new();
    let mut g = FakeGen::new(165);
    let mut planted = Planted::default();
    let old = planted.add(g.scannable("cfut_", true));
    let new = planted.add(g.scannable("cfk_", true));
    let log = t.write("repo/logs/app.log", format!("x\nold={old}\n"));
    t.write(
        "repo/.cfscrub.toml",
        "baseline = \"cfscrub-baseline.json\"\n",
    );
    // The config names a baseline that does not exist yet: an error,
    // except for the run that writes it.
    let missing = run(cfscrub().arg("scan").arg(t.join("repo"))).expect(2);
    assert!(
        missing.stderr().contains("--write-baseline"),
        "{}",
        missing.stderr()
    );
    let wrote = run(cfscrub()
        .args(["scan", "--write-baseline"])
        .arg(t.join("repo/cfscrub-baseline.json"))
        .arg(t.join("repo")))
    .expect(1);
    assert!(
        wrote.stderr().contains("written: 1 finding(s)"),
        "{}",
        wrote.stderr()
    );
    let baseline = std::fs::read_to_string(t.join("repo/cfscrub-baseline.json")).unwrap();
    assert!(baseline.contains("\"path\":\"logs/app.log\""), "{baseline}");
    assert!(
        !baseline.contains("\"line\""),
        "no line numbers: {baseline}"
    );
    planted.assert_absent("baseline file", baseline.as_bytes());
    planted.assert_absent("write-baseline stderr", &wrote.stderr);
    // Accepted: nothing reported, exit 0, even after lines move, and from
    // another current directory.
    std::fs::write(&log, format!("a\nb\nc\n  old={old}\n")).unwrap();
    let ran = run(cfscrub()
        .arg("scan")
        .current_dir(t.join("repo/logs"))
        .arg("."))
    .expect(0);
    assert!(ran.stdout.is_empty(), "{}", ran.stdout());
    assert!(ran
        .stderr()
        .contains("1 finding(s) accepted by the baseline"));
    // A new finding is reported; the accepted one still is not.
    std::fs::write(&log, format!("old={old}\nnew={new}\n")).unwrap();
    let ran = run(cfscrub()
        .args(["scan", "--format", "json"])
        .arg(t.join("repo")))
    .expect(1);
    let found = findings(&ran.stdout);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["kind"], "cloudflare-global-key");
    // The same value in another file is not accepted.
    t.write("repo/other.log", format!("old={old}\n"));
    let ran = run(cfscrub()
        .args(["scan", "--format", "json"])
        .arg(t.join("repo")))
    .expect(1);
    assert_eq!(findings(&ran.stdout).len(), 2);
    planted.assert_absent("scan stdout", &ran.stdout);
}

#[test]
fn a_baseline_is_written_without_a_config_and_keeps_accepted_entries() {
    let t = Tree::new();
    let mut g = FakeGen::new(166);
    let token = g.scannable("cfut_", true);
    t.write("a.log", format!("t={token}\np=cfut_AbCdEf\n"));
    let file = t.join("base.json");
    let ran = run(cfscrub()
        .arg("scan")
        .arg("--write-baseline")
        .arg(&file)
        .arg(t.join("a.log")))
    .expect(1);
    assert!(
        ran.stderr()
            .contains("written: 1 finding(s); 1 without a fingerprint left out"),
        "{}",
        ran.stderr()
    );
    t.write(".cfscrub.toml", "baseline = \"base.json\"\n");
    // Rewriting the baseline while one is in use keeps what it accepted.
    run(cfscrub()
        .arg("scan")
        .arg("--write-baseline")
        .arg(&file)
        .arg(t.path()))
    .expect(1);
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.matches("\"fingerprint\"").count(), 1, "{text}");
}

#[test]
fn a_broken_baseline_is_an_error_before_scanning() {
    let t = Tree::new();
    t.write(".cfscrub.toml", "baseline = \"b.json\"\n");
    t.write(
        "b.json",
        "{\"format\": \"cfscrub-baseline-v1\", \"findings\": [{\"path\": \"a\"}]}",
    );
    let ran = run(cfscrub().arg("scan").arg(t.path())).expect(2);
    assert!(ran.stderr().contains("b.json:1:"), "{}", ran.stderr());
    assert!(ran.stdout.is_empty());
}

#[test]
fn a_baseline_is_never_written_over_a_link_or_a_device() {
    let t = Tree::new();
    let mut g = FakeGen::new(167);
    t.write("a.log", format!("t={}\n", g.scannable("cfut_", true)));
    let target = t.write("target.json", "keep");
    let link = t.join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let fifo = t.join("fifo");
    mkfifo(&fifo);
    for path in [&link, &fifo] {
        let ran = run(cfscrub()
            .args(["scan", "--no-config", "--write-baseline"])
            .arg(path)
            .arg(t.join("a.log")))
        .expect(2);
        assert!(
            ran.stderr().contains("not a regular file"),
            "{}",
            ran.stderr()
        );
    }
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
}

#[test]
fn config_limits_apply_to_compressed_content_and_a_flag_wins_over_them() {
    let t = Tree::new();
    let mut g = FakeGen::new(161);
    let mut planted = Planted::default();
    let token = planted.add(g.scannable("cfut_", true));
    let log = format!("deploy\nCLOUDFLARE_API_TOKEN={token}\n");
    t.write(
        "proj/app.log.gz.xz",
        compress("xz", &compress("gzip", log.as_bytes())),
    );
    // Without the config's limit, both layers are read: the token is found.
    let found = run(cfscrub()
        .args(["verify", "--no-config", "--format", "json"])
        .arg(t.join("proj")))
    .expect(1);
    assert_eq!(findings(&found.stdout).len(), 1);
    // `[limits] archive_depth = 1`: the inner gzip is too deep, not inspected.
    t.write("proj/.cfscrub.toml", "[limits]\narchive_depth = 1\n");
    let limited = run(cfscrub()
        .args(["verify", "--format", "json"])
        .arg(t.join("proj")))
    .expect(2);
    let records = json_lines(&limited.stdout);
    assert!(
        records.iter().any(|r| r["type"] == "uninspected"
            && r["reason"] == "gzip: nested more than 1 deep (--max-depth)"),
        "{}",
        String::from_utf8_lossy(&limited.stdout)
    );
    assert!(findings(&limited.stdout).is_empty());
    // A flag given wins over the file.
    let flagged = run(cfscrub()
        .args(["verify", "--max-depth", "4", "--format", "json"])
        .arg(t.join("proj")))
    .expect(1);
    assert_eq!(findings(&flagged.stdout).len(), 1);
    for ran in [&found, &limited, &flagged] {
        planted.assert_absent("verify stdout", &ran.stdout);
        planted.assert_absent("verify stderr", &ran.stderr);
    }
}
