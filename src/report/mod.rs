//! Printing findings: human lines, JSON Lines, SARIF 2.1.0.
//!
//! Reporters see [`Finding`]s only — kind, place, fingerprint — so no output
//! format can print a secret. What could not be looked at (a compressed
//! file, a git object database: [`NotInspected`]) is reported too, in every
//! format, and counted apart: it is never "clean". Each file's lines are buffered and written in
//! one piece so that parallel workers do not interleave; a buffer that grows
//! past [`FLUSH_AT`] is written early. A closed pipe (`| head`) marks the
//! output closed and the run winds down quietly.
//!
//! This module holds what the formats share (the per-file buffering, the
//! tally, the not-inspected records); each format has its writer:
//! [`human`], [`schema`] (JSON Lines, typed), [`sarif`] (typed), and
//! [`redact`] for `redact`'s summary.

mod file;
pub mod git;
pub mod human;
pub mod progress;
pub mod redact;
pub mod rule_export;
pub mod sarif;
pub mod schema;

use crate::core::rules::Kind;
use crate::errln;
use file::shown_path;
pub use file::FileReport;
use schema::{SearchRecord, SearchSummary, UninspectedRecord};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// A file's buffered output is written once it reaches this size.
pub const FLUSH_AT: usize = 1 << 20;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `path:line:column: kind (confidence) fp:…`, coloured on a terminal.
    Human,
    /// JSON Lines: one object per finding, then a summary object.
    Json,
    /// One SARIF 2.1.0 document for code-scanning dashboards.
    Sarif,
}

/// When to colour human output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Counts for the summary.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Files (and streams) read.
    pub files: u64,
    /// Files with at least one finding.
    pub files_with_findings: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Findings.
    pub findings: u64,
    /// Errors (unreadable paths, failed rewrites).
    pub errors: u64,
    /// Files whose content could not be seen through (their raw bytes are
    /// still read and counted in `files`), and git object databases.
    pub uninspected: u64,
    /// Findings per kind.
    pub by_kind: BTreeMap<Kind, u64>,
}

impl Tally {
    /// Adds another tally into this one.
    pub fn merge(&mut self, other: &Tally) {
        self.files += other.files;
        self.files_with_findings += other.files_with_findings;
        self.bytes += other.bytes;
        self.findings += other.findings;
        self.errors += other.errors;
        self.uninspected += other.uninspected;
        for (k, n) in &other.by_kind {
            *self.by_kind.entry(*k).or_default() += n;
        }
    }

    /// `3 cloudflare-user-token, 1 cloudflare-partial`.
    pub fn kinds_line(&self) -> String {
        crate::core::counts::kinds_line(&self.by_kind)
    }
}

/// A file or directory cfscrub could not see through, and why (`gzip`,
/// `utf-16le`, `git object database`, ...). Printed on stderr in every
/// format, as a record in JSON, as a tool notification in SARIF.
#[derive(Debug, Clone, Copy)]
pub struct NotInspected<'a> {
    /// The path, escaped and masked for display.
    pub path: &'a str,
    /// The names of the containers inside `path` that lead to what was not
    /// inspected, outermost first, escaped and masked (empty: the file).
    pub container: &'a [String],
    /// Why it was not inspected.
    pub reason: &'a str,
}

impl NotInspected<'_> {
    /// `cfscrub: not inspected: logs/app.log.2.gz (gzip)`, for stderr.
    pub fn line(&self) -> String {
        format!(
            "cfscrub: not inspected: {} ({})",
            shown_path(self.path, self.container),
            self.reason
        )
    }

    /// The JSON Lines record; `found`: what a file's raw bytes hold
    /// (`redact` only).
    pub fn record(&self, found: Option<u64>) -> UninspectedRecord<'_> {
        UninspectedRecord {
            path: self.path,
            container_path: (!self.container.is_empty()).then_some(self.container),
            reason: self.reason,
            found,
        }
    }
}

/// What a SARIF document gathers until the end of the run.
#[derive(Default)]
struct SarifParts {
    results: Vec<sarif::SarifResult>,
    notifications: Vec<sarif::Notification>,
}

/// The shared destination of a run's report.
pub struct Output {
    format: Format,
    color: bool,
    out: Mutex<Box<dyn Write + Send>>,
    closed: AtomicBool,
    fingerprints: bool,
    sarif: Mutex<SarifParts>,
}

impl Output {
    /// Output to standard output.
    pub fn stdout(format: Format, color: ColorChoice) -> Output {
        let color = format == Format::Human && human::colour_stdout(color);
        Output::new(format, color, Box::new(io::stdout()))
    }

    /// Output to any writer (tests).
    pub fn new(format: Format, color: bool, out: Box<dyn Write + Send>) -> Output {
        Output {
            format,
            color,
            out: Mutex::new(out),
            closed: AtomicBool::new(false),
            fingerprints: true,
            sarif: Mutex::default(),
        }
    }

    /// Leaves fingerprints out (`verify` prints locations and kinds only).
    pub fn without_fingerprints(mut self) -> Output {
        self.fingerprints = false;
        self
    }

    /// The format in use.
    pub fn format(&self) -> Format {
        self.format
    }

    /// True once the reader went away (broken pipe).
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// Writes a block in one piece. Returns an error other than a broken
    /// pipe; a broken pipe marks the output closed.
    pub fn write_block(&self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() || self.is_closed() {
            return Ok(());
        }
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        match out.write_all(bytes).and_then(|_| out.flush()) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed.store(true, Ordering::Relaxed);
                Ok(())
            }
            other => other,
        }
    }

    /// Reports a directory that was not inspected (a git object database);
    /// returns its count.
    pub fn not_inspected(&self, path: &str, reason: &str) -> io::Result<Tally> {
        let mut buf = Vec::new();
        let item = NotInspected {
            path,
            container: &[],
            reason,
        };
        self.note_not_inspected(item, &mut buf);
        self.write_block(&buf)?;
        Ok(Tally {
            uninspected: 1,
            ..Tally::default()
        })
    }

    /// Prints `item` on stderr and adds it to the report (to `buf` for JSON).
    fn note_not_inspected(&self, item: NotInspected, buf: &mut Vec<u8>) {
        errln!("{}", item.line());
        match self.format {
            Format::Human => {}
            Format::Json => {
                let record = SearchRecord::Uninspected(item.record(None));
                buf.extend_from_slice(schema::line(&record).as_bytes());
            }
            Format::Sarif => self.sarif_parts().notifications.push(sarif::not_inspected(
                item.path,
                item.container,
                item.reason,
            )),
        }
    }

    fn sarif_parts(&self) -> std::sync::MutexGuard<'_, SarifParts> {
        self.sarif.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A per-file reporter for `path` (already escaped for display).
    pub fn file<'a>(&'a self, path: &'a str) -> FileReport<'a> {
        FileReport::new(self, file::Name::Given(path))
    }

    /// A per-file reporter for the file at `path`, whose shown name
    /// (masked, escaped) is only worked out if something is reported.
    pub fn file_at<'a>(&'a self, path: &'a std::path::Path) -> FileReport<'a> {
        FileReport::new(self, file::Name::Path(path, Default::default()))
    }

    /// Writes the end of the report: the JSON summary object or the SARIF
    /// document. Human summaries go to stderr (see [`human_summary`]).
    pub fn finish(
        &self,
        tally: &Tally,
        elapsed: std::time::Duration,
        command: &str,
    ) -> io::Result<()> {
        match self.format {
            Format::Human => Ok(()),
            Format::Json => {
                let summary = SearchRecord::Summary(SearchSummary {
                    command,
                    files: tally.files,
                    bytes: tally.bytes,
                    findings: tally.findings,
                    files_with_findings: tally.files_with_findings,
                    errors: tally.errors,
                    uninspected: tally.uninspected,
                    by_kind: &tally.by_kind,
                    elapsed_ms: elapsed.as_millis() as u64,
                });
                self.write_block(schema::line(&summary).as_bytes())
            }
            Format::Sarif => {
                let parts = std::mem::take(&mut *self.sarif_parts());
                let cwd = std::env::current_dir().ok();
                let srcroot = cwd.as_deref().map(crate::mask::sanitize::display_path);
                let log = sarif::log(
                    parts.results,
                    parts.notifications,
                    tally.errors == 0,
                    srcroot.as_deref(),
                );
                let mut text = serde_json::to_vec_pretty(&log).expect("SARIF types serialise");
                text.push(b'\n');
                self.write_block(&text)
            }
        }
    }
}

/// The one-line human summary (for stderr).
pub fn human_summary(tally: &Tally, elapsed: std::time::Duration, verb: &str) -> String {
    let mut line = format!(
        "cfscrub: {} finding{} in {} of {} file{} ({}, {:.2} s)",
        tally.findings,
        if tally.findings == 1 { "" } else { "s" },
        tally.files_with_findings,
        tally.files,
        if tally.files == 1 { "" } else { "s" },
        human_bytes(tally.bytes),
        elapsed.as_secs_f64()
    );
    if !verb.is_empty() {
        line = line.replacen("cfscrub:", &format!("cfscrub {verb}:"), 1);
    }
    if tally.findings > 0 {
        line.push_str(&format!(": {}", tally.kinds_line()));
    }
    if tally.errors > 0 {
        line.push_str(&format!(
            "; {} error{}",
            tally.errors,
            if tally.errors == 1 { "" } else { "s" }
        ));
    }
    if tally.uninspected > 0 {
        line.push_str(&format!("; {} not inspected", tally.uninspected));
    }
    line
}

/// `1.5 MB`, `320 B`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1000.0;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_rounds() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500_000), "1.5 MB");
    }
}
