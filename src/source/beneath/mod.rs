//! Reaching a file beneath the tree it was found in through directory
//! descriptors, so that a rewrite never touches anything outside that tree.
//!
//! A path checked by the walk and used later is a race: anyone who can write
//! inside the tree can replace a directory on the way with a symbolic link
//! to anywhere, and `O_NOFOLLOW` guards only the last component. Here the
//! root the user named is opened once, every directory below it is opened
//! from the one above with `openat(O_DIRECTORY | O_NOFOLLOW)`, and the file,
//! its temp file, the rename, the unlink and the directory fsync all go
//! through the descriptor of the directory that holds the file ([`Dir`]). A
//! directory on the way that became a symbolic link (or anything but a
//! directory) is refused with [`LocateError::LinkOnTheWay`].
//!
//! With `--follow` the path is resolved first (`realpath`) and must lie under
//! a resolved root ([`LocateError::Outside`] otherwise); the resolved path is
//! then opened beneath that root the same way, so a file reached through a
//! link is rewritten in its own directory and the link stays a link.
//!
//! A path under none of the [`Roots`] (a history file outside the home, a
//! library caller passing no roots) is opened from its parent directory as
//! written; everything after that still goes through that one descriptor.

use crate::source::open::OpenError;

mod dir;
pub use dir::{Dir, TempFile};
use std::ffi::OsString;
use std::fs::{File, Metadata};
use std::io;
use std::path::{Component, Path, PathBuf};

/// The trees a command was given: where each path was found from.
#[derive(Debug, Clone, Default)]
pub struct Roots(Vec<Root>);

#[derive(Debug, Clone)]
struct Root {
    /// As typed: walked paths start with it.
    given: PathBuf,
    /// Resolved (`realpath`): `--follow` targets must start with it.
    canonical: PathBuf,
}

impl Roots {
    /// The roots among `paths` that exist (`-`, standard input, is left out).
    pub fn new(paths: &[PathBuf]) -> Roots {
        Roots(
            paths
                .iter()
                .filter(|p| p.as_os_str() != "-")
                .filter_map(|p| {
                    let canonical = std::fs::canonicalize(p).ok()?;
                    Some(Root {
                        given: p.clone(),
                        canonical,
                    })
                })
                .collect(),
        )
    }

    /// Whether `path`, resolved, lies under a resolved root (the `--follow`
    /// rule: a link may lead anywhere inside the given paths, nowhere else).
    pub fn contains(&self, path: &Path) -> bool {
        std::fs::canonicalize(path).is_ok_and(|target| self.canonical_root_of(&target).is_some())
    }

    /// The shortest given root `path` starts with: the fewest components
    /// taken on trust.
    fn given_root_of(&self, path: &Path) -> Option<&Path> {
        self.0
            .iter()
            .map(|r| r.given.as_path())
            .filter(|r| path.starts_with(r))
            .min_by_key(|r| r.components().count())
    }

    fn canonical_root_of(&self, target: &Path) -> Option<&Path> {
        self.0
            .iter()
            .map(|r| r.canonical.as_path())
            .filter(|r| target.starts_with(r))
            .min_by_key(|r| r.components().count())
    }
}

/// Why a path could not be reached beneath its root.
#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    /// With `--follow`: the path resolves to somewhere outside every root.
    #[error("leads outside the given paths")]
    Outside,
    /// A directory between the root and the file is now a symbolic link or
    /// not a directory (swapped after the walk).
    #[error(
        "a directory on its path is now a symbolic link or not a directory \
         (changed after the walk?)"
    )]
    LinkOnTheWay,
    /// The system refused.
    #[error("{0}")]
    Io(io::Error),
}

impl From<LocateError> for OpenError {
    fn from(e: LocateError) -> OpenError {
        match e {
            LocateError::Io(e) => OpenError::Io(e),
            other => OpenError::Io(io::Error::other(other.to_string())),
        }
    }
}

/// A file's directory held open, and the file's name in it.
#[derive(Debug)]
pub struct Located {
    /// The directory that holds the file.
    pub dir: Dir,
    /// The file's name in it (one component).
    pub name: OsString,
}

/// Finds the directory holding `path` beneath its root (see the module
/// docs) and opens it. The file itself is not opened.
pub fn locate(path: &Path, roots: &Roots, follow: bool) -> Result<Located, LocateError> {
    let (base, rel) = if follow {
        let target = std::fs::canonicalize(path).map_err(LocateError::Io)?;
        let root = roots
            .canonical_root_of(&target)
            .ok_or(LocateError::Outside)?;
        split_below(&target, root)
    } else {
        match roots.given_root_of(path) {
            Some(root) => split_below(path, root),
            None => split_below(path, &parent_of(path)),
        }
    };
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(part) => parts.push(part.to_os_string()),
            Component::CurDir => {}
            _ => {
                return Err(LocateError::Io(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the path climbs out of its root",
                )))
            }
        }
    }
    let name = parts.pop().ok_or_else(|| {
        LocateError::Io(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a file name",
        ))
    })?;
    let mut dir = Dir::open(&base).map_err(LocateError::Io)?;
    for part in &parts {
        dir = dir.child_dir(part)?;
    }
    Ok(Located { dir, name })
}

/// Opens `path` read-only beneath its root, as [`locate`] finds it, and
/// checks it is a regular file.
pub fn open_beneath(
    path: &Path,
    roots: &Roots,
    follow: bool,
) -> Result<(File, Metadata), OpenError> {
    let at = locate(path, roots, follow)?;
    at.dir.open_file(&at.name, false)
}

/// `(base, rest)`: the directory to open as written, and the components
/// below it. A path equal to its root (a file given by name) starts from
/// its parent.
fn split_below(path: &Path, root: &Path) -> (PathBuf, PathBuf) {
    match path.strip_prefix(root) {
        Ok(rest) if rest.components().next().is_some() => (root.to_path_buf(), rest.to_path_buf()),
        _ => {
            let name = path.file_name().map(PathBuf::from).unwrap_or_default();
            (parent_of(path), name)
        }
    }
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A temp directory holding `tree/z/app.conf`; the root `tree`.
    pub(super) fn tree() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("tree");
        std::fs::create_dir_all(root.join("z")).unwrap();
        std::fs::write(root.join("z/app.conf"), "x").unwrap();
        (dir, root)
    }

    #[test]
    fn a_directory_swapped_for_a_link_below_the_root_is_refused() {
        let (dir, root) = tree();
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("app.conf"), "y").unwrap();
        let roots = Roots::new(std::slice::from_ref(&root));
        let path = root.join("z/app.conf");
        assert!(locate(&path, &roots, false).is_ok());
        std::fs::rename(root.join("z"), root.join("z.orig")).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("z")).unwrap();
        assert!(matches!(
            locate(&path, &roots, false),
            Err(LocateError::LinkOnTheWay)
        ));
        // --follow resolves the link, and then finds it outside the root.
        assert!(matches!(
            locate(&path, &roots, true),
            Err(LocateError::Outside)
        ));
    }

    #[test]
    fn a_followed_link_is_located_in_its_targets_directory() {
        let (_dir, root) = tree();
        std::os::unix::fs::symlink("z/app.conf", root.join("link")).unwrap();
        let roots = Roots::new(std::slice::from_ref(&root));
        let at = locate(&root.join("link"), &roots, true).unwrap();
        assert_eq!(at.name, "app.conf");
        let (_, meta) = at.dir.open_file(&at.name, false).unwrap();
        use std::os::unix::fs::MetadataExt;
        let real = std::fs::metadata(root.join("z/app.conf")).unwrap();
        assert_eq!(meta.ino(), real.ino());
    }

    #[test]
    fn a_root_given_as_a_file_and_a_path_under_no_root_start_from_the_parent() {
        let (_dir, root) = tree();
        let file = root.join("z/app.conf");
        for roots in [Roots::new(std::slice::from_ref(&file)), Roots::default()] {
            let at = locate(&file, &roots, false).unwrap();
            assert_eq!(at.name, "app.conf");
            assert!(at.dir.open_file(&at.name, false).is_ok());
        }
    }
}
