//! Deterministic generated git repositories for the `cfscrub git` tests:
//! fixed authors and dates, fakes from a seeded generator, and one history
//! with a credential in every place git can hide one.
#![allow(dead_code)]

use crate::common::{json_lines, FakeGen, Planted, Tree};
use cfscrub::core::finding::Fingerprint;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A repository in a temp directory, driven by the real `git`.
pub struct GitRepo {
    pub tree: Tree,
    /// Commits made so far (each gets the next fixed date).
    clock: std::cell::Cell<u64>,
}

/// `git` with no user or system configuration and a fixed identity.
pub fn git_command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Ada Author")
        .env("GIT_AUTHOR_EMAIL", "ada@example.test")
        .env("GIT_COMMITTER_NAME", "Cy Committer")
        .env("GIT_COMMITTER_EMAIL", "cy@example.test")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    cmd
}

/// Runs git in `dir`; panics (without its output, which may hold a fake
/// credential) on failure. Returns stdout.
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = git_command(dir).args(args).output().expect("git runs");
    assert!(
        out.status.success(),
        "git {} failed with {}",
        args.first().unwrap_or(&""),
        out.status
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl GitRepo {
    /// An empty repository on branch `main`.
    pub fn new() -> GitRepo {
        let tree = Tree::new();
        git_in(
            tree.path(),
            &["-c", "init.defaultBranch=main", "init", "-q", "."],
        );
        // Keep what the tests create loose until they pack it.
        git_in(tree.path(), &["config", "gc.auto", "0"]);
        GitRepo {
            tree,
            clock: std::cell::Cell::new(0),
        }
    }

    pub fn path(&self) -> &Path {
        self.tree.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.tree.join(rel)
    }

    /// git in this repository with the next fixed date.
    pub fn git(&self, args: &[&str]) -> String {
        let t = self.clock.get() + 1;
        self.clock.set(t);
        let date = format!("{} +0000", 1_700_000_000 + t * 60);
        let out = git_command(self.path())
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .args(args)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {} failed with {}",
            args.first().unwrap_or(&""),
            out.status
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Writes files and commits them all with `message`.
    pub fn commit(&self, files: &[(&str, &[u8])], message: &str) -> String {
        for (rel, content) in files {
            self.tree.write(rel, content);
        }
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.head()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }
}

/// Where each planted credential of [`leaky_history`] hides.
pub struct Leaks {
    pub planted: Planted,
    /// (label, the fake) per place.
    pub places: Vec<(&'static str, String)>,
}

/// A history with one fake credential in each hard place: committed then
/// deleted (and packed), on a deleted branch (reflog only), in a dropped
/// stash (dangling), in a commit message, in an annotated tag message, in a
/// file renamed across commits, on a merged branch, in a binary blob, split
/// across the lines of a multi-line string, and in a loose object.
pub fn leaky_history(seed: u64) -> (GitRepo, Leaks) {
    let mut fake = FakeGen::new(seed);
    let mut planted = Planted::default();
    let mut places = Vec::new();
    let mut token = |label: &'static str| {
        let t = planted.add(fake.scannable("cfut_", true));
        places.push((label, t.clone()));
        t
    };
    let repo = GitRepo::new();
    repo.commit(&[("README.md", b"# app\n")], "start");
    let deleted = token("deleted");
    repo.commit(
        &[(
            ".env",
            format!("CLOUDFLARE_API_TOKEN={deleted}\n").as_bytes(),
        )],
        "add env",
    );
    repo.git(&["rm", "-q", ".env"]);
    repo.commit(&[], "remove env");

    let branch = token("deleted-branch");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.commit(
        &[("deploy.toml", format!("token = \"{branch}\"\n").as_bytes())],
        "wip",
    );
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["branch", "-q", "-D", "feature"]);

    let stash = token("dropped-stash");
    repo.tree
        .write("README.md", format!("# app\nexport CF={stash}\n"));
    repo.git(&["stash", "-q"]);
    repo.git(&["stash", "drop", "-q"]);

    let message = token("commit-message");
    repo.commit(
        &[("a.txt", b"a\n")],
        &format!("debug: used {message}\n\nmore text\n"),
    );

    let tag = token("tag-message");
    repo.git(&[
        "tag",
        "-a",
        "v1.0",
        "-m",
        &format!("release\n\nsigned off with {tag}\n"),
    ]);

    let renamed = token("renamed");
    repo.commit(
        &[("old/app.cfg", format!("key={renamed}\n").as_bytes())],
        "cfg",
    );
    repo.git(&["mv", "old", "conf"]);
    repo.commit(&[], "move cfg");

    let merged = token("merge");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.commit(
        &[(
            "side.sh",
            format!("curl -H 'Authorization: Bearer {merged}'\n").as_bytes(),
        )],
        "side",
    );
    repo.git(&["checkout", "-q", "main"]);
    repo.commit(&[("main.txt", b"main\n")], "main work");
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge side", "side"]);
    repo.git(&["branch", "-q", "-D", "side"]);

    let binary = token("binary");
    let mut bin = vec![0u8, 1, 2, 3, 0, 0x7f, b'E', b'L', b'F'];
    bin.extend_from_slice(binary.as_bytes());
    bin.extend_from_slice(&[0, 0, 0xff]);
    repo.commit(&[("assets/blob.bin", &bin)], "binary");

    // Everything so far goes into a pack; what follows stays loose.
    // The fixed dates are years old: keep gc from expiring the reflog.
    repo.git(&[
        "-c",
        "gc.reflogExpire=never",
        "-c",
        "gc.reflogExpireUnreachable=never",
        "-c",
        "gc.pruneExpire=never",
        "gc",
        "-q",
    ]);

    let split = token("split");
    let (head, tail) = split.split_at(15);
    repo.commit(
        &[(
            "settings.py",
            format!("TOKEN = (\n    \"{head}\"\n    \"{tail}\"\n)\n").as_bytes(),
        )],
        "settings",
    );
    let loose = token("loose");
    repo.commit(
        &[("later.env", format!("CF_API_TOKEN={loose}\n").as_bytes())],
        "later",
    );
    (repo, Leaks { planted, places })
}

/// The contents of every object in the repository, as git prints them.
pub fn all_object_contents(dir: &Path) -> Vec<u8> {
    git_command(dir)
        .args(["cat-file", "--batch-all-objects", "--batch"])
        .output()
        .expect("git runs")
        .stdout
}

/// The fingerprint findings carry for `token`.
pub fn fingerprint(token: &str) -> String {
    Fingerprint::of(token.as_bytes())
        .expect("a full token has one")
        .to_string()
}

/// The finding records of a JSON Lines run.
pub fn findings(stdout: &[u8]) -> Vec<Value> {
    json_lines(stdout)
        .into_iter()
        .filter(|r| r["type"] == "finding")
        .collect()
}

/// The one finding carrying the fingerprint of `token`.
pub fn finding_of<'a>(records: &'a [Value], token: &str, label: &str) -> &'a Value {
    let fp = fingerprint(token);
    let found: Vec<&Value> = records.iter().filter(|r| r["fingerprint"] == fp).collect();
    assert_eq!(
        found.len(),
        1,
        "{label}: expected one finding, got {}",
        found.len()
    );
    found[0]
}
