//! Reading the repository's own packs in process, through `gix-pack`:
//! each pack is traversed once, every object inflated (zlib-rs) and its
//! deltas resolved once, from a tree of bases, on all the pool's threads,
//! and every blob, commit and tag handed to the caller (while git lists
//! the database beside it). This replaces piping the
//! whole database through `git cat-file --batch`, where git's zlib was
//! more than half of a full scan's time (bench/GIT.md).
//!
//! What it covers: the `*.idx`/`*.pack` pairs in the repository's own
//! `objects/pack` (bare, mirror, work tree or linked worktree alike: git
//! tells where). What it leaves to `cat-file` ([`super::read`]): loose
//! objects, objects only in an alternate's packs, SHA-256 repositories,
//! and any pack it cannot open or that fails to decode part-way (its
//! objects not yet handed over are read by git, which reports real
//! damage). Each object is handed over once even when several packs hold it.

use super::graph::{ById, Graph};
use super::objects::{Entry, ObjectKind};
use super::read::Object;
use super::Repo;
use gix_hash::ObjectId;
use gix_pack::index::traverse::{Algorithm, Options, SafetyCheck};
use std::collections::HashSet;
use std::ffi::OsStr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The largest object decoded in process: a bigger one (or a crafted
/// header claiming one) ends the pack's traversal instead of an allocation
/// that aborts the process; git reads what was not handed over.
const ALLOC_LIMIT: usize = 1 << 30;

/// What reading the packs did.
#[derive(Debug)]
pub(super) struct PackRead {
    /// Bytes handed over.
    pub bytes: u64,
    /// The objects read (trees too: git need not type them again).
    pub handed: Handed,
    /// The caller asked to stop.
    pub stopped: bool,
}

/// The objects read from the packs, each claimed once.
#[derive(Debug)]
pub(super) struct Handed(ById<HashSet<ObjectId>>);

impl Handed {
    /// Claims `oid`; false when another pack's copy was claimed first.
    fn claim(&self, oid: ObjectId) -> bool {
        self.0.get(&oid).insert(oid)
    }

    /// Whether the object with id `hex` was read from a pack.
    pub(super) fn contains(&self, hex: &str) -> bool {
        ObjectId::from_hex(hex.as_bytes()).is_ok_and(|oid| self.0.get(&oid).contains(&oid))
    }
}

/// Hands every blob, commit and tag of the repository's packs to `each`
/// (once each), on `threads` threads, and every commit and tree to
/// `graph`; what they do not hold is for `cat-file`.
pub(super) fn read_packs<F>(repo: &Repo, threads: usize, each: &F, graph: &Graph) -> PackRead
where
    F: Fn(Object) -> bool + Sync,
{
    let handed = Handed(ById::new());
    let bytes = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    // SHA-256 repositories are read by git.
    let indexes = match repo.object_format.as_str() {
        "sha1" => pack_indexes(repo),
        _ => Vec::new(),
    };
    for idx in indexes {
        // A pack that cannot be opened is left to git.
        let Ok(bundle) = gix_pack::Bundle::at(&idx, gix_hash::Kind::Sha1) else {
            continue;
        };
        let processor = |kind: gix_object::Kind,
                         data: &[u8],
                         found: &gix_pack::index::Entry,
                         _: &dyn gix_utils::progress::Progress|
         -> gix_error::Result {
            if !handed.claim(found.oid) {
                return Ok(()); // already read from another pack
            }
            graph.add(kind, found.oid, data);
            let kind = match kind {
                gix_object::Kind::Blob => ObjectKind::Blob,
                gix_object::Kind::Commit => ObjectKind::Commit,
                gix_object::Kind::Tag => ObjectKind::Tag,
                gix_object::Kind::Tree => return Ok(()),
            };
            bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
            let entry = Entry {
                oid: found.oid.to_string(),
                kind,
                size: data.len() as u64,
            };
            if each(Object {
                entry: &entry,
                data,
            }) {
                Ok(())
            } else {
                stop.store(true, Ordering::Relaxed);
                Err(gix_error::message("stopped").into())
            }
        };
        // A decoding error ends this pack's traversal; what it did not
        // hand over is read by git, which reports real damage.
        let _ = bundle.index.traverse(
            &bundle.pack,
            &mut gix_utils::progress::Discard,
            &stop,
            processor,
            Options {
                traversal: Algorithm::DeltaTreeLookup,
                thread_limit: Some(threads.max(1)),
                // Speed over re-checking git's own checksums: damage
                // shows as a decoding error, and git re-reads the rest.
                check: SafetyCheck::SkipFileAndObjectChecksumVerification,
                alloc_limit_bytes: Some(ALLOC_LIMIT),
                make_pack_lookup_cache: || gix_pack::cache::Never,
            },
        );
        if stop.load(Ordering::Relaxed) {
            break;
        }
    }
    PackRead {
        bytes: bytes.into_inner(),
        handed,
        stopped: stop.into_inner(),
    }
}

/// The `*.idx` files of the repository's own pack directory (a linked
/// worktree shares its main repository's). None when there is no such
/// directory: then git reads it all.
fn pack_indexes(repo: &Repo) -> Vec<PathBuf> {
    let Ok(listing) = std::fs::read_dir(&repo.pack_dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = listing
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension() == Some(OsStr::new("idx")))
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::git::objects::{plan, ObjectKind, Scope};
    use std::sync::Mutex;

    /// `git` in `dir` with no user configuration; panics on failure.
    fn git(dir: &std::path::Path, args: &[&str]) -> Vec<u8> {
        let out = std::process::Command::new("git")
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .args(["-c", "user.name=T", "-c", "user.email=t@example.test"])
            .args(args)
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}");
        out.stdout
    }

    /// A repository with two commits packed and one loose blob; returns
    /// it and the loose blob's id.
    fn packed_repo() -> (tempfile::TempDir, Repo, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path();
        git(path, &["init", "-q", "."]);
        std::fs::write(path.join("a.txt"), "alpha\n").unwrap();
        git(path, &["add", "a.txt"]);
        git(path, &["commit", "-q", "-m", "one"]);
        std::fs::write(path.join("a.txt"), "alpha\nbeta\n").unwrap();
        git(path, &["commit", "-q", "-am", "two"]);
        git(path, &["repack", "-a", "-d", "-q"]);
        std::fs::write(path.join("loose.txt"), "only loose\n").unwrap();
        let loose = git(path, &["hash-object", "-w", "loose.txt"]);
        let loose = String::from_utf8(loose).unwrap().trim().to_string();
        let repo = Repo::open(path).unwrap();
        (dir, repo, loose)
    }

    #[test]
    fn packed_objects_are_read_in_process_and_loose_ones_left_to_git() {
        let (_dir, repo, loose) = packed_repo();
        let plan = plan(&repo, &Scope::default()).unwrap();
        // Two commits, two versions of a.txt, the loose blob.
        assert_eq!(plan.entries().unwrap().len(), 5);
        let seen = Mutex::new(Vec::new());
        let each = |o: Object| {
            let expected = match o.entry.kind {
                ObjectKind::Commit => o.data.starts_with(b"tree "),
                _ => o.data.starts_with(b"alpha\n"),
            };
            assert!(expected, "{} decoded", o.entry.oid);
            seen.lock().unwrap().push(o.entry.oid.clone());
            true
        };
        let read = read_packs(&repo, 2, &each, plan.graph());
        assert!(!read.stopped);
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen.len(), 4, "each packed object once");
        for entry in plan.entries().unwrap() {
            let done = read.handed.contains(&entry.oid);
            assert_eq!(done, entry.oid != loose, "{}", entry.oid);
            assert_eq!(done, seen.contains(&entry.oid));
        }
    }

    #[test]
    fn a_closed_output_stops_the_traversal() {
        let (_dir, repo, _) = packed_repo();
        let plan = plan(&repo, &Scope::default()).unwrap();
        let calls = AtomicU64::new(0);
        let each = |_: Object| {
            calls.fetch_add(1, Ordering::Relaxed);
            false
        };
        let read = read_packs(&repo, 1, &each, plan.graph());
        assert!(read.stopped);
        assert_eq!(calls.into_inner(), 1, "nothing handed over after a stop");
    }
}
