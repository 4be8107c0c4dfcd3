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

use crate::source::cleanup::{create_temp_at, unlink_at, TempGuard};
use crate::source::open::OpenError;
use std::ffi::{CString, OsStr, OsString};
use std::fs::{File, Metadata};
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
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
#[derive(Debug)]
pub enum LocateError {
    /// With `--follow`: the path resolves to somewhere outside every root.
    Outside,
    /// A directory between the root and the file is now a symbolic link or
    /// not a directory (swapped after the walk).
    LinkOnTheWay,
    /// The system refused.
    Io(io::Error),
}

impl std::fmt::Display for LocateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LocateError::Outside => f.write_str("leads outside the given paths"),
            LocateError::LinkOnTheWay => f.write_str(
                "a directory on its path is now a symbolic link or not a directory \
                 (changed after the walk?)",
            ),
            LocateError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LocateError {}

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

fn c_name(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in a file name"))
}

fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// A directory held open by descriptor; names are looked up in it, never
/// through a path.
#[derive(Debug)]
pub struct Dir(OwnedFd);

impl Dir {
    /// Opens the directory at `path` (following links: this is the trusted
    /// part, as the user wrote it).
    fn open(path: &Path) -> io::Result<Dir> {
        let c = c_name(path.as_os_str())?;
        let fd = cvt(unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        })?;
        Ok(Dir(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Opens the subdirectory `name`, refusing a symbolic link.
    fn child_dir(&self, name: &OsStr) -> Result<Dir, LocateError> {
        match self.open_at(
            name,
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
            0,
        ) {
            Ok(fd) => Ok(Dir(fd)),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ELOOP | libc::ENOTDIR)) => {
                Err(LocateError::LinkOnTheWay)
            }
            Err(e) => Err(LocateError::Io(e)),
        }
    }

    fn open_at(&self, name: &OsStr, flags: libc::c_int, mode: libc::mode_t) -> io::Result<OwnedFd> {
        let c = c_name(name)?;
        let fd = cvt(unsafe {
            libc::openat(
                self.0.as_raw_fd(),
                c.as_ptr(),
                flags | libc::O_CLOEXEC | libc::O_NOCTTY,
                libc::c_uint::from(mode),
            )
        })?;
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// Opens the regular file `name` in this directory without following a
    /// link or blocking on a FIFO (read-only, or read-write with `write`),
    /// and checks its type on the descriptor.
    pub fn open_file(&self, name: &OsStr, write: bool) -> Result<(File, Metadata), OpenError> {
        let access = if write { libc::O_RDWR } else { libc::O_RDONLY };
        match self.open_at(name, access | libc::O_NOFOLLOW | libc::O_NONBLOCK, 0) {
            Ok(fd) => crate::source::open::regular(File::from(fd)),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                Err(OpenError::NotRegular("symbolic link"))
            }
            Err(e) => Err(OpenError::Io(e)),
        }
    }

    /// Opens `name` for appending (not following a link).
    pub fn open_append(&self, name: &OsStr) -> io::Result<File> {
        self.open_at(
            name,
            libc::O_WRONLY | libc::O_APPEND | libc::O_NOFOLLOW | libc::O_NONBLOCK,
            0,
        )
        .map(File::from)
    }

    /// `(device, inode)` of the entry `name`, not following a link.
    pub fn identity_of(&self, name: &OsStr) -> io::Result<(u64, u64)> {
        let c = c_name(name)?;
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        cvt(unsafe {
            libc::fstatat(
                self.0.as_raw_fd(),
                c.as_ptr(),
                st.as_mut_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            )
        })?;
        let st = unsafe { st.assume_init() };
        #[allow(clippy::unnecessary_cast)] // the field types differ between targets
        Ok((st.st_dev as u64, st.st_ino as u64))
    }

    /// Creates a new temp file `.cfscrub-*.tmp` here, mode 0600, exclusively
    /// (never through an existing name or link), registered for removal on
    /// SIGINT/SIGTERM/SIGHUP.
    pub fn create_temp(&self) -> io::Result<TempFile<'_>> {
        let mut rng = fastrand::Rng::new();
        for _ in 0..16 {
            let name: String = (0..12).map(|_| rng.alphanumeric()).collect();
            let name = OsString::from(format!(".cfscrub-{name}.tmp"));
            let flags = libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW;
            // Created and registered in one step: a signal never finds an
            // unregistered temp file.
            match create_temp_at(self.as_fd(), || {
                self.open_at(&name, flags, 0o600).map(|fd| (fd, name))
            }) {
                Ok((guard, fd, name)) => {
                    return Ok(TempFile {
                        dir: self,
                        file: File::from(fd),
                        guard: Some(guard),
                        name,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "no free temp file name",
        ))
    }

    /// Renames `from` to `to`, both in this directory (`renameat`).
    pub fn rename(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
        let (f, t) = (c_name(from)?, c_name(to)?);
        let fd = self.0.as_raw_fd();
        cvt(unsafe { libc::renameat(fd, f.as_ptr(), fd, t.as_ptr()) }).map(drop)
    }

    /// Removes the entry `name` (`unlinkat`).
    pub fn unlink(&self, name: &OsStr) -> io::Result<()> {
        unlink_at(self.as_fd(), name)
    }

    /// Makes the directory's entries durable (`fsync` on its descriptor).
    pub fn sync(&self) -> io::Result<()> {
        cvt(unsafe { libc::fsync(self.0.as_raw_fd()) }).map(drop)
    }
}

impl AsFd for Dir {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

/// A temp file in a [`Dir`]: removed on drop unless renamed into place.
pub struct TempFile<'d> {
    dir: &'d Dir,
    name: OsString,
    file: File,
    guard: Option<TempGuard>,
}

impl TempFile<'_> {
    /// The open file.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Renames it to `to` in the same directory; it is then no longer removed.
    pub fn persist(mut self, to: &OsStr) -> io::Result<()> {
        self.dir.rename(&self.name, to)?;
        self.guard = None;
        Ok(())
    }
}

impl Drop for TempFile<'_> {
    fn drop(&mut self) {
        if let Some(guard) = self.guard.take() {
            let _ = self.dir.unlink(&self.name);
            drop(guard);
        }
    }
}

impl Write for TempFile<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&self.file).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> (tempfile::TempDir, PathBuf) {
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

    #[test]
    fn temp_files_are_exclusive_0600_and_removed_unless_persisted() {
        use std::os::unix::fs::MetadataExt;
        let (_dir, root) = tree();
        let roots = Roots::new(std::slice::from_ref(&root));
        let at = locate(&root.join("z/app.conf"), &roots, false).unwrap();
        let mut temp = at.dir.create_temp().unwrap();
        temp.write_all(b"new").unwrap();
        assert_eq!(temp.file().metadata().unwrap().mode() & 0o7777, 0o600);
        drop(temp);
        assert_eq!(std::fs::read_dir(root.join("z")).unwrap().count(), 1);
        let mut temp = at.dir.create_temp().unwrap();
        temp.write_all(b"new").unwrap();
        temp.persist(&at.name).unwrap();
        assert_eq!(std::fs::read(root.join("z/app.conf")).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(root.join("z")).unwrap().count(), 1);
    }
}
