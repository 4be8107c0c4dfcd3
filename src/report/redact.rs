//! `redact`'s report: a line (or a JSON Lines record, [`schema::RedactRecord`])
//! per file changed, planned, refused or not inspected, the credentials
//! still on disk after the rewrite, and the summary.
//!
//! Records are buffered and written at the end, in walk order; per-file
//! problems go to stderr as they are reported. The summary, and writing
//! it all out, are [`summary`]'s.

mod summary;

use super::schema::{self, Action, InsideStream, RedactError, RedactRecord, RedactedFile};
use super::{NotInspected, Tally};
use crate::core::counts::FileCounts;
use crate::core::sniff::Opaque;
use crate::errln;
use crate::mask::sanitize::display_path;
use crate::rewrite::archive::Inside;
use crate::rewrite::method::Plan;
use crate::rewrite::verify::ProofError;
use std::io::Write;
use std::path::Path;

/// What happened to one file.
pub enum FileOutcome<'a> {
    /// Rewritten.
    Redacted {
        /// What was replaced.
        counts: &'a FileCounts,
        /// Bytes a writer appended meanwhile, carried over.
        carried_over: u64,
        /// How.
        plan: &'a Plan,
        /// Inside a container: where, and what was not inspected.
        inside: &'a Inside,
    },
    /// Nothing to change (or changed through its database's turn); in a
    /// container, what was not inspected.
    Untouched(&'a Inside),
    /// A dry run's plan.
    WouldRedact {
        /// What would be replaced.
        counts: &'a FileCounts,
        /// How.
        plan: &'a Plan,
        /// Inside a container: where, and what was not inspected.
        inside: &'a Inside,
    },
    /// Not a regular file: skipped.
    Skipped(&'static str),
    /// Not (fully) rewritten.
    Failed {
        /// Why (masked).
        message: &'a str,
        /// What would get it done.
        remedy: Option<&'static str>,
        /// What it still holds (`None`: could not be read, or a dry run).
        left: Option<&'a FileCounts>,
    },
    /// Content cfscrub cannot see through: left untouched.
    NotInspected {
        /// Its format.
        format: Opaque,
        /// What its raw bytes hold.
        raw: &'a FileCounts,
    },
}

/// What the run comes to.
#[derive(Debug, Default)]
pub struct Totals {
    /// Files, findings (dry run), errors, items not inspected.
    pub tally: Tally,
    /// Credentials still on disk (or that would remain, on a dry run).
    pub remaining: u64,
}

/// The report being built.
pub struct RedactReport {
    json: bool,
    dry_run: bool,
    out: Vec<u8>,
    totals: Totals,
    redacted: u64,
    files_left: u64,
}

/// A place's names, escaped and masked.
fn masked(place: &[String]) -> Vec<String> {
    place.iter().map(|n| display_path(Path::new(n))).collect()
}

/// `file!layer!member`, masked.
fn shown(name: &str, place: &[String]) -> String {
    let mut shown = name.to_string();
    for layer in masked(place) {
        shown.push('!');
        shown.push_str(&layer);
    }
    shown
}

/// How many streams of a container changed (1 for a plain file).
fn streams(inside: &Inside) -> usize {
    inside.changed.len().max(1)
}

/// The JSON of the streams that changed inside a container.
fn inside_records(inside: &Inside) -> Vec<InsideStream<'_>> {
    inside
        .changed
        .iter()
        .map(|(place, counts)| InsideStream {
            container_path: masked(place),
            redacted: counts.total(),
            by_kind: &counts.by_kind,
            lines: &counts.lines,
        })
        .collect()
}

fn lines_text(lines: &[u64]) -> String {
    let shown: Vec<String> = lines.iter().take(20).map(u64::to_string).collect();
    let more = if lines.len() > 20 { ", ..." } else { "" };
    format!("{}{more}", shown.join(", "))
}

impl RedactReport {
    /// A report in JSON Lines (`json`) or for people.
    pub fn new(json: bool, dry_run: bool) -> RedactReport {
        RedactReport {
            json,
            dry_run,
            out: Vec::new(),
            totals: Totals::default(),
            redacted: 0,
            files_left: 0,
        }
    }

    fn record(&mut self, record: &RedactRecord) {
        self.out.extend_from_slice(schema::line(record).as_bytes());
    }

    fn text(&mut self, line: std::fmt::Arguments) {
        let _ = writeln!(self.out, "{line}");
    }

    fn remaining(&mut self, n: u64) {
        self.totals.remaining += n;
        self.files_left += 1;
    }

    /// One walked file, shown as `name`.
    pub fn file(&mut self, name: &str, outcome: FileOutcome) {
        self.totals.tally.files += 1;
        match outcome {
            FileOutcome::Redacted {
                counts,
                carried_over,
                plan,
                inside,
            } => {
                self.redacted += counts.total();
                self.totals.tally.files_with_findings += 1;
                if self.json {
                    self.record(&RedactRecord::File(RedactedFile {
                        path: name,
                        action: Action::Redacted,
                        method: plan.method(),
                        reason: plan.reason(),
                        format: plan.format(),
                        redacted: counts.total(),
                        by_kind: &counts.by_kind,
                        carried_over_bytes: Some(carried_over),
                        lines: None,
                        inside: inside_records(inside),
                    }));
                } else {
                    self.text(format_args!(
                        "{name}: {} redacted ({}); method: {}",
                        counts.total(),
                        counts.kinds_line(),
                        plan.describe()
                    ));
                    self.inside_lines(name, inside, "redacted");
                    if carried_over > 0 {
                        self.text(format_args!(
                            "{name}: {carried_over} bytes appended during the rewrite were carried over"
                        ));
                    }
                }
            }
            FileOutcome::Untouched(_) => {}
            FileOutcome::WouldRedact { counts, .. } if counts.total() == 0 => {}
            FileOutcome::WouldRedact {
                counts,
                plan,
                inside,
            } => {
                self.totals.tally.findings += counts.total();
                self.totals.tally.files_with_findings += 1;
                if self.json {
                    self.record(&RedactRecord::File(RedactedFile {
                        path: name,
                        action: Action::WouldRedact,
                        method: plan.method(),
                        reason: plan.reason(),
                        format: plan.format(),
                        redacted: counts.total(),
                        by_kind: &counts.by_kind,
                        carried_over_bytes: None,
                        lines: Some(&counts.lines),
                        inside: inside_records(inside),
                    }));
                } else {
                    let at = if streams(inside) > 1 {
                        format!("in {} streams", streams(inside))
                    } else {
                        format!("at line(s) {}", lines_text(&counts.lines))
                    };
                    self.text(format_args!(
                        "{name}: {} would be redacted ({}) {at}; method: {}",
                        counts.total(),
                        counts.kinds_line(),
                        plan.describe()
                    ));
                    self.inside_lines(name, inside, "would be redacted");
                }
            }
            FileOutcome::Skipped(what) => errln!("cfscrub: {name}: skipped {what}"),
            FileOutcome::Failed {
                message,
                remedy,
                left,
            } => {
                self.totals.tally.errors += 1;
                errln!("cfscrub: {name}: {message}");
                if let Some(c) = left.filter(|c| c.total() > 0) {
                    self.remaining(c.total());
                    errln!(
                        "cfscrub: {name}: not redacted: {} remaining ({}) at line(s) {}{}",
                        c.total(),
                        c.kinds_line(),
                        lines_text(&c.lines),
                        remedy.map_or(String::new(), |r| format!("; to redact it, {r}"))
                    );
                }
                if self.json {
                    self.record(&RedactRecord::Error(RedactError {
                        path: name,
                        message,
                        remaining: left.map(FileCounts::total),
                        fix: remedy,
                    }));
                }
            }
            FileOutcome::NotInspected { format, raw } => {
                let item = NotInspected {
                    path: name,
                    container: &[],
                    reason: format.name(),
                };
                self.not_inspected(item, Some(raw.total()));
                if raw.total() > 0 {
                    self.remaining(raw.total());
                    let found = format!(
                        "{} in its raw bytes ({}) at line(s) {}; cfscrub does not rewrite {} content",
                        raw.total(),
                        raw.kinds_line(),
                        lines_text(&raw.lines),
                        format.name()
                    );
                    if !self.dry_run {
                        errln!("cfscrub: {name}: not redacted: {found}");
                    } else if !self.json {
                        self.text(format_args!("{name}: would remain: {found}"));
                    }
                }
            }
        }
    }

    /// One line per stream inside a container that changed (or would):
    /// `logs.tar.gz!logs.tar!app.log: 2 redacted (…) at line(s) 3, 9`.
    fn inside_lines(&mut self, name: &str, inside: &Inside, verb: &str) {
        if inside.changed.len() == 1 && inside.changed[0].0.len() <= 1 {
            // A compressed or UTF-16 file: its one stream is the file's line.
            return;
        }
        for (place, counts) in &inside.changed {
            self.text(format_args!(
                "{}: {} {verb} ({}) at line(s) {}",
                shown(name, place),
                counts.total(),
                counts.kinds_line(),
                lines_text(&counts.lines)
            ));
        }
    }

    /// The members of a container that were not inspected (left as they
    /// were): each a not-inspected item, after the file's own line.
    pub fn inside_not_inspected(&mut self, name: &str, inside: &Inside) {
        for (place, reason) in &inside.not_inspected {
            let container = masked(place);
            let reason = crate::mask::sanitize::mask_text(reason);
            let item = NotInspected {
                path: name,
                container: &container,
                reason: &reason,
            };
            self.not_inspected(item, None);
        }
    }

    /// An item left untouched because its content cannot be seen through
    /// (a git object database: `found` is `None`): stderr line, record,
    /// count.
    pub fn not_inspected(&mut self, item: NotInspected, found: Option<u64>) {
        errln!("{}", item.line());
        self.totals.tally.uninspected += 1;
        if self.json {
            self.record(&RedactRecord::Uninspected(item.record(found)));
        }
    }

    /// Errors found by the walk (already printed).
    pub fn walk_errors(&mut self, n: u64) {
        self.totals.tally.errors += n;
    }

    /// The re-read of a changed file: what it still holds, or why it could
    /// not be read.
    pub fn after_rewrite(&mut self, name: &str, counts: Result<&FileCounts, &ProofError>) {
        match counts {
            Ok(c) if c.total() > 0 => {
                self.remaining(c.total());
                errln!(
                    "cfscrub: {name}: {} remaining after the rewrite ({}) at line(s) {}",
                    c.total(),
                    c.kinds_line(),
                    lines_text(&c.lines)
                );
            }
            Ok(_) => {}
            Err(e) => {
                self.totals.tally.errors += 1;
                errln!("cfscrub: {name}: cannot verify: {e}");
            }
        }
    }
}
