//! `cfscrub git scan`: every object of each repository (or only the staged
//! blobs) through the same detector as `scan`, each object read once.

use crate::cli::GitScanOptions;
use crate::commands::exit_code;
use crate::commands::wiring::load_secrets;
use anyhow::{Context, Result};
use cfscrub::core::detect::Detector;
use cfscrub::core::finding::Finding;
use cfscrub::core::stream::StreamScanner;
use cfscrub::errln;
use cfscrub::mask::sanitize::mask_text;
use cfscrub::report::git::git_summary;
use cfscrub::report::{Format, Output, Tally};
use cfscrub::source::git::objects::{self, Entry, Plan, Scope};
use cfscrub::source::git::{check_git, read, staged, GitError, Repo};
use cfscrub::source::head::scan_and_sniff;
use cfscrub::source::pool::scan_pool;
use std::sync::Mutex;
use std::time::Instant;

/// What to tell the committer when `--staged` finds something.
pub const STAGED_ADVICE: &str =
    "cfscrub: a credential is staged for commit; nothing was committed.\n\
  - unstage the file: git restore --staged PATH (before the first commit: git rm --cached PATH)\n\
  - take the value out of the file; keep it in a vault file outside the repository\n\
    (cfscrub vault store ~/.config/cloudflare/token, mode 0600) or in your CI's secret store\n\
    (wrangler secret put, GitHub Actions secrets), and read it from the environment\n\
  - if it was ever pushed or shared, rotate it: cfscrub checklist";

/// Runs `cfscrub git scan`.
pub fn run(args: GitScanOptions) -> Result<u8> {
    let start = Instant::now();
    check_git()?;
    let secrets = load_secrets(&args.secrets)?;
    let detector = Detector::new(&secrets);
    let excludes = cfscrub::source::walk::build_excludes(&args.excludes).context("--exclude")?;
    let output = Output::stdout(args.output.format, args.output.color);
    let pool = scan_pool(args.threads)?;
    let scope = Scope {
        revs: args.branches.clone(),
        since: args.since.clone(),
    };
    let mut tally = Tally::default();
    let mut provenance = None;
    for path in &args.repos {
        let planned = Repo::open(path).and_then(|repo| {
            let plan = if args.staged {
                staged::plan(&repo)?
            } else {
                objects::plan(&repo, &scope)?
            };
            Ok((repo, plan))
        });
        let (repo, mut plan) = match planned {
            Ok(p) => p,
            Err(e) => {
                errln!("cfscrub: {}", mask_text(&e.to_string()));
                tally.errors += 1;
                continue;
            }
        };
        if let Err(e) = plan.exclude(&excludes) {
            errln!("cfscrub: {}", mask_text(&e.to_string()));
            tally.errors += 1;
            continue;
        }
        // Only SARIF names the repository (two more git commands).
        if provenance.is_none() && args.output.format == Format::Sarif {
            provenance = Some(repository_provenance(&repo));
        }
        match scan_plan(&repo, &plan, &detector, &output, &pool) {
            Ok(t) => tally.merge(&t),
            Err(e) => {
                errln!("cfscrub: {}", mask_text(&e.to_string()));
                tally.errors += 1;
            }
        }
    }
    let elapsed = start.elapsed();
    output.finish_git(&tally, elapsed, "git scan", provenance)?;
    if args.output.summary_line() {
        errln!("{}", git_summary(&tally, elapsed, "git scan"));
    }
    if args.staged && tally.findings > 0 {
        errln!("{STAGED_ADVICE}");
    }
    Ok(exit_code(&tally))
}

/// Bytes of objects with findings kept from the first pass for their
/// reports; past this, the others are read again.
const KEPT_HITS: usize = 64 << 20;

/// Reads every object of `plan` once and reports what it holds. Each
/// object is scanned for findings, lines not counted; one that has some
/// (or whose content is opaque) is set aside (its bytes kept, within
/// [`KEPT_HITS`]), and where it is worked out meanwhile
/// ([`Plan::prepare_places`]). At the end the set-aside objects, in id
/// order, are scanned into their reports (those not kept read again): a
/// clean history costs one pass and no history walk.
pub fn scan_plan(
    repo: &Repo,
    plan: &Plan,
    detector: &Detector,
    output: &Output,
    pool: &rayon::ThreadPool,
) -> Result<Tally, GitError> {
    use rayon::prelude::*;
    let tally = Mutex::new(Tally::default());
    let hits = Mutex::new((Vec::new(), 0usize));
    let read = read::read_all(repo, plan, pool, |object| {
        let data = object.data;
        let mut found: Vec<Finding> = Vec::new();
        // The thread's reusable buffer: no allocation per object.
        let mut scanner = StreamScanner::new(detector, false);
        match scan_and_sniff(&mut scanner, &mut &data[..], &mut found) {
            Ok(None) if found.is_empty() => lock(&tally).merge(&Tally {
                files: 1,
                bytes: data.len() as u64,
                ..Tally::default()
            }),
            _ => {
                plan.prepare_places();
                let mut hits = lock(&hits);
                let keep = hits.1 + data.len() <= KEPT_HITS;
                hits.1 += if keep { data.len() } else { 0 };
                hits.0
                    .push((object.entry.clone(), keep.then(|| data.to_vec())));
            }
        }
        true
    });
    // What was found is reported even when the reading or the places
    // failed afterwards (the error is told, and counted, as well).
    let (mut hits, _) = hits.into_inner().unwrap_or_else(|e| e.into_inner());
    if !hits.is_empty() {
        if let Err(e) = plan.places_done() {
            errln!(
                "cfscrub: where the objects are (reported as unreachable): {}",
                mask_text(&e.to_string())
            );
            lock(&tally).errors += 1;
        }
        hits.sort_by(|a, b| a.0.oid.cmp(&b.0.oid));
        let (kept, again): (Vec<_>, Vec<_>) = hits.into_iter().partition(|(_, d)| d.is_some());
        pool.install(|| {
            kept.par_iter().all(|(entry, data)| {
                let data = data.as_deref().unwrap_or_default();
                let t = report_object(plan, entry, data, detector, output);
                lock(&tally).merge(&t);
                !output.is_closed()
            })
        });
        let again: Vec<Entry> = again.into_iter().map(|(e, _)| e).collect();
        read::read_entries(repo, &again, pool, |object| {
            let t = report_object(plan, object.entry, object.data, detector, output);
            lock(&tally).merge(&t);
            !output.is_closed()
        })?;
    }
    read?;
    Ok(tally.into_inner().unwrap_or_else(|e| e.into_inner()))
}

/// Scans one object into its report, at its place.
fn report_object(
    plan: &Plan,
    entry: &Entry,
    data: &[u8],
    detector: &Detector,
    output: &Output,
) -> Tally {
    let target = plan.target(entry);
    let mut report = output.git_object(&target);
    let mut scanner = StreamScanner::with_chunk(detector, true, data.len().max(1));
    let result = scan_and_sniff(&mut scanner, &mut &data[..], &mut report);
    if let Ok(Some(format)) = result {
        report.not_inspected(format.name());
    }
    let mut t = report.finish(data.len() as u64).unwrap_or_else(|e| {
        errln!("cfscrub: writing the report: {e}");
        Tally {
            errors: 1,
            ..Tally::default()
        }
    });
    if let Err(e) = result {
        errln!("cfscrub: {}: {e}", entry.oid);
        t.errors += 1;
    }
    t
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The repository's URL (its `origin` remote without credentials, or its
/// git directory) and `HEAD`, for SARIF.
fn repository_provenance(repo: &Repo) -> (String, String) {
    let url = repo
        .try_output(["config", "--get", "remote.origin.url"])
        .ok()
        .flatten()
        .map(|u| String::from_utf8_lossy(&u).trim().to_string())
        .filter(|u| !u.is_empty())
        .map(|u| strip_userinfo(&u))
        .unwrap_or_else(|| format!("file://{}", repo.git_dir.display()));
    let head = repo
        .try_output(["rev-parse", "--verify", "-q", "HEAD"])
        .ok()
        .flatten()
        .map(|h| String::from_utf8_lossy(&h).trim().to_string())
        .unwrap_or_default();
    (mask_text(&url), head)
}

/// `https://user:pass@host/x` → `https://host/x`.
fn strip_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('/') {
            Some((auth, path)) => {
                let host = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
                format!("{scheme}://{host}/{path}")
            }
            None => format!(
                "{scheme}://{}",
                rest.rsplit_once('@').map_or(rest, |(_, h)| h)
            ),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_stripped_from_remote_urls() {
        assert_eq!(
            strip_userinfo("https://u:p@github.com/a/b"),
            "https://github.com/a/b"
        );
        assert_eq!(strip_userinfo("git@github.com:a/b"), "git@github.com:a/b");
    }
}
