//! Commits and trees the packs read in process did not hold (loose
//! objects, alternates), asked of one `git cat-file --batch` one at a
//! time, each answer remembered — within the graph's budget, shared with
//! the trees it kept.

use super::graph::Unplaceable;
use super::Repo;
use gix_hash::ObjectId;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// One `git cat-file --batch`, started on the first object the packs did
/// not hold; ended (and waited for) when dropped.
pub(super) struct Missing<'r> {
    repo: &'r Repo,
    git: Option<(Child, ChildStdin, BufReader<ChildStdout>)>,
    cache: HashMap<ObjectId, Vec<u8>>,
    /// Bytes kept, counted with the graph's.
    kept: &'r AtomicUsize,
    budget: usize,
}

impl<'r> Missing<'r> {
    /// Asks `repo`'s git, counting what it keeps in `kept` (up to `budget`).
    pub(super) fn new(repo: &'r Repo, kept: &'r AtomicUsize, budget: usize) -> Missing<'r> {
        Missing {
            repo,
            git: None,
            cache: HashMap::new(),
            kept,
            budget,
        }
    }

    /// The object's bytes, when git has it with type `kind` and they fit
    /// the budget; a dead or confused `cat-file` is an error too.
    pub(super) fn get(&mut self, oid: &ObjectId, kind: &str) -> Result<Vec<u8>, Unplaceable> {
        if let Some(known) = self.cache.get(oid) {
            return Ok(known.clone());
        }
        if self.git.is_none() {
            let mut child = self
                .repo
                .command(["cat-file", "--batch"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()?;
            let stdin = child.stdin.take().expect("piped");
            let stdout = BufReader::new(child.stdout.take().expect("piped"));
            self.git = Some((child, stdin, stdout));
        }
        let (_, stdin, stdout) = self.git.as_mut().expect("started");
        writeln!(stdin, "{oid}")?;
        stdin.flush()?;
        let mut header = String::new();
        stdout.read_line(&mut header)?;
        // `<oid> <type> <size>`; `<oid> missing`, or nothing (git died).
        let words: Vec<&str> = header.split_whitespace().collect();
        let [_, found_kind, size] = words[..] else {
            return Err(Unplaceable);
        };
        let size: usize = size.parse().map_err(|_| Unplaceable)?;
        if self.kept.fetch_add(size, Ordering::Relaxed) + size > self.budget {
            return Err(Unplaceable);
        }
        let mut data = vec![0; size + 1];
        stdout.read_exact(&mut data)?;
        if data.pop() != Some(b'\n') || found_kind != kind {
            return Err(Unplaceable);
        }
        self.cache.insert(*oid, data.clone());
        Ok(data)
    }
}

impl Drop for Missing<'_> {
    fn drop(&mut self) {
        if let Some((mut child, stdin, _)) = self.git.take() {
            drop(stdin);
            let _ = child.wait();
        }
    }
}
