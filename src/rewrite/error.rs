//! Why a file was not (fully) rewritten: [`RewriteError`], and the
//! content a rewrite does not change ([`Unsupported`]). Messages name
//! places and kinds, never file content; paths inside them are masked at
//! the edge, where they are printed.

use super::archive::Refused;
use super::live_writers::Writer;
use super::sqlite::Integrity;
use crate::core::sniff::Opaque;
use crate::source::beneath::LocateError;
use crate::source::container::Undecodable;
use crate::source::open::OpenError;
use std::io;

/// Why a file was not (fully) redacted. Messages never hold file content.
#[derive(Debug, thiserror::Error)]
pub enum RewriteError {
    /// Not a regular file: skipped.
    #[error("skipped {0}")]
    NotRegular(&'static str),
    /// Hard-linked and not in same-length mode.
    #[error(
        "has {0} hard links: a rename would leave the other names holding the secret; \
         not rewritten (use --same-length to overwrite it in place)"
    )]
    HardLinked(u64),
    /// Mode without any write bit.
    #[error("read-only (mode {0:04o}): not rewritten (make it writable first if you mean to)")]
    ReadOnly(u32),
    /// The file kept changing while it was rewritten.
    #[error(
        "kept changing while being rewritten (a live log?): not rewritten; \
         use --same-length, which keeps appending writers intact"
    )]
    KeptChanging,
    /// Another process holds the file open for writing.
    #[error(
        "is open for writing by process {} ({}): a rename would lose its next writes; \
         not rewritten (use --same-length, which keeps writers intact)",
        .0.pid, .0.name
    )]
    LiveWriter(Writer),
    /// Another process opened the file for writing at the instant of the
    /// rename: it now writes to the replaced file.
    #[error(
        "was opened for writing by process {} ({}) at the instant it was renamed: \
         that process now writes to the replaced file (restart it so that it reopens \
         the file; for files that are being written, use --same-length)",
        .0.pid, .0.name
    )]
    WriterDuringRename(Writer),
    /// The path no longer leads to a file beneath its root (a directory on
    /// the way swapped for a link, or a followed link leading outside).
    #[error("{0}: not rewritten")]
    Escape(LocateError),
    /// The re-scan of the result still found credentials: nothing committed.
    #[error("{0} finding(s) would remain after rewriting: nothing was changed")]
    Remaining(u64),
    /// Same-length passes kept finding new credentials (a live log).
    #[error(
        "new credentials kept arriving while it was redacted in place (a live log): \
         redacted what was there; findings remaining — run redact again"
    )]
    StillGaining,
    /// A credential at the end of a file that is being written may still be
    /// growing: left in place (the others were redacted).
    #[error(
        "incomplete at end of file: a credential at its end is still being written; \
         left as it is, since masking its head would hide the rest from every later scan \
         (the others were redacted); run redact again once the line is complete"
    )]
    IncompleteAtEnd,
    /// Same-length passes kept being cut short by the file being truncated.
    #[error(
        "kept being truncated while it was redacted in place (log rotation?): \
         nothing was written past its end; run redact again"
    )]
    Truncated,
    /// The rename rewrite met a NUL byte: binary content, where shifting
    /// bytes would corrupt the file. Nothing was changed.
    #[error(
        "holds NUL bytes (binary content): not rewritten by rename, which would shift its bytes"
    )]
    Binary,
    /// Content this rewrite does not change, and why.
    #[error("{0}")]
    Unsupported(Unsupported),
    /// SQLite's `integrity_check` failed on the redacted pages: the
    /// transaction was rolled back.
    #[error("redacting in place would leave the database inconsistent (nothing was changed): {0}")]
    SqliteInconsistent(Integrity),
    /// SQLite reports the database as damaged before any change.
    #[error(
        "SQLite reports the database as damaged before any change (not rewritten; \
         repair it first, e.g. `sqlite3 DB .recover`): {0}"
    )]
    SqliteDamaged(Integrity),
    /// An I/O error, with what was being done.
    #[error("{0}: {1}")]
    Io(&'static str, io::Error),
}

impl RewriteError {
    /// What would get a refused file redacted, for the line that names it.
    pub fn remedy(&self) -> Option<&'static str> {
        match self {
            RewriteError::HardLinked(_)
            | RewriteError::LiveWriter(_)
            | RewriteError::KeptChanging => Some("run `cfscrub redact --same-length` on it"),
            RewriteError::ReadOnly(_) => {
                Some("make it writable (`chmod u+w`), then run redact again")
            }
            RewriteError::StillGaining
            | RewriteError::IncompleteAtEnd
            | RewriteError::Truncated => {
                Some("run redact again (with --same-length) once the writer is done")
            }
            RewriteError::WriterDuringRename(_) => {
                Some("restart the writer, then run `cfscrub redact --same-length` on it")
            }
            RewriteError::Escape(_) => Some("give redact the path it really leads to"),
            RewriteError::NotRegular(_)
            | RewriteError::Remaining(_)
            | RewriteError::Binary
            | RewriteError::Unsupported(_)
            | RewriteError::SqliteInconsistent(_)
            | RewriteError::SqliteDamaged(_)
            | RewriteError::Io(..) => None,
        }
    }
}

pub(super) fn io_err(doing: &'static str) -> impl FnOnce(io::Error) -> RewriteError {
    move |e| RewriteError::Io(doing, e)
}

/// Content a rewrite does not change, and why. The file is left as it is.
#[derive(Debug, thiserror::Error)]
pub enum Unsupported {
    /// `--same-length` asked for a container, whose bytes on disk are not
    /// its text.
    #[error(
        "--same-length cannot rewrite {} content in place (the bytes on disk are not its text); \
         not rewritten: run redact without --same-length to recompress it",
        .0.name()
    )]
    SameLengthContainer(Opaque),
    /// Content inside a container that redact does not rewrite.
    #[error("{0}: not rewritten")]
    Refused(Refused),
    /// A layer of a container that does not decode (truncated, corrupt,
    /// over a limit) on the way to a finding.
    #[error("{}: not rewritten", undecodable(.0))]
    Undecodable(Undecodable),
    /// The rewritten container does not read back as the original did.
    #[error("the rewritten file does not read back as the original did: not rewritten")]
    ReadsDifferently,
}

/// An undecodable layer's reason, with its place when it is inside the
/// file (`gzip: truncated (in a.tar!b.gz)`).
fn undecodable(u: &Undecodable) -> String {
    if u.place.len() > 1 {
        format!("{} (in {})", u.reason, u.place.join("!"))
    } else {
        u.reason.clone()
    }
}

impl From<Unsupported> for RewriteError {
    fn from(u: Unsupported) -> RewriteError {
        RewriteError::Unsupported(u)
    }
}

pub(super) fn open_error(e: OpenError) -> RewriteError {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_undecodable_layer_inside_the_file_is_named() {
        let at = |place: &[&str]| {
            Unsupported::Undecodable(Undecodable {
                place: place.iter().map(|p| p.to_string()).collect(),
                reason: "gzip: truncated".into(),
            })
            .to_string()
        };
        assert_eq!(at(&["a.gz"]), "gzip: truncated: not rewritten");
        assert_eq!(
            at(&["a.tar", "b.gz"]),
            "gzip: truncated (in a.tar!b.gz): not rewritten"
        );
    }

    #[test]
    fn refusals_keep_their_wording() {
        let e = RewriteError::from(Unsupported::Refused(Refused::ZipOverlap));
        assert_eq!(e.to_string(), "zip: overlapping members: not rewritten");
        let e = RewriteError::from(Unsupported::SameLengthContainer(Opaque::Gzip));
        assert!(e
            .to_string()
            .starts_with("--same-length cannot rewrite gzip content"));
    }
}
