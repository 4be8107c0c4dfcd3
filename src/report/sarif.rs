//! SARIF 2.1.0, typed: the subset of the schema cfscrub writes, one struct
//! per SARIF object, field names as the schema spells them.
//!
//! * Columns: SARIF counts them in UTF-16 code units unless the run says
//!   otherwise (`columnKind`), while findings carry byte columns. The run
//!   declares `utf16CodeUnits` and each result's column is converted by
//!   [`Utf16Column`], which follows the scanned data (a finding's own
//!   bytes count one unit each: credentials are ASCII).
//! * Relative paths are relative to where cfscrub ran: such a location
//!   names `uriBaseId: "%SRCROOT%"`, and `originalUriBaseIds` gives
//!   `%SRCROOT%` as the working directory's `file://` URI (code scanning
//!   resolves it to the repository root). Absolute paths are `file://`
//!   URIs of their own.
//! * No `informationUri`: the package names no repository.
//!
//! Long because it is the schema as types — one struct per SARIF object
//! cfscrub writes, each field documented — with its unit tests beside.

use crate::core::finding::{Encoding, Finding};
use crate::core::rules::{Confidence, Kind, RULES};
use serde::Serialize;
use std::collections::BTreeMap;

/// The base every artifact location is relative to.
pub const SRCROOT: &str = "%SRCROOT%";

/// The whole document.
#[derive(Debug, Serialize)]
pub struct Log {
    /// The schema's address.
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    /// `2.1.0`.
    pub version: &'static str,
    /// One run.
    pub runs: Vec<Run>,
}

/// `run`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    /// cfscrub and its rules.
    pub tool: Tool,
    /// `%SRCROOT%`, left for the consumer to resolve.
    pub original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    /// How `startColumn` counts.
    pub column_kind: &'static str,
    /// The findings.
    pub results: Vec<SarifResult>,
    /// Present when something was not inspected.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub invocations: Vec<Invocation>,
    /// `git scan`: the repository and the revision scanned.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub version_control_provenance: Vec<VersionControlDetails>,
}

/// `tool`.
#[derive(Debug, Serialize)]
pub struct Tool {
    /// The driver.
    pub driver: Driver,
}

/// `toolComponent`.
#[derive(Debug, Serialize)]
pub struct Driver {
    /// `cfscrub`.
    pub name: &'static str,
    /// The package version.
    pub version: &'static str,
    /// One rule per kind.
    pub rules: Vec<Rule>,
}

/// `reportingDescriptor`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// The kind's id.
    pub id: &'static str,
    /// The kind's id, again (code scanning shows it).
    pub name: &'static str,
    /// The kind's title.
    pub short_description: Message,
    /// What to do.
    pub help: Message,
}

/// `message`.
#[derive(Debug, Serialize)]
pub struct Message {
    /// Plain text.
    pub text: String,
}

/// `result`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    /// The kind's id.
    pub rule_id: &'static str,
    /// `error`, `warning` or `note` for high, medium, low.
    pub level: &'static str,
    /// The kind's title and confidence.
    pub message: Message,
    /// Where.
    pub locations: Vec<Location>,
    /// The fingerprint, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial_fingerprints: Option<BTreeMap<&'static str, String>>,
    /// `encoding` (`base64`, `percent`, `escape`) for a value found encoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<ResultProperties>,
}

/// The `properties` bag of a result.
#[derive(Debug, Serialize)]
pub struct ResultProperties {
    /// How the value was encoded in the file.
    pub encoding: Encoding,
}

/// `location`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// The file and the region.
    pub physical_location: PhysicalLocation,
}

/// `physicalLocation`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    /// The file.
    pub artifact_location: ArtifactLocation,
    /// The region (absent for a whole item not inspected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
}

/// `artifactLocation`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    /// A relative reference (percent-encoded path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// The base it is relative to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<&'static str>,
}

impl ArtifactLocation {
    /// `path` (as shown): relative to `%SRCROOT%`, or an absolute
    /// `file://` URI.
    pub fn of(path: &str) -> ArtifactLocation {
        if path.starts_with('/') {
            return ArtifactLocation {
                uri: Some(format!("file://{}", uri_escape(path))),
                uri_base_id: None,
            };
        }
        ArtifactLocation {
            uri: Some(uri_escape(path.strip_prefix("./").unwrap_or(path))),
            uri_base_id: Some(SRCROOT),
        }
    }

    /// A member inside the file: for each container layer, `!/` and the
    /// member's percent-encoded name (`logs/app.log.2.gz!/app.log.2`), as
    /// `jar:` URIs name a member.
    pub fn inside(mut self, container: &[String]) -> ArtifactLocation {
        if let Some(uri) = &mut self.uri {
            for name in container {
                uri.push_str("!/");
                uri.push_str(&uri_escape(name));
            }
        }
        self
    }
}

/// `region`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    /// 1-based line.
    pub start_line: u64,
    /// 1-based column in UTF-16 code units.
    pub start_column: u64,
    /// Byte offset of the value.
    pub byte_offset: u64,
    /// Its length in bytes.
    pub byte_length: usize,
}

/// `versionControlDetails`: a repository the run analysed (`git scan`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionControlDetails {
    /// Its URL, without credentials, or its git directory.
    pub repository_uri: String,
    /// `HEAD` when scanned.
    pub revision_id: String,
}

/// `invocation`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    /// False when the run had errors.
    pub execution_successful: bool,
    /// Items not inspected.
    pub tool_execution_notifications: Vec<Notification>,
}

/// `notification`: an item not inspected.
#[derive(Debug, Serialize)]
pub struct Notification {
    /// `warning`.
    pub level: &'static str,
    /// `not-inspected`.
    pub descriptor: Descriptor,
    /// Why.
    pub message: Message,
    /// Where.
    pub locations: Vec<Location>,
}

/// `reportingDescriptorReference`.
#[derive(Debug, Serialize)]
pub struct Descriptor {
    /// The descriptor's id.
    pub id: &'static str,
}

/// The result for `f` in the file shown as `path` (inside the members
/// `container`), at UTF-16 column `column`; its fingerprint only when
/// `fingerprints`.
pub fn result(
    path: &str,
    container: &[String],
    f: &Finding,
    column: u64,
    fingerprints: bool,
) -> SarifResult {
    SarifResult {
        rule_id: f.kind.id(),
        level: match f.confidence {
            Confidence::High => "error",
            Confidence::Medium => "warning",
            Confidence::Low => "note",
        },
        message: Message {
            text: format!("{} ({} confidence)", f.kind.title(), f.confidence.name()),
        },
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation::of(path).inside(container),
                region: Some(Region {
                    start_line: f.line,
                    start_column: column,
                    byte_offset: f.offset,
                    byte_length: f.length,
                }),
            },
        }],
        partial_fingerprints: f
            .fingerprint
            .filter(|_| fingerprints)
            .map(|fp| BTreeMap::from([("cfscrubFingerprint/v1", fp.to_string())])),
        properties: f.encoding.map(|encoding| ResultProperties { encoding }),
    }
}

/// The notification for an item not inspected.
pub fn not_inspected(path: &str, container: &[String], reason: &str) -> Notification {
    Notification {
        level: "warning",
        descriptor: Descriptor {
            id: "not-inspected",
        },
        message: Message {
            text: format!("not inspected ({reason}): cfscrub cannot see through this content, so it is not known to be clean"),
        },
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation::of(path).inside(container),
                region: None,
            },
        }],
    }
}

/// The document: one run with every kind as a rule, `%SRCROOT%` being
/// `srcroot` (the working directory, shown; `None` when unknown).
/// Notifications go in the run's invocation, written only when there are
/// some.
pub fn log(
    results: Vec<SarifResult>,
    notifications: Vec<Notification>,
    successful: bool,
    srcroot: Option<&str>,
) -> Log {
    let mut kinds: Vec<Kind> = RULES.iter().map(|r| r.kind).collect();
    kinds.extend([Kind::KnownSecret, Kind::KnownSecretFragment]);
    kinds.sort();
    kinds.dedup();
    let rules = kinds
        .iter()
        .map(|k| Rule {
            id: k.id(),
            name: k.id(),
            short_description: Message {
                text: k.title().to_string(),
            },
            help: Message {
                text: "Redact with `cfscrub redact`, then rotate: `cfscrub checklist`.".into(),
            },
        })
        .collect();
    let invocations = if notifications.is_empty() {
        Vec::new()
    } else {
        vec![Invocation {
            execution_successful: successful,
            tool_execution_notifications: notifications,
        }]
    };
    Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "cfscrub",
                    version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            original_uri_base_ids: BTreeMap::from([(
                SRCROOT,
                ArtifactLocation {
                    uri: srcroot
                        .filter(|dir| dir.starts_with('/'))
                        .map(|dir| format!("file://{}/", uri_escape(dir.trim_end_matches('/')))),
                    uri_base_id: None,
                },
            )]),
            column_kind: "utf16CodeUnits",
            results,
            invocations,
            version_control_provenance: Vec::new(),
        }],
    }
}

/// Follows a file's data to turn byte columns into UTF-16 columns: the
/// code units since the last newline.
#[derive(Debug, Default)]
pub struct Utf16Column {
    units: u64,
}

impl Utf16Column {
    /// Data between findings.
    pub fn data(&mut self, bytes: &[u8]) {
        let line = match memchr::memrchr(b'\n', bytes) {
            Some(nl) => {
                self.units = 0;
                &bytes[nl + 1..]
            }
            None => bytes,
        };
        self.units += utf16_units(line);
    }

    /// The 1-based UTF-16 column of a finding starting now; then counts
    /// its bytes (ASCII: one unit each).
    pub fn finding(&mut self, length: usize) -> u64 {
        let column = self.units + 1;
        self.units += length as u64;
        column
    }
}

/// UTF-16 code units of UTF-8 bytes: one per character, two for a
/// character beyond the BMP (a 4-byte sequence); an invalid byte counts as
/// the one replacement character it decodes to, as well as can be told
/// byte by byte.
fn utf16_units(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0xBF => 0,
            0xF0..=0xFF => 2,
            _ => 1,
        })
        .sum()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_escape_keeps_slashes_and_escapes_spaces() {
        assert_eq!(uri_escape("ci/run 1/a.log"), "ci/run%201/a.log");
    }

    #[test]
    fn a_member_uri_follows_its_file_after_bang_slash() {
        let inner = ["logs.tar".to_string(), "x/a b.log".to_string()];
        let location = ArtifactLocation::of("a.tgz").inside(&inner);
        assert_eq!(
            location.uri.as_deref(),
            Some("a.tgz!/logs.tar!/x/a%20b.log")
        );
    }

    #[test]
    fn utf16_column_counts_code_units_since_the_last_newline() {
        let mut col = Utf16Column::default();
        col.data("old line é\nkey: ".as_bytes());
        assert_eq!(col.finding(3), 6);
        // é is 2 bytes, 1 unit; 😀 is 4 bytes, 2 units.
        col.data("\né😀 ".as_bytes());
        assert_eq!(col.finding(3), 5);
        col.data(b" ");
        assert_eq!(col.finding(1), 9);
    }
}
