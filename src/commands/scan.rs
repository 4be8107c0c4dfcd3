//! `cfscrub scan`: report every credential in the given paths.

use super::configured;
use super::exit_code;
use super::search::Search;
use super::wiring::load_secrets;
use crate::cli::ScanOptions;
use anyhow::Result;
use cfscrub::config::baseline::Recorder;
use cfscrub::errln;
use cfscrub::mask::sanitize::display_path;
use cfscrub::report::{human_summary, Output};
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Runs `cfscrub scan`.
pub fn run(options: ScanOptions) -> Result<u8> {
    let start = Instant::now();
    let args = options.search;
    let config = configured::load(&args.config, &args.walk, args.output.quiet)?;
    let secrets = load_secrets(&args.secrets)?;
    let detector = configured::detector(config.as_ref(), &secrets, false)?;
    let baseline = configured::baseline(config.as_ref(), options.write_baseline.is_some())?;
    let recorder = options
        .write_baseline
        .as_deref()
        .map(Recorder::new)
        .transpose()?;
    let walker = configured::walker(&args.walk, config.as_ref())?;
    let output = Output::stdout(args.output.format, args.output.color);
    let search = Search {
        detector: &detector,
        output: &output,
        follow: args.walk.follow,
        limits: configured::limits(&args.limits, config.as_ref()),
        baseline: baseline.as_ref(),
        recorder: recorder.as_ref(),
        accepted: Default::default(),
    };
    let tally = search.run(&walker, args.walk.verbose);
    let elapsed = start.elapsed();
    output.finish(&tally, elapsed, "scan")?;
    if args.output.summary_line() {
        errln!("{}", human_summary(&tally, elapsed, ""));
    }
    let accepted = search.accepted.load(Ordering::Relaxed);
    if accepted > 0 && !args.output.quiet {
        errln!("cfscrub: {accepted} finding(s) accepted by the baseline, not reported");
    }
    if let (Some(recorder), Some(path)) = (&recorder, &options.write_baseline) {
        let (written, left_out) = recorder.write(path)?;
        errln!(
            "cfscrub: baseline {} written: {written} finding(s){}",
            display_path(path),
            if left_out > 0 {
                format!("; {left_out} without a fingerprint left out (they stay reported)")
            } else {
                String::new()
            }
        );
    }
    Ok(exit_code(&tally))
}
