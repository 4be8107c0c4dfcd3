//! Every command that prints, with standard error full (`2>/dev/full`), a
//! pipe nobody reads (`2>&1 | head -1`) or closed (`2>&-`), and standard
//! output a pipe nobody reads or full: never an abort (exit 134 was the
//! panic hook panicking), and the exit code the command documents.

mod common;
use common::*;
use std::ffi::OsString;
use std::fs::File;
use std::io::Write;
use std::os::fd::FromRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Where a standard stream of the run goes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Stream {
    /// A pipe the test reads (the reference run).
    Read,
    /// `/dev/full`: every write fails with ENOSPC.
    Full,
    /// A pipe whose reader is gone: every write fails with EPIPE.
    ReaderGone,
    /// No descriptor at all.
    Closed,
}

fn reader_gone() -> File {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two descriptors, which are then owned here.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    unsafe {
        drop(File::from_raw_fd(fds[0]));
        File::from_raw_fd(fds[1])
    }
}

fn stdio(stream: Stream) -> Stdio {
    match stream {
        Stream::Read => Stdio::piped(),
        Stream::Full => File::options()
            .write(true)
            .open("/dev/full")
            .unwrap()
            .into(),
        Stream::ReaderGone => reader_gone().into(),
        Stream::Closed => Stdio::null(), // then closed in the child
    }
}

/// A fresh incident for each run (redact, fix, store and history change it).
struct Incident {
    tree: Tree,
    planted: Planted,
}

impl Incident {
    fn new() -> Incident {
        let mut g = FakeGen::new(40);
        let mut planted = Planted::default();
        let tree = Tree::new();
        for i in 0..3 {
            tree.write(
                &format!("logs/f{i}.log"),
                format!(
                    "step {i}\ntoken={}\nexport CLOUDFLARE_API_TOKEN={}\n",
                    planted.add(g.scannable("cfut_", true)),
                    planted.add(g.legacy_token())
                ),
            );
        }
        tree.write(
            "home/.bash_history",
            format!(
                "ls\nexport CLOUDFLARE_API_TOKEN={}\n",
                planted.add(g.scannable("cfat_", true))
            ),
        );
        tree.write(
            "ci.log",
            std::fs::read(
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/logs/gha-r2-10000.log"),
            )
            .unwrap(),
        );
        let vault = tree.write("vault.txt", "value\n");
        std::fs::set_permissions(&vault, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .unwrap();
        Incident { tree, planted }
    }

    fn path(&self, rel: &str) -> OsString {
        self.tree.join(rel).into_os_string()
    }
}

/// A command line (`@rel` is a path in the incident), whether a token is
/// fed on standard input, and the exit code the command documents.
struct Case {
    name: &'static str,
    args: &'static [&'static str],
    token_on_stdin: bool,
    code: i32,
}

impl Case {
    /// With standard output full: 2 (the output is lost), but for `run`,
    /// which exits with its command's status whatever becomes of the output.
    fn code_stdout_full(&self) -> i32 {
        if self.args[0] == "run" {
            self.code
        } else {
            2
        }
    }
}

const CASES: &[Case] = &[
    case("scan", &["scan", "@logs"], false, 1),
    case(
        "scan json",
        &["scan", "--format", "json", "@logs"],
        false,
        1,
    ),
    case(
        "scan sarif",
        &["scan", "--format", "sarif", "@logs"],
        false,
        1,
    ),
    case("verify", &["verify", "@logs"], false, 1),
    case(
        "redact --dry-run",
        &["redact", "--dry-run", "@logs"],
        false,
        1,
    ),
    case("redact", &["redact", "@logs"], false, 0),
    case(
        "redact json",
        &["redact", "--format", "json", "@logs"],
        false,
        0,
    ),
    case("filter", &["filter", "--summary"], true, 0),
    case("filter gate", &["filter", "--fail-on-find"], true, 1),
    case(
        "run",
        &[
            "run",
            "--summary",
            "--",
            "sh",
            "-c",
            "cat \"$1\"; cat \"$1\" >&2; exit 7",
            "sh",
            "@logs/f0.log",
        ],
        false,
        7,
    ),
    case("vault check", &["vault", "check", "@vault.txt"], false, 1),
    case("vault fix", &["vault", "fix", "@vault.txt"], false, 0),
    case("vault store", &["vault", "store", "@new-token"], true, 0),
    case("checklist", &["checklist"], false, 0),
    case("diagnose", &["diagnose", "@ci.log"], false, 0),
    case("history", &["history", "--home", "@home"], false, 0),
    case("history hook", &["history", "hook", "bash"], false, 0),
    case("--help", &["--help"], false, 0),
    case("bad option", &["scan", "--no-such-option"], false, 2),
    case("demo", &["demo"], false, 0),
];

const fn case(
    name: &'static str,
    args: &'static [&'static str],
    token_on_stdin: bool,
    code: i32,
) -> Case {
    Case {
        name,
        args,
        token_on_stdin,
        code,
    }
}

/// Runs one case with stdout and stderr as given; returns the exit code
/// (failing if the run was ended by a signal) and stderr, if read.
fn run_case(case: &Case, stdout: Stream, stderr: Stream) -> (i32, Vec<u8>) {
    let incident = Incident::new();
    let args = case.args.iter().map(|a| match a.strip_prefix('@') {
        Some(rel) => incident.path(rel),
        None => a.into(),
    });
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("cfscrub"));
    cmd.args(args)
        .current_dir(incident.tree.path())
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .stdin(Stdio::piped())
        .stdout(stdio(stdout))
        .stderr(stdio(stderr));
    for (fd, stream) in [(1, stdout), (2, stderr)] {
        if stream == Stream::Closed {
            // SAFETY: close(2) between fork and exec touches no shared state.
            unsafe {
                cmd.pre_exec(move || {
                    libc::close(fd);
                    Ok(())
                });
            }
        }
    }
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    if case.token_on_stdin {
        stdin
            .write_all(format!("a {} b\n", incident.planted.0[0]).as_bytes())
            .unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let name = case.name;
    incident
        .planted
        .assert_absent(&format!("{name}: stdout"), &out.stdout);
    incident
        .planted
        .assert_absent(&format!("{name}: stderr"), &out.stderr);
    let code = out.status.code().unwrap_or_else(|| {
        panic!(
            "{name}: ended by signal {:?} (stdout {stdout:?}, stderr {stderr:?})",
            out.status.signal()
        )
    });
    (code, out.stderr)
}

#[test]
fn every_command_keeps_its_exit_code_when_stdout_or_stderr_is_closed_or_full() {
    for case in CASES {
        let variants = [
            (Stream::Read, Stream::Read, case.code),
            (Stream::Read, Stream::Full, case.code),
            (Stream::Read, Stream::ReaderGone, case.code),
            (Stream::Read, Stream::Closed, case.code),
            (Stream::ReaderGone, Stream::Read, case.code),
            (Stream::Closed, Stream::Read, case.code),
            (Stream::Full, Stream::Read, case.code_stdout_full()),
        ];
        for (stdout, stderr, want) in variants {
            let (code, err) = run_case(case, stdout, stderr);
            assert_eq!(
                code,
                want,
                "{}: stdout {stdout:?}, stderr {stderr:?}; stderr:\n{}",
                case.name,
                cfscrub::mask::sanitize::mask_text(&String::from_utf8_lossy(&err))
            );
        }
    }
}

/// `run --summary` used to lose its command's status (exit 134) when the
/// summary could not be printed; the status is kept, and so is a signal's.
#[test]
fn run_keeps_the_command_status_when_stderr_is_gone() {
    let case = case(
        "run killed",
        &[
            "run",
            "--summary",
            "--",
            "sh",
            "-c",
            "echo err >&2; kill -TERM $$",
        ],
        false,
        128 + libc::SIGTERM,
    );
    for stderr in [Stream::Full, Stream::ReaderGone, Stream::Closed] {
        let (code, _) = run_case(&case, Stream::Read, stderr);
        assert_eq!(code, case.code, "stderr {stderr:?}");
    }
}

/// Standard output that cannot be written for a reason other than a closed
/// pipe is reported on standard error, and is an error.
#[test]
fn a_full_stdout_is_reported() {
    let case = case("checklist", &["checklist"], false, 0);
    let (code, err) = run_case(&case, Stream::Full, Stream::Read);
    assert_eq!(code, 2);
    let err = String::from_utf8_lossy(&err);
    assert!(
        err.contains("cannot write standard output") && !err.contains("internal error"),
        "{err}"
    );
}
