//! Every object a repository holds that can carry a credential — blobs,
//! commits and annotated tags (their messages) — where each came from, and
//! their contents, read once each.
//!
//! Where from: `cat-file --batch-all-objects --batch-check` lists every
//! object, loose and packed, reachable or not; `rev-list --all --reflog`
//! tells which commits and tags are reachable (branches, tags, remotes,
//! notes, `refs/stash`, `refs/pull/*`, every reflog entry); every commit
//! (dangling ones included) compared with its parents, as `log --raw -m`
//! would (`graph`, from what the reading kept; `origins` parses `git log`
//! for a narrowed scope or a history past the graph's budget), tells, per
//! blob, the commits that put it at a path: the oldest is *first seen*, and
//! how many; a blob is reachable when one of them is. A blob no
//! commit introduces is in the index or unreachable (`git add` then
//! reset). A [`Scope`] with `--branch`/`--since` narrows all this to the
//! commits `git log` selects, their blobs and their messages.
//!
//! Reading the whole database needs only the list (`listing`, made while
//! the packs are read); where objects are is worked out by `places` only
//! when an object needs reporting: what refs and reflogs reach on a thread
//! started then, where blobs came from after the reading, from the commits
//! and trees it kept — a clean history pays for neither.
//! Contents are read by [`super::read`].

use super::graph::Graph;
use super::listing::Listing;
use super::origins::origins;
use super::places::{blob_place, Places};
use super::{GitError, Repo};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

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
/// the whole database the objects are listed by a thread of its own while
/// the packs are read, and places are worked out (where blobs came from
/// once the reading is done) only when an object needs reporting.
#[derive(Debug)]
pub struct Plan {
    listing: Arc<Listing>,
    /// Objects `--exclude` leaves out.
    excluded: HashSet<Oid>,
    /// Whether the plan is the whole database (then the packs are read
    /// whole, in process: [`super::read::read_all`]).
    whole: bool,
    places: Places,
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
            listing: Arc::new(Listing::known(entries, objects)),
            excluded: HashSet::new(),
            whole: false,
            places: Places::known(map),
        }
    }

    /// The objects to read, in the order to read them: pack order for
    /// the whole database (a pass of git over every object, which
    /// reading the whole database does not need: [`Plan::ids`]), else by id.
    pub fn entries(&self) -> Result<&[Entry], GitError> {
        self.listing.entries()
    }

    /// Every object id the plan covers (for the whole database, every
    /// object of every type; waits for git's list).
    pub(super) fn ids(&self) -> Result<&[Oid], GitError> {
        self.listing.ids()
    }

    /// How many objects the database holds (every type), for the summary.
    pub fn objects(&self) -> Result<u64, GitError> {
        self.listing.objects()
    }

    /// True when the plan covers the whole object database.
    pub fn is_whole(&self) -> bool {
        self.whole
    }

    /// Where reading the whole database keeps commits and trees, so that
    /// the places are worked out without walking the history again.
    pub(super) fn graph(&self) -> &Graph {
        self.places.graph()
    }

    /// Starts working out where objects are, if not started yet (returns
    /// at once: a thread runs the git commands).
    pub fn prepare_places(&self) {
        self.places.start();
    }

    /// The object with its place (waits for the places to be worked out).
    pub fn target(&self, entry: &Entry) -> Target {
        Target {
            oid: entry.oid.clone(),
            kind: entry.kind,
            place: self.places.place(entry),
        }
    }

    /// Waits for the places; the error if working them out failed.
    pub fn places_done(&self) -> Result<(), GitError> {
        self.places.done()
    }
}

/// Every blob, commit and tag in `scope`. For the whole database the
/// objects are being listed when this returns; where they are waits for
/// [`Plan::prepare_places`].
pub fn plan(repo: &Repo, scope: &Scope) -> Result<Plan, GitError> {
    if scope.is_full() {
        let listing = Arc::new(Listing::start(repo.clone()));
        let places = Places::later(repo.clone(), listing.clone());
        return Ok(Plan {
            listing,
            excluded: HashSet::new(),
            whole: true,
            places,
        });
    }
    let origins = origins(repo, scope, &[])?;
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

impl Plan {
    /// Leaves out the blobs whose path (the whole path or its file name)
    /// matches `excludes`; messages and unreachable blobs have no path.
    /// Waits for the listing and the places.
    pub fn exclude(&mut self, excludes: &globset::GlobSet) -> Result<(), GitError> {
        if excludes.is_empty() {
            return Ok(());
        }
        let excluded = self
            .entries()?
            .iter()
            .filter(|e| {
                let place = self.places.place(e);
                let path = match &place {
                    Place::InCommits { path, .. } | Place::Index(path) => path,
                    Place::Own { .. } | Place::Unreachable => return false,
                };
                let path = std::path::Path::new(
                    <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(path),
                );
                excludes.is_match(path) || path.file_name().is_some_and(|n| excludes.is_match(n))
            })
            .map(|e| e.oid.clone())
            .collect();
        self.excluded = excluded;
        Ok(())
    }

    /// True when `--exclude` left the object out.
    pub fn is_excluded(&self, oid: &str) -> bool {
        !self.excluded.is_empty() && self.excluded.contains(oid)
    }
}
