//! Rewriting a repository's history with every credential redacted:
//! `git fast-export | `[`stream::rewrite_stream`]` | git fast-import`, then
//! the old objects made unreachable and pruned.
//!
//! git writes every object and ref; cfscrub only changes `data` payloads
//! in the stream (with their lengths). Authors, committers, dates, modes,
//! merges, annotated tags and notes pass through (notes re-attached to
//! the new commits by [`notes`]); commit
//! signatures are dropped by `fast-export` (counted and reported; a
//! signature would not match the new contents anyway). Safety checks are
//! in [`safety`].
//!
//! A kill at any instant leaves a valid repository: `fast-import` updates
//! refs only once the whole stream has arrived (`feature done`), each ref
//! atomically; before that the old refs stand. A marker file in the git
//! directory ([`PENDING`]) tells a rerun that the index and work tree may
//! still show the old `HEAD` because of an interrupted run, not because of
//! the user's changes.

pub mod notes;
pub mod safety;
pub mod stream;

use crate::core::counts::Replacement;
use crate::core::detect::Detector;
use crate::source::git::{failed, GitError, Repo};
use std::collections::HashMap;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use stream::StreamStats;

/// Present in the git directory from the start of a rewrite to its end.
pub const PENDING: &str = "cfscrub-redact.pending";

/// The default name of the old → new commit map, in the git directory.
pub const COMMIT_MAP: &str = "cfscrub-commit-map";

/// What a rewrite did.
#[derive(Debug, Default)]
pub struct Rewritten {
    /// What the stream filter changed.
    pub stats: StreamStats,
    /// Every exported commit: old id → new id, in stream order.
    pub map: Vec<(String, String)>,
    /// Where the map was written.
    pub map_file: PathBuf,
    /// Refs whose target changed: name, old, new.
    pub refs_changed: Vec<(String, String, String)>,
    /// Commits that carried a signature, now dropped.
    pub signed_commits: u64,
    /// Notes re-attached to rewritten commits.
    pub notes_moved: u64,
    /// Stash entries below the top one, dropped with the reflogs (old ids).
    pub dropped_stashes: Vec<String>,
}

impl Rewritten {
    /// The rewritten commits whose parents were all kept: where the new
    /// history first departs from the old one (old ids).
    pub fn first_changed(&self, parents: &HashMap<String, Vec<String>>) -> Vec<String> {
        let changed: HashMap<&str, bool> =
            self.map.iter().map(|(o, n)| (o.as_str(), o != n)).collect();
        self.map
            .iter()
            .filter(|(o, n)| o != n)
            .filter(|(o, _)| {
                parents.get(o).is_none_or(|ps| {
                    ps.iter()
                        .all(|p| !changed.get(p.as_str()).copied().unwrap_or(false))
                })
            })
            .map(|(o, _)| o.clone())
            .collect()
    }
}

/// Every ref and its target.
pub fn refs(repo: &Repo) -> Result<HashMap<String, String>, GitError> {
    let out = repo.output(["for-each-ref", "--format=%(objectname) %(refname)"])?;
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(o, r)| (r.to_string(), o.to_string()))
        .collect())
}

/// Commit id → parent ids, for every commit refs and reflogs reach.
pub fn parents(repo: &Repo) -> Result<HashMap<String, Vec<String>>, GitError> {
    let out = repo.output(["rev-list", "--all", "--reflog", "--parents"])?;
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| {
            let mut ids = l.split(' ').map(String::from);
            Some((ids.next()?, ids.collect()))
        })
        .collect())
}

/// Rewrites every ref of `repo` with each finding in blobs and messages
/// replaced; writes the commit map to `map_file`; expires every reflog,
/// prunes the old objects and checks the work tree out again.
pub fn rewrite_history(
    repo: &Repo,
    detector: &Detector,
    replacement: &Replacement,
    map_file: &Path,
) -> Result<Rewritten, GitError> {
    let pending = repo.git_dir.join(PENDING);
    std::fs::write(
        &pending,
        b"cfscrub git redact is rewriting this repository\n",
    )?;
    let before = refs(repo)?;
    let mut done = Rewritten {
        signed_commits: signed_commits(repo)?,
        dropped_stashes: older_stashes(repo)?,
        map_file: map_file.to_path_buf(),
        ..Rewritten::default()
    };
    let head_detached = repo.try_output(["symbolic-ref", "-q", "HEAD"])?.is_none();
    let old_head = repo
        .try_output(["rev-parse", "--verify", "-q", "HEAD"])?
        .map(|h| String::from_utf8_lossy(&h).trim().to_string());

    let marks = tempfile::NamedTempFile::new_in(&repo.git_dir)?;
    let (stats, imported) = export_import(repo, detector, replacement, marks.path())?;
    let new_ids = read_marks(marks.path())?;
    done.map = stats
        .commit_marks
        .iter()
        .filter_map(|(m, old)| Some((old.clone(), new_ids.get(m)?.clone())))
        .collect();
    done.map.sort();
    done.stats = stats;
    imported?;
    write_map(map_file, &done.map)?;
    let map: HashMap<&str, &str> = done
        .map
        .iter()
        .map(|(o, n)| (o.as_str(), n.as_str()))
        .collect();
    done.notes_moved = notes::reattach(repo, &map)?;
    if let (true, Some(old)) = (head_detached, &old_head) {
        if let Some(new) = map.get(old.as_str()) {
            repo.output(["update-ref", "--no-deref", "HEAD", new])?;
        }
    }
    let after = refs(repo)?;
    done.refs_changed = after
        .iter()
        .filter_map(|(r, new)| {
            let old = before.get(r)?;
            (old != new).then(|| (r.clone(), old.clone(), new.clone()))
        })
        .collect();
    done.refs_changed.sort();
    finish(repo)?;
    std::fs::remove_file(&pending)?;
    Ok(done)
}

/// Checks the work tree out at the rewritten `HEAD`, expires every reflog
/// and prunes everything unreachable (the old history).
fn finish(repo: &Repo) -> Result<(), GitError> {
    if repo.work_tree.is_some()
        && repo
            .try_output(["rev-parse", "--verify", "-q", "HEAD"])?
            .is_some()
    {
        repo.output(["reset", "--hard", "-q", "HEAD"])?;
    }
    // Caches of old commits and messages: not history, and they would keep
    // old objects or a message alive.
    for name in ["ORIG_HEAD", "FETCH_HEAD", "AUTO_MERGE", "COMMIT_EDITMSG"] {
        let _ = std::fs::remove_file(repo.git_dir.join(name));
    }
    repo.output([
        "reflog",
        "expire",
        "--expire=now",
        "--expire-unreachable=now",
        "--all",
    ])?;
    // `git stash list` reads the reflog of refs/stash: give the rewritten
    // top stash its entry back.
    if let Some(stash) = repo.try_output(["rev-parse", "--verify", "-q", "refs/stash"])? {
        let stash = String::from_utf8_lossy(&stash).trim().to_string();
        repo.output(["update-ref", "-d", "refs/stash"])?;
        repo.output([
            "update-ref",
            "--create-reflog",
            "-m",
            "stash rewritten by cfscrub git redact",
            "refs/stash",
            &stash,
        ])?;
    }
    repo.output([
        "-c",
        "gc.reflogExpire=now",
        "-c",
        "gc.reflogExpireUnreachable=now",
        "-c",
        "gc.rerereResolved=now",
        "-c",
        "gc.rerereUnresolved=now",
        "-c",
        "gc.cruftPacks=false",
        "gc",
        "--prune=now",
        "--quiet",
    ])?;
    Ok(())
}

/// Runs the pipeline. The stream statistics come back even when
/// fast-import fails (the second member).
fn export_import(
    repo: &Repo,
    detector: &Detector,
    replacement: &Replacement,
    marks: &Path,
) -> Result<(StreamStats, Result<(), GitError>), GitError> {
    let mut export_args = vec![
        "fast-export",
        "--all",
        "--show-original-ids",
        "--signed-tags=strip",
        "--tag-of-filtered-object=rewrite",
        "--fake-missing-tagger",
        "--reencode=no",
        "--use-done-feature",
    ];
    if supports_signed_commits_option(repo) {
        export_args.push("--signed-commits=strip");
    }
    let mut export_cmd = repo.command(&export_args);
    let mut export = export_cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut marks_arg = std::ffi::OsString::from("--export-marks=");
    marks_arg.push(marks);
    let mut import_cmd = repo.command([
        std::ffi::OsStr::new("fast-import"),
        "--force".as_ref(),
        "--quiet".as_ref(),
        "--date-format=raw-permissive".as_ref(),
        &marks_arg,
    ]);
    let mut import = import_cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let export_err = drain(export.stderr.take());
    let import_err = drain(import.stderr.take());
    let mut input = BufReader::with_capacity(1 << 20, export.stdout.take().expect("piped"));
    let mut output = BufWriter::with_capacity(1 << 20, import.stdin.take().expect("piped"));
    let streamed = stream::rewrite_stream(&mut input, &mut output, detector, replacement);
    drop(output);
    drop(input);
    let export_status = export.wait()?;
    let import_status = import.wait()?;
    let export_err = export_err.join().unwrap_or_default();
    let import_err = import_err.join().unwrap_or_default();
    if !export_status.success() {
        return Err(failed(&export_cmd, &export_err));
    }
    let stats = streamed?;
    let imported = if import_status.success() {
        Ok(())
    } else {
        Err(failed(&import_cmd, &import_err))
    };
    Ok((stats, imported))
}

/// Reads a child's stderr on a thread (a full pipe would block it).
fn drain(stderr: Option<std::process::ChildStderr>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut e) = stderr {
            let _ = e.read_to_end(&mut buf);
        }
        buf
    })
}

/// Whether this git's fast-export takes `--signed-commits` (newer ones
/// do; older ones drop commit signatures silently).
fn supports_signed_commits_option(repo: &Repo) -> bool {
    repo.command(["fast-export", "-h"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--signed-commits"))
}

/// `:mark id` lines → mark → id.
fn read_marks(path: &Path) -> Result<HashMap<u64, String>, GitError> {
    let text = std::fs::read_to_string(path)?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let (m, id) = l.strip_prefix(':')?.split_once(' ')?;
            Some((m.parse().ok()?, id.to_string()))
        })
        .collect())
}

/// Writes `old new` lines through a temp file and a rename.
fn write_map(path: &Path, map: &[(String, String)]) -> Result<(), GitError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    writeln!(tmp, "old new")?;
    for (old, new) in map {
        writeln!(tmp, "{old} {new}")?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| GitError::Io(e.error))?;
    Ok(())
}

/// How many commits refs and reflogs reach carry a signature.
fn signed_commits(repo: &Repo) -> Result<u64, GitError> {
    let out = repo.output(["rev-list", "--all", "--reflog", "--header"])?;
    Ok(out
        .split(|&b| b == 0)
        .filter(|c| memchr::memmem::find(c, b"\ngpgsig").is_some())
        .count() as u64)
}

/// The stash entries below the top one (old ids): they live only in the
/// reflog of `refs/stash`, which the rewrite expires.
fn older_stashes(repo: &Repo) -> Result<Vec<String>, GitError> {
    let Some(out) = repo.try_output(["reflog", "show", "--format=%H", "refs/stash", "--"])? else {
        return Ok(Vec::new());
    };
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .skip(1)
        .map(String::from)
        .collect())
}
