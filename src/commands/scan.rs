//! `cfscrub scan`: report every credential in the given paths.

use super::search::Search;
use super::{configured, exit_code, load_secrets, thread_pool};
use crate::cli::ScanArgs;
use crate::config::baseline::Recorder;
use crate::errln;
use crate::mask::sanitize::display_path;
use crate::report::{human_summary, Format, Output};
use anyhow::Result;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Runs `cfscrub scan`.
pub fn run(args: ScanArgs) -> Result<u8> {
    let start = Instant::now();
    let config = configured::load(&args.config, &args.walk, args.output.quiet)?;
    let secrets = load_secrets(&args.secrets, args.walk.stdin_use())?;
    let detector = configured::detector(config.as_ref(), &secrets, false)?;
    let baseline = configured::baseline(config.as_ref(), args.write_baseline.is_some())?;
    let recorder = args
        .write_baseline
        .as_deref()
        .map(Recorder::new)
        .transpose()?;
    let inputs = configured::inputs(&args.walk, config.as_ref())?;
    let output = Output::stdout(args.output.format, args.output.color);
    let search = Search {
        detector: &detector,
        output: &output,
        follow: args.walk.follow,
        baseline: baseline.as_ref(),
        recorder: recorder.as_ref(),
        accepted: Default::default(),
    };
    let tally = search.run(&inputs, &thread_pool(args.walk.threads)?);
    let elapsed = start.elapsed();
    output.finish(&tally, elapsed, "scan")?;
    let quiet = args.output.quiet;
    if args.output.format == Format::Human && !quiet {
        errln!("{}", human_summary(&tally, elapsed, ""));
    }
    let accepted = search.accepted.load(Ordering::Relaxed);
    if accepted > 0 && !quiet {
        errln!("cfscrub: {accepted} finding(s) accepted by the baseline, not reported");
    }
    if let (Some(recorder), Some(path)) = (&recorder, &args.write_baseline) {
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
