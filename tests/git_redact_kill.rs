//! `cfscrub git redact` killed with SIGKILL in the middle of the rewrite:
//! the repository stays valid and the command can be run again.

mod common;
mod gitrepo;

use common::{cfscrub, run, wait_until, FakeGen, Planted};
use gitrepo::{all_object_contents, git_command, git_in, GitRepo};

/// A repository of `n` commits of 256 KiB blobs, each holding a fake,
/// written with fast-import (fast to build, long enough to rewrite that a
/// kill lands in the middle).
fn big_repo(n: usize, planted: &mut Planted) -> GitRepo {
    let repo = GitRepo::new();
    let mut fake = FakeGen::new(33);
    let mut stream = Vec::new();
    for i in 0..n {
        let token = planted.add(fake.scannable("cfut_", true));
        let mut blob = format!("K={token}\n").into_bytes();
        blob.extend(std::iter::repeat_n(b'x', 256 * 1024));
        stream.extend(
            format!(
                "commit refs/heads/main\ncommitter C <c@e> {} +0000\ndata 2\nc\n",
                1_700_000_000 + i
            )
            .into_bytes(),
        );
        stream
            .extend(format!("M 100644 inline f{}.txt\ndata {}\n", i % 7, blob.len()).into_bytes());
        stream.extend(blob);
        stream.extend(b"\n\n");
    }
    let mut child = git_command(repo.path())
        .args(["fast-import", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&stream).unwrap();
    assert!(child.wait().unwrap().success());
    git_in(repo.path(), &["checkout", "-q", "main"]);
    repo
}

/// Pids of the children of `pid`.
fn children(pid: u32) -> Vec<u32> {
    let path = format!("/proc/{pid}/task/{pid}/children");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Whether `pid` has exited (gone, or a zombie).
fn exited(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|s| s.trim_start().starts_with('Z')),
    }
}

#[test]
fn git_redact_killed_in_the_middle_leaves_a_valid_repository_and_can_be_rerun() {
    let mut planted = Planted::default();
    let repo = big_repo(120, &mut planted);
    let old_main = git_in(repo.path(), &["rev-parse", "refs/heads/main"]);
    let pack_dir = repo.join(".git/objects/pack");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cfscrub"))
        .args(["git", "redact", "--force"])
        .arg(repo.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // fast-import has started writing its pack: the rewrite is under way.
    wait_until("fast-import writes its temporary pack", || {
        std::fs::read_dir(&pack_dir)
            .unwrap()
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().starts_with("tmp_pack"))
    });
    let gits = children(child.id());
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    wait_until("the git children have exited", || {
        gits.iter().all(|&p| exited(p))
    });

    let fsck = git_command(repo.path())
        .args(["fsck", "--full"])
        .output()
        .unwrap();
    assert!(fsck.status.success(), "git fsck after the kill");
    let main = git_in(repo.path(), &["rev-parse", "refs/heads/main"]);
    let map = repo.path().join(".git/cfscrub-commit-map");
    assert!(
        main == old_main || map.exists(),
        "main is the old history or the rewritten one"
    );

    let ran = run(cfscrub()
        .args(["git", "redact", "--force"])
        .arg(repo.path()))
    .expect(0);
    planted.assert_absent("stdout", &ran.stdout);
    planted.assert_absent("stderr", &ran.stderr);
    run(cfscrub().args(["git", "scan"]).arg(repo.path())).expect(0);
    planted.assert_absent("objects after the rerun", &all_object_contents(repo.path()));
}
