//! Binary files through `redact` and `history`: each stays valid for its
//! own tool and holds no credential afterwards.
//!
//! SQLite (atuin's schema, with its full-text index) in rollback and WAL
//! mode — the token only in the WAL, only in the main file, in both, in a
//! hot rollback journal, in free pages —, text with NUL bytes in its first
//! or only in its last chunk, an ELF program built here, a PNG with a text
//! chunk, and a broken gzip file that must be left alone.
//!
//! Crash states (a WAL not yet checkpointed, a hot journal) are made the
//! way a crash makes them: the database's files are copied while the
//! writing connection still has them open.

mod common;
use common::*;
use rusqlite::Connection;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

fn require(tool: &str) {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{tool} is required for this test (bash .ci/run installs it)"
    );
}

/// Runs the `sqlite3` shell on `db`; its stdout. The statement may hold
/// a token fragment (it is an argument, never printed).
fn sqlite3(db: &Path, sql: &str) -> String {
    require("sqlite3");
    let out = Command::new("sqlite3")
        .arg("-batch")
        .arg(db)
        .arg(sql)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sqlite3 failed: {}",
        cfscrub::mask::sanitize::mask_text(&String::from_utf8_lossy(&out.stderr))
    );
    String::from_utf8(out.stdout).unwrap()
}

/// atuin's schema (its client migrations): the history table, its indexes
/// and the trigram full-text index kept in step by triggers.
const ATUIN_SCHEMA: &str = "
CREATE TABLE history (id TEXT PRIMARY KEY, timestamp INTEGER NOT NULL,
  duration INTEGER NOT NULL, exit INTEGER NOT NULL, command TEXT NOT NULL,
  cwd TEXT NOT NULL, session TEXT NOT NULL, hostname TEXT NOT NULL,
  deleted_at INTEGER, UNIQUE(timestamp, cwd, command));
CREATE INDEX idx_history_timestamp ON history(timestamp);
CREATE INDEX idx_history_command ON history(command);
CREATE INDEX idx_history_command_timestamp ON history(command, timestamp);
CREATE VIRTUAL TABLE history_fts USING fts5(command, cwd, hostname, exit,
  content='history', tokenize='trigram');
CREATE TRIGGER history_fts_begin AFTER INSERT ON history BEGIN
  INSERT INTO history_fts(rowid, command, cwd, exit, hostname)
  VALUES (new.rowid, new.command, new.cwd, new.exit, new.hostname);
END;
CREATE TRIGGER history_fts_delete AFTER DELETE ON history BEGIN
  INSERT INTO history_fts(history_fts, rowid, command, cwd, exit, hostname)
  VALUES ('delete', old.rowid, old.command, old.cwd, old.exit, old.hostname);
END;
";

/// A history row: id, timestamp, duration, command.
type Row = (String, i64, i64, String);

/// `n` ordinary commands from `first` on. Their keys sort around the
/// token's in `idx_history_command` (`export ...=a…` sorts between the
/// redacted `[…` and the token's `c…`), so an index left unrebuilt fails
/// the integrity check.
fn ordinary_rows(first: usize, n: usize) -> Vec<Row> {
    (first..first + n)
        .map(|i| {
            let command = match i % 5 {
                0 => format!("export CLOUDFLARE_API_TOKEN=a{i:04}"),
                1 => format!("export CLOUDFLARE_API_TOKEN=d{i:04}"),
                2 => format!("git log -n {i}"),
                3 => format!("cd /srv/app{i}"),
                _ => format!("ls -la /tmp/{i}"),
            };
            (
                format!("row{i:05}"),
                1_700_000_000 + i as i64,
                1000,
                command,
            )
        })
        .collect()
}

fn token_row(token: &str) -> Row {
    (
        "row-token".into(),
        1_699_999_999,
        1000,
        format!("export CLOUDFLARE_API_TOKEN={token}"),
    )
}

fn insert(conn: &Connection, rows: &[Row]) {
    let mut stmt = conn
        .prepare(
            "INSERT INTO history (id, timestamp, duration, exit, command, cwd, session, hostname)
             VALUES (?1, ?2, ?3, 0, ?4, '/home/dev', 'session', 'laptop')",
        )
        .unwrap();
    for (id, ts, duration, command) in rows {
        stmt.execute(rusqlite::params![id, ts, duration, command])
            .unwrap();
    }
}

/// The rows as they must read after the redaction: the token replaced by
/// the same-length marker, everything else as committed.
fn expected_rows(mut rows: Vec<Row>, token: &str) -> String {
    let marker = format!("{:*<1$}", "[REDACTED_CF_TOKEN]", token.len());
    rows.sort();
    rows.iter()
        .map(|(id, ts, duration, command)| {
            format!("{id}|{ts}|{duration}|{}\n", command.replace(token, &marker))
        })
        .collect()
}

fn rows_now(db: &Path) -> String {
    sqlite3(
        db,
        "SELECT id, timestamp, duration, command FROM history ORDER BY id",
    )
}

fn holds(path: &Path, token: &str) -> bool {
    std::fs::read(path)
        .map(|b| b.windows(token.len()).any(|w| w == token.as_bytes()))
        .unwrap_or(false)
}

/// Where the token sits when cfscrub starts.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Case {
    /// Rollback journal mode; committed in the main file.
    RollbackMain,
    /// WAL mode; only in a WAL frame not yet checkpointed.
    WalOnly,
    /// WAL mode; only in the main file, while the WAL holds later commits.
    MainOnlyWithWal,
    /// WAL mode; in the main file and again in a later WAL frame.
    BothWalAndMain,
    /// A hot rollback journal holds the committed page with the token,
    /// the main file an uncommitted change that deleted it.
    HotJournal,
    /// Only in free space: the row was deleted, its pages freed.
    FreePages,
}

/// Builds the case's database at `db`; returns the committed rows.
fn build(case: Case, db: &Path, token: &str) -> Vec<Row> {
    let dir = db.parent().unwrap();
    let work = tempfile::tempdir().unwrap();
    let live = work.path().join("history.db");
    let conn = Connection::open(&live).unwrap();
    let wal = !matches!(
        case,
        Case::RollbackMain | Case::HotJournal | Case::FreePages
    );
    if wal {
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
    conn.execute_batch(ATUIN_SCHEMA).unwrap();
    let mut committed = ordinary_rows(0, 300);
    match case {
        Case::RollbackMain | Case::HotJournal => committed.push(token_row(token)),
        Case::WalOnly => {}
        Case::MainOnlyWithWal | Case::BothWalAndMain => committed.insert(10, token_row(token)),
        Case::FreePages => {}
    }
    insert(&conn, &committed);
    if case == Case::FreePages {
        insert(&conn, &[token_row(token)]);
        insert(&conn, &ordinary_rows(1000, 400));
        conn.execute_batch("DELETE FROM history WHERE id = 'row-token' OR id >= 'row01000'")
            .unwrap();
    }
    if wal {
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0").unwrap();
        if case == Case::WalOnly {
            let mut later = vec![token_row(token)];
            later.extend(ordinary_rows(300, 50));
            insert(&conn, &later);
            committed.extend(later);
        } else {
            // Later commits that write no page holding the token: an
            // unindexed column of the last rows (the token row is the
            // 11th). Flipping WAL bytes would lose them.
            for row in &mut committed[251..] {
                conn.execute("UPDATE history SET duration = 2 WHERE id = ?1", [&row.0])
                    .unwrap();
                row.2 = 2;
            }
        }
        if case == Case::BothWalAndMain {
            conn.execute_batch("UPDATE history SET duration = 7 WHERE id = 'row-token'")
                .unwrap();
            committed[10].2 = 7;
        }
        std::fs::copy(&live, db).unwrap();
        std::fs::copy(work.path().join("history.db-wal"), sidecar(db, "-wal")).unwrap();
    } else if case == Case::HotJournal {
        // A transaction big enough to spill to the main file before its
        // commit: the journal then holds the original pages, and is hot.
        conn.execute_batch(
            "PRAGMA cache_size = 10; BEGIN;
             DELETE FROM history WHERE id = 'row-token';",
        )
        .unwrap();
        let filler: Vec<Row> = (0..600)
            .map(|i| {
                (
                    format!("uncommitted{i:04}"),
                    1_800_000_000 + i,
                    1,
                    format!("make build-{i} {}", "x".repeat(300)),
                )
            })
            .collect();
        insert(&conn, &filler);
        let journal = work.path().join("history.db-journal");
        assert!(
            std::fs::metadata(&journal).is_ok_and(|m| m.len() > 0),
            "the transaction left no journal"
        );
        std::fs::copy(&live, db).unwrap();
        std::fs::copy(&journal, sidecar(db, "-journal")).unwrap();
        conn.execute_batch("ROLLBACK").unwrap();
    } else {
        std::fs::copy(&live, db).unwrap();
    }
    drop(conn);
    // Preconditions: the token is where the case says.
    let in_main = holds(db, token);
    let in_wal = holds(&sidecar(db, "-wal"), token);
    let in_journal = holds(&sidecar(db, "-journal"), token);
    let expected = match case {
        Case::RollbackMain | Case::FreePages => (true, false, false),
        Case::WalOnly => (false, true, false),
        Case::MainOnlyWithWal => (true, false, false),
        Case::BothWalAndMain => (true, true, false),
        Case::HotJournal => (in_main, false, true),
    };
    assert_eq!(
        (in_main, in_wal, in_journal),
        expected,
        "{case:?}: token in (main, wal, journal)"
    );
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        chown_to_tester(&path);
    }
    committed
}

fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The uid the database files belong to: `nobody` when the tests run as
/// root (so a file cfscrub or SQLite creates as root would stand out),
/// else the tester.
fn owner_uid() -> u32 {
    if is_root() {
        65534
    } else {
        unsafe { libc::geteuid() }
    }
}

fn chown_to_tester(path: &Path) {
    std::os::unix::fs::chown(path, Some(owner_uid()), Some(owner_uid())).unwrap();
}

/// How cfscrub is pointed at the database.
#[derive(Debug, Clone, Copy)]
enum Via {
    /// `cfscrub redact DIR` (database and its files walked together).
    RedactDir,
    /// `cfscrub redact DB-wal` or `DB-journal`: only the side file named.
    RedactSidecar,
    /// `cfscrub history --home HOME` (atuin's database).
    History,
}

fn database_case(case: Case, via: Via, seed: u64) {
    let mut g = FakeGen::new(seed);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let home = Tree::new();
    let dir = home.join(".local/share/atuin");
    std::fs::create_dir_all(&dir).unwrap();
    chown_to_tester(&dir);
    let db = dir.join("history.db");
    let committed = build(case, &db, &token);
    let size_before = std::fs::metadata(&db).unwrap().len();
    let ran = match via {
        Via::RedactDir => run(cfscrub().arg("redact").arg(&dir)),
        Via::RedactSidecar => {
            let side = [sidecar(&db, "-wal"), sidecar(&db, "-journal")]
                .into_iter()
                .find(|s| s.exists())
                .expect("the case has a side file");
            run(cfscrub().arg("redact").arg(side))
        }
        Via::History => run(cfscrub().args(["history", "--home"]).arg(home.path())),
    };
    p.assert_absent("output", &ran.stdout);
    p.assert_absent("output", &ran.stderr);
    let ran = ran.expect(0);
    match via {
        Via::History => assert!(
            ran.stdout().contains("(atuin): ")
                && ran
                    .stdout()
                    .contains("redacted in place (same length, through SQLite)"),
            "{}",
            ran.stdout()
        ),
        _ => assert!(
            ran.stdout().contains("method: same-length (sqlite"),
            "{}",
            ran.stdout()
        ),
    }
    // Every file of the database: no token, nothing left by cfscrub, and
    // nothing owned by another user than the database's.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        p.assert_absent(
            &format!("{case:?} {}", path.display()),
            &std::fs::read(&path).unwrap(),
        );
        assert_eq!(
            std::fs::metadata(&path).unwrap().uid(),
            owner_uid(),
            "{case:?}: {} changed owner",
            path.display()
        );
    }
    assert_eq!(
        sqlite3(&db, "PRAGMA integrity_check").trim(),
        "ok",
        "{case:?}"
    );
    assert_same(
        &format!("{case:?}: rows"),
        rows_now(&db),
        expected_rows(committed, &token),
    );
    // The full-text index was rebuilt from the redacted rows: no trigram
    // of the token is left to find, and it agrees with its content.
    let body = &token[5..17];
    assert_eq!(
        sqlite3(
            &db,
            &format!("SELECT count(*) FROM history_fts WHERE history_fts MATCH '\"{body}\"'")
        )
        .trim(),
        "0",
        "{case:?}: the full-text index still finds the token"
    );
    sqlite3(
        &db,
        "INSERT INTO history_fts(history_fts) VALUES ('integrity-check')",
    );
    let mode = sqlite3(&db, "PRAGMA journal_mode").trim().to_string();
    let wal = matches!(
        case,
        Case::WalOnly | Case::MainOnlyWithWal | Case::BothWalAndMain
    );
    assert_eq!(
        mode,
        if wal { "wal" } else { "delete" },
        "{case:?}: journal mode"
    );
    if case == Case::RollbackMain {
        assert_eq!(std::fs::metadata(&db).unwrap().len(), size_before);
    }
    // Nothing is left to do.
    run(cfscrub().arg("verify").arg(&dir)).expect(0);
}

#[test]
fn sqlite_rollback_mode_token_in_main_file() {
    database_case(Case::RollbackMain, Via::RedactDir, 101);
    database_case(Case::RollbackMain, Via::History, 102);
}

#[test]
fn sqlite_wal_mode_token_only_in_the_wal() {
    database_case(Case::WalOnly, Via::RedactDir, 111);
    database_case(Case::WalOnly, Via::RedactSidecar, 112);
    database_case(Case::WalOnly, Via::History, 113);
}

#[test]
fn sqlite_wal_mode_token_only_in_the_main_file() {
    database_case(Case::MainOnlyWithWal, Via::RedactDir, 121);
    database_case(Case::MainOnlyWithWal, Via::History, 122);
}

#[test]
fn sqlite_wal_mode_token_in_main_file_and_wal() {
    database_case(Case::BothWalAndMain, Via::RedactDir, 131);
    database_case(Case::BothWalAndMain, Via::History, 132);
}

#[test]
fn sqlite_hot_journal_is_rolled_back_and_the_restored_token_redacted() {
    database_case(Case::HotJournal, Via::RedactDir, 141);
    database_case(Case::HotJournal, Via::RedactSidecar, 142);
    database_case(Case::HotJournal, Via::History, 143);
}

#[test]
fn sqlite_free_pages_holding_a_deleted_token_are_redacted() {
    database_case(Case::FreePages, Via::RedactDir, 151);
    database_case(Case::FreePages, Via::History, 152);
}

#[test]
fn sqlite_persistent_journal_holding_a_deleted_token_is_cleared() {
    let mut g = FakeGen::new(155);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let t = Tree::new();
    let db = t.join("history.db");
    let conn = Connection::open(&db).unwrap();
    // PERSIST keeps the journal file after each commit, header zeroed,
    // old pages still in it; secure_delete keeps the database itself clean.
    conn.execute_batch("PRAGMA journal_mode = PERSIST; PRAGMA secure_delete = ON")
        .unwrap();
    conn.execute_batch(ATUIN_SCHEMA).unwrap();
    let committed = ordinary_rows(0, 300);
    insert(&conn, &committed);
    insert(&conn, &[token_row(&token)]);
    conn.execute_batch("DELETE FROM history WHERE id = 'row-token'")
        .unwrap();
    drop(conn);
    let journal = sidecar(&db, "-journal");
    assert!(
        !holds(&db, &token) && holds(&journal, &token),
        "precondition: the token only in the persisted journal"
    );
    let ran = run(cfscrub().arg("redact").arg(t.path()));
    p.assert_absent("output", &ran.stdout);
    p.assert_absent("output", &ran.stderr);
    ran.expect(0);
    for entry in std::fs::read_dir(t.path()).unwrap() {
        let path = entry.unwrap().path();
        p.assert_absent("database file", &std::fs::read(&path).unwrap());
    }
    assert_eq!(sqlite3(&db, "PRAGMA integrity_check").trim(), "ok");
    assert_same("rows", rows_now(&db), expected_rows(committed, &token));
}

#[test]
fn sqlite_dry_runs_count_the_wal_and_change_nothing() {
    let mut g = FakeGen::new(160);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let home = Tree::new();
    let dir = home.join(".local/share/atuin");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("history.db");
    build(Case::WalOnly, &db, &token);
    let before: Vec<Vec<u8>> = [db.clone(), sidecar(&db, "-wal")]
        .iter()
        .map(|f| std::fs::read(f).unwrap())
        .collect();
    let ran = run(cfscrub()
        .args(["history", "--dry-run", "--home"])
        .arg(home.path()))
    .expect(1);
    assert!(
        ran.stdout().contains("would be redacted"),
        "{}",
        ran.stdout()
    );
    let ran = run(cfscrub()
        .args(["redact", "--dry-run", "--format", "json"])
        .arg(&dir))
    .expect(1);
    p.assert_absent("dry run", &ran.stdout);
    let lines = json_lines(&ran.stdout);
    let files: Vec<_> = lines.iter().filter(|l| l["type"] == "file").collect();
    assert_eq!(files.len(), 1, "the WAL is counted with its database");
    assert_eq!(files[0]["method"], "same-length");
    assert_eq!(files[0]["reason"], "sqlite");
    let after: Vec<Vec<u8>> = [db.clone(), sidecar(&db, "-wal")]
        .iter()
        .map(|f| std::fs::read(f).unwrap())
        .collect();
    assert!(before == after, "a dry run changed the database");
}

#[test]
fn sqlite_database_another_program_is_writing_is_refused_unchanged() {
    let mut g = FakeGen::new(170);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let t = Tree::new();
    let db = t.join("history.db");
    build(Case::RollbackMain, &db, &token);
    let before = std::fs::read(&db).unwrap();
    let writer = Connection::open(&db).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    let ran = run(cfscrub().arg("redact").arg(&db));
    writer.execute_batch("ROLLBACK").unwrap();
    p.assert_absent("output", &ran.stderr);
    let ran = ran.expect(2);
    assert!(
        ran.stderr()
            .contains("another program is using the database"),
        "{}",
        ran.stderr()
    );
    assert!(
        std::fs::read(&db).unwrap() == before,
        "the database changed"
    );
}

#[test]
fn sqlite_wal_database_another_program_is_reading_is_refused_then_done() {
    let mut g = FakeGen::new(171);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let t = Tree::new();
    let db = t.join("history.db");
    build(Case::WalOnly, &db, &token);
    // An open read transaction pins the WAL: it cannot be checkpointed.
    let reader = Connection::open(&db).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let rows: i64 = reader
        .query_row("SELECT count(*) FROM history", [], |r| r.get(0))
        .unwrap();
    let ran = run(cfscrub().arg("redact").arg(&db));
    p.assert_absent("output", &ran.stderr);
    let ran = ran.expect(2);
    assert!(
        ran.stderr()
            .contains("another program is using the database"),
        "{}",
        ran.stderr()
    );
    drop(reader);
    run(cfscrub().arg("redact").arg(t.path())).expect(0);
    for entry in std::fs::read_dir(t.path()).unwrap() {
        p.assert_absent(
            "database file",
            &std::fs::read(entry.unwrap().path()).unwrap(),
        );
    }
    assert_eq!(
        sqlite3(&db, "SELECT count(*) FROM history").trim(),
        rows.to_string()
    );
}

/// A log with a token on its first line, `filler` bytes of text, and NUL
/// bytes at `nul_at` (`None`: at the very end).
fn log_with_nul(token: &str, filler: usize, nul_first: bool) -> Vec<u8> {
    let mut content = Vec::new();
    if nul_first {
        content.extend_from_slice(b"\0\0\0\0header\n");
    }
    content.extend_from_slice(format!("deploy token={token}\n").as_bytes());
    while content.len() < filler {
        content.extend_from_slice(b"step ok, nothing to see here\n");
    }
    if !nul_first {
        content.extend_from_slice(b"\0\0\0\0");
    }
    content
}

fn same_length_redacted(content: &[u8], token: &str) -> Vec<u8> {
    let marker = format!("{:*<1$}", "[REDACTED_CF_TOKEN]", token.len());
    let at = content
        .windows(token.len())
        .position(|w| w == token.as_bytes())
        .expect("planted");
    let mut out = content.to_vec();
    out[at..at + token.len()].copy_from_slice(marker.as_bytes());
    out
}

fn no_temp_files(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name();
        assert!(
            !name.to_string_lossy().starts_with(".cfscrub-"),
            "temp file left: {name:?}"
        );
    }
}

fn nul_case(nul_first: bool, seed: u64) {
    let mut g = FakeGen::new(seed);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfat_", true));
    let t = Tree::new();
    // Past the head sniffed and past the first 256 KiB chunk.
    let content = log_with_nul(&token, 600 * 1024, nul_first);
    let path = t.write("build.log", &content);
    let dry = run(cfscrub().args(["redact", "--dry-run"]).arg(&path)).expect(1);
    assert!(
        dry.stdout().contains("method: same-length (binary)"),
        "{}",
        dry.stdout()
    );
    let ran = run(cfscrub().arg("redact").arg(&path));
    p.assert_absent("output", &ran.stdout);
    p.assert_absent("output", &ran.stderr);
    let ran = ran.expect(0);
    assert!(
        ran.stdout().contains("1 redacted")
            && ran.stdout().contains("method: same-length (binary)"),
        "{}",
        ran.stdout()
    );
    assert_same(
        "redacted in place",
        std::fs::read(&path).unwrap(),
        same_length_redacted(&content, &token),
    );
    no_temp_files(t.path());
}

#[test]
fn nul_bytes_in_the_first_chunk_mean_same_length() {
    nul_case(true, 201);
}

#[test]
fn nul_bytes_only_in_the_last_chunk_mean_same_length_and_no_temp_file() {
    nul_case(false, 202);
}

#[test]
fn binary_rename_is_explicit_and_shifts_bytes() {
    let mut g = FakeGen::new(203);
    let token = g.scannable("cfk_", true);
    let t = Tree::new();
    let content = log_with_nul(&token, 1000, false);
    let path = t.write("padded.log", &content);
    let ran = run(cfscrub()
        .args(["redact", "--binary-rename", "--format", "json"])
        .arg(&path))
    .expect(0);
    let lines = json_lines(&ran.stdout);
    assert_eq!(lines[0]["method"], "rename");
    assert_eq!(lines[0]["reason"], "requested");
    let after = std::fs::read(&path).unwrap();
    assert_eq!(
        after.len(),
        content.len() - token.len() + "[REDACTED_CF_TOKEN]".len()
    );
    assert!(after.ends_with(b"\0\0\0\0"));
    run(cfscrub()
        .args(["redact", "--binary-rename", "--same-length"])
        .arg(&path))
    .expect(2);
}

#[test]
fn elf_program_with_a_token_in_rodata_still_runs() {
    require("cc");
    let mut g = FakeGen::new(210);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let src = Tree::new();
    let note = format!("deploy with CLOUDFLARE_API_TOKEN={token}");
    let source = src.write(
        "prog.c",
        format!(
            "#include <stdio.h>\n#include <string.h>\n\
             static const char note[] = \"{note}\";\n\
             int main(void) {{ printf(\"%zu\\n\", strlen(note)); return note[0] == 'd' ? 0 : 3; }}\n"
        ),
    );
    let t = Tree::new();
    let exe = t.join("prog");
    let cc = Command::new("cc")
        .arg("-O0")
        .arg("-o")
        .arg(&exe)
        .arg(&source)
        .output()
        .unwrap();
    assert!(cc.status.success(), "cc failed");
    assert!(holds(&exe, &token), "the token is not in the binary");
    let size = std::fs::metadata(&exe).unwrap().len();
    let ran = run(cfscrub().args(["redact", "--format", "json"]).arg(t.path()));
    p.assert_absent("output", &ran.stdout);
    let ran = ran.expect(0);
    let lines = json_lines(&ran.stdout);
    assert_eq!(lines[0]["method"], "same-length");
    assert_eq!(lines[0]["reason"], "binary");
    assert_eq!(lines[0]["format"], "elf");
    p.assert_absent("program", &std::fs::read(&exe).unwrap());
    let meta = std::fs::metadata(&exe).unwrap();
    assert_eq!(meta.len(), size);
    assert_eq!(meta.permissions().mode() & 0o111, 0o111, "still executable");
    let out = Command::new(&exe).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        note.len().to_string()
    );
}

/// A 2×2 grey PNG with a `tEXt` chunk holding `text`.
fn png_with_text(text: &[u8]) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(&crc.finalize().to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&2u32.to_be_bytes());
    ihdr.extend_from_slice(&2u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    // Two scanlines (filter byte + 2 pixels) in one stored deflate block.
    let raw = [0u8, 10, 200, 0, 200, 10];
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend_from_slice(&(raw.len() as u16).to_le_bytes());
    zlib.extend_from_slice(&(!(raw.len() as u16)).to_le_bytes());
    zlib.extend_from_slice(&raw);
    let (mut a, mut b) = (1u32, 0u32);
    for byte in raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    chunk(&mut png, b"IDAT", &zlib);
    let mut text_chunk = b"Comment\0".to_vec();
    text_chunk.extend_from_slice(text);
    chunk(&mut png, b"tEXt", &text_chunk);
    chunk(&mut png, b"IEND", b"");
    png
}

fn pngcheck(path: &Path) -> bool {
    require("pngcheck");
    Command::new("pngcheck")
        .arg("-q")
        .arg(path)
        .status()
        .unwrap()
        .success()
}

#[test]
fn png_with_a_token_in_a_text_chunk_still_validates() {
    let mut g = FakeGen::new(220);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfat_", true));
    let t = Tree::new();
    let png = png_with_text(format!("deployed with {token}").as_bytes());
    let path = t.write("screenshot.png", &png);
    assert!(pngcheck(&path), "the test PNG is invalid");
    let ran = run(cfscrub().arg("redact").arg(&path)).expect(0);
    assert!(
        ran.stdout().contains("method: same-length (binary)"),
        "{}",
        ran.stdout()
    );
    let after = std::fs::read(&path).unwrap();
    p.assert_absent("png", &after);
    assert_eq!(after.len(), png.len());
    assert!(pngcheck(&path), "pngcheck rejects the redacted PNG");
}

#[test]
fn a_gzip_that_does_not_decode_is_left_untouched_and_said_so() {
    let mut g = FakeGen::new(230);
    let token = g.scannable("cfut_", true);
    let t = Tree::new();
    // A gzip header: the bytes after it are not the file's text, whatever
    // they look like, and they do not decode.
    let mut content = vec![0x1f, 0x8b, 0x08, 0x00];
    content.extend_from_slice(format!(" {token} ").as_bytes());
    let path = t.write("logs.tar.gz", &content);
    let ran = run(cfscrub().arg("redact").arg(&path)).expect(2);
    assert!(
        ran.stderr().contains("logs.tar.gz: gzip: ") && ran.stderr().contains("not rewritten"),
        "{}",
        ran.stderr()
    );
    assert!(
        std::fs::read(&path).unwrap() == content,
        "the gzip file was changed"
    );
}
