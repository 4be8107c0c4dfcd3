//! Rewriting files in place without losing a byte: the redaction consumers.
//!
//! Two strategies, both fed by the [`StreamScanner`]:
//!
//! * [`redact_by_rename`] — the default. Opens the file without following
//!   links, writes the redacted stream to a mode-0600 temp file in the same
//!   directory, **re-scans the temp file** and refuses to commit if anything
//!   remains, restores owner then mode, fsyncs, checks the original did not
//!   change meanwhile (a writer appending: redo, then refuse), renames over
//!   it and fsyncs the directory. A kill at any instant leaves the old file
//!   or the new one. Temp files only ever receive redacted bytes.
//! * [`redact_same_length`] — overwrites each finding in the same inode with
//!   a replacement of exactly its length (`pwrite`). Size, inode, hard links,
//!   offsets and open writers survive: the mode for live logs, binary files
//!   (SQLite stays valid) and hard-linked files. Not atomic per file, never
//!   truncating.
//!
//! A temp file is only created once a first finding shows up (data before
//! it is buffered up to [`BUFFER_BEFORE_TEMP`]), so clean files cost one read
//! and no write.

use crate::cleanup::{create_temp, TempGuard};
use crate::detect::Detector;
use crate::finding::Finding;
use crate::live_writers::{LiveWriters, Writer};
use crate::rules::Kind;
use crate::stream::{Sink, StreamScanner};
use crate::walk::{open_with, OpenError};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The default replacement text.
pub const DEFAULT_REPLACEMENT: &str = "[REDACTED_CF_TOKEN]";
/// Data before the first finding kept in memory before giving up on a
/// single pass (a later finding then costs a second read).
pub const BUFFER_BEFORE_TEMP: usize = 8 << 20;
/// How many times a file that changed during the rewrite is redone.
const ATTEMPTS: usize = 3;
/// How often the old inode is checked for late appends after a rename.
const SETTLE_CHECKS: usize = 5;
/// The pause between two of those checks.
const SETTLE_PAUSE: std::time::Duration = std::time::Duration::from_millis(2);
/// Line numbers remembered per file for `--dry-run`.
const MAX_LINES: usize = 1000;

/// What replaces a finding.
#[derive(Debug, Clone)]
pub struct Replacement {
    text: Vec<u8>,
}

/// A replacement that would itself be detected, or is unusable.
#[derive(Debug)]
pub struct BadReplacement(pub &'static str);

impl std::fmt::Display for BadReplacement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unusable --replacement: {}", self.0)
    }
}

impl std::error::Error for BadReplacement {}

impl Replacement {
    /// Checks that `text` is non-empty and is not itself a finding.
    pub fn new(text: &str, detector: &Detector) -> Result<Replacement, BadReplacement> {
        if text.is_empty() {
            return Err(BadReplacement("it is empty"));
        }
        if !crate::stream::scan_bytes(detector, text.as_bytes()).is_empty() {
            return Err(BadReplacement(
                "it would itself be detected as a credential",
            ));
        }
        Ok(Replacement {
            text: text.as_bytes().to_vec(),
        })
    }

    /// The replacement text.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// The marker padded (or cut down) to exactly `len` bytes: the marker
    /// followed by `*`, or only `*` when the marker is longer than `len`.
    pub fn same_length(&self, len: usize) -> Vec<u8> {
        let mut v = if self.text.len() <= len {
            self.text.clone()
        } else {
            Vec::new()
        };
        v.resize(len, b'*');
        v
    }
}

/// What was found (and replaced) in one file.
#[derive(Debug, Default, Clone)]
pub struct FileCounts {
    /// Findings per kind.
    pub by_kind: BTreeMap<Kind, u64>,
    /// Line numbers of the findings (the first [`MAX_LINES`]).
    pub lines: Vec<u64>,
}

impl FileCounts {
    /// Total findings.
    pub fn total(&self) -> u64 {
        self.by_kind.values().sum()
    }

    /// `2 cloudflare-user-token, 1 cloudflare-partial`.
    pub fn kinds_line(&self) -> String {
        crate::report::kinds_line(&self.by_kind)
    }

    fn add(&mut self, f: &Finding) {
        *self.by_kind.entry(f.kind).or_default() += 1;
        if self.lines.len() < MAX_LINES && self.lines.last() != Some(&f.line) {
            self.lines.push(f.line);
        }
    }
}

impl Sink for FileCounts {
    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        self.add(f);
        Ok(())
    }
}

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
}

/// Why a file was not (fully) redacted. Messages never hold file content.
#[derive(Debug)]
pub enum RewriteError {
    /// Not a regular file: skipped.
    NotRegular(&'static str),
    /// Hard-linked and not in same-length mode.
    HardLinked(u64),
    /// Mode without any write bit.
    ReadOnly(u32),
    /// The file kept changing while it was rewritten.
    KeptChanging,
    /// Another process holds the file open for writing.
    LiveWriter(Writer),
    /// The re-scan of the result still found credentials: nothing committed.
    Remaining(u64),
    /// Same-length passes kept finding new credentials (a live log).
    StillGaining,
    /// An I/O error, with what was being done.
    Io(&'static str, io::Error),
}

impl std::fmt::Display for RewriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RewriteError::NotRegular(what) => write!(f, "skipped {what}"),
            RewriteError::HardLinked(n) => write!(
                f,
                "has {n} hard links: a rename would leave the other names holding the secret; \
                 not rewritten (use --same-length to overwrite it in place)"
            ),
            RewriteError::ReadOnly(mode) => write!(
                f,
                "read-only (mode {mode:04o}): not rewritten (make it writable first if you mean to)"
            ),
            RewriteError::KeptChanging => write!(
                f,
                "kept changing while being rewritten (a live log?): not rewritten; \
                 use --same-length, which keeps appending writers intact"
            ),
            RewriteError::LiveWriter(w) => write!(
                f,
                "is open for writing by process {} ({}): a rename would lose its next writes; \
                 not rewritten (use --same-length, which keeps writers intact)",
                w.pid, w.name
            ),
            RewriteError::StillGaining => write!(
                f,
                "new credentials kept arriving while it was redacted in place (a live log): \
                 redacted what was there; findings remaining — run redact again"
            ),
            RewriteError::Remaining(n) => write!(
                f,
                "{n} finding(s) would remain after rewriting: nothing was changed"
            ),
            RewriteError::Io(doing, e) => write!(f, "{doing}: {e}"),
        }
    }
}

impl std::error::Error for RewriteError {}

fn io_err(doing: &'static str) -> impl FnOnce(io::Error) -> RewriteError {
    move |e| RewriteError::Io(doing, e)
}

fn open_error(e: OpenError) -> RewriteError {
    match e {
        OpenError::NotRegular(what) => RewriteError::NotRegular(what),
        OpenError::Io(e) => RewriteError::Io("cannot open", e),
    }
}

/// What the rewrite needs besides the path.
#[derive(Clone, Copy)]
pub struct RewriteOptions<'a> {
    /// The detector.
    pub detector: &'a Detector,
    /// The replacement text.
    pub replacement: &'a Replacement,
    /// Follow a symbolic link at `path` (the caller checks where it leads).
    pub follow: bool,
    /// Files other processes are writing to: never renamed over.
    pub live_writers: &'a LiveWriters,
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

/// Where redacted output goes before a temp file exists.
enum Target {
    /// No finding yet: data kept in memory.
    Buffering(Vec<u8>),
    /// No finding in the first [`BUFFER_BEFORE_TEMP`] bytes: only scanning.
    ScanOnly,
    /// Writing the temp file.
    Writing(BufWriter<tempfile::NamedTempFile>, TempGuard),
}

/// The sink of a rename rewrite.
struct RenameSink<'a> {
    target: Target,
    dir: &'a Path,
    replacement: &'a Replacement,
    counts: FileCounts,
}

/// Raised inside the scan when a finding shows up after the sink gave up
/// buffering: the rewrite restarts from the beginning with a temp file.
#[derive(Debug)]
struct Restart;

impl std::fmt::Display for Restart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("finding after the in-memory window")
    }
}

impl std::error::Error for Restart {}

impl RenameSink<'_> {
    fn start_temp(&mut self, prefix: &[u8]) -> io::Result<()> {
        let (guard, temp) = create_temp(
            tempfile::Builder::new().prefix(".cfscrub-").suffix(".tmp"),
            self.dir,
        )?;
        let mut w = BufWriter::with_capacity(256 * 1024, temp);
        w.write_all(prefix)?;
        self.target = Target::Writing(w, guard);
        Ok(())
    }
}

impl Sink for RenameSink<'_> {
    fn data(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.target {
            Target::Writing(w, _) => w.write_all(bytes),
            Target::Buffering(buf) if buf.len() + bytes.len() <= BUFFER_BEFORE_TEMP => {
                buf.extend_from_slice(bytes);
                Ok(())
            }
            Target::Buffering(_) => {
                self.target = Target::ScanOnly;
                Ok(())
            }
            Target::ScanOnly => Ok(()),
        }
    }

    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        self.counts.add(f);
        match &mut self.target {
            Target::ScanOnly => return Err(io::Error::other(Restart)),
            Target::Buffering(buf) => {
                let prefix = std::mem::take(buf);
                self.start_temp(&prefix)?;
            }
            Target::Writing(..) => {}
        }
        let Target::Writing(w, _) = &mut self.target else {
            unreachable!("a temp file was just started")
        };
        w.write_all(self.replacement.text())
    }
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

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Redacts `path` through a temp file and a rename (see the module docs).
pub fn redact_by_rename(path: &Path, opts: RewriteOptions) -> Result<Outcome, RewriteError> {
    let mut last = RewriteError::KeptChanging;
    for _ in 0..ATTEMPTS {
        match rename_attempt(path, opts) {
            Err(RewriteError::KeptChanging) => last = RewriteError::KeptChanging,
            other => return other,
        }
    }
    Err(last)
}

fn rename_attempt(path: &Path, opts: RewriteOptions) -> Result<Outcome, RewriteError> {
    let (file, meta) =
        open_with(path, opts.follow, OpenOptions::new().read(true)).map_err(open_error)?;
    if meta.nlink() > 1 {
        return Err(RewriteError::HardLinked(meta.nlink()));
    }
    if let Some(writer) = opts.live_writers.writer_of(meta.dev(), meta.ino()) {
        return Err(RewriteError::LiveWriter(writer.clone()));
    }
    let before = Stamp::of(&meta);
    let dir = parent_dir(path);
    let mut sink = RenameSink {
        target: Target::Buffering(Vec::new()),
        dir: &dir,
        replacement: opts.replacement,
        counts: FileCounts::default(),
    };
    let scanned = StreamScanner::new(opts.detector, true).scan_reader(
        &mut ReadAt {
            file: &file,
            pos: 0,
        },
        &mut sink,
    );
    match scanned {
        Ok(_) => {}
        Err(e) if e.get_ref().is_some_and(|inner| inner.is::<Restart>()) => {
            // A finding past the in-memory window: write from the start.
            sink.counts = FileCounts::default();
            sink.start_temp(&[])
                .map_err(io_err("cannot create a temp file"))?;
            StreamScanner::new(opts.detector, true)
                .scan_reader(
                    &mut ReadAt {
                        file: &file,
                        pos: 0,
                    },
                    &mut sink,
                )
                .map_err(io_err("cannot rewrite"))?;
        }
        Err(e) => {
            return Err(RewriteError::Io(
                if matches!(sink.target, Target::Writing(..)) {
                    "cannot write the temp file"
                } else {
                    "cannot read"
                },
                e,
            ))
        }
    }
    let counts = sink.counts;
    let Target::Writing(writer, guard) = sink.target else {
        return Ok(Outcome {
            counts,
            method: Method::Untouched,
            carried_over: 0,
        });
    };
    check_writable(&meta)?;
    let temp = writer
        .into_inner()
        .map_err(|e| RewriteError::Io("cannot write the temp file", e.into_error()))?;
    // Prove the result is clean before it replaces anything.
    let remaining = count_remaining(temp.as_file(), opts.detector)
        .map_err(io_err("cannot re-read the temp file"))?;
    if remaining.total() > 0 {
        return Err(RewriteError::Remaining(remaining.total()));
    }
    // Owner first (chown may clear set-id bits), then mode.
    let fd = temp.as_file();
    if let Err(e) = std::os::unix::fs::fchown(fd, Some(meta.uid()), Some(meta.gid())) {
        if e.raw_os_error() != Some(libc::EPERM) || meta.uid() != unsafe { libc::geteuid() } {
            return Err(RewriteError::Io("cannot keep the owner", e));
        }
    }
    fd.set_permissions(meta.permissions())
        .map_err(io_err("cannot keep the mode"))?;
    fd.sync_all().map_err(io_err("cannot sync the temp file"))?;
    // Did a writer touch the original meanwhile, or was the path swapped?
    let now = file.metadata().map_err(io_err("cannot stat"))?;
    let at_path = std::fs::symlink_metadata(path).map_err(io_err("cannot stat"))?;
    let target_ok = if opts.follow {
        std::fs::metadata(path).map(|m| (m.dev(), m.ino()) == (before.dev, before.ino))
    } else {
        Ok((at_path.dev(), at_path.ino()) == (before.dev, before.ino))
    };
    if Stamp::of(&now) != before || !target_ok.unwrap_or(false) {
        return Err(RewriteError::KeptChanging);
    }
    temp.persist(path)
        .map_err(|e| RewriteError::Io("cannot rename over the original", e.error))?;
    drop(guard);
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("cannot sync the directory"))?;
    let carried_over = carry_over_late_appends(path, &file, before.size, opts)?;
    Ok(Outcome {
        counts,
        method: Method::Renamed,
        carried_over,
    })
}

/// Bytes appended to the old inode between the last check and the rename
/// would be lost with it: copy them (redacted) to the end of the new file.
/// Polls until the old file has been still for a moment, so an appender
/// that opened it just before the rename is caught too.
fn carry_over_late_appends(
    path: &Path,
    old: &File,
    verified: u64,
    opts: RewriteOptions,
) -> Result<u64, RewriteError> {
    let mut copied_to = verified;
    for _ in 0..SETTLE_CHECKS {
        let size = old.metadata().map_err(io_err("cannot stat"))?.size();
        if size > copied_to {
            append_redacted(path, old, copied_to, opts)?;
            copied_to = size;
        } else if size == copied_to {
            std::thread::sleep(SETTLE_PAUSE);
            if old.metadata().map_err(io_err("cannot stat"))?.size() == copied_to {
                break;
            }
        } else {
            break; // truncated by someone else: nothing appended to save
        }
    }
    Ok(copied_to - verified)
}

/// Streams `old[from..]` through the detector onto the end of `path`.
fn append_redacted(
    path: &Path,
    old: &File,
    from: u64,
    opts: RewriteOptions,
) -> Result<(), RewriteError> {
    let new = OpenOptions::new()
        .append(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(io_err("cannot reopen to carry late appends over"))?;
    let mut sink = crate::mask::Masker::new(BufWriter::new(&new), opts.replacement);
    StreamScanner::new(opts.detector, false)
        .scan_reader(
            &mut ReadAt {
                file: old,
                pos: from,
            },
            &mut sink,
        )
        .and_then(|_| sink.finish())
        .and_then(|_| new.sync_all())
        .map_err(io_err("cannot carry late appends over"))
}

/// The sink of a same-length rewrite: `pwrite`s each replacement.
struct InPlaceSink<'a> {
    file: &'a File,
    replacement: &'a Replacement,
    counts: FileCounts,
}

impl Sink for InPlaceSink<'_> {
    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        self.counts.add(f);
        self.file
            .write_all_at(&self.replacement.same_length(f.length), f.offset)
    }
}

/// Redacts `path` in its own inode with same-length replacements.
pub fn redact_same_length(path: &Path, opts: RewriteOptions) -> Result<Outcome, RewriteError> {
    // Look before touching: a read-only file without findings is simply clean.
    let (reader, meta) =
        open_with(path, opts.follow, OpenOptions::new().read(true)).map_err(open_error)?;
    let first = count_remaining(&reader, opts.detector).map_err(io_err("cannot read"))?;
    if first.total() == 0 {
        return Ok(Outcome {
            counts: first,
            method: Method::Untouched,
            carried_over: 0,
        });
    }
    check_writable(&meta)?;
    let (file, again) =
        match open_with(path, opts.follow, OpenOptions::new().read(true).write(true)) {
            Err(OpenError::Io(e)) if e.kind() == io::ErrorKind::PermissionDenied => {
                return Err(RewriteError::ReadOnly(meta.mode() & 0o7777))
            }
            other => other.map_err(open_error)?,
        };
    if (again.dev(), again.ino()) != (meta.dev(), meta.ino()) {
        return Err(RewriteError::KeptChanging);
    }
    let mut sink = InPlaceSink {
        file: &file,
        replacement: opts.replacement,
        counts: FileCounts::default(),
    };
    // A live log may gain new credentials while this runs: go over it
    // again until a pass leaves nothing behind.
    for _ in 0..ATTEMPTS {
        StreamScanner::new(opts.detector, true)
            .scan_reader(
                &mut ReadAt {
                    file: &file,
                    pos: 0,
                },
                &mut sink,
            )
            .map_err(io_err("cannot overwrite in place"))?;
        file.sync_data().map_err(io_err("cannot sync"))?;
        let remaining = count_remaining(&file, opts.detector).map_err(io_err("cannot re-read"))?;
        if remaining.total() == 0 {
            return Ok(Outcome {
                counts: sink.counts,
                method: Method::SameLength,
                carried_over: 0,
            });
        }
    }
    Err(RewriteError::StillGaining)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::FakeGen;
    use crate::secrets::KnownSecrets;

    fn setup() -> (Detector, tempfile::TempDir, FakeGen) {
        (
            Detector::new(&KnownSecrets::new()),
            tempfile::tempdir().unwrap(),
            FakeGen::new(11),
        )
    }

    #[test]
    fn same_length_replacement_pads_or_stars() {
        let det = Detector::new(&KnownSecrets::new());
        let r = Replacement::new(DEFAULT_REPLACEMENT, &det).unwrap();
        assert_eq!(r.same_length(9), b"*********");
        let long = r.same_length(53);
        assert_eq!(long.len(), 53);
        assert!(long.starts_with(DEFAULT_REPLACEMENT.as_bytes()));
    }

    #[test]
    fn a_replacement_that_matches_is_refused() {
        let det = Detector::new(&KnownSecrets::new());
        assert!(Replacement::new("cfut_XXXXXXXX", &det).is_err());
        assert!(Replacement::new("", &det).is_err());
    }

    #[test]
    fn rename_rewrite_replaces_and_keeps_the_rest() {
        let (det, dir, mut g) = setup();
        let token = g.scannable("cfut_", true);
        let path = dir.path().join("a.log");
        std::fs::write(&path, format!("x {token} y\r\n\x00\u{e9}")).unwrap();
        let r = Replacement::new(DEFAULT_REPLACEMENT, &det).unwrap();
        let live = LiveWriters::default();
        let opts = RewriteOptions {
            detector: &det,
            replacement: &r,
            follow: false,
            live_writers: &live,
        };
        let out = redact_by_rename(&path, opts).unwrap();
        assert_eq!(out.method, Method::Renamed);
        assert_eq!(out.counts.total(), 1);
        crate::sanitize::assert_same(
            "rewritten file",
            &std::fs::read(&path).unwrap(),
            "x [REDACTED_CF_TOKEN] y\r\n\x00\u{e9}".as_bytes(),
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
    fn a_finding_past_the_memory_window_is_still_redacted() {
        let (det, dir, mut g) = setup();
        let token = g.scannable("cfat_", true);
        let path = dir.path().join("big.log");
        let mut content = vec![b'.'; BUFFER_BEFORE_TEMP + 1000];
        content.extend_from_slice(format!(" {token}\n").as_bytes());
        std::fs::write(&path, &content).unwrap();
        let r = Replacement::new(DEFAULT_REPLACEMENT, &det).unwrap();
        let live = LiveWriters::default();
        let opts = RewriteOptions {
            detector: &det,
            replacement: &r,
            follow: false,
            live_writers: &live,
        };
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
        let r = Replacement::new(DEFAULT_REPLACEMENT, &det).unwrap();
        let live = LiveWriters::default();
        let opts = RewriteOptions {
            detector: &det,
            replacement: &r,
            follow: false,
            live_writers: &live,
        };
        let out = redact_same_length(&path, opts).unwrap();
        assert_eq!(out.counts.total(), 2);
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!((meta.ino(), meta.len()), (ino, content.len() as u64));
        let after = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
        let mut expected = b"a ".to_vec();
        expected.extend(r.same_length(token.len()));
        expected.extend_from_slice(b" b grep ********** c\n");
        crate::sanitize::assert_same("same-length file", after.as_bytes(), &expected);
        assert!(after.starts_with("a [REDACTED_CF_TOKEN]****"));
    }
}
