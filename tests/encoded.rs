//! Encoded credentials end to end, through the real binary: base64 (a
//! Kubernetes Secret, an `Authorization: Basic` header, every alignment in
//! both alphabets), percent-encoding in a URL's query, `\u005f` in JSON,
//! and known secrets in base64 and URL-encoded form — found by `scan` and
//! `verify` (and `git scan`) with their encoding in every format, replaced
//! whole by `redact`, `filter`, `history` and `git redact`, and never
//! shown, encoded or decoded.

mod common;
mod gitrepo;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use common::*;
use std::io::Write;
use std::process::{Command, Stdio};

/// The base64 characters of `plain` (standard alphabet unless `url`) that
/// encode only bytes of the part starting at byte `from`: what must be gone
/// once that part is masked.
fn carrying(plain: &str, from: usize, url: bool) -> String {
    let encoded = if url {
        URL_SAFE_NO_PAD.encode(plain)
    } else {
        STANDARD.encode(plain)
    };
    let first = (8 * from).div_ceil(6);
    let end = 8 * plain.len() / 6;
    encoded[first..end].to_string()
}

/// A tree of encoded credentials; `planted` holds every value, its
/// encoded text and the characters that carry it.
struct Fixture {
    tree: Tree,
    planted: Planted,
    /// Encoded findings expected in the tree.
    expected: usize,
}

fn fixture(seed: u64) -> Fixture {
    let mut g = FakeGen::new(seed);
    let mut p = Planted::default();
    let tree = Tree::new();
    let mut expected = 0;

    // A Kubernetes Secret: a scannable token, a legacy token with its
    // newline (`echo … | base64`), a Global API Key.
    let token = p.add(g.scannable("cfut_", true));
    let legacy = p.add(g.legacy_token());
    let key = p.add(g.hex(37));
    let manifest = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cloudflare\ntype: Opaque\ndata:\n  \
         CLOUDFLARE_API_TOKEN: {}\n  CF_API_TOKEN: {}\n  CLOUDFLARE_API_KEY: {}\n",
        p.add(STANDARD.encode(&token)),
        p.add(STANDARD.encode(format!("{legacy}\n"))),
        p.add(STANDARD.encode(&key)),
    );
    tree.write("k8s/secret.yaml", manifest);
    expected += 3;

    // An `Authorization: Basic` header: `user:token`.
    let account = p.add(g.scannable("cfat_", true));
    let basic = format!("ci-bot:{account}");
    p.add(carrying(&basic, 7, false));
    tree.write(
        "deploy.sh",
        format!(
            "curl -H 'Authorization: Basic {}' https://example.net/hook\n",
            STANDARD.encode(&basic)
        ),
    );
    expected += 1;

    // A URL with a percent-encoded token in its query; a JSON string with
    // `\u005f`.
    let global = p.add(g.scannable("cfk_", true));
    p.add(global.replace('_', "%5F"));
    let service = p.add(g.scannable("cfast_", true));
    p.add(service.replace('_', "\\u005f"));
    tree.write(
        "access.log",
        format!(
            "GET /callback?state=1&token={}&next=%2F HTTP/1.1\n",
            global.replace('_', "%5F")
        ),
    );
    tree.write(
        "config.json",
        format!("{{\"token\":\"{}\"}}\n", service.replace('_', "\\u005f")),
    );
    expected += 2;

    // Every alignment, both alphabets, every prefixed shape.
    let mut lines = String::new();
    for (i, lead) in ["", "a", "ab"].iter().enumerate() {
        for url in [false, true] {
            let value = match i {
                0 => g.scannable("cfut_", true),
                1 => g.oauth("cfoat_"),
                _ => g.origin_ca(),
            };
            let value = p.add(value);
            let plain = format!("{lead}{value}");
            p.add(carrying(&plain, lead.len(), url));
            let encoded = if url {
                URL_SAFE_NO_PAD.encode(&plain)
            } else {
                STANDARD.encode(&plain)
            };
            lines.push_str(&format!("blob: {encoded}\n"));
            expected += 1;
        }
    }
    // A wrong checksum inside base64 is not a finding.
    let bad = g.scannable("cfut_", false);
    lines.push_str(&format!("bad: {}\n", STANDARD.encode(bad)));
    tree.write("blobs.txt", lines);
    Fixture {
        tree,
        planted: p,
        expected,
    }
}

#[test]
fn scan_reports_each_encoded_form_with_its_encoding_in_every_format() {
    let f = fixture(1);
    let ran = run(cfscrub()
        .args(["scan", "--format", "json"])
        .arg(f.tree.path()))
    .expect(1);
    f.planted.assert_absent("scan json", &ran.stdout);
    f.planted.assert_absent("scan json stderr", &ran.stderr);
    let records = json_lines(&ran.stdout);
    let findings: Vec<_> = records.iter().filter(|r| r["type"] == "finding").collect();
    let encodings: Vec<&str> = findings
        .iter()
        .map(|r| r["encoding"].as_str().unwrap_or("none"))
        .collect();
    assert_eq!(findings.len(), f.expected, "{encodings:?}");
    assert_eq!(encodings.iter().filter(|e| **e == "base64").count(), 10);
    assert_eq!(encodings.iter().filter(|e| **e == "percent").count(), 1);
    assert_eq!(encodings.iter().filter(|e| **e == "escape").count(), 1);
    assert!(findings
        .iter()
        .all(|r| r["confidence"] != "low" && r["fingerprint"].is_string()));

    let human = run(cfscrub().arg("scan").arg(f.tree.path())).expect(1);
    f.planted.assert_absent("scan human", &human.stdout);
    f.planted.assert_absent("scan human stderr", &human.stderr);
    assert_eq!(human.stdout().matches(" encoding:base64").count(), 10);
    assert_eq!(human.stdout().matches(" encoding:percent").count(), 1);

    let sarif = run(cfscrub()
        .args(["scan", "--format", "sarif"])
        .arg(f.tree.path()))
    .expect(1);
    f.planted.assert_absent("scan sarif", &sarif.stdout);
    let doc: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let encoded = results
        .iter()
        .filter(|r| r["properties"]["encoding"].is_string())
        .count();
    assert_eq!(encoded, f.expected);
}

#[test]
fn verify_counts_encoded_forms() {
    let f = fixture(2);
    let ran = run(cfscrub()
        .args(["verify", "--format", "json"])
        .arg(f.tree.path()))
    .expect(1);
    f.planted.assert_absent("verify", &ran.stdout);
    f.planted.assert_absent("verify stderr", &ran.stderr);
    let summary = json_lines(&ran.stdout).pop().unwrap();
    assert_eq!(summary["findings"], f.expected as u64);
}

#[test]
fn redact_replaces_each_encoded_span_whole() {
    let f = fixture(3);
    let ran = run(cfscrub().arg("redact").arg(f.tree.path())).expect(0);
    f.planted.assert_absent("redact", &ran.stdout);
    f.planted.assert_absent("redact stderr", &ran.stderr);
    for file in [
        "k8s/secret.yaml",
        "deploy.sh",
        "access.log",
        "config.json",
        "blobs.txt",
    ] {
        let text = std::fs::read(f.tree.join(file)).unwrap();
        f.planted.assert_absent(file, &text);
        assert!(
            String::from_utf8_lossy(&text).contains("[REDACTED"),
            "{file} has no marker"
        );
    }
    let manifest = std::fs::read_to_string(f.tree.join("k8s/secret.yaml")).unwrap();
    assert!(manifest.contains("kind: Secret\n") && manifest.contains("  CF_API_TOKEN: [REDACTED"));
    // The wrong checksum stayed; nothing else is found.
    let after = run(cfscrub()
        .args(["scan", "--format", "json"])
        .arg(f.tree.path()))
    .expect(0);
    assert_eq!(json_lines(&after.stdout).pop().unwrap()["findings"], 0);
}

/// Writes `text` to `cfscrub filter` in two writes split at `at`, the
/// first read before the second is written.
fn filter_split(text: &[u8], at: usize, args: &[&str]) -> Vec<u8> {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("cfscrub"))
        .arg("filter")
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&text[..at]).unwrap();
    wait_until_read(&stdin);
    stdin.write_all(&text[at..]).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn filter_masks_an_encoded_token_split_anywhere() {
    let mut g = FakeGen::new(4);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let basic = format!("u:{token}");
    p.add(carrying(&basic, 2, false));
    let percent = p.add(token.replace('_', "%5f"));
    let text = format!(
        "step 1\nAuthorization: Basic {}\nGET /x?t={percent}&y\ndone\n",
        STANDARD.encode(&basic)
    );
    let bytes = text.as_bytes();
    let whole = filter_split(bytes, 0, &[]);
    p.assert_absent("filter", &whole);
    assert!(String::from_utf8_lossy(&whole).ends_with("&y\ndone\n"));
    let start = text.find("Basic ").unwrap();
    for at in (start..bytes.len()).step_by(7) {
        assert_same(
            &format!("split at {at}"),
            filter_split(bytes, at, &[]),
            &whole,
        );
    }
}

#[test]
fn known_secrets_are_hunted_in_base64_and_url_encoded_form() {
    let mut g = FakeGen::new(5);
    let mut p = Planted::default();
    let tree = Tree::new();
    // A value of no Cloudflare shape: only the known-secret hunt finds it.
    let value = p.add(format!("{}/{}+{}", g.alnum(14), g.alnum(10), g.alnum(8)));
    tree.write("leaked.txt", format!("{value}\n"));
    let url = p.add(value.replace('/', "%2F").replace('+', "%2B"));
    let mut text = format!("GET /login?pw={url}&x=1\n");
    for lead in ["", "a", "ab"] {
        let plain = format!("{lead}{value}");
        p.add(carrying(&plain, lead.len(), false));
        p.add(carrying(&plain, lead.len(), true));
        text.push_str(&format!(
            "{}\n{}\n",
            STANDARD.encode(&plain),
            URL_SAFE_NO_PAD.encode(&plain)
        ));
    }
    tree.write("logs/app.log", &text);
    let secret = tree.join("leaked.txt");
    let logs = tree.join("logs");
    let ran = run(cfscrub()
        .args(["verify", "--format", "json", "--secret-from"])
        .arg(&secret)
        .arg(&logs))
    .expect(1);
    p.assert_absent("verify", &ran.stdout);
    p.assert_absent("verify stderr", &ran.stderr);
    let findings: Vec<_> = json_lines(&ran.stdout)
        .into_iter()
        .filter(|r| r["type"] == "finding")
        .collect();
    assert_eq!(findings.len(), 7);
    assert!(findings
        .iter()
        .all(|r| r["kind"] == "known-secret" && r["encoding"].is_string()));
    run(cfscrub()
        .args(["redact", "--secret-from"])
        .arg(&secret)
        .arg(&logs))
    .expect(0);
    p.assert_absent(
        "redacted log",
        &std::fs::read(tree.join("logs/app.log")).unwrap(),
    );
}

#[test]
fn history_redacts_an_encoded_token_in_a_shell_history() {
    let mut g = FakeGen::new(6);
    let mut p = Planted::default();
    let home = Tree::new();
    let token = p.add(g.scannable("cfat_", true));
    let encoded = p.add(STANDARD.encode(&token));
    home.write(
        ".bash_history",
        format!("ls\nkubectl create secret generic cf --from-literal=t={encoded}\necho kept\n"),
    );
    let ran = run(cfscrub()
        .env_remove("HISTFILE")
        .args(["history", "--home"])
        .arg(home.path()))
    .expect(0);
    p.assert_absent("history", &ran.stdout);
    p.assert_absent("history stderr", &ran.stderr);
    let after = std::fs::read_to_string(home.join(".bash_history")).unwrap();
    p.assert_absent("history file", after.as_bytes());
    assert!(after.starts_with("ls\nkubectl create secret generic cf --from-literal=t=[REDACTED"));
    assert!(after.ends_with("\necho kept\n"));
}

#[test]
fn an_encoded_token_in_a_file_name_is_masked_in_every_output() {
    let mut g = FakeGen::new(7);
    let mut p = Planted::default();
    let tree = Tree::new();
    let token = p.add(g.scannable("cfut_", true));
    let name = p.add(URL_SAFE_NO_PAD.encode(&token));
    tree.write(&format!("{name}.log"), format!("t={token}\n"));
    for format in ["human", "json", "sarif"] {
        let ran = run(cfscrub()
            .args(["scan", "--format", format])
            .arg(tree.path()))
        .expect(1);
        p.assert_absent(&format!("scan {format}"), &ran.stdout);
        p.assert_absent(&format!("scan {format} stderr"), &ran.stderr);
    }
    let ran = run(cfscrub().args(["redact", "--dry-run"]).arg(tree.path())).expect(1);
    p.assert_absent("redact --dry-run", &ran.stdout);
    p.assert_absent("redact --dry-run stderr", &ran.stderr);
}

#[test]
fn git_scan_and_git_redact_handle_an_encoded_token_in_history() {
    let mut g = FakeGen::new(8);
    let mut p = Planted::default();
    let repo = gitrepo::GitRepo::new();
    let token = p.add(g.scannable("cfut_", true));
    let encoded = p.add(STANDARD.encode(&token));
    let manifest = format!("kind: Secret\ndata:\n  CLOUDFLARE_API_TOKEN: {encoded}\n");
    repo.commit(&[("secret.yaml", manifest.as_bytes())], "add the secret");
    repo.commit(&[("secret.yaml", b"kind: Secret\n")], "remove it");
    let ran = run(cfscrub()
        .args(["git", "scan", "--format", "json"])
        .arg(repo.path()))
    .expect(1);
    p.assert_absent("git scan", &ran.stdout);
    p.assert_absent("git scan stderr", &ran.stderr);
    let findings: Vec<_> = json_lines(&ran.stdout)
        .into_iter()
        .filter(|r| r["type"] == "finding")
        .collect();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["encoding"], "base64");
    assert_eq!(findings[0]["kind"], "cloudflare-user-token");
    let ran = run(cfscrub()
        .args(["git", "redact", "--force"])
        .arg(repo.path()))
    .expect(0);
    p.assert_absent("git redact", &ran.stdout);
    p.assert_absent("git redact stderr", &ran.stderr);
    p.assert_absent(
        "objects after git redact",
        &gitrepo::all_object_contents(repo.path()),
    );
    run(cfscrub().args(["git", "scan"]).arg(repo.path())).expect(0);
}
