//! `cfscrub redact`: rewrite every file with its credentials replaced, then
//! re-read every changed file to prove nothing remains.
//!
//! Files are processed in parallel; per-file failures are collected and
//! reported, the other files still processed. Results print in walk order.
//!
//! "Remaining" means every credential still on disk after the run: in the
//! files it rewrote (re-read) and in the files it refused or failed to
//! rewrite (scanned — containers through every layer — each named with
//! what would get it done). Content it cannot see through (7z, a git
//! object database, an encrypted zip member) is left untouched and
//! reported as not inspected; what its raw bytes hold counts as
//! remaining. Either one means the job is not done: exit 2.
//!
//! How each file is rewritten is [`cfscrub::rewrite::method`]'s decision.
//!
//! What it prints is [`cfscrub::report::redact`]'s.

use super::search::{print_notes, GIT_OBJECT_DATABASE};
use super::wiring::load_secrets;
use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FOUND};
use crate::cli::RedactOptions;
use anyhow::Result;
use cfscrub::core::counts::{FileCounts, Replacement};
use cfscrub::core::detect::Detector;
use cfscrub::core::sniff::{Content, Opaque};
use cfscrub::mask::sanitize::display_path;
use cfscrub::report::redact::{FileOutcome, RedactReport};
use cfscrub::report::{Format, NotInspected};
use cfscrub::rewrite::archive::Inside;
use cfscrub::rewrite::live_writers::LiveWriters;
use cfscrub::rewrite::method::{self, Plan, Request};
use cfscrub::rewrite::verify::{self, ProofError};
use cfscrub::rewrite::{Method, Outcome, RewriteError, RewriteOptions};
use cfscrub::source::archive::appended;
use cfscrub::source::beneath::Roots;
use cfscrub::source::cleanup::install_signal_cleanup;
use cfscrub::source::container::Limits;
use cfscrub::source::head::Head;
use cfscrub::source::open::open_regular;
use cfscrub::source::pool::rewrite_pool;
use cfscrub::source::walk::{self, Input};
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

/// One file's result.
enum FileResult {
    Done(Outcome, Plan),
    Planned(FileCounts, Plan, Inside),
    Skipped(&'static str),
    /// Not (fully) rewritten: why, and what would get it done.
    Failed {
        message: String,
        remedy: Option<&'static str>,
    },
    /// Content cfscrub cannot see through: left untouched; what its raw
    /// bytes hold.
    NotInspected(Opaque, FileCounts),
}

impl FileResult {
    /// The file to re-read for the final proof: an SQLite `-wal` or
    /// `-journal` file was redacted through its database.
    fn rewritten<'p>(&'p self, path: &'p Path) -> &'p Path {
        match self {
            FileResult::Done(_, Plan::ThroughDatabase(db)) => db,
            _ => path,
        }
    }
}

/// `walked`: every file of the run, so that a `-wal`/`-journal` file whose
/// database is also in the run is left to the database's turn.
fn dry_run_one(
    path: &Path,
    detector: &Detector,
    follow: bool,
    request: Request,
    walked: &HashSet<&Path>,
) -> FileResult {
    let plan = match method::plan_for(path, follow, request) {
        Ok(plan) => plan,
        Err(e) => return failure(e),
    };
    if covered(&plan, walked) {
        return FileResult::Planned(FileCounts::default(), plan, Inside::default());
    }
    match method::survey(path, plan, follow, request, detector) {
        Ok((Plan::Leave(opaque), counts, _)) => FileResult::NotInspected(opaque, counts),
        Ok((plan, counts, inside)) => FileResult::Planned(counts, plan, inside),
        Err(e) => failure(e),
    }
}

/// Whether `plan` goes through a database that has its own turn in the run.
fn covered(plan: &Plan, walked: &HashSet<&Path>) -> bool {
    matches!(plan, Plan::ThroughDatabase(db) if walked.contains(db.as_path()))
}

fn redact_one(
    path: &Path,
    opts: RewriteOptions,
    request: Request,
    walked: &HashSet<&Path>,
) -> FileResult {
    let plan = match method::plan_for(path, opts.follow, request) {
        Ok(plan) => plan,
        // A `-journal` or `-wal` that SQLite removed while its database,
        // also in this run, was being redacted: it was redacted with it.
        Err(RewriteError::Io(_, e)) if e.kind() == std::io::ErrorKind::NotFound => {
            match cfscrub::rewrite::sqlite::database_of(path) {
                Some(db) if walked.contains(db.as_path()) => Plan::ThroughDatabase(db),
                _ => return failure(RewriteError::Io("cannot open", e)),
            }
        }
        Err(e) => return failure(e),
    };
    match plan {
        // Opaque content is sorted out before (with what its raw bytes
        // hold); this is a file that changed format meanwhile.
        Plan::Leave(opaque) => FileResult::NotInspected(opaque, FileCounts::default()),
        plan if covered(&plan, walked) => FileResult::Done(
            Outcome {
                counts: FileCounts::default(),
                method: Method::Untouched,
                carried_over: 0,
                inside: Default::default(),
            },
            plan,
        ),
        plan => match method::apply(path, plan, request, opts) {
            Ok((plan, outcome)) => FileResult::Done(outcome, plan),
            Err(e) => failure(e),
        },
    }
}

fn failure(e: RewriteError) -> FileResult {
    match e {
        RewriteError::NotRegular(what) => FileResult::Skipped(what),
        // Messages about containers name their members: masked.
        e => FileResult::Failed {
            message: cfscrub::mask::sanitize::mask_text(&e.to_string()),
            remedy: e.remedy(),
        },
    }
}

/// A file with a zip after other data (a self-extracting archive, a
/// zipapp): redact does not rewrite such a zip, so one that holds a
/// credential, or that cannot be read through, is refused untouched.
/// `None` for every other file, and for one that cannot be opened (the
/// rewrite reports that).
fn appended_zip(path: &Path, detector: &Detector, follow: bool) -> Option<FileResult> {
    let (mut file, _) = open_regular(path, follow).ok()?;
    // As scan looks for one: after binary bytes.
    if !matches!(Head::read(&mut file).ok()?.classify(), Content::Binary(_)) {
        return None;
    }
    let start = match appended::find(&file) {
        Ok(start) => start?,
        Err(e) => {
            return Some(FileResult::Failed {
                message: format!("cannot read: {e}"),
                remedy: None,
            })
        }
    };
    let what = match appended::count(&file, start, detector, &Limits::default()) {
        Ok((counts, 0)) if counts.total() == 0 => return None,
        Ok((counts, 0)) => format!("holds {} credential(s)", counts.total()),
        Ok((_, unread)) => format!("has {unread} member(s) redact cannot read"),
        Err(e) => format!("cannot be read ({e})"),
    };
    Some(FileResult::Failed {
        message: format!(
            "a zip after {start} bytes of other data (self-extracting) {what}: \
             redact does not rewrite it; not rewritten"
        ),
        remedy: Some("rebuild it from redacted sources"),
    })
}

/// Runs `cfscrub redact`.
pub fn run(args: RedactOptions) -> Result<u8> {
    let start = Instant::now();
    let config = super::configured::load(&args.config, &args.walk, args.output.quiet)?;
    let secrets = load_secrets(&args.secrets)?;
    let detector = super::configured::detector(config.as_ref(), &secrets, false)?;
    let replacement = Replacement::new(&args.replacement, &detector)?;
    let inputs = super::configured::inputs(&args.walk, config.as_ref())?;
    let roots = Roots::new(&args.walk.paths);
    let live_writers = if args.same_length || args.dry_run {
        LiveWriters::default()
    } else {
        LiveWriters::snapshot()
    };
    let request = Request {
        same_length: args.same_length,
        binary_rename: args.binary_rename,
        in_place_when_held: false,
    };
    let opts = RewriteOptions {
        detector: &detector,
        replacement: &replacement,
        follow: args.walk.follow,
        roots: &roots,
        live_writers: &live_writers,
        keep_mtime: args.keep_mtime,
    };
    install_signal_cleanup();
    let pool = rewrite_pool(args.walk.threads)?;
    let files: Vec<&Path> = inputs
        .items
        .iter()
        .filter_map(|i| match i {
            Input::File(p) => Some(p.as_path()),
            Input::Stdin => None,
        })
        .collect();
    let walked: HashSet<&Path> = files.iter().copied().collect();
    let results: Vec<FileResult> = pool.install(|| {
        files
            .par_iter()
            .map(|path| {
                if args.walk.follow && !roots.contains(path) {
                    return FileResult::Failed {
                        message: "leads outside the given paths: not rewritten".into(),
                        remedy: Some("give redact the path it leads to"),
                    };
                }
                if let Some(refused) = appended_zip(path, &detector, args.walk.follow) {
                    refused
                } else if args.dry_run {
                    dry_run_one(path, &detector, args.walk.follow, request, &walked)
                } else if let Some(opaque) = verify::opaque(path, &detector, args.walk.follow) {
                    match opaque {
                        Ok((format, raw)) => FileResult::NotInspected(format, raw),
                        Err(e) => FileResult::Failed {
                            message: format!("cannot read: {e}"),
                            remedy: None,
                        },
                    }
                } else {
                    redact_one(path, opts, request, &walked)
                }
            })
            .collect()
    });
    // The final proof: re-read every changed file.
    let changed: Vec<&Path> = files
        .iter()
        .zip(&results)
        .filter(|(_, r)| matches!(r, FileResult::Done(o, _) if o.method != Method::Untouched))
        .map(|(p, r)| r.rewritten(p))
        .collect();
    let proof: Vec<(&Path, std::result::Result<FileCounts, ProofError>)> = pool.install(|| {
        changed
            .par_iter()
            .map(|path| {
                (
                    *path,
                    verify::proof(path, &roots, args.walk.follow, &detector),
                )
            })
            .collect()
    });
    // What the files it did not rewrite still hold.
    let left_in_failed: Vec<Option<FileCounts>> = pool.install(|| {
        files
            .par_iter()
            .zip(&results)
            .map(|(path, result)| match result {
                FileResult::Failed { .. } if !args.dry_run => {
                    verify::left_in(path, &detector, args.walk.follow)
                }
                _ => None,
            })
            .collect()
    });
    report(
        &args,
        &inputs,
        &files,
        &results,
        &left_in_failed,
        &proof,
        start,
    )
}

/// Hands every result to [`RedactReport`] in walk order, then the final
/// proof (each changed file re-read); the exit code.
fn report(
    args: &RedactOptions,
    inputs: &walk::Inputs,
    files: &[&Path],
    results: &[FileResult],
    left_in_failed: &[Option<FileCounts>],
    proof: &[(&Path, std::result::Result<FileCounts, ProofError>)],
    start: Instant,
) -> Result<u8> {
    let json = args.output.format == Format::Json;
    let mut report = RedactReport::new(json, args.dry_run);
    for ((path, result), left) in files.iter().zip(results).zip(left_in_failed) {
        let outcome = match result {
            FileResult::Done(o, plan) if o.method != Method::Untouched => FileOutcome::Redacted {
                counts: &o.counts,
                carried_over: o.carried_over,
                plan,
                inside: &o.inside,
            },
            FileResult::Done(o, _) => FileOutcome::Untouched(&o.inside),
            FileResult::Planned(counts, plan, inside) => FileOutcome::WouldRedact {
                counts,
                plan,
                inside,
            },
            FileResult::Skipped(what) => FileOutcome::Skipped(what),
            FileResult::Failed { message, remedy } => FileOutcome::Failed {
                message,
                remedy: *remedy,
                left: left.as_ref(),
            },
            FileResult::NotInspected(format, raw) => FileOutcome::NotInspected {
                format: *format,
                raw,
            },
        };
        let name = display_path(path);
        let inside = match result {
            FileResult::Done(o, _) => Some(&o.inside),
            FileResult::Planned(_, _, inside) => Some(inside),
            _ => None,
        };
        report.file(&name, outcome);
        if let Some(inside) = inside {
            report.inside_not_inspected(&name, inside);
        }
    }
    for git_dir in &inputs.walked.git_object_dbs {
        let name = display_path(git_dir);
        let item = NotInspected {
            path: &name,
            container: &[],
            reason: GIT_OBJECT_DATABASE,
        };
        report.not_inspected(item, None);
    }
    report.walk_errors(print_notes(&inputs.walked, args.walk.verbose));
    for (path, counts) in proof {
        report.after_rewrite(&display_path(path), counts.as_ref());
    }
    let bytes = if json || args.output.quiet {
        0
    } else {
        files
            .iter()
            .filter_map(|p| std::fs::symlink_metadata(p).ok())
            .map(|m| m.len())
            .sum()
    };
    let totals = report.finish(
        proof.len() as u64,
        bytes,
        start.elapsed(),
        args.output.quiet,
    )?;
    let (tally, left) = (&totals.tally, totals.remaining);
    Ok(if args.dry_run {
        match super::exit_code(tally) {
            EXIT_CLEAN if left > 0 => EXIT_FOUND,
            code => code,
        }
    } else if tally.errors > 0 || left > 0 || tally.uninspected > 0 {
        EXIT_ERROR
    } else {
        EXIT_CLEAN
    })
}
