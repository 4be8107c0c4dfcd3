//! `cfscrub scan`: report every credential in the given paths.

use super::search::Search;
use super::{exit_code, load_secrets, thread_pool};
use crate::cli::ScanArgs;
use crate::core::detect::Detector;
use crate::errln;
use crate::report::{human_summary, Format, Output};
use anyhow::Result;
use std::time::Instant;

/// Runs `cfscrub scan`.
pub fn run(args: ScanArgs) -> Result<u8> {
    let start = Instant::now();
    let secrets = load_secrets(&args.secrets, args.walk.stdin_use())?;
    let detector = Detector::new(&secrets);
    let inputs = super::search::collect_inputs(&args.walk)?;
    let output = Output::stdout(args.output.format, args.output.color);
    let search = Search {
        detector: &detector,
        output: &output,
        follow: args.walk.follow,
        limits: args.limits.limits(),
    };
    let tally = search.run(&inputs, &thread_pool(args.walk.threads)?);
    let elapsed = start.elapsed();
    output.finish(&tally, elapsed, "scan")?;
    if args.output.format == Format::Human && !args.output.quiet {
        errln!("{}", human_summary(&tally, elapsed, ""));
    }
    Ok(exit_code(&tally))
}
