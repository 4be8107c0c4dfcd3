//! `cfscrub verify`: prove nothing is left, without re-logging the secret.
//!
//! With `--secret-from`/`--secret-env` only the known values and their
//! leading fragments are counted; without, every shape `scan` knows. Prints
//! locations and kinds only (no fingerprint), writes nothing.
//!
//! A proof needs every byte looked at: anything not inspected (compressed,
//! archived, UTF-16, a git object database) makes the verification
//! incomplete, never clean: exit 2 (unless something remains: 1).

use super::configured;
use super::search::Search;
use super::wiring::load_secrets;
use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FOUND};
use crate::cli::SearchOptions;
use anyhow::Result;
use cfscrub::errln;
use cfscrub::report::{human_bytes, Output, Tally};
use std::time::Instant;

/// Runs `cfscrub verify`.
pub fn run(args: SearchOptions) -> Result<u8> {
    let start = Instant::now();
    let config = configured::load(&args.config, &args.walk, args.output.quiet)?;
    let secrets = load_secrets(&args.secrets)?;
    let detector = configured::detector(config.as_ref(), &secrets, !secrets.is_empty())?;
    let walker = configured::walker(&args.walk, config.as_ref())?;
    let output = Output::stdout(args.output.format, args.output.color).without_fingerprints();
    let search = Search {
        detector: &detector,
        output: &output,
        follow: args.walk.follow,
        limits: configured::limits(&args.limits, config.as_ref()),
        baseline: None,
        recorder: None,
        accepted: Default::default(),
    };
    let tally = search.run(&walker, args.walk.verbose);
    let elapsed = start.elapsed();
    output.finish(&tally, elapsed, "verify")?;
    if args.output.summary_line() {
        let what = if secrets.is_empty() {
            "credential shapes"
        } else {
            "occurrences of the known value(s) or their fragments"
        };
        // Nothing found in what could be read is no proof: never "0 remaining".
        let found = if tally.findings == 0 && (tally.errors > 0 || tally.uninspected > 0) {
            format!("no {what} found in what could be read of")
        } else {
            format!(
                "{} {what} remaining in {} of",
                tally.findings, tally.files_with_findings
            )
        };
        let mut line = format!(
            "cfscrub verify: {found} {} files ({}, {:.2} s)",
            tally.files,
            human_bytes(tally.bytes),
            elapsed.as_secs_f64()
        );
        if tally.errors > 0 {
            line.push_str(&format!(
                "; {} error(s): the proof is incomplete",
                tally.errors
            ));
        }
        if tally.uninspected > 0 {
            line.push_str(&format!(
                "; verification incomplete: {} not inspected",
                tally.uninspected
            ));
        }
        errln!("{line}");
    }
    Ok(verify_exit_code(&tally))
}

/// 2 on an error; 1 when something remains; 2 when something could not be
/// inspected; 0 only when nothing remains and everything was inspected.
fn verify_exit_code(tally: &Tally) -> u8 {
    if tally.errors > 0 {
        EXIT_ERROR
    } else if tally.findings > 0 {
        EXIT_FOUND
    } else if tally.uninspected > 0 {
        EXIT_ERROR
    } else {
        EXIT_CLEAN
    }
}
