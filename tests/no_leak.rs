//! Nothing any command prints — on success or failure, in any format —
//! contains a planted secret or an 8-character window of one.

mod common;
use common::*;

/// A tree holding every kind of credential; returns it with the secrets.
fn incident() -> (Tree, Planted) {
    let t = Tree::new();
    let mut g = FakeGen::new(77);
    let mut p = Planted::default();
    let mut log = String::new();
    for prefix in ["cfut_", "cfat_", "cfk_", "cfast_"] {
        log.push_str(&format!("ok {}\n", p.add(g.scannable(prefix, true))));
        log.push_str(&format!("bad {}\n", p.add(g.scannable(prefix, false))));
    }
    log.push_str(&format!("oauth_token = \"{}\"\n", p.add(g.oauth("cfoat_"))));
    log.push_str(&format!("key={}\n", p.add(g.origin_ca())));
    log.push_str(&format!("--token {}\n", p.add(g.tunnel_token())));
    log.push_str(&format!("{}\n", p.add(g.argo_pem())));
    log.push_str(&format!(
        "CLOUDFLARE_API_TOKEN={}\n",
        p.add(g.legacy_token())
    ));
    log.push_str(&format!("X-Auth-Key: {}\n", p.add(g.hex(37))));
    log.push_str(&format!("TURNSTILE_SECRET={}\n", p.add(g.turnstile())));
    log.push_str(&format!("R2_SECRET_ACCESS_KEY={}\n", p.add(g.hex(64))));
    let leaked = p.add(g.legacy_token());
    log.push_str(&format!("grep {} x.log\nvalue: {leaked}\n", &leaked[..12]));
    t.write("logs/ci.log", &log);
    t.write("vault/leaked.txt", format!("{leaked}\n"));
    (t, p)
}

fn check(planted: &Planted, what: &str, ran: &Ran) {
    planted.assert_absent(&format!("{what} stdout"), &ran.stdout);
    planted.assert_absent(&format!("{what} stderr"), &ran.stderr);
}

#[test]
fn scan_prints_no_secret_in_any_format() {
    let (t, planted) = incident();
    for format in ["human", "json", "sarif"] {
        let ran = run(cfscrub()
            .args([
                "scan",
                "--color",
                "always",
                "--format",
                format,
                "--secret-from",
            ])
            .arg(t.join("vault/leaked.txt"))
            .arg(t.join("logs")));
        check(&planted, &format!("scan --format {format}"), &ran);
        let ran = ran.expect(1);
        assert!(ran.stdout().contains("known-secret"), "{}", ran.stdout());
    }
}

#[test]
fn scan_error_paths_print_no_secret() {
    let (t, planted) = incident();
    // A too-short "secret" (a fragment of a planted one) is refused without echo.
    let leaked = planted.0.last().unwrap();
    let ran = run(cfscrub()
        .args(["scan", "--secret-from", "-"])
        .arg(t.path())
        .write_stdin(format!("{}\n", &leaked[..6])));
    check(&planted, "too-short secret", &ran);
    assert!(
        !ran.stderr().contains(&leaked[..6]),
        "the short value was echoed"
    );
    ran.expect(2);
    // A secret taken from a missing variable, and a missing path.
    let ran = run(cfscrub()
        .args(["scan", "--secret-env", "CFSCRUB_TEST_UNSET_VAR"])
        .arg(t.path()));
    check(&planted, "missing env", &ran);
    ran.expect(2);
    let ran = run(cfscrub().arg("scan").arg(t.path()).arg(t.join("missing")));
    check(&planted, "missing path", &ran);
    ran.expect(2);
}

#[test]
fn redact_and_verify_print_no_secret() {
    let (t, planted) = incident();
    for args in [
        vec!["redact", "--dry-run"],
        vec!["redact", "--dry-run", "--format", "json"],
        vec!["verify"],
        vec!["verify", "--format", "json"],
    ] {
        let ran = run(cfscrub().args(&args).arg(t.join("logs")));
        check(&planted, &args.join(" "), &ran);
        ran.expect(1);
    }
    let ran = run(cfscrub()
        .args(["verify", "--secret-from"])
        .arg(t.join("vault/leaked.txt"))
        .arg(t.join("logs")));
    check(&planted, "verify --secret-from", &ran);
    ran.expect(1);
    // A failure: a read-only file with secrets.
    let ro = t.join("logs/ci.log");
    let copy = t.write("ro/ci.log", std::fs::read(&ro).unwrap());
    std::fs::set_permissions(&copy, std::os::unix::fs::PermissionsExt::from_mode(0o444)).unwrap();
    let ran = run(cfscrub()
        .args(["redact", "--format", "json"])
        .arg(t.join("ro")));
    check(&planted, "redact failure", &ran);
    ran.expect(2);
    let ran = run(cfscrub().args(["redact"]).arg(t.join("logs")));
    check(&planted, "redact", &ran);
    ran.expect(0);
    let ran = run(cfscrub()
        .args(["redact", "--same-length"])
        .arg(t.join("vault")));
    check(&planted, "redact --same-length", &ran);
    ran.expect(0);
}

/// Writes `members` (name, bytes) into a tar at `dest` with the tar crate.
fn tar_of(dest: &std::path::Path, members: &[(String, Vec<u8>)]) {
    let mut b = tar::Builder::new(std::fs::File::create(dest).unwrap());
    for (name, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    b.finish().unwrap();
}

#[test]
fn redact_inside_containers_prints_no_secret() {
    let (t, planted) = incident();
    let log = std::fs::read(t.join("logs/ci.log")).unwrap();
    let leaked = std::fs::read_to_string(t.join("vault/leaked.txt")).unwrap();
    let leaked = leaked.trim().to_string();
    // The dry run's listing and the rewrite's lines name members.
    let ok = t.join("boxes/ok");
    std::fs::create_dir_all(&ok).unwrap();
    tar_of(
        &ok.join("bundle.tar"),
        &[
            ("ci/ci.log".into(), log.clone()),
            ("ci/clean.log".into(), b"fine\n".to_vec()),
        ],
    );
    t.write("boxes/ok/ci.log.gz", compress("gzip", &log));
    // Refusals name members: one named by a known secret, one by a shape.
    let bad = t.join("boxes/bad");
    std::fs::create_dir_all(&bad).unwrap();
    tar_of(
        &bad.join("named.tar"),
        &[(format!("keys/{leaked}.log"), log.clone())],
    );
    let shaped = planted.0[0].clone();
    tar_of(
        &bad.join("shaped.tar"),
        &[(format!("keys/{shaped}.log"), b"x\n".to_vec())],
    );
    let secret_from = t.join("vault/leaked.txt");
    for args in [
        vec!["redact", "--dry-run"],
        vec!["redact", "--dry-run", "--format", "json"],
    ] {
        for dir in [&ok, &bad] {
            let ran = run(cfscrub()
                .args(&args)
                .arg("--secret-from")
                .arg(&secret_from)
                .arg(dir));
            check(&planted, &args.join(" "), &ran);
        }
    }
    let ran = run(cfscrub()
        .args(["redact", "--format", "json", "--secret-from"])
        .arg(&secret_from)
        .arg(&bad));
    check(&planted, "redact refused", &ran);
    ran.expect(2);
    let ran = run(cfscrub()
        .args(["redact", "--secret-from"])
        .arg(&secret_from)
        .arg(&bad));
    check(&planted, "redact refused (human)", &ran);
    ran.expect(2);
    let ran = run(cfscrub().arg("redact").arg(&ok));
    check(&planted, "redact containers", &ran);
    ran.expect(0);
}

#[test]
fn a_token_typed_where_a_name_was_expected_is_masked() {
    let mut g = FakeGen::new(78);
    let mut planted = Planted::default();
    let token = planted.add(g.scannable("cfut_", true));
    let t = Tree::new();
    t.write(&format!("{token}.log"), "clean\n");
    for args in [
        vec!["verify".to_string(), token.clone()],
        vec!["scan".into(), "--secret-env".into(), token.clone()],
        vec!["scan".into(), format!("--bogus={token}")],
        vec!["run".into(), "--".into(), token.clone()],
        vec![
            "redact".into(),
            "--replacement".into(),
            token.clone(),
            ".".into(),
        ],
        vec!["diagnose".into(), token.clone()],
        vec!["vault".into(), "check".into(), token.clone()],
    ] {
        let ran = run(cfscrub().current_dir(t.path()).args(&args));
        check(
            &planted,
            &format!("{} with a token as an argument", args[0]),
            &ran,
        );
        // `run` exits as shells do for a command not found.
        ran.expect(if args[0] == "run" { 127 } else { 2 });
    }
    // A file named after a token is shown masked too.
    let ran = run(cfscrub().args(["scan", "--format", "json"]).arg(t.path()));
    check(&planted, "file named after a token", &ran);
}
