//! The commits and trees decoded while the packs are read, kept (within a
//! budget) so that where each blob came from is worked out in process:
//! the same answer as `git log --raw -m --no-renames` over every commit
//! ([`super::origins`]), without git inflating the whole history a second
//! time — that walk was a fifth of a full scan's CPU (bench/GIT.md).
//!
//! Each commit is compared with each of its parents (a root commit with
//! nothing) by [`super::treediff`], the commits shared out between the
//! cores. A commit or tree the packs did not hold (loose objects) is asked
//! of one `git cat-file --batch` ([`super::lookup`]), within the same
//! budget. The caller asks `git log` instead when placing cannot be done
//! here: past [`TREE_BUDGET`], in a SHA-256, shallow or grafted
//! repository, when the reading stopped early, or on anything placing
//! cannot answer as git would ([`Unplaceable`]: a missing parent or tree,
//! damage, nesting too deep).
//!
//! Long because of its unit tests: one history with every case `git log
//! -m` lists, compared with git's own answer.

use super::lookup::Missing;

use super::origins::Origins;
use super::treediff::Diff;
use super::Repo;
use gix_hash::ObjectId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Tree bytes kept at most; a larger history is placed by `git log`.
pub(super) const TREE_BUDGET: usize = 512 << 20;

/// Commits compared by one thread at least.
const PLACE_SHARE: usize = 1000;

/// Locks a [`ById`] is split over (threads of the pack traversal add at
/// once).
const SHARDS: usize = 16;

/// Values split by the first byte of an object id over [`SHARDS`] locks,
/// so that the traversal's threads rarely wait on each other.
#[derive(Debug)]
pub(super) struct ById<T>(Vec<Mutex<T>>);

impl<T: Default> ById<T> {
    pub(super) fn new() -> ById<T> {
        ById((0..SHARDS).map(|_| Mutex::default()).collect())
    }

    /// The part that holds `oid`, locked.
    pub(super) fn get(&self, oid: &ObjectId) -> MutexGuard<'_, T> {
        lock(&self.0[oid.as_bytes()[0] as usize % SHARDS])
    }

    /// Every part, each locked in turn.
    fn each(&self) -> impl Iterator<Item = MutexGuard<'_, T>> {
        self.0.iter().map(lock)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What placing needs of a commit.
#[derive(Debug, Clone)]
struct Commit {
    tree: ObjectId,
    parents: Vec<ObjectId>,
    /// Committer time (`%ct`).
    time: i64,
}

#[derive(Debug, Default)]
struct Shard {
    trees: HashMap<ObjectId, Arc<[u8]>>,
    commits: HashMap<ObjectId, Commit>,
}

/// The commits and trees seen so far.
pub(super) struct Graph {
    shards: ById<Shard>,
    tree_bytes: AtomicUsize,
    budget: usize,
    /// Past the budget, or the reading did not finish: ask `git log`.
    incomplete: AtomicBool,
    /// Every object of the database has been offered.
    sealed: AtomicBool,
}

/// Sizes only: the trees hold file names.
impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Graph")
            .field("tree_bytes", &self.tree_bytes)
            .field("budget", &self.budget)
            .field("incomplete", &self.incomplete)
            .field("sealed", &self.sealed)
            .finish_non_exhaustive()
    }
}

impl Default for Graph {
    fn default() -> Graph {
        Graph::with_budget(TREE_BUDGET)
    }
}

impl Graph {
    /// An empty store keeping at most `budget` bytes of trees.
    pub(super) fn with_budget(budget: usize) -> Graph {
        Graph {
            shards: ById::new(),
            tree_bytes: AtomicUsize::new(0),
            budget,
            incomplete: AtomicBool::new(false),
            sealed: AtomicBool::new(false),
        }
    }

    fn shard(&self, oid: &ObjectId) -> MutexGuard<'_, Shard> {
        self.shards.get(oid)
    }

    /// Keeps a tree or a commit (other kinds are not needed).
    pub(super) fn add(&self, kind: gix_object::Kind, oid: ObjectId, data: &[u8]) {
        if self.incomplete.load(Ordering::Relaxed) {
            return;
        }
        match kind {
            gix_object::Kind::Tree => {
                let total = self.tree_bytes.fetch_add(data.len(), Ordering::Relaxed);
                if total + data.len() > self.budget {
                    self.give_up();
                    return;
                }
                self.shard(&oid).trees.insert(oid, data.into());
            }
            gix_object::Kind::Commit => {
                let Some(commit) = parse_commit(data) else {
                    return; // placing will ask git, and give up
                };
                let size = std::mem::size_of::<Commit>() + 20 * commit.parents.len();
                let total = self.tree_bytes.fetch_add(size, Ordering::Relaxed);
                if total + size > self.budget {
                    self.give_up();
                    return;
                }
                self.shard(&oid).commits.insert(oid, commit);
            }
            _ => {}
        }
    }

    /// Marks the store unusable and frees it (on a thread of its own:
    /// tens of thousands of trees take a while to free).
    pub(super) fn give_up(&self) {
        self.incomplete.store(true, Ordering::Relaxed);
        let kept: Vec<Shard> = self
            .shards
            .each()
            .map(|mut shard| std::mem::take(&mut *shard))
            .collect();
        if kept
            .iter()
            .any(|s| !s.trees.is_empty() || !s.commits.is_empty())
        {
            std::thread::spawn(move || drop(kept));
        }
    }

    /// Says that every object has been offered (the whole database was
    /// read), or not (a stop, an error): then the store is given up.
    pub(super) fn seal(&self, finished: bool) {
        if !finished {
            self.give_up();
        }
        self.sealed.store(true, Ordering::Release);
    }

    /// Every commit kept (with the whole database read: every commit).
    pub(super) fn commits(&self) -> Vec<ObjectId> {
        let mut all = Vec::new();
        for shard in self.shards.each() {
            all.extend(shard.commits.keys().copied());
        }
        all
    }

    /// True when the whole database was read within the budget.
    pub(super) fn is_usable(&self) -> bool {
        self.sealed.load(Ordering::Acquire) && !self.incomplete.load(Ordering::Relaxed)
    }

    /// Where every blob came from, for `commits` (every commit of the
    /// database), as [`super::origins::origins`] would say it; the commits
    /// shared out between the cores. `None` when this cannot be answered
    /// in process — an object neither kept nor in git, a damaged tree or
    /// commit, a tree nested too deep (`treediff`), what git had to
    /// send past the budget, git failing: then `git log` answers (and
    /// reports real damage).
    pub(super) fn origins(&self, repo: &Repo, commits: &[ObjectId]) -> Option<Origins> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let share = commits.len().div_ceil(cores).max(PLACE_SHARE);
        std::thread::scope(|s| {
            let parts: Vec<_> = commits
                .chunks(share)
                .map(|part| s.spawn(move || self.origins_of(repo, part)))
                .collect();
            let mut all = Origins::default();
            for part in parts {
                all.merge(part.join().ok()?.ok()?);
            }
            Some(all)
        })
    }

    /// [`Graph::origins`] of one share of the commits.
    fn origins_of(&self, repo: &Repo, commits: &[ObjectId]) -> Result<Origins, Unplaceable> {
        let mut missing = Missing::new(repo, &self.tree_bytes, self.budget);
        let mut origins = Origins::default();
        let mut path = Vec::new();
        for oid in commits {
            let hex = oid.to_string();
            let commit = self.commit(oid, &mut missing)?;
            let mut against: Vec<Option<ObjectId>> = Vec::new();
            for parent in &commit.parents {
                // A missing parent: `git log` fails, and says why.
                against.push(Some(self.commit(parent, &mut missing)?.tree));
            }
            if against.is_empty() {
                against.push(None);
            }
            // `log -m`: each parent diffed on its own.
            for parent_tree in against {
                let index = origins.begin_commit(&hex);
                let mut diff = Diff {
                    graph: self,
                    missing: &mut missing,
                    origins: &mut origins,
                    index,
                    time: commit.time,
                };
                path.clear();
                diff.trees(Some(commit.tree), parent_tree, &mut path, 0)?;
            }
        }
        Ok(origins)
    }

    fn commit(&self, oid: &ObjectId, missing: &mut Missing) -> Result<Commit, Unplaceable> {
        if let Some(c) = self.shard(oid).commits.get(oid) {
            return Ok(c.clone());
        }
        parse_commit(&missing.get(oid, "commit")?).ok_or(Unplaceable)
    }

    /// A tree's bytes: kept, or asked of git.
    pub(super) fn tree(
        &self,
        oid: &ObjectId,
        missing: &mut Missing,
    ) -> Result<Arc<[u8]>, Unplaceable> {
        if let Some(t) = self.shard(oid).trees.get(oid) {
            return Ok(t.clone());
        }
        Ok(missing.get(oid, "tree")?.into())
    }
}

/// Placing cannot be done in process: `git log` will.
#[derive(Debug)]
pub(super) struct Unplaceable;

impl From<std::io::Error> for Unplaceable {
    fn from(_: std::io::Error) -> Unplaceable {
        Unplaceable
    }
}

/// Tree id, parents and committer time of a commit object.
fn parse_commit(data: &[u8]) -> Option<Commit> {
    let mut iter = gix_object::CommitRefIter::from_bytes(data, gix_hash::Kind::Sha1);
    let tree = iter.tree_id().ok()?;
    let parents = gix_object::CommitRefIter::from_bytes(data, gix_hash::Kind::Sha1)
        .parent_ids()
        .collect();
    let time = gix_object::CommitRefIter::from_bytes(data, gix_hash::Kind::Sha1)
        .committer()
        .map_or(0, |c| c.seconds());
    Some(Commit {
        tree,
        parents,
        time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::git::objects::{plan, ObjectKind, Oid, Place, Scope};
    use crate::source::git::origins::origins;

    /// A history with every case `git log -m` lists differently: merges
    /// (each side and an evil merge), mode and type changes, a copy, a
    /// rename, a file turned directory, a symlink, a submodule, a
    /// deletion, equal commit times, an orphan root, a dangling commit;
    /// half packed, the rest loose.
    const HISTORY: &str = r#"
set -e
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=A GIT_AUTHOR_EMAIL=a@example.test GIT_COMMITTER_NAME=C GIT_COMMITTER_EMAIL=c@example.test
t=1700000000
c() { t=$((t + ${2:-60})); GIT_AUTHOR_DATE="$t +0000" GIT_COMMITTER_DATE="$t +0000" git commit -q --allow-empty -m "$1"; }
git -c init.defaultBranch=main init -q .
git config gc.auto 0
mkdir -p d/e && echo one > a && echo two > d/b && echo three > d/e/f && git add -A && c root
echo one > copy && git add -A && c copy
chmod +x d/b && git add -A && c mode
ln -s a link && git mv d/e/f d/e/g && git add -A && c symlink-and-rename 0
git rm -q a && mkdir a && echo inner > a/x && git add -A && c file-to-dir
git update-index --add --cacheinfo 160000,1111111111111111111111111111111111111111,sub && c submodule
git checkout -q -b side HEAD~2
echo side > s && echo changed > d/b && git add -A && c side
git checkout -q main
echo main > m && git add -A && c main-work
git merge -q --no-commit side || true
echo evil > evil && git add -A && c merge
git repack -a -d -q
rm link && echo notalink > link && git add -A && c link-to-file
git checkout -q --orphan other && git rm -rq --cached . && echo orphan > o && git add o && c orphan
git checkout -q -f main
git checkout -q -b ff && echo ff > ffile && git add -A && c ff-work
git checkout -q main && git merge -q --no-ff --no-commit ff && c no-ff-merge
echo gone > dangling && git add dangling && c dangling && git reset -q --hard HEAD~1
"#;

    fn history() -> (tempfile::TempDir, Repo) {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("sh")
            .args(["-c", HISTORY])
            .current_dir(dir.path())
            .status()
            .unwrap();
        assert!(status.success());
        let repo = Repo::open(dir.path()).unwrap();
        (dir, repo)
    }

    /// The whole database of `repo` read (on 2 threads), as `git scan` does.
    fn read_whole(repo: &Repo) -> crate::source::git::objects::Plan {
        let plan = plan(repo, &Scope::default()).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        super::super::read::read_all(repo, &plan, &pool, |_| true).unwrap();
        plan
    }

    /// Where the plan's first blob is.
    fn first_blob_place(plan: &crate::source::git::objects::Plan) -> Place {
        let entries = plan.entries().unwrap();
        let blob = entries.iter().find(|e| e.kind == ObjectKind::Blob).unwrap();
        plan.target(blob).place
    }

    #[test]
    fn the_history_compared_in_process_places_blobs_as_git_log_does() {
        let (_dir, repo) = history();
        let plan = read_whole(&repo);
        let graph = plan.graph();
        assert!(graph.is_usable());
        let commits: Vec<Oid> = plan
            .entries()
            .unwrap()
            .iter()
            .filter(|e| e.kind == ObjectKind::Commit)
            .map(|e| e.oid.clone())
            .collect();
        assert_eq!(commits.len(), 14);
        let listed: Vec<&Oid> = commits.iter().collect();
        let logged = origins(&repo, &Scope::default(), &listed).unwrap();
        let ids: Vec<ObjectId> = commits
            .iter()
            .map(|c| ObjectId::from_hex(c.as_bytes()).unwrap())
            .collect();
        let compared = graph.origins(&repo, &ids).unwrap();
        assert_eq!(compared.summary(), logged.summary());
        // Some of it came from loose objects (asked of git), and the
        // cases are there: a merge lists a blob once per parent.
        assert!(logged.summary().len() >= 12);
        assert!(logged.summary().values().any(|(_, _, n, _)| *n >= 2));
    }

    #[test]
    fn a_shallow_clone_is_placed_by_git_log() {
        let (dir, _) = history();
        let clone = tempfile::tempdir().unwrap();
        let url = format!("file://{}", dir.path().display());
        let status = std::process::Command::new("git")
            .args(["clone", "-q", "--depth", "1", &url, "."])
            .current_dir(clone.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .status()
            .unwrap();
        assert!(status.success());
        let repo = Repo::open(clone.path()).unwrap();
        assert!(repo.grafted);
        let plan = read_whole(&repo);
        assert!(!plan.graph().is_usable());
        // The tip is a merge whose parents the clone lacks: git counts
        // each of its files once (one root diff), so must the places.
        match first_blob_place(&plan) {
            Place::InCommits { commits, .. } => {
                assert_eq!(commits, 1)
            }
            other => panic!("placed as {other:?}"),
        }
    }

    #[test]
    fn a_tree_nested_too_deep_is_left_to_git_log() {
        let dir = tempfile::tempdir().unwrap();
        let deep = vec!["d"; super::super::treediff::MAX_DEPTH + 2].join("/") + "/f";
        let stream = format!(
            "commit refs/heads/main\ncommitter C <c@example.test> 1700000000 +0000\ndata 3\none\n\
             M 100644 inline {deep}\ndata 6\nfirst\n\n"
        );
        let git = |args: &[&str], input: Option<&str>| {
            let mut child = std::process::Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            std::io::Write::write_all(&mut stdin, input.unwrap_or("").as_bytes()).unwrap();
            drop(stdin);
            assert!(child.wait().unwrap().success(), "git {args:?}");
        };
        git(&["init", "-q", "--bare", "."], None);
        git(&["fast-import", "--quiet"], Some(&stream));
        let repo = Repo::open(dir.path()).unwrap();
        let plan = read_whole(&repo);
        let graph = plan.graph();
        assert!(graph.is_usable());
        assert!(graph.origins(&repo, &graph.commits()).is_none());
        // git log places it, at its whole path.
        match first_blob_place(&plan) {
            Place::InCommits { path, commits, .. } => {
                assert_eq!(path, deep.as_bytes());
                assert_eq!(commits, 1);
            }
            other => panic!("placed as {other:?}"),
        }
    }

    #[test]
    fn past_its_budget_or_unfinished_the_graph_is_not_used() {
        let oid = ObjectId::null(gix_hash::Kind::Sha1);
        let tree = b"100644 a\0aaaaaaaaaaaaaaaaaaaa";
        let small = Graph::with_budget(tree.len() - 1);
        small.add(gix_object::Kind::Tree, oid, tree);
        small.seal(true);
        assert!(!small.is_usable());
        let stopped = Graph::with_budget(1 << 20);
        stopped.add(gix_object::Kind::Tree, oid, tree);
        assert!(!stopped.is_usable(), "not sealed yet");
        stopped.seal(false);
        assert!(!stopped.is_usable());
        let whole = Graph::with_budget(1 << 20);
        whole.add(gix_object::Kind::Tree, oid, tree);
        whole.seal(true);
        assert!(whole.is_usable());
    }
}
