//! A directory held by descriptor ([`Dir`]) and the temp files made in
//! it ([`TempFile`]): every name is looked up in the directory, never
//! through a path, which is what makes [the parent module](super)'s
//! guarantee hold once a file is located.

use super::LocateError;
use crate::source::cleanup::{create_temp_at, unlink_at, TempGuard};
use crate::source::open::OpenError;
use std::ffi::{CString, OsStr, OsString};
use std::fs::{File, Metadata};
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

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
    pub(super) fn open(path: &Path) -> io::Result<Dir> {
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
    pub(super) fn child_dir(&self, name: &OsStr) -> Result<Dir, LocateError> {
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
    use super::super::tests::tree;
    use super::super::{locate, Roots};
    use std::io::Write;

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
