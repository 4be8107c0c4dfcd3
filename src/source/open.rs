//! Opening a file for reading without being tricked: no final symbolic
//! link followed unless asked, no blocking on a FIFO, the type checked on
//! the open descriptor (so a path swapped for a link or a FIFO after the
//! walk is still refused). That guards the last component only: what a
//! rewrite opens is reached from its root through
//! [`crate::source::beneath`].

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Why a path could not be opened for reading; its text (`is a FIFO`, or
/// the system's words) is written here and nowhere else.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// It is not a regular file (anymore): skip with a note.
    #[error("is a {0}")]
    NotRegular(&'static str),
    /// The system refused.
    #[error(transparent)]
    Io(io::Error),
}

/// Opens `path` read-only as a regular file, without following a final
/// symbolic link unless `follow`, without blocking on a FIFO, and checks
/// the type on the open descriptor.
pub fn open_regular(path: &Path, follow: bool) -> Result<(File, Metadata), OpenError> {
    open_with(path, follow, OpenOptions::new().read(true))
}

/// Like [`open_regular`] with the caller's options (read-write for in-place
/// rewrites).
pub fn open_with(
    path: &Path,
    follow: bool,
    options: &mut OpenOptions,
) -> Result<(File, Metadata), OpenError> {
    let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
    if !follow {
        flags |= libc::O_NOFOLLOW;
    }
    let file = match options.custom_flags(flags).open(path) {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) && !follow => {
            return Err(OpenError::NotRegular("symbolic link"))
        }
        Err(e) => return Err(OpenError::Io(e)),
    };
    regular(file)
}

/// Checks on the open descriptor that `file` is a regular file.
pub(crate) fn regular(file: File) -> Result<(File, Metadata), OpenError> {
    let meta = file.metadata().map_err(OpenError::Io)?;
    let ft = meta.file_type();
    if !ft.is_file() {
        return Err(OpenError::NotRegular(
            special_file_kind(&ft).unwrap_or("directory"),
        ));
    }
    Ok((file, meta))
}

/// What a non-regular file is, in words (`FIFO`, `symbolic link`, ...).
pub(crate) fn special_file_kind(ft: &std::fs::FileType) -> Option<&'static str> {
    if ft.is_fifo() {
        Some("FIFO")
    } else if ft.is_socket() {
        Some("socket")
    } else if ft.is_block_device() || ft.is_char_device() {
        Some("device")
    } else if ft.is_symlink() {
        Some("symbolic link")
    } else {
        None
    }
}

/// An open file read to its end, where the end is taken to be the size
/// it had when opened once that many bytes have been read: the read that
/// would only confirm the end is not made (on a tree of a million small
/// files, one system call in five). A file that grew meanwhile is read
/// on as long as reads return more; one that reports no size (`/proc`)
/// is read until a read returns nothing.
pub struct ToItsSize {
    file: File,
    size: u64,
    read: u64,
}

impl ToItsSize {
    /// Reads `file`, whose size was `size` when it was opened.
    pub fn new(file: File, size: u64) -> ToItsSize {
        ToItsSize {
            file,
            size,
            read: 0,
        }
    }
}

impl ToItsSize {
    /// The file being read.
    pub fn file(&self) -> &File {
        &self.file
    }
}

impl io::Read for ToItsSize {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.size > 0 && self.read == self.size {
            return Ok(0);
        }
        let n = io::Read::read(&mut self.file, buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_refuses_a_symlink_and_a_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("t"), "x").unwrap();
        std::os::unix::fs::symlink(d.join("t"), d.join("l")).unwrap();
        assert!(matches!(
            open_regular(&d.join("l"), false),
            Err(OpenError::NotRegular("symbolic link"))
        ));
        assert!(open_regular(&d.join("l"), true).is_ok());
        let fifo = std::ffi::CString::new(d.join("p").to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            open_regular(&d.join("p"), false),
            Err(OpenError::NotRegular("FIFO"))
        ));
    }

    #[test]
    fn a_file_is_read_to_its_size_and_on_while_it_grows() {
        use std::io::{Read, Write};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, "one\n").unwrap();
        let (file, meta) = open_regular(&path, false).unwrap();
        let mut reader = ToItsSize::new(file, meta.len());
        // Appended after the open, before the first read: still read.
        let mut log = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        log.write_all(b"two\n").unwrap();
        let mut all = String::new();
        reader.read_to_string(&mut all).unwrap();
        assert_eq!(all, "one\ntwo\n");
        // No size (like `/proc`): read until a read returns nothing.
        let (file, _) = open_regular(&path, false).unwrap();
        let mut all = String::new();
        ToItsSize::new(file, 0).read_to_string(&mut all).unwrap();
        assert_eq!(all, "one\ntwo\n");
    }
}
