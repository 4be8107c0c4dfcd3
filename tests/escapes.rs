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

/// Runs `tool args...`, failing the test if it does not succeed.
fn tool(tool: &str, args: &[&str], path: &Path) -> String {
    let out = Command::new(tool)
        .args(args)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("{tool} is required (bash .ci/run installs it): {e}"));
    assert!(out.status.success(), "{tool} {args:?} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether user `nobody` (65534) can read `path`: `cat` in a child that
/// drops root's privileges.
fn nobody_can_read(path: &Path) -> bool {
    Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "cat"])
        .arg(path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("setpriv is required (util-linux)")
        .success()
}

/// The raw access ACL of `path` (`system.posix_acl_access`), if any.
fn raw_acl(path: &Path) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    let name = c"system.posix_acl_access";
    let mut buf = vec![0u8; 4096];
    let n = unsafe {
        libc::getxattr(
            c.as_ptr(),
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    (n >= 0).then(|| {
        buf.truncate(n as usize);
        buf
    })
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn rename_keeps_user_attributes_and_the_acl() {
    let t = Tree::new();
    let mut g = FakeGen::new(103);
    let f = t.write("a.log", format!("x {} y\n", g.scannable("cfut_", true)));
    set_mode(&f, 0o640);
    tool("setfattr", &["-n", "user.origin", "-v", "ci-runner"], &f);
    tool("setfacl", &["-m", "u:65534:r"], &f);
    let acl_before = tool("getfacl", &["-cp"], &f);
    let ino = std::fs::metadata(&f).unwrap().ino();
    run(cfscrub().arg("redact").arg(t.path())).expect(0);
    assert_ne!(std::fs::metadata(&f).unwrap().ino(), ino, "renamed");
    assert_same(
        "redacted",
        std::fs::read(&f).unwrap(),
        "x [REDACTED_CF_TOKEN] y\n",
    );
    assert_eq!(
        tool("getfattr", &["--only-values", "-n", "user.origin"], &f),
        "ci-runner"
    );
    assert_eq!(tool("getfacl", &["-cp"], &f), acl_before);
    assert!(acl_before.contains("user:nobody:r--"), "{acl_before}");
    assert_eq!(std::fs::metadata(&f).unwrap().mode() & 0o7777, 0o640);
}

#[test]
fn a_default_acl_of_the_directory_does_not_let_more_users_read_the_new_file() {
    let t = Tree::new();
    set_mode(t.path(), 0o755); // nobody may pass through to the files
    let mut g = FakeGen::new(104);
    let f = t.write("a.log", format!("x {} y\n", g.scannable("cfut_", true)));
    set_mode(&f, 0o640);
    let control = t.write("public.txt", "anyone\n");
    set_mode(&control, 0o644);
    tool("setfacl", &["-d", "-m", "u:65534:rw"], t.path());
    assert!(nobody_can_read(&control), "the test cannot observe reads");
    assert!(!nobody_can_read(&f));
    run(cfscrub().arg("redact").arg(&f)).expect(0);
    assert_same(
        "redacted",
        std::fs::read(&f).unwrap(),
        "x [REDACTED_CF_TOKEN] y\n",
    );
    assert!(
        !nobody_can_read(&f),
        "the new file took the directory's default ACL"
    );
    assert_eq!(raw_acl(&f), None);
    assert_eq!(std::fs::metadata(&f).unwrap().mode() & 0o7777, 0o640);
}

#[test]
fn the_temp_file_has_its_final_mode_and_acl_before_content_is_written() {
    let t = Tree::new();
    let mut g = FakeGen::new(105);
    let mut p = Planted::default();
    let f = t.write("a.log", big_log(&p.add(g.scannable("cfut_", true)), 6));
    set_mode(&f, 0o640);
    tool("setfacl", &["-m", "u:65534:r"], &f);
    let acl = raw_acl(&f).expect("an ACL was set");
    let child = spawn_cfscrub(&["redact"], &[&f]);
    // Look at the temp file while it is being written (a removed temp
    // reads as no ACL and fails the test: the window is 6 MiB long).
    let mut seen = None;
    wait_for("the temp file", || {
        let temp = std::fs::read_dir(t.path())
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().starts_with(".cfscrub-"));
        let Some(temp) = temp else { return false };
        // Once the first bytes are in it (the stat comes before the ACL).
        let Ok(meta) = temp.metadata() else {
            return false; // renamed in between: look again
        };
        if meta.len() == 0 {
            return false;
        }
        seen = Some((meta.mode() & 0o7777, raw_acl(&temp.path()), meta.len()));
        true
    });
    let ran = finish(child).expect(0);
    p.assert_absent("stderr", &ran.stderr);
    let (mode, temp_acl, len) = seen.unwrap();
    assert!(
        len < std::fs::metadata(&f).unwrap().len(),
        "seen while written"
    );
    assert_eq!(mode, 0o640, "mode of the temp file while it is written");
    assert_eq!(
        temp_acl,
        Some(acl),
        "ACL of the temp file while it is written"
    );
}

#[test]
fn a_writer_that_opens_the_file_after_redact_started_loses_no_line() {
    let t = Tree::new();
    let mut g = FakeGen::new(106);
    let mut p = Planted::default();
    let content = big_log(&p.add(g.scannable("cfut_", true)), 6);
    let log = t.write("daemon.log", &content);
    let child = spawn_cfscrub(&["redact"], &[&log]);
    // cfscrub looked for writers when it started; the daemon comes after.
    wait_for("the rewrite to be under way", || has_temp(t.path()));
    let mut daemon = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    use std::io::Write;
    daemon.write_all(b"written while redact runs\n").unwrap();
    let ran = finish(child);
    daemon.write_all(b"written after redact ended\n").unwrap();
    drop(daemon);
    p.assert_absent("stderr", &ran.stderr);
    let ran = ran.expect(2);
    assert!(
        ran.stderr().contains("is open for writing by process")
            && ran.stderr().contains("--same-length"),
        "{}",
        ran.stderr()
    );
    let mut expected = content;
    expected.extend_from_slice(b"written while redact runs\nwritten after redact ended\n");
    assert!(
        std::fs::read(&log).unwrap() == expected,
        "the file at the path lost the daemon's lines"
    );
}

/// What `--same-length` puts in place of a value of `len` characters.
fn marker(len: usize) -> String {
    format!("[REDACTED_CF_TOKEN]{}", "*".repeat(len - 19))
}

#[test]
fn same_length_restarts_on_a_log_truncated_during_the_pass_and_never_writes_past_its_end() {
    use std::io::Write;
    let t = Tree::new();
    let mut g = FakeGen::new(107);
    let mut p = Planted::default();
    for round in 0..3 {
        // The old log: a token on its first line and a few in every
        // 256 KiB read after it.
        let mut old = format!("x {}\n", p.add(g.scannable("cfut_", true))).into_bytes();
        for i in 1.. {
            if old.len() >= 4 << 20 {
                break;
            }
            if i % 2000 == 0 {
                old.extend(format!("{i} token={}\n", p.add(g.scannable("cfat_", true))).bytes());
            } else {
                old.extend(format!("{i} 2024-05-01T12:00:00Z step ok\n").bytes());
            }
        }
        // What the daemon writes after the rotation: other lines, other offsets.
        let mut new = String::from("rotated\n");
        let mut expected = new.clone();
        for i in 0..300 {
            if i % 100 == 50 {
                let token = p.add(g.scannable("cfk_", true));
                new.push_str(&format!("{i} new key {token}\n"));
                expected.push_str(&format!("{i} new key {}\n", marker(token.len())));
            } else {
                new.push_str(&format!("{i} after rotation\n"));
                expected.push_str(&format!("{i} after rotation\n"));
            }
        }
        let log = t.write("app.log", &old);
        let mut daemon = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        let child = spawn_cfscrub(&["redact", "--same-length"], &[&log]);
        wait_for("the pass to be under way", || {
            std::fs::read(&log).is_ok_and(|b| b.starts_with(b"x [REDACTED"))
        });
        // copytruncate: the copy is done, the file is cut to nothing, the
        // daemon (O_APPEND) goes on writing from the start.
        daemon.set_len(0).unwrap();
        daemon.write_all(new.as_bytes()).unwrap();
        let ran = finish(child);
        p.assert_absent("stdout", &ran.stdout);
        p.assert_absent("stderr", &ran.stderr);
        // The daemon cuts and writes in two steps, and the scheduler
        // decides where cfscrub's passes fall between them: a pass may meet
        // the file empty, half-written or complete, and the last one may
        // end before or after the write. So the run is either clean, or
        // names the tokens the daemon wrote after its last pass, or says
        // the log kept changing under it; all leave the file whole (below).
        let live = [
            "remaining after the rewrite",
            "new credentials kept arriving",
            "incomplete at end of file",
            "kept being truncated",
        ];
        assert!(
            ran.code == Some(0)
                || (ran.code == Some(2) && live.iter().any(|m| ran.stderr().contains(m))),
            "round {round}: {}",
            ran.stderr()
        );
        let after = std::fs::read(&log).unwrap();
        assert!(
            after.len() == new.len() && !after.contains(&0),
            "round {round}: {} bytes after a pass over a {}-byte file{}",
            after.len(),
            new.len(),
            if after.contains(&0) {
                ", with NUL holes"
            } else {
                ""
            }
        );
        // Whatever the first run reached, a second one leaves exactly the
        // new lines with their own tokens masked: no stray markers.
        run(cfscrub().args(["redact", "--same-length"]).arg(&log)).expect(0);
        assert_same(
            &format!("round {round}: the rotated log"),
            std::fs::read(&log).unwrap(),
            &expected,
        );
    }
}

#[test]
fn a_token_still_being_written_at_the_end_of_a_live_log_is_left_for_the_next_pass() {
    use std::io::Write;
    let t = Tree::new();
    let mut g = FakeGen::new(108);
    let mut p = Planted::default();
    let done = p.add(g.scannable("cfat_", true));
    let token = p.add(g.scannable("cfut_", true));
    // A block-buffered writer has flushed the prefix and 20 characters.
    let (head, tail) = token.split_at(25);
    let log = t.write("live.log", format!("start {done}\nlast: {head}"));
    let mut writer = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    let ran = run(cfscrub().args(["redact", "--same-length"]).arg(&log));
    p.assert_absent("stderr", &ran.stderr);
    let ran = ran.expect(2);
    assert!(
        ran.stderr().contains("incomplete at end of file"),
        "{}",
        ran.stderr()
    );
    assert_same(
        "after the first run",
        std::fs::read(&log).unwrap(),
        format!("start {}\nlast: {head}", marker(53)),
    );
    writer.write_all(format!("{tail}\n").as_bytes()).unwrap();
    run(cfscrub().args(["redact", "--same-length"]).arg(&log)).expect(0);
    assert_same(
        "after the second run",
        std::fs::read(&log).unwrap(),
        format!("start {0}\nlast: {0}\n", marker(53)),
    );
    run(cfscrub().arg("verify").arg(&log)).expect(0);
    drop(writer);
    // Nobody writes this one: its partial at the end is masked at once.
    let still = t.write("done.log", format!("grep {head}"));
    run(cfscrub().args(["redact", "--same-length"]).arg(&still)).expect(0);
    assert_same(
        "a file nobody writes",
        std::fs::read(&still).unwrap(),
        format!("grep {}", marker(25)),
    );
}
