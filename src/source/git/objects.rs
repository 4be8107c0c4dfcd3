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
//! Where blobs came from is parsed in `origins`; contents are read by
//! [`super::read`].

use super::origins::{origins, Origins};
use super::{GitError, Repo};
use std::collections::{HashMap, HashSet};

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

    pub(super) fn parse(word: &str) -> Option<ObjectKind> {
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
    /// The order to read them in: pack order when everything is read
    /// (neighbours share delta bases), else by id.
    pub order: Vec<Oid>,
}

/// Every blob, commit and tag in `scope`, with its place.
pub fn plan(repo: &Repo, scope: &Scope) -> Result<Plan, GitError> {
    let mut targets = HashMap::new();
    let mut order = Vec::new();
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
            order.push(oid.clone());
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
        order = targets.keys().cloned().collect();
        order.sort();
        targets.len() as u64
    };
    Ok(Plan {
        targets,
        objects,
        order,
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
        let targets = &self.targets;
        self.order.retain(|o| targets.contains_key(o));
    }
}
