//! Where each object of a plan is — which commits put a blob at which path
//! (first seen, how many), whether a ref or reflog entry reaches it, which
//! tag ref names a tag — worked out once: given beforehand (a narrowed
//! scope, the index), or for the whole database by a thread started when
//! the first object needs it ([`Places::start`]), so that the history walk
//! runs while objects are read, and not at all for a clean history.

use super::objects::{Entry, ObjectKind, Oid, Place, Scope};
use super::origins::{origins, Origins};
use super::{GitError, Repo};
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

/// Where objects are: known, or to be worked out (once).
#[derive(Debug, Default)]
pub(super) struct Places {
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

impl Places {
    /// Places known beforehand.
    pub(super) fn known(map: HashMap<Oid, Place>) -> Places {
        Places {
            ready: OnceLock::from(Placer::Known(map)),
            ..Places::default()
        }
    }

    /// The places of the whole database of `repo`, whose commits are
    /// `commits`, to work out when first needed.
    pub(super) fn later(repo: Repo, commits: Vec<Oid>) -> Places {
        Places {
            source: Mutex::new(Some((repo, commits))),
            ..Places::default()
        }
    }

    /// Starts working them out, if not started yet (returns at once: a
    /// thread runs the git commands).
    pub(super) fn start(&self) {
        if let Some((repo, commits)) = lock(&self.source).take() {
            let handle = std::thread::spawn(move || full_places(&repo, &commits));
            *lock(&self.pending) = Some(handle);
        }
    }

    /// Where `entry` is (waits for the work).
    pub(super) fn place(&self, entry: &Entry) -> Place {
        self.placer().place(entry)
    }

    /// Waits for the work; its error, if it failed (then every object
    /// would be placed as unreachable).
    pub(super) fn done(&self) -> Result<(), GitError> {
        self.placer();
        match lock(&self.error).take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn placer(&self) -> &Placer {
        self.start();
        self.ready.get_or_init(|| {
            let pending = lock(&self.pending).take();
            let joined = pending.map(|h| h.join().unwrap_or_else(|_| Err(thread_died())));
            match joined {
                Some(Ok(placer)) => placer,
                Some(Err(e)) => {
                    *lock(&self.error) = Some(e);
                    Placer::Known(HashMap::new())
                }
                None => Placer::Known(HashMap::new()),
            }
        })
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Commits per `git log` below which one process walks them all.
const LOG_SHARE: usize = 2000;

/// Where every object of the database is: what refs and reflogs reach,
/// which commits put each blob at a path, which ref names each tag. The
/// git commands run at once (`git log` over every commit is the long one,
/// so the commits are shared out between a few, one per core up to 4);
/// which blobs are reachable is settled once all have ended.
fn full_places(repo: &Repo, commits: &[Oid]) -> Result<Placer, GitError> {
    let commits: Vec<&Oid> = commits.iter().collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let logs = cores.clamp(1, 4).min(commits.len() / LOG_SHARE + 1);
    std::thread::scope(|s| {
        let reach = s.spawn(|| reachable(repo));
        let tags = s.spawn(|| tag_refs(repo));
        let index = s.spawn(|| index_blobs(repo));
        let shares: Vec<_> = commits
            .chunks(commits.len().div_ceil(logs).max(1))
            .map(|share| s.spawn(move || origins(repo, &Scope::default(), share)))
            .collect();
        let mut all = Origins::default();
        for share in shares {
            all.merge(share.join().unwrap_or_else(|_| Err(thread_died()))?);
        }
        let reachable = reach.join().unwrap_or_else(|_| Err(thread_died()))?;
        let mut origins = all;
        origins.mark_reachable(&reachable);
        Ok(Placer::Full {
            origins,
            reachable,
            tag_refs: tags.join().unwrap_or_else(|_| Err(thread_died()))?,
            index: index.join().unwrap_or_else(|_| Err(thread_died()))?,
        })
    })
}

fn thread_died() -> GitError {
    GitError::Io(std::io::Error::other("places thread"))
}

pub(super) fn blob_place(oid: &Oid, origins: &Origins, index: &HashMap<Oid, Vec<u8>>) -> Place {
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
