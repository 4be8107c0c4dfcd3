//! End-to-end tests of `cfscrub vault store`: interrupted at any moment,
//! fed more than a secret, or given a credential where the path belongs.

mod common;
use common::*;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The `.cfscrub-vault-*` temp files in `dir`.
fn temp_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".cfscrub-vault-")
        })
        .count()
}

/// SIGINT, SIGTERM and SIGHUP while the value is still arriving (fed in
/// pieces, each read before the next is written), at random moments after
/// it has all arrived, and the moment the temp file holding it appears:
/// no temp file is ever left, and the vault file is absent or whole.
#[test]
fn store_interrupted_at_any_moment_leaves_no_temp_file() {
    let mut g = FakeGen::new(31);
    let mut p = Planted::default();
    let value = p.add(g.scannable("cfut_", true));
    let t = Tree::new();
    let signals = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];
    let mut rng = fastrand::Rng::with_seed(31);
    // How long a store takes once the value is in, spread over by the
    // random moments: the longest seen so far.
    let mut longest = Duration::from_millis(5);
    let (mut during_store, mut at_temp_file) = (0, 0);
    for round in 0..120 {
        let signal = signals[round % signals.len()];
        let target = t.join(&format!("token-{round}"));
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("cfscrub"));
        // Signals ignored by whoever started the tests (a background job
        // ignores SIGINT, `nohup` SIGHUP) stay ignored across exec: give
        // the child the default actions, or the signal does nothing.
        // SAFETY: signal(2) is async-signal-safe; nothing else runs here.
        unsafe {
            cmd.pre_exec(|| {
                for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                    libc::signal(s, libc::SIG_DFL);
                }
                Ok(())
            });
        }
        let mut child = cmd
            .args(["vault", "store"])
            .arg(&target)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let pieces: Vec<&[u8]> = value.as_bytes().chunks(value.len() / 4 + 1).collect();
        let mode = round / signals.len() % 3;
        let fed = if mode == 0 {
            rng.usize(..pieces.len())
        } else {
            pieces.len()
        };
        for piece in &pieces[..fed] {
            stdin.write_all(piece).unwrap();
            wait_until_read(&stdin);
        }
        // Fed in full: end of input, cfscrub stores the value now. Else it
        // is still waiting for the rest when the signal comes.
        let held_open = (fed < pieces.len()).then_some(stdin);
        let eof = Instant::now();
        let signalled = match mode {
            0 => true,
            1 => {
                std::thread::sleep(longest.mul_f64(rng.f64()));
                true
            }
            _ => {
                let mut seen = false;
                wait_until("the temp file appears or the store ends", || {
                    seen = temp_files(t.path()) > 0;
                    seen || child.try_wait().unwrap().is_some()
                });
                at_temp_file += seen as usize;
                seen
            }
        };
        if signalled {
            // Not reaped yet (only a finished `try_wait` reaps): the pid is still ours.
            unsafe { libc::kill(child.id() as i32, signal) };
        }
        drop(held_open);
        let out = child.wait_with_output().unwrap();
        p.assert_absent("vault store stdout", &out.stdout);
        p.assert_absent("vault store stderr", &out.stderr);
        assert_eq!(
            temp_files(t.path()),
            0,
            "round {round}: signal {signal} ({:?}) left a temp file",
            out.status
        );
        match (out.status.code(), out.status.signal()) {
            (Some(0), _) => longest = longest.max(eof.elapsed()),
            (Some(code), _) if code == 128 + signal => during_store += 1,
            // Before cfscrub had the whole value: the default action, nothing written.
            (None, Some(s)) if s == signal => {}
            other => panic!("round {round}: unexpected status {other:?}"),
        }
        match std::fs::read(&target) {
            Ok(stored) => {
                assert!(
                    stored == format!("{value}\n").as_bytes(),
                    "round {round}: the vault file is not the whole value"
                );
                assert_eq!(
                    std::fs::metadata(&target).unwrap().permissions().mode() & 0o7777,
                    0o600
                );
            }
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound),
        }
    }
    assert!(
        during_store >= 20,
        "only {during_store} signals landed while a value was being stored"
    );
    assert!(
        at_temp_file >= 10,
        "the temp file was seen in only {at_temp_file} rounds"
    );
}

/// A value up to 64 KiB (with its newline) is stored whole; one byte more
/// is refused, and nothing is written.
#[test]
fn store_takes_the_whole_value_or_refuses_it() {
    let t = Tree::new();
    let mut g = FakeGen::new(32);
    let big = g.alnum(64 * 1024 - 1);
    run(cfscrub()
        .args(["vault", "store"])
        .arg(t.join("big"))
        .write_stdin(format!("{big}\n")))
    .expect(0);
    assert!(
        std::fs::read(t.join("big")).unwrap() == format!("{big}\n").as_bytes(),
        "a 64 KiB value was not stored whole"
    );
    let ran = run(cfscrub()
        .args(["vault", "store"])
        .arg(t.join("bigger"))
        .write_stdin(format!("{big}x\n")))
    .expect(2);
    assert!(
        ran.stderr().contains("more than 64 KiB"),
        "{}",
        ran.stderr()
    );
    assert!(!t.join("bigger").exists(), "a cut value was stored");
    assert_eq!(temp_files(t.path()), 0);
}

/// `vault store <token>` (the token typed where the path belongs) creates
/// nothing, does not echo the token, and points to `cfscrub history`; so do
/// `fix` and `check`.
#[test]
fn a_credential_given_as_the_path_is_refused_without_echo() {
    let t = Tree::new();
    let mut g = FakeGen::new(33);
    let mut p = Planted::default();
    let tokens = [
        p.add(g.scannable("cfut_", true)),
        p.add(g.legacy_token()),
        p.add(g.hex(37)),
    ];
    for (i, token) in tokens.iter().enumerate() {
        for action in ["store", "fix", "check"] {
            let ran = run(cfscrub()
                .current_dir(t.path())
                .args(["vault", action, "--", token])
                .write_stdin("the value\n"));
            p.assert_absent(&format!("vault {action} token #{i} stdout"), &ran.stdout);
            p.assert_absent(&format!("vault {action} token #{i} stderr"), &ran.stderr);
            let ran = ran.expect(2);
            assert!(
                ran.stderr().contains("looks like a credential")
                    && ran.stderr().contains("cfscrub history"),
                "{}",
                ran.stderr()
            );
        }
    }
    assert_eq!(
        std::fs::read_dir(t.path()).unwrap().count(),
        0,
        "a file was created"
    );
}

#[test]
fn fix_on_a_directory_says_a_vault_file_is_one_file() {
    let t = Tree::new();
    std::fs::create_dir(t.join("dir")).unwrap();
    let ran = run(cfscrub().args(["vault", "fix"]).arg(t.join("dir"))).expect(2);
    assert!(
        ran.stderr()
            .contains("is a directory: a vault file is one regular file"),
        "{}",
        ran.stderr()
    );
    assert!(!ran.stderr().contains("links"), "{}", ran.stderr());
}

#[test]
fn store_into_a_missing_directory_names_no_temp_file() {
    let t = Tree::new();
    let ran = run(cfscrub()
        .args(["vault", "store"])
        .arg(t.join("missing/token"))
        .write_stdin("some-value-123\n"))
    .expect(2);
    assert!(
        ran.stderr().contains("its directory does not exist"),
        "{}",
        ran.stderr()
    );
    assert!(
        !ran.stderr().contains(".cfscrub-vault-"),
        "{}",
        ran.stderr()
    );
}

#[test]
fn store_names_the_kind_with_the_right_article() {
    let mut g = FakeGen::new(32);
    let mut p = Planted::default();
    let t = Tree::new();
    for (value, said) in [
        (
            p.add(g.scannable("cfat_", true)),
            "stored an account API token",
        ),
        (p.add(g.scannable("cfut_", true)), "stored a user API token"),
    ] {
        let path = t.join(&value[..4]);
        let ran = run(cfscrub()
            .args(["vault", "store"])
            .arg(&path)
            .write_stdin(format!("{value}\n")))
        .expect(0);
        assert!(ran.stdout().contains(said), "{}", ran.stdout());
        p.assert_absent("vault store", &ran.stdout);
    }
}

#[test]
fn check_suggests_the_fix_with_the_path() {
    let t = Tree::new();
    let f = t.write("my token", "value\n");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    let ran = run(cfscrub().args(["vault", "check"]).arg(&f)).expect(1);
    let expected = format!("fix: cfscrub vault fix '{}'", f.display());
    assert!(ran.stdout().contains(&expected), "{}", ran.stdout());
}
