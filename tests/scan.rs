//! End-to-end tests of `cfscrub scan` on generated trees.

mod common;
use common::*;
use std::io::Read;
use std::process::Stdio;

#[test]
fn clean_tree_exits_zero_and_found_exits_one() {
    let t = Tree::new();
    t.write(
        "clean.log",
        "nothing to see\ncommit 0123456789abcdef0123456789abcdef01234567\n",
    );
    run(cfscrub().arg("scan").arg(t.path())).expect(0);
    let mut g = FakeGen::new(1);
    t.write(
        "dirty.log",
        format!("token={}\n", g.scannable("cfut_", true)),
    );
    run(cfscrub().arg("scan").arg(t.path())).expect(1);
}

#[test]
fn json_lines_schema_and_summary() {
    let t = Tree::new();
    let mut g = FakeGen::new(2);
    let token = g.scannable("cfat_", true);
    t.write("a/b.env", format!("X=1\nCF_API_TOKEN=\"{token}\"\n"));
    let out = cfscrub()
        .args(["scan", "--format", "json"])
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 2);
    let f = &lines[0];
    assert_eq!(f["type"], "finding");
    assert_eq!(f["kind"], "cloudflare-account-token");
    assert_eq!(f["confidence"], "high");
    assert_eq!(f["line"], 2);
    assert_eq!(f["column"], 15);
    assert_eq!(f["offset"], 18);
    assert_eq!(f["length"], 53);
    assert_eq!(f["fingerprint"].as_str().unwrap().len(), 16);
    assert!(f["path"].as_str().unwrap().ends_with("a/b.env"));
    let s = &lines[1];
    assert_eq!(s["type"], "summary");
    assert_eq!(s["files"], 1);
    assert_eq!(s["findings"], 1);
    assert_eq!(s["errors"], 0);
    assert_eq!(s["by_kind"]["cloudflare-account-token"], 1);
}

#[test]
fn sarif_is_a_2_1_0_document() {
    let t = Tree::new();
    let mut g = FakeGen::new(3);
    t.write("x.log", format!("X-Auth-Key: {}\n", g.hex(37)));
    let out = cfscrub()
        .args(["scan", "--format", "sarif"])
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    let result = &doc["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "cloudflare-legacy-global-key");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(rules
        .iter()
        .any(|r| r["id"] == "cloudflare-legacy-global-key"));
}

#[test]
fn symlinks_fifos_and_missing_paths() {
    let t = Tree::new();
    let mut g = FakeGen::new(4);
    let outside = Tree::new();
    outside.write(
        "secret.env",
        format!("CLOUDFLARE_API_TOKEN={}\n", g.scannable("cfut_", true)),
    );
    std::os::unix::fs::symlink(outside.join("secret.env"), t.join("link.env")).unwrap();
    mkfifo(&t.join("pipe"));
    t.write("empty.log", "");
    // Not followed by default: nothing found, notes on stderr, exit 0.
    let out = cfscrub().arg("scan").arg(t.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    // One line counts them...
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cfscrub: skipped 1 FIFO, 1 symbolic link (not read; --verbose lists them, --follow reads through links)"), "{err}");
    assert_eq!(
        err.lines().filter(|l| l.contains("skipped")).count(),
        1,
        "{err}"
    );
    // ...`--verbose` lists each.
    let ran = run(cfscrub().args(["scan", "--verbose"]).arg(t.path())).expect(0);
    assert!(
        ran.stderr()
            .contains("link.env: skipped symbolic link (use --follow to read through it)"),
        "{}",
        ran.stderr()
    );
    assert!(
        ran.stderr().contains("pipe: skipped FIFO"),
        "{}",
        ran.stderr()
    );
    // Followed on request.
    run(cfscrub().args(["scan", "--follow"]).arg(t.path())).expect(1);
    // A missing path is an error, and an error outranks a finding.
    let out = cfscrub()
        .args(["scan", "--follow"])
        .arg(t.path())
        .arg(t.join("does-not-exist"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does-not-exist"));
}

#[test]
fn unreadable_file_is_reported_and_the_run_continues() {
    use std::os::unix::fs::PermissionsExt;
    let t = Tree::new();
    let mut g = FakeGen::new(5);
    let locked = t.write("locked.log", "x");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    t.write("open.log", format!("{}\n", g.scannable("cfk_", true)));
    // As an unprivileged owner: root would read the file anyway.
    t.hand_to_unprivileged();
    let ran = run(cfscrub_unprivileged().arg("scan").arg(t.path())).expect(2);
    assert!(
        ran.stderr().contains("locked.log") && ran.stderr().contains("Permission denied"),
        "{}",
        ran.stderr()
    );
    assert!(ran.stdout().contains("open.log:1:1: cloudflare-global-key"));
}

#[test]
fn awkward_bytes_around_tokens() {
    let t = Tree::new();
    let mut g = FakeGen::new(6);
    let mut content = Vec::new();
    content.extend_from_slice(b"\xff\xfe invalid utf-8 \xc3\x28 then\r\n");
    content
        .extend_from_slice(format!("\x1b[33m{}\x1b[0m\r\n", g.scannable("cfut_", true)).as_bytes());
    content.extend_from_slice(
        format!(
            "{{\"msg\":\"x\",\"token\":\"{}\"}}\n",
            g.scannable("cfat_", true)
        )
        .as_bytes(),
    );
    content.extend_from_slice(
        format!("GET /hook?token={}&retry=1\n", g.scannable("cfk_", false)).as_bytes(),
    );
    content.extend_from_slice(b"\x00\x01binary\x00");
    content.extend_from_slice(format!("{}\x00", g.origin_ca()).as_bytes());
    t.write("mixed.bin", &content);
    let out = cfscrub()
        .args(["scan", "--format", "json"])
        .arg(t.path())
        .output()
        .unwrap();
    let kinds: Vec<(String, String)> = findings(&out.stdout)
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().into(),
                f["confidence"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [
        ("cloudflare-user-token", "high"),
        ("cloudflare-account-token", "high"),
        ("cloudflare-global-key", "low"),
        ("cloudflare-origin-ca-key", "high"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(kinds, want);
}

#[test]
fn fifty_megabyte_single_line() {
    let t = Tree::new();
    let mut g = FakeGen::new(7);
    let token = g.scannable("cfut_", true);
    let mut line = vec![b'a'; 50 << 20];
    // Plant tokens near the start, across the middle, and at the very end.
    for at in [1000usize, 25 << 20, (50 << 20) - 60] {
        line[at - 1] = b' ';
        line[at..at + token.len()].copy_from_slice(token.as_bytes());
        line[at + token.len()] = b' ';
    }
    t.write("long.log", &line);
    let out = cfscrub()
        .args(["scan", "--format", "json"])
        .arg(t.path())
        .output()
        .unwrap();
    let offsets: Vec<u64> = findings(&out.stdout)
        .iter()
        .map(|f| f["offset"].as_u64().unwrap())
        .collect();
    assert_eq!(offsets, [1000, 25 << 20, (50 << 20) - 60]);
}

#[test]
fn stdin_and_excludes() {
    let mut g = FakeGen::new(8);
    let input = format!("curl -H 'X-Auth-Key: {}'\n", g.hex(37));
    let ran = run(cfscrub().args(["scan", "-"]).write_stdin(input)).expect(1);
    assert!(ran
        .stdout()
        .starts_with("<stdin>:1:22: cloudflare-legacy-global-key"));
    let t = Tree::new();
    t.write(
        "node_modules/x.log",
        format!("{}\n", g.scannable("cfut_", true)),
    );
    t.write("keep.txt", "clean\n");
    run(cfscrub()
        .args(["scan", "--exclude", "node_modules"])
        .arg(t.path()))
    .expect(0);
}

#[test]
fn known_secret_from_file_env_and_stdin() {
    let t = Tree::new();
    let mut g = FakeGen::new(9);
    let legacy = g.legacy_token();
    t.write("vault.txt", format!("{legacy}\n"));
    t.write(
        "logs/a.log",
        format!(
            "value {legacy} and later\nfragment {} here\nnot-a-fragment {}XYZ\n",
            &legacy[..10],
            &legacy[..10]
        ),
    );
    let run = |cmd: &mut assert_cmd::Command| {
        let ran = run(cmd).expect(1);
        findings(&ran.stdout)
            .iter()
            .map(|f| {
                (
                    f["kind"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    let want = vec![
        ("known-secret".to_string(), 1),
        ("known-secret-fragment".to_string(), 2),
    ];
    let from_file = run(cfscrub()
        .args(["scan", "--format", "json", "--secret-from"])
        .arg(t.join("vault.txt"))
        .arg(t.join("logs")));
    assert_eq!(from_file, want);
    let from_env = run(cfscrub()
        .env("LEAKED", &legacy)
        .args(["scan", "--format", "json", "--secret-env", "LEAKED"])
        .arg(t.join("logs")));
    assert_eq!(from_env, want);
    let from_stdin = run(cfscrub()
        .args(["scan", "--format", "json", "--secret-from", "-"])
        .arg(t.join("logs"))
        .write_stdin(format!("{legacy}\n")));
    assert_eq!(from_stdin, want);
}

#[test]
fn no_option_takes_a_secret_value() {
    run(cfscrub().args(["scan", "--secret", "cfut_whatever"])).expect(2);
}

#[test]
fn closed_pipe_ends_quietly() {
    let t = Tree::new();
    let mut g = FakeGen::new(10);
    let mut content = String::new();
    for _ in 0..20_000 {
        content.push_str(&format!("t={}\n", g.scannable("cfut_", true)));
    }
    t.write("many.log", content);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cfscrub"))
        .arg("scan")
        .arg(t.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.code().is_some(), "killed by a signal");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("Broken pipe") && !err.contains("error"),
        "{err}"
    );
}

#[test]
fn hostile_file_names_are_escaped() {
    let t = Tree::new();
    let mut g = FakeGen::new(11);
    t.write(
        "evil\x1b[2J\nname.log",
        format!("{}\n", g.scannable("cfut_", true)),
    );
    let ran = run(cfscrub().arg("scan").arg(t.path())).expect(1);
    assert!(!ran.stdout.contains(&0x1b), "raw escape byte printed");
    assert!(
        ran.stdout()
            .contains("evil\\u{1b}[2J\\nname.log:1:1: cloudflare-user-token"),
        "{}",
        ran.stdout()
    );
}

#[test]
fn human_colour_follows_the_color_flag_and_no_color() {
    let t = Tree::new();
    let mut p = Planted::default();
    let token = p.add(FakeGen::new(21).scannable("cfut_", true));
    let log = t.write("a.log", format!("deploy {token}\n"));
    let coloured = |flag: &str, env: &[(&str, &str)], no_color: bool| {
        let mut cmd = cfscrub();
        cmd.args(["scan", "-q", "--color", flag]).arg(&log);
        if !no_color {
            cmd.env_remove("NO_COLOR");
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let ran = run(&mut cmd).expect(1);
        p.assert_absent("coloured scan output", ran.stdout.as_slice());
        assert!(
            ran.stdout().contains("cloudflare-user-token"),
            "{}",
            ran.stdout()
        );
        ran.stdout().contains('\x1b')
    };
    assert!(
        coloured("always", &[], true),
        "--color always wins over NO_COLOR"
    );
    assert!(!coloured("never", &[("CLICOLOR_FORCE", "1")], false));
    // Standard output is a pipe here: auto colours only when forced...
    assert!(!coloured("auto", &[], false));
    assert!(coloured("auto", &[("CLICOLOR_FORCE", "1")], false));
    // ...and never under NO_COLOR.
    assert!(!coloured("auto", &[("CLICOLOR_FORCE", "1")], true));
}

#[test]
fn exclude_globs_match_relative_to_the_root_when_scanning_dot() {
    let t = Tree::new();
    let mut g = FakeGen::new(22);
    t.write(
        "repo/a.env",
        format!("CLOUDFLARE_API_TOKEN={}\n", g.scannable("cfut_", true)),
    );
    t.write(
        "keep/b.env",
        format!("CLOUDFLARE_API_TOKEN={}\n", g.scannable("cfut_", true)),
    );
    let ran =
        run(cfscrub()
            .current_dir(t.path())
            .args(["scan", "-q", "--exclude", "repo/**", "."]))
        .expect(1);
    assert!(ran.stdout().contains("keep/b.env"), "{}", ran.stdout());
    assert!(!ran.stdout().contains("repo/a.env"), "{}", ran.stdout());
    // The whole path still matches too.
    let ran = run(cfscrub().current_dir(t.path()).args([
        "scan",
        "-q",
        "--exclude",
        "./keep/**",
        "--exclude",
        "repo",
        ".",
    ]))
    .expect(0);
    assert_eq!(ran.stdout(), "");
}
