//! Where each blob came from: `git log --raw -m` over every commit (or the
//! scope's), parsed as it streams; the oldest commit that put a blob at a
//! path is its *first seen*, and every commit that did is counted.

use super::objects::{Oid, Scope};
use super::{wait_ok, Fed, GitError, Repo};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};

/// The oldest commit putting a blob at a path, and how many do.
#[derive(Debug)]
pub(super) struct Origin {
    pub(super) commit: Oid,
    time: i64,
    pub(super) path: Vec<u8>,
    pub(super) commits: u32,
    /// Whether a reachable commit puts it in place (all are, until
    /// [`Origins::mark_reachable`] says otherwise).
    pub(super) reachable: bool,
    /// The commits putting it in place (indices into `Origins::commits`).
    by: Vec<u32>,
}

#[derive(Debug, Default)]
pub(super) struct Origins {
    pub(super) blobs: HashMap<Oid, Origin>,
    /// Commits `git log` went through (used in a narrowed scope).
    pub(super) commits: Vec<Oid>,
}

/// Runs `git log --raw -m` over `extra` commits (on stdin) and the scope's
/// revisions, and records where each blob first appears and which commits
/// put it in place (for [`Origins::mark_reachable`]).
pub(super) fn origins(repo: &Repo, scope: &Scope, extra: &[&Oid]) -> Result<Origins, GitError> {
    if scope.is_full() && extra.is_empty() {
        return Ok(Origins::default()); // no commit at all
    }
    let mut args: Vec<String> = [
        "log",
        "--raw",
        // Spelled out: `log.diffMerges`, `log.showRoot` and
        // `diff.orderFile` in the user's configuration would change them.
        "--diff-merges=separate",
        "--root",
        "-O/dev/null",
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
        // Exactly the listed commits (every commit of the database), so
        // that the list can be shared out between processes.
        args.extend(["--no-walk".into(), "--stdin".into()]);
    } else if scope.revs.is_empty() {
        args.extend(["--all".into(), "--reflog".into()]);
    } else {
        args.extend(scope.revs.iter().cloned());
        args.push("--".into());
    }
    let list: Vec<u8> = extra
        .iter()
        .flat_map(|o| format!("{o}\n").into_bytes())
        .collect();
    let Fed {
        cmd,
        mut child,
        feeder,
    } = repo.spawn_fed(&args, list)?;
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let mut origins = Origins::default();
    let mut current: Option<(u32, i64)> = None;
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
            if let Some((commit, time)) = current {
                origins.record(oid, commit, time, f);
            }
        } else if let Some(head) = f.strip_prefix(b"\x01") {
            let text = String::from_utf8_lossy(head);
            let (commit, time) = text.split_once(' ').unwrap_or((&text, "0"));
            let time = time.trim().parse().unwrap_or(0);
            current = Some((origins.begin_commit(commit), time));
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
    /// Adds what `git log` said about other commits.
    pub(super) fn merge(&mut self, other: Origins) {
        let offset = self.commits.len() as u32;
        self.commits.extend(other.commits);
        for (blob, mut o) in other.blobs {
            o.by.iter_mut().for_each(|i| *i += offset);
            match self.blobs.get_mut(&blob) {
                Some(mine) => {
                    mine.commits += o.commits;
                    mine.by.append(&mut o.by);
                    if (o.time, &o.commit) < (mine.time, &mine.commit) {
                        (mine.commit, mine.time, mine.path) = (o.commit, o.time, o.path);
                    }
                }
                None => {
                    self.blobs.insert(blob, o);
                }
            }
        }
    }

    /// Says which blobs a reachable commit puts in place (before, all
    /// are taken as reachable).
    pub(super) fn mark_reachable(&mut self, reachable: &HashSet<Oid>) {
        for o in self.blobs.values_mut() {
            o.reachable =
                o.by.iter()
                    .any(|&i| reachable.contains(&self.commits[i as usize]));
        }
    }

    /// Starts one `git log` entry (a commit, or a merge against one of its
    /// parents): the index [`Origins::record`] takes.
    pub(super) fn begin_commit(&mut self, commit: &str) -> u32 {
        let index = self.commits.len() as u32;
        self.commits.push(commit.to_string());
        index
    }

    /// Notes that entry `index` (at `time`) puts `blob` at `path`.
    pub(super) fn record(&mut self, blob: Oid, index: u32, time: i64, path: &[u8]) {
        let commit = &self.commits[index as usize];
        match self.blobs.get_mut(&blob) {
            Some(o) => {
                o.commits += 1;
                o.by.push(index);
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
                        reachable: true,
                        by: vec![index],
                    },
                );
            }
        }
    }
}

#[cfg(test)]
impl Origins {
    /// Per blob: first commit, its path, how many entries, and the
    /// commits putting it in place (sorted) — to compare two answers.
    pub(super) fn summary(&self) -> std::collections::BTreeMap<Oid, (Oid, Vec<u8>, u32, Vec<Oid>)> {
        self.blobs
            .iter()
            .map(|(blob, o)| {
                let mut by: Vec<Oid> =
                    o.by.iter()
                        .map(|&i| self.commits[i as usize].clone())
                        .collect();
                by.sort();
                (
                    blob.clone(),
                    (o.commit.clone(), o.path.clone(), o.commits, by),
                )
            })
            .collect()
    }
}
