//! The JSON Lines schema: one type per record, serialised as they are
//! declared (field order included). These types ARE the format the README's
//! *Output* section and `redact`'s `--format json` paragraph document;
//! nothing else writes JSON Lines.
//!
//! Every record starts with `"type"`. Paths are already escaped and masked
//! for display; no record has a field that could hold a value.

use crate::core::finding::{Encoding, Finding};
use crate::core::rules::{Confidence, Kind};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// A record of `scan --format json` or `verify --format json`.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum SearchRecord<'a> {
    /// One finding.
    Finding(FindingRecord<'a>),
    /// One item not inspected.
    Uninspected(UninspectedRecord<'a>),
    /// The last record.
    Summary(SearchSummary<'a>),
}

/// A record of `redact --format json`.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum RedactRecord<'a> {
    /// A file redacted, or that a dry run would redact.
    File(RedactedFile<'a>),
    /// A file that could not be (fully) redacted.
    Error(RedactError<'a>),
    /// One item not inspected, with what its raw bytes hold.
    Uninspected(UninspectedRecord<'a>),
    /// The last record.
    Summary(RedactSummary),
}

/// `{"type":"finding","path":…,"line":…,…}`.
#[derive(Debug, Serialize)]
pub struct FindingRecord<'a> {
    /// `git scan`: the object and where it is; absent elsewhere.
    #[serde(flatten)]
    pub git: Option<GitObject<'a>>,
    /// As walked, escaped and masked; `<stdin>` for `-`. In `git scan`,
    /// a blob's path in the commit that first put it there, escaped and
    /// masked; absent for a message or a blob no commit holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<&'a str>,
    /// Inside a compressed file or an archive: the names of the layers
    /// and members, outermost first, escaped and masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_path: Option<&'a [String]>,
    /// 1-based line.
    pub line: u64,
    /// 1-based byte column.
    pub column: u64,
    /// Byte offset of the value in the file.
    pub offset: u64,
    /// Its length in bytes.
    pub length: usize,
    /// The kind's id.
    #[serde(serialize_with = "kind_id")]
    pub kind: Kind,
    /// `high`, `medium` or `low`.
    pub confidence: Confidence,
    /// 16 hex digits, or `null` (partials, fragments, weak values, `verify`).
    pub fingerprint: Option<String>,
    /// `base64`, `percent` or `escape` when the value was found encoded
    /// (its fingerprint is the decoded value's); absent when written as itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
}

impl<'a> FindingRecord<'a> {
    /// The record of `finding` in the file shown as `path`; its
    /// fingerprint only when `fingerprints`.
    pub fn new(path: &'a str, f: &Finding, fingerprints: bool) -> Self {
        FindingRecord {
            git: None,
            path: Some(path),
            container_path: None,
            line: f.line,
            column: f.column,
            offset: f.offset,
            length: f.length,
            kind: f.kind,
            confidence: f.confidence,
            fingerprint: f
                .fingerprint
                .filter(|_| fingerprints)
                .map(|fp| fp.to_string()),
            encoding: f.encoding,
        }
    }
}

/// The fields of a `git scan` finding that name the git object, before
/// the path and the fields of `scan`.
#[derive(Debug, Serialize)]
pub struct GitObject<'a> {
    /// `blob`, `commit` or `tag`.
    pub object: &'static str,
    /// Its full id.
    pub id: &'a str,
    /// A blob in history: the oldest commit that put it at `path` (first
    /// seen).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<&'a str>,
    /// A blob in history: how many commits put it in place.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits: Option<u32>,
    /// An annotated tag a ref names: the tag's name, escaped and masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<&'a str>,
    /// Whether a ref or a reflog entry reaches the object (absent for a
    /// blob only the index holds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reachable: Option<bool>,
    /// `true` for a blob only the index holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staged: Option<bool>,
}

/// `{"type":"uninspected","path":…,"reason":…}` (`redact` adds `found`).
#[derive(Debug, Serialize)]
pub struct UninspectedRecord<'a> {
    /// The path shown.
    pub path: &'a str,
    /// Inside a compressed file or an archive: the names of the layers
    /// and members leading to what was not inspected, outermost first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_path: Option<&'a [String]>,
    /// `gzip`, `utf-16le`, `git object database`, ...
    pub reason: &'a str,
    /// `redact`: findings in a file's raw bytes, left in place (absent for
    /// a git object database, and in `scan`/`verify`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<u64>,
}

/// The summary of `scan` and `verify`.
#[derive(Debug, Serialize)]
pub struct SearchSummary<'a> {
    /// `scan` or `verify`.
    pub command: &'a str,
    /// Files (and streams) read.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Findings.
    pub findings: u64,
    /// Files with at least one finding.
    pub files_with_findings: u64,
    /// Errors.
    pub errors: u64,
    /// Items not inspected.
    pub uninspected: u64,
    /// Findings per kind id.
    #[serde(serialize_with = "kind_counts")]
    pub by_kind: &'a BTreeMap<Kind, u64>,
    /// Wall-clock time.
    pub elapsed_ms: u64,
}

/// What `redact` did (or would do) to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Rewritten.
    Redacted,
    /// A dry run: would be rewritten.
    WouldRedact,
}

/// `{"type":"file","path":…,"action":…,"method":…,…}`.
#[derive(Debug, Serialize)]
pub struct RedactedFile<'a> {
    /// The path shown.
    pub path: &'a str,
    /// Done or planned.
    pub action: Action,
    /// `rename` or `same-length`.
    pub method: &'static str,
    /// `text`, `requested`, `binary`, `sqlite`, `compressed`, `archive`
    /// or `utf-16`.
    pub reason: &'static str,
    /// The binary or container format, or `null`.
    pub format: Option<&'static str>,
    /// Credentials replaced (or to replace).
    pub redacted: u64,
    /// Per kind id.
    #[serde(serialize_with = "kind_counts")]
    pub by_kind: &'a BTreeMap<Kind, u64>,
    /// Bytes appended by a writer during the rewrite, carried over (redacted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carried_over_bytes: Option<u64>,
    /// Dry runs: the lines of the findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<&'a [u64]>,
    /// A container: each stream inside it that changed (or would).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inside: Vec<InsideStream<'a>>,
}

/// One stream inside a container in a `file` record of `redact`.
#[derive(Debug, Serialize)]
pub struct InsideStream<'a> {
    /// The layers' names, outermost first, escaped and masked.
    pub container_path: Vec<String>,
    /// Credentials replaced (or to replace) in it.
    pub redacted: u64,
    /// Per kind id.
    #[serde(serialize_with = "kind_counts")]
    pub by_kind: &'a BTreeMap<Kind, u64>,
    /// The lines of the findings, counted in this stream.
    pub lines: &'a [u64],
}

/// `{"type":"error","path":…,"message":…,"remaining":…,"fix":…}`.
#[derive(Debug, Serialize)]
pub struct RedactError<'a> {
    /// The path shown.
    pub path: &'a str,
    /// Why it was not (fully) redacted, masked.
    pub message: &'a str,
    /// What it still holds; `null` when it cannot be read.
    pub remaining: Option<u64>,
    /// What would get it done, or `null`.
    pub fix: Option<&'a str>,
}

/// The summary of `redact`.
#[derive(Debug, Serialize)]
pub struct RedactSummary {
    /// Always `redact`.
    pub command: &'static str,
    /// `--dry-run`.
    pub dry_run: bool,
    /// Files walked.
    pub files: u64,
    /// Files changed (0 on a dry run).
    pub changed: u64,
    /// Credentials redacted (on a dry run: that would be).
    pub redacted: u64,
    /// Credentials still on disk after the run; `null` on a dry run,
    /// which verifies nothing.
    pub remaining: Option<u64>,
    /// On a dry run only: what the run could not remove (failures, raw
    /// bytes of content not inspected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub would_remain: Option<u64>,
    /// Not on a dry run: files that could not be read again after the
    /// run (refused or failed, and unreadable): what they hold is not
    /// known, and `remaining` does not count it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unverified: Option<u64>,
    /// Errors.
    pub errors: u64,
    /// Items not inspected.
    pub uninspected: u64,
    /// Wall-clock time.
    pub elapsed_ms: u64,
}

/// One JSON Lines line of `record`.
pub fn line(record: &impl Serialize) -> String {
    let mut text = serde_json::to_string(record).expect("records have string keys");
    text.push('\n');
    text
}

fn kind_id<S: Serializer>(kind: &Kind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.id())
}

fn kind_counts<S: Serializer>(counts: &&BTreeMap<Kind, u64>, s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(counts.len()))?;
    for (kind, n) in counts.iter() {
        map.serialize_entry(kind.id(), n)?;
    }
    map.end()
}
