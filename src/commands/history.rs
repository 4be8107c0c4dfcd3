//! `cfscrub history`: redact every shell and REPL history and every AI
//! coding agent's transcript of a home in place, report credential stores,
//! and say what to run in open shells;
//! `cfscrub history hook SHELL` prints the capture-time hook.

use super::wiring::load_secrets;
use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FOUND};
use crate::cli::HistoryOptions;
use anyhow::Result;
use cfscrub::core::counts::{Replacement, DEFAULT_REPLACEMENT};
use cfscrub::core::detect::Detector;
use cfscrub::incident::agent_transcripts::{transcripts, AGENTS};
use cfscrub::incident::history::{hook as hook_text, running_shell_advice, Places, Shell};
use cfscrub::incident::history_scrub::{inspect_store, scrub, Scrubbed};
use cfscrub::mask::sanitize::{display_path, mask_text};
use cfscrub::rewrite::live_writers::LiveWriters;
use cfscrub::rewrite::RewriteOptions;
use cfscrub::source::beneath::Roots;
use cfscrub::{errln, out, outln};
use std::path::Path;

/// Runs `cfscrub history hook SHELL`: prints the snippet, and warns on
/// stderr when `cfscrub` is not on `PATH` (the hook calls it from there).
pub fn hook(shell: Shell) -> Result<u8> {
    out!("{}", hook_text(shell));
    if !on_path("cfscrub") {
        errln!("cfscrub history hook: `cfscrub` is not on PATH: the hook will warn and save commands unchecked until it is (cargo install --path . --locked)");
    }
    Ok(EXIT_CLEAN)
}

/// Reports a credential store: its mode and how many credentials it holds.
fn report_store(path: &Path, detector: &Detector) -> bool {
    let name = display_path(path);
    match inspect_store(path, detector) {
        Ok(store) => {
            let mode = store.mode;
            let mode_note = if mode & !0o600 != 0 {
                format!("mode {mode:04o}, looser than 0600: run `cfscrub vault fix {name}`")
            } else {
                format!("mode {mode:04o}")
            };
            outln!(
                "{name}: credential store, {mode_note}; {} credential(s) inside (not rewritten: rotate them)",
                store.found
            );
            true
        }
        Err(e) => {
            errln!("cfscrub history: {name}: {}", mask_text(&e.to_string()));
            false
        }
    }
}

/// Whether an executable file named `name` is in a directory of `PATH`.
fn on_path(name: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(name))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// Runs `cfscrub history`.
pub fn run(args: HistoryOptions) -> Result<u8> {
    let secrets = load_secrets(&args.secrets)?;
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
        keep_mtime: false,
    };
    cfscrub::source::cleanup::install_signal_cleanup();
    let places = Places::new(args.home.as_deref());
    let mut histories = places.histories();
    histories.extend(transcripts(&places.home, args.home.is_none()));
    let (mut found, mut errors, mut files_with_findings) = (0u64, 0usize, 0usize);
    let mut owners = Vec::new();
    // Clean agent transcripts (there may be hundreds) are counted, not listed.
    let mut clean_transcripts: Vec<(&str, usize)> = Vec::new();
    for file in &histories {
        let name = display_path(&file.path);
        match scrub(file, opts, args.dry_run) {
            Ok(Scrubbed { counts, .. }) if counts.total() == 0 && AGENTS.contains(&file.owner) => {
                match clean_transcripts.iter_mut().find(|(o, _)| *o == file.owner) {
                    Some((_, n)) => *n += 1,
                    None => clean_transcripts.push((file.owner, 1)),
                }
            }
            Ok(Scrubbed { counts, .. }) if counts.total() == 0 => {
                outln!("{name} ({}): clean", file.owner)
            }
            Ok(Scrubbed { counts, how }) => {
                found += counts.total();
                files_with_findings += 1;
                outln!(
                    "{name} ({}): {} {how} ({})",
                    file.owner,
                    counts.total(),
                    counts.kinds_line()
                );
            }
            Err(e) => {
                errors += 1;
                let message = mask_text(&e.to_string());
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
            "cfscrub history: {found} credential(s) {} in {files_with_findings} of {} history file(s); keep new ones out with `cfscrub history hook bash|zsh|fish`",
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
