//! `cfscrub verify`: prove nothing is left, without re-logging the secret.
//!
//! With `--secret-from`/`--secret-env` only the known values and their
//! leading fragments are counted; without, every shape `scan` knows. Prints
//! locations and kinds only (no fingerprint), writes nothing.

use super::search::Search;
use super::{exit_code, load_secrets, thread_pool};
use crate::cli::VerifyArgs;
use crate::detect::Detector;
use crate::errln;
use crate::report::{human_bytes, Format, Output};
use anyhow::Result;
use std::time::Instant;

/// Runs `cfscrub verify`.
pub fn run(args: VerifyArgs) -> Result<u8> {
    let start = Instant::now();
    let secrets = load_secrets(&args.secrets, args.walk.stdin_use())?;
    let detector = if secrets.is_empty() {
        Detector::new(&secrets)
    } else {
        Detector::known_only(&secrets)
    };
    let inputs = super::search::collect_inputs(&args.walk)?;
    let output = Output::stdout(args.output.format, args.output.color).without_fingerprints();
    let search = Search {
        detector: &detector,
        output: &output,
        follow: args.walk.follow,
    };
    let tally = search.run(&inputs, &thread_pool(args.walk.threads)?);
    let elapsed = start.elapsed();
    output.finish(&tally, elapsed, "verify")?;
    if args.output.format == Format::Human && !args.output.quiet {
        let what = if secrets.is_empty() {
            "credential shapes"
        } else {
            "occurrences of the known value(s) or their fragments"
        };
        let mut line = format!(
            "cfscrub verify: {} {what} remaining in {} of {} files ({}, {:.2} s)",
            tally.findings,
            tally.files_with_findings,
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
        errln!("{line}");
    }
    Ok(exit_code(&tally))
}
