//! `cfscrub git redact`: refuse what is unsafe, rewrite the history, prove
//! nothing remains in any object, print the steps beyond this repository.

use super::scan::scan_plan;
use crate::cli::GitRedactOptions;
use crate::commands::wiring::load_secrets;
use crate::commands::{EXIT_CLEAN, EXIT_ERROR};
use anyhow::Result;
use cfscrub::core::counts::{Replacement, DEFAULT_REPLACEMENT};
use cfscrub::core::detect::Detector;
use cfscrub::incident::checklist::Section;
use cfscrub::incident::git_next_steps::{section, Seen};
use cfscrub::mask::sanitize::{display_path, mask_text};
use cfscrub::report::git::show_bytes;
use cfscrub::report::{ColorChoice, Format, Output};
use cfscrub::rewrite::git::{parents, rewrite_history, safety, Rewritten, COMMIT_MAP};
use cfscrub::source::git::objects::{self, Scope};
use cfscrub::source::git::{check_git, Repo};
use cfscrub::source::pool::scan_pool;
use cfscrub::{errln, outln};

/// Runs `cfscrub git redact`.
pub fn run(args: GitRedactOptions) -> Result<u8> {
    check_git()?;
    let secrets = load_secrets(&args.secrets)?;
    let detector = Detector::new(&secrets);
    let replacement = Replacement::new(DEFAULT_REPLACEMENT, &detector)?;
    let repo = Repo::open(&args.repo)?;
    safety::check(&repo, args.force)?;
    let map_file = args
        .commit_map
        .clone()
        .unwrap_or_else(|| repo.git_dir.join(COMMIT_MAP));
    let parents = parents(&repo)?;
    let mut seen = seen_before(&repo)?;
    errln!(
        "cfscrub git redact: rewriting {}",
        display_path(&repo.given)
    );
    let done = rewrite_history(&repo, &detector, &replacement, &map_file)?;
    seen.refs_changed = done
        .refs_changed
        .iter()
        .map(|(r, _, _)| show_bytes(r.as_bytes()))
        .collect();
    seen.first_changed = done.first_changed(&parents);
    print_rewrite(&done);

    let pool = scan_pool(args.threads)?;
    let plan = objects::plan(&repo, &Scope::default())?;
    let output = Output::stdout(Format::Human, ColorChoice::Never);
    let tally = scan_plan(&repo, &plan, &detector, &output, &pool)?;
    let objects = plan.objects()?;
    let code = if tally.findings > 0 || tally.errors > 0 || tally.uninspected > 0 {
        errln!(
            "cfscrub git redact: {} remaining in {} objects ({} not inspected, {} errors): see above",
            tally.findings,
            objects,
            tally.uninspected,
            tally.errors
        );
        EXIT_ERROR
    } else {
        outln!("0 remaining in {} objects", objects);
        EXIT_CLEAN
    };
    if done.stats.counts.total() == 0 && done.refs_changed.is_empty() {
        outln!("no credential in the history: nothing beyond this repository to do");
    } else {
        print_section(&section(Some(&seen)));
    }
    Ok(code)
}

/// Remotes, mirror and pull-request refs, read before the rewrite.
fn seen_before(repo: &Repo) -> Result<Seen> {
    let remotes = String::from_utf8_lossy(&repo.output(["remote"])?)
        .lines()
        .map(mask_text)
        .collect();
    let mirror = repo.work_tree.is_none()
        || repo
            .try_output(["config", "--bool", "remote.origin.mirror"])?
            .is_some_and(|v| v.starts_with(b"true"));
    let pull_refs = !repo
        .output(["for-each-ref", "--count=1", "refs/pull"])?
        .is_empty();
    Ok(Seen {
        remotes,
        mirror,
        pull_refs,
        ..Seen::default()
    })
}

fn print_rewrite(done: &Rewritten) {
    let s = &done.stats;
    let changed = done.map.iter().filter(|(o, n)| o != n).count();
    outln!(
        "rewrote {} commits ({changed} changed): {} of {} blobs and {} messages redacted{}",
        done.map.len(),
        s.blobs_changed,
        s.blobs,
        s.messages_changed,
        if s.counts.total() > 0 {
            format!(" ({})", s.counts.kinds_line())
        } else {
            String::new()
        }
    );
    outln!("refs rewritten: {}", done.refs_changed.len());
    for (name, old, new) in &done.refs_changed {
        outln!(
            "  {} {}..{}",
            show_bytes(name.as_bytes()),
            &old[..12.min(old.len())],
            &new[..12.min(new.len())]
        );
    }
    if done.notes_moved > 0 {
        outln!("{} notes moved to the rewritten commits", done.notes_moved);
    }
    if done.signed_commits > 0 {
        outln!(
            "{} signed commits lost their signatures (re-sign them if you need signatures)",
            done.signed_commits
        );
    }
    if !done.dropped_stashes.is_empty() {
        outln!(
            "dropped {} older stash entries with the reflogs (stash@{{1}}..): {}",
            done.dropped_stashes.len(),
            done.dropped_stashes.join(" ")
        );
    }
    outln!("commit map (old new): {}", display_path(&done.map_file));
    outln!("reflogs expired, old objects pruned, work tree at the rewritten HEAD");
}

fn print_section(section: &Section) {
    outln!("\nNext steps — {}:", section.title);
    for (i, step) in section.steps.iter().enumerate() {
        outln!("{}. {}", i + 1, step.text);
        if let Some(cmd) = &step.command {
            for line in cmd.lines() {
                outln!("     {line}");
            }
        }
    }
}
