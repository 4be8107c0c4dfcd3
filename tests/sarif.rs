//! `scan --format sarif`: a document valid against the SARIF 2.1.0 JSON
//! schema (fetched by scripts/fetch-sarif-schema.sh, which .ci/run runs),
//! with UTF-16 columns declared and converted, paths relative to
//! `%SRCROOT%`, and no placeholder URI.

mod common;
use common::*;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command as Process;

/// The schema, put there by scripts/fetch-sarif-schema.sh.
fn schema() -> PathBuf {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/sarif-schema/sarif-2.1.0.json");
    assert!(
        path.is_file(),
        "{} is missing: run scripts/fetch-sarif-schema.sh (needs npm)",
        path.display()
    );
    path
}

/// Validates `doc` against the schema with Python's `jsonschema`.
fn assert_valid_sarif(doc: &[u8]) {
    let t = Tree::new();
    let file = t.write("doc.sarif", doc);
    let check = "import json, sys, jsonschema\n\
        schema = json.load(open(sys.argv[1]))\n\
        doc = json.load(open(sys.argv[2]))\n\
        errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(doc), key=str)\n\
        for e in errors: print(list(e.absolute_path), e.message[:200])\n\
        sys.exit(1 if errors else 0)";
    let out = Process::new("python3")
        .args(["-c", check])
        .arg(schema())
        .arg(&file)
        .output()
        .expect("python3 runs (with jsonschema: .ci/run installs it)");
    assert!(
        out.status.success(),
        "not valid SARIF 2.1.0:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sarif_output_is_valid_against_the_2_1_0_schema() {
    let t = Tree::new();
    let mut g = FakeGen::new(11);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let key = p.add(g.hex(37));
    t.write(
        "ci/deploy.log",
        format!("token {token}\nX-Auth-Key: {key}\n"),
    );
    t.write(
        "dir with space/a.env",
        format!("CLOUDFLARE_API_TOKEN={token}\n"),
    );
    let gz = Process::new("gzip")
        .args(["-c"])
        .stdin(std::fs::File::open(t.join("ci/deploy.log")).unwrap())
        .output()
        .expect("gzip runs");
    t.write("old.log.gz", gz.stdout);
    let ran = run(cfscrub()
        .current_dir(t.path())
        .args(["scan", "--format", "sarif", "."]))
    .expect(1);
    p.assert_absent("scan --format sarif", ran.stdout.as_slice());
    p.assert_absent("scan --format sarif (stderr)", ran.stderr().as_bytes());
    assert_valid_sarif(&ran.stdout);
    let doc: Value = serde_json::from_slice(&ran.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() >= 3, "{doc}");
    let notes = &doc["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(notes.as_array().map(Vec::len), Some(1), "{doc}");
}

#[test]
fn sarif_paths_are_relative_to_srcroot_and_there_is_no_placeholder_uri() {
    let t = Tree::new();
    let token = FakeGen::new(12).scannable("cfut_", true);
    t.write(
        "dir with space/a.env",
        format!("CLOUDFLARE_API_TOKEN={token}\n"),
    );
    let ran = run(cfscrub()
        .current_dir(t.path())
        .args(["scan", "--format", "sarif", "."]))
    .expect(1);
    let doc: Value = serde_json::from_slice(&ran.stdout).unwrap();
    let run0 = &doc["runs"][0];
    let artifact = &run0["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(artifact["uri"], "dir%20with%20space/a.env", "{doc}");
    assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
    let root = run0["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("%SRCROOT% is declared");
    let cwd = t.path().canonicalize().unwrap();
    assert_eq!(root, format!("file://{}/", cwd.display()));
    assert!(
        run0["tool"]["driver"].get("informationUri").is_none(),
        "no placeholder informationUri: {doc}"
    );
}

#[test]
fn sarif_columns_are_utf16_code_units() {
    let t = Tree::new();
    let mut g = FakeGen::new(13);
    let token = g.scannable("cfut_", true);
    // "é" is 2 bytes and 1 UTF-16 unit; "😀" is 4 bytes and 2 units.
    t.write("a.log", format!("é😀 {token}\n{token}\n"));
    let ran = run(cfscrub()
        .current_dir(t.path())
        .args(["scan", "--format", "sarif", "a.log"]))
    .expect(1);
    let doc: Value = serde_json::from_slice(&ran.stdout).unwrap();
    let run0 = &doc["runs"][0];
    assert_eq!(run0["columnKind"], "utf16CodeUnits");
    let region =
        |i: usize| run0["results"][i]["locations"][0]["physicalLocation"]["region"].clone();
    // Bytes before the token: 2 + 4 + 1 = 7; UTF-16 units: 1 + 2 + 1 = 4.
    assert_eq!(
        (
            region(0)["startLine"].clone(),
            region(0)["startColumn"].clone()
        ),
        (1.into(), 5.into())
    );
    assert_eq!(region(0)["byteOffset"], 7);
    assert_eq!(
        (
            region(1)["startLine"].clone(),
            region(1)["startColumn"].clone()
        ),
        (2.into(), 1.into())
    );
}
