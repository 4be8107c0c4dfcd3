//! Which rewrite a file gets — decided in one place, on content, never on
//! the file's name — and carrying it out.
//!
//! `redact`, `redact --dry-run` and `history` all go through [`choose`]:
//!
//! * text is rewritten by rename ([`crate::rewrite::redact_by_rename`]):
//!   the replacement may be shorter or longer than the credential;
//! * binary content — a known binary magic ([`sniff::classify`]) or a NUL
//!   byte anywhere — only ever gets same-length replacements, since a
//!   shifted byte moves every offset after it (`--binary-rename` asks for
//!   the rename anyway); a PNG also gets the CRCs of the chunks it changed
//!   recomputed ([`crate::rewrite::png`]);
//! * an SQLite database goes through SQLite ([`crate::rewrite::sqlite`]), and its
//!   `-wal` and `-journal` files (binary files named after a database
//!   beside them) through their database, never on their own;
//! * a container — a compressed file (gzip, zstd, bzip2, xz), a tar (also
//!   compressed), a zip, UTF-16 text, nested in one another — is rewritten
//!   layer by layer, recompressed and re-encoded in its own formats
//!   ([`crate::rewrite::archive`]); `--same-length` cannot apply to it and
//!   refuses it;
//! * other opaque content (7z, git packs, lzma and zlib streams) is left
//!   untouched: `redact` does not rewrite it, so it cannot call it clean
//!   either.
//!
//! The head tells most of it; a NUL byte can still come later. The rename
//! rewrite watches for one, abandons its temp file (which only ever held
//! redacted bytes), and [`apply`] redoes the file with same-length
//! replacements; the dry run ([`survey`]) watches the same way.
//!
//! Long because of its unit tests, which sit beside the code they test.

use crate::core::counts::FileCounts;
use crate::core::detect::Detector;
use crate::core::finding::Finding;
use crate::core::sniff::{self, Binary, Content, Opaque};
use crate::core::stream::{Flow, Sink, StreamScanner};
use crate::mask::sanitize::display_path;
use crate::rewrite::archive::Inside;
use crate::rewrite::{
    redact_binary_by_rename, redact_by_rename, redact_same_length, Method, Outcome, RewriteError,
    RewriteOptions,
};
use crate::source::open::{open_regular, open_with, OpenError};
use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

/// What the command line (or the command) asks for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Request {
    /// `--same-length`: text too is overwritten in place.
    pub same_length: bool,
    /// `--binary-rename`: binary files too are rewritten by rename
    /// (offsets inside them shift: see the README).
    pub binary_rename: bool,
    /// A text file another process writes to, or with several hard links,
    /// is overwritten in place instead of refused (`history`: a shell
    /// holding its history open).
    pub in_place_when_held: bool,
}

/// How a file is (to be) redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Temp file and rename.
    Rename(Why),
    /// Same-length replacements in the same inode.
    SameLength(Why),
    /// An SQLite database, page by page through SQLite (same length).
    Sqlite,
    /// An SQLite `-wal` or `-journal` file: redacted through its database.
    ThroughDatabase(PathBuf),
    /// A container (compressed, archive, UTF-16): rewritten layer by
    /// layer into a temp file, renamed.
    Container(Opaque),
    /// `--same-length` on compressed content: refused (its bytes on disk
    /// are not its text).
    RefuseSameLength(Opaque),
    /// Content redact cannot see through: not inspected, left untouched.
    Leave(Opaque),
}

/// Why a file gets its method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// Text: the default.
    Text,
    /// The user asked (`--same-length`, `--binary-rename`).
    Requested,
    /// Binary content of this kind.
    Binary(Binary),
    /// Another process holds the file open for writing.
    OpenForWriting,
    /// The file has several hard links.
    HardLinked,
}

impl Plan {
    /// `rename`, `same-length`, or `none` (left untouched): the JSON
    /// `"method"`.
    pub fn method(&self) -> &'static str {
        match self {
            Plan::Rename(_) | Plan::Container(_) => "rename",
            Plan::SameLength(_) | Plan::Sqlite | Plan::ThroughDatabase(_) => "same-length",
            Plan::Leave(_) | Plan::RefuseSameLength(_) => "none",
        }
    }

    /// Why: the JSON `"reason"` (`text`, `requested`, `binary`, `sqlite`,
    /// `open-for-writing`, `hard-linked`, `compressed`, `archive`,
    /// `utf-16`, `not-inspected`).
    pub fn reason(&self) -> &'static str {
        match self {
            Plan::Rename(why) | Plan::SameLength(why) => match why {
                Why::Text => "text",
                Why::Requested => "requested",
                Why::Binary(_) => "binary",
                Why::OpenForWriting => "open-for-writing",
                Why::HardLinked => "hard-linked",
            },
            Plan::Sqlite | Plan::ThroughDatabase(_) => "sqlite",
            Plan::Container(o) | Plan::RefuseSameLength(o) => container_reason(*o),
            Plan::Leave(_) => "not-inspected",
        }
    }

    /// The content format behind the choice (`png`, `sqlite`, `gzip`...),
    /// when there is one.
    pub fn format(&self) -> Option<&'static str> {
        match self {
            Plan::Rename(Why::Binary(b)) | Plan::SameLength(Why::Binary(b)) => Some(b.name()),
            Plan::Sqlite | Plan::ThroughDatabase(_) => Some("sqlite"),
            Plan::Leave(o) | Plan::Container(o) | Plan::RefuseSameLength(o) => Some(o.name()),
            _ => None,
        }
    }

    /// For people: `rename`, `same-length (binary)`, `same-length
    /// (sqlite)`, `same-length (sqlite, through DB)`...
    pub fn describe(&self) -> String {
        match self {
            Plan::Rename(Why::Text) | Plan::SameLength(Why::Requested) => self.method().into(),
            Plan::Rename(_) | Plan::SameLength(_) | Plan::Sqlite => {
                format!("{} ({})", self.method(), self.reason())
            }
            Plan::ThroughDatabase(db) => {
                format!("same-length (sqlite, through {})", display_path(db))
            }
            Plan::Container(o) => format!(
                "rename ({}: {})",
                match container_reason(*o) {
                    "compressed" => "recompressed",
                    "utf-16" => "re-encoded",
                    _ => "rewritten",
                },
                o.name()
            ),
            Plan::RefuseSameLength(o) => format!("none (--same-length on {})", o.name()),
            Plan::Leave(o) => format!("none (not inspected: {})", o.name()),
        }
    }
}

/// `compressed`, `archive` or `utf-16`: what kind of container `format` is.
fn container_reason(format: Opaque) -> &'static str {
    match format {
        Opaque::Tar | Opaque::Zip => "archive",
        Opaque::Utf16Le | Opaque::Utf16Be => "utf-16",
        _ => "compressed",
    }
}

/// The decision: how a file whose content is `content` is redacted.
/// `path` locates the database of a `-wal` or `-journal` file.
pub fn choose(path: &Path, content: Content, request: Request) -> Plan {
    match content {
        Content::Opaque(o) if crate::rewrite::archive::supports(o) => {
            if request.same_length {
                Plan::RefuseSameLength(o)
            } else {
                Plan::Container(o)
            }
        }
        Content::Opaque(o) => Plan::Leave(o),
        Content::Binary(Binary::Sqlite) => Plan::Sqlite,
        Content::Binary(b) => match crate::rewrite::sqlite::database_of(path) {
            Some(db) => Plan::ThroughDatabase(db),
            // A -wal or -journal without its database is data SQLite can
            // no longer reach: same-length, like any binary file.
            None if request.binary_rename && !is_sqlite_side_file(b) => {
                Plan::Rename(Why::Requested)
            }
            None => Plan::SameLength(Why::Binary(b)),
        },
        Content::Text if request.same_length => Plan::SameLength(Why::Requested),
        Content::Text => Plan::Rename(Why::Text),
    }
}

fn is_sqlite_side_file(b: Binary) -> bool {
    matches!(b, Binary::SqliteWal | Binary::SqliteJournal)
}

/// Reads the head of `path` and [`choose`]s.
pub fn plan_for(path: &Path, follow: bool, request: Request) -> Result<Plan, RewriteError> {
    let (file, _) = open_regular(path, follow).map_err(open_error)?;
    let content = sniff::classify(&head(&file).map_err(io_err("cannot read"))?);
    Ok(choose(path, content, request))
}

/// The dry run of `plan` (from [`plan_for`]): the plan `path` would
/// actually get (a late NUL byte changes it) and what it would replace —
/// for an SQLite database or one of its side files, in all the database's
/// files; inside a container, where. Nothing is written; a file left
/// untouched is not read.
pub fn survey(
    path: &Path,
    plan: Plan,
    follow: bool,
    request: Request,
    detector: &Detector,
) -> Result<(Plan, FileCounts, Inside), RewriteError> {
    let replacement = &crate::mask::masker::shape_masker().1;
    let (plan, counts) = match plan {
        Plan::Leave(_) => (plan, FileCounts::default()),
        Plan::RefuseSameLength(o) => return Err(same_length_refused(o)),
        Plan::Container(_) => {
            let (counts, inside) =
                crate::rewrite::archive::count(path, follow, detector, replacement)?;
            return Ok((plan, counts, inside));
        }
        Plan::Sqlite => crate::rewrite::sqlite::count_files(path, follow, detector)
            .map(|counts| (plan, counts))
            .map_err(io_err("cannot read"))?,
        Plan::ThroughDatabase(ref db) => crate::rewrite::sqlite::count_files(db, false, detector)
            .map(|counts| (plan, counts))
            .map_err(io_err("cannot read"))?,
        _ => {
            let (mut file, _) = open_regular(path, follow).map_err(open_error)?;
            let mut sink = NulWatch::default();
            StreamScanner::new(detector, true)
                .scan_reader(&mut file, &mut sink)
                .map_err(io_err("cannot read"))?;
            let plan = match plan {
                Plan::Rename(Why::Text) if sink.nul => {
                    choose(path, Content::Binary(Binary::Other), request)
                }
                plan => plan,
            };
            (plan, sink.counts)
        }
    };
    Ok((plan, counts, Inside::default()))
}

/// Redacts `path` as `plan` says; returns the plan actually followed (a
/// late NUL byte or a held file changes it) and the outcome.
pub fn apply(
    path: &Path,
    plan: Plan,
    request: Request,
    opts: RewriteOptions,
) -> Result<(Plan, Outcome), RewriteError> {
    let outcome = match &plan {
        Plan::Leave(_) => Ok(Outcome {
            counts: FileCounts::default(),
            method: Method::Untouched,
            carried_over: 0,
            inside: Default::default(),
        }),
        Plan::Sqlite => crate::rewrite::sqlite::redact(path, opts),
        Plan::ThroughDatabase(db) => crate::rewrite::sqlite::redact(db, opts),
        Plan::Container(_) => crate::rewrite::archive::redact(path, opts),
        Plan::RefuseSameLength(o) => Err(same_length_refused(*o)),
        Plan::SameLength(Why::Binary(Binary::Png)) => same_length_png(path, opts),
        Plan::SameLength(_) => redact_same_length(path, opts),
        Plan::Rename(Why::Text) => redact_by_rename(path, opts),
        Plan::Rename(_) => redact_binary_by_rename(path, opts),
    };
    let next = match (&plan, &outcome) {
        (Plan::Rename(_), Err(RewriteError::Binary)) => {
            choose(path, Content::Binary(Binary::Other), request)
        }
        (Plan::Rename(_), Err(RewriteError::LiveWriter(_))) if request.in_place_when_held => {
            Plan::SameLength(Why::OpenForWriting)
        }
        (Plan::Rename(_), Err(RewriteError::HardLinked(_))) if request.in_place_when_held => {
            Plan::SameLength(Why::HardLinked)
        }
        _ => return outcome.map(|o| (plan, o)),
    };
    apply(path, next, request, opts)
}

fn same_length_refused(format: Opaque) -> RewriteError {
    crate::rewrite::Unsupported::SameLengthContainer(format).into()
}

/// Same-length replacements in a PNG, then the CRCs of the chunks that
/// changed (and were intact before) recomputed.
fn same_length_png(path: &Path, opts: RewriteOptions) -> Result<Outcome, RewriteError> {
    let (file, before) = open_regular(path, opts.follow).map_err(open_error)?;
    let intact = crate::rewrite::png::intact_chunks(&file).map_err(io_err("cannot read"))?;
    let outcome = redact_same_length(path, opts)?;
    if outcome.method == Method::Untouched {
        return Ok(outcome);
    }
    let (file, now) = open_with(
        path,
        opts.follow,
        std::fs::OpenOptions::new().read(true).write(true),
    )
    .map_err(open_error)?;
    if (now.dev(), now.ino()) != (before.dev(), before.ino()) {
        return Err(RewriteError::KeptChanging);
    }
    crate::rewrite::png::restore_crcs(&file, &intact)
        .and_then(|_| file.sync_data())
        .map_err(io_err("cannot rewrite the PNG chunk checksums"))?;
    Ok(outcome)
}

/// The first [`sniff::HEAD_LEN`] bytes (fewer for a short file).
fn head(file: &File) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; sniff::HEAD_LEN];
    let mut len = 0;
    while len < buf.len() {
        match file.read_at(&mut buf[len..], len as u64) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(len);
    Ok(buf)
}

/// Counts findings and notices NUL bytes in the data between them.
#[derive(Default)]
struct NulWatch {
    counts: FileCounts,
    nul: bool,
}

impl Sink for NulWatch {
    fn data(&mut self, bytes: &[u8]) -> io::Result<Flow> {
        self.nul = self.nul || sniff::has_nul(bytes);
        Ok(Flow::Continue)
    }

    fn finding(&mut self, f: &Finding) -> io::Result<Flow> {
        self.counts.add(f);
        Ok(Flow::Continue)
    }
}

fn open_error(e: OpenError) -> RewriteError {
    match e {
        OpenError::NotRegular(what) => RewriteError::NotRegular(what),
        OpenError::Io(e) => RewriteError::Io("cannot open", e),
    }
}

fn io_err(doing: &'static str) -> impl FnOnce(io::Error) -> RewriteError {
    move |e| RewriteError::Io(doing, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_and_binary() -> (Content, Content) {
        (Content::Text, Content::Binary(Binary::Elf))
    }

    #[test]
    fn text_is_renamed_and_binary_kept_the_same_length() {
        let (text, elf) = text_and_binary();
        let p = Path::new("x");
        let default = Request::default();
        assert_eq!(choose(p, text, default), Plan::Rename(Why::Text));
        assert_eq!(
            choose(p, elf, default),
            Plan::SameLength(Why::Binary(Binary::Elf))
        );
        assert_eq!(
            choose(p, Content::Binary(Binary::Sqlite), default),
            Plan::Sqlite
        );
        assert_eq!(
            choose(p, Content::Opaque(Opaque::Gzip), default),
            Plan::Container(Opaque::Gzip)
        );
        assert_eq!(
            choose(p, Content::Opaque(Opaque::Tar), default),
            Plan::Container(Opaque::Tar)
        );
        assert_eq!(
            choose(p, Content::Opaque(Opaque::SevenZip), default),
            Plan::Leave(Opaque::SevenZip)
        );
    }

    #[test]
    fn requests_change_text_and_binary_but_never_sqlite_or_opaque() {
        let (text, elf) = text_and_binary();
        let p = Path::new("x");
        let same = Request {
            same_length: true,
            ..Request::default()
        };
        let rename = Request {
            binary_rename: true,
            ..Request::default()
        };
        assert_eq!(choose(p, text, same), Plan::SameLength(Why::Requested));
        assert_eq!(choose(p, elf, rename), Plan::Rename(Why::Requested));
        for request in [same, rename] {
            assert_eq!(
                choose(p, Content::Binary(Binary::Sqlite), request),
                Plan::Sqlite
            );
            assert_eq!(
                choose(p, Content::Opaque(Opaque::GitPack), request),
                Plan::Leave(Opaque::GitPack)
            );
        }
        assert_eq!(
            choose(p, Content::Opaque(Opaque::Zstd), same),
            Plan::RefuseSameLength(Opaque::Zstd)
        );
    }

    #[test]
    fn a_wal_goes_through_its_database_and_an_orphan_stays_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("h.db");
        let wal = dir.path().join("h.db-wal");
        let content = Content::Binary(Binary::SqliteWal);
        assert_eq!(
            choose(&wal, content, Request::default()),
            Plan::SameLength(Why::Binary(Binary::SqliteWal))
        );
        let mut header = b"SQLite format 3\0".to_vec();
        header.resize(100, 0);
        std::fs::write(&db, header).unwrap();
        assert_eq!(
            choose(&wal, content, Request::default()),
            Plan::ThroughDatabase(db.clone())
        );
        // A journal SQLite is done with (header zeroed) is still its.
        let journal = dir.path().join("h.db-journal");
        assert_eq!(
            choose(&journal, Content::Binary(Binary::Other), Request::default()),
            Plan::ThroughDatabase(db)
        );
    }

    #[test]
    fn plans_describe_themselves() {
        assert_eq!(Plan::Rename(Why::Text).describe(), "rename");
        assert_eq!(
            Plan::SameLength(Why::Binary(Binary::Png)).describe(),
            "same-length (binary)"
        );
        assert_eq!(Plan::Sqlite.describe(), "same-length (sqlite)");
        assert_eq!(Plan::SameLength(Why::Requested).describe(), "same-length");
        assert_eq!(
            Plan::Leave(Opaque::Gzip).describe(),
            "none (not inspected: gzip)"
        );
    }
}
