//! Rewriting files in place without losing a byte: the redaction consumers.
//!
//! Two strategies, both fed by the [`StreamScanner`], both reaching the file
//! from its root through directory descriptors ([`crate::source::beneath`]): a
//! directory swapped for a link after the walk is refused, and with
//! `--follow` the link's target is rewritten in its own directory.
//!
//! * [`redact_by_rename`] — the default. Opens the file without following
//!   links, creates a mode-0600 temp file in the same directory and gives
//!   it the original's owner, extended attributes, ACL and mode before the
//!   first byte ([`crate::rewrite::file_meta`]), writes the redacted stream to it,
//!   **re-scans the temp file** and refuses to commit if anything remains,
//!   fsyncs, takes a write lease on the original (no other process may have
//!   it open; one that opens it now waits, and is seen: [`WriteLease`]),
//!   checks the original did not change meanwhile (a writer appending or
//!   arriving: redo, then refuse), renames over it and fsyncs the
//!   directory. A kill at any instant leaves the old file or the new one.
//!   Temp files only ever receive redacted bytes. It is for text: a NUL
//!   byte met on the way abandons the temp file and fails with
//!   [`RewriteError::Binary`] ([`redact_binary_by_rename`] goes on).
//! * [`redact_same_length`] — overwrites each finding in the same inode with
//!   a replacement of exactly its length (through a shared mapping: never
//!   past the file's end, even one cut meanwhile). Size, inode, hard links,
//!   offsets and open writers survive: the mode for live logs, binary files
//!   (chosen in [`crate::rewrite::method`]; SQLite databases go through
//!   [`crate::rewrite::sqlite`]) and hard-linked files. Not atomic per file, never
//!   truncating, never writing past the end: a file that shrinks during a
//!   pass (`copytruncate`) is gone over again from the start, and a value
//!   cut off by the end of a file that is being written is left for the
//!   next pass rather than masked by its head.
//!
//! A temp file is only created once a first finding shows up (data before
//! it is buffered up to [`BUFFER_BEFORE_TEMP`]), so clean files cost one read
//! and no write.

pub mod archive;
mod error;
pub mod file_meta;
pub mod git;
pub mod live_writers;
pub mod method;
pub mod png;
pub mod recompress;
mod rename;
mod same_length;
pub mod sqlite;
mod utf16;
pub mod verify;

use error::{io_err, open_error};
pub use error::{RewriteError, Unsupported};
pub use rename::{redact_binary_by_rename, redact_by_rename, BUFFER_BEFORE_TEMP};
pub use same_length::redact_same_length;

use crate::core::counts::{FileCounts, Replacement};
use crate::core::detect::Detector;
use crate::core::stream::StreamScanner;
use crate::rewrite::live_writers::LiveWriters;
use crate::source::beneath::{locate, Located, Roots};
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::{FileExt, MetadataExt};

/// How many times a file that changed during the rewrite is redone.
const ATTEMPTS: usize = 3;

/// How a file was rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Nothing to do: no finding.
    Untouched,
    /// Temp file + rename.
    Renamed,
    /// Overwritten in the same inode.
    SameLength,
}

/// The result of redacting one file.
#[derive(Debug)]
pub struct Outcome {
    /// What was replaced.
    pub counts: FileCounts,
    /// How.
    pub method: Method,
    /// Bytes a writer appended to the old file during the rename, carried over.
    pub carried_over: u64,
    /// Inside a container: what changed where, and what was not inspected.
    pub inside: archive::Inside,
}

/// The file a rename rewrite replaces, opened beneath its root: its
/// directory (where the temp file goes), the file and its metadata.
/// Refuses a file with other hard links (the rename would split them) and
/// one a process holds open for writing.
fn open_to_replace(
    path: &std::path::Path,
    opts: &RewriteOptions,
) -> Result<(Located, File, std::fs::Metadata), RewriteError> {
    let at = locate(path, opts.roots, opts.follow)?;
    let (file, meta) = at.dir.open_file(&at.name, false).map_err(open_error)?;
    if meta.nlink() > 1 {
        return Err(RewriteError::HardLinked(meta.nlink()));
    }
    if let Some(writer) = opts.live_writers.writer_of(meta.dev(), meta.ino()) {
        return Err(RewriteError::LiveWriter(writer.clone()));
    }
    Ok((at, file, meta))
}

/// What the rewrite needs besides the path.
#[derive(Clone, Copy)]
pub struct RewriteOptions<'a> {
    /// The detector.
    pub detector: &'a Detector,
    /// The replacement text.
    pub replacement: &'a Replacement,
    /// Follow symbolic links: the file is rewritten where the link leads,
    /// which must be beneath one of `roots`; the link stays.
    pub follow: bool,
    /// The trees the paths were found in: every file is reached from its
    /// root through directory descriptors ([`crate::source::beneath`]).
    pub roots: &'a Roots,
    /// Files other processes are writing to: never renamed over.
    pub live_writers: &'a LiveWriters,
    /// Give the rewritten file the original's access and modification
    /// times (`redact --keep-mtime`); SQLite databases keep SQLite's.
    pub keep_mtime: bool,
}

/// Gives `file` the times in `original` (`--keep-mtime`).
fn restore_times(file: &std::fs::File, original: &std::fs::Metadata) -> Result<(), RewriteError> {
    file_meta::restore_times(file, original).map_err(io_err("cannot keep the modification time"))
}

/// Reads a file from offset 0 with `pread`, leaving its position alone.
struct ReadAt<'f> {
    file: &'f File,
    pos: u64,
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Counts what the detector still finds in `file`.
pub fn count_remaining(file: &File, detector: &Detector) -> io::Result<FileCounts> {
    let mut counts = FileCounts::default();
    let mut scanner = StreamScanner::new(detector, true);
    scanner.scan_reader(&mut ReadAt { file, pos: 0 }, &mut counts)?;
    Ok(counts)
}

/// The identity and state of a file, to notice it changing.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
        }
    }
}

fn check_writable(meta: &std::fs::Metadata) -> Result<(), RewriteError> {
    let mode = meta.mode() & 0o7777;
    if mode & 0o222 == 0 {
        return Err(RewriteError::ReadOnly(mode));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::counts::DEFAULT_REPLACEMENT;
    use crate::core::secrets::KnownSecrets;
    use crate::fake::FakeGen;

    /// What a rewrite borrows besides the detector: the default
    /// replacement, no live writers, no roots.
    struct Fixture {
        replacement: Replacement,
        live: LiveWriters,
        roots: Roots,
    }

    impl Fixture {
        fn new(det: &Detector) -> Fixture {
            Fixture {
                replacement: Replacement::new(DEFAULT_REPLACEMENT, det).unwrap(),
                live: LiveWriters::default(),
                roots: Roots::default(),
            }
        }

        fn opts<'a>(&'a self, det: &'a Detector) -> RewriteOptions<'a> {
            RewriteOptions {
                detector: det,
                replacement: &self.replacement,
                follow: false,
                roots: &self.roots,
                live_writers: &self.live,
                keep_mtime: false,
            }
        }
    }

    fn setup() -> (Detector, tempfile::TempDir, FakeGen) {
        (
            Detector::new(&KnownSecrets::new()),
            tempfile::tempdir().unwrap(),
            FakeGen::new(11),
        )
    }

    #[test]
    fn rename_rewrite_replaces_and_keeps_the_rest() {
        let (det, dir, mut g) = setup();
        let token = g.scannable("cfut_", true);
        let path = dir.path().join("a.log");
        std::fs::write(&path, format!("x {token} y\r\n\u{e9}")).unwrap();
        let fx = Fixture::new(&det);
        let opts = fx.opts(&det);
        let out = redact_by_rename(&path, opts).unwrap();
        assert_eq!(out.method, Method::Renamed);
        assert_eq!(out.counts.total(), 1);
        crate::mask::sanitize::assert_same(
            "rewritten file",
            &std::fs::read(&path).unwrap(),
            "x [REDACTED_CF_TOKEN] y\r\n\u{e9}".as_bytes(),
        );
        let again = redact_by_rename(&path, opts).unwrap();
        assert_eq!(again.method, Method::Untouched);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn rename_refuses_a_nul_past_the_first_chunk_and_leaves_no_temp_file() {
        let (det, dir, mut g) = setup();
        let path = dir.path().join("late-nul.log");
        let mut content = format!("x {} y\n", g.scannable("cfut_", true)).into_bytes();
        content.extend(std::iter::repeat_n(b'.', crate::core::stream::CHUNK * 2));
        content.extend_from_slice(b"\0tail");
        std::fs::write(&path, &content).unwrap();
        let fx = Fixture::new(&det);
        let opts = fx.opts(&det);
        assert!(matches!(
            redact_by_rename(&path, opts),
            Err(RewriteError::Binary)
        ));
        crate::mask::sanitize::assert_same("untouched", &std::fs::read(&path).unwrap(), &content);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temp file left"
        );
        let out = redact_binary_by_rename(&path, opts).unwrap();
        assert_eq!((out.method, out.counts.total()), (Method::Renamed, 1));
    }

    #[test]
    fn a_finding_past_the_memory_window_is_still_redacted() {
        let (det, dir, mut g) = setup();
        let token = g.scannable("cfat_", true);
        let path = dir.path().join("big.log");
        let mut content = vec![b'.'; BUFFER_BEFORE_TEMP + 1000];
        content.extend_from_slice(format!(" {token}\n").as_bytes());
        std::fs::write(&path, &content).unwrap();
        let fx = Fixture::new(&det);
        let opts = fx.opts(&det);
        let out = redact_by_rename(&path, opts).unwrap();
        assert_eq!(out.counts.total(), 1);
        let after = std::fs::read(&path).unwrap();
        assert_eq!(
            after.len(),
            BUFFER_BEFORE_TEMP + 1000 + 1 + DEFAULT_REPLACEMENT.len() + 1
        );
    }

    #[test]
    fn same_length_keeps_size_and_inode() {
        let (det, dir, mut g) = setup();
        let token = g.scannable("cfk_", true);
        let path = dir.path().join("live.log");
        let content = format!("a {token} b grep cfut_AbCdE c\n");
        std::fs::write(&path, &content).unwrap();
        let ino = std::fs::metadata(&path).unwrap().ino();
        let fx = Fixture::new(&det);
        let (r, opts) = (&fx.replacement, fx.opts(&det));
        let out = redact_same_length(&path, opts).unwrap();
        assert_eq!(out.counts.total(), 2);
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!((meta.ino(), meta.len()), (ino, content.len() as u64));
        let after = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
        let mut expected = b"a ".to_vec();
        expected.extend(r.same_length(token.len()));
        expected.extend_from_slice(b" b grep ********** c\n");
        crate::mask::sanitize::assert_same("same-length file", after.as_bytes(), &expected);
        assert!(after.starts_with("a [REDACTED_CF_TOKEN]****"));
    }
}
