//! End-to-end tests of `scan` and `verify` inside tar and zip archives:
//! members located by name (`logs.tar!dir/app.log:LINE:COL`), long names
//! in every tar format, a credential in a member name, `../` names that
//! never reach the filesystem, nested archives, and what is not inspected
//! (an encrypted zip member, a zip bomb, a corrupt tar). Archives are made
//! with Python's `tarfile`/`zipfile` and the `zip` tool (bash .ci/run
//! installs both). Every run is checked for leaks.

mod common;
use common::*;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

/// Builds an archive with Python: `kind` is `tar` (then `format` is
/// `ustar`, `gnu` or `pax`, `compression` `""` or `gz`) or `zip` (then
/// `format` is `stored` or `deflated`); each member's bytes come from a
/// file, so no value crosses a command line.
fn py_archive(kind: &str, format: &str, compression: &str, dest: &Path, members: &[(&str, &Path)]) {
    let script = r#"
import json, sys, tarfile, zipfile
spec = json.load(sys.stdin)
if spec["kind"] == "tar":
    fmt = {"ustar": tarfile.USTAR_FORMAT, "gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT}[spec["format"]]
    mode = "w:" + spec["compression"] if spec["compression"] else "w"
    with tarfile.open(spec["dest"], mode, format=fmt) as t:
        for name, src in spec["members"]:
            info = t.gettarinfo(src, arcname=name)
            info.uname, info.gname, info.mtime = "ci", "ci", 1700000000
            with open(src, "rb") as f:
                t.addfile(info, f)
else:
    method = {"stored": zipfile.ZIP_STORED, "deflated": zipfile.ZIP_DEFLATED}[spec["format"]]
    with zipfile.ZipFile(spec["dest"], "w", method) as z:
        for name, src in spec["members"]:
            with open(src, "rb") as f:
                z.writestr(name, f.read())
"#;
    let spec = json!({
        "kind": kind, "format": format, "compression": compression, "dest": dest,
        "members": members.iter().map(|(n, p)| json!([n, p])).collect::<Vec<_>>(),
    });
    pipe("python3", &["-c", script], spec.to_string().as_bytes());
}

/// Some clean lines, then `line` holding a token on line 4.
fn log_with(line: &str) -> String {
    format!("start\nstep one\nstep two\n{line}\nend\n")
}

#[test]
fn tar_members_in_every_format_are_scanned_and_located_by_their_long_names() {
    // Over the 100 bytes of a tar name field: ustar splits it into its
    // prefix field, GNU writes an `L` record, PAX a `path` record.
    let long = format!("ci/{}app.log", "nested/".repeat(25));
    for (seed, format) in [(1, "ustar"), (2, "gnu"), (3, "pax")] {
        let t = Tree::new();
        let mut g = FakeGen::new(seed);
        let mut p = Planted::default();
        let token = p.add(g.scannable("cfut_", true));
        let clean = t.write("src/clean.log", "nothing here\n");
        let leaked = t.write("src/leaked.log", log_with(&format!("export T={token}")));
        let name = &long[..];
        let tar = t.join("logs.tar");
        py_archive(
            "tar",
            format,
            "",
            &tar,
            &[("a/clean.log", &clean), (name, &leaked)],
        );

        let ran = run(cfscrub().args(["scan", "--format", "json"]).arg(&tar)).expect(1);
        check_no_leak(&p, format, &ran);
        let found = records(&ran.stdout, "finding");
        assert_eq!(found.len(), 1, "{format}: {found:?}");
        assert_eq!(found[0]["container_path"], json!([name]), "{format}");
        assert_eq!(
            (found[0]["line"].clone(), found[0]["column"].clone()),
            (json!(4), json!(10))
        );
        assert!(records(&ran.stdout, "uninspected").is_empty());

        let ran = run(cfscrub().arg("scan").arg(&tar)).expect(1);
        assert!(
            ran.stdout()
                .starts_with(&format!("{}!{name}:4:10: ", tar.display())),
            "{}",
            ran.stdout()
        );
    }
}

#[test]
fn a_token_split_across_two_members_is_not_one_finding() {
    let t = Tree::new();
    let mut g = FakeGen::new(4);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let (first, second) = token.split_at(token.len() / 2);
    let a = t.write("src/a", format!("x {first}"));
    let b = t.write("src/b", format!("{second} y\n"));
    let tar = t.join("split.tar");
    py_archive("tar", "gnu", "", &tar, &[("a", &a), ("b", &b)]);
    let ran = run(cfscrub().args(["scan", "--format", "json"]).arg(&tar));
    assert!(matches!(ran.code, Some(0 | 1)), "{:?}", ran.code);
    check_no_leak(&p, "split", &ran);
    for f in records(&ran.stdout, "finding") {
        assert!(f["length"].as_u64().unwrap() < token.len() as u64, "{f}");
    }
    // The same bytes as one file are one whole token.
    let joined = t.write("joined.log", format!("x {first}{second} y\n"));
    let ran = run(cfscrub().args(["scan", "--format", "json"]).arg(&joined)).expect(1);
    assert_eq!(
        records(&ran.stdout, "finding")[0]["length"],
        json!(token.len())
    );
}

#[test]
fn a_token_in_a_member_name_is_found_on_line_0_and_shown_masked() {
    let t = Tree::new();
    let mut g = FakeGen::new(5);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfat_", true));
    let body = t.write("src/body", "clean\n");
    let tar = t.join("names.tar");
    let name = format!("backup/{token}.txt");
    py_archive("tar", "pax", "", &tar, &[(&name, &body)]);
    let zip = t.join("names.zip");
    py_archive("zip", "deflated", "", &zip, &[(&name, &body)]);
    for archive in [&tar, &zip] {
        let ran = run(cfscrub().args(["scan", "--format", "json"]).arg(archive)).expect(1);
        check_no_leak(&p, "name", &ran);
        let found = records(&ran.stdout, "finding");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0]["line"], 0);
        assert_eq!(found[0]["column"], 8);
        assert_eq!(
            found[0]["container_path"],
            json!(["backup/[REDACTED_CF_TOKEN].txt"])
        );
        let ran = run(cfscrub().arg("scan").arg(archive)).expect(1);
        check_no_leak(&p, "name, human", &ran);
    }
}

#[test]
fn a_dot_dot_member_name_is_only_a_name() {
    let t = Tree::new();
    let mut g = FakeGen::new(6);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let evil = t.write("src/evil", log_with(&token));
    let work = t.join("work");
    std::fs::create_dir(&work).unwrap();
    let tar = work.join("evil.tar");
    py_archive("tar", "gnu", "", &tar, &[("../../escaped.log", &evil)]);
    let zip = work.join("evil.zip");
    py_archive("zip", "stored", "", &zip, &[("../../escaped.log", &evil)]);
    let before: Vec<_> = walk_names(t.path());
    for archive in [&tar, &zip] {
        let ran = run(cfscrub()
            .args(["verify", "--format", "json"])
            .arg(archive)
            .current_dir(&work))
        .expect(1);
        check_no_leak(&p, "dot-dot", &ran);
        assert_eq!(
            records(&ran.stdout, "finding")[0]["container_path"],
            json!(["../../escaped.log"])
        );
    }
    assert_eq!(walk_names(t.path()), before, "nothing was written");
    assert!(!t.path().parent().unwrap().join("escaped.log").exists());
}

fn walk_names(root: &Path) -> Vec<String> {
    let mut names = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            names.push(path.display().to_string());
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    names.sort();
    names
}

#[test]
fn nested_archives_are_located_layer_by_layer() {
    let t = Tree::new();
    let mut g = FakeGen::new(7);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let leaked = t.write("src/app.log", log_with(&format!("T={token}")));
    let gz = t.join("src/app.log.gz");
    let out = std::fs::File::create(&gz).unwrap();
    assert!(Command::new("gzip")
        .arg("-c")
        .arg(&leaked)
        .stdout(out)
        .status()
        .unwrap()
        .success());
    let tgz = t.join("src/inner.tar.gz");
    py_archive("tar", "pax", "gz", &tgz, &[("logs/app.log.gz", &gz)]);
    let zip = t.join("bundle.zip");
    py_archive(
        "zip",
        "deflated",
        "",
        &zip,
        &[("artifacts/inner.tar.gz", &tgz)],
    );

    let ran = run(cfscrub().args(["scan", "--format", "json"]).arg(&zip)).expect(1);
    check_no_leak(&p, "nested", &ran);
    let found = records(&ran.stdout, "finding");
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0]["container_path"],
        json!([
            "artifacts/inner.tar.gz",
            "inner.tar",
            "logs/app.log.gz",
            "app.log"
        ])
    );
    let ran = run(cfscrub().args(["scan", "--format", "sarif"]).arg(&zip)).expect(1);
    let doc: Value = serde_json::from_slice(&ran.stdout).unwrap();
    assert_eq!(
        doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        format!(
            "file://{}!/artifacts/inner.tar.gz!/inner.tar!/logs/app.log.gz!/app.log",
            zip.display()
        )
    );

    let ran = run(cfscrub().args(["verify", "--max-depth", "2"]).arg(&zip)).expect(2);
    check_no_leak(&p, "nested, --max-depth 2", &ran);
    assert!(ran.stderr().contains(&format!(
        "cfscrub: not inspected: {}!artifacts/inner.tar.gz!inner.tar (tar: nested more than 2 deep (--max-depth))",
        zip.display()
    )), "{}", ran.stderr());
}

#[test]
fn an_encrypted_zip_member_is_not_inspected_and_verify_is_incomplete() {
    let t = Tree::new();
    let mut g = FakeGen::new(8);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let leaked = t.write("src/app.log", log_with(&token));
    let zip = t.join("secret.zip");
    let ran = Command::new("zip")
        .args(["-q", "-j", "-P", "not-a-credential"])
        .arg(&zip)
        .arg(&leaked)
        .status()
        .expect("zip runs (bash .ci/run installs it)");
    assert!(ran.success());
    let ran = run(cfscrub().args(["verify", "--format", "json"]).arg(&zip)).expect(2);
    check_no_leak(&p, "encrypted", &ran);
    assert_eq!(
        records(&ran.stdout, "uninspected"),
        [json!({"type": "uninspected", "path": zip, "reason": "zip: encrypted member"})]
    );
}

#[test]
fn a_zip_bomb_is_not_inspected() {
    let t = Tree::new();
    let zeros = t.join("zeros");
    let f = std::fs::File::create(&zeros).unwrap();
    f.set_len(256 << 20).unwrap();
    let zip = t.join("bomb.zip");
    py_archive("zip", "deflated", "", &zip, &[("zeros.log", &zeros)]);
    std::fs::remove_file(&zeros).unwrap();
    let started = std::time::Instant::now();
    // A low ratio keeps the unoptimised test build quick; the default is
    // tested on a gzip bomb (reach_compressed.rs).
    let ran = run(cfscrub()
        .args(["verify", "--max-ratio", "100", "--format", "json"])
        .arg(&zip))
    .expect(2);
    assert!(started.elapsed() < std::time::Duration::from_secs(120));
    assert_eq!(
        records(&ran.stdout, "uninspected"),
        [
            json!({"type": "uninspected", "path": zip, "container_path": ["zeros.log"],
                "reason": "zip: expands more than 100-fold (--max-ratio)"})
        ]
    );
}

#[test]
fn a_corrupt_tar_is_not_inspected_from_the_bad_header_on() {
    let t = Tree::new();
    let mut g = FakeGen::new(9);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let a = t.write("src/a.log", log_with(&token));
    let b = t.write("src/b.log", "after\n");
    let tar = t.join("bad.tar");
    py_archive("tar", "ustar", "", &tar, &[("a.log", &a), ("b.log", &b)]);
    let mut bytes = std::fs::read(&tar).unwrap();
    bytes[1024 + 148] ^= 0x55; // the second header's checksum
    std::fs::write(&tar, &bytes).unwrap();
    let ran = run(cfscrub().args(["verify", "--format", "json"]).arg(&tar)).expect(1);
    check_no_leak(&p, "corrupt tar", &ran);
    assert_eq!(records(&ran.stdout, "finding").len(), 1);
    let notes = records(&ran.stdout, "uninspected");
    assert_eq!(notes.len(), 1);
    assert!(notes[0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("tar: corrupt"));
}
