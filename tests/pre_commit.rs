//! `.pre-commit-hooks.yaml` run by the real pre-commit framework (PyPI;
//! `.ci/run` installs it): a throwaway repository whose
//! `.pre-commit-config.yaml` takes the `cfscrub` hook from a local copy of
//! this repository's hook file, a commit holding a credential refused, a
//! clean one accepted. Nothing reaches the network: the hook source is a
//! local path and the hook runs the cfscrub under test (`language: system`).

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// PATH with the cfscrub under test first.
fn path_with_cfscrub() -> std::ffi::OsString {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_cfscrub"));
    let mut dirs = vec![bin.parent().unwrap().to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

/// `program args` in `dir`, isolated from the user's git and pre-commit
/// configuration.
fn in_dir(t: &Tree, dir: &Path, program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("PATH", path_with_cfscrub())
        .env("HOME", t.join("home"))
        .env("PRE_COMMIT_HOME", t.join("pre-commit-cache"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env("NO_COLOR", "1")
        .env_remove("CLOUDFLARE_API_TOKEN")
        .output()
        .unwrap_or_else(|e| panic!("{program} runs (install it: .ci/run does): {e}"))
}

fn ok(what: &str, out: Output) -> Output {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A hook source holding this repository's `.pre-commit-hooks.yaml` (as it
/// is in the work tree, committed or not) and a repository using its
/// `cfscrub` hook, installed as git's pre-commit hook.
fn repository_using_the_hook(t: &Tree) -> PathBuf {
    std::fs::create_dir_all(t.join("home")).unwrap();
    let source = t.join("hook-source");
    std::fs::create_dir_all(&source).unwrap();
    let hooks = concat!(env!("CARGO_MANIFEST_DIR"), "/.pre-commit-hooks.yaml");
    std::fs::copy(hooks, source.join(".pre-commit-hooks.yaml")).unwrap();
    ok("git init", in_dir(t, &source, "git", &["init", "-q"]));
    ok("git add", in_dir(t, &source, "git", &["add", "."]));
    ok(
        "git commit",
        in_dir(t, &source, "git", &["commit", "-qm", "hooks"]),
    );
    let rev = ok(
        "rev-parse",
        in_dir(t, &source, "git", &["rev-parse", "HEAD"]),
    );
    let rev = String::from_utf8(rev.stdout).unwrap();

    let work = t.join("work");
    std::fs::create_dir_all(&work).unwrap();
    ok("git init", in_dir(t, &work, "git", &["init", "-q"]));
    std::fs::write(
        work.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: cfscrub\n",
            source.display(),
            rev.trim()
        ),
    )
    .unwrap();
    ok(
        "pre-commit install",
        in_dir(t, &work, "pre-commit", &["install"]),
    );
    work
}

#[test]
fn pre_commit_hook_refuses_a_commit_holding_a_credential() {
    let t = Tree::new();
    let work = repository_using_the_hook(&t);
    let mut planted = Planted::default();
    let token = planted.add(FakeGen::new(16).scannable("cfut_", true));
    std::fs::write(work.join("deploy.log"), format!("token {token}\n")).unwrap();
    ok("git add", in_dir(&t, &work, "git", &["add", "."]));
    let commit = in_dir(&t, &work, "git", &["commit", "-qm", "leak"]);
    let shown = [commit.stdout.as_slice(), commit.stderr.as_slice()].concat();
    planted.assert_absent("pre-commit output", &shown);
    assert!(!commit.status.success(), "the commit went through");
    let text = String::from_utf8_lossy(&shown);
    assert!(text.contains("Failed"), "{text}");
    assert!(text.contains("deploy.log"), "{text}");
    assert!(text.contains("fp:"), "{text}");
    let head = in_dir(&t, &work, "git", &["rev-parse", "--verify", "-q", "HEAD"]);
    assert!(!head.status.success(), "a commit was created");
}

#[test]
fn pre_commit_hook_passes_a_clean_commit() {
    let t = Tree::new();
    let work = repository_using_the_hook(&t);
    std::fs::write(work.join("notes.txt"), "nothing secret here\n").unwrap();
    ok("git add", in_dir(&t, &work, "git", &["add", "."]));
    let commit = ok(
        "clean commit",
        in_dir(&t, &work, "git", &["commit", "-qm", "clean"]),
    );
    let text = String::from_utf8_lossy(&commit.stdout).into_owned()
        + &String::from_utf8_lossy(&commit.stderr);
    assert!(text.contains("Passed"), "{text}");
}
