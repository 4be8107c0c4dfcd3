//! Where each object of a plan is — which commits put a blob at which path
//! (first seen, how many), whether a ref or reflog entry reaches it, which
//! tag ref names a tag — worked out once: given beforehand (a narrowed
//! scope, the index), or for the whole database once the first finding
//! asks ([`Places::start`]): a thread asks git what refs and reflogs reach
//! while objects are still read, and after the reading the history is
//! compared from the commits and trees it kept ([`Graph`]) — or, when
//! that cannot answer as git would, walked by `git log`. A clean history
//! pays for neither.

use super::graph::Graph;
use super::listing::Listing;
use super::objects::{Entry, ObjectKind, Oid, Place, Scope};
use super::origins::{origins, Origins};
use super::{GitError, Repo};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

/// Where objects are: known, or to be worked out (once).
#[derive(Debug, Default)]
pub(super) struct Places {
    ready: OnceLock<Placer>,
    /// The repository and its object list, for the whole database.
    source: Option<(Repo, Arc<Listing>)>,
    /// The commits and trees the reading keeps.
    graph: Arc<Graph>,
    started: Mutex<bool>,
    pending: Mutex<Option<JoinHandle<Result<Refs, GitError>>>>,
    error: Mutex<Option<GitError>>,
}

/// What refs, reflogs and the index say.
#[derive(Debug)]
struct Refs {
    /// Reachable commits and tags.
    reachable: HashSet<Oid>,
    tag_refs: HashMap<Oid, Vec<u8>>,
    index: HashMap<Oid, Vec<u8>>,
}

/// Answers where an object is.
#[derive(Debug)]
enum Placer {
    /// Every place worked out beforehand (a narrowed scope, the index).
    Known(HashMap<Oid, Place>),
    /// The whole database: reachability, origins, tag refs, the index.
    Full { refs: Refs, origins: Origins },
}

impl Placer {
    fn place(&self, entry: &Entry) -> Place {
        match self {
            Placer::Known(map) => map.get(&entry.oid).cloned().unwrap_or(Place::Unreachable),
            Placer::Full { refs, origins } => match entry.kind {
                ObjectKind::Blob => blob_place(&entry.oid, origins, &refs.index),
                ObjectKind::Commit | ObjectKind::Tag => Place::Own {
                    tag_ref: refs.tag_refs.get(&entry.oid).cloned(),
                    reachable: refs.reachable.contains(&entry.oid),
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

    /// The places of the whole database of `repo`, whose objects are
    /// `listing`, to work out when first needed.
    pub(super) fn later(repo: Repo, listing: Arc<Listing>) -> Places {
        Places {
            source: Some((repo, listing)),
            ..Places::default()
        }
    }

    /// Where the reading keeps commits and trees for placing.
    pub(super) fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Starts asking git about refs, if not started yet (returns at once:
    /// a thread runs the git commands).
    pub(super) fn start(&self) {
        let mut started = lock(&self.started);
        if let (false, Some((repo, _))) = (*started, &self.source) {
            let repo = repo.clone();
            *lock(&self.pending) = Some(std::thread::spawn(move || refs(&repo)));
            *started = true;
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
            let Some((repo, listing)) = &self.source else {
                return Placer::Known(HashMap::new());
            };
            let pending = lock(&self.pending).take();
            let refs = pending.map(|h| h.join().unwrap_or_else(|_| Err(thread_died())));
            let placed = refs.unwrap_or_else(|| Err(thread_died())).and_then(|refs| {
                let mut origins = self.origins(repo, listing)?;
                origins.mark_reachable(&refs.reachable);
                Ok(Placer::Full { refs, origins })
            });
            placed.unwrap_or_else(|e| {
                *lock(&self.error) = Some(e);
                Placer::Known(HashMap::new())
            })
        })
    }

    /// Where every blob came from: from the commits and trees the reading
    /// kept when it read the whole database within their budget, else
    /// from `git log` (and the graph is given up: nothing more is kept).
    fn origins(&self, repo: &Repo, listing: &Listing) -> Result<Origins, GitError> {
        let placed = match self.graph.is_usable() {
            true => self.graph.origins(repo, &self.graph.commits()),
            false => None,
        };
        // Done with the graph either way: its memory goes.
        self.graph.give_up();
        match placed {
            Some(origins) => Ok(origins),
            None => logged_origins(repo, &listing.commits()?),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Commits per `git log` below which one process walks them all.
const LOG_SHARE: usize = 2000;

/// Where every blob came from, by `git log --raw -m` over every commit:
/// the commits are shared out between a few processes, one per core up
/// to 4.
fn logged_origins(repo: &Repo, commits: &[Oid]) -> Result<Origins, GitError> {
    let commits: Vec<&Oid> = commits.iter().collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let logs = cores.clamp(1, 4).min(commits.len() / LOG_SHARE + 1);
    std::thread::scope(|s| {
        let shares: Vec<_> = commits
            .chunks(commits.len().div_ceil(logs).max(1))
            .map(|share| s.spawn(move || origins(repo, &Scope::default(), share)))
            .collect();
        let mut all = Origins::default();
        for share in shares {
            all.merge(share.join().unwrap_or_else(|_| Err(thread_died()))?);
        }
        Ok(all)
    })
}

/// What refs, reflogs and the index of `repo` say, the three git
/// commands run at once.
fn refs(repo: &Repo) -> Result<Refs, GitError> {
    std::thread::scope(|s| {
        let tags = s.spawn(|| tag_refs(repo));
        let index = s.spawn(|| index_blobs(repo));
        let reachable = reachable(repo)?;
        Ok(Refs {
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
