//! What is about to be committed: the blobs the index holds that differ
//! from `HEAD` (`git diff --cached`), and nothing else, so a pre-commit
//! hook reads only what changed, however large the repository.

use super::objects::{ObjectKind, Place, Plan, Target};
use super::{GitError, Repo};
use std::collections::HashMap;

/// The staged blobs (added, modified or changed in type) as a plan: each
/// blob once, at the first path that holds it. An unborn `HEAD` (the first
/// commit) compares against the empty tree.
pub fn plan(repo: &Repo) -> Result<Plan, GitError> {
    if repo.work_tree.is_none() {
        return Err(GitError::Failed(
            "diff --cached".into(),
            "--staged needs a repository with a work tree and an index".into(),
        ));
    }
    let out = repo.output([
        "diff",
        "--cached",
        "--raw",
        "-z",
        "--no-renames",
        "--no-abbrev",
        "--no-ext-diff",
        "--diff-filter=AMT",
    ])?;
    let mut targets = HashMap::new();
    let mut fields = out.split(|&b| b == 0);
    while let (Some(meta), Some(path)) = (fields.next(), fields.next()) {
        let meta = String::from_utf8_lossy(meta);
        let words: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
        let (Some(mode), Some(oid)) = (words.get(1), words.get(3)) else {
            continue;
        };
        if !(mode.starts_with("10") || mode.starts_with("12")) {
            continue; // a submodule: its commit lives in another repository
        }
        targets.entry(oid.to_string()).or_insert_with(|| Target {
            oid: oid.to_string(),
            kind: ObjectKind::Blob,
            place: Place::Index(path.to_vec()),
        });
    }
    let mut order: Vec<String> = targets.keys().cloned().collect();
    order.sort();
    let objects = targets.len() as u64;
    Ok(Plan::known(targets, order, objects))
}
