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
//! One file (about 500 lines before the tests): the three formats share the
//! per-file buffering, the tally and the not-inspected records; splitting
//! them per format is left for the typed output schema.

pub mod progress;
pub mod rule_export;

use crate::core::finding::Finding;
use crate::core::rules::{Confidence, Kind, RULES};
use crate::core::stream::Sink;
use crate::errln;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// A file's buffered output is written once it reaches this size.
pub const FLUSH_AT: usize = 1 << 20;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `path:line:column: kind (confidence) fp:…`, coloured on a terminal.
    Human,
    /// JSON Lines: one object per finding, then a summary object.
    Json,
    /// One SARIF 2.1.0 document for code-scanning dashboards.
    Sarif,
}

/// When to colour human output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour a stream that is (or is not) a terminal.
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
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

    /// The counts per kind as a JSON object.
    pub fn kinds_json(&self) -> serde_json::Value {
        self.by_kind
            .iter()
            .map(|(k, n)| (k.id().to_string(), json!(n)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
}

/// A file or directory cfscrub could not see through, and why (`gzip`,
/// `utf-16le`, `git object database`, ...). Printed on stderr in every
/// format, as a record in JSON, as a tool notification in SARIF.
#[derive(Debug, Clone, Copy)]
pub struct NotInspected<'a> {
    /// The path, escaped and masked for display.
    pub path: &'a str,
    /// Why it was not inspected.
    pub reason: &'a str,
}

impl NotInspected<'_> {
    /// `cfscrub: not inspected: logs/app.log.2.gz (gzip)`, for stderr.
    pub fn line(&self) -> String {
        format!("cfscrub: not inspected: {} ({})", self.path, self.reason)
    }

    /// The JSON Lines record.
    pub fn json(&self) -> serde_json::Value {
        json!({"type": "uninspected", "path": self.path, "reason": self.reason})
    }

    fn sarif_notification(&self) -> serde_json::Value {
        json!({
            "level": "warning",
            "descriptor": {"id": "not-inspected"},
            "message": {"text": format!("not inspected ({}): cfscrub cannot see through this content, so it is not known to be clean", self.reason)},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri_escape(self.path)}}}],
        })
    }
}

/// The shared destination of a run's report.
pub struct Output {
    format: Format,
    color: bool,
    out: Mutex<Box<dyn Write + Send>>,
    closed: AtomicBool,
    fingerprints: bool,
    sarif_results: Mutex<Vec<serde_json::Value>>,
    sarif_notifications: Mutex<Vec<serde_json::Value>>,
}

impl Output {
    /// Output to standard output.
    pub fn stdout(format: Format, color: ColorChoice) -> Output {
        let color = format == Format::Human && color.enabled(io::stdout().is_terminal());
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
            sarif_results: Mutex::new(Vec::new()),
            sarif_notifications: Mutex::new(Vec::new()),
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
        self.note_not_inspected(NotInspected { path, reason }, &mut buf);
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
                let _ = writeln!(buf, "{}", item.json());
            }
            Format::Sarif => self
                .sarif_notifications
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(item.sarif_notification()),
        }
    }

    /// A per-file reporter for `path` (already escaped for display).
    pub fn file<'a>(&'a self, path: &'a str) -> FileReport<'a> {
        FileReport {
            output: self,
            path,
            buf: Vec::new(),
            tally: Tally::default(),
        }
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
                let summary = json!({
                    "type": "summary",
                    "command": command,
                    "files": tally.files,
                    "bytes": tally.bytes,
                    "findings": tally.findings,
                    "files_with_findings": tally.files_with_findings,
                    "errors": tally.errors,
                    "uninspected": tally.uninspected,
                    "by_kind": tally.kinds_json(),
                    "elapsed_ms": elapsed.as_millis() as u64,
                });
                self.write_block(format!("{summary}\n").as_bytes())
            }
            Format::Sarif => {
                let results = std::mem::take(
                    &mut *self.sarif_results.lock().unwrap_or_else(|e| e.into_inner()),
                );
                let notifications = std::mem::take(
                    &mut *self
                        .sarif_notifications
                        .lock()
                        .unwrap_or_else(|e| e.into_inner()),
                );
                let doc = sarif_document(results, notifications, tally.errors == 0);
                let mut text = serde_json::to_vec_pretty(&doc).expect("JSON values serialise");
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

fn sarif_level(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "error",
        Confidence::Medium => "warning",
        Confidence::Low => "note",
    }
}

/// Percent-encodes a path for a SARIF `artifactLocation.uri`.
fn uri_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The SARIF document. Notifications (files not inspected) go in the run's
/// invocation, which is only written when there are some.
fn sarif_document(
    results: Vec<serde_json::Value>,
    notifications: Vec<serde_json::Value>,
    successful: bool,
) -> serde_json::Value {
    let mut kinds: Vec<Kind> = RULES.iter().map(|r| r.kind).collect();
    kinds.extend([Kind::KnownSecret, Kind::KnownSecretFragment]);
    kinds.sort();
    kinds.dedup();
    let rules: Vec<_> = kinds
        .iter()
        .map(|k| {
            json!({
                "id": k.id(),
                "name": k.id(),
                "shortDescription": {"text": k.title()},
                "help": {"text": "Redact with `cfscrub redact`, then rotate: `cfscrub checklist`."},
            })
        })
        .collect();
    let mut doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "cfscrub",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/cfscrub/cfscrub",
                "rules": rules,
            }},
            "results": results,
        }]
    });
    if !notifications.is_empty() {
        doc["runs"][0]["invocations"] = json!([{
            "executionSuccessful": successful,
            "toolExecutionNotifications": notifications,
        }]);
    }
    doc
}

/// The report of one file; a [`Sink`] for the stream scanner.
pub struct FileReport<'a> {
    output: &'a Output,
    path: &'a str,
    buf: Vec<u8>,
    tally: Tally,
}

impl FileReport<'_> {
    /// Records that this file's content could not be seen through, and
    /// why: a line on stderr now, a record in the report.
    pub fn not_inspected(&mut self, reason: &str) {
        let item = NotInspected {
            path: self.path,
            reason,
        };
        self.output.note_not_inspected(item, &mut self.buf);
        self.tally.uninspected = 1;
    }

    /// Writes what is buffered and returns this file's counts.
    pub fn finish(mut self, bytes: u64) -> io::Result<Tally> {
        self.output.write_block(&self.buf)?;
        self.buf.clear();
        self.tally.files = 1;
        self.tally.bytes = bytes;
        self.tally.files_with_findings = (self.tally.findings > 0) as u64;
        Ok(std::mem::take(&mut self.tally))
    }

    fn format_finding(&mut self, f: &Finding) {
        let fp = f
            .fingerprint
            .filter(|_| self.output.fingerprints)
            .map(|fp| fp.to_string());
        match self.output.format {
            Format::Human => {
                let (path_on, kind_on, off) = if self.output.color {
                    let kind = match f.confidence {
                        Confidence::High => "\x1b[1;31m",
                        Confidence::Medium => "\x1b[33m",
                        Confidence::Low => "\x1b[36m",
                    };
                    ("\x1b[35m", kind, "\x1b[0m")
                } else {
                    ("", "", "")
                };
                let _ = write!(
                    self.buf,
                    "{path_on}{}{off}:{}:{}: {kind_on}{}{off} ({})",
                    self.path,
                    f.line,
                    f.column,
                    f.kind.id(),
                    f.confidence.name()
                );
                if let Some(fp) = fp {
                    let _ = write!(self.buf, " fp:{fp}");
                }
                self.buf.push(b'\n');
            }
            Format::Json => {
                let value = json!({
                    "type": "finding",
                    "path": self.path,
                    "line": f.line,
                    "column": f.column,
                    "offset": f.offset,
                    "length": f.length,
                    "kind": f.kind.id(),
                    "confidence": f.confidence.name(),
                    "fingerprint": fp,
                });
                let _ = writeln!(self.buf, "{value}");
            }
            Format::Sarif => {
                let mut result = json!({
                    "ruleId": f.kind.id(),
                    "level": sarif_level(f.confidence),
                    "message": {"text": format!("{} ({} confidence)", f.kind.title(), f.confidence.name())},
                    "locations": [{"physicalLocation": {
                        "artifactLocation": {"uri": uri_escape(self.path)},
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "byteOffset": f.offset,
                            "byteLength": f.length,
                        },
                    }}],
                });
                if let Some(fp) = fp {
                    result["partialFingerprints"] = json!({"cfscrubFingerprint/v1": fp});
                }
                self.output
                    .sarif_results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(result);
            }
        }
    }
}

impl Sink for FileReport<'_> {
    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        self.tally.findings += 1;
        *self.tally.by_kind.entry(f.kind).or_default() += 1;
        self.format_finding(f);
        if self.buf.len() >= FLUSH_AT {
            self.output.write_block(&self.buf)?;
            self.buf.clear();
        }
        if self.output.is_closed() {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "output closed"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_escape_keeps_slashes_and_escapes_spaces() {
        assert_eq!(uri_escape("ci/run 1/a.log"), "ci/run%201/a.log");
    }

    #[test]
    fn human_bytes_rounds() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500_000), "1.5 MB");
    }
}
