//! Notes after a rewrite: `fast-export` carries each notes ref as ordinary
//! commits whose file names are the *old* ids of the annotated commits, so
//! after the rewrite they would annotate nothing. One commit per notes ref
//! (made with `fast-import`'s `N` command) re-attaches every note to the
//! new id of its commit; the note contents were already redacted in the
//! stream.

use crate::source::git::{failed, GitError, Repo};
use std::collections::HashMap;
use std::io::Write;
use std::process::Stdio;

/// Re-attaches the notes of every `refs/notes/*` ref through `map` (old
/// commit id → new); returns how many notes moved.
pub fn reattach(repo: &Repo, map: &HashMap<&str, &str>) -> Result<u64, GitError> {
    let refs = repo.output(["for-each-ref", "--format=%(refname)", "refs/notes"])?;
    let mut moved = 0;
    for notes_ref in String::from_utf8_lossy(&refs).lines() {
        let list = repo.output(["notes", &format!("--ref={notes_ref}"), "list"])?;
        let entries: Vec<(String, String)> = String::from_utf8_lossy(&list)
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(note, object)| (note.to_string(), object.to_string()))
            .collect();
        let changed = entries
            .iter()
            .filter(|(_, o)| map.get(o.as_str()).is_some_and(|n| n != o))
            .count() as u64;
        if changed == 0 {
            continue;
        }
        let when = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let message = "Notes moved to the rewritten commits (cfscrub git redact)\n";
        let mut stream = format!(
            "commit {notes_ref}\ncommitter cfscrub <cfscrub@localhost> {when} +0000\ndata {}\n{message}from {notes_ref}^0\ndeleteall\n",
            message.len()
        );
        for (note, object) in &entries {
            let target = map.get(object.as_str()).copied().unwrap_or(object);
            stream.push_str(&format!("N {note} {target}\n"));
        }
        stream.push('\n');
        let mut cmd = repo.command(["fast-import", "--quiet"]);
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(stream.as_bytes())?;
        let out = child.wait_with_output()?;
        if !out.status.success() {
            return Err(failed(&cmd, &out.stderr));
        }
        moved += changed;
    }
    Ok(moved)
}
