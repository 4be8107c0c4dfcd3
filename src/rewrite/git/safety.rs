//! What `git redact` checks before it rewrites anything: no uncommitted
//! change, no operation in progress, and — unless forced — a fresh clone
//! (the convention of `git filter-repo`: history is rewritten on a fresh
//! mirror clone, so that nothing only the user's clone holds is lost).

use crate::source::git::{GitError, Repo};

/// Why a repository is refused.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// Tracked files differ from `HEAD` or the index.
    #[error("the work tree has uncommitted changes: commit or stash them (a stash would be rewritten too), then run again")]
    Dirty,
    /// A rebase, merge, cherry-pick, revert or bisect is in progress.
    #[error("a {0} is in progress: finish or abort it, then run again")]
    InProgress(&'static str),
    /// Not a fresh clone, and why.
    #[error("not a fresh clone ({0}): rewriting it would lose what only this clone holds. Work on a fresh mirror clone (git clone --mirror URL repo.git; cfscrub git redact repo.git), or pass --force")]
    NotFresh(String),
    /// git itself failed.
    #[error("{0}")]
    Git(#[from] GitError),
}

/// Operations whose state files in the git directory mean "in progress".
const IN_PROGRESS: &[(&str, &str)] = &[
    ("rebase-merge", "rebase"),
    ("rebase-apply", "rebase or am"),
    ("MERGE_HEAD", "merge"),
    ("CHERRY_PICK_HEAD", "cherry-pick"),
    ("REVERT_HEAD", "revert"),
    ("sequencer", "cherry-pick or revert sequence"),
    ("BISECT_LOG", "bisect"),
];

/// Refuses a dirty work tree, an operation in progress and, unless
/// `force`, a repository that is not a fresh clone: more than one reflog
/// entry on a ref, a stash, more than one pack or many loose objects.
pub fn check(repo: &Repo, force: bool) -> Result<(), Refusal> {
    if repo.git_dir.join(super::PENDING).exists() {
        // An interrupted rewrite: the index and work tree may still show
        // the old HEAD, and the reflogs its new refs; run it again.
        return Ok(());
    }
    for (file, what) in IN_PROGRESS {
        if repo.git_dir.join(file).exists() {
            return Err(Refusal::InProgress(what));
        }
    }
    if repo.work_tree.is_some() {
        let status = repo.output([
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--ignore-submodules=none",
        ])?;
        if !status.is_empty() {
            return Err(Refusal::Dirty);
        }
    }
    if force {
        return Ok(());
    }
    if repo
        .try_output(["rev-parse", "--verify", "-q", "refs/stash"])?
        .is_some()
    {
        return Err(Refusal::NotFresh("it has a stash".into()));
    }
    for entry in walkdir::WalkDir::new(repo.git_dir.join("logs"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
    {
        let lines = std::fs::read(entry.path())
            .map(|b| bytecount::count(&b, b'\n'))
            .unwrap_or(0);
        if lines > 1 {
            let name = entry
                .path()
                .strip_prefix(repo.git_dir.join("logs"))
                .unwrap_or(entry.path());
            return Err(Refusal::NotFresh(format!(
                "{} has more than one reflog entry",
                name.display()
            )));
        }
    }
    let counts = String::from_utf8_lossy(&repo.output(["count-objects", "-v"])?).into_owned();
    let value = |key: &str| -> u64 {
        counts
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    if value("packs:") > 1 || value("count:") > 100 {
        return Err(Refusal::NotFresh("it is not freshly packed".into()));
    }
    Ok(())
}
