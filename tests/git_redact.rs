//! `cfscrub git redact`: history rewritten, nothing left in any object,
//! everything else kept; refusals; a kill in the middle.

mod common;
mod gitrepo;

use common::{cfscrub, run, FakeGen, Planted, Tree};
use gitrepo::{all_object_contents, git_command, git_in, leaky_history, GitRepo};
use std::path::Path;

const REDACTED: &str = "[REDACTED_CF_TOKEN]";

/// Output for a failure message, every credential shape masked.
fn masked(text: &str) -> String {
    cfscrub::mask::sanitize::mask_text(text)
}

/// Authors, committers, dates, subjects and changed paths of every commit,
/// in topological order: the shape of the history without object ids.
fn history_shape(dir: &Path) -> String {
    git_in(
        dir,
        &[
            "log",
            "--all",
            "--topo-order",
            "--format=%an <%ae> %ad | %cn <%ce> %cd | %p-parents %s",
            "--date=raw",
            "--name-status",
            "--no-renames",
        ],
    )
    .lines()
    // Parent ids change; their number stays.
    .map(|l| match l.split_once(" | ") {
        Some((a, rest)) => {
            let (c, p) = rest.split_once(" | ").unwrap();
            let (parents, subject) = p.split_once("-parents ").unwrap();
            format!(
                "{a} | {c} | {} parents {subject}",
                parents.split_whitespace().count()
            )
        }
        None => l.to_string(),
    })
    .collect::<Vec<_>>()
    .join("\n")
}

#[test]
fn git_redact_removes_every_credential_and_keeps_the_history() {
    let (repo, leaks) = leaky_history(30);
    // The tail of a value split across lines has no shape; its head is
    // found (a partial). Check the raw bytes for the others and the head.
    let mut whole = Planted::default();
    for (label, token) in &leaks.places {
        match *label {
            "split" => {
                whole.add(&token[..15]);
            }
            _ => {
                whole.add(token.as_str());
            }
        }
    }
    let mut shape_before = history_shape(repo.path());
    for (_, token) in &leaks.places {
        shape_before = shape_before.replace(token.as_str(), REDACTED);
    }
    let commits_before = git_in(repo.path(), &["rev-list", "--all", "--count"]);
    let blob_len = std::fs::metadata(repo.join("assets/blob.bin"))
        .unwrap()
        .len();

    let ran = run(cfscrub()
        .args(["git", "redact", "--force"])
        .arg(repo.path()))
    .expect(0);
    leaks.planted.assert_absent("stdout", &ran.stdout);
    leaks.planted.assert_absent("stderr", &ran.stderr);
    let out = ran.stdout();
    assert!(out.contains("\n0 remaining in "), "{}", masked(&out));
    assert!(out.contains("Next steps"), "{}", masked(&out));

    let fsck = git_command(repo.path())
        .args(["fsck", "--full", "--strict"])
        .output()
        .unwrap();
    assert!(
        fsck.status.success(),
        "git fsck: {}",
        masked(&String::from_utf8_lossy(&fsck.stderr))
    );
    assert_eq!(
        git_in(repo.path(), &["rev-list", "--all", "--count"]),
        commits_before
    );
    common::assert_same("history shape", history_shape(repo.path()), &shape_before);
    let tags = git_in(
        repo.path(),
        &[
            "for-each-ref",
            "--format=%(objecttype) %(refname)",
            "refs/tags",
        ],
    );
    assert_eq!(
        tags.trim(),
        "tag refs/tags/v1.0",
        "the annotated tag is kept, annotated"
    );
    assert_eq!(
        git_in(repo.path(), &["status", "--porcelain"]),
        "",
        "work tree at the new HEAD"
    );
    let env = std::fs::read_to_string(repo.join("later.env")).unwrap();
    assert_eq!(
        env,
        format!("CF_API_TOKEN={REDACTED}\n"),
        "work tree redacted"
    );
    let blob = std::fs::read(repo.join("assets/blob.bin")).unwrap();
    assert_eq!(
        blob.len() as u64,
        blob_len,
        "a binary blob keeps its length"
    );
    assert!(blob
        .windows(REDACTED.len())
        .any(|w| w == REDACTED.as_bytes()));

    whole.assert_absent("objects after redact", &all_object_contents(repo.path()));
    run(cfscrub().args(["git", "scan"]).arg(repo.path())).expect(0);
    let log = git_in(repo.path(), &["log", "-p", "--all"]);
    run(cfscrub().args(["scan", "-"]).write_stdin(log)).expect(0);
    let clone = Tree::new();
    let url = format!("file://{}", repo.path().display());
    git_in(clone.path(), &["clone", "-q", "--mirror", &url, "c.git"]);
    whole.assert_absent(
        "a clone's objects",
        &all_object_contents(&clone.join("c.git")),
    );

    let map = std::fs::read_to_string(repo.path().join(".git/cfscrub-commit-map")).unwrap();
    let lines: Vec<&str> = map.lines().collect();
    assert_eq!(lines[0], "old new");
    assert_eq!(
        (lines.len() - 1).to_string(),
        commits_before.trim(),
        "one line per commit"
    );
    assert!(lines[1..].iter().all(|l| l.len() == 81), "old and new ids");
}

#[test]
fn git_redact_refuses_a_dirty_tree_an_operation_in_progress_and_a_used_clone() {
    let repo = GitRepo::new();
    let mut planted = Planted::default();
    let token = planted.add(FakeGen::new(31).scannable("cfut_", true));
    repo.commit(&[("a.env", format!("T={token}\n").as_bytes())], "one");
    repo.commit(&[("b.txt", b"b\n")], "two");
    let head = repo.head();

    let not_fresh = run(cfscrub().args(["git", "redact"]).arg(repo.path())).expect(2);
    assert!(
        not_fresh.stderr().contains("not a fresh clone"),
        "{}",
        masked(&not_fresh.stderr())
    );
    assert!(
        not_fresh.stderr().contains("git clone --mirror"),
        "{}",
        masked(&not_fresh.stderr())
    );

    repo.tree.write("b.txt", "changed\n");
    let dirty = run(cfscrub()
        .args(["git", "redact", "--force"])
        .arg(repo.path()))
    .expect(2);
    assert!(
        dirty.stderr().contains("uncommitted changes"),
        "{}",
        masked(&dirty.stderr())
    );
    git_in(repo.path(), &["checkout", "-q", "b.txt"]);

    std::fs::write(repo.join(".git/MERGE_HEAD"), format!("{head}\n")).unwrap();
    let merging = run(cfscrub()
        .args(["git", "redact", "--force"])
        .arg(repo.path()))
    .expect(2);
    assert!(
        merging.stderr().contains("a merge is in progress"),
        "{}",
        masked(&merging.stderr())
    );
    std::fs::remove_file(repo.join(".git/MERGE_HEAD")).unwrap();
    for ran in [&not_fresh, &dirty, &merging] {
        planted.assert_absent("stderr", &ran.stderr);
    }
    assert_eq!(repo.head(), head, "nothing was rewritten");
}

#[test]
fn git_redact_of_a_fresh_mirror_clone_needs_no_force_and_says_push_mirror() {
    let (repo, leaks) = leaky_history(32);
    let work = Tree::new();
    let url = format!("file://{}", repo.path().display());
    git_in(work.path(), &["clone", "-q", "--mirror", &url, "m.git"]);
    let mirror = work.join("m.git");
    let ran = run(cfscrub().args(["git", "redact"]).arg(&mirror)).expect(0);
    leaks.planted.assert_absent("stdout", &ran.stdout);
    leaks.planted.assert_absent("stderr", &ran.stderr);
    let out = ran.stdout();
    assert!(
        out.contains("git push --force --mirror origin"),
        "{}",
        masked(&out)
    );
    assert!(out.contains("refs/pull/*"), "{}", masked(&out));
    run(cfscrub().args(["git", "scan"]).arg(&mirror)).expect(0);
}

#[test]
fn git_redact_keeps_notes_on_the_rewritten_commits_and_redacts_them() {
    let repo = GitRepo::new();
    let mut planted = Planted::default();
    let token = planted.add(FakeGen::new(34).scannable("cfut_", true));
    repo.commit(&[("a.env", format!("T={token}\n").as_bytes())], "one");
    repo.commit(&[("b.txt", b"b\n")], "two");
    repo.git(&[
        "notes",
        "add",
        "-m",
        &format!("deployed with {token}"),
        "HEAD",
    ]);
    repo.git(&["notes", "add", "-m", "reviewed", "HEAD~1"]);
    let ran = run(cfscrub()
        .args(["git", "redact", "--force"])
        .arg(repo.path()))
    .expect(0);
    planted.assert_absent("stdout", &ran.stdout);
    assert!(
        ran.stdout().contains("2 notes moved"),
        "{}",
        masked(&ran.stdout())
    );
    assert_eq!(
        git_in(repo.path(), &["notes", "show", "HEAD"]),
        format!("deployed with {REDACTED}\n")
    );
    assert_eq!(
        git_in(repo.path(), &["notes", "show", "HEAD~1"]),
        "reviewed\n"
    );
    planted.assert_absent("objects", &all_object_contents(repo.path()));
}

#[test]
fn checklist_leaked_in_git_adds_the_history_purge_section() {
    let dir = Tree::new();
    let ran = run(cfscrub()
        .args(["checklist", "--leaked-in", "git"])
        .current_dir(dir.path()))
    .expect(0);
    let out = ran.stdout();
    assert!(out.contains("## Purge it from git history"), "{out}");
    assert!(out.contains("cfscrub git redact repo.git"), "{out}");
    let plain = run(cfscrub().arg("checklist").current_dir(dir.path())).expect(0);
    assert!(!plain.stdout().contains("Purge it from git history"));
}

#[test]
fn git_redact_reports_dropped_signatures_and_older_stashes_and_keeps_the_top_stash() {
    let repo = GitRepo::new();
    let mut planted = Planted::default();
    let mut fake = FakeGen::new(35);
    repo.commit(&[("a.txt", b"a\n")], "one");
    // A signed commit: the signature header need not verify to be dropped.
    let tree = git_in(repo.path(), &["rev-parse", "HEAD^{tree}"]);
    let parent = repo.head();
    let signed = format!(
        "tree {}\nparent {parent}\nauthor A <a@e> 1700000000 +0000\ncommitter A <a@e> 1700000000 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n\nsigned\n",
        tree.trim()
    );
    let mut hash = git_command(repo.path())
        .args(["hash-object", "-t", "commit", "-w", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    hash.stdin
        .take()
        .unwrap()
        .write_all(signed.as_bytes())
        .unwrap();
    let id = String::from_utf8(hash.wait_with_output().unwrap().stdout).unwrap();
    git_in(repo.path(), &["update-ref", "refs/heads/main", id.trim()]);
    let older = planted.add(fake.scannable("cfut_", true));
    repo.tree.write("a.txt", format!("a {older}\n"));
    repo.git(&["stash", "-q"]);
    let top = planted.add(fake.scannable("cfut_", true));
    repo.tree.write("a.txt", format!("a {top}\n"));
    repo.git(&["stash", "-q"]);

    let ran = run(cfscrub()
        .args(["git", "redact", "--force"])
        .arg(repo.path()))
    .expect(0);
    planted.assert_absent("stdout", &ran.stdout);
    planted.assert_absent("stderr", &ran.stderr);
    let out = ran.stdout();
    assert!(
        out.contains("1 signed commits lost their signatures"),
        "{}",
        masked(&out)
    );
    assert!(
        out.contains("dropped 1 older stash entries"),
        "{}",
        masked(&out)
    );
    assert_eq!(
        git_in(repo.path(), &["stash", "list"]).lines().count(),
        1,
        "the top stash is kept"
    );
    let stashed = git_in(repo.path(), &["show", "stash@{0}:a.txt"]);
    assert_eq!(stashed, format!("a {REDACTED}\n"), "and redacted");
    let head = git_in(repo.path(), &["cat-file", "commit", "HEAD"]);
    assert!(!head.contains("gpgsig"), "the signature is gone");
    planted.assert_absent("objects", &all_object_contents(repo.path()));
}

#[test]
fn git_scan_and_redact_hunt_a_known_secret_from_secret_from() {
    let repo = GitRepo::new();
    let mut planted = Planted::default();
    let secret = planted.add(FakeGen::new(36).alnum(32));
    repo.commit(
        &[("conf.ini", format!("password = {secret}\n").as_bytes())],
        "conf",
    );
    repo.commit(&[("conf.ini", b"password = from-env\n")], "clean conf");
    let dir = Tree::new();
    let list = dir.write("leaked.txt", format!("{secret}\n"));
    let found = run(cfscrub()
        .args(["git", "scan", "--format", "json", "--secret-from"])
        .arg(&list)
        .arg(repo.path()))
    .expect(1);
    planted.assert_absent("scan stdout", &found.stdout);
    assert!(
        found.stdout().contains("\"kind\":\"known-secret\""),
        "{}",
        masked(&found.stdout())
    );
    let plain = run(cfscrub().args(["git", "scan"]).arg(repo.path())).expect(0);
    planted.assert_absent("plain scan", &plain.stdout);

    let ran = run(cfscrub()
        .args(["git", "redact", "--force", "--secret-from"])
        .arg(&list)
        .arg(repo.path()))
    .expect(0);
    planted.assert_absent("redact stdout", &ran.stdout);
    planted.assert_absent("redact stderr", &ran.stderr);
    planted.assert_absent("objects", &all_object_contents(repo.path()));
}
