//! One commit compared with one parent (a root with nothing), tree by
//! tree in git's name order, as `git log --raw -m --no-renames` lists it:
//! subtrees whose ids are equal are skipped, entries whose bytes are equal
//! passed over before any parsing, and every file or symlink added or
//! changed (content, or mode as git compares modes) is recorded at its
//! path. Damage, a missing tree, or nesting past [`MAX_DEPTH`] stop the
//! comparison ([`Unplaceable`]): `git log` answers instead.

use super::graph::{Graph, Unplaceable};
use super::lookup::Missing;
use super::origins::Origins;
use gix_hash::ObjectId;
use std::sync::Arc;

/// Trees nested deeper than this are left to `git log` (the comparison
/// recurses once per level, on a thread's stack).
pub(super) const MAX_DEPTH: usize = 1024;

/// One commit's comparison with one parent.
pub(super) struct Diff<'a, 'r> {
    pub(super) graph: &'a Graph,
    pub(super) missing: &'a mut Missing<'r>,
    pub(super) origins: &'a mut Origins,
    /// The `git log` entry (see [`Origins::begin_commit`]).
    pub(super) index: u32,
    /// The commit's time.
    pub(super) time: i64,
}

/// A tree entry as placing reads it.
struct Entry<'t> {
    name: &'t [u8],
    mode: u32,
    oid: ObjectId,
}

impl Entry<'_> {
    fn is_tree(&self) -> bool {
        self.mode == 0o040000
    }
}

impl Diff<'_, '_> {
    /// Records every file or symlink of `new` that `old` does not hold
    /// the same (same id, same mode) at the same path.
    pub(super) fn trees(
        &mut self,
        new: Option<ObjectId>,
        old: Option<ObjectId>,
        path: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), Unplaceable> {
        if new == old {
            return Ok(());
        }
        if depth > MAX_DEPTH {
            return Err(Unplaceable);
        }
        let new = match new {
            Some(oid) => self.graph.tree(&oid, self.missing)?,
            None => return Ok(()),
        };
        let old = match old {
            Some(oid) => self.graph.tree(&oid, self.missing)?,
            None => Arc::from(&[][..]),
        };
        let mut news = RawEntries::new(&new);
        let mut olds = RawEntries::new(&old);
        for raw in news.by_ref() {
            // The same bytes: same name, mode and id (most of a tree).
            if olds.peek() == Some(raw) {
                olds.next();
                continue;
            }
            let entry = parse_entry(raw)?;
            // Entries only the old tree has were deleted: passed over.
            let mut same = None;
            while let Some(o) = olds.peek() {
                let o = parse_entry(o)?;
                match gix_object::tree::name_order(o.name, o.is_tree(), entry.name, entry.is_tree())
                {
                    std::cmp::Ordering::Less => {
                        olds.next();
                    }
                    std::cmp::Ordering::Equal => {
                        olds.next();
                        same = Some(o);
                        break;
                    }
                    std::cmp::Ordering::Greater => break,
                }
            }
            let len = path.len();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(entry.name);
            if entry.is_tree() {
                self.trees(Some(entry.oid), same.map(|o| o.oid), path, depth + 1)?;
            } else {
                let unchanged = same.is_some_and(|o| o.oid == entry.oid && o.mode == entry.mode);
                let is_file = matches!(entry.mode, 0o100644 | 0o100755 | 0o120000);
                if is_file && !unchanged && !entry.oid.is_null() {
                    self.origins
                        .record(entry.oid.to_string(), self.index, self.time, path);
                }
            }
            path.truncate(len);
        }
        // Damage anywhere in either tree: git would stop on it.
        olds.by_ref().for_each(drop);
        if news.damaged || olds.damaged {
            return Err(Unplaceable);
        }
        Ok(())
    }
}

/// A tree's entries as bytes (`mode SP name NUL id`); splitting stops at
/// damage, and says so.
struct RawEntries<'t> {
    rest: &'t [u8],
    peeked: Option<Option<&'t [u8]>>,
    damaged: bool,
}

impl<'t> RawEntries<'t> {
    fn new(tree: &'t [u8]) -> RawEntries<'t> {
        RawEntries {
            rest: tree,
            peeked: None,
            damaged: false,
        }
    }

    /// The next entry, left in place.
    fn peek(&mut self) -> Option<&'t [u8]> {
        if self.peeked.is_none() {
            self.peeked = Some(self.split());
        }
        self.peeked.flatten()
    }

    fn split(&mut self) -> Option<&'t [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let end = memchr::memchr(0, self.rest)
            .map(|nul| nul + 1 + gix_hash::Kind::Sha1.len_in_bytes())
            .filter(|&end| end <= self.rest.len());
        let Some(end) = end else {
            self.damaged = true;
            self.rest = &[];
            return None;
        };
        let (entry, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(entry)
    }
}

impl<'t> Iterator for RawEntries<'t> {
    type Item = &'t [u8];

    fn next(&mut self) -> Option<&'t [u8]> {
        match self.peeked.take() {
            Some(peeked) => peeked,
            None => self.split(),
        }
    }
}

/// One entry, its mode as git compares it (`canon_mode`).
fn parse_entry(raw: &[u8]) -> Result<Entry<'_>, Unplaceable> {
    let e = gix_object::TreeRefIter::from_bytes(raw, gix_hash::Kind::Sha1)
        .next()
        .and_then(Result::ok)
        .ok_or(Unplaceable)?;
    Ok(Entry {
        name: e.filename,
        mode: canon_mode(e.mode.value() as u32),
        oid: e.oid.to_owned(),
    })
}

/// git's `canon_mode`: any regular file is 100644 or 100755.
fn canon_mode(mode: u32) -> u32 {
    match mode & 0o170000 {
        0o100000 => 0o100644 | if mode & 0o100 != 0 { 0o111 } else { 0 },
        0o120000 => 0o120000,
        0o040000 => 0o040000,
        _ => 0o160000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_compare_as_git_compares_them() {
        assert_eq!(canon_mode(0o100664), 0o100644);
        assert_eq!(canon_mode(0o100775), 0o100755);
        assert_eq!(canon_mode(0o120000), 0o120000);
        assert_eq!(canon_mode(0o040000), 0o040000);
        assert_eq!(canon_mode(0o160000), 0o160000);
    }
}
