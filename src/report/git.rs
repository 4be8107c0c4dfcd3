//! Findings in a git repository's objects: what names an object in each
//! format of [`Output`] — where a blob was first committed and how many
//! commits carry it, which commit or tag message, what is unreachable or
//! only staged. The findings themselves go through [`FileReport`] like a
//! file's (same buffering, same stop on a closed output, the typed JSON
//! record [`FindingRecord`](super::schema::FindingRecord) with its [`GitObject`] fields,
//! the typed SARIF result), named by a [`Names`].
//!
//! A child of `report` so that it shares the parent's buffered output,
//! SARIF results and not-inspected records; like every reporter it sees
//! [`Finding`](crate::core::finding::Finding)s and masked, escaped names only.

use super::sarif::{self, SarifResult, VersionControlDetails};
use super::schema::GitObject;
use super::{FileReport, Format, Output, Tally};
use crate::mask::sanitize::display_path;
use crate::source::git::objects::{ObjectKind, Place, Target};
use std::ffi::OsStr;
use std::io;
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

/// The names of one object, worked out once for all its findings.
#[derive(Debug, Default)]
pub(super) struct Names {
    /// Human prefix before `:line:column`.
    pub(super) location: String,
    /// Human suffix after the fingerprint.
    pub(super) note: String,
    /// SARIF artifact URI.
    pub(super) uri: String,
    /// `blob`, `commit`, `tag`.
    object: &'static str,
    id: String,
    /// The blob's path in the commit that first put it there.
    pub(super) path: Option<String>,
    first_seen: Option<String>,
    commits: Option<u32>,
    tag: Option<String>,
    reachable: Option<bool>,
    staged: Option<bool>,
    /// The commit SARIF's `partialFingerprints.commitSha` names.
    commit_sha: Option<String>,
}

impl Names {
    /// How human output and not-inspected lines show the object.
    pub(super) fn shown(&self) -> String {
        format!("{}{}", self.location, self.note)
    }

    /// The JSON fields naming the object.
    pub(super) fn record(&self) -> GitObject<'_> {
        GitObject {
            object: self.object,
            id: &self.id,
            commit: self.first_seen.as_deref(),
            commits: self.commits,
            tag: self.tag.as_deref(),
            reachable: self.reachable,
            staged: self.staged,
        }
    }

    /// Names the object in a SARIF result: in its message, and the commit
    /// in its partial fingerprints.
    pub(super) fn mark(&self, result: &mut SarifResult) {
        result.message.text = format!("{} in {}", result.message.text, self.shown());
        if let Some(commit) = &self.commit_sha {
            result
                .partial_fingerprints
                .get_or_insert_with(Default::default)
                .insert("commitSha", commit.clone());
        }
    }
}

fn names(target: &Target) -> Names {
    let oid = &target.oid;
    let base = Names {
        object: target.kind.name(),
        id: oid.clone(),
        ..Names::default()
    };
    match &target.place {
        Place::InCommits {
            commit,
            path,
            commits,
            reachable,
        } => {
            let path = show_bytes(path);
            let note = if *reachable {
                format!(
                    " [first seen in {}, {commits} commit{}]",
                    short(commit),
                    if *commits == 1 { "" } else { "s" }
                )
            } else {
                format!(" [unreachable blob {oid}, first seen in {}]", short(commit))
            };
            Names {
                location: format!("{}:{path}", short(commit)),
                note,
                uri: path.clone(),
                path: Some(path),
                first_seen: Some(commit.clone()),
                commits: Some(*commits),
                reachable: Some(*reachable),
                commit_sha: Some(commit.clone()),
                ..base
            }
        }
        Place::Own { tag_ref, reachable } => {
            let (location, tag) = match (target.kind, tag_ref) {
                (ObjectKind::Tag, Some(name)) => {
                    let name = show_bytes(name.strip_prefix(b"refs/tags/").unwrap_or(name));
                    (format!("tag {name} {}", short(oid)), Some(name))
                }
                (kind, _) => (format!("{} {}", kind.name(), short(oid)), None),
            };
            let note = if *reachable {
                " [message]".to_string()
            } else {
                format!(" [message; unreachable {} {oid}]", target.kind.name())
            };
            Names {
                location,
                note,
                uri: format!("git/{}/{oid}", target.kind.name()),
                tag,
                reachable: Some(*reachable),
                commit_sha: (target.kind == ObjectKind::Commit).then(|| oid.clone()),
                ..base
            }
        }
        Place::Index(path) => {
            let path = show_bytes(path);
            Names {
                location: path.clone(),
                note: " [staged]".into(),
                uri: path.clone(),
                path: Some(path),
                staged: Some(true),
                ..base
            }
        }
        Place::Unreachable => Names {
            location: format!("unreachable blob {}", short(oid)),
            note: format!(" [unreachable blob {oid}]"),
            uri: format!("git/blob/{oid}"),
            reachable: Some(false),
            ..base
        },
    }
}

impl Output {
    /// The report of one git object: a [`FileReport`] named by where the
    /// object is.
    pub fn git_object(&self, target: &Target) -> FileReport<'_> {
        FileReport::of_git_object(self, names(target))
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
        let mut log = sarif::log(parts.results, parts.notifications, tally.errors == 0, None);
        if let Some((repository_uri, revision_id)) = provenance {
            log.runs[0]
                .version_control_provenance
                .push(VersionControlDetails {
                    repository_uri,
                    revision_id,
                });
        }
        let mut text = serde_json::to_vec_pretty(&log).expect("SARIF types serialise");
        text.push(b'\n');
        self.write_block(&text)
    }
}

/// `cfscrub git scan: 2 findings in 2 of 140 objects (1.2 MB, 0.05 s): …`.
pub fn git_summary(tally: &Tally, elapsed: std::time::Duration, verb: &str) -> String {
    let line = super::human_summary(tally, elapsed, verb);
    line.replacen(" file)", " object)", 1)
        .replacen(" files (", " objects (", 1)
        .replacen(" file (", " object (", 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::finding::Finding;
    use crate::core::rules::{Confidence, Kind};
    use crate::core::stream::Sink;
    use std::sync::{Arc, Mutex};

    /// A writer the test reads back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl io::Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn finding() -> Finding {
        Finding {
            offset: 30,
            length: 53,
            kind: Kind::UserToken,
            confidence: Confidence::High,
            fingerprint: None,
            encoding: None,
            line: 2,
            column: 7,
        }
    }

    fn report(format: Format, target: &Target) -> String {
        let out = Shared::default();
        let output = Output::new(format, false, Box::new(out.clone()));
        let mut report = output.git_object(target);
        report.finding(&finding()).unwrap();
        report.finish(100).unwrap();
        output
            .finish_git(&Tally::default(), Default::default(), "git scan", None)
            .unwrap();
        let text = out.0.lock().unwrap().clone();
        String::from_utf8(text).unwrap()
    }

    fn blob() -> Target {
        Target {
            oid: "b".repeat(40),
            kind: ObjectKind::Blob,
            place: Place::InCommits {
                commit: "c".repeat(40),
                path: b"app/.env".to_vec(),
                commits: 2,
                reachable: true,
            },
        }
    }

    #[test]
    fn a_blob_finding_is_the_scan_record_with_the_object_fields_first() {
        let json = report(Format::Json, &blob());
        let first = json.lines().next().unwrap();
        let expected = format!(
            "{{\"type\":\"finding\",\"object\":\"blob\",\"id\":\"{}\",\"commit\":\"{}\",\
             \"commits\":2,\"reachable\":true,\"path\":\"app/.env\",\"line\":2,\"column\":7,\
             \"offset\":30,\"length\":53,\"kind\":\"cloudflare-user-token\",\
             \"confidence\":\"high\",\"fingerprint\":null}}",
            "b".repeat(40),
            "c".repeat(40)
        );
        assert_eq!(first, expected);
    }

    #[test]
    fn a_tag_message_has_no_path_and_names_the_tag() {
        let tag = Target {
            oid: "a".repeat(40),
            kind: ObjectKind::Tag,
            place: Place::Own {
                tag_ref: Some(b"refs/tags/v1".to_vec()),
                reachable: true,
            },
        };
        let json = report(Format::Json, &tag);
        let record: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
        assert_eq!(record["tag"], "v1");
        assert_eq!(record["object"], "tag");
        assert!(record.get("path").is_none() && record.get("commit").is_none());
        let human = report(Format::Human, &tag);
        assert!(
            human.starts_with(&format!("tag v1 {}:2:7:", "a".repeat(12))),
            "{human}"
        );
        assert!(human.ends_with(" [message]\n"), "{human}");
    }

    #[test]
    fn sarif_names_the_commit_in_partial_fingerprints_and_the_object_in_the_message() {
        let doc: serde_json::Value = serde_json::from_str(&report(Format::Sarif, &blob())).unwrap();
        let result = &doc["runs"][0]["results"][0];
        assert_eq!(result["partialFingerprints"]["commitSha"], "c".repeat(40));
        let text = result["message"]["text"].as_str().unwrap();
        assert!(
            text.ends_with("[first seen in cccccccccccc, 2 commits]"),
            "{text}"
        );
        assert_eq!(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "app/.env"
        );
    }

    #[test]
    fn a_staged_blob_is_staged_not_reachable() {
        let staged = Target {
            oid: "d".repeat(40),
            kind: ObjectKind::Blob,
            place: Place::Index(b"x.env".to_vec()),
        };
        let json = report(Format::Json, &staged);
        let record: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
        assert_eq!(record["staged"], true);
        assert_eq!(record["path"], "x.env");
        assert!(record.get("reachable").is_none());
    }
}
