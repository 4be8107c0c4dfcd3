//! The parallel search driver shared by `scan` and `verify`: every input
//! through one [`StreamScanner`] into one [`Output`].
//!
//! Each input's first bytes are classified on the way through the scanner
//! ([`scan_and_sniff`]: one read of every byte). Content
//! the detector cannot see through (compressed, archived, UTF-16) is
//! reported as *not inspected* — its raw bytes are still scanned, since a
//! tar or a zip's stored entries hold plain text — and so are the git
//! object databases the walk did not enter. Neither is ever counted clean.

use cfscrub::config::baseline::{Baseline, Recorder, Screen};
use cfscrub::core::detect::Detector;
use cfscrub::core::stream::StreamScanner;
use cfscrub::errln;
use cfscrub::mask::sanitize::display_path;
use cfscrub::report::progress::Progress;
use cfscrub::report::{Format, Output, Tally};
use cfscrub::source::head::scan_and_sniff;
use cfscrub::source::walk::{open_regular, Input, Inputs, Note, OpenError};
use rayon::prelude::*;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a git directory is reported as not inspected.
pub const GIT_OBJECT_DATABASE: &str = "git object database";

/// What a search needs.
pub struct Search<'a> {
    /// The compiled detector.
    pub detector: &'a Detector,
    /// Where findings go.
    pub output: &'a Output,
    /// Follow symbolic links when opening.
    pub follow: bool,
    /// Findings accepted by this baseline are not reported (`scan`).
    pub baseline: Option<&'a Baseline>,
    /// Every finding is recorded here for a new baseline (`scan --write-baseline`).
    pub recorder: Option<&'a Recorder>,
    /// How many findings the baseline accepted.
    pub accepted: AtomicU64,
}

/// Walks the paths of a command's walk options, leaving out the
/// `--exclude` globs and `more_excludes` (the config file's).
pub fn collect_inputs(
    walk: &crate::cli::WalkOptions,
    more_excludes: &[String],
) -> anyhow::Result<Inputs> {
    use anyhow::Context;
    let options = cfscrub::source::walk::WalkOptions {
        follow: walk.follow,
        excludes: walk.excludes.iter().chain(more_excludes).cloned().collect(),
    };
    cfscrub::source::walk::collect(&walk.paths, &options).context("--exclude")
}

/// The display name of an input.
pub fn input_name(input: &Input) -> String {
    match input {
        Input::Stdin => "<stdin>".to_string(),
        Input::File(p) => display_path(p),
    }
}

/// Prints the walk's notes on stderr; returns how many were errors.
pub fn print_notes(inputs: &Inputs) -> u64 {
    for note in &inputs.notes {
        errln!("cfscrub: {}", note.describe(display_path));
    }
    inputs.error_count() as u64
}

impl Search<'_> {
    /// Searches every input in parallel on `pool`, then reports the git
    /// object databases the walk did not enter and the walk's notes.
    pub fn run(&self, inputs: &Inputs, pool: &rayon::ThreadPool) -> Tally {
        let progress = Progress::start(self.output.format() != Format::Sarif, inputs.items.len());
        let mut tally = pool.install(|| {
            inputs
                .items
                .par_iter()
                .map(|input| {
                    let t = self.search_one(input, &progress);
                    progress.file_done();
                    t
                })
                .reduce(Tally::default, |mut a, b| {
                    a.merge(&b);
                    a
                })
        });
        progress.finish();
        for git_dir in &inputs.git_object_dbs {
            let name = display_path(git_dir);
            let t = self.output.not_inspected(&name, GIT_OBJECT_DATABASE);
            tally.merge(&counted(t));
        }
        tally.errors += print_notes(inputs);
        tally
    }

    fn search_one(&self, input: &Input, progress: &Progress) -> Tally {
        if self.output.is_closed() {
            return Tally::default();
        }
        let name = input_name(input);
        let mut report = self.output.file(&name);
        let mut scanner = StreamScanner::new(self.detector, true);
        let path = match input {
            Input::Stdin => None,
            Input::File(path) => Some(path.as_path()),
        };
        let mut screen = Screen::new(&mut report, path, self.baseline, self.recorder);
        let result = match input {
            Input::Stdin => {
                let mut stdin = progress.counting(io::stdin().lock());
                scan_and_sniff(&mut scanner, &mut stdin, &mut screen)
            }
            Input::File(path) => match open_regular(path, self.follow) {
                Ok((file, _)) => {
                    scan_and_sniff(&mut scanner, &mut progress.counting(file), &mut screen)
                }
                Err(OpenError::NotRegular(what)) => {
                    let note = Note::Skipped {
                        path: path.clone(),
                        what,
                    };
                    errln!("cfscrub: {}", note.describe(display_path));
                    return Tally::default();
                }
                Err(OpenError::Io(e)) => Err(e),
            },
        };
        self.accepted.fetch_add(screen.accepted, Ordering::Relaxed);
        if let Ok(Some(format)) = result {
            report.not_inspected(format.name());
        }
        let mut tally = counted(report.finish(scanner.position()));
        match result {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe && self.output.is_closed() => {}
            Err(e) => {
                errln!("cfscrub: {name}: {e}");
                tally.errors += 1;
            }
        }
        tally
    }
}

/// A report's counts, or one error when the report could not be written.
fn counted(written: io::Result<Tally>) -> Tally {
    written.unwrap_or_else(|e| {
        errln!("cfscrub: writing the report: {e}");
        Tally {
            errors: 1,
            ..Tally::default()
        }
    })
}
