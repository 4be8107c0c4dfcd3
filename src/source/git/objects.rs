//! Every object a repository holds that can carry a credential — blobs,
//! commits and annotated tags (their messages) — where each came from, and
//! their contents, read once each.
//!
//! Where from: `cat-file --batch-all-objects --batch-check` lists every
//! object, loose and packed, reachable or not; `rev-list --all --reflog`
//! tells which commits and tags are reachable (branches, tags, remotes,
//! notes, `refs/stash`, `refs/pull/*`, every reflog entry); `log --raw -m`
//! over every commit (dangling ones included) tells, per blob, the commits
//! that put it at a path: the oldest is *first seen*, and how many; a blob
//! is reachable when one of them is. A blob no
//! commit introduces is in the index or unreachable (`git add` then
//! reset). A [`Scope`] with `--branch`/`--since` narrows all this to the
//! commits `git log` selects, their blobs and their messages.
//!
//! Reading the whole database needs only the list; where objects are is
//! worked out on a thread started when the first object needs reporting
//! ([`Plan::prepare_places`]), so it runs while the rest is read, and a
//! clean history never walks its commits. Where blobs came from is parsed
//! in `origins`; contents are read by [`super::read`].

use super::origins::{origins, Origins};
use super::{GitError, Repo};
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

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

/// One object to read: its id, type and size (to share the reading out).
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its id.
    pub oid: Oid,
    /// Its type.
    pub kind: ObjectKind,
    /// Its size in bytes (0 when not known).
    pub size: u64,
}

/// One object to report: its id, type and where it is.
#[derive(Debug, Clone)]
pub struct Target {
    /// Its id.
    pub oid: Oid,
    /// Its type.
    pub kind: ObjectKind,
    /// Where it is.
    pub place: Place,
}

/// What a whole plan covers: the objects to read, and where each is. For
/// the whole database places are worked out (by a thread of its own, on
/// the first call to [`Plan::prepare_places`]) only when an object needs
/// reporting: a clean history never pays for them.
#[derive(Debug)]
pub struct Plan {
    /// Objects to read, in the order to read them: pack order when
    /// everything is read (neighbours share delta bases), else by id.
    pub entries: Vec<Entry>,
    /// Objects in the database (every type), for the summary.
    pub objects: u64,
    places: Places,
}

/// Where objects are: known, or to be worked out.
#[derive(Debug, Default)]
struct Places {
    ready: OnceLock<Placer>,
    /// The repository and its commits, until the work starts.
    source: Mutex<Option<(Repo, Vec<Oid>)>>,
    pending: Mutex<Option<JoinHandle<Result<Placer, GitError>>>>,
    error: Mutex<Option<GitError>>,
}

/// Answers where an object is.
#[derive(Debug)]
enum Placer {
    /// Every place worked out beforehand (a narrowed scope, the index).
    Known(HashMap<Oid, Place>),
    /// The whole database: reachability, origins, tag refs, the index.
    Full {
        /// Reachable commits and tags.
        reachable: HashSet<Oid>,
        origins: Origins,
        tag_refs: HashMap<Oid, Vec<u8>>,
        index: HashMap<Oid, Vec<u8>>,
    },
}

impl Placer {
    fn place(&self, entry: &Entry) -> Place {
        match self {
            Placer::Known(map) => map.get(&entry.oid).cloned().unwrap_or(Place::Unreachable),
            Placer::Full {
                reachable,
                origins,
                tag_refs,
                index,
            } => match entry.kind {
                ObjectKind::Blob => blob_place(&entry.oid, origins, index),
                ObjectKind::Commit | ObjectKind::Tag => Place::Own {
                    tag_ref: tag_refs.get(&entry.oid).cloned(),
                    reachable: reachable.contains(&entry.oid),
                },
            },
        }
    }
}

impl Plan {
    /// A plan whose places are all known: `targets` in `order`.
    pub fn known(targets: HashMap<Oid, Target>, mut order: Vec<Oid>, objects: u64) -> Plan {
        order.retain(|o| targets.contains_key(o));
        let entries = order
            .iter()
            .map(|o| Entry {
                oid: o.clone(),
                kind: targets[o].kind,
                size: 0,
            })
            .collect();
        let map = targets.into_iter().map(|(o, t)| (o, t.place)).collect();
        Plan {
            entries,
            objects,
            places: Places {
                ready: OnceLock::from(Placer::Known(map)),
                ..Places::default()
            },
        }
    }

    /// Starts working out where objects are, if not started yet (returns
    /// at once: a thread runs the git commands).
    pub fn prepare_places(&self) {
        if let Some((repo, commits)) = lock(&self.places.source).take() {
            let handle = std::thread::spawn(move || full_places(&repo, &commits));
            *lock(&self.places.pending) = Some(handle);
        }
    }

    fn placer(&self) -> &Placer {
        self.prepare_places();
        self.places.ready.get_or_init(|| {
            let pending = lock(&self.places.pending).take();
            let joined = pending.map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(GitError::Io(std::io::Error::other("places thread"))))
            });
            match joined {
                Some(Ok(placer)) => placer,
                Some(Err(e)) => {
                    *lock(&self.places.error) = Some(e);
                    Placer::Known(HashMap::new())
                }
                None => Placer::Known(HashMap::new()),
            }
        })
    }

    /// The object with its place (waits for the places to be worked out).
    pub fn target(&self, entry: &Entry) -> Target {
        Target {
            oid: entry.oid.clone(),
            kind: entry.kind,
            place: self.placer().place(entry),
        }
    }

    /// Waits for the places; the error if working them out failed.
    pub fn places_done(&self) -> Result<(), GitError> {
        self.placer();
        match lock(&self.places.error).take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Every blob, commit and tag in `scope`. For the whole database the
/// objects are listed at once; where they are waits for
/// [`Plan::prepare_places`].
pub fn plan(repo: &Repo, scope: &Scope) -> Result<Plan, GitError> {
    if scope.is_full() {
        let all = inventory(repo)?;
        let objects = all.len() as u64;
        let entries: Vec<Entry> = all
            .into_iter()
            .filter_map(|(oid, kind, size)| {
                Some(Entry {
                    oid,
                    kind: kind?,
                    size,
                })
            })
            .collect();
        let commits: Vec<Oid> = entries
            .iter()
            .filter(|e| e.kind == ObjectKind::Commit)
            .map(|e| e.oid.clone())
            .collect();
        return Ok(Plan {
            entries,
            objects,
            places: Places {
                source: Mutex::new(Some((repo.clone(), commits))),
                ..Places::default()
            },
        });
    }
    let origins = origins(repo, scope, &[], None)?;
    let mut targets = HashMap::new();
    for oid in origins.blobs.keys() {
        targets.insert(
            oid.clone(),
            Target {
                oid: oid.clone(),
                kind: ObjectKind::Blob,
                place: blob_place(oid, &origins, &HashMap::new()),
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
    let mut order: Vec<Oid> = targets.keys().cloned().collect();
    order.sort();
    let objects = targets.len() as u64;
    Ok(Plan::known(targets, order, objects))
}

/// Where every object of the database is: what refs and reflogs reach,
/// which commits put each blob at a path, which ref names each tag.
fn full_places(repo: &Repo, commits: &[Oid]) -> Result<Placer, GitError> {
    let commits: Vec<&Oid> = commits.iter().collect();
    let reachable = reachable(repo)?;
    Ok(Placer::Full {
        origins: origins(repo, &Scope::default(), &commits, Some(&reachable))?,
        reachable,
        tag_refs: tag_refs(repo)?,
        index: index_blobs(repo)?,
    })
}

fn blob_place(oid: &Oid, origins: &Origins, index: &HashMap<Oid, Vec<u8>>) -> Place {
    match origins.blobs.get(oid) {
        Some(o) => Place::InCommits {
            commit: o.commit.clone(),
            path: o.path.clone(),
            commits: o.commits,
            reachable: o.reachable,
        },
        None => match index.get(oid) {
            Some(path) => Place::Index(path.clone()),
            None => Place::Unreachable,
        },
    }
}

/// Every object id in the database with its type (`None` for trees) and
/// size, in pack order.
fn inventory(repo: &Repo) -> Result<Vec<(Oid, Option<ObjectKind>, u64)>, GitError> {
    let out = repo.output([
        "cat-file",
        "--batch-all-objects",
        "--unordered",
        "--batch-check=%(objectname) %(objecttype) %(objectsize)",
    ])?;
    Ok(out
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            let mut words = std::str::from_utf8(line).ok()?.split(' ');
            let (oid, kind, size) = (words.next()?, words.next()?, words.next()?);
            Some((oid.to_string(), ObjectKind::parse(kind), size.parse().ok()?))
        })
        .collect())
}

/// Ids of the commits and tags any ref or reflog entry reaches (and of
/// an object a ref names directly). Trees are not walked: a blob is
/// reachable when a reachable commit puts it in place (`origins`), since
/// every blob of a commit's tree was put there by it or an ancestor
/// (`log -m` diffs a merge against each parent, a root against nothing).
fn reachable(repo: &Repo) -> Result<HashSet<Oid>, GitError> {
    let out = repo.output([
        "rev-list",
        "--objects",
        "--all",
        "--reflog",
        "--filter=tree:0",
    ])?;
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
    /// Waits for the places.
    pub fn exclude(&mut self, excludes: &globset::GlobSet) {
        if excludes.is_empty() {
            return;
        }
        let placer = self.placer();
        let keep: Vec<bool> = self
            .entries
            .iter()
            .map(|e| {
                let place = placer.place(e);
                let path = match &place {
                    Place::InCommits { path, .. } | Place::Index(path) => path,
                    Place::Own { .. } | Place::Unreachable => return true,
                };
                let path = std::path::Path::new(
                    <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(path),
                );
                !(excludes.is_match(path) || path.file_name().is_some_and(|n| excludes.is_match(n)))
            })
            .collect();
        let mut keep = keep.into_iter();
        self.entries.retain(|_| keep.next().unwrap_or(true));
    }
}
