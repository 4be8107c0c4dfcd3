//! Findings in a git repository's objects, in the three formats of
//! [`Output`]: where a blob was first committed and how many commits carry
//! it, which commit or tag message, what is unreachable or only staged.
//!
//! A child of `report` so that it shares the parent's buffered output,
//! SARIF results and not-inspected records; like every reporter it sees
//! [`Finding`]s and masked, escaped names only.

use super::{human, sarif, NotInspected, Output, Tally, FLUSH_AT};
use crate::core::finding::Finding;
use crate::core::stream::{Flow, Sink};
use crate::mask::sanitize::display_path;
use crate::report::Format;
use crate::source::git::objects::{ObjectKind, Place, Target};
use serde_json::json;
use std::ffi::OsStr;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// How many hex digits of an object id human output shows.
pub const SHORT_ID: usize = 12;

/// A raw git path or ref name, escaped and masked for display.
pub fn show_bytes(raw: &[u8]) -> String {
    display_path(Path::new(OsStr::from_bytes(raw)))
}

fn short(oid: &str) -> &str {
    &oid[..oid.len().min(SHORT_ID)]
}

/// The names of one object, computed once for all its findings.
struct Names {
    /// Human prefix before `:line:column`.
    location: String,
    /// Human suffix after the fingerprint.
    note: String,
    /// SARIF artifact URI.
    uri: String,
    /// JSON fields naming the object.
    json: serde_json::Map<String, serde_json::Value>,
    /// The commit, for SARIF.
    commit: Option<String>,
}

fn names(target: &Target) -> Names {
    let oid = &target.oid;
    let mut json = serde_json::Map::new();
    json.insert("object".into(), json!(target.kind.name()));
    json.insert("id".into(), json!(oid));
    match &target.place {
        Place::InCommits {
            commit,
            path,
            commits,
            reachable,
        } => {
            let path = show_bytes(path);
            json.insert("commit".into(), json!(commit));
            json.insert("commits".into(), json!(commits));
            json.insert("path".into(), json!(path));
            json.insert("reachable".into(), json!(reachable));
            let mut note = format!(
                " [first seen in {}, {commits} commit{}]",
                short(commit),
                if *commits == 1 { "" } else { "s" }
            );
            if !reachable {
                note = format!(" [unreachable blob {oid}, first seen in {}]", short(commit));
            }
            Names {
                location: format!("{}:{path}", short(commit)),
                note,
                uri: path,
                json,
                commit: Some(commit.clone()),
            }
        }
        Place::Own { tag_ref, reachable } => {
            json.insert("reachable".into(), json!(reachable));
            let what = match (target.kind, tag_ref) {
                (ObjectKind::Tag, Some(name)) => {
                    let name = show_bytes(name.strip_prefix(b"refs/tags/").unwrap_or(name));
                    json.insert("tag".into(), json!(name));
                    format!("tag {name} {}", short(oid))
                }
                (kind, _) => format!("{} {}", kind.name(), short(oid)),
            };
            let note = if *reachable {
                " [message]".to_string()
            } else {
                format!(" [message; unreachable {} {oid}]", target.kind.name())
            };
            Names {
                location: what,
                note,
                uri: format!("git/{}/{oid}", target.kind.name()),
                json,
                commit: (target.kind == ObjectKind::Commit).then(|| oid.clone()),
            }
        }
        Place::Index(path) => {
            let path = show_bytes(path);
            json.insert("path".into(), json!(path));
            json.insert("staged".into(), json!(true));
            Names {
                location: path.clone(),
                note: " [staged]".into(),
                uri: path,
                json,
                commit: None,
            }
        }
        Place::Unreachable => {
            json.insert("reachable".into(), json!(false));
            Names {
                location: format!("unreachable blob {}", short(oid)),
                note: format!(" [unreachable blob {oid}]"),
                uri: format!("git/blob/{oid}"),
                json,
                commit: None,
            }
        }
    }
}

/// The report of one object; a [`Sink`] for the stream scanner.
pub struct ObjectReport<'a> {
    output: &'a Output,
    names: Names,
    buf: Vec<u8>,
    tally: Tally,
    /// SARIF: the UTF-16 column, following the data.
    column: Option<sarif::Utf16Column>,
}

impl Output {
    /// A reporter for one git object.
    pub fn git_object(&self, target: &Target) -> ObjectReport<'_> {
        ObjectReport {
            output: self,
            names: names(target),
            buf: Vec::new(),
            tally: Tally::default(),
            column: (self.format == Format::Sarif).then(sarif::Utf16Column::default),
        }
    }

    /// Writes the end of a git report: like [`Output::finish`], with the
    /// repository (`provenance`: its URL and `HEAD`) in SARIF's
    /// `versionControlProvenance`.
    pub fn finish_git(
        &self,
        tally: &Tally,
        elapsed: std::time::Duration,
        command: &str,
        provenance: Option<(String, String)>,
    ) -> io::Result<()> {
        if self.format != Format::Sarif {
            return self.finish(tally, elapsed, command);
        }
        let parts = std::mem::take(&mut *self.sarif_parts());
        let log = sarif::log(parts.results, parts.notifications, tally.errors == 0, None);
        let mut doc = serde_json::to_value(&log).expect("SARIF types serialise");
        if let Some((uri, revision)) = provenance {
            doc["runs"][0]["versionControlProvenance"] =
                json!([{"repositoryUri": uri, "revisionId": revision}]);
        }
        let mut text = serde_json::to_vec_pretty(&doc).expect("JSON values serialise");
        text.push(b'\n');
        self.write_block(&text)
    }
}

impl ObjectReport<'_> {
    /// Records that this object's content could not be seen through.
    pub fn not_inspected(&mut self, reason: &str) {
        let path = format!("{}{}", self.names.location, self.names.note);
        self.output.note_not_inspected(
            NotInspected {
                path: &path,
                container: &[],
                reason,
            },
            &mut self.buf,
        );
        self.tally.uninspected = 1;
    }

    /// Writes what is buffered and returns this object's counts.
    pub fn finish(mut self, bytes: u64) -> io::Result<Tally> {
        self.output.write_block(&self.buf)?;
        self.tally.files = 1;
        self.tally.bytes = bytes;
        self.tally.files_with_findings = (self.tally.findings > 0) as u64;
        Ok(std::mem::take(&mut self.tally))
    }

    fn format_finding(&mut self, f: &Finding) {
        let n = &self.names;
        match self.output.format {
            Format::Human => {
                human::finding_line(&mut self.buf, &n.location, f, true, self.output.color);
                self.buf.pop(); // the newline: the note goes first
                let _ = writeln!(self.buf, "{}", n.note);
            }
            Format::Json => {
                let mut value = json!({"type": "finding"});
                let object = value.as_object_mut().expect("an object");
                object.extend(n.json.clone());
                object.extend([
                    ("line".to_string(), json!(f.line)),
                    ("column".to_string(), json!(f.column)),
                    ("offset".to_string(), json!(f.offset)),
                    ("length".to_string(), json!(f.length)),
                    ("kind".to_string(), json!(f.kind.id())),
                    ("confidence".to_string(), json!(f.confidence.name())),
                    (
                        "fingerprint".to_string(),
                        json!(f.fingerprint.map(|fp| fp.to_string())),
                    ),
                ]);
                if let Some(encoding) = f.encoding {
                    object.insert("encoding".to_string(), json!(encoding.name()));
                }
                let _ = writeln!(self.buf, "{value}");
            }
            Format::Sarif => {
                let column = self
                    .column
                    .as_mut()
                    .map_or(f.column, |c| c.finding(f.length));
                let mut result = sarif::result(&n.uri, &[], f, column, true);
                result.message.text =
                    format!("{} in {}{}", result.message.text, n.location, n.note);
                if let Some(commit) = &n.commit {
                    result
                        .partial_fingerprints
                        .get_or_insert_with(Default::default)
                        .insert("commitSha", commit.clone());
                }
                self.output.sarif_parts().results.push(result);
            }
        }
    }
}

impl Sink for ObjectReport<'_> {
    fn data(&mut self, bytes: &[u8]) -> io::Result<Flow> {
        if let Some(column) = &mut self.column {
            column.data(bytes);
        }
        Ok(Flow::Continue)
    }

    /// Stops once the output is closed (`| head`): nobody reads on.
    fn finding(&mut self, f: &Finding) -> io::Result<Flow> {
        self.tally.findings += 1;
        *self.tally.by_kind.entry(f.kind).or_default() += 1;
        self.format_finding(f);
        if self.buf.len() >= FLUSH_AT {
            self.output.write_block(&self.buf)?;
            self.buf.clear();
        }
        Ok(if self.output.is_closed() {
            Flow::Stop
        } else {
            Flow::Continue
        })
    }
}

/// `cfscrub git scan: 2 findings in 2 of 140 objects (1.2 MB, 0.05 s): …`.
pub fn git_summary(tally: &Tally, elapsed: std::time::Duration, verb: &str) -> String {
    let line = super::human_summary(tally, elapsed, verb);
    line.replacen(" file)", " object)", 1)
        .replacen(" files (", " objects (", 1)
        .replacen(" file (", " object (", 1)
}
