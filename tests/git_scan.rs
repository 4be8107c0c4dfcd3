//! `cfscrub git scan`: every object of a repository's history, and
//! `--staged`.

mod common;
mod gitrepo;

use common::{cfscrub, run, FakeGen, Planted};
use gitrepo::{finding_of, findings, fingerprint, git_in, leaky_history, GitRepo};
use serde_json::Value;

/// Output for a failure message, every credential shape masked.
fn masked(text: &str) -> String {
    cfscrub::mask::sanitize::mask_text(text)
}

#[test]
fn git_scan_finds_a_credential_in_every_place_history_hides_one() {
    let (repo, leaks) = leaky_history(14);
    let ran = run(cfscrub()
        .args(["git", "scan", "--format", "json"])
        .arg(repo.path()))
    .expect(1);
    leaks.planted.assert_absent("stdout", &ran.stdout);
    leaks.planted.assert_absent("stderr", &ran.stderr);
    let records = findings(&ran.stdout);
    let counts = git_in(repo.path(), &["count-objects", "-v"]);
    let count = |key: &str| -> u64 {
        let line = counts.lines().find(|l| l.starts_with(key)).unwrap();
        line[key.len()..].trim().parse().unwrap()
    };
    assert!(
        count("count:") > 0 && count("packs:") > 0,
        "both loose and packed objects: {counts}"
    );
    let token = |label: &str| &leaks.places.iter().find(|(l, _)| *l == label).unwrap().1;

    let add_env = git_in(
        repo.path(),
        &["log", "--diff-filter=A", "--format=%H", "--", ".env"],
    );
    let deleted = finding_of(&records, token("deleted"), "deleted");
    assert_eq!(deleted["path"], ".env");
    assert_eq!(deleted["commit"], add_env.trim());
    assert_eq!(deleted["reachable"], true);

    let branch = finding_of(&records, token("deleted-branch"), "deleted branch");
    assert_eq!(
        (&branch["path"], &branch["reachable"]),
        (&"deploy.toml".into(), &true.into())
    );

    let stash = finding_of(&records, token("dropped-stash"), "dropped stash");
    assert_eq!(stash["reachable"], false, "a dropped stash is unreachable");

    let message = finding_of(&records, token("commit-message"), "commit message");
    assert_eq!(
        (&message["object"], message["line"].as_u64()),
        (&"commit".into(), Some(6))
    );

    let tag = finding_of(&records, token("tag-message"), "tag message");
    assert_eq!(
        (&tag["object"], &tag["tag"]),
        (&"tag".into(), &"v1.0".into())
    );

    let renamed = finding_of(&records, token("renamed"), "renamed");
    assert_eq!(
        renamed["path"], "old/app.cfg",
        "first seen at its first path"
    );
    assert_eq!(
        renamed["commits"], 2,
        "one blob, read once, put in place by two commits"
    );

    for (label, path) in [
        ("merge", "side.sh"),
        ("binary", "assets/blob.bin"),
        ("loose", "later.env"),
    ] {
        assert_eq!(
            finding_of(&records, token(label), label)["path"],
            path,
            "{label}"
        );
    }
    let split: Vec<&Value> = records
        .iter()
        .filter(|r| r["path"] == "settings.py")
        .collect();
    assert_eq!(split.len(), 1, "the head of a split token is a partial");
    assert_eq!(
        (&split[0]["kind"], split[0]["line"].as_u64()),
        (&"cloudflare-partial".into(), Some(2))
    );
    assert_eq!(
        records.len(),
        10,
        "one finding per planted value, none twice"
    );
}

#[test]
fn git_scan_reports_in_human_and_sarif_without_leaking() {
    let (repo, leaks) = leaky_history(15);
    let human = run(cfscrub().args(["git", "scan"]).arg(repo.path())).expect(1);
    leaks.planted.assert_absent("human stdout", &human.stdout);
    leaks.planted.assert_absent("human stderr", &human.stderr);
    let text = human.stdout();
    assert!(
        text.contains(":.env:1:22: cloudflare-user-token (high) fp:"),
        "{}",
        masked(&text)
    );
    assert!(text.contains("[first seen in "), "{}", masked(&text));
    assert!(text.contains("tag v1.0 "), "{}", masked(&text));
    assert!(
        text.contains("[message; unreachable commit ") || text.contains("[unreachable blob "),
        "{}",
        masked(&text)
    );
    assert!(
        human.stderr().contains("cfscrub git scan: 10 findings in "),
        "{}",
        masked(&human.stderr())
    );

    let sarif = run(cfscrub()
        .args(["git", "scan", "--format", "sarif"])
        .arg(repo.path()))
    .expect(1);
    leaks.planted.assert_absent("sarif", &sarif.stdout);
    let doc: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let run0 = &doc["runs"][0];
    let head = git_in(repo.path(), &["rev-parse", "HEAD"]);
    assert_eq!(
        run0["versionControlProvenance"][0]["revisionId"],
        head.trim()
    );
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 10);
    let env = results
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == ".env")
        .expect("the .env result");
    let add_env = git_in(
        repo.path(),
        &["log", "--diff-filter=A", "--format=%H", "--", ".env"],
    );
    assert_eq!(env["partialFingerprints"]["commitSha"], add_env.trim());
}

#[test]
fn git_scan_reads_bare_and_mirror_clones() {
    let (repo, leaks) = leaky_history(16);
    let mirror = common::Tree::new();
    let dest = mirror.join("m.git");
    let url = format!("file://{}", repo.path().display());
    git_in(mirror.path(), &["clone", "-q", "--mirror", &url, "m.git"]);
    let ran = run(cfscrub()
        .args(["git", "scan", "--format", "json"])
        .arg(&dest))
    .expect(1);
    leaks.planted.assert_absent("stdout", &ran.stdout);
    let records = findings(&ran.stdout);
    // A clone carries what refs reach: not the reflog, not dangling objects.
    for (label, token) in &leaks.places {
        if !matches!(*label, "deleted-branch" | "dropped-stash" | "split") {
            finding_of(&records, token, label);
        }
    }
    assert_eq!(
        records.len(),
        8,
        "everything but the reflog-only and dangling ones"
    );
}

#[test]
fn git_scan_branch_since_and_exclude_narrow_the_history() {
    let (repo, leaks) = leaky_history(17);
    let ran = run(cfscrub()
        .args([
            "git",
            "scan",
            "--format",
            "json",
            "--branch",
            "main",
            "--exclude",
            "*.bin",
        ])
        .arg(repo.path()))
    .expect(1);
    leaks.planted.assert_absent("stdout", &ran.stdout);
    let records = findings(&ran.stdout);
    let fps: Vec<String> = leaks.places.iter().map(|(_, t)| fingerprint(t)).collect();
    let has = |i: usize| records.iter().any(|r| r["fingerprint"] == fps[i]);
    let labels: Vec<&str> = leaks.places.iter().map(|(l, _)| *l).collect();
    for (i, label) in labels.iter().enumerate() {
        let expected = !matches!(
            *label,
            "deleted-branch" | "dropped-stash" | "tag-message" | "binary" | "split"
        );
        assert_eq!(has(i), expected, "--branch main --exclude *.bin: {label}");
    }
    let ran = run(cfscrub()
        .args(["git", "scan", "--format", "json", "--since", "2100-01-01"])
        .arg(repo.path()))
    .expect(0);
    assert!(findings(&ran.stdout).is_empty());
}

#[test]
fn git_scan_without_git_or_outside_a_repository_is_an_error() {
    let empty = common::Tree::new();
    let ran = run(cfscrub()
        .env("PATH", empty.path())
        .args(["git", "scan"])
        .arg(empty.path()))
    .expect(2);
    assert!(
        ran.stderr().contains("git is not installed"),
        "{}",
        masked(&ran.stderr())
    );
    let ran = run(cfscrub().args(["git", "scan"]).arg(empty.path())).expect(2);
    assert!(
        ran.stderr().contains("not a git repository"),
        "{}",
        masked(&ran.stderr())
    );
}

#[test]
fn git_scan_of_a_clean_history_exits_0() {
    let repo = GitRepo::new();
    repo.commit(&[("a.txt", b"nothing here\n")], "one");
    let ran = run(cfscrub().args(["git", "scan"]).arg(repo.path())).expect(0);
    assert!(
        ran.stderr().contains("0 findings in 0 of 2 objects"),
        "{}",
        masked(&ran.stderr())
    );
}

#[test]
fn git_scan_staged_reads_only_what_is_about_to_be_committed() {
    let (repo, leaks) = leaky_history(18);
    // History is full of credentials; the staged change is clean.
    repo.tree.write("clean.txt", "hello\n");
    git_in(repo.path(), &["add", "clean.txt"]);
    let ran = run(cfscrub().args(["git", "scan", "--staged"]).arg(repo.path())).expect(0);
    assert!(
        ran.stderr().contains("0 findings in 0 of 1 object "),
        "{}",
        masked(&ran.stderr())
    );

    let mut planted = Planted::default();
    let token = planted.add(FakeGen::new(19).scannable("cfat_", true));
    repo.tree
        .write("deploy/.env", format!("CLOUDFLARE_API_TOKEN={token}\n"));
    git_in(repo.path(), &["add", "deploy/.env"]);
    let ran = run(cfscrub()
        .args(["git", "scan", "--staged"])
        .current_dir(repo.path()))
    .expect(1);
    for (what, out) in [("stdout", &ran.stdout), ("stderr", &ran.stderr)] {
        planted.assert_absent(what, out);
        leaks.planted.assert_absent(what, out);
    }
    assert!(
        ran.stdout()
            .starts_with("deploy/.env:1:22: cloudflare-account-token (high)"),
        "{}",
        masked(&ran.stdout())
    );
    assert!(
        ran.stderr().contains("git restore --staged"),
        "{}",
        masked(&ran.stderr())
    );
    assert!(ran.stderr().contains("vault"), "{}", masked(&ran.stderr()));
    assert!(
        ran.stderr().contains("1 finding in 1 of 2 objects"),
        "{}",
        masked(&ran.stderr())
    );
}

#[test]
fn git_scan_staged_works_before_the_first_commit() {
    let repo = GitRepo::new();
    let mut planted = Planted::default();
    let token = planted.add(FakeGen::new(20).scannable("cfut_", true));
    repo.tree.write("key.txt", format!("{token}\n"));
    git_in(repo.path(), &["add", "key.txt"]);
    let ran = run(cfscrub().args(["git", "scan", "--staged"]).arg(repo.path())).expect(1);
    planted.assert_absent("stdout", &ran.stdout);
    planted.assert_absent("stderr", &ran.stderr);
    assert!(
        ran.stdout().contains("key.txt:1:1: cloudflare-user-token"),
        "{}",
        masked(&ran.stdout())
    );
}

#[test]
fn git_scan_staged_as_a_pre_commit_framework_hook_blocks_the_commit() {
    let repo = GitRepo::new();
    repo.commit(&[("README.md", b"# app\n")], "start");
    let cfscrub_bin = assert_cmd::cargo::cargo_bin("cfscrub");
    repo.tree.write(
        ".pre-commit-config.yaml",
        format!(
            "repos:\n  - repo: local\n    hooks:\n      - id: cfscrub-staged\n        name: cfscrub (credentials staged for commit)\n        entry: {} git scan --staged -q\n        language: system\n        pass_filenames: false\n",
            cfscrub_bin.display()
        ),
    );
    git_in(repo.path(), &["add", ".pre-commit-config.yaml"]);
    let cache = common::Tree::new();
    let pre_commit = |args: &[&str]| {
        gitrepo::git_command(repo.path())
            .env("PRE_COMMIT_HOME", cache.path())
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .expect("git runs")
    };
    let installed = std::process::Command::new("pre-commit")
        .arg("install")
        .current_dir(repo.path())
        .env("PRE_COMMIT_HOME", cache.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("pre-commit is installed (.ci/run installs it)");
    assert!(installed.status.success(), "pre-commit install");

    let clean = pre_commit(&["commit", "-q", "-m", "add hook config"]);
    assert!(
        clean.status.success(),
        "a clean commit passes: {}",
        masked(&String::from_utf8_lossy(&clean.stdout))
    );

    let mut planted = Planted::default();
    let token = planted.add(FakeGen::new(21).scannable("cfut_", true));
    repo.tree
        .write(".env", format!("CLOUDFLARE_API_TOKEN={token}\n"));
    git_in(repo.path(), &["add", ".env"]);
    let blocked = pre_commit(&["commit", "-q", "-m", "add env"]);
    planted.assert_absent("hook stdout", &blocked.stdout);
    planted.assert_absent("hook stderr", &blocked.stderr);
    let said = String::from_utf8_lossy(&blocked.stdout).into_owned()
        + &String::from_utf8_lossy(&blocked.stderr);
    assert!(
        !blocked.status.success(),
        "the commit is refused: {}",
        masked(&said)
    );
    assert!(
        said.contains(".env:1:22: cloudflare-user-token"),
        "{}",
        masked(&said)
    );
    assert!(said.contains("git restore --staged"), "{}", masked(&said));
    assert_eq!(
        git_in(repo.path(), &["rev-list", "--count", "HEAD"]).trim(),
        "2",
        "nothing committed"
    );
}

#[test]
fn git_scan_tells_reachable_from_dangling_by_the_commits_that_hold_a_blob() {
    let mut fake = FakeGen::new(19);
    let mut planted = Planted::default();
    let (gone, kept) = (
        planted.add(fake.scannable("cfut_", true)),
        planted.add(fake.scannable("cfat_", true)),
    );
    let repo = GitRepo::new();
    repo.commit(&[("README.md", b"# app\n")], "start");
    repo.git(&["checkout", "-q", "-b", "spike"]);
    let kept_env = format!("CLOUDFLARE_API_TOKEN={kept}\n");
    repo.commit(
        &[
            ("gone.env", format!("T={gone}\n").as_bytes()),
            ("kept.env", kept_env.as_bytes()),
        ],
        "spike",
    );
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["branch", "-q", "-D", "spike"]);
    // The same blob as on the spike, committed again where a ref reaches it.
    repo.commit(&[("later/kept.env", kept_env.as_bytes())], "keep");
    repo.git(&[
        "reflog",
        "expire",
        "--expire=now",
        "--expire-unreachable=now",
        "--all",
    ]);

    let ran = run(cfscrub()
        .args(["git", "scan", "--format", "json"])
        .arg(repo.path()))
    .expect(1);
    planted.assert_absent("stdout", &ran.stdout);
    planted.assert_absent("stderr", &ran.stderr);
    let records = findings(&ran.stdout);
    let gone = finding_of(&records, &gone, "only on the deleted branch");
    assert_eq!(
        (&gone["reachable"], &gone["path"], &gone["commits"]),
        (&false.into(), &"gone.env".into(), &1.into()),
        "its only commit is dangling once the reflog expired"
    );
    let kept = finding_of(&records, &kept, "also on main");
    assert_eq!(
        (&kept["reachable"], &kept["path"], &kept["commits"]),
        (&true.into(), &"kept.env".into(), &2.into()),
        "first seen on the dangling commit, reachable through main"
    );
}
