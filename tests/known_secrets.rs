//! Known secrets (`--secret-from`, `--secret-env`) end to end: how a source
//! file is read, that a loaded value is masked in everything printed (not
//! only where it has a credential shape), and which values get a
//! fingerprint.

mod common;
use common::*;

fn check(planted: &Planted, what: &str, ran: &Ran) {
    planted.assert_absent(&format!("{what}: stdout"), &ran.stdout);
    planted.assert_absent(&format!("{what}: stderr"), &ran.stderr);
}

/// A tree with an unprefixed legacy value in `leaked.txt` and, in `logs/`,
/// a file named after it that also holds it. Such a value has no shape of
/// its own: only the known-secret masking can hide it.
fn named_after_the_secret(seed: u64) -> (Tree, Planted, String) {
    let mut g = FakeGen::new(seed);
    let mut p = Planted::default();
    let value = p.add(g.legacy_token());
    let t = Tree::new();
    t.write("leaked.txt", format!("{value}\n"));
    t.write(
        &format!("logs/{value}.log"),
        format!("deploy {value} done\n"),
    );
    (t, p, value)
}

#[test]
fn a_known_secret_in_a_file_name_is_masked_in_every_output() {
    let (t, p, _) = named_after_the_secret(101);
    let commands: &[(&[&str], i32)] = &[
        (&["scan"], 1),
        (&["scan", "--format", "json"], 1),
        (&["scan", "--format", "sarif"], 1),
        (&["verify"], 1),
        (&["verify", "--format", "json"], 1),
        (&["verify", "--format", "sarif"], 1),
        (&["redact", "--dry-run"], 1),
        (&["redact", "--dry-run", "--format", "json"], 1),
    ];
    for (args, code) in commands {
        let ran = run(cfscrub()
            .args(*args)
            .arg("--secret-from")
            .arg(t.join("leaked.txt"))
            .arg(t.join("logs")));
        let what = args.join(" ");
        check(&p, &what, &ran);
        let ran = ran.expect(*code);
        // SARIF percent-encodes the brackets of its URIs.
        let shown = ran.stdout().replace("%5B", "[").replace("%5D", "]");
        assert!(
            shown.contains("[REDACTED_CF_TOKEN].log"),
            "{what}: the file is not named, masked: {shown}"
        );
    }
    // The real rewrite names it masked too, and so does its verification.
    let ran = run(cfscrub()
        .args(["redact", "--format", "json", "--secret-from"])
        .arg(t.join("leaked.txt"))
        .arg(t.join("logs")));
    check(&p, "redact", &ran);
    ran.expect(0);
}

#[test]
fn a_known_secret_typed_as_a_path_or_a_program_is_masked() {
    let (t, p, value) = named_after_the_secret(102);
    for args in [
        vec!["verify".to_string(), value.clone()],
        vec!["scan".into(), value.clone()],
        vec!["redact".into(), value.clone()],
        vec!["run".into(), "--".into(), value.clone()],
        vec!["run".into(), "--".into(), format!("./{value}")],
    ] {
        let ran = run(cfscrub()
            .current_dir(t.path())
            .args(&args[..1])
            .args(["--secret-from", "leaked.txt"])
            .args(&args[1..]));
        check(
            &p,
            &format!("{} with the value as an argument", args[0]),
            &ran,
        );
        // `run` exits as shells do for a command not found.
        let ran = ran.expect(if args[0] == "run" { 127 } else { 2 });
        assert!(
            ran.stderr().contains("[REDACTED_CF_TOKEN]"),
            "{}: {}",
            args[0],
            ran.stderr()
        );
    }
}

#[test]
fn a_known_secret_in_a_wrangler_parse_error_is_masked() {
    let (t, p, value) = named_after_the_secret(103);
    for (name, text) in [
        (
            "wrangler.toml",
            format!("name = \"api\"\nsecret = {value}\n"),
        ),
        ("wrangler.toml", format!("name = \"{value}\" x\n")),
        (
            "bad.jsonc",
            format!("{{ \"name\": \"{value}\" \"main\": 1 }}"),
        ),
    ] {
        let config = t.write(name, text);
        let ran = run(cfscrub()
            .args(["checklist", "--secret-from"])
            .arg(t.join("leaked.txt"))
            .arg("--wrangler")
            .arg(&config));
        check(&p, &format!("checklist --wrangler {name}"), &ran);
        let ran = ran.expect(2);
        assert!(ran.stderr().contains("not valid"), "{}", ran.stderr());
    }
}

#[test]
fn a_byte_order_mark_does_not_hide_the_known_value() {
    let mut g = FakeGen::new(104);
    let value = g.legacy_token();
    let t = Tree::new();
    t.write("leaked.txt", format!("\u{feff}{value}\r\n"));
    t.write("logs/ci.log", format!("deploy {value}\n"));
    let ran = run(cfscrub()
        .args(["verify", "--format", "json", "--secret-from"])
        .arg(t.join("leaked.txt"))
        .arg(t.join("logs")))
    .expect(1);
    let kinds: Vec<_> = json_lines(&ran.stdout)
        .into_iter()
        .filter(|l| l["type"] == "finding")
        .map(|l| l["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["known-secret"]);
}

#[test]
fn a_variable_name_in_the_secret_file_is_never_hunted() {
    let mut g = FakeGen::new(105);
    let value = g.legacy_token();
    let t = Tree::new();
    t.write(
        "leaked.env",
        format!("# from the CI settings\nexport CLOUDFLARE_API_TOKEN=\"{value}\"\nCLOUDFLARE_ACCOUNT_ID=\n"),
    );
    let unrelated = "echo \"CLOUDFLARE_API_TOKEN is set\"\nexport CLOUDFLARE_ACCOUNT_ID\n";
    t.write("docs/deploy.sh", unrelated);
    t.write("logs/ci.log", format!("token {value}\n"));
    run(cfscrub()
        .args(["redact", "--secret-from"])
        .arg(t.join("leaked.env"))
        .arg(t.path()))
    .expect(0);
    assert_same(
        "a file holding only the variable names",
        std::fs::read(t.join("docs/deploy.sh")).unwrap(),
        unrelated,
    );
    assert_same(
        "the log holding the value",
        std::fs::read(t.join("logs/ci.log")).unwrap(),
        "token [REDACTED_CF_TOKEN]\n",
    );
}

#[test]
fn brute_forceable_known_values_get_no_fingerprint() {
    let mut g = FakeGen::new(106);
    let token = g.scannable("cfut_", true);
    let short_prefixed = format!("cfut_{}", g.alnum(4));
    let short = g.alnum(8);
    let twenty = g.alnum(20);
    let t = Tree::new();
    t.write(
        "leaked.txt",
        format!("{short_prefixed}\n{short}\n{twenty}\n{token}\n"),
    );
    t.write(
        "logs/ci.log",
        format!("a {short_prefixed}\nb {short}\nc {twenty}\nd {token}\n"),
    );
    let ran = run(cfscrub()
        .args(["scan", "--format", "json", "--secret-from"])
        .arg(t.join("leaked.txt"))
        .arg(t.join("logs")))
    .expect(1);
    let by_line: Vec<(u64, String, bool)> = json_lines(&ran.stdout)
        .into_iter()
        .filter(|l| l["type"] == "finding")
        .map(|l| {
            (
                l["line"].as_u64().unwrap(),
                l["kind"].as_str().unwrap().to_string(),
                l["fingerprint"].is_string(),
            )
        })
        .collect();
    assert_eq!(
        by_line,
        [
            (1, "known-secret".to_string(), false),
            (2, "known-secret".to_string(), false),
            (3, "known-secret".to_string(), false),
            (4, "known-secret".to_string(), true),
        ]
    );
}
