//! The end of `redact`'s report: the summary (a JSON Lines record, or the
//! lines for people on stderr) and the buffered records written out.

use super::RedactReport;
use super::Totals;
use crate::errln;
use crate::report::human_bytes;
use crate::report::schema::{RedactRecord, RedactSummary};
use std::io::{self, Write};
use std::time::Duration;

impl RedactReport {
    /// Writes the records and the summary (JSON: a record on stdout;
    /// human: a line on stderr unless `quiet`). `changed`: files rewritten;
    /// `bytes`: their size on disk, for the human line.
    pub fn finish(
        mut self,
        changed: u64,
        bytes: u64,
        elapsed: Duration,
        quiet: bool,
    ) -> io::Result<Totals> {
        let tally = &self.totals.tally;
        let left = self.totals.remaining;
        if self.json {
            let summary = RedactRecord::Summary(RedactSummary {
                command: "redact",
                dry_run: self.dry_run,
                files: tally.files,
                changed: if self.dry_run { 0 } else { changed },
                redacted: if self.dry_run {
                    tally.findings
                } else {
                    self.redacted
                },
                remaining: (!self.dry_run).then_some(left),
                would_remain: self.dry_run.then_some(left),
                errors: tally.errors,
                uninspected: tally.uninspected,
                elapsed_ms: elapsed.as_millis() as u64,
            });
            self.record(&summary);
        }
        let mut stdout = io::stdout().lock();
        if let Err(e) = stdout.write_all(&self.out).and_then(|_| stdout.flush()) {
            if e.kind() != io::ErrorKind::BrokenPipe {
                return Err(e);
            }
        }
        let tally = &self.totals.tally;
        if !self.json && !quiet {
            let uninspected = if tally.uninspected > 0 {
                format!("; {} not inspected", tally.uninspected)
            } else {
                String::new()
            };
            if self.dry_run {
                let would_remain = if left > 0 {
                    format!("; {left} would remain")
                } else {
                    String::new()
                };
                errln!(
                    "cfscrub redact --dry-run: {} would be redacted in {} of {} files{would_remain}{uninspected}; nothing changed",
                    tally.findings, tally.files_with_findings, tally.files
                );
            } else {
                errln!(
                    "cfscrub redact: {} redacted in {changed} of {} files ({}, {:.2} s); verification: {left} remaining{uninspected}{}",
                    self.redacted,
                    tally.files,
                    human_bytes(bytes),
                    elapsed.as_secs_f64(),
                    if tally.errors > 0 { format!("; {} error(s)", tally.errors) } else { String::new() }
                );
                if left > 0 || tally.uninspected > 0 {
                    errln!(
                        "cfscrub redact: not done: {left} credential(s) remain in {} file(s), {} not inspected (each named above)",
                        self.files_left,
                        tally.uninspected
                    );
                }
            }
        }
        Ok(self.totals)
    }
}
