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
use cfscrub::config::baseline::{Baseline, Recorder, Screen};
use cfscrub::core::detect::Detector;
use cfscrub::core::finding::Finding;
use cfscrub::core::sniff::Content;
use cfscrub::core::stream::{Flow, Sink, StreamScanner};
use cfscrub::errln;
use cfscrub::mask::sanitize::display_path;
use cfscrub::report::progress::Progress;
use cfscrub::report::{Format, Output, Tally};
use cfscrub::source::archive::appended;
use cfscrub::source::container::{self, Limits, Visit};
use cfscrub::source::head::Head;
use cfscrub::source::open::{open_regular, OpenError, ToItsSize};
use cfscrub::source::walk::{self, Input, Inputs, Note, Walked, Walker};
use std::borrow::Cow;
use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// Bounds on decoding compressed content and archives.
    pub limits: Limits,
    /// Findings accepted by this baseline are not reported (`scan`).
    pub baseline: Option<&'a Baseline>,
    /// Every finding is recorded here for a new baseline (`scan --write-baseline`).
    pub recorder: Option<&'a Recorder>,
    /// How many findings the baseline accepted.
    pub accepted: AtomicU64,
}

fn walk_options(walk: &WalkOptions, more_excludes: &[String]) -> walk::WalkOptions {
    walk::WalkOptions {
        follow: walk.follow,
        excludes: walk.excludes.iter().chain(more_excludes).cloned().collect(),
        threads: walk.threads.unwrap_or(0),
    }
}

/// The walker of a command's walk options, leaving out the `--exclude`
/// globs and `more_excludes` (the config file's).
pub fn walker(walk: &WalkOptions, more_excludes: &[String]) -> anyhow::Result<Walker> {
    Walker::new(&walk.paths, &walk_options(walk, more_excludes)).context("--exclude")
}

/// Walks the paths of a command's walk options into a list, leaving out
/// the `--exclude` globs and `more_excludes` (the config file's).
pub fn collect_inputs(walk: &WalkOptions, more_excludes: &[String]) -> anyhow::Result<Inputs> {
    walk::collect(&walk.paths, &walk_options(walk, more_excludes)).context("--exclude")
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
            let t = self.search_one(&input, &progress);
            progress.file_done();
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

    fn search_one(&self, input: &Input, progress: &Progress) -> Tally {
        if self.output.is_closed() {
            return Tally::default();
        }
        let path = match input {
            Input::Stdin => None,
            Input::File(path) => Some(path.as_path()),
        };
        // Most files of a big tree report nothing: their shown (masked)
        // name is only worked out when something is reported.
        let mut streams = Streams {
            detector: self.detector,
            report: match path {
                None => self.output.file("<stdin>"),
                Some(p) => self.output.file_at(p),
            },
            bytes: 0,
            path,
            baseline: self.baseline,
            recorder: self.recorder,
            accepted: 0,
            raw_binary: false,
        };
        let outer = path.map_or(Cow::Borrowed("<stdin>"), |p| p.to_string_lossy());
        let limits = &self.limits;
        let walked = match input {
            Input::Stdin => {
                let mut stdin = progress.counting(io::stdin().lock());
                container::walk(&mut stdin, &outer, limits, &mut streams)
            }
            Input::File(path) => match open_regular(path, self.follow) {
                Ok((file, meta)) => {
                    let mut file = progress.counting(ToItsSize::new(file, meta.len()));
                    match container::walk(&mut file, &outer, limits, &mut streams) {
                        // Binary bytes may be a stub with a zip after it.
                        Ok(Flow::Continue) if streams.raw_binary => {
                            appended::walk_if_any(file.get_ref().file(), limits, &mut streams)
                        }
                        walked => walked,
                    }
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
        self.accepted.fetch_add(streams.accepted, Ordering::Relaxed);
        let mut tally = counted(streams.report.finish(streams.bytes));
        // A stop (the output closed) needs nothing more: the run winds down.
        if let Err(e) = walked {
            errln!("cfscrub: {}: {e}", input_name(input));
            tally.errors += 1;
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

/// Scans each stream of one file into its report, through the baseline's
/// screen.
struct Streams<'a> {
    detector: &'a Detector,
    report: cfscrub::report::FileReport<'a>,
    /// Bytes scanned, over all streams.
    bytes: u64,
    path: Option<&'a Path>,
    baseline: Option<&'a Baseline>,
    recorder: Option<&'a Recorder>,
    /// Findings the baseline accepted.
    accepted: u64,
    /// The file itself was scanned as binary bytes (no container).
    raw_binary: bool,
}

/// The names of a place, escaped and masked for display.
fn shown_place(place: &[String]) -> Vec<String> {
    place.iter().map(|n| display_path(Path::new(n))).collect()
}

impl Visit for Streams<'_> {
    fn stream(&mut self, place: &[String], head: &Head, rest: &mut dyn Read) -> io::Result<Flow> {
        self.report.enter(shown_place(place));
        self.raw_binary |= place.is_empty() && matches!(head.classify(), Content::Binary(_));
        let mut scanner = StreamScanner::new(self.detector, true);
        let mut screen = Screen::new(&mut self.report, self.path, self.baseline, self.recorder);
        let result = head.scan_with_rest(&mut scanner, &mut &mut *rest, &mut screen);
        self.accepted += screen.accepted;
        self.bytes += scanner.position();
        if result? == Flow::Stop {
            return Ok(Flow::Stop);
        }
        if let Some(format) = head.opaque() {
            self.report.not_inspected(format.name());
        }
        Ok(Flow::Continue)
    }

    fn not_inspected(&mut self, place: &[String], reason: &str) {
        self.report.enter(shown_place(place));
        self.report
            .not_inspected(&cfscrub::mask::sanitize::mask_text(reason));
    }

    /// A finding in a member's name is reported at the member, on line 0.
    fn member_name(&mut self, place: &[String], name: &[u8]) -> io::Result<Flow> {
        self.report.enter(shown_place(place));
        let mut screen = Screen::new(&mut self.report, self.path, self.baseline, self.recorder);
        let mut in_name = InName(&mut screen);
        let mut scanner = StreamScanner::new(self.detector, true);
        let flow = scanner.finish_with(name, &mut in_name);
        self.accepted += screen.accepted;
        flow
    }
}

/// Hands findings on with line 0: they are in a member's name.
struct InName<'r, 's>(&'r mut Screen<'s>);

impl Sink for InName<'_, '_> {
    fn finding(&mut self, finding: &Finding) -> io::Result<Flow> {
        let mut in_name = finding.clone();
        in_name.line = 0;
        self.0.finding(&in_name)
    }
}
