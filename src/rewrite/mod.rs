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
//!   a replacement of exactly its length (`pwrite`). Size, inode, hard links,
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

pub mod file_meta;
pub mod live_writers;
pub mod method;
pub mod png;
pub mod sqlite;

use crate::core::counts::{FileCounts, Replacement};
use crate::core::detect::Detector;
use crate::core::finding::Finding;
use crate::core::rules::{Confidence, Kind};
use crate::core::stream::{Sink, StreamScanner};
use crate::rewrite::file_meta::{FileMeta, MetaError};
use crate::rewrite::live_writers::{find_writer, LeaseAttempt, LiveWriters, WriteLease, Writer};
use crate::source::beneath::{locate, Dir, LocateError, Located, Roots, TempFile};
use crate::source::walk::OpenError;
use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;

/// Data before the first finding kept in memory before giving up on a
/// single pass (a later finding then costs a second read).
pub const BUFFER_BEFORE_TEMP: usize = 8 << 20;
/// How many times a file that changed during the rewrite is redone.
const ATTEMPTS: usize = 3;
/// How often the old inode is checked for late appends after a rename.
const SETTLE_CHECKS: usize = 5;
/// The pause between two of those checks.
const SETTLE_PAUSE: std::time::Duration = std::time::Duration::from_millis(2);

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
    /// Another process opened the file for writing at the instant of the
    /// rename: it now writes to the replaced file.
    WriterDuringRename(Writer),
    /// The path no longer leads to a file beneath its root (a directory on
    /// the way swapped for a link, or a followed link leading outside).
    Escape(LocateError),
    /// The re-scan of the result still found credentials: nothing committed.
    Remaining(u64),
    /// Same-length passes kept finding new credentials (a live log).
    StillGaining,
    /// A credential at the end of a file that is being written may still be
    /// growing: left in place (the others were redacted).
    IncompleteAtEnd,
    /// Same-length passes kept being cut short by the file being truncated.
    Truncated,
    /// The rename rewrite met a NUL byte: binary content, where shifting
    /// bytes would corrupt the file. Nothing was changed.
    Binary,
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
            RewriteError::WriterDuringRename(w) => write!(
                f,
                "was opened for writing by process {} ({}) at the instant it was renamed: \
                 that process now writes to the replaced file (restart it so that it reopens \
                 the file; for files that are being written, use --same-length)",
                w.pid, w.name
            ),
            RewriteError::Escape(e) => write!(f, "{e}: not rewritten"),
            RewriteError::StillGaining => write!(
                f,
                "new credentials kept arriving while it was redacted in place (a live log): \
                 redacted what was there; findings remaining — run redact again"
            ),
            RewriteError::IncompleteAtEnd => write!(
                f,
                "incomplete at end of file: a credential at its end is still being written; \
                 left as it is, since masking its head would hide the rest from every later scan \
                 (the others were redacted); run redact again once the line is complete"
            ),
            RewriteError::Truncated => write!(
                f,
                "kept being truncated while it was redacted in place (log rotation?): \
                 nothing was written past its end; run redact again"
            ),
            RewriteError::Binary => write!(
                f,
                "holds NUL bytes (binary content): not rewritten by rename, which would shift its bytes"
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

impl From<LocateError> for RewriteError {
    fn from(e: LocateError) -> RewriteError {
        match e {
            LocateError::Io(e) => RewriteError::Io("cannot open", e),
            other => RewriteError::Escape(other),
        }
    }
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
enum Target<'a> {
    /// No finding yet: data kept in memory.
    Buffering(Vec<u8>),
    /// No finding in the first [`BUFFER_BEFORE_TEMP`] bytes: only scanning.
    ScanOnly,
    /// Writing the temp file, which took the original's metadata (some of
    /// it is set again once the content is in: [`FileMeta::apply_after_write`]).
    Writing(BufWriter<TempFile<'a>>, FileMeta),
}

/// The sink of a rename rewrite.
struct RenameSink<'a> {
    target: Target<'a>,
    dir: &'a Dir,
    /// The file being rewritten, whose metadata the temp file takes.
    original: (&'a File, &'a std::fs::Metadata),
    replacement: &'a Replacement,
    counts: FileCounts,
    /// Fail with [`BinaryContent`] at the first NUL byte.
    refuse_nul: bool,
}

/// Raised inside the scan at a NUL byte when the rewrite is for text only.
#[derive(Debug)]
struct BinaryContent;

impl std::fmt::Display for BinaryContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NUL byte in a text-only rewrite")
    }
}

impl std::error::Error for BinaryContent {}

fn is_binary_content(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<BinaryContent>())
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
    /// Creates the temp file and gives it the original's owner, attributes,
    /// ACL and mode before the first byte is written to it.
    fn start_temp(&mut self, prefix: &[u8]) -> io::Result<()> {
        let kept = FileMeta::read(self.original.0, self.original.1).map_err(io::Error::other)?;
        let temp = self.dir.create_temp()?;
        kept.apply_before_write(temp.file())
            .map_err(io::Error::other)?;
        let mut w = BufWriter::with_capacity(256 * 1024, temp);
        w.write_all(prefix)?;
        self.target = Target::Writing(w, kept);
        Ok(())
    }
}

impl Sink for RenameSink<'_> {
    fn data(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.refuse_nul && crate::core::sniff::has_nul(bytes) {
            return Err(io::Error::other(BinaryContent));
        }
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

/// The error of a scan into a [`RenameSink`]: a metadata step that failed
/// says so, anything else is `doing`.
fn sink_error(e: io::Error, doing: &'static str) -> RewriteError {
    if is_binary_content(&e) {
        return RewriteError::Binary;
    }
    if !e.get_ref().is_some_and(|inner| inner.is::<MetaError>()) {
        return RewriteError::Io(doing, e);
    }
    let kind = e.kind();
    match e.into_inner().map(|inner| inner.downcast::<MetaError>()) {
        Some(Ok(meta)) => RewriteError::Io(meta.what, meta.error),
        Some(Err(inner)) => RewriteError::Io(doing, io::Error::new(kind, inner)),
        None => RewriteError::Io(doing, kind.into()),
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

/// Redacts the text file `path` through a temp file and a rename (see the
/// module docs); [`RewriteError::Binary`] at a NUL byte, the original
/// untouched and the temp file removed.
pub fn redact_by_rename(path: &Path, opts: RewriteOptions) -> Result<Outcome, RewriteError> {
    rename_with_retries(path, opts, true)
}

/// [`redact_by_rename`] for a file whatever its content, NUL bytes
/// included (`redact --binary-rename`: offsets inside the file shift).
pub fn redact_binary_by_rename(path: &Path, opts: RewriteOptions) -> Result<Outcome, RewriteError> {
    rename_with_retries(path, opts, false)
}

fn rename_with_retries(
    path: &Path,
    opts: RewriteOptions,
    refuse_nul: bool,
) -> Result<Outcome, RewriteError> {
    let mut last = RewriteError::KeptChanging;
    for _ in 0..ATTEMPTS {
        match rename_attempt(path, opts, refuse_nul) {
            Err(RewriteError::KeptChanging) => last = RewriteError::KeptChanging,
            other => return other,
        }
    }
    Err(last)
}

fn rename_attempt(
    path: &Path,
    opts: RewriteOptions,
    refuse_nul: bool,
) -> Result<Outcome, RewriteError> {
    let at = locate(path, opts.roots, opts.follow)?;
    let (file, meta) = at.dir.open_file(&at.name, false).map_err(open_error)?;
    if meta.nlink() > 1 {
        return Err(RewriteError::HardLinked(meta.nlink()));
    }
    if let Some(writer) = opts.live_writers.writer_of(meta.dev(), meta.ino()) {
        return Err(RewriteError::LiveWriter(writer.clone()));
    }
    let before = Stamp::of(&meta);
    let mut sink = RenameSink {
        target: Target::Buffering(Vec::new()),
        dir: &at.dir,
        original: (&file, &meta),
        replacement: opts.replacement,
        counts: FileCounts::default(),
        refuse_nul,
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
        // Dropping the sink removes the temp file, if one was started.
        Err(e) if is_binary_content(&e) => return Err(RewriteError::Binary),
        Err(e) if e.get_ref().is_some_and(|inner| inner.is::<Restart>()) => {
            // A finding past the in-memory window: write from the start.
            sink.counts = FileCounts::default();
            sink.start_temp(&[])
                .map_err(|e| sink_error(e, "cannot create a temp file"))?;
            StreamScanner::new(opts.detector, true)
                .scan_reader(
                    &mut ReadAt {
                        file: &file,
                        pos: 0,
                    },
                    &mut sink,
                )
                .map_err(|e| sink_error(e, "cannot rewrite"))?;
        }
        Err(e) => {
            let doing = if matches!(sink.target, Target::Writing(..)) {
                "cannot write the temp file"
            } else {
                "cannot read"
            };
            return Err(sink_error(e, doing));
        }
    }
    let counts = sink.counts;
    let Target::Writing(writer, kept) = sink.target else {
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
    let remaining = count_remaining(temp.file(), opts.detector)
        .map_err(io_err("cannot re-read the temp file"))?;
    if remaining.total() > 0 {
        return Err(RewriteError::Remaining(remaining.total()));
    }
    let fd = temp.file();
    kept.apply_after_write(fd)
        .map_err(|e| RewriteError::Io(e.what, e.error))?;
    fd.sync_all().map_err(io_err("cannot sync the temp file"))?;
    let new_identity = fd.metadata().map_err(io_err("cannot stat"))?;
    let new_identity = (new_identity.dev(), new_identity.ino());
    // Right before the rename: nobody else may hold the file open for
    // writing, and whoever opens it now waits until the rename is done.
    let lease = match WriteLease::take(&file) {
        LeaseAttempt::Held(lease) => Some(lease),
        LeaseAttempt::Busy | LeaseAttempt::Unavailable => {
            if let Some(writer) = find_writer(before.dev, before.ino) {
                return Err(RewriteError::LiveWriter(writer));
            }
            None
        }
    };
    let writer_waiting = || lease.as_ref().is_some_and(WriteLease::writer_waiting);
    // Did a writer touch the original meanwhile, or was the name swapped?
    let now = file.metadata().map_err(io_err("cannot stat"))?;
    let at_name = at
        .dir
        .identity_of(&at.name)
        .map_err(io_err("cannot stat"))?;
    if Stamp::of(&now) != before || at_name != (before.dev, before.ino) || writer_waiting() {
        // A writer waiting for the lease gets the old file, intact; the
        // next attempt finds it holding the file.
        return Err(RewriteError::KeptChanging);
    }
    temp.persist(&at.name)
        .map_err(io_err("cannot rename over the original"))?;
    let opened_during_rename = writer_waiting();
    drop(lease);
    at.dir.sync().map_err(io_err("cannot sync the directory"))?;
    let carried_over = carry_over_late_appends(&at, new_identity, &file, before.size, opts)?;
    if opened_during_rename {
        if let Some(writer) = find_writer(before.dev, before.ino) {
            return Err(RewriteError::WriterDuringRename(writer));
        }
    }
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
    new: &Located,
    new_identity: (u64, u64),
    old: &File,
    verified: u64,
    opts: RewriteOptions,
) -> Result<u64, RewriteError> {
    let mut copied_to = verified;
    for _ in 0..SETTLE_CHECKS {
        let size = old.metadata().map_err(io_err("cannot stat"))?.size();
        if size > copied_to {
            append_redacted(new, new_identity, old, copied_to, opts)?;
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

/// Streams `old[from..]` through the detector onto the end of the new file.
fn append_redacted(
    at: &Located,
    new_identity: (u64, u64),
    old: &File,
    from: u64,
    opts: RewriteOptions,
) -> Result<(), RewriteError> {
    let new = at
        .dir
        .open_append(&at.name)
        .and_then(|f| {
            let m = f.metadata()?;
            if (m.dev(), m.ino()) == new_identity {
                Ok(f)
            } else {
                Err(io::Error::other("the file was replaced after the rename"))
            }
        })
        .map_err(io_err("cannot reopen to carry late appends over"))?;
    let mut sink = crate::mask::masker::Masker::new(BufWriter::new(&new), opts.replacement);
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

/// Raised inside a same-length pass when the file shrank or its content
/// moved (a log rotated with `copytruncate`): every offset the pass holds
/// is stale, so it stops and starts over on the new content.
#[derive(Debug)]
struct Stale;

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the file was truncated during the pass")
    }
}

impl std::error::Error for Stale {}

fn stale() -> io::Error {
    io::Error::other(Stale)
}

/// Bytes before a finding that must still be in place when it is
/// overwritten: the check that the content did not move.
const CONTEXT: usize = 32;

/// What a same-length pass knows about the file it reads and writes.
struct Watch<'f> {
    file: &'f File,
    /// The largest size seen during the pass: a smaller one means truncated.
    high_water: Cell<u64>,
    /// How far the pass has read.
    read_to: Cell<u64>,
}

impl Watch<'_> {
    /// The file's size now; fails with [`Stale`] if it shrank.
    fn size(&self) -> io::Result<u64> {
        let size = self.file.metadata()?.size();
        if size < self.high_water.get() {
            return Err(stale());
        }
        self.high_water.set(size);
        Ok(size)
    }
}

impl Read for &Watch<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.size()?;
        let n = self.file.read_at(buf, self.read_to.get())?;
        self.read_to.set(self.read_to.get() + n as u64);
        Ok(n)
    }
}

/// The sink of a same-length rewrite: `pwrite`s each replacement, after
/// checking that the file still holds what was scanned there.
struct InPlaceSink<'a> {
    watch: &'a Watch<'a>,
    replacement: &'a Replacement,
    counts: &'a mut FileCounts,
    /// The file's identity and size when the pass started.
    start: Stamp,
    /// Up to [`CONTEXT`] bytes of data just before the next finding.
    context: Vec<u8>,
    /// Findings left in place because a writer may still be adding to them.
    held_back: u64,
}

/// Whether a finding that ends where the file ends may be the head of a
/// longer value still being written: all but a checksum-valid scannable
/// token, whose length is fixed.
fn may_continue(f: &Finding) -> bool {
    let fixed = matches!(
        f.kind,
        Kind::UserToken | Kind::AccountToken | Kind::GlobalKey | Kind::AccessServiceSecret
    );
    !(fixed && f.confidence == Confidence::High)
}

impl InPlaceSink<'_> {
    /// Whether another process is adding to the file: its size changed
    /// during the pass (the pass's own writes keep it), or someone holds it
    /// open for writing.
    fn is_live(&self, size: u64) -> bool {
        size != self.start.size || find_writer(self.start.dev, self.start.ino).is_some()
    }
}

impl Sink for InPlaceSink<'_> {
    fn data(&mut self, bytes: &[u8]) -> io::Result<()> {
        let keep = bytes.len().min(CONTEXT);
        let drop = (self.context.len() + keep).saturating_sub(CONTEXT);
        self.context.drain(..drop);
        self.context.extend_from_slice(&bytes[bytes.len() - keep..]);
        Ok(())
    }

    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        let context = std::mem::take(&mut self.context);
        // Never write past the end, nor where the content has moved.
        let size = self.watch.size()?;
        if f.end() > size {
            return Err(stale());
        }
        let mut on_disk = vec![0u8; context.len()];
        self.watch
            .file
            .read_exact_at(&mut on_disk, f.offset - context.len() as u64)?;
        if on_disk != context {
            return Err(stale());
        }
        // A value cut off by the end of what was read, in a file being
        // written: masking its head would hide its tail from every later
        // scan. Leave it for the next pass.
        if f.end() == self.watch.read_to.get() && may_continue(f) && self.is_live(size) {
            self.held_back += 1;
            return Ok(());
        }
        self.watch
            .file
            .write_all_at(&self.replacement.same_length(f.length), f.offset)?;
        self.counts.add(f);
        Ok(())
    }
}

/// How a same-length pass ended.
enum Pass {
    /// Read to the end; this many findings at the end were left in place.
    Done { held_back: u64 },
    /// The file was truncated: start over.
    Truncated,
}

/// One pass over `file`, overwriting every finding it can.
fn same_length_pass(
    file: &File,
    counts: &mut FileCounts,
    opts: RewriteOptions,
) -> Result<Pass, RewriteError> {
    let meta = file.metadata().map_err(io_err("cannot stat"))?;
    let watch = Watch {
        file,
        high_water: Cell::new(meta.size()),
        read_to: Cell::new(0),
    };
    let mut sink = InPlaceSink {
        watch: &watch,
        replacement: opts.replacement,
        counts,
        start: Stamp::of(&meta),
        context: Vec::new(),
        held_back: 0,
    };
    match StreamScanner::new(opts.detector, true).scan_reader(&mut &watch, &mut sink) {
        Ok(_) => Ok(Pass::Done {
            held_back: sink.held_back,
        }),
        Err(e) if e.get_ref().is_some_and(|inner| inner.is::<Stale>()) => Ok(Pass::Truncated),
        Err(e) => Err(RewriteError::Io("cannot overwrite in place", e)),
    }
}

/// Redacts `path` in its own inode with same-length replacements.
pub fn redact_same_length(path: &Path, opts: RewriteOptions) -> Result<Outcome, RewriteError> {
    // Look before touching: a read-only file without findings is simply clean.
    let Located { dir, name } = locate(path, opts.roots, opts.follow)?;
    let (reader, meta) = dir.open_file(&name, false).map_err(open_error)?;
    let first = count_remaining(&reader, opts.detector).map_err(io_err("cannot read"))?;
    if first.total() == 0 {
        return Ok(Outcome {
            counts: first,
            method: Method::Untouched,
            carried_over: 0,
        });
    }
    check_writable(&meta)?;
    let (file, again) = match dir.open_file(&name, true) {
        Err(OpenError::Io(e)) if e.kind() == io::ErrorKind::PermissionDenied => {
            return Err(RewriteError::ReadOnly(meta.mode() & 0o7777))
        }
        other => other.map_err(open_error)?,
    };
    if (again.dev(), again.ino()) != (meta.dev(), meta.ino()) {
        return Err(RewriteError::KeptChanging);
    }
    let mut counts = FileCounts::default();
    // A live log may gain new credentials, finish one, or be truncated
    // while this runs: go over it again until a pass leaves nothing behind.
    let mut last = RewriteError::StillGaining;
    for _ in 0..ATTEMPTS {
        let held_back = match same_length_pass(&file, &mut counts, opts)? {
            Pass::Truncated => {
                last = RewriteError::Truncated;
                continue;
            }
            Pass::Done { held_back } => held_back,
        };
        file.sync_data().map_err(io_err("cannot sync"))?;
        let remaining = count_remaining(&file, opts.detector).map_err(io_err("cannot re-read"))?;
        if remaining.total() == 0 {
            return Ok(Outcome {
                counts,
                method: Method::SameLength,
                carried_over: 0,
            });
        }
        last = if held_back > 0 {
            RewriteError::IncompleteAtEnd
        } else {
            RewriteError::StillGaining
        };
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::counts::DEFAULT_REPLACEMENT;
    use crate::core::secrets::KnownSecrets;
    use crate::fake::FakeGen;

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
        let r = Replacement::new(DEFAULT_REPLACEMENT, &det).unwrap();
        let live = LiveWriters::default();
        let roots = Roots::default();
        let opts = RewriteOptions {
            detector: &det,
            replacement: &r,
            follow: false,
            roots: &roots,
            live_writers: &live,
        };
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
        let r = Replacement::new(DEFAULT_REPLACEMENT, &det).unwrap();
        let live = LiveWriters::default();
        let roots = Roots::default();
        let opts = RewriteOptions {
            detector: &det,
            replacement: &r,
            follow: false,
            roots: &roots,
            live_writers: &live,
        };
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
        let r = Replacement::new(DEFAULT_REPLACEMENT, &det).unwrap();
        let live = LiveWriters::default();
        let roots = Roots::default();
        let opts = RewriteOptions {
            detector: &det,
            replacement: &r,
            follow: false,
            roots: &roots,
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
        let roots = Roots::default();
        let opts = RewriteOptions {
            detector: &det,
            replacement: &r,
            follow: false,
            roots: &roots,
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
        crate::mask::sanitize::assert_same("same-length file", after.as_bytes(), &expected);
        assert!(after.starts_with("a [REDACTED_CF_TOKEN]****"));
    }
}
