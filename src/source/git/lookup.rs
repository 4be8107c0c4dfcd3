//! Objects the packs read in process did not hold (loose objects,
//! alternates), asked of one `git cat-file --batch` one at a time, each
//! answer remembered.

use super::{GitError, Repo};
use gix_hash::ObjectId;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Stdio};

/// One `git cat-file --batch`, started on the first object the packs did
/// not hold, asked one object at a time.
pub(super) struct Missing<'r> {
    repo: &'r Repo,
    git: Option<(Child, ChildStdin, BufReader<std::process::ChildStdout>)>,
    cache: HashMap<ObjectId, Option<Vec<u8>>>,
}

impl<'r> Missing<'r> {
    pub(super) fn new(repo: &'r Repo) -> Missing<'r> {
        Missing {
            repo,
            git: None,
            cache: HashMap::new(),
        }
    }

    /// The object's bytes if git has it with type `kind`.
    pub(super) fn get(&mut self, oid: &ObjectId, kind: &str) -> Result<Option<Vec<u8>>, GitError> {
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
        let words: Vec<&str> = header.split_whitespace().collect();
        let found = match words[..] {
            [_, found_kind, size] => {
                let size: usize = size
                    .parse()
                    .map_err(|_| std::io::Error::other("bad cat-file header"))?;
                let mut data = vec![0; size + 1];
                stdout.read_exact(&mut data)?;
                data.pop();
                (found_kind == kind).then_some(data)
            }
            _ => None, // `<oid> missing`
        };
        self.cache.insert(*oid, found.clone());
        Ok(found)
    }

    /// Ends the `cat-file`, if one was started.
    pub(super) fn finish(self) -> Result<(), GitError> {
        if let Some((mut child, stdin, _)) = self.git {
            drop(stdin);
            child.wait()?;
        }
        Ok(())
    }
}
