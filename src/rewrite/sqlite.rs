//! SQLite databases, redacted through SQLite itself: whatever the journal
//! mode, every committed row survives and the database stays consistent.
//!
//! A database is up to three files, and none may be changed as plain bytes:
//!
//! * the `-wal` file's frames carry chained checksums: a changed byte makes
//!   SQLite drop that frame and every later one — committed transactions
//!   silently lost;
//! * a hot `-journal` is rolled back at the next open, writing its pages
//!   (and the secret in them) back into the database;
//! * an index keeps its keys in order: a key changed in place leaves the
//!   index out of order (`row N missing from index`).
//!
//! So [`redact`] opens the database with the bundled SQLite, which replays
//! the WAL or rolls back a hot journal as any client would, checkpoints the
//! WAL into the main file (`wal_checkpoint(TRUNCATE)`), and then, in one
//! write transaction: reads every page through the `sqlite_dbpage` table —
//! live rows, free pages and freelist leftovers alike —, overwrites each
//! finding with a same-length replacement, rebuilds the indexes of every
//! table whose pages changed and the full-text indexes over them, re-reads
//! every page to prove nothing remains and runs `PRAGMA integrity_check`. Anything wrong rolls the transaction
//! back: the database is left as it was. After the commit the WAL is
//! checkpointed and truncated again (a rollback journal is deleted by the
//! commit itself; a stale, not-hot one holding a finding is truncated under
//! the write lock), and the files are re-read from disk.
//!
//! SQLite's locks make this safe against another program using the
//! database: one that is writing, or (WAL mode) still reading, makes the
//! run fail with a message instead of waiting for ever. The journal mode is
//! left as it was. Running as root, SQLite gives the `-wal`, `-shm` and
//! `-journal` files it creates the database's owner, and deletes them when
//! the last connection closes.
//!
//! One file (about 500 lines before the tests): the WAL, journal, page
//! rewrite, index rebuild and rollback steps form one transaction and are
//! only correct together.
//!
//! Long because the database's files
//! (main, `-wal`, `-journal`) are opened, checked, rewritten and re-read as
//! one transaction; split, that one transaction would be spread over
//! modules that each hold half of its invariants.

use crate::core::counts::FileCounts;
use crate::core::detect::Detector;
use crate::core::finding::Finding;
use crate::core::stream::StreamScanner;
use crate::rewrite::{count_remaining, Method, Outcome, RewriteError, RewriteOptions};
use crate::source::open::{open_regular, OpenError};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long to wait for another program's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The files that may hold a database's content besides the main file:
/// its write-ahead log and its rollback journal.
pub fn sidecars(db: &Path) -> [PathBuf; 2] {
    let with = |suffix: &str| {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [with("-wal"), with("-journal")]
}

/// The database a `-wal` or `-journal` file belongs to: the same name
/// without the suffix, when that file is an SQLite database. (SQLite finds
/// them by name too; a journal SQLite has finished with has its header
/// zeroed, so its content no longer says what it is.)
pub fn database_of(sidecar: &Path) -> Option<PathBuf> {
    let name = sidecar.file_name()?.to_str()?;
    let stem = name
        .strip_suffix("-wal")
        .or_else(|| name.strip_suffix("-journal"))?;
    let db = sidecar.with_file_name(stem);
    let (mut file, _) = open_regular(&db, false).ok()?;
    let mut magic = [0u8; 16];
    file.read_exact(&mut magic).ok()?;
    (&magic == b"SQLite format 3\0").then_some(db)
}

/// What the detector finds in the database's files as they are on disk
/// (main file, `-wal`, `-journal`), read only: `redact --dry-run` and
/// `history --dry-run`.
pub fn count_files(db: &Path, follow: bool, detector: &Detector) -> io::Result<FileCounts> {
    let mut total = FileCounts::default();
    let (file, _) = open_regular(db, follow).map_err(open_io)?;
    merge(&mut total, count_remaining(&file, detector)?);
    merge(&mut total, count_sidecars(db, detector)?);
    Ok(total)
}

/// Redacts the database at `db` (see the module docs). The outcome counts
/// the findings in the committed pages (or, when those held none, in the
/// `-wal`/`-journal` files that were cleared).
pub fn redact(db: &Path, opts: RewriteOptions) -> Result<Outcome, RewriteError> {
    let (_, meta) = open_regular(db, opts.follow).map_err(|e| match e {
        OpenError::NotRegular(what) => RewriteError::NotRegular(what),
        OpenError::Io(e) => RewriteError::Io("cannot open", e),
    })?;
    let conn = open(db, opts.follow)?;
    // Look before touching anything: a clean database is not written to.
    let in_pages = scan_pages(&conn, opts.detector, "cannot read")?;
    let in_sidecars = count_sidecars(db, opts.detector).map_err(io_err("cannot read"))?;
    if in_pages.is_empty() && in_sidecars.total() == 0 {
        return Ok(untouched());
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o222 == 0 {
        return Err(RewriteError::ReadOnly(mode));
    }
    let wal = journal_mode(&conn)? == "wal";
    if wal {
        checkpoint(&conn)?;
    }
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(sql("cannot start a write transaction"))?;
    let counts = match redact_in_transaction(&conn, db, wal, opts) {
        Ok(counts) => counts,
        Err(rollback) => {
            // Nothing written is kept; the error says why.
            let _ = conn.execute_batch("ROLLBACK");
            return Err(rollback.explain(&conn));
        }
    };
    conn.execute_batch("COMMIT")
        .map_err(sql("cannot commit the redaction"))?;
    if wal {
        checkpoint(&conn)?;
    }
    conn.close()
        .map_err(|(_, e)| sql("cannot close the database")(e))?;
    // The proof, from disk: main file and whatever -wal/-journal is left.
    let (file, _) = open_regular(db, opts.follow).map_err(|e| match e {
        OpenError::NotRegular(what) => RewriteError::NotRegular(what),
        OpenError::Io(e) => RewriteError::Io("cannot re-read", e),
    })?;
    let left = count_remaining(&file, opts.detector).map_err(io_err("cannot re-read"))?;
    let left_beside = count_sidecars(db, opts.detector).map_err(io_err("cannot re-read"))?;
    let remaining = left.total() + left_beside.total();
    if remaining > 0 {
        return Err(RewriteError::Remaining(remaining));
    }
    Ok(Outcome {
        counts: if counts.total() > 0 {
            counts
        } else {
            in_sidecars
        },
        method: Method::SameLength,
        carried_over: 0,
        inside: Default::default(),
    })
}

fn untouched() -> Outcome {
    Outcome {
        counts: FileCounts::default(),
        method: Method::Untouched,
        carried_over: 0,
        inside: Default::default(),
    }
}

/// SQLite's `PRAGMA integrity_check` report (its first problem), masked:
/// it names tables, indexes, pages and rows, never their content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Integrity(String);

/// Why the redaction transaction was rolled back.
enum Rollback {
    /// `PRAGMA integrity_check` failed on the redacted pages.
    Inconsistent(Integrity),
    /// Anything else.
    Failed(RewriteError),
}

impl From<RewriteError> for Rollback {
    fn from(e: RewriteError) -> Rollback {
        Rollback::Failed(e)
    }
}

impl Rollback {
    /// The error to report, once the transaction is rolled back. When
    /// SQLite's check failed: was the database damaged before?
    fn explain(self, conn: &Connection) -> RewriteError {
        let problem = match self {
            Rollback::Failed(e) => return e,
            Rollback::Inconsistent(problem) => problem,
        };
        match integrity(conn) {
            Ok(None) => RewriteError::SqliteInconsistent(problem),
            Ok(Some(before)) => RewriteError::SqliteDamaged(before),
            Err(e) => sql("cannot check the database")(e),
        }
    }
}

fn redact_in_transaction(
    conn: &Connection,
    db: &Path,
    wal: bool,
    opts: RewriteOptions,
) -> Result<FileCounts, Rollback> {
    let findings = scan_pages(conn, opts.detector, "cannot read")?;
    let mut counts = FileCounts::default();
    for f in &findings {
        counts.add(f);
    }
    let touched = patch_pages(conn, &findings, opts).map_err(sql("cannot write a page"))?;
    if touched.is_empty() && !wal {
        clear_stale_journal(db, opts.detector)?;
    }
    rebuild_derived(conn, &touched).map_err(sql("cannot rebuild the indexes"))?;
    let left = scan_pages(conn, opts.detector, "cannot re-read")?;
    if !left.is_empty() {
        return Err(RewriteError::Remaining(left.len() as u64).into());
    }
    if let Some(problem) = integrity(conn).map_err(sql("cannot check the database"))? {
        return Err(Rollback::Inconsistent(problem));
    }
    Ok(counts)
}

fn open(db: &Path, follow: bool) -> Result<Connection, RewriteError> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if !follow {
        flags |= OpenFlags::SQLITE_OPEN_NOFOLLOW;
    }
    let conn = Connection::open_with_flags(db, flags).map_err(sql("cannot open"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(sql("cannot open"))?;
    // Pages freed by the rebuilds are zeroed, not left holding old keys.
    conn.pragma_update(None, "secure_delete", true)
        .map_err(sql("cannot open"))?;
    // Fails when this SQLite was built without the page table.
    conn.query_row(
        "SELECT count(*) FROM sqlite_dbpage WHERE pgno = 1",
        [],
        |_| Ok(()),
    )
    .map_err(sql("cannot read the database's pages"))?;
    Ok(conn)
}

fn journal_mode(conn: &Connection) -> Result<String, RewriteError> {
    conn.query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))
        .map(|m| m.to_ascii_lowercase())
        .map_err(sql("cannot read the journal mode"))
}

/// Moves every committed WAL frame into the main file and truncates the WAL.
fn checkpoint(conn: &Connection) -> Result<(), RewriteError> {
    let busy: i64 = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
        .map_err(sql("cannot checkpoint the write-ahead log"))?;
    if busy != 0 {
        return Err(RewriteError::Io(
            "cannot checkpoint the write-ahead log",
            io::Error::other(IN_USE),
        ));
    }
    Ok(())
}

const IN_USE: &str = "another program is using the database (close it — for atuin, stop its \
     daemon — and run again)";

/// Every finding in the database's pages, as offsets in the sequence of
/// pages 1..=page_count (the main file's layout once checkpointed).
fn scan_pages(
    conn: &Connection,
    detector: &Detector,
    doing: &'static str,
) -> Result<Vec<Finding>, RewriteError> {
    let page_count: u32 = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .map_err(sql(doing))?;
    let mut pages = Pages {
        stmt: conn
            .prepare("SELECT data FROM sqlite_dbpage WHERE pgno = ?1")
            .map_err(sql(doing))?,
        next: 1,
        last: page_count,
        buf: Vec::new(),
        pos: 0,
    };
    let mut findings = Vec::new();
    StreamScanner::new(detector, false)
        .scan_reader(&mut pages, &mut findings)
        .map_err(|e| match e.downcast::<rusqlite::Error>() {
            Ok(e) => sql(doing)(e),
            Err(e) => RewriteError::Io(doing, e),
        })?;
    Ok(findings)
}

/// The pages of a database read in order through `sqlite_dbpage`.
struct Pages<'c> {
    stmt: rusqlite::Statement<'c>,
    next: u32,
    last: u32,
    buf: Vec<u8>,
    pos: usize,
}

impl Read for Pages<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.buf.len() {
            if self.next > self.last {
                return Ok(0);
            }
            self.buf = self
                .stmt
                .query_row([self.next], |r| r.get(0))
                .map_err(io::Error::other)?;
            self.pos = 0;
            self.next += 1;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Writes a same-length replacement over each finding, page by page, in
/// the open transaction. Returns the numbers of the pages written.
fn patch_pages(
    conn: &Connection,
    findings: &[Finding],
    opts: RewriteOptions,
) -> rusqlite::Result<BTreeSet<u32>> {
    let page_size = conn.query_row("PRAGMA page_size", [], |r| r.get::<_, u32>(0))? as u64;
    let mut read = conn.prepare("SELECT data FROM sqlite_dbpage WHERE pgno = ?1")?;
    let mut pages: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    for f in findings {
        let replacement = opts.replacement.same_length(f.length);
        for (i, byte) in replacement.into_iter().enumerate() {
            let at = f.offset + i as u64;
            let pgno = (at / page_size) as u32 + 1;
            let page = match pages.entry(pgno) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(read.query_row([pgno], |r| r.get(0))?)
                }
            };
            page[(at % page_size) as usize] = byte;
        }
    }
    let mut write = conn.prepare("UPDATE sqlite_dbpage SET data = ?2 WHERE pgno = ?1")?;
    for (pgno, data) in &pages {
        write.execute(rusqlite::params![pgno, data])?;
    }
    Ok(pages.into_keys().collect())
}

/// Rebuilds what SQLite derives from the rows of every table owning one of
/// `pages`: its indexes (a key changed in place may be out of order) and
/// the full-text indexes over it (atuin's `history_fts` keeps every
/// trigram of every command: the credential in pieces). The pages these
/// rebuilds free are zeroed (`secure_delete`, see [`open`]).
fn rebuild_derived(conn: &Connection, pages: &BTreeSet<u32>) -> rusqlite::Result<()> {
    if pages.is_empty() {
        return Ok(());
    }
    let mut owners = HashSet::new();
    let mut stmt = conn.prepare("SELECT name, pageno FROM dbstat")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        if pages.contains(&row.get::<_, u32>(1)?) {
            owners.insert(row.get::<_, String>(0)?);
        }
    }
    let mut tables = BTreeSet::new();
    let mut table_of = conn.prepare("SELECT tbl_name FROM sqlite_schema WHERE name = ?1")?;
    for name in owners {
        if let Some(table) = table_of
            .query_row([&name], |r| r.get::<_, String>(0))
            .optional()?
        {
            tables.insert(table);
        }
    }
    for table in &tables {
        conn.execute_batch(&format!("REINDEX {}", quote(table)))?;
    }
    let mut virtual_tables = conn.prepare(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'",
    )?;
    let full_text: Vec<(String, String)> = virtual_tables
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (name, sql) in full_text {
        if full_text_over(&name, &sql, &tables) {
            let q = quote(&name);
            conn.execute_batch(&format!("INSERT INTO {q}({q}) VALUES('rebuild')"))?;
        }
    }
    Ok(())
}

/// Whether the virtual table `name` (created by `sql`) is a full-text
/// index (FTS3/4/5) whose own shadow tables or external content table are
/// among `tables`.
fn full_text_over(name: &str, sql: &str, tables: &BTreeSet<String>) -> bool {
    static FTS: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"(?i)\busing\s+fts[345]\b").unwrap());
    static CONTENT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(?i)\bcontent\s*=\s*['"`\[]?([^'"`\],)\s]+)"#).unwrap()
    });
    if !FTS.is_match(sql) {
        return false;
    }
    let shadow = format!("{name}_");
    tables.iter().any(|t| t.starts_with(&shadow))
        || CONTENT
            .captures(sql)
            .is_some_and(|c| tables.contains(&c[1]))
}

/// An SQL identifier, quoted.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `PRAGMA integrity_check`: `None` when it answers `ok`, else its first
/// complaint (which names tables, indexes and row ids, never values).
fn integrity(conn: &Connection) -> rusqlite::Result<Option<Integrity>> {
    let first: String = conn.query_row("PRAGMA integrity_check(1)", [], |r| r.get(0))?;
    Ok((first != "ok").then(|| Integrity(crate::mask::sanitize::mask_text(&first))))
}

/// A rollback journal that is left once the write lock is held is not hot
/// (SQLite rolled a hot one back when it opened the database), so SQLite
/// will never read it again: when it still holds a finding (a `PERSIST`
/// mode journal keeps old pages), it is truncated.
fn clear_stale_journal(db: &Path, detector: &Detector) -> Result<(), RewriteError> {
    let [_, journal] = sidecars(db);
    let file = match crate::source::open::open_with(
        &journal,
        false,
        std::fs::OpenOptions::new().read(true).write(true),
    ) {
        Ok((file, _)) => file,
        Err(OpenError::Io(e)) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(OpenError::NotRegular(what)) => return Err(RewriteError::NotRegular(what)),
        Err(OpenError::Io(e)) => return Err(RewriteError::Io("cannot open the journal", e)),
    };
    if count_remaining(&file, detector)
        .map_err(io_err("cannot read the journal"))?
        .total()
        > 0
    {
        file.set_len(0)
            .and_then(|_| file.sync_all())
            .map_err(io_err("cannot truncate the stale journal"))?;
    }
    Ok(())
}

/// Findings in the `-wal` and `-journal` files as they are on disk.
fn count_sidecars(db: &Path, detector: &Detector) -> io::Result<FileCounts> {
    let mut total = FileCounts::default();
    for path in sidecars(db) {
        match open_regular(&path, false) {
            Ok((file, _)) => merge(&mut total, count_remaining(&file, detector)?),
            Err(OpenError::Io(e)) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(open_io(e)),
        }
    }
    Ok(total)
}

fn merge(total: &mut FileCounts, more: FileCounts) {
    for (kind, n) in more.by_kind {
        *total.by_kind.entry(kind).or_default() += n;
    }
    total.lines.extend(more.lines);
}

fn open_io(e: OpenError) -> io::Error {
    match e {
        OpenError::Io(e) => e,
        e => io::Error::other(e.to_string()),
    }
}

fn io_err(doing: &'static str) -> impl FnOnce(io::Error) -> RewriteError {
    move |e| RewriteError::Io(doing, e)
}

/// An SQLite error as a rewrite error; "database is locked" explained.
fn sql(doing: &'static str) -> impl FnOnce(rusqlite::Error) -> RewriteError {
    move |e| {
        let busy = matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        let text = crate::mask::sanitize::mask_text(&e.to_string());
        let message = if busy {
            format!("{text}: {IN_USE}")
        } else {
            text
        };
        RewriteError::Io(doing, io::Error::other(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_files_are_named_after_the_database() {
        let [wal, journal] = sidecars(Path::new("/h/history.db"));
        assert_eq!(wal, Path::new("/h/history.db-wal"));
        assert_eq!(journal, Path::new("/h/history.db-journal"));
    }

    #[test]
    fn full_text_indexes_over_a_changed_table_are_found() {
        let changed: BTreeSet<String> = ["history".to_string()].into();
        let atuin = "CREATE VIRTUAL TABLE history_fts USING fts5(command, cwd, \
                     content='history', tokenize='trigram')";
        assert!(full_text_over("history_fts", atuin, &changed));
        let own = "CREATE VIRTUAL TABLE notes USING fts4(body)";
        assert!(!full_text_over("notes", own, &changed));
        let shadow: BTreeSet<String> = ["notes_content".to_string()].into();
        assert!(full_text_over("notes", own, &shadow));
        let contentless = "CREATE VIRTUAL TABLE t USING fts5(a, content='', content_rowid=id)";
        assert!(!full_text_over("t", contentless, &changed));
        let rtree = "CREATE VIRTUAL TABLE history_rt USING rtree(id, a, b)";
        assert!(!full_text_over("history_rt", rtree, &shadow));
    }

    #[test]
    fn this_build_has_the_page_table() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (x)").unwrap();
        let pages: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_dbpage", [], |r| r.get(0))
            .unwrap();
        assert!(pages >= 1);
    }
}
