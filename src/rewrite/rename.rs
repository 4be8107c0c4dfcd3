//! The rename rewrite ([`redact_by_rename`], [`redact_binary_by_rename`]):
//! redacted bytes into a temp file beside the original, re-scanned, then
//! renamed over it; late appends to the old inode carried over. See the
//! [parent module](super) for the guarantees.

use super::{
    check_writable, count_remaining, io_err, open_to_replace, Method, Outcome, ReadAt,
    RewriteError, RewriteOptions, Stamp, ATTEMPTS,
};
use crate::core::counts::{FileCounts, Replacement};
use crate::core::detect::Detector;
use crate::core::finding::Finding;
use crate::core::stream::{Flow, Sink, StreamScanner};
use crate::rewrite::file_meta::{FileMeta, MetaError};
use crate::rewrite::live_writers::{find_writer, LeaseAttempt, WriteLease};
use crate::source::beneath::{Dir, Located, TempFile};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Data before the first finding kept in memory before giving up on a
/// single pass (a later finding then costs a second read).
pub const BUFFER_BEFORE_TEMP: usize = 8 << 20;
/// How often the old inode is checked for late appends after a rename.
const SETTLE_CHECKS: usize = 5;
/// The pause between two of those checks.
const SETTLE_PAUSE: std::time::Duration = std::time::Duration::from_millis(2);

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
    /// Stop with [`Stopped::Binary`] at the first NUL byte.
    refuse_nul: bool,
    /// Why the sink stopped the scan, if it did.
    stopped: Option<Stopped>,
}

/// Why a [`RenameSink`] stopped its scan.
enum Stopped {
    /// A NUL byte in a text-only rewrite.
    Binary,
    /// A finding after the sink gave up buffering: the rewrite starts
    /// over from the beginning with a temp file.
    Restart,
    /// The temp file could not be started.
    Failed(RewriteError),
}

impl RenameSink<'_> {
    /// Creates the temp file and gives it the original's owner, attributes,
    /// ACL and mode before the first byte is written to it.
    fn start_temp(&mut self, prefix: &[u8]) -> Result<(), RewriteError> {
        let meta_err = |e: MetaError| RewriteError::Io(e.what, e.error);
        let kept = FileMeta::read(self.original.0, self.original.1).map_err(meta_err)?;
        let temp = self
            .dir
            .create_temp()
            .map_err(io_err("cannot create a temp file"))?;
        kept.apply_before_write(temp.file()).map_err(meta_err)?;
        let mut w = BufWriter::with_capacity(256 * 1024, temp);
        w.write_all(prefix)
            .map_err(io_err("cannot write the temp file"))?;
        self.target = Target::Writing(w, kept);
        Ok(())
    }

    /// Scans the original from its start into this sink. `Ok(true)`: a
    /// finding came after the in-memory window; start a temp file and
    /// scan again (a sink writing one never asks).
    fn scan(&mut self, detector: &Detector) -> Result<bool, RewriteError> {
        let mut reader = ReadAt {
            file: self.original.0,
            pos: 0,
        };
        let scanned = StreamScanner::new(detector, true).scan_reader(&mut reader, self);
        match (scanned, self.stopped.take()) {
            (Ok(_), None) => Ok(false),
            (Ok(_), Some(Stopped::Restart)) => Ok(true),
            // Dropping the sink removes the temp file, if one was started.
            (Ok(_), Some(Stopped::Binary)) => Err(RewriteError::Binary),
            (Ok(_), Some(Stopped::Failed(e))) => Err(e),
            (Err(e), _) => {
                let doing = if matches!(self.target, Target::Writing(..)) {
                    "cannot write the temp file"
                } else {
                    "cannot read"
                };
                Err(RewriteError::Io(doing, e))
            }
        }
    }

    fn stop(&mut self, why: Stopped) -> io::Result<Flow> {
        self.stopped = Some(why);
        Ok(Flow::Stop)
    }
}

impl Sink for RenameSink<'_> {
    fn data(&mut self, bytes: &[u8]) -> io::Result<Flow> {
        if self.refuse_nul && crate::core::sniff::has_nul(bytes) {
            return self.stop(Stopped::Binary);
        }
        match &mut self.target {
            Target::Writing(w, _) => w.write_all(bytes)?,
            Target::Buffering(buf) if buf.len() + bytes.len() <= BUFFER_BEFORE_TEMP => {
                buf.extend_from_slice(bytes);
            }
            Target::Buffering(_) => self.target = Target::ScanOnly,
            Target::ScanOnly => {}
        }
        Ok(Flow::Continue)
    }

    fn finding(&mut self, f: &Finding) -> io::Result<Flow> {
        self.counts.add(f);
        match &mut self.target {
            Target::ScanOnly => return self.stop(Stopped::Restart),
            Target::Buffering(buf) => {
                let prefix = std::mem::take(buf);
                if let Err(e) = self.start_temp(&prefix) {
                    return self.stop(Stopped::Failed(e));
                }
            }
            Target::Writing(..) => {}
        }
        let Target::Writing(w, _) = &mut self.target else {
            unreachable!("a temp file was just started")
        };
        w.write_all(self.replacement.text())?;
        Ok(Flow::Continue)
    }
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
    let (at, file, meta) = open_to_replace(path, &opts)?;
    let before = Stamp::of(&meta);
    let mut sink = RenameSink {
        target: Target::Buffering(Vec::new()),
        dir: &at.dir,
        original: (&file, &meta),
        replacement: opts.replacement,
        counts: FileCounts::default(),
        refuse_nul,
        stopped: None,
    };
    if sink.scan(opts.detector)? {
        // A finding past the in-memory window: write from the start.
        sink.counts = FileCounts::default();
        sink.start_temp(&[])?;
        let restarted = sink.scan(opts.detector)?;
        debug_assert!(!restarted, "a sink writing a temp file never restarts");
    }
    let counts = sink.counts;
    let Target::Writing(writer, kept) = sink.target else {
        return Ok(Outcome {
            counts,
            method: Method::Untouched,
            carried_over: 0,
            inside: Default::default(),
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
    if opts.keep_mtime {
        // Late appends carried over below are new content: they update it.
        super::restore_times(fd, &meta)?;
    }
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
        inside: Default::default(),
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
        .and_then(|_| new.sync_all())
        .map_err(io_err("cannot carry late appends over"))
}
