//! End-to-end tests of `cfscrub redact` against files that move under it:
//! directories swapped for links, followed links, writers that arrive late,
//! logs truncated or still being written, and the metadata a rename must
//! carry over (issue 10, "Escapes and lost data").

mod common;
use common::*;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a test waits for an observable condition before failing.
const DEADLINE: Duration = Duration::from_secs(60);

/// Polls `cond` until it holds; panics with `what` after [`DEADLINE`].
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The binary, started in the background with its output captured.
fn spawn_cfscrub(args: &[&str], paths: &[&Path]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("cfscrub"))
        .args(args)
        .args(paths)
        .env("NO_COLOR", "1")
        .env_remove("CLOUDFLARE_API_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

fn finish(child: Child) -> Ran {
    let out = child.wait_with_output().unwrap();
    Ran {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

/// A log whose first line holds `token`, followed by `mib` MiB of clean
/// lines: long enough to keep a `redact -j 1` busy while the test acts.
fn big_log(token: &str, mib: usize) -> Vec<u8> {
    let mut v = format!("x {token}\n").into_bytes();
    let line = b"2024-05-01T12:00:00Z step ok, nothing to see here\n";
    while v.len() < mib << 20 {
        v.extend_from_slice(line);
    }
    v
}

fn has_temp(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with(".cfscrub-"))
}

#[test]
fn a_directory_swapped_for_a_link_after_the_walk_is_not_followed() {
    for same_length in [false, true] {
        let t = Tree::new();
        let outside = Tree::new();
        let mut g = FakeGen::new(101);
        let mut p = Planted::default();
        let first = p.add(g.scannable("cfut_", true));
        let conf = format!("token={}\n", p.add(g.scannable("cfat_", true)));
        t.write("a.log", big_log(&first, 6));
        t.write("z/app.conf", &conf);
        outside.write("app.conf", &conf);
        let mut args = vec!["redact", "-j", "1"];
        if same_length {
            args.push("--same-length");
        }
        let child = spawn_cfscrub(&args, &[t.path()]);
        // The walk is over once the first file is being rewritten: in
        // rename mode its temp file exists, in place its head is masked.
        wait_for("cfscrub to start on the first file", || {
            if same_length {
                std::fs::read(t.join("a.log")).is_ok_and(|b| b.starts_with(b"x [REDACTED"))
            } else {
                has_temp(t.path())
            }
        });
        std::fs::rename(t.join("z"), t.join("z.orig")).unwrap();
        std::os::unix::fs::symlink(outside.path(), t.join("z")).unwrap();
        let ran = finish(child);
        p.assert_absent("stdout", &ran.stdout);
        p.assert_absent("stderr", &ran.stderr);
        assert_same(
            &format!("same_length={same_length}: the file outside the tree"),
            std::fs::read(outside.join("app.conf")).unwrap(),
            &conf,
        );
        assert!(!has_temp(outside.path()), "a temp file was made outside");
        let ran = ran.expect(2);
        // The swap landed before cfscrub reached z/ (else this proves nothing).
        assert!(
            ran.stderr()
                .contains("z/app.conf: a directory on its path is now a symbolic link"),
            "same_length={same_length}: {}",
            ran.stderr()
        );
    }
}

#[test]
fn follow_rewrites_the_link_target_in_its_own_directory_and_keeps_the_link() {
    let t = Tree::new();
    let mut g = FakeGen::new(102);
    let mut p = Planted::default();
    let content = format!("a {} b\n", p.add(g.scannable("cfut_", true)));
    let target = t.write("data/2024.log", &content);
    let link = t.join("current.log");
    std::os::unix::fs::symlink("data/2024.log", &link).unwrap();
    let ino = std::fs::metadata(&target).unwrap().ino();
    // The link is the only path given: its target is walked through it.
    let ran = run(cfscrub().args(["redact", "--follow"]).arg(&link)).expect(0);
    p.assert_absent("stderr", &ran.stderr);
    assert!(
        ran.stderr().contains("verification: 0 remaining"),
        "{}",
        ran.stderr()
    );
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_symlink(), "the link became a file");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        Path::new("data/2024.log")
    );
    assert_same(
        "the link target",
        std::fs::read(&target).unwrap(),
        "a [REDACTED_CF_TOKEN] b\n",
    );
    assert_ne!(std::fs::metadata(&target).unwrap().ino(), ino, "renamed");
    assert!(!has_temp(t.path()) && !has_temp(&t.join("data")));
    run(cfscrub().arg("verify").arg(&target)).expect(0);
}
