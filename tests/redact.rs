//! End-to-end tests of `cfscrub redact` and `cfscrub verify`: crash safety,
//! concurrent writers, metadata, binary files, exit codes.

mod common;
use common::*;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::Duration;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().mode() & 0o7777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A log of `lines` lines with a credential every few lines.
fn log_with_tokens(g: &mut FakeGen, planted: &mut Planted, lines: usize) -> String {
    let mut s = String::new();
    for i in 0..lines {
        match i % 7 {
            0 => s.push_str(&format!(
                "{i} token={}\n",
                planted.add(g.scannable("cfut_", true))
            )),
            3 => s.push_str(&format!(
                "{i} CLOUDFLARE_API_TOKEN={}\n",
                planted.add(g.legacy_token())
            )),
            5 => s.push_str(&format!(
                "{i} grep {} deploy.log\n",
                // A fragment of a random body, not a name: not all lower case.
                planted.add(format!("cfat_Q{}", g.alnum(5)))
            )),
            // Plain noise: random hex here would collide by chance with the
            // 8-hex checksum windows of tens of thousands of planted tokens.
            _ => s.push_str(&format!("{i} step ok\n")),
        }
    }
    s
}

#[test]
fn redacts_every_kind_keeps_the_rest_and_is_idempotent() {
    let t = Tree::new();
    let mut g = FakeGen::new(1);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let legacy = p.add(g.legacy_token());
    let mut content =
        format!("a \x1b[33m{token}\x1b[0m b\r\nexport CF_API_TOKEN={legacy}\n").into_bytes();
    content.extend_from_slice(b"\xff tail");
    t.write("ci.log", content);
    let ran = run(cfscrub().arg("redact").arg(t.path())).expect(0);
    p.assert_absent("redact", &ran.stdout);
    p.assert_absent("redact", &ran.stderr);
    assert!(ran.stdout().contains("2 redacted"), "{}", ran.stdout());
    assert!(
        ran.stderr().contains("verification: 0 remaining"),
        "{}",
        ran.stderr()
    );
    let after = std::fs::read(t.join("ci.log")).unwrap();
    assert_same(
        "redacted file",
        after,
        b"a \x1b[33m[REDACTED_CF_TOKEN]\x1b[0m b\r\nexport CF_API_TOKEN=[REDACTED_CF_TOKEN]\n\xff tail",
    );
    // A second run changes nothing.
    let before = std::fs::metadata(t.join("ci.log")).unwrap();
    run(cfscrub().arg("redact").arg(t.path())).expect(0);
    let again = std::fs::metadata(t.join("ci.log")).unwrap();
    assert_eq!(
        (before.ino(), before.mtime_nsec()),
        (again.ino(), again.mtime_nsec())
    );
    run(cfscrub().arg("verify").arg(t.path())).expect(0);
}

#[test]
fn dry_run_changes_nothing_and_exits_one() {
    let t = Tree::new();
    let mut g = FakeGen::new(2);
    let content = format!("x {}\n", g.scannable("cfk_", true));
    t.write("a.log", &content);
    let ran = run(cfscrub().args(["redact", "--dry-run"]).arg(t.path())).expect(1);
    assert!(
        ran.stdout()
            .contains("1 would be redacted (1 cloudflare-global-key) at line(s) 1"),
        "{}",
        ran.stdout()
    );
    assert_same("dry run", std::fs::read(t.join("a.log")).unwrap(), &content);
    t.write("a.log", "clean\n");
    run(cfscrub().args(["redact", "--dry-run"]).arg(t.path())).expect(0);
}

#[test]
fn custom_replacement_and_a_replacement_that_would_match() {
    let t = Tree::new();
    let mut g = FakeGen::new(3);
    t.write("a.log", format!("x {} y\n", g.scannable("cfat_", true)));
    run(cfscrub()
        .args(["redact", "--replacement", "<gone>"])
        .arg(t.path()))
    .expect(0);
    assert_same(
        "custom replacement",
        std::fs::read(t.join("a.log")).unwrap(),
        "x <gone> y\n",
    );
    let ran = run(cfscrub()
        .args(["redact", "--replacement", "cfut_ABCDEFGH"])
        .arg(t.path()))
    .expect(2);
    assert!(
        ran.stderr().contains("would itself be detected"),
        "{}",
        ran.stderr()
    );
}

#[test]
fn modes_and_owner_are_kept() {
    let t = Tree::new();
    let mut g = FakeGen::new(4);
    let files = [("a.log", 0o600), ("b.log", 0o640), ("c.log", 0o755)];
    for (name, m) in files {
        let p = t.write(name, format!("{}\n", g.scannable("cfut_", true)));
        set_mode(&p, m);
    }
    if is_root() {
        // Another user's file (only root can make one): its owner is kept.
        std::os::unix::fs::chown(t.join("b.log"), Some(1234), Some(2345)).unwrap();
    }
    let owner = |name: &str| {
        let m = std::fs::metadata(t.join(name)).unwrap();
        (m.uid(), m.gid())
    };
    let owners: Vec<_> = files.iter().map(|(name, _)| owner(name)).collect();
    run(cfscrub().arg("redact").arg(t.path())).expect(0);
    for ((name, m), before) in files.iter().zip(owners) {
        assert_same(
            name,
            std::fs::read(t.join(name)).unwrap(),
            "[REDACTED_CF_TOKEN]\n",
        );
        assert_eq!(mode(&t.join(name)), *m, "{name}: mode");
        assert_eq!(owner(name), before, "{name}: owner and group");
    }
    let leftovers: Vec<_> = std::fs::read_dir(t.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".cfscrub-"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn hard_links_are_refused_unless_same_length() {
    let t = Tree::new();
    let mut g = FakeGen::new(5);
    let content = format!("x {} y\n", g.scannable("cfut_", true));
    let a = t.write("dir/a.log", &content);
    let other = Tree::new();
    std::fs::hard_link(&a, other.join("b.log")).unwrap();
    let ran = run(cfscrub().arg("redact").arg(t.join("dir"))).expect(2);
    assert!(
        ran.stderr().contains("hard links") && ran.stderr().contains("--same-length"),
        "{}",
        ran.stderr()
    );
    assert_same("refused hard link", std::fs::read(&a).unwrap(), &content);
    run(cfscrub()
        .args(["redact", "--same-length"])
        .arg(t.join("dir")))
    .expect(0);
    let b = std::fs::read_to_string(other.join("b.log")).unwrap();
    assert_eq!(b.len(), content.len());
    assert_same(
        "other link",
        &b.as_bytes()[..25],
        "x [REDACTED_CF_TOKEN]****",
    );
}

#[test]
fn two_names_of_one_file_in_one_run_are_redacted_once_through_the_first() {
    let t = Tree::new();
    let mut g = FakeGen::new(7);
    let content = format!(
        "a {}\nb {}\n",
        g.scannable("cfut_", true),
        g.scannable("cfat_", true)
    );
    let a = t.write("a.log", &content);
    std::fs::hard_link(&a, t.join("b.log")).unwrap();
    // Both names are walked in the same run, many times over: the report
    // is the same every time (the file is rewritten once, through a.log).
    for _ in 0..5 {
        std::fs::write(&a, &content).unwrap();
        let ran = run(cfscrub()
            .args(["redact", "--same-length", "--format", "json"])
            .arg(t.path()))
        .expect(0);
        let summary = records(ran.stdout().as_bytes(), "summary");
        assert_eq!(summary[0]["redacted"], 2, "{}", ran.stdout());
        assert_eq!(summary[0]["remaining"], 0, "{}", ran.stdout());
        assert!(
            ran.stderr()
                .contains("b.log: skipped (another name of a file"),
            "{}",
            ran.stderr()
        );
        let after = std::fs::read_to_string(t.join("b.log")).unwrap();
        assert_eq!(after.len(), content.len());
        assert_eq!(after.matches("[REDACTED_CF_TOKEN]").count(), 2, "{after}");
    }
}

#[test]
fn symlinks_are_not_followed_and_targets_outside_stay_untouched() {
    let t = Tree::new();
    let outside = Tree::new();
    let mut g = FakeGen::new(6);
    let content = format!("{}\n", g.scannable("cfut_", true));
    outside.write("target.log", &content);
    std::os::unix::fs::symlink(outside.join("target.log"), t.join("link.log")).unwrap();
    let ran = run(cfscrub().arg("redact").arg(t.path())).expect(0);
    assert!(
        ran.stderr().contains("skipped 1 symbolic link"),
        "{}",
        ran.stderr()
    );
    assert_eq!(
        std::fs::read_to_string(outside.join("target.log")).unwrap(),
        content
    );
    // Even with --follow, a link leading outside the given paths is refused.
    let ran = run(cfscrub().args(["redact", "--follow"]).arg(t.path())).expect(2);
    assert!(
        ran.stderr().contains("outside the given paths"),
        "{}",
        ran.stderr()
    );
    assert_eq!(
        std::fs::read_to_string(outside.join("target.log")).unwrap(),
        content
    );
    assert!(std::fs::symlink_metadata(t.join("link.log"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn read_only_file_is_an_error_and_untouched_while_others_proceed() {
    let t = Tree::new();
    let mut g = FakeGen::new(7);
    let content = format!("{}\n", g.scannable("cfut_", true));
    let ro = t.write("ro.log", &content);
    set_mode(&ro, 0o444);
    t.write("rw.log", format!("{}\n", g.scannable("cfat_", true)));
    let ran = run(cfscrub().arg("redact").arg(t.path())).expect(2);
    assert!(ran.stderr().contains("read-only"), "{}", ran.stderr());
    assert_same("read-only file", std::fs::read(&ro).unwrap(), &content);
    assert_eq!(mode(&ro), 0o444);
    assert_eq!(
        std::fs::read_to_string(t.join("rw.log")).unwrap(),
        "[REDACTED_CF_TOKEN]\n"
    );
    let ran = run(cfscrub().args(["redact", "--same-length"]).arg(&ro)).expect(2);
    assert!(ran.stderr().contains("read-only"), "{}", ran.stderr());
    assert_same("read-only file", std::fs::read(&ro).unwrap(), &content);
}

#[test]
fn directory_without_write_permission_is_an_error() {
    let t = Tree::new();
    let mut g = FakeGen::new(8);
    let content = format!("{}\n", g.scannable("cfut_", true));
    let f = t.write("locked/a.log", &content);
    set_mode(&t.join("locked"), 0o555);
    // As an unprivileged owner: root would write into the directory anyway.
    t.hand_to_unprivileged();
    let ran = run(cfscrub_unprivileged().arg("redact").arg(t.path())).expect(2);
    assert!(
        ran.stderr().contains("locked/a.log") && ran.stderr().contains("Permission denied"),
        "{}",
        ran.stderr()
    );
    set_mode(&t.join("locked"), 0o755);
    assert_same(
        "file in a locked directory",
        std::fs::read(f).unwrap(),
        &content,
    );
}

#[test]
fn sqlite_database_stays_valid_with_same_length() {
    if std::process::Command::new("sqlite3")
        .arg("-version")
        .output()
        .is_err()
    {
        panic!("sqlite3 is required (bash .ci/run installs it)");
    }
    let t = Tree::new();
    let mut g = FakeGen::new(9);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let db = t.join("history.db");
    let sql = format!(
        "CREATE TABLE history (id INTEGER PRIMARY KEY, command TEXT);\
         INSERT INTO history (command) VALUES ('ls -la');\
         INSERT INTO history (command) VALUES ('export CLOUDFLARE_API_TOKEN={token}');\
         INSERT INTO history (command) VALUES ('git status');"
    );
    let mut child = std::process::Command::new("sqlite3")
        .arg(&db)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let size = std::fs::metadata(&db).unwrap().len();
    let ran = run(cfscrub().args(["redact", "--same-length"]).arg(&db)).expect(0);
    p.assert_absent("sqlite redact", &ran.stdout);
    assert_eq!(std::fs::metadata(&db).unwrap().len(), size);
    let check = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg("PRAGMA integrity_check")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&check.stdout).trim(), "ok");
    let rows = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT command FROM history ORDER BY id")
        .output()
        .unwrap();
    let rows = String::from_utf8_lossy(&rows.stdout).into_owned();
    p.assert_absent("sqlite rows", rows.as_bytes());
    assert!(
        rows.starts_with("ls -la\nexport CLOUDFLARE_API_TOKEN=[REDACTED_CF_TOKEN]****"),
        "rows differ"
    );
    assert!(rows.ends_with("git status\n"));
    run(cfscrub().arg("verify").arg(&db)).expect(0);
}

/// Writes `originals` (name, content) to a fresh tree, redacts it, and
/// returns what each file becomes.
fn redacted_versions(originals: &[(String, String)]) -> Vec<Vec<u8>> {
    let reference = Tree::new();
    for (name, content) in originals {
        reference.write(name, content);
    }
    run(cfscrub().args(["redact", "-q"]).arg(reference.path())).expect(0);
    originals
        .iter()
        .map(|(name, _)| std::fs::read(reference.join(name)).unwrap())
        .collect()
}

/// The `.cfscrub-*` temp files in `dir`.
fn temp_files(dir: &Path) -> Vec<std::fs::DirEntry> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".cfscrub-"))
        .collect()
}

/// Runs `cfscrub redact -q` on `dir`, holding the originals of `files`
/// (path, size once redacted), and sends `signal` at a random point of its
/// progress: once a random share of the redacted bytes is on disk, in temp
/// files or renamed into place (a share of 0: right after the start).
/// Anchoring on progress rather than on time keeps the signals spread over
/// the run however slow the machine is. Returns the status and whether the
/// signal was sent before the run ended.
fn interrupt_redact(
    dir: &Path,
    files: &[(std::path::PathBuf, usize)],
    signal: i32,
    rng: &mut fastrand::Rng,
) -> (std::process::ExitStatus, bool) {
    let inode = |p: &Path| std::fs::symlink_metadata(p).unwrap().ino();
    let originals: Vec<u64> = files.iter().map(|(p, _)| inode(p)).collect();
    let total: usize = files.iter().map(|(_, len)| len).sum();
    let target = (total as f64 * rng.f64()) as u64;
    let progress = || {
        let in_temp: u64 = temp_files(dir)
            .iter()
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum();
        let renamed: usize = files
            .iter()
            .zip(&originals)
            .filter(|((p, _), ino)| inode(p) != **ino)
            .map(|((_, len), _)| len)
            .sum();
        in_temp + renamed as u64
    };
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cfscrub"))
        .args(["redact", "-q"])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut ended = false;
    wait_until("the run reaches its random point or ends", || {
        ended = child.try_wait().unwrap().is_some();
        ended || progress() >= target
    });
    if !ended {
        // Not reaped (try_wait found it running): the pid is still ours.
        unsafe { libc::kill(child.id() as i32, signal) };
    }
    (child.wait().unwrap(), !ended)
}

#[test]
fn killed_at_random_moments_leaves_old_or_new_files_and_no_secret_in_temp_files() {
    let t = Tree::new();
    let mut g = FakeGen::new(10);
    let mut p = Planted::default();
    let originals: Vec<(String, String)> = (0..4)
        .map(|i| {
            let content = log_with_tokens(&mut g, &mut p, 8_000 + i * 2000);
            (format!("f{i}.log"), content)
        })
        .collect();
    let redacted = redacted_versions(&originals);
    let mut rng = fastrand::Rng::with_seed(10);
    let (wanted, mut killed, mut round) = (15, 0, 0);
    while killed < wanted {
        assert!(
            round < 4 * wanted,
            "only {killed} of {wanted} kills landed during a run in {round} rounds"
        );
        round += 1;
        // Every third round starts from a half-done state: some files
        // already redacted (as a killed run leaves them).
        if round % 3 != 2 {
            for (name, content) in &originals {
                t.write(name, content);
            }
        }
        // The files left to do (all but in the half-done rounds).
        let files: Vec<_> = originals
            .iter()
            .zip(&redacted)
            .filter(|((name, content), _)| {
                std::fs::read(t.join(name)).unwrap() == content.as_bytes()
            })
            .map(|((name, _), done)| (t.join(name), done.len()))
            .collect();
        let (status, sent) = interrupt_redact(t.path(), &files, libc::SIGKILL, &mut rng);
        killed += (sent && status.signal() == Some(libc::SIGKILL)) as usize;
        for ((name, original), done) in originals.iter().zip(&redacted) {
            let now = std::fs::read(t.join(name)).unwrap();
            assert!(
                now == original.as_bytes() || now == *done,
                "round {round}: {name} is neither the original nor the redacted version ({} bytes)",
                now.len()
            );
        }
        for entry in temp_files(t.path()) {
            let bytes = std::fs::read(entry.path()).unwrap();
            p.assert_absent(&format!("leftover temp file in round {round}"), &bytes);
            std::fs::remove_file(entry.path()).unwrap();
        }
    }
}

/// SIGINT, SIGTERM and SIGHUP at random points of runs over many small
/// files (each gets a temp file, filled, renamed over it): whenever the
/// signal lands, the run ends with 128 + the signal and leaves no
/// `.cfscrub-*.tmp` behind.
#[test]
fn signals_at_random_moments_leave_no_temp_file() {
    let t = Tree::new();
    let mut g = FakeGen::new(11);
    let mut p = Planted::default();
    let originals: Vec<(String, String)> = (0..150)
        .map(|i| (format!("f{i:03}.log"), log_with_tokens(&mut g, &mut p, 30)))
        .collect();
    let files: Vec<_> = originals
        .iter()
        .zip(redacted_versions(&originals))
        .map(|((name, _), done)| (t.join(name), done.len()))
        .collect();
    let signals = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];
    let mut rng = fastrand::Rng::with_seed(11);
    let (wanted, mut landed, mut round) = (45, 0, 0);
    while landed < wanted {
        assert!(
            round < 4 * wanted,
            "only {landed} of {wanted} signals landed during a run in {round} rounds"
        );
        for (name, content) in &originals {
            t.write(name, content);
        }
        let signal = signals[round % signals.len()];
        round += 1;
        let (status, sent) = interrupt_redact(t.path(), &files, signal, &mut rng);
        let left = temp_files(t.path()).len();
        assert_eq!(
            left, 0,
            "signal {signal} in round {round} ({status:?}) left {left} temp file(s)"
        );
        match (status.code(), status.signal()) {
            (Some(0), _) => {} // finished before the signal
            (Some(code), _) => {
                assert_eq!(code, 128 + signal, "round {round}");
                landed += sent as usize;
            }
            // Before the handler was installed (process start-up), the
            // default action ends it: nothing was written yet.
            (None, s) => assert_eq!(s, Some(signal), "round {round}"),
        }
    }
}

#[test]
fn concurrent_appender_loses_no_line() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let t = Tree::new();
    let log = t.join("live.log");
    // The appender keeps going until both are reached, so that every one
    // of those runs overlaps the appending however loaded the machine is.
    let (min_lines, min_runs) = (3000, 6);
    for (seed, same_length) in [(12, true), (13, false)] {
        std::fs::write(&log, "").unwrap();
        let path = log.clone();
        let runs_done = Arc::new(AtomicUsize::new(0));
        let runs_seen = Arc::clone(&runs_done);
        // Same-length: one long-lived descriptor; rename mode: open-append-close per line.
        let appender = std::thread::spawn(move || {
            let mut g = FakeGen::new(seed);
            let mut held = same_length.then(|| {
                std::fs::OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .unwrap()
            });
            let mut i = 0;
            while i < min_lines || runs_seen.load(Ordering::SeqCst) < min_runs {
                assert!(i < 1_000_000, "line numbers have six digits");
                let line = if i % 10 == 0 {
                    format!("line {i:06} t={}\n", g.scannable("cfut_", true))
                } else {
                    format!("line {i:06} ok\n")
                };
                if let Some(held) = &mut held {
                    held.write_all(line.as_bytes()).unwrap();
                } else {
                    std::fs::OpenOptions::new()
                        .append(true)
                        .open(&path)
                        .unwrap()
                        .write_all(line.as_bytes())
                        .unwrap();
                }
                i += 1;
                // Pacing, so that the log grows over many runs rather than
                // in one burst.
                if i % 10 == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            i
        });
        while !appender.is_finished() {
            let mut cmd = cfscrub();
            cmd.args(["redact", "-q"]);
            if same_length {
                cmd.arg("--same-length");
            }
            let ran = run(cmd.arg(&log));
            assert!(matches!(ran.code, Some(0) | Some(2)), "{}", ran.stderr());
            if ran.code == Some(2) {
                let err = ran.stderr();
                let expected = ["kept changing", "remaining", "open for writing"];
                assert!(expected.iter().any(|e| err.contains(e)), "{err}");
            }
            runs_done.fetch_add(1, Ordering::SeqCst);
        }
        let lines = appender.join().unwrap();
        let mut cmd = cfscrub();
        cmd.args(["redact", "-q"]);
        if same_length {
            cmd.arg("--same-length");
        }
        run(cmd.arg(&log)).expect(0);
        let text = std::fs::read_to_string(&log).unwrap();
        let numbers: Vec<usize> = text.lines().map(|l| l[5..11].parse().unwrap()).collect();
        assert_eq!(
            numbers,
            (0..lines).collect::<Vec<_>>(),
            "same_length={same_length}: lines lost or reordered after {} runs",
            runs_done.load(Ordering::SeqCst)
        );
        assert!(
            !text.contains("cfut_"),
            "same_length={same_length}: a token survived"
        );
    }
}

#[test]
fn rename_mode_refuses_a_file_held_open_for_writing() {
    let t = Tree::new();
    let mut g = FakeGen::new(13);
    let content = format!("{}\n", g.scannable("cfut_", true));
    let log = t.write("held.log", &content);
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg("exec 3>>\"$1\"; exec sleep 3600")
        .arg("sh")
        .arg(&log)
        .spawn()
        .unwrap();
    let fd3 = format!("/proc/{}/fd/3", child.id());
    wait_until("the writer holds the log open", || {
        std::fs::read_link(&fd3).is_ok_and(|target| target == log)
    });
    let ran = run(cfscrub().arg("redact").arg(&log));
    child.kill().unwrap();
    child.wait().unwrap();
    let ran = ran.expect(2);
    assert!(
        ran.stderr().contains("open for writing") && ran.stderr().contains("--same-length"),
        "{}",
        ran.stderr()
    );
    assert_same("file held open", std::fs::read(&log).unwrap(), &content);
}

#[test]
fn verify_counts_known_values_and_fragments_and_writes_nothing() {
    let t = Tree::new();
    let mut g = FakeGen::new(14);
    let mut p = Planted::default();
    let leaked = p.add(g.scannable("cfat_", true));
    let vault = t.write("vault.txt", format!("{leaked}\n"));
    let log = t.write(
        "logs/a.log",
        format!(
            "x {leaked}\ngrep {} y\nclean {}\n",
            &leaked[..10],
            g.scannable("cfut_", true)
        ),
    );
    let mtime = std::fs::metadata(&log).unwrap().mtime_nsec();
    let ran = run(cfscrub()
        .arg("verify")
        .arg("--secret-from")
        .arg(&vault)
        .arg(t.join("logs")))
    .expect(1);
    p.assert_absent("verify stdout", &ran.stdout);
    p.assert_absent("verify stderr", &ran.stderr);
    assert!(
        ran.stdout().contains("a.log:1:3: known-secret (high)\n"),
        "{}",
        ran.stdout()
    );
    assert!(
        ran.stdout()
            .contains("a.log:2:6: known-secret-fragment (medium)\n"),
        "{}",
        ran.stdout()
    );
    assert!(
        !ran.stdout().contains("fp:"),
        "verify prints no fingerprint"
    );
    assert!(ran.stderr().contains("2 occurrences"), "{}", ran.stderr());
    assert_eq!(std::fs::metadata(&log).unwrap().mtime_nsec(), mtime);
    run(cfscrub()
        .args(["redact", "-q", "--secret-from"])
        .arg(&vault)
        .arg(t.join("logs")))
    .expect(0);
    run(cfscrub()
        .arg("verify")
        .arg("--secret-from")
        .arg(&vault)
        .arg(t.join("logs")))
    .expect(0);
    run(cfscrub().arg("verify").arg(t.join("logs"))).expect(0);
    run(cfscrub().arg("verify").arg(t.join("missing"))).expect(2);
}

#[test]
fn json_output_of_redact() {
    let t = Tree::new();
    let mut g = FakeGen::new(15);
    t.write("a.log", format!("{}\n", g.scannable("cfut_", true)));
    let ran = run(cfscrub().args(["redact", "--format", "json"]).arg(t.path())).expect(0);
    let lines = json_lines(&ran.stdout);
    assert_eq!(lines[0]["type"], "file");
    assert_eq!(lines[0]["action"], "redacted");
    assert_eq!(lines[0]["method"], "rename");
    assert_eq!(lines[0]["by_kind"]["cloudflare-user-token"], 1);
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["redacted"], 1);
    assert_eq!(summary["remaining"], 0);
}

#[test]
fn keep_mtime_gives_rewritten_files_their_old_time_and_the_default_does_not() {
    let mut g = FakeGen::new(161);
    let t = Tree::new();
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
    let mtime = |p: &std::path::Path| std::fs::metadata(p).unwrap().modified().unwrap();
    for (name, extra) in [
        ("kept.log", None),
        ("kept-same-length.log", Some("--same-length")),
    ] {
        let f = t.write(name, format!("a {}\n", g.scannable("cfut_", true)));
        std::fs::File::options()
            .write(true)
            .open(&f)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let mut cmd = cfscrub();
        cmd.args(["redact", "--keep-mtime"]);
        if let Some(flag) = extra {
            cmd.arg(flag);
        }
        run(cmd.arg(&f)).expect(0);
        assert!(std::fs::read_to_string(&f).unwrap().contains("[REDACTED"));
        assert_eq!(mtime(&f), old, "{name}: the old mtime is kept");
    }
    let f = t.write("default.log", format!("a {}\n", g.scannable("cfut_", true)));
    std::fs::File::options()
        .write(true)
        .open(&f)
        .unwrap()
        .set_modified(old)
        .unwrap();
    run(cfscrub().arg("redact").arg(&f)).expect(0);
    assert!(
        mtime(&f) > old,
        "by default a rewritten file gets a new mtime"
    );
}

#[test]
fn a_dry_run_json_summary_claims_nothing_about_what_remains() {
    let t = Tree::new();
    let mut g = FakeGen::new(162);
    t.write("a.log", format!("{}\n", g.scannable("cfut_", true)));
    let ran = run(cfscrub()
        .args(["redact", "--dry-run", "--format", "json"])
        .arg(t.path()))
    .expect(1);
    let lines = json_lines(&ran.stdout);
    assert_eq!(lines[0]["action"], "would-redact");
    assert_eq!(lines[0]["method"], "rename");
    let summary = lines.last().unwrap();
    assert_eq!(summary["dry_run"], true);
    assert_eq!(summary["remaining"], serde_json::Value::Null);
    assert_eq!(summary["would_remain"], 0);
    assert!(summary["elapsed_ms"].is_u64());
}
