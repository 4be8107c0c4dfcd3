//! What to do after a credential's history was rewritten: the steps that
//! reach beyond the local repository (remotes, pull-request refs, forks,
//! clones, CI caches), tailored to what `git redact` saw, or generic for
//! `cfscrub checklist --leaked-in git`.

use crate::incident::checklist::{Section, Step};

/// What the rewrite saw of the repository, names already masked.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// Remote names.
    pub remotes: Vec<String>,
    /// Whether `origin` is a mirror (`remote.origin.mirror`), or the
    /// repository is bare: `push --mirror` then fits.
    pub mirror: bool,
    /// Rewritten refs (`refs/heads/main`, `refs/tags/v1`, ...).
    pub refs_changed: Vec<String>,
    /// Whether `refs/pull/*` refs were present.
    pub pull_refs: bool,
    /// Old ids of the first rewritten commits of each line of history.
    pub first_changed: Vec<String>,
}

fn step(text: impl Into<String>, command: Option<String>) -> Step {
    Step {
        text: text.into(),
        command,
    }
}

/// The "purge it from git history" section.
pub fn section(seen: Option<&Seen>) -> Section {
    let mut steps = vec![step(
        "Rotate first: whoever fetched the repository since the push has the credential, and a rewrite does not take it back.",
        None,
    )];
    match seen {
        None => steps.push(step(
            "Rewrite the history on a fresh mirror clone, check that nothing remains, and push every rewritten ref.",
            Some("git clone --mirror URL repo.git && cfscrub git redact repo.git && cd repo.git && git push --force --mirror".into()),
        )),
        Some(seen) => steps.push(push_step(seen)),
    }
    let commits = seen.map(|s| s.first_changed.clone()).unwrap_or_default();
    let pull = if seen.is_some_and(|s| s.pull_refs) {
        "This repository holds refs/pull/* (pull-request heads): the host keeps them read-only, so a push cannot rewrite them."
    } else {
        "On GitHub, pull-request refs (refs/pull/*) are read-only and keep the old commits reachable, and cached views keep them visible."
    };
    let mut pull = format!(
        "{pull} Ask the host's support to remove the cached views and dereference the old commits"
    );
    if commits.is_empty() {
        pull.push_str(
            " (list the first rewritten commits from the commit map cfscrub git redact writes).",
        );
        steps.push(step(pull, None));
    } else {
        pull.push_str(", naming the first rewritten commits:");
        steps.push(step(pull, Some(commits.join("\n"))));
    }
    steps.push(step(
        "Every fork and clone still holds the old history: delete the forks you control, have every collaborator re-clone (a pull or merge from an old clone brings the old commits back).",
        None,
    ));
    steps.push(step(
        "Clear CI caches and artifacts that may hold a checkout of the old history (actions/cache, build and container layer caches).",
        None,
    ));
    steps.push(step(
        "Check a fresh clone from the remote: nothing may remain.",
        Some("git clone --mirror URL check.git && cfscrub git scan check.git".into()),
    ));
    Section {
        title: "Purge it from git history".into(),
        steps,
    }
}

/// Force-push: `--mirror` from a mirror, else every rewritten ref by name.
fn push_step(seen: &Seen) -> Step {
    let remote = seen
        .remotes
        .iter()
        .find(|r| *r == "origin")
        .or(seen.remotes.first())
        .cloned();
    let Some(remote) = remote else {
        return step(
            "This repository has no remote: force-push every rewritten ref to wherever the history was published (git push --force --mirror from a mirror clone).",
            None,
        );
    };
    if seen.mirror {
        return step(
            format!("Force-push every ref to {remote} (a mirror: branches, tags and notes at once; refs deleted here are deleted there)."),
            Some(format!("git push --force --mirror {remote}")),
        );
    }
    let pushable: Vec<&String> = seen
        .refs_changed
        .iter()
        .filter(|r| {
            !r.starts_with("refs/remotes/") && !r.starts_with("refs/pull/") && *r != "refs/stash"
        })
        .collect();
    if pushable.is_empty() {
        return step(
            format!("No local branch or tag changed; force-push the rewritten history from a mirror clone of {remote}."),
            None,
        );
    }
    let names: Vec<String> = pushable.iter().map(|r| format!("+{r}:{r}")).collect();
    step(
        format!(
            "Force-push each rewritten branch and tag to {remote} ({} refs).",
            pushable.len()
        ),
        Some(format!("git push {remote} {}", names.join(" "))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mirror_is_pushed_with_mirror_and_commits_are_listed_for_support() {
        let seen = Seen {
            remotes: vec!["origin".into()],
            mirror: true,
            refs_changed: vec!["refs/heads/main".into()],
            pull_refs: true,
            first_changed: vec!["ab".repeat(20)],
        };
        let s = section(Some(&seen));
        assert!(s
            .steps
            .iter()
            .any(|s| s.command.as_deref() == Some("git push --force --mirror origin")));
        assert!(s
            .steps
            .iter()
            .any(|s| s.text.contains("refs/pull/*") && s.command == Some("ab".repeat(20))));
    }

    #[test]
    fn a_work_clone_pushes_each_rewritten_branch_and_tag() {
        let seen = Seen {
            remotes: vec!["origin".into()],
            refs_changed: vec![
                "refs/heads/main".into(),
                "refs/remotes/origin/main".into(),
                "refs/tags/v1".into(),
            ],
            ..Seen::default()
        };
        let s = section(Some(&seen));
        assert!(s.steps.iter().any(|s| s.command.as_deref()
            == Some(
                "git push origin +refs/heads/main:refs/heads/main +refs/tags/v1:refs/tags/v1"
            )));
    }
}
