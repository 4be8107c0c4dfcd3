//! The parallel search driver shared by `scan`, `verify` and `redact --dry-run`:
//! every input through one [`StreamScanner`] into one [`Output`].

use crate::detect::Detector;
use crate::errln;
use crate::progress::Progress;
use crate::report::{Format, Output, Tally};
use crate::sanitize::display_path;
use crate::stream::StreamScanner;
use crate::walk::{open_regular, Input, Inputs, Note, OpenError};
use rayon::prelude::*;
use std::io;

/// What a search needs.
pub struct Search<'a> {
    /// The compiled detector.
    pub detector: &'a Detector,
    /// Where findings go.
    pub output: &'a Output,
    /// Follow symbolic links when opening.
    pub follow: bool,
}

/// Walks the paths of a command's walk options.
pub fn collect_inputs(walk: &crate::cli::WalkArgs) -> anyhow::Result<Inputs> {
    use anyhow::Context;
    let options = crate::walk::WalkOptions {
        follow: walk.follow,
        excludes: walk.exclude.clone(),
    };
    crate::walk::collect(&walk.paths, &options).context("--exclude")
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
        errln!("cfscrub: {note}");
    }
    inputs.error_count() as u64
}

impl Search<'_> {
    /// Searches every input in parallel on `pool`.
    pub fn run(&self, inputs: &Inputs, pool: &rayon::ThreadPool) -> Tally {
        let progress = Progress::start(self.output.format() != Format::Sarif, inputs.items.len());
        let mut tally = pool.install(|| {
            inputs
                .items
                .par_iter()
                .map(|input| {
                    let t = self.search_one(input);
                    progress.file_done(t.bytes);
                    t
                })
                .reduce(Tally::default, |mut a, b| {
                    a.merge(&b);
                    a
                })
        });
        progress.finish();
        tally.errors += print_notes(inputs);
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
            Input::Stdin => scanner.scan_reader(&mut io::stdin().lock(), &mut report),
            Input::File(path) => match open_regular(path, self.follow) {
                Ok((mut file, _)) => scanner.scan_reader(&mut file, &mut report),
                Err(OpenError::NotRegular(what)) => {
                    errln!(
                        "cfscrub: {}",
                        Note::Skipped {
                            path: name.clone(),
                            what
                        }
                    );
                    return Tally::default();
                }
                Err(OpenError::Io(e)) => Err(e),
            },
        };
        let bytes = scanner.position();
        let mut tally = match report.finish(bytes) {
            Ok(t) => t,
            Err(e) => {
                errln!("cfscrub: writing the report: {e}");
                Tally {
                    errors: 1,
                    ..Tally::default()
                }
            }
        };
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
