//! Reading a git repository: which repository, which git, and running it.
//! [`objects`] lists every object and where it came from (`places`: refs
//! and reflogs from git, the history compared in process by `graph` from
//! the commits and trees read, or by `git log --raw` parsed in `origins`);
//! [`read`] streams their contents (`packs` decodes the repository's own
//! packs in process); [`staged`] lists what is about to be committed.
//!
//! The `git` binary does everything but decoding packs and comparing the
//! trees they hold: `cat-file --batch-all-objects` lists loose, packed and
//! borrowed objects alike, `rev-list --reflog` knows every reflog format,
//! and the same binary's `fast-export`/`fast-import` does the
//! rewrite ([`crate::rewrite::git`]). Decoding every object of a pack is
//! `gix-pack`'s (zlib-rs, each delta resolved once, on all threads): piping
//! the whole database through `cat-file` left git's zlib over half of a
//! full scan (bench/GIT.md). No pack parser of our own; what `gix-pack`
//! does not read goes to `cat-file`. Errors keep paths as paths (this
//! floor does not mask); the caller masks when printing.

mod graph;
mod listing;
mod lookup;
pub mod objects;
mod origins;
mod packs;
mod places;
pub mod read;
pub mod staged;
mod treediff;

use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Oldest git accepted: `rev-list --reflog` with `--all`, `cat-file
/// --batch-all-objects --unordered` and `log --diff-merges` all exist from
/// 2.31 on.
pub const MIN_GIT: (u32, u32) = (2, 31);

/// Why a repository cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// No `git` on `PATH`.
    #[error(
        "git is not installed (cfscrub git needs git {}.{} or later on PATH)",
        MIN_GIT.0, MIN_GIT.1
    )]
    Missing,
    /// A `git` older than [`MIN_GIT`], with the version it printed.
    #[error("{} is too old: cfscrub git needs git {}.{} or later", .0, MIN_GIT.0, MIN_GIT.1)]
    TooOld(String),
    /// The path is not a git repository.
    #[error("{}: not a git repository", .0.display())]
    NotARepo(PathBuf),
    /// `git` failed; the command's words (no secret: ids and flags) and
    /// the first line of its stderr.
    #[error("git {0} failed: {1}")]
    Failed(String, String),
    /// Reading or writing a pipe to `git`.
    #[error("talking to git: {0}")]
    Io(#[from] io::Error),
}

/// An opened repository: its git directory, and its work tree unless bare.
#[derive(Debug, Clone)]
pub struct Repo {
    /// The path the user gave.
    pub given: PathBuf,
    /// `$GIT_DIR`, absolute.
    pub git_dir: PathBuf,
    /// The top of the work tree, `None` for a bare repository.
    pub work_tree: Option<PathBuf>,
    /// Its own pack directory (a linked worktree shares its main
    /// repository's), absolute.
    pub pack_dir: PathBuf,
    /// `sha1` or `sha256`.
    pub object_format: String,
    /// A shallow clone or a repository with grafts: some commits' parents
    /// are not the ones their objects name.
    pub grafted: bool,
}

/// Environment variables that would point git at another repository or
/// object database than the one opened.
const REDIRECTING: [&str; 5] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
];

/// Checks that a recent enough `git` is on `PATH`; returns its version line.
pub fn check_git() -> Result<String, GitError> {
    let out = match Command::new("git").arg("version").output() {
        Ok(out) => out,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(GitError::Missing),
        Err(e) => return Err(GitError::Io(e)),
    };
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    match parse_version(&line) {
        Some(v) if v >= MIN_GIT => Ok(line),
        _ => Err(GitError::TooOld(line)),
    }
}

/// `git version 2.47.3` → `(2, 47)`.
fn parse_version(line: &str) -> Option<(u32, u32)> {
    let v = line.strip_prefix("git version ")?;
    let mut parts = v.split(|c: char| !c.is_ascii_digit());
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

impl Repo {
    /// Opens the repository at `path` (a work tree, a `.git` directory, a
    /// bare or mirror repository).
    pub fn open(path: &Path) -> Result<Repo, GitError> {
        let mut git = Command::new("git");
        for var in REDIRECTING {
            git.env_remove(var);
        }
        let out = git
            .arg("-C")
            .arg(path)
            .args([
                "rev-parse",
                "--path-format=absolute",
                "--git-dir",
                "--is-bare-repository",
                "--git-path",
                "objects/pack",
                "--show-object-format",
                "--git-path",
                "shallow",
                "--git-path",
                "info/grafts",
                "--show-toplevel",
            ])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        let mut line = || lines.next();
        let (Some(git_dir), Some(bare), Some(pack_dir), Some(format), Some(shallow), Some(grafts)) =
            (line(), line(), line(), line(), line(), line())
        else {
            return Err(GitError::NotARepo(path.to_path_buf()));
        };
        let listed = |file: &str| std::fs::metadata(file).is_ok_and(|m| m.len() > 0);
        // Inside a `.git` directory `--show-toplevel` fails: no work tree.
        let work_tree = match (bare, line()) {
            ("false", Some(top)) if out.status.success() => Some(PathBuf::from(top)),
            _ => None,
        };
        Ok(Repo {
            given: path.to_path_buf(),
            git_dir: PathBuf::from(git_dir),
            work_tree,
            pack_dir: PathBuf::from(pack_dir),
            object_format: format.to_string(),
            grafted: listed(shallow) || listed(grafts),
        })
    }

    /// A `git` command on this repository, its environment cleared of
    /// variables that would point it elsewhere.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new("git");
        for var in REDIRECTING {
            cmd.env_remove(var);
        }
        cmd.env("GIT_NO_REPLACE_OBJECTS", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C");
        cmd.arg("--git-dir").arg(&self.git_dir);
        if let Some(top) = &self.work_tree {
            cmd.arg("--work-tree").arg(top).current_dir(top);
        }
        cmd.args(args);
        cmd
    }

    /// Runs a git command to its end and returns its stdout; a failure
    /// names the command's first word and git's first stderr line.
    pub fn output<I, S>(&self, args: I) -> Result<Vec<u8>, GitError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.command(args);
        let out = cmd.stdin(Stdio::null()).output()?;
        if !out.status.success() {
            return Err(failed(&cmd, &out.stderr));
        }
        Ok(out.stdout)
    }

    /// Like [`Repo::output`] for a command whose failure is an answer
    /// (`rev-parse --verify`): `None` when it exits non-zero.
    pub fn try_output<I, S>(&self, args: I) -> Result<Option<Vec<u8>>, GitError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self
            .command(args)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()?;
        Ok(out.status.success().then_some(out.stdout))
    }
}

/// A started `git` command whose stdout is piped to the caller and whose
/// stdin is being fed by a thread of its own.
pub struct Fed {
    /// The command (for [`wait_ok`]'s error).
    pub cmd: Command,
    /// The running child; its stdout is piped.
    pub child: Child,
    /// The thread writing its stdin.
    pub feeder: std::thread::JoinHandle<io::Result<()>>,
}

impl Repo {
    /// Starts `git ARGS` with `input` written to its stdin by a thread (so
    /// that a long list and a long answer cannot block each other) and its
    /// stdout and stderr piped.
    pub fn spawn_fed<I, S>(&self, args: I, input: Vec<u8>) -> Result<Fed, GitError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.command(args);
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut stdin = child.stdin.take().expect("piped");
        let feeder = std::thread::spawn(move || stdin.write_all(&input));
        Ok(Fed { cmd, child, feeder })
    }
}

/// The error for a failed command: its subcommand and git's first
/// stderr line.
pub fn failed(cmd: &Command, stderr: &[u8]) -> GitError {
    let words: Vec<String> = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    // Skip `--git-dir X [--work-tree Y]`.
    let sub = words
        .iter()
        .find(|w| !(w.starts_with("--") || w.contains('/')))
        .cloned()
        .unwrap_or_default();
    let why = String::from_utf8_lossy(stderr)
        .lines()
        .next()
        .unwrap_or("no message")
        .to_string();
    GitError::Failed(sub, why)
}

/// Waits for a child whose stdout was read to the end; a non-zero exit
/// is an error with its stderr's first line.
pub fn wait_ok(cmd: &Command, mut child: Child) -> Result<(), GitError> {
    let mut err = Vec::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_end(&mut err);
    }
    let status = child.wait()?;
    if status.success() {
        Ok(())
    } else {
        Err(failed(cmd, &err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_git_version_lines() {
        assert_eq!(parse_version("git version 2.47.3"), Some((2, 47)));
        assert_eq!(
            parse_version("git version 2.39.5 (Apple Git-154)"),
            Some((2, 39))
        );
        assert_eq!(parse_version("nonsense"), None);
    }
}
