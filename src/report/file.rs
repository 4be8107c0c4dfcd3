//! The report of one file ([`FileReport`]): a [`Sink`] that formats each
//! finding as the output's format wants it, buffered so that the file's
//! lines are written in one piece (see [the parent module](super)).

use super::git::Names;
use super::schema::{self, FindingRecord, SearchRecord};
use super::{human, sarif, Format, NotInspected, Output, Tally, FLUSH_AT};
use crate::core::finding::Finding;
use crate::core::stream::{Flow, Sink};
use std::cell::OnceCell;
use std::io;
use std::path::Path;

/// `path!member!inner`: where a finding inside containers is, for humans.
pub(super) fn shown_path(path: &str, container: &[String]) -> String {
    let mut shown = path.to_string();
    for name in container {
        shown.push('!');
        shown.push_str(name);
    }
    shown
}

/// A file's name as reports show it: given, or worked out from its path
/// (masked and escaped) the first time something is reported — most
/// files of a big tree never need it.
pub(super) enum Name<'a> {
    Given(&'a str),
    /// A git object's artifact URI (see [`super::git`]).
    Owned(String),
    Path(&'a Path, OnceCell<String>),
}

impl Name<'_> {
    fn get(&self) -> &str {
        match self {
            Name::Given(name) => name,
            Name::Owned(name) => name,
            Name::Path(path, shown) => {
                shown.get_or_init(|| crate::mask::sanitize::display_path(path))
            }
        }
    }
}

/// The report of one file, or of one git object ([`Output::git_object`]);
/// a [`Sink`] for the stream scanner.
pub struct FileReport<'a> {
    output: &'a Output,
    name: Name<'a>,
    /// A git object: what names it in each format.
    git: Option<Names>,
    /// The member being read (see [`FileReport::enter`]).
    container: Vec<String>,
    buf: Vec<u8>,
    tally: Tally,
    /// SARIF: the UTF-16 column, following the data.
    column: Option<sarif::Utf16Column>,
}

impl<'a> FileReport<'a> {
    pub(super) fn new(output: &'a Output, name: Name<'a>) -> FileReport<'a> {
        FileReport {
            output,
            name,
            git: None,
            container: Vec::new(),
            buf: Vec::new(),
            tally: Tally::default(),
            column: (output.format == Format::Sarif).then(sarif::Utf16Column::default),
        }
    }

    /// The report of a git object named by `names`: its URI is the name
    /// SARIF shows, its location and note what humans see.
    pub(super) fn of_git_object(output: &'a Output, names: Names) -> FileReport<'a> {
        let mut report = FileReport::new(output, Name::Owned(names.uri.clone()));
        report.git = Some(names);
        report
    }

    /// Records that this file's content could not be seen through, and
    /// why: a line on stderr now, a record in the report.
    pub fn not_inspected(&mut self, reason: &str) {
        let git_shown = self.git.as_ref().map(Names::shown);
        let item = NotInspected {
            path: git_shown.as_deref().unwrap_or_else(|| self.name.get()),
            container: &self.container,
            reason,
        };
        self.output.note_not_inspected(item, &mut self.buf);
        self.tally.uninspected += 1;
    }

    /// Sets which stream of the file the next findings and notes are
    /// about: the names of the containers leading to it, outermost first,
    /// escaped and masked (empty: the file itself). Columns restart.
    pub fn enter(&mut self, container: Vec<String>) {
        self.container = container;
        if self.column.is_some() {
            self.column = Some(sarif::Utf16Column::default());
        }
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
        let fingerprints = self.output.fingerprints;
        match self.output.format {
            Format::Human => {
                let place = match &self.git {
                    Some(git) => git.location.as_str(),
                    None => self.name.get(),
                };
                human::finding_line(
                    &mut self.buf,
                    &shown_path(place, &self.container),
                    f,
                    fingerprints,
                    self.output.color,
                );
                if let Some(git) = &self.git {
                    self.buf.pop(); // the newline: the note goes first
                    self.buf.extend_from_slice(git.note.as_bytes());
                    self.buf.push(b'\n');
                }
            }
            Format::Json => {
                let mut record = FindingRecord::new(self.name.get(), f, fingerprints);
                record.container_path = (!self.container.is_empty()).then_some(&self.container);
                if let Some(git) = &self.git {
                    record.path = git.path.as_deref();
                    record.git = Some(git.record());
                }
                let record = SearchRecord::Finding(record);
                self.buf.extend_from_slice(schema::line(&record).as_bytes());
            }
            Format::Sarif => {
                let column = self
                    .column
                    .as_mut()
                    .map_or(f.column, |c| c.finding(f.length));
                let mut result =
                    sarif::result(self.name.get(), &self.container, f, column, fingerprints);
                if let Some(git) = &self.git {
                    git.mark(&mut result);
                }
                self.output.sarif_parts().results.push(result);
            }
        }
    }
}

impl Sink for FileReport<'_> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_shown_after_bangs() {
        let inner = ["logs.tar".to_string(), "x/a b.log".to_string()];
        assert_eq!(shown_path("a.tgz", &inner), "a.tgz!logs.tar!x/a b.log");
        assert_eq!(shown_path("a.log", &[]), "a.log");
    }
}
