//! What a plan covers. For the whole database git lists every object id
//! (loose, packed, borrowed through alternates) on a thread of its own
//! while the packs are read — ids only, which git answers from its
//! indexes without opening an object; types and sizes are asked only of
//! what the packs did not hold ([`typed`]), or of the whole database once
//! when a caller needs every object typed (`--exclude`, placing through
//! `git log`).

use super::objects::{Entry, ObjectKind, Oid};
use super::{wait_ok, Fed, GitError, Repo};
use std::io::Read;
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

/// The thread listing every object id.
type Lister = JoinHandle<Result<Vec<Oid>, GitError>>;

/// The objects of a plan: known, or being listed.
#[derive(Debug, Default)]
pub(super) struct Listing {
    /// Every object id (every type).
    ids: OnceLock<Result<Vec<Oid>, String>>,
    pending: Mutex<Option<Lister>>,
    /// The objects to read (blobs, commits, tags), typed.
    entries: OnceLock<Result<Vec<Entry>, String>>,
    /// The repository whose database is listed (none: known beforehand).
    repo: Option<Repo>,
    /// Objects counted beforehand, for the summary.
    objects: Option<u64>,
}

impl Listing {
    /// A list known beforehand: `entries` to read, out of `objects`.
    pub(super) fn known(entries: Vec<Entry>, objects: u64) -> Listing {
        Listing {
            ids: OnceLock::from(Ok(entries.iter().map(|e| e.oid.clone()).collect())),
            entries: OnceLock::from(Ok(entries)),
            objects: Some(objects),
            ..Listing::default()
        }
    }

    /// Starts listing every object id of `repo` (returns at once).
    pub(super) fn start(repo: Repo) -> Listing {
        let lister = repo.clone();
        let handle = std::thread::spawn(move || {
            let out = lister.output([
                "cat-file",
                "--batch-all-objects",
                "--unordered",
                "--batch-check=%(objectname)",
            ])?;
            Ok(String::from_utf8_lossy(&out)
                .lines()
                .map(str::to_string)
                .collect())
        });
        Listing {
            pending: Mutex::new(Some(handle)),
            repo: Some(repo),
            ..Listing::default()
        }
    }

    /// Every object id (waits for the list); an error is told again to a
    /// later caller.
    pub(super) fn ids(&self) -> Result<&[Oid], GitError> {
        let ids = self.ids.get_or_init(|| {
            let pending = self
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
            let joined = pending.map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("listing thread").into()))
            });
            match joined {
                Some(ids) => ids.map_err(|e| e.to_string()),
                None => Err("no listing".into()),
            }
        });
        ids.as_deref().map_err(|why| again(why))
    }

    /// How many objects the database holds, for the summary.
    pub(super) fn objects(&self) -> Result<u64, GitError> {
        match self.objects {
            Some(n) => Ok(n),
            None => Ok(self.ids()?.len() as u64),
        }
    }

    /// The objects to read, typed: for the whole database one more pass
    /// of git over every object, in pack order.
    pub(super) fn entries(&self) -> Result<&[Entry], GitError> {
        let entries = self.entries.get_or_init(|| {
            let Some(repo) = &self.repo else {
                return Ok(Vec::new());
            };
            let out = repo.output([
                "cat-file",
                "--batch-all-objects",
                "--unordered",
                "--batch-check=%(objectname) %(objecttype) %(objectsize)",
            ]);
            out.map(|out| parse_typed(&out).0)
                .map_err(|e| e.to_string())
        });
        entries.as_deref().map_err(|why| again(why))
    }

    /// Every commit.
    pub(super) fn commits(&self) -> Result<Vec<Oid>, GitError> {
        Ok(self
            .entries()?
            .iter()
            .filter(|e| e.kind == ObjectKind::Commit)
            .map(|e| e.oid.clone())
            .collect())
    }
}

/// A listing error told again.
fn again(why: &str) -> GitError {
    GitError::Failed("cat-file".into(), why.to_string())
}

/// The blobs, commits and tags among `ids`, typed and sized by git, and
/// how many trees the others were.
pub(super) fn typed(repo: &Repo, ids: &[&Oid]) -> Result<(Vec<Entry>, usize), GitError> {
    if ids.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let list: Vec<u8> = ids
        .iter()
        .flat_map(|o| [o.as_bytes(), b"\n"].concat())
        .collect();
    let Fed {
        cmd,
        mut child,
        feeder,
    } = repo.spawn_fed(
        [
            "cat-file",
            "--batch-check=%(objectname) %(objecttype) %(objectsize)",
        ],
        list,
    )?;
    let mut out = Vec::new();
    child.stdout.take().expect("piped").read_to_end(&mut out)?;
    let _ = feeder.join();
    wait_ok(&cmd, child)?;
    Ok(parse_typed(&out))
}

/// `<id> <type> <size>` lines → the entries to read (trees and missing
/// objects left out), and how many trees there were.
fn parse_typed(out: &[u8]) -> (Vec<Entry>, usize) {
    let mut trees = 0;
    let entries = out
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            let mut words = std::str::from_utf8(line).ok()?.split(' ');
            let (oid, kind, size) = (words.next()?, words.next()?, words.next()?);
            trees += usize::from(kind == "tree");
            Some(Entry {
                oid: oid.to_string(),
                kind: ObjectKind::parse(kind)?,
                size: size.parse().ok()?,
            })
        })
        .collect();
    (entries, trees)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_lines_keep_blobs_commits_and_tags() {
        let out = b"a1 blob 12\nb2 tree 40\nc3 commit 200\nd4 missing\ne5 tag 90\n";
        let (entries, trees) = parse_typed(out);
        assert_eq!(trees, 1);
        let kinds: Vec<(String, ObjectKind, u64)> = entries
            .into_iter()
            .map(|e| (e.oid, e.kind, e.size))
            .collect();
        assert_eq!(
            kinds,
            [
                ("a1".into(), ObjectKind::Blob, 12),
                ("c3".into(), ObjectKind::Commit, 200),
                ("e5".into(), ObjectKind::Tag, 90),
            ]
        );
    }
}
