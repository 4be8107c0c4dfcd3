//! How `cfscrub git scan` reads the object database: its own packs in
//! process (several packs, an object in two of them), and what they do
//! not hold through git (loose objects, objects borrowed through
//! `objects/info/alternates`), from a linked worktree as from the main one.

mod common;
mod gitrepo;

use common::{cfscrub, run};
use gitrepo::{finding_of, findings, git_in, leaky_history, Leaks};
use std::path::Path;

/// Scans `repo` and checks that every planted value of `leaks` is reported
/// exactly once and that nothing leaks; returns the findings.
fn scan_finds_each_once(repo: &Path, leaks: &Leaks) -> Vec<serde_json::Value> {
    let ran = run(cfscrub()
        .args(["git", "scan", "--format", "json"])
        .arg(repo))
    .expect(1);
    leaks.planted.assert_absent("stdout", &ran.stdout);
    leaks.planted.assert_absent("stderr", &ran.stderr);
    let records = findings(&ran.stdout);
    for (label, token) in &leaks.places {
        if *label != "split" {
            finding_of(&records, token, label);
        }
    }
    records
}

fn count(repo: &Path, key: &str) -> u64 {
    let counts = git_in(repo, &["count-objects", "-v"]);
    let line = counts.lines().find(|l| l.starts_with(key)).unwrap();
    line[key.len()..].trim().parse().unwrap()
}

#[test]
fn git_scan_reads_an_object_held_by_two_packs_once() {
    let (repo, leaks) = leaky_history(21);
    // A second pack of everything reachable, the first kept: most objects
    // are now in two packs, and a few still loose.
    git_in(repo.path(), &["repack", "-a", "-q"]);
    assert!(count(repo.path(), "packs:") >= 2);
    assert!(count(repo.path(), "count:") > 0, "some objects stay loose");
    let records = scan_finds_each_once(repo.path(), &leaks);
    assert_eq!(records.len(), 10, "one finding per planted value");
}

#[test]
fn git_scan_reads_objects_borrowed_through_alternates() {
    let (origin, leaks) = leaky_history(22);
    let clone = common::Tree::new();
    let url = origin.path().to_str().unwrap();
    // `--shared`: the clone's own object database is empty, everything is
    // read from the origin's through `objects/info/alternates`.
    git_in(clone.path(), &["clone", "-q", "--shared", url, "c"]);
    let dest = clone.join("c");
    assert!(dest.join(".git/objects/info/alternates").exists());
    assert_eq!(count(&dest, "packs:"), 0);
    // `--batch-all-objects` lists the alternate's objects too: all of them.
    let records = scan_finds_each_once(&dest, &leaks);
    assert_eq!(records.len(), 10, "one finding per planted value");
}

#[test]
fn git_scan_from_a_linked_worktree_reads_the_shared_packs() {
    let (repo, leaks) = leaky_history(23);
    let other = common::Tree::new();
    let linked = other.join("linked");
    git_in(
        repo.path(),
        &[
            "worktree",
            "add",
            "-q",
            linked.to_str().unwrap(),
            "-b",
            "side",
        ],
    );
    let records = scan_finds_each_once(&linked, &leaks);
    assert_eq!(records.len(), 10, "one finding per planted value");
}

#[test]
fn git_scan_reads_a_sha256_repository_through_git_and_places_its_blobs() {
    let mut fake = common::FakeGen::new(24);
    let mut planted = common::Planted::default();
    let in_file = planted.add(fake.scannable("cfut_", true));
    let in_message = planted.add(fake.scannable("cfut_", true));
    let tree = common::Tree::new();
    let dir = tree.path();
    git_in(dir, &["init", "-q", "--object-format=sha256", "."]);
    tree.write("app/.env", format!("CLOUDFLARE_API_TOKEN={in_file}\n"));
    git_in(dir, &["add", "-A"]);
    git_in(dir, &["commit", "-q", "-m", "add env"]);
    let first = git_in(dir, &["rev-parse", "HEAD"]).trim().to_string();
    assert_eq!(first.len(), 64, "a SHA-256 repository");
    git_in(
        dir,
        &[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            &format!("debug {in_message}"),
        ],
    );
    git_in(dir, &["repack", "-a", "-d", "-q"]);
    assert!(count(dir, "packs:") >= 1);
    let ran = run(cfscrub().args(["git", "scan", "--format", "json"]).arg(dir)).expect(1);
    planted.assert_absent("stdout", &ran.stdout);
    planted.assert_absent("stderr", &ran.stderr);
    let records = findings(&ran.stdout);
    assert_eq!(records.len(), 2, "both values, once each");
    let blob = finding_of(&records, &in_file, "file");
    assert_eq!(blob["commit"], first.as_str());
    assert_eq!(blob["path"], "app/.env");
    assert_eq!(blob["commits"], 1);
    let message = finding_of(&records, &in_message, "message");
    assert_eq!(message["object"], "commit");
}
