//! `cfscrub scan`: report every credential in the given paths.

use super::exit_code;
use super::search::Search;
use super::wiring::load_secrets;
use crate::cli::SearchOptions;
use anyhow::Result;
use cfscrub::core::detect::Detector;
use cfscrub::errln;
use cfscrub::report::{human_summary, Output};
use std::time::Instant;

/// Runs `cfscrub scan`.
pub fn run(args: SearchOptions) -> Result<u8> {
    let start = Instant::now();
    let secrets = load_secrets(&args.secrets)?;
    let detector = Detector::new(&secrets);
    let walker = super::search::walker(&args.walk)?;
    let output = Output::stdout(args.output.format, args.output.color);
    let search = Search {
        detector: &detector,
        output: &output,
        follow: args.walk.follow,
    };
    let tally = search.run(&walker, args.walk.verbose);
    let elapsed = start.elapsed();
    output.finish(&tally, elapsed, "scan")?;
    if args.output.summary_line() {
        errln!("{}", human_summary(&tally, elapsed, ""));
    }
    Ok(exit_code(&tally))
}
