//! `cfscrub redact`: rewrite every file with its credentials replaced, then
//! re-read every changed file to prove nothing remains.
//!
//! Files are processed in parallel; per-file failures are collected and
//! reported, the other files still processed. Results print in walk order.

use super::{io_thread_pool, load_secrets, EXIT_CLEAN, EXIT_ERROR};
use crate::cleanup::install_signal_cleanup;
use crate::cli::RedactArgs;
use crate::detect::Detector;
use crate::errln;
use crate::live_writers::LiveWriters;
use crate::report::{human_bytes, Format, Tally};
use crate::rewrite::{
    count_remaining, redact_by_rename, redact_same_length, FileCounts, Method, Outcome,
    Replacement, RewriteError, RewriteOptions,
};
use crate::sanitize::display_path;
use crate::stream::StreamScanner;
use crate::walk::{self, open_regular, Input, OpenError};
use anyhow::{bail, Result};
use rayon::prelude::*;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One file's result.
enum FileResult {
    Done(Outcome),
    Planned(FileCounts),
    Skipped(&'static str),
    Failed(String),
}

fn kinds_json(counts: &FileCounts) -> serde_json::Value {
    counts
        .by_kind
        .iter()
        .map(|(k, n)| (k.id().to_string(), json!(n)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn lines_text(lines: &[u64]) -> String {
    let shown: Vec<String> = lines.iter().take(20).map(u64::to_string).collect();
    let more = if lines.len() > 20 { ", ..." } else { "" };
    format!("{}{more}", shown.join(", "))
}

/// With `--follow`, the canonical target must lie under a canonical root.
fn within_roots(path: &Path, roots: &[PathBuf]) -> bool {
    match std::fs::canonicalize(path) {
        Ok(target) => roots.iter().any(|r| target.starts_with(r)),
        Err(_) => false,
    }
}

fn dry_run_one(path: &Path, detector: &Detector, follow: bool) -> FileResult {
    match open_regular(path, follow) {
        Ok((mut file, _)) => {
            let mut counts = FileCounts::default();
            match StreamScanner::new(detector, true).scan_reader(&mut file, &mut counts) {
                Ok(_) => FileResult::Planned(counts),
                Err(e) => FileResult::Failed(format!("cannot read: {e}")),
            }
        }
        Err(OpenError::NotRegular(what)) => FileResult::Skipped(what),
        Err(OpenError::Io(e)) => FileResult::Failed(format!("cannot open: {e}")),
    }
}

fn redact_one(path: &Path, opts: RewriteOptions, same_length: bool) -> FileResult {
    let result = if same_length {
        redact_same_length(path, opts)
    } else {
        redact_by_rename(path, opts)
    };
    match result {
        Ok(outcome) => FileResult::Done(outcome),
        Err(RewriteError::NotRegular(what)) => FileResult::Skipped(what),
        Err(e) => FileResult::Failed(e.to_string()),
    }
}

/// Runs `cfscrub redact`.
pub fn run(args: RedactArgs) -> Result<u8> {
    let start = Instant::now();
    let secrets = load_secrets(&args.secrets, None)?;
    let detector = Detector::new(&secrets);
    let replacement = Replacement::new(&args.replacement, &detector)?;
    if args.output.format == Format::Sarif {
        bail!("--format sarif is for scan; redact prints human or json");
    }
    if args.walk.paths.iter().any(|p| p.as_os_str() == "-") {
        bail!("redact rewrites files; to mask a stream use `cfscrub filter`");
    }
    let inputs = super::search::collect_inputs(&args.walk)?;
    let roots: Vec<PathBuf> = args
        .walk
        .paths
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    let live_writers = if args.same_length || args.dry_run {
        LiveWriters::default()
    } else {
        LiveWriters::snapshot()
    };
    let opts = RewriteOptions {
        detector: &detector,
        replacement: &replacement,
        follow: args.walk.follow,
        live_writers: &live_writers,
    };
    install_signal_cleanup();
    let pool = io_thread_pool(args.walk.threads)?;
    let files: Vec<&Path> = inputs
        .items
        .iter()
        .filter_map(|i| match i {
            Input::File(p) => Some(p.as_path()),
            Input::Stdin => None,
        })
        .collect();
    let results: Vec<FileResult> = pool.install(|| {
        files
            .par_iter()
            .map(|path| {
                if args.walk.follow && !within_roots(path, &roots) {
                    return FileResult::Failed(
                        "leads outside the given paths: not rewritten".into(),
                    );
                }
                if args.dry_run {
                    dry_run_one(path, &detector, args.walk.follow)
                } else {
                    redact_one(path, opts, args.same_length)
                }
            })
            .collect()
    });
    // The final proof: re-read every changed file.
    let changed: Vec<&Path> = files
        .iter()
        .zip(&results)
        .filter(|(_, r)| matches!(r, FileResult::Done(o) if o.method != Method::Untouched))
        .map(|(p, _)| *p)
        .collect();
    let remaining: Vec<(usize, std::result::Result<FileCounts, String>)> = pool.install(|| {
        changed
            .par_iter()
            .enumerate()
            .map(|(i, path)| {
                let counts = open_regular(path, false)
                    .map_err(|e| match e {
                        OpenError::NotRegular(what) => format!("is now a {what}"),
                        OpenError::Io(e) => e.to_string(),
                    })
                    .and_then(|(file, _)| {
                        count_remaining(&file, &detector).map_err(|e| e.to_string())
                    });
                (i, counts)
            })
            .collect()
    });
    report(
        &args, &inputs, &files, &results, &changed, &remaining, start,
    )
}

#[allow(clippy::too_many_arguments)]
fn report(
    args: &RedactArgs,
    inputs: &walk::Inputs,
    files: &[&Path],
    results: &[FileResult],
    changed: &[&Path],
    remaining: &[(usize, std::result::Result<FileCounts, String>)],
    start: Instant,
) -> Result<u8> {
    let json = args.output.format == Format::Json;
    let mut out = Vec::new();
    let mut tally = Tally::default();
    let mut redacted = 0u64;
    for (path, result) in files.iter().zip(results) {
        let name = display_path(path);
        tally.files += 1;
        match result {
            FileResult::Done(o) if o.method != Method::Untouched => {
                redacted += o.counts.total();
                tally.files_with_findings += 1;
                let method = if o.method == Method::SameLength {
                    "same-length"
                } else {
                    "rename"
                };
                if json {
                    let v = json!({"type": "file", "path": name, "action": "redacted", "method": method,
                        "redacted": o.counts.total(), "by_kind": kinds_json(&o.counts),
                        "carried_over_bytes": o.carried_over});
                    writeln!(out, "{v}")?;
                } else {
                    writeln!(
                        out,
                        "{name}: {} redacted ({})",
                        o.counts.total(),
                        o.counts.kinds_line()
                    )?;
                    if o.carried_over > 0 {
                        writeln!(
                            out,
                            "{name}: {} bytes appended during the rewrite were carried over",
                            o.carried_over
                        )?;
                    }
                }
            }
            FileResult::Done(_) => {}
            FileResult::Planned(c) if c.total() > 0 => {
                tally.findings += c.total();
                tally.files_with_findings += 1;
                if json {
                    let v = json!({"type": "file", "path": name, "action": "would-redact",
                        "redacted": c.total(), "by_kind": kinds_json(c), "lines": c.lines});
                    writeln!(out, "{v}")?;
                } else {
                    writeln!(
                        out,
                        "{name}: {} would be redacted ({}) at line(s) {}",
                        c.total(),
                        c.kinds_line(),
                        lines_text(&c.lines)
                    )?;
                }
            }
            FileResult::Planned(_) => {}
            FileResult::Skipped(what) => errln!("cfscrub: {name}: skipped {what}"),
            FileResult::Failed(msg) => {
                tally.errors += 1;
                errln!("cfscrub: {name}: {msg}");
                if json {
                    writeln!(
                        out,
                        "{}",
                        json!({"type": "error", "path": name, "message": msg})
                    )?;
                }
            }
        }
    }
    tally.errors += super::search::print_notes(inputs);
    let mut left = 0u64;
    for (i, counts) in remaining {
        let name = display_path(changed[*i]);
        match counts {
            Ok(c) if c.total() > 0 => {
                left += c.total();
                errln!(
                    "cfscrub: {name}: {} remaining after the rewrite ({}) at line(s) {}",
                    c.total(),
                    c.kinds_line(),
                    lines_text(&c.lines)
                );
            }
            Ok(_) => {}
            Err(e) => {
                tally.errors += 1;
                errln!("cfscrub: {name}: cannot verify: {e}");
            }
        }
    }
    let elapsed = start.elapsed();
    let code = if args.dry_run {
        super::exit_code(&tally)
    } else if tally.errors > 0 || left > 0 {
        EXIT_ERROR
    } else {
        EXIT_CLEAN
    };
    if json {
        let v = json!({"type": "summary", "command": "redact", "dry_run": args.dry_run,
            "files": tally.files, "changed": if args.dry_run { 0 } else { changed.len() },
            "redacted": if args.dry_run { tally.findings } else { redacted },
            "remaining": left, "errors": tally.errors, "elapsed_ms": elapsed.as_millis() as u64});
        writeln!(out, "{v}")?;
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(&out).and_then(|_| stdout.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
    }
    if !json && !args.output.quiet {
        let bytes: u64 = files
            .iter()
            .filter_map(|p| std::fs::symlink_metadata(p).ok())
            .map(|m| m.len())
            .sum();
        if args.dry_run {
            errln!(
                "cfscrub redact --dry-run: {} would be redacted in {} of {} files; nothing changed",
                tally.findings,
                tally.files_with_findings,
                tally.files
            );
        } else {
            errln!(
                "cfscrub redact: {redacted} redacted in {} of {} files ({}, {:.2} s); verification: {left} remaining{}",
                changed.len(),
                tally.files,
                human_bytes(bytes),
                elapsed.as_secs_f64(),
                if tally.errors > 0 { format!("; {} error(s)", tally.errors) } else { String::new() }
            );
        }
    }
    Ok(code)
}
