//! `cfscrub history`: redact every shell and REPL history and every AI
//! coding agent's transcript of a home in place, report credential stores,
//! and say what to run in open shells;
//! `cfscrub history hook SHELL` prints the capture-time hook.

use super::{load_secrets, EXIT_CLEAN, EXIT_ERROR, EXIT_FOUND};
use crate::cli::{HistoryArgs, HistoryCommand};
use crate::core::counts::{FileCounts, Replacement, DEFAULT_REPLACEMENT};
use crate::core::detect::Detector;
use crate::core::sniff::Opaque;
use crate::incident::agent_transcripts::{transcripts, AGENTS};
use crate::incident::history::{hook, running_shell_advice, HistoryFile, Places};
use crate::mask::sanitize::display_path;
use crate::rewrite::live_writers::LiveWriters;
use crate::rewrite::method::{self, Plan, Request};
use crate::rewrite::{count_remaining, Method, RewriteError, RewriteOptions};
use crate::source::beneath::Roots;
use crate::source::walk::{open_regular, OpenError};
use crate::{errln, out, outln};
use anyhow::{Context, Result};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Redacts one history with the method [`crate::rewrite::method`] chooses (atuin's
/// SQLite database goes through SQLite, its `-wal` and `-journal` with
/// it); returns (counts, how) or an error message.
fn scrub(
    file: &HistoryFile,
    opts: RewriteOptions,
    dry_run: bool,
) -> Result<(FileCounts, &'static str), String> {
    let request = Request {
        same_length: file.same_length,
        binary_rename: false,
        // A shell holding its history open: keep its descriptor valid.
        in_place_when_held: true,
    };
    let message = |e: RewriteError| match e {
        RewriteError::NotRegular(what) => format!("is a {what}: not touched"),
        e => e.to_string(),
    };
    let not_inspected =
        |opaque: Opaque| format!("not inspected ({}): left untouched", opaque.name());
    let plan = method::plan_for(&file.path, false, request).map_err(message)?;
    if dry_run {
        return match method::survey(&file.path, plan, false, request, opts.detector) {
            Ok((Plan::Leave(opaque), _)) => Err(not_inspected(opaque)),
            Ok((_, c)) => Ok((c, "would be redacted")),
            Err(e) => Err(message(e)),
        };
    }
    match method::apply(&file.path, plan, request, opts).map_err(message)? {
        (Plan::Leave(opaque), _) => Err(not_inspected(opaque)),
        (Plan::Sqlite, o) if o.method == Method::SameLength => {
            Ok((o.counts, "redacted in place (same length, through SQLite)"))
        }
        (_, o) if o.method == Method::SameLength => {
            Ok((o.counts, "redacted in place (same length)"))
        }
        (_, o) => Ok((o.counts, "redacted")),
    }
}

fn open_message(e: OpenError) -> String {
    match e {
        OpenError::NotRegular(what) => format!("is a {what}: not touched"),
        OpenError::Io(e) => e.to_string(),
    }
}

/// Reports a credential store: its mode and how many credentials it holds.
fn report_store(path: &Path, detector: &Detector) -> bool {
    let name = display_path(path);
    match open_regular(path, false) {
        Ok((file, meta)) => {
            let mode = meta.mode() & 0o7777;
            let found = count_remaining(&file, detector)
                .map(|c| c.total())
                .unwrap_or(0);
            let mode_note = if mode & !0o600 != 0 {
                format!("mode {mode:04o}, looser than 0600: run `cfscrub vault fix {name}`")
            } else {
                format!("mode {mode:04o}")
            };
            outln!("{name}: credential store, {mode_note}; {found} credential(s) inside (not rewritten: rotate them)");
            true
        }
        Err(e) => {
            errln!("cfscrub history: {name}: {}", open_message(e));
            false
        }
    }
}

/// Runs `cfscrub history`.
pub fn run(args: HistoryArgs) -> Result<u8> {
    if let Some(HistoryCommand::Hook { shell }) = args.hook {
        let exe = std::env::current_exe().context("cannot find the cfscrub binary")?;
        out!("{}", hook(shell, &exe));
        return Ok(EXIT_CLEAN);
    }
    let secrets = load_secrets(&args.secrets, None)?;
    let detector = Detector::new(&secrets);
    let replacement = Replacement::new(DEFAULT_REPLACEMENT, &detector)?;
    let live_writers = if args.dry_run {
        LiveWriters::default()
    } else {
        LiveWriters::snapshot()
    };
    let opts = RewriteOptions {
        detector: &detector,
        replacement: &replacement,
        follow: false,
        // Histories are found by name, not walked: each is opened from its
        // own directory as written (links to a directory, as dotfile
        // managers make, keep working).
        roots: &Roots::default(),
        live_writers: &live_writers,
    };
    crate::source::cleanup::install_signal_cleanup();
    let places = Places::new(args.home.as_deref());
    let mut histories = places.histories();
    histories.extend(transcripts(&places.home, args.home.is_none()));
    let (mut found, mut errors) = (0u64, 0usize);
    let mut owners = Vec::new();
    // Clean agent transcripts (there may be hundreds) are counted, not listed.
    let mut clean_transcripts: Vec<(&str, usize)> = Vec::new();
    for file in &histories {
        let name = display_path(&file.path);
        match scrub(file, opts, args.dry_run) {
            Ok((counts, _)) if counts.total() == 0 && AGENTS.contains(&file.owner) => {
                match clean_transcripts.iter_mut().find(|(o, _)| *o == file.owner) {
                    Some((_, n)) => *n += 1,
                    None => clean_transcripts.push((file.owner, 1)),
                }
            }
            Ok((counts, _)) if counts.total() == 0 => outln!("{name} ({}): clean", file.owner),
            Ok((counts, how)) => {
                found += counts.total();
                outln!(
                    "{name} ({}): {} {how} ({})",
                    file.owner,
                    counts.total(),
                    counts.kinds_line()
                );
            }
            Err(message) => {
                errors += 1;
                errln!("cfscrub history: {name} ({}): {message}", file.owner);
            }
        }
        if !owners.contains(&file.owner) {
            owners.push(file.owner);
        }
    }
    for (owner, n) in clean_transcripts {
        outln!("{owner} transcripts: {n} clean");
    }
    if histories.is_empty() {
        outln!(
            "no shell or REPL history or agent transcript found under {}",
            display_path(&places.home)
        );
    }
    for path in places.credential_stores().iter().chain(&args.also) {
        if !report_store(path, &detector) {
            errors += 1;
        }
    }
    for owner in owners {
        if let Some(advice) = running_shell_advice(owner) {
            errln!("cfscrub history: note: {advice}");
        }
    }
    if !histories.is_empty() {
        errln!(
            "cfscrub history: {found} credential(s) {} in {} history file(s); keep new ones out with `cfscrub history hook bash|zsh|fish`",
            if args.dry_run { "would be redacted" } else { "redacted" },
            histories.len()
        );
    }
    Ok(if errors > 0 {
        EXIT_ERROR
    } else if args.dry_run && found > 0 {
        EXIT_FOUND
    } else {
        EXIT_CLEAN
    })
}
