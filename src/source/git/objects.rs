//! Every object a repository holds that can carry a credential — blobs,
//! commits and annotated tags (their messages) — where each came from, and
//! their contents, read once each.
//!
//! Where from: `cat-file --batch-all-objects --batch-check` lists every
//! object, loose and packed, reachable or not; `rev-list --objects --all
//! --reflog` tells which are reachable (branches, tags, remotes, notes,
//! `refs/stash`, `refs/pull/*`, every reflog entry); `log --raw -m` over
//! every commit (dangling ones included) tells, per blob, the commits that
//! put it at a path: the oldest is *first seen*, and how many. A blob no
//! commit introduces is in the index or unreachable (`git add` then
//! reset). A [`Scope`] with `--branch`/`--since` narrows all this to the
//! commits `git log` selects, their blobs and their messages.
//!
//! Contents: one `cat-file --batch` process (in pack order when reading
//! everything) feeds batches of objects to a caller's closure run in
//! parallel on a thread pool, while the next batch is read.

use super::{wait_ok, GitError, Repo};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::sync::mpsc;

/// A full object id (40 or 64 hex digits).
pub type Oid = String;

/// The object types read for content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// File contents.
    Blob,
    /// A commit: headers and message.
    Commit,
    /// An annotated tag: headers and message.
    Tag,
}

impl ObjectKind {
    /// `blob`, `commit`, `tag`.
    pub fn name(self) -> &'static str {
        match self {
            ObjectKind::Blob => "blob",
            ObjectKind::Commit => "commit",
            ObjectKind::Tag => "tag",
        }
    }

    fn parse(word: &str) -> Option<ObjectKind> {
        match word {
            "blob" => Some(ObjectKind::Blob),
            "commit" => Some(ObjectKind::Commit),
            "tag" => Some(ObjectKind::Tag),
            _ => None,
        }
    }
}

/// Which history to read: everything (the default), or what `git log`
/// selects with some revisions and/or a date.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Revisions (`--branch`); empty with `since` set means `--all`.
    pub revs: Vec<String>,
    /// `--since` date, as git reads it.
    pub since: Option<String>,
}

impl Scope {
    /// True when the whole object database is read.
    pub fn is_full(&self) -> bool {
        self.revs.is_empty() && self.since.is_none()
    }
}

/// Where an object is, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A blob at `path` in `commits` commits, `commit` the oldest;
    /// `reachable` false when every one of them is unreachable.
    InCommits {
        /// The oldest commit that put the blob at `path`.
        commit: Oid,
        /// The path in that commit (raw bytes).
        path: Vec<u8>,
        /// How many commits introduce the blob (at any path).
        commits: u32,
        /// Whether any ref or reflog entry reaches the blob.
        reachable: bool,
    },
    /// A commit or tag object itself (its message).
    Own {
        /// A tag's ref name (`refs/tags/v1`), when a ref names it.
        tag_ref: Option<Vec<u8>>,
        /// Whether any ref or reflog entry reaches it.
        reachable: bool,
    },
    /// A blob only the index holds, at this path.
    Index(Vec<u8>),
    /// A blob nothing reaches and no commit introduces.
    Unreachable,
}

/// One object to read.
#[derive(Debug, Clone)]
pub struct Target {
    /// Its id.
    pub oid: Oid,
    /// Its type.
    pub kind: ObjectKind,
    /// Where it is.
    pub place: Place,
}

/// What a whole plan covers.
#[derive(Debug, Default)]
pub struct Plan {
    /// Objects to read, keyed by id.
    pub targets: HashMap<Oid, Target>,
    /// Objects in the database (every type), for the summary.
    pub objects: u64,
    /// Whether to read in pack order (everything) or by list.
    pub full: bool,
}

/// Every blob, commit and tag in `scope`, with its place.
pub fn plan(repo: &Repo, scope: &Scope) -> Result<Plan, GitError> {
    let mut targets = HashMap::new();
    let objects = if scope.is_full() {
        let all = inventory(repo)?;
        let reachable = reachable(repo)?;
        let commits: Vec<&Oid> = all
            .iter()
            .filter(|(_, k)| *k == Some(ObjectKind::Commit))
            .map(|(o, _)| o)
            .collect();
        let origins = origins(repo, scope, &commits)?;
        let tag_refs = tag_refs(repo)?;
        let index = index_blobs(repo)?;
        for (oid, kind) in &all {
            let Some(kind) = *kind else { continue };
            let is_reachable = reachable.contains(oid);
            let place = match kind {
                ObjectKind::Blob => blob_place(oid, &origins, &index, is_reachable),
                ObjectKind::Commit | ObjectKind::Tag => Place::Own {
                    tag_ref: tag_refs.get(oid).cloned(),
                    reachable: is_reachable,
                },
            };
            targets.insert(
                oid.clone(),
                Target {
                    oid: oid.clone(),
                    kind,
                    place,
                },
            );
        }
        all.len() as u64
    } else {
        let origins = origins(repo, scope, &[])?;
        for oid in origins.blobs.keys() {
            targets.insert(
                oid.clone(),
                Target {
                    oid: oid.clone(),
                    kind: ObjectKind::Blob,
                    place: blob_place(oid, &origins, &HashMap::new(), true),
                },
            );
        }
        for commit in &origins.commits {
            targets.insert(
                commit.clone(),
                Target {
                    oid: commit.clone(),
                    kind: ObjectKind::Commit,
                    place: Place::Own {
                        tag_ref: None,
                        reachable: true,
                    },
                },
            );
        }
        targets.len() as u64
    };
    Ok(Plan {
        targets,
        objects,
        full: scope.is_full(),
    })
}

fn blob_place(
    oid: &Oid,
    origins: &Origins,
    index: &HashMap<Oid, Vec<u8>>,
    reachable: bool,
) -> Place {
    match origins.blobs.get(oid) {
        Some(o) => Place::InCommits {
            commit: o.commit.clone(),
            path: o.path.clone(),
            commits: o.commits,
            reachable,
        },
        None => match index.get(oid) {
            Some(path) => Place::Index(path.clone()),
            None => Place::Unreachable,
        },
    }
}

/// Every object id in the database with its type (`None` for trees).
fn inventory(repo: &Repo) -> Result<Vec<(Oid, Option<ObjectKind>)>, GitError> {
    let out = repo.output([
        "cat-file",
        "--batch-all-objects",
        "--unordered",
        "--batch-check=%(objectname) %(objecttype)",
    ])?;
    Ok(out
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            let line = std::str::from_utf8(line).ok()?;
            let (oid, kind) = line.split_once(' ')?;
            Some((oid.to_string(), ObjectKind::parse(kind)))
        })
        .collect())
}

/// Ids of the objects any ref or reflog entry reaches.
fn reachable(repo: &Repo) -> Result<HashSet<Oid>, GitError> {
    let out = repo.output(["rev-list", "--objects", "--all", "--reflog"])?;
    Ok(out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let end = l.iter().position(|&b| b == b' ').unwrap_or(l.len());
            String::from_utf8_lossy(&l[..end]).into_owned()
        })
        .collect())
}

/// Tag object id → the ref naming it.
fn tag_refs(repo: &Repo) -> Result<HashMap<Oid, Vec<u8>>, GitError> {
    let out = repo.output([
        "for-each-ref",
        "--format=%(objecttype) %(objectname) %(refname)",
    ])?;
    Ok(out
        .split(|&b| b == b'\n')
        .filter_map(|l| {
            let rest = l.strip_prefix(b"tag ")?;
            let sp = rest.iter().position(|&b| b == b' ')?;
            Some((
                String::from_utf8_lossy(&rest[..sp]).into_owned(),
                rest[sp + 1..].to_vec(),
            ))
        })
        .collect())
}

/// Blob id → path, for the index of a repository with a work tree.
fn index_blobs(repo: &Repo) -> Result<HashMap<Oid, Vec<u8>>, GitError> {
    if repo.work_tree.is_none() {
        return Ok(HashMap::new());
    }
    let out = repo.output(["ls-files", "--stage", "-z"])?;
    Ok(out
        .split(|&b| b == 0)
        .filter_map(|entry| {
            // `<mode> <oid> <stage>\t<path>`
            let tab = entry.iter().position(|&b| b == b'\t')?;
            let head = std::str::from_utf8(&entry[..tab]).ok()?;
            let oid = head.split(' ').nth(1)?;
            Some((oid.to_string(), entry[tab + 1..].to_vec()))
        })
        .collect())
}

/// The oldest commit putting a blob at a path, and how many do.
#[derive(Debug)]
struct Origin {
    commit: Oid,
    time: i64,
    path: Vec<u8>,
    commits: u32,
}

#[derive(Debug, Default)]
struct Origins {
    blobs: HashMap<Oid, Origin>,
    /// Commits `git log` went through (used in a narrowed scope).
    commits: Vec<Oid>,
}

/// Runs `git log --raw -m` over `extra` commits (on stdin) and the scope's
/// revisions, and records where each blob first appears.
fn origins(repo: &Repo, scope: &Scope, extra: &[&Oid]) -> Result<Origins, GitError> {
    if scope.is_full() && extra.is_empty() {
        return Ok(Origins::default()); // no commit at all
    }
    let mut args: Vec<String> = [
        "log",
        "--raw",
        "-m",
        "--no-renames",
        "--no-abbrev",
        "--no-ext-diff",
        "--no-textconv",
        "-z",
        "--format=%x01%H %ct",
    ]
    .map(String::from)
    .to_vec();
    if let Some(since) = &scope.since {
        args.push(format!("--since={since}"));
    }
    if scope.is_full() {
        args.push("--stdin".into());
    } else if scope.revs.is_empty() {
        args.extend(["--all".into(), "--reflog".into()]);
    } else {
        args.extend(scope.revs.iter().cloned());
        args.push("--".into());
    }
    let mut cmd = repo.command(&args);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped");
    let list: Vec<u8> = extra
        .iter()
        .flat_map(|o| format!("{o}\n").into_bytes())
        .collect();
    let feeder = std::thread::spawn(move || stdin.write_all(&list));
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let mut origins = Origins::default();
    let mut current: Option<(Oid, i64)> = None;
    let mut field = Vec::new();
    let mut pending_blob: Option<Oid> = None;
    loop {
        field.clear();
        if out.read_until(0, &mut field)? == 0 {
            break;
        }
        if field.last() == Some(&0) {
            field.pop();
        }
        let f = trim_newlines(&field);
        if let Some(oid) = pending_blob.take() {
            if let Some((commit, time)) = &current {
                origins.record(oid, commit, *time, f);
            }
        } else if let Some(head) = f.strip_prefix(b"\x01") {
            let text = String::from_utf8_lossy(head);
            let (commit, time) = text.split_once(' ').unwrap_or((&text, "0"));
            origins.commits.push(commit.to_string());
            current = Some((commit.to_string(), time.trim().parse().unwrap_or(0)));
        } else if f.starts_with(b":") {
            // `:old new oldsha newsha status`: keep added or changed blobs.
            let meta = String::from_utf8_lossy(f);
            let words: Vec<&str> = meta.split(' ').collect();
            let (mode, sha, status) = (words[1], words[3], words.get(4).copied().unwrap_or(""));
            let is_blob = mode.starts_with("10") || mode.starts_with("12");
            let null = sha.bytes().all(|b| b == b'0');
            if is_blob && !null && !status.starts_with('D') {
                pending_blob = Some(sha.to_string());
            } else {
                // The path that follows is not a blob we keep: read past it.
                field.clear();
                out.read_until(0, &mut field)?;
            }
        }
    }
    let _ = feeder.join();
    wait_ok(&cmd, child)?;
    Ok(origins)
}

fn trim_newlines(mut f: &[u8]) -> &[u8] {
    while let [b'\n', rest @ ..] = f {
        f = rest;
    }
    f
}

impl Origins {
    fn record(&mut self, blob: Oid, commit: &Oid, time: i64, path: &[u8]) {
        match self.blobs.get_mut(&blob) {
            Some(o) => {
                o.commits += 1;
                if time < o.time || (time == o.time && commit < &o.commit) {
                    o.commit = commit.clone();
                    o.time = time;
                    o.path = path.to_vec();
                }
            }
            None => {
                self.blobs.insert(
                    blob,
                    Origin {
                        commit: commit.clone(),
                        time,
                        path: path.to_vec(),
                        commits: 1,
                    },
                );
            }
        }
    }
}

/// One object's contents.
pub struct Object<'a> {
    /// What it is and where.
    pub target: &'a Target,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// Bytes gathered before a batch is handed to the workers.
const BATCH_BYTES: usize = 8 << 20;

/// Reads every target of `plan` once and calls `each` on it, in parallel
/// on `pool` while the next batch is read. `each` may return false to stop
/// (a closed output). Returns the bytes read.
pub fn read_all<F>(
    repo: &Repo,
    plan: &Plan,
    pool: &rayon::ThreadPool,
    each: F,
) -> Result<u64, GitError>
where
    F: Fn(Object) -> bool + Sync,
{
    let mut list = Vec::new();
    let mut args = vec!["cat-file", "--batch"];
    if plan.full {
        args.extend(["--batch-all-objects", "--unordered"]);
    } else {
        let mut oids: Vec<&Oid> = plan.targets.keys().collect();
        oids.sort();
        list = oids
            .iter()
            .flat_map(|o| format!("{o}\n").into_bytes())
            .collect();
    }
    read_objects(repo, &args, list, &plan.targets, pool, each)
}

/// Runs `cat-file` with `args` (fed `list` on stdin) and hands each object
/// that is one of `targets` to `each`, in parallel batches.
pub fn read_objects<F>(
    repo: &Repo,
    args: &[&str],
    list: Vec<u8>,
    targets: &HashMap<Oid, Target>,
    pool: &rayon::ThreadPool,
    each: F,
) -> Result<u64, GitError>
where
    F: Fn(Object) -> bool + Sync,
{
    use rayon::prelude::*;
    let mut cmd = repo.command(args);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped");
    let feeder = std::thread::spawn(move || stdin.write_all(&list));
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = mpsc::sync_channel::<Vec<(Oid, Vec<u8>)>>(2);
    let reader = std::thread::spawn(move || read_batches(stdout, tx));
    let mut bytes = 0u64;
    let mut stopped = false;
    for batch in rx {
        if stopped {
            continue;
        }
        bytes += batch.iter().map(|(_, d)| d.len() as u64).sum::<u64>();
        let go_on = pool.install(|| {
            batch
                .into_par_iter()
                .all(|(oid, data)| match targets.get(&oid) {
                    Some(target) => each(Object { target, data }),
                    None => true,
                })
        });
        stopped = !go_on;
    }
    let _ = feeder.join();
    let read = reader
        .join()
        .unwrap_or_else(|_| Err(std::io::Error::other("reader thread")));
    if stopped {
        let _ = child.kill();
        let _ = child.wait();
        return Ok(bytes);
    }
    read?;
    wait_ok(&cmd, child)?;
    Ok(bytes)
}

/// Parses `cat-file --batch` output into batches of (id, contents) of
/// blobs, commits and tags.
fn read_batches(
    stdout: impl Read,
    tx: mpsc::SyncSender<Vec<(Oid, Vec<u8>)>>,
) -> std::io::Result<()> {
    let mut out = BufReader::with_capacity(1 << 20, stdout);
    let mut header = String::new();
    let mut batch = Vec::new();
    let mut size_sum = 0;
    loop {
        header.clear();
        if out.read_line(&mut header)? == 0 {
            break;
        }
        let words: Vec<&str> = header.split_whitespace().collect();
        let [oid, kind, size] = words[..] else {
            continue; // `<oid> missing`
        };
        let size: usize = size
            .parse()
            .map_err(|_| std::io::Error::other("bad cat-file header"))?;
        let mut data = vec![0; size + 1];
        out.read_exact(&mut data)?;
        data.pop(); // the newline after the contents
        if ObjectKind::parse(kind).is_none() {
            continue;
        }
        size_sum += size;
        batch.push((oid.to_string(), data));
        if size_sum >= BATCH_BYTES || batch.len() >= 4096 {
            if tx.send(std::mem::take(&mut batch)).is_err() {
                return Ok(());
            }
            size_sum = 0;
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(batch);
    }
    Ok(())
}

impl Plan {
    /// Leaves out the blobs whose path (the whole path or its file name)
    /// matches `excludes`; messages and unreachable blobs have no path.
    pub fn exclude(&mut self, excludes: &globset::GlobSet) {
        if excludes.is_empty() {
            return;
        }
        self.targets.retain(|_, t| {
            let path = match &t.place {
                Place::InCommits { path, .. } | Place::Index(path) => path,
                Place::Own { .. } | Place::Unreachable => return true,
            };
            let path = std::path::Path::new(
                <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(path),
            );
            !(excludes.is_match(path) || path.file_name().is_some_and(|n| excludes.is_match(n)))
        });
    }
}
