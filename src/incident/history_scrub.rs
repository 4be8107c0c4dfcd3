//! Redacting one shell or REPL history, and looking into a credential
//! store: the method [`crate::rewrite::method`] chooses for each history
//! (atuin's SQLite database goes through SQLite, its `-wal` and `-journal`
//! with it; a history a shell holds open is rewritten in place), and the
//! words that say what happened. `cfscrub history` and the history fuzz
//! target both start here.

use super::history::HistoryFile;
use crate::core::counts::FileCounts;
use crate::core::detect::Detector;
use crate::core::sniff::Opaque;
use crate::core::stream::{Flow, StreamScanner};
use crate::rewrite::method::{self, Plan, Request};
use crate::rewrite::{count_remaining, Method, RewriteError, RewriteOptions};
use crate::source::container::{self, Limits, Visit};
use crate::source::head::Head;
use crate::source::open::{open_regular, OpenError};
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// A history redacted (or surveyed, on a dry run).
#[derive(Debug)]
pub struct Scrubbed {
    /// What was (or would be) replaced.
    pub counts: FileCounts,
    /// How, in words: `redacted`, `would be redacted`,
    /// `redacted in place (same length)`, ...
    pub how: &'static str,
}

/// Why a history or a credential store was left as it was; its text is
/// what to print after the file's name (masked by the caller).
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// Not a regular file (a link, a FIFO, ...).
    #[error("is a {0}: not touched")]
    NotRegular(&'static str),
    /// Content cfscrub does not see through.
    #[error("not inspected ({}): left untouched", .0.name())]
    NotInspected(Opaque),
    /// The rewrite refused or failed.
    #[error(transparent)]
    Rewrite(RewriteError),
    /// The file could not be opened.
    #[error(transparent)]
    Open(io::Error),
}

impl From<RewriteError> for HistoryError {
    fn from(e: RewriteError) -> HistoryError {
        match e {
            RewriteError::NotRegular(what) => HistoryError::NotRegular(what),
            e => HistoryError::Rewrite(e),
        }
    }
}

impl From<OpenError> for HistoryError {
    fn from(e: OpenError) -> HistoryError {
        match e {
            OpenError::NotRegular(what) => HistoryError::NotRegular(what),
            OpenError::Io(e) => HistoryError::Open(e),
        }
    }
}

/// Redacts one history (on a `dry_run`, counts what would be).
pub fn scrub(
    file: &HistoryFile,
    opts: RewriteOptions,
    dry_run: bool,
) -> Result<Scrubbed, HistoryError> {
    let request = Request {
        same_length: file.same_length,
        binary_rename: false,
        // A shell holding its history open: keep its descriptor valid.
        in_place_when_held: true,
    };
    let done = |counts, how| Ok(Scrubbed { counts, how });
    let plan = method::plan_for(&file.path, false, request)?;
    if dry_run {
        return match method::survey(&file.path, plan, false, request, opts.detector)? {
            (Plan::Leave(opaque), ..) => Err(HistoryError::NotInspected(opaque)),
            (_, c, _) => done(c, "would be redacted"),
        };
    }
    match method::apply(&file.path, plan, request, opts)? {
        (Plan::Leave(opaque), _) => Err(HistoryError::NotInspected(opaque)),
        (Plan::Sqlite, o) if o.method == Method::SameLength => {
            done(o.counts, "redacted in place (same length, through SQLite)")
        }
        (_, o) if o.method == Method::SameLength => {
            done(o.counts, "redacted in place (same length)")
        }
        (_, o) => done(o.counts, "redacted"),
    }
}

/// A credential store (`.env`, `.dev.vars`): its permission bits and how
/// many credentials it holds.
#[derive(Debug, Clone, Copy)]
pub struct Store {
    /// Permission bits (`0o600`).
    pub mode: u32,
    /// Credentials inside (0 when it could not be read through).
    pub found: u64,
}

/// Counts the credentials in every stream of a file (through compression
/// and archives, as `scan` reads it).
struct Counting<'d> {
    detector: &'d Detector,
    counts: FileCounts,
}

impl Visit for Counting<'_> {
    fn stream(&mut self, _: &[String], head: &Head, rest: &mut dyn Read) -> io::Result<Flow> {
        let mut scanner = StreamScanner::new(self.detector, true);
        head.scan_with_rest(&mut scanner, &mut &mut *rest, &mut self.counts)
    }

    fn not_inspected(&mut self, _: &[String], _: &str) {}

    fn member_name(&mut self, _: &[String], name: &[u8]) -> io::Result<Flow> {
        let mut scanner = StreamScanner::new(self.detector, true);
        scanner.finish_with(name, &mut self.counts)
    }
}

/// Looks into a credential store without following a link (a compressed
/// one decompressed, as `scan` reads it).
pub fn inspect_store(path: &Path, detector: &Detector) -> Result<Store, HistoryError> {
    let (mut file, meta) = open_regular(path, false)?;
    let mut counting = Counting {
        detector,
        counts: FileCounts::default(),
    };
    let name = path.to_string_lossy();
    let found = match container::walk(&mut file, &name, &Limits::default(), &mut counting) {
        Ok(_) => counting.counts.total(),
        Err(_) => count_remaining(&file, detector).map_or(0, |c| c.total()),
    };
    Ok(Store {
        mode: meta.mode() & 0o7777,
        found,
    })
}
