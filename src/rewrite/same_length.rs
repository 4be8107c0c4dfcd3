//! The same-length rewrite ([`redact_same_length`]): each finding
//! overwritten in the same inode by a replacement of exactly its length,
//! pass after pass until none remains. See the [parent module](super) for
//! the guarantees.
//!
//! Each replacement is written after checking that the file is still long
//! enough and still holds, just before the finding, the bytes scanned
//! there. Another process may cut the file (logrotate's `copytruncate`)
//! between that check and the write; a `pwrite` would then extend the file
//! with a hole of NULs up to the old offset — data that was never there.
//! So the replacement is stored through a shared mapping of its pages
//! ([`Stores`], one per pass): the kernel never changes a file's size for a store
//! into a mapping, and a page the file no longer reaches fails the copy.
//! Why this and not the alternatives:
//!
//! * a write lease (`F_SETLEASE`) is only granted when no other process
//!   has the file open — never for a live log, the case this is for;
//! * detecting the growth after a `pwrite` and truncating back races an
//!   appender that writes after our hole: its bytes would be cut off or
//!   the hole kept;
//! * a store to the mapping from this process would raise `SIGBUS` on a
//!   page past the end, which Rust cannot recover from safely; the
//!   kernel's copy returns `EFAULT` instead.
//!
//! What remains possible: a writer that cuts the file *and* writes past
//! the finding's offset again inside that window (microseconds) gets the
//! replacement over its own new bytes. The file never grows nor gains
//! NULs, and the pass starts over as soon as it sees the cut.
//!
//! Long because of its unit tests (the race's test seam among them),
//! which sit beside the code they test.

use super::{
    check_writable, count_remaining, io_err, open_error, Method, Outcome, RewriteError,
    RewriteOptions, Stamp, ATTEMPTS,
};
use crate::core::counts::{FileCounts, Replacement};
use crate::core::finding::Finding;
use crate::core::rules::{Confidence, Kind};
use crate::core::stream::{Flow, Sink, StreamScanner};
use crate::rewrite::live_writers::find_writer;
use crate::source::beneath::{locate, Located};
use crate::source::open::OpenError;
use crate::sys::Stores;
use std::cell::Cell;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;

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
    /// The file shrank or its content moved (a log rotated with
    /// `copytruncate`): every offset the pass holds is stale, so it stops
    /// and starts over on the new content.
    stale: Cell<bool>,
}

impl Watch<'_> {
    /// The file's size now; marks the pass [stale](Watch::stale) if it shrank.
    fn size(&self) -> io::Result<u64> {
        let size = self.file.metadata()?.size();
        if size < self.high_water.get() {
            self.stale.set(true);
        }
        self.high_water.set(size.max(self.high_water.get()));
        Ok(size)
    }
}

/// Reads the file on, and ends early once the pass is stale.
impl Read for &Watch<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.size()?;
        if self.stale.get() {
            return Ok(0);
        }
        let n = self.file.read_at(buf, self.read_to.get())?;
        self.read_to.set(self.read_to.get() + n as u64);
        Ok(n)
    }
}

/// The sink of a same-length rewrite: stores each replacement, after
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
    /// Where the replacements are stored: one mapping for the pass.
    stores: Stores<'a>,
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
    fn data(&mut self, bytes: &[u8]) -> io::Result<Flow> {
        let keep = bytes.len().min(CONTEXT);
        let drop = (self.context.len() + keep).saturating_sub(CONTEXT);
        self.context.drain(..drop);
        self.context.extend_from_slice(&bytes[bytes.len() - keep..]);
        Ok(Flow::Continue)
    }

    /// Stops once the pass is stale.
    fn finding(&mut self, f: &Finding) -> io::Result<Flow> {
        let context = std::mem::take(&mut self.context);
        // Never write past the end, nor where the content has moved.
        let size = self.watch.size()?;
        if self.watch.stale.get() || f.end() > size {
            self.watch.stale.set(true);
            return Ok(Flow::Stop);
        }
        #[cfg(test)]
        seam::pause(seam::Pause::BeforeContext);
        let mut on_disk = vec![0u8; context.len()];
        let back = f.offset - context.len() as u64;
        match self.watch.file.read_exact_at(&mut on_disk, back) {
            // Cut since the size was taken: stale like any other shrink.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => on_disk.clear(),
            other => other?,
        }
        if on_disk != context {
            self.watch.stale.set(true);
            return Ok(Flow::Stop);
        }
        // A value cut off by the end of what was read, in a file being
        // written: masking its head would hide its tail from every later
        // scan. Leave it for the next pass.
        if f.end() == self.watch.read_to.get() && may_continue(f) && self.is_live(size) {
            self.held_back += 1;
            return Ok(Flow::Continue);
        }
        #[cfg(test)]
        seam::pause(seam::Pause::BeforeWrite);
        // Through a mapping: a file cut meanwhile is never extended.
        let replacement = self.replacement.same_length(f.length);
        let landed = self.stores.store(f.offset, &replacement)?;
        if landed < replacement.len() || self.watch.size()? < f.end() {
            self.watch.stale.set(true);
            return Ok(Flow::Stop);
        }
        self.counts.add(f);
        Ok(Flow::Continue)
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
        stale: Cell::new(false),
    };
    let mut sink = InPlaceSink {
        watch: &watch,
        replacement: opts.replacement,
        counts,
        start: Stamp::of(&meta),
        context: Vec::new(),
        held_back: 0,
        stores: Stores::new(watch.file),
    };
    match StreamScanner::new(opts.detector, true).scan_reader(&mut &watch, &mut sink) {
        Ok(_) if watch.stale.get() => Ok(Pass::Truncated),
        Ok(_) => Ok(Pass::Done {
            held_back: sink.held_back,
        }),
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
            inside: Default::default(),
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
            if opts.keep_mtime {
                super::restore_times(&file, &meta)?;
            }
            return Ok(Outcome {
                counts,
                method: Method::SameLength,
                carried_over: 0,
                inside: Default::default(),
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

/// Pauses in the handling of a finding, compiled only for the unit
/// tests: they change the file in exactly that window, every run.
#[cfg(test)]
mod seam {
    use std::cell::RefCell;

    /// Where a finding's handling pauses.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Pause {
        /// After the size check, before the bytes before it are read back.
        BeforeContext,
        /// After every check, before the replacement is written.
        BeforeWrite,
    }

    type Hook = Box<dyn FnMut(Pause)>;

    thread_local! {
        static HOOK: RefCell<Option<Hook>> = RefCell::new(None);
    }

    /// Runs `hook` at every pause on this thread from now on.
    pub fn set(hook: impl FnMut(Pause) + 'static) {
        HOOK.with(|h| *h.borrow_mut() = Some(Box::new(hook)));
    }

    pub fn pause(at: Pause) {
        HOOK.with(|h| {
            if let Some(hook) = h.borrow_mut().as_mut() {
                hook(at);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::counts::DEFAULT_REPLACEMENT;
    use crate::core::detect::Detector;
    use crate::core::secrets::KnownSecrets;
    use crate::fake::FakeGen;
    use crate::rewrite::live_writers::LiveWriters;
    use crate::source::beneath::Roots;
    use std::io::Write;

    /// A log with a token on its first line and one far past its first
    /// pages, and what a daemon writes after `copytruncate`.
    fn rotated_log(dir: &Path) -> (std::path::PathBuf, Vec<u8>, String) {
        let mut g = FakeGen::new(31);
        let mut old = format!("x {}\n", g.scannable("cfut_", true)).into_bytes();
        while old.len() < 256 << 10 {
            old.extend_from_slice(b"2024-05-01T12:00:00Z step ok\n");
        }
        old.extend(format!("y {}\n", g.scannable("cfat_", true)).bytes());
        let path = dir.join("app.log");
        std::fs::write(&path, &old).unwrap();
        (path, old, "rotated\n".repeat(4))
    }

    /// Truncates the log and writes `new` at the `nth` pause `at` (1-based).
    fn truncate_at_pause(path: &Path, at: seam::Pause, nth: usize, new: &str) {
        let mut daemon = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        let new = new.to_owned();
        let mut seen = 0;
        seam::set(move |pause| {
            seen += usize::from(pause == at);
            if pause == at && seen == nth {
                daemon.set_len(0).unwrap();
                daemon.write_all(new.as_bytes()).unwrap();
            }
        });
    }

    fn redact(path: &Path) -> Result<Outcome, RewriteError> {
        let det = Detector::new(&KnownSecrets::new());
        let r = Replacement::new(DEFAULT_REPLACEMENT, &det).unwrap();
        let (live, roots) = (LiveWriters::default(), Roots::default());
        let opts = RewriteOptions {
            detector: &det,
            replacement: &r,
            follow: false,
            roots: &roots,
            live_writers: &live,
            keep_mtime: false,
        };
        redact_same_length(path, opts)
    }

    /// Redacts the log cut at the `nth` pause `at`: the run starts over
    /// on the new content, which it leaves whole and unchanged.
    fn assert_restarts_when_cut_at(at: seam::Pause, nth: usize) {
        let dir = tempfile::tempdir().unwrap();
        let (path, old, new) = rotated_log(dir.path());
        truncate_at_pause(&path, at, nth, &new);
        let result = redact(&path);
        let after = std::fs::read(&path).unwrap();
        assert!(
            after == new.as_bytes(),
            "cut at {at:?} #{nth}: {} bytes after a pass over a {}-byte file (was {}){}: {:?}",
            after.len(),
            new.len(),
            old.len(),
            if after.contains(&0) {
                ", with NUL holes"
            } else {
                ""
            },
            result.map(|o| o.counts.total())
        );
        assert_eq!(
            result.unwrap().method,
            Method::SameLength,
            "cut at {at:?} #{nth}"
        );
    }

    #[test]
    fn a_log_truncated_between_the_check_and_the_write_is_never_extended() {
        // The first finding is written; the file is cut just before the
        // second, whose offset is now far past the end.
        assert_restarts_when_cut_at(seam::Pause::BeforeWrite, 2);
    }

    #[test]
    fn a_log_truncated_before_the_context_is_read_back_is_gone_over_again() {
        assert_restarts_when_cut_at(seam::Pause::BeforeContext, 2);
    }
}
