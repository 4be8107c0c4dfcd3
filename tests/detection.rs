//! End-to-end: the detector's promises under attack (issue 10) hold the
//! same way in scan, verify, redact, filter and run — a prefix typed twice
//! before a token, letters glued after a value, ANSI codes before a keyword,
//! a dot before an Origin CA key, a known secret longer than the detector's
//! look-ahead.

mod common;
use common::*;

const MARK: &str = "[REDACTED_CF_TOKEN]";

/// Checks that nothing planted is in the output, then the exit code (whose
/// failure message shows the output).
fn checked(p: &Planted, ran: Ran, code: i32) -> Ran {
    p.assert_absent("stdout", &ran.stdout);
    p.assert_absent("stderr", &ran.stderr);
    ran.expect(code)
}

/// `X=<debris><token>` lines: `cfut_` typed twice, `cfk_` before a `cfat_`
/// token, a partial `cfat_abcd` glued before a token.
fn debris_log(g: &mut FakeGen, p: &mut Planted) -> (String, [String; 3]) {
    let tokens = [
        p.add(g.scannable("cfut_", true)),
        p.add(g.scannable("cfat_", true)),
        p.add(g.scannable("cfut_", true)),
    ];
    let log = format!(
        "X=cfut_{}\nY=cfk_{}\nZ=cfat_abcd{}\n",
        tokens[0], tokens[1], tokens[2]
    );
    (log, tokens)
}

const DEBRIS_MASKED: &str = "X=[REDACTED_CF_TOKEN]\nY=[REDACTED_CF_TOKEN]\nZ=[REDACTED_CF_TOKEN]\n";

#[test]
fn prefix_typed_twice_is_masked_whole_by_filter_run_and_redact() {
    let mut g = FakeGen::new(101);
    let mut p = Planted::default();
    let (log, _) = debris_log(&mut g, &mut p);
    let t = Tree::new();

    let ran = checked(
        &p,
        run(cfscrub()
            .args(["filter", "--summary"])
            .write_stdin(log.clone())),
        0,
    );
    assert_same("filter stdout", &ran.stdout, DEBRIS_MASKED);
    assert!(
        ran.stderr().contains(
            "masked 3 credential(s): 2 cloudflare-user-token, 1 cloudflare-account-token"
        ),
        "{}",
        ran.stderr()
    );

    let file = t.write("ci.log", &log);
    let ran = checked(&p, run(cfscrub().args(["run", "--", "cat"]).arg(&file)), 0);
    assert_same("run stdout", &ran.stdout, DEBRIS_MASKED);

    checked(&p, run(cfscrub().args(["redact", "-q"]).arg(&file)), 0);
    let redacted = std::fs::read(&file).unwrap();
    p.assert_absent("redacted file", &redacted);
    assert_same("redacted file", redacted, DEBRIS_MASKED);

    let live = t.write("live.log", &log);
    checked(
        &p,
        run(cfscrub().args(["redact", "-q", "--same-length"]).arg(&live)),
        0,
    );
    let rewritten = std::fs::read(&live).unwrap();
    p.assert_absent("same-length redacted file", &rewritten);
    assert_eq!(rewritten.len(), log.len(), "same length");
}

#[test]
fn a_merged_span_is_one_finding_of_the_strongest_kind_in_scan_verify_and_redact() {
    let mut g = FakeGen::new(102);
    let mut p = Planted::default();
    let (log, tokens) = debris_log(&mut g, &mut p);
    let t = Tree::new();
    let file = t.write("ci.log", &log);
    let vault = t.write("vault.txt", format!("{}\n", tokens[0]));

    let ran = checked(
        &p,
        run(cfscrub().args(["scan", "--format", "json"]).arg(&file)),
        1,
    );
    let lines = json_lines(&ran.stdout);
    let findings: Vec<_> = lines
        .iter()
        .filter(|l| l["type"] == "finding")
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_string(),
                l["confidence"].as_str().unwrap().to_string(),
                l["line"].as_u64().unwrap(),
                l["column"].as_u64().unwrap(),
                l["length"].as_u64().unwrap(),
                l["fingerprint"].is_string(),
            )
        })
        .collect();
    let token = |kind: &str, line, debris: u64| {
        (
            kind.to_string(),
            "high".to_string(),
            line,
            3,
            debris + 53,
            true,
        )
    };
    assert_eq!(
        findings,
        [
            token("cloudflare-user-token", 1, 5),
            token("cloudflare-account-token", 2, 4),
            token("cloudflare-user-token", 3, 9),
        ]
    );

    let ran = checked(&p, run(cfscrub().arg("verify").arg(&file)), 1);
    assert!(
        ran.stderr().contains("3 credential shapes"),
        "{}",
        ran.stderr()
    );
    let ran = checked(
        &p,
        run(cfscrub()
            .arg("verify")
            .arg("--secret-from")
            .arg(&vault)
            .arg(&file)),
        1,
    );
    assert!(
        ran.stdout().contains("ci.log:1:8: known-secret (high)\n"),
        "{}",
        ran.stdout()
    );
    assert!(ran.stderr().contains(" 1 occurrences"), "{}", ran.stderr());

    let ran = checked(
        &p,
        run(cfscrub()
            .args(["redact", "--dry-run", "--format", "json"])
            .arg(&file)),
        1,
    );
    assert_eq!(json_lines(&ran.stdout)[0]["redacted"], 3);

    checked(&p, run(cfscrub().args(["redact", "-q"]).arg(&file)), 0);
    checked(
        &p,
        run(cfscrub()
            .arg("verify")
            .arg("--secret-from")
            .arg(&vault)
            .arg(&file)),
        0,
    );
    checked(&p, run(cfscrub().arg("verify").arg(&file)), 0);
}

/// Every command that takes `--secret-from`, with what else it needs.
fn commands_taking_secrets(t: &Tree) -> Vec<Vec<String>> {
    let dir = t.path().display().to_string();
    let file = t.write("a.log", "nothing here\n").display().to_string();
    let home = t.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let home = home.display().to_string();
    [
        vec!["scan", &dir],
        vec!["verify", &dir],
        vec!["redact", &file],
        vec!["filter"],
        vec!["run", "--", "true"],
        vec!["history", "--dry-run", "--home", &home],
        vec!["checklist"],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(String::from).collect())
    .collect()
}

#[test]
fn a_known_secret_longer_than_16_kib_is_refused_by_every_command() {
    let t = Tree::new();
    let mut g = FakeGen::new(103);
    let mut p = Planted::default();
    let long = p.add(format!("cfut_{}", g.alnum(16 * 1024)));
    let vault = t.write("vault.txt", format!("short-but-fine-1\n{long}\n"));
    for args in commands_taking_secrets(&t) {
        let (name, rest) = args.split_first().unwrap();
        for how in ["--secret-from", "--secret-env"] {
            let mut cmd = cfscrub();
            cmd.arg(name).current_dir(t.path()).env("LEAKED", &long);
            match how {
                "--secret-from" => cmd.arg(how).arg(&vault),
                _ => cmd.args([how, "LEAKED"]),
            };
            let ran = checked(&p, run(cmd.args(rest).write_stdin("")), 2);
            let want = match how {
                "--secret-from" => "vault.txt, line 2: value too long to hunt (at most 16 KiB",
                _ => "$LEAKED, line 1: value too long to hunt (at most 16 KiB",
            };
            assert!(
                ran.stderr().contains(want),
                "{name} {how}: {}",
                ran.stderr()
            );
        }
    }
    assert_eq!(std::fs::read(t.join("a.log")).unwrap(), b"nothing here\n");
}

#[test]
fn a_known_secret_of_16_kib_is_masked_whole() {
    let t = Tree::new();
    let mut g = FakeGen::new(104);
    let mut p = Planted::default();
    let long = p.add(g.alnum(16 * 1024));
    let vault = t.write("vault.txt", format!("{long}\n"));
    let text = format!("a {long} b\n");
    let ran = checked(
        &p,
        run(cfscrub()
            .arg("filter")
            .arg("--secret-from")
            .arg(&vault)
            .write_stdin(text.clone())),
        0,
    );
    assert_same("filter stdout", &ran.stdout, format!("a {MARK} b\n"));

    let file = t.write("logs/a.log", &text);
    checked(
        &p,
        run(cfscrub()
            .args(["redact", "-q", "--secret-from"])
            .arg(&vault)
            .arg(&file)),
        0,
    );
    let redacted = std::fs::read(&file).unwrap();
    p.assert_absent("redacted file", &redacted);
    assert_same("redacted file", redacted, format!("a {MARK} b\n"));
}

/// Runs `filter` on `input` and checks the output and that nothing planted leaks.
fn filters_to(p: &Planted, input: &str, expected: &str) {
    let ran = checked(
        p,
        run(cfscrub().arg("filter").write_stdin(input.to_string())),
        0,
    );
    assert_same("filter stdout", &ran.stdout, expected);
}

/// `scan --format json` of `text` in a file: (kind, column, length) per finding.
fn scanned(t: &Tree, text: &str) -> Vec<(String, u64, u64)> {
    let file = t.write("scanned.txt", text);
    let ran = run(cfscrub().args(["scan", "--format", "json"]).arg(&file));
    json_lines(&ran.stdout)
        .iter()
        .filter(|l| l["type"] == "finding")
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_string(),
                l["column"].as_u64().unwrap(),
                l["length"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn an_oauth_token_with_a_glued_letter_is_masked_whole() {
    let t = Tree::new();
    let mut g = FakeGen::new(105);
    let mut p = Planted::default();
    let access = p.add(g.oauth("cfoat_"));
    let refresh = p.add(g.oauth("cfort_"));
    filters_to(
        &p,
        &format!("tok={access}Z\nref=x{refresh}ab;\n"),
        &format!("tok={MARK}\nref=x{MARK};\n"),
    );
    assert_eq!(
        scanned(&t, &format!("tok={access}Z\n")),
        [("cloudflare-oauth-access-token".to_string(), 5, 94)]
    );
}

#[test]
fn an_ansi_colour_before_cf_api_key_does_not_hide_the_key() {
    let t = Tree::new();
    let mut g = FakeGen::new(106);
    let mut p = Planted::default();
    let short = p.add(g.hex(38));
    let long = p.add(g.hex(45));
    let input =
        format!("\x1b[33mCF_API_KEY={short}\x1b[0m\n\x1b[1;36mCLOUDFLARE_API_KEY={long}\x1b[0m\n");
    filters_to(
        &p,
        &input,
        &format!("\x1b[33mCF_API_KEY={MARK}\x1b[0m\n\x1b[1;36mCLOUDFLARE_API_KEY={MARK}\x1b[0m\n"),
    );
    let key = "cloudflare-legacy-global-key".to_string();
    assert_eq!(scanned(&t, &input), [(key.clone(), 17, 38), (key, 27, 45)]);
}

#[test]
fn an_origin_ca_key_after_a_dot_or_with_glued_letters_is_masked_whole() {
    let t = Tree::new();
    let mut g = FakeGen::new(107);
    let mut p = Planted::default();
    let a = p.add(g.origin_ca());
    let b = p.add(g.origin_ca());
    let input = format!("key.{a}\nx{b}Zz\n");
    filters_to(&p, &input, &format!("key.{MARK}\nx{MARK}\n"));
    let key = "cloudflare-origin-ca-key".to_string();
    assert_eq!(scanned(&t, &input), [(key.clone(), 5, 176), (key, 2, 178)]);
}

#[test]
fn a_hex_key_with_glued_letters_is_masked_whole_after_a_cloudflare_keyword() {
    let mut g = FakeGen::new(108);
    let mut p = Planted::default();
    let key = p.add(g.hex(37));
    filters_to(
        &p,
        &format!("X-Auth-Key: {key}ZZ\nCF_API_KEY={key}_old\n"),
        &format!("X-Auth-Key: {MARK}\nCF_API_KEY={MARK}\n"),
    );
}
