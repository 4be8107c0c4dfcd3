//! `git scan --format sarif`: valid against the SARIF 2.1.0 JSON schema
//! (fetched by scripts/fetch-sarif-schema.sh, which .ci/run runs), with the
//! repository in `versionControlProvenance`.

mod common;
mod gitrepo;

use common::{cfscrub, run, Tree};
use gitrepo::leaky_history;
use std::path::PathBuf;

#[test]
fn git_scan_sarif_is_valid_against_the_2_1_0_schema() {
    let (repo, leaks) = leaky_history(40);
    let ran = run(cfscrub()
        .args(["git", "scan", "--format", "sarif"])
        .arg(repo.path()))
    .expect(1);
    leaks.planted.assert_absent("sarif", &ran.stdout);
    let schema =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/sarif-schema/sarif-2.1.0.json");
    assert!(
        schema.is_file(),
        "{} is missing: run scripts/fetch-sarif-schema.sh (needs npm)",
        schema.display()
    );
    let t = Tree::new();
    let doc = t.write("git.sarif", &ran.stdout);
    let check = "import json, sys, jsonschema\n\
        schema = json.load(open(sys.argv[1]))\n\
        doc = json.load(open(sys.argv[2]))\n\
        errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(doc), key=str)\n\
        for e in errors: print(list(e.absolute_path), e.message[:200])\n\
        sys.exit(1 if errors else 0)";
    let out = std::process::Command::new("python3")
        .args(["-c", check])
        .arg(&schema)
        .arg(&doc)
        .output()
        .expect("python3 runs (with jsonschema: .ci/run installs it)");
    assert!(
        out.status.success(),
        "schema errors:\n{}",
        cfscrub::mask::sanitize::mask_text(&String::from_utf8_lossy(&out.stdout))
    );
    let value: serde_json::Value = serde_json::from_slice(&ran.stdout).unwrap();
    let vcp = &value["runs"][0]["versionControlProvenance"][0];
    assert!(vcp["repositoryUri"]
        .as_str()
        .is_some_and(|u| u.starts_with("file://")));
}
