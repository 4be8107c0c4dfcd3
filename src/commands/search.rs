//! The parallel search driver shared by `scan` and `verify`: every input
//! through one [`StreamScanner`] into one [`Output`].
//!
//! Each input's first bytes are classified on the way through the scanner
//! ([`scan_and_sniff`]: one read of every byte). Content
//! the detector cannot see through (compressed, archived, UTF-16) is
//! reported as *not inspected* — its raw bytes are still scanned, since a
//! tar or a zip's stored entries hold plain text — and so are the git
//! object databases the walk did not enter. Neither is ever counted clean.

use crate::cli::WalkOptions;
use anyhow::Context;
use cfscrub::core::detect::Detector;
use cfscrub::core::stream::StreamScanner;
use cfscrub::errln;
use cfscrub::mask::sanitize::display_path;
use cfscrub::report::progress::Progress;
use cfscrub::report::{Format, Output, Tally};
use cfscrub::source::head::scan_and_sniff;
use cfscrub::source::open::{open_regular, OpenError};
use cfscrub::source::walk::{self, Input, Inputs, Note, Walked, Walker};
use std::io;
use std::sync::Mutex;

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
}

fn walk_options(walk: &WalkOptions) -> walk::WalkOptions {
    walk::WalkOptions {
        follow: walk.follow,
        excludes: walk.excludes.clone(),
        threads: walk.threads.unwrap_or(0),
    }
}

/// The walker of a command's walk options.
pub fn walker(walk: &WalkOptions) -> anyhow::Result<Walker> {
    Walker::new(&walk.paths, &walk_options(walk)).context("--exclude")
}

/// Walks the paths of a command's walk options into a list.
pub fn collect_inputs(walk: &WalkOptions) -> anyhow::Result<Inputs> {
    walk::collect(&walk.paths, &walk_options(walk)).context("--exclude")
}

/// The display name of an input.
pub fn input_name(input: &Input) -> String {
    match input {
        Input::Stdin => "<stdin>".to_string(),
        Input::File(p) => display_path(p),
    }
}

fn plural(what: &str, n: usize) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Prints the walk's notes on stderr: each error; the skipped links,
/// FIFOs, sockets and devices each when `verbose`, else counted in one
/// line. Returns how many were errors.
pub fn print_notes(walked: &Walked, verbose: bool) -> u64 {
    let mut lines: Vec<String> = walked
        .notes
        .iter()
        .filter(|n| verbose || matches!(n, Note::Error { .. }))
        .map(|n| n.describe(display_path))
        .collect();
    lines.sort();
    for line in &lines {
        errln!("cfscrub: {line}");
    }
    let skipped = walked.skipped_counts();
    if !verbose && !skipped.is_empty() {
        let what: Vec<String> = skipped.iter().map(|(w, n)| plural(w, *n)).collect();
        let links = skipped.iter().any(|(w, _)| *w == "symbolic link");
        errln!(
            "cfscrub: skipped {} (not read; --verbose lists them{})",
            what.join(", "),
            if links {
                ", --follow reads through links"
            } else {
                ""
            }
        );
    }
    walked.error_count() as u64
}

impl Search<'_> {
    /// Searches every input as the walk finds it, on the walker's threads;
    /// then reports the git object databases the walk did not enter and
    /// the walk's notes.
    pub fn run(&self, walker: &Walker, verbose: bool) -> Tally {
        let progress = Progress::start(self.output.format() != Format::Sarif);
        let total = Mutex::new(Tally::default());
        let mut walked = walker.run(&|_, input| {
            let t = self.search_one(&input);
            progress.file_done(t.bytes);
            total.lock().unwrap_or_else(|e| e.into_inner()).merge(&t);
        });
        progress.finish();
        let mut tally = total.into_inner().unwrap_or_else(|e| e.into_inner());
        walked.git_object_dbs.sort();
        for git_dir in &walked.git_object_dbs {
            let name = display_path(git_dir);
            let t = self.output.not_inspected(&name, GIT_OBJECT_DATABASE);
            tally.merge(&counted(t));
        }
        tally.errors += print_notes(&walked, verbose);
        tally
    }

    fn search_one(&self, input: &Input) -> Tally {
        if self.output.is_closed() {
            return Tally::default();
        }
        let name = input_name(input);
        let mut report = self.output.file(&name);
        let mut scanner = StreamScanner::new(self.detector, true);
        let result = match input {
            Input::Stdin => scan_and_sniff(&mut scanner, &mut io::stdin().lock(), &mut report),
            Input::File(path) => match open_regular(path, self.follow) {
                Ok((mut file, _)) => scan_and_sniff(&mut scanner, &mut file, &mut report),
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
