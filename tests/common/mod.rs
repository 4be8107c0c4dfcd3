//! Helpers shared by the end-to-end tests: a temp tree, generated fakes, the
//! real binary, and the no-leak assertion.
#![allow(dead_code)]

pub mod pty;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

#[allow(unused_imports)] // not every test crate generates fakes
pub use cfscrub::fake::FakeGen;

/// The `cfscrub` binary under test, with colour and the environment's
/// secrets out of the way.
pub fn cfscrub() -> Command {
    let mut cmd = Command::cargo_bin("cfscrub").expect("binary built");
    cmd.env_remove("CLOUDFLARE_API_TOKEN")
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS");
    cmd
}

/// A temporary directory that is removed at the end of the test.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes `content` at `rel`, creating parent directories.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        p
    }
}

/// Every secret the test planted, to check outputs against.
#[derive(Default)]
pub struct Planted(pub Vec<String>);

impl Planted {
    pub fn add(&mut self, value: impl Into<String>) -> String {
        let v = value.into();
        self.0.push(v.clone());
        v
    }

    /// Fails if `output` holds any planted value or any 8-character window
    /// of one. The failure message names the value's index, never the value.
    pub fn assert_absent(&self, what: &str, output: &[u8]) {
        let mut windows = std::collections::HashMap::new();
        for (i, secret) in self.0.iter().enumerate() {
            let bytes = secret.as_bytes();
            for w in bytes.windows(8.min(bytes.len())) {
                windows.entry(w.to_vec()).or_insert(i);
            }
        }
        let shortest = windows.keys().map(Vec::len).min().unwrap_or(8);
        for start in 0..output.len() {
            for len in shortest..=8 {
                let Some(w) = output.get(start..start + len) else {
                    break;
                };
                if let Some(i) = windows.get(w) {
                    panic!("{what}: planted secret #{i} leaked (a {len}-byte window of it appears at output byte {start})");
                }
            }
        }
    }
}

/// Makes a FIFO at `path`.
pub fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// Whether the tests run as root (permission tests differ).
pub fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// Parses JSON Lines output.
pub fn json_lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

/// What a run of the binary gave.
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Ran {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    /// Asserts the exit code; the message shows stdout and stderr (which
    /// the no-leak tests keep free of secrets), never stdin or the environment.
    pub fn expect(self, code: i32) -> Ran {
        assert_eq!(
            self.code,
            Some(code),
            "exit code\n--- stdout (credentials masked)\n{}\n--- stderr (credentials masked)\n{}",
            cfscrub::mask::sanitize::mask_text(&self.stdout()),
            cfscrub::mask::sanitize::mask_text(&self.stderr())
        );
        self
    }
}

/// Runs the command. Unlike `assert_cmd`'s assertions, nothing here prints
/// the command's stdin or environment, where tests put secrets.
pub fn run(cmd: &mut Command) -> Ran {
    let out = cmd.output().expect("the binary runs");
    Ran {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

/// Asserts two byte strings are equal. On failure both sides are shown with
/// every credential shape masked, so a failed redaction never prints the
/// token it failed to remove.
pub fn assert_same(what: &str, actual: impl AsRef<[u8]>, expected: impl AsRef<[u8]>) {
    let (a, e) = (actual.as_ref(), expected.as_ref());
    if a != e {
        let show = |b: &[u8]| cfscrub::mask::sanitize::mask_text(&String::from_utf8_lossy(b));
        panic!(
            "{what}: differs\n--- actual (credentials masked)\n{}\n--- expected (credentials masked)\n{}",
            show(a),
            show(e)
        );
    }
}

/// Polls `done` until it holds, failing after 120 s with `what` — a bounded
/// wait on an observable condition, in place of a sleep.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after 120 s waiting until {what}"
        );
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
}

/// Bytes written to the pipe `writer` that its reader has not read yet.
pub fn unread_in_pipe(writer: &impl std::os::fd::AsRawFd) -> usize {
    let mut pending: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int through the pointer.
    let r = unsafe { libc::ioctl(writer.as_raw_fd(), libc::FIONREAD, &mut pending) };
    assert_eq!(r, 0, "FIONREAD on a pipe");
    pending as usize
}

/// Waits until the reader of the pipe `writer` has read everything written
/// to it: the next write arrives in a read of its own.
pub fn wait_until_read(writer: &impl std::os::fd::AsRawFd) {
    wait_until("the reader took the bytes written so far", || {
        unread_in_pipe(writer) == 0
    });
}

/// The uid and gid (`nobody`) of [`cfscrub_unprivileged`] runs as root.
pub const UNPRIVILEGED: u32 = 65534;

/// The `cfscrub` binary run by a user that file permissions bind. As root
/// (CI), it drops to uid and gid [`UNPRIVILEGED`] without supplementary
/// groups through `setpriv` before exec; otherwise the test user already is
/// unprivileged. What the run reads or writes must be accessible to that
/// user: see [`Tree::hand_to_unprivileged`].
pub fn cfscrub_unprivileged() -> Command {
    if !is_root() {
        return cfscrub();
    }
    let found = std::process::Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "setpriv is required to drop root (bash .ci/run installs util-linux)"
    );
    let mut cmd = Command::new("setpriv");
    cmd.arg(format!("--reuid={UNPRIVILEGED}"))
        .arg(format!("--regid={UNPRIVILEGED}"))
        .args(["--clear-groups", "--"])
        .arg(assert_cmd::cargo::cargo_bin("cfscrub"))
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS");
    cmd
}

impl Tree {
    /// As root, gives the whole tree (its root included, links not
    /// followed) to [`UNPRIVILEGED`], so that a [`cfscrub_unprivileged`]
    /// run meets the tree's mode bits as its owner would; otherwise the
    /// test user owns it already.
    pub fn hand_to_unprivileged(&self) {
        fn give(path: &Path) {
            std::os::unix::fs::lchown(path, Some(UNPRIVILEGED), Some(UNPRIVILEGED)).unwrap();
            if std::fs::symlink_metadata(path).unwrap().is_dir() {
                for entry in std::fs::read_dir(path).unwrap() {
                    give(&entry.unwrap().path());
                }
            }
        }
        if is_root() {
            give(self.path());
        }
    }
}

/// `input` compressed by the real tool (`gzip`, `xz`, `zstd`, `bzip2`:
/// `PROGRAM -c`; `bash .ci/run` installs them).
pub fn compress(program: &str, input: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = std::process::Command::new(program)
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} did not start ({e}); bash .ci/run installs it"));
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("the tool runs");
    writer
        .join()
        .expect("writer thread")
        .expect("input written");
    assert!(out.status.success(), "{program} failed");
    out.stdout
}

/// Checks that neither output of `ran` holds a planted value; `what`
/// names the run in a failure.
pub fn check_no_leak(p: &Planted, what: &str, ran: &Ran) {
    p.assert_absent(&format!("{what} stdout"), &ran.stdout);
    p.assert_absent(&format!("{what} stderr"), &ran.stderr);
}

/// The JSON Lines records of type `kind` in `stdout`.
pub fn records(stdout: &[u8], kind: &str) -> Vec<serde_json::Value> {
    json_lines(stdout)
        .into_iter()
        .filter(|v| v["type"] == kind)
        .collect()
}

/// The `finding` records in `stdout`.
pub fn findings(stdout: &[u8]) -> Vec<serde_json::Value> {
    records(stdout, "finding")
}

/// The `uninspected` records in `stdout`.
pub fn uninspected(stdout: &[u8]) -> Vec<serde_json::Value> {
    records(stdout, "uninspected")
}

/// A CI log of 200 varied steps, then a deploy line holding a token.
pub fn leaked_log(g: &mut FakeGen, p: &mut Planted) -> String {
    let mut log = String::new();
    for i in 0..200 {
        log.push_str(&format!("step {i} {} ok\n", g.alnum(24)));
    }
    log.push_str(&format!(
        "deploy: CLOUDFLARE_API_TOKEN={}\n",
        p.add(g.scannable("cfut_", true))
    ));
    log
}

/// Runs `program args` with `input` on stdin; its stdout. A failure names
/// the program only (never the input or output, which may hold a value).
pub fn pipe(program: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} did not start ({e}); bash .ci/run installs it"));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "{program} failed");
    out.stdout
}
