//! Which files to read.
//!
//! Roots are walked with the `ignore` crate's parallel walker, its standard
//! filters off: hidden and git-ignored files are included (incident
//! response wants everything). Each file is handed to the caller as soon
//! as it is found, on the walker's threads, so reading starts with the
//! first path and a big tree is walked on every core. Symbolic links are
//! not followed unless asked; FIFOs, sockets and devices are skipped with a
//! note, since reading them could block or never end. Files are opened
//! later with [`crate::source::open::open_regular`], which re-checks the
//! type on the descriptor.
//!
//! `--exclude` globs match the path relative to its root (`repo/**` when
//! walking `.`), the whole path as walked, and the file name.
//!
//! A git directory (`.git`, or a bare repository: `HEAD`, `objects/`,
//! `refs/`) is walked like any other, except its `objects/`: the object
//! database is zlib-compressed and not read; the walk lists the git
//! directory in [`Walked::git_object_dbs`] instead, once, so it can be
//! reported as not inspected.
//!
//! Long because of its unit tests, which sit beside the code they test.

use super::open::special_file_kind;
use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::{WalkBuilder, WalkState};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How to walk.
#[derive(Debug, Default, Clone)]
pub struct WalkOptions {
    /// Follow symbolic links (roots included).
    pub follow: bool,
    /// Globs of paths to leave out (see the module doc for what they match).
    pub excludes: Vec<String>,
    /// Walking threads (0: one per core).
    pub threads: usize,
}

/// One thing to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Standard input (`-`).
    Stdin,
    /// A file found by the walk.
    File(PathBuf),
}

/// Something the walk did not read, and why.
#[derive(Debug)]
pub enum Note {
    /// Left out on purpose (a link not followed, a FIFO, ...).
    Skipped {
        /// The path (shown masked by the caller: [`Note::describe`]).
        path: PathBuf,
        /// What it is (`symbolic link`, `FIFO`, ...).
        what: &'static str,
    },
    /// Could not be read: counts as an error.
    Error {
        /// The path (shown masked by the caller: [`Note::describe`]).
        path: PathBuf,
        /// The cause.
        message: String,
    },
}

impl Note {
    /// The note as printed, its path shown by `show` (which escapes and
    /// masks it: the walk sits below the masking layer).
    pub fn describe(&self, show: impl Fn(&Path) -> String) -> String {
        match self {
            Note::Skipped { path, what } if *what == "symbolic link" => {
                format!(
                    "{}: skipped symbolic link (use --follow to read through it)",
                    show(path)
                )
            }
            Note::Skipped { path, what } => format!("{}: skipped {what}", show(path)),
            Note::Error { path, message } => format!("{}: {message}", show(path)),
        }
    }
}

/// What the walk found besides the files it handed over.
#[derive(Debug, Default)]
pub struct Walked {
    /// What was left out, in no particular order.
    pub notes: Vec<Note>,
    /// Git directories whose object database (`objects/`) was not walked.
    pub git_object_dbs: Vec<PathBuf>,
}

impl Walked {
    /// How many notes are errors.
    pub fn error_count(&self) -> usize {
        self.notes
            .iter()
            .filter(|n| matches!(n, Note::Error { .. }))
            .count()
    }

    /// The skipped items counted by what they are (`symbolic link`,
    /// `FIFO`, ...), in name order: for a one-line summary.
    pub fn skipped_counts(&self) -> Vec<(&'static str, usize)> {
        let mut counts = std::collections::BTreeMap::new();
        for note in &self.notes {
            if let Note::Skipped { what, .. } = note {
                *counts.entry(*what).or_insert(0) += 1;
            }
        }
        counts.into_iter().collect()
    }
}

/// The result of walking the roots into a list.
#[derive(Debug, Default)]
pub struct Inputs {
    /// What to read, in walk order (roots in the order given, each walked
    /// in file-name order).
    pub items: Vec<Input>,
    /// What was left out, and the git object databases.
    pub walked: Walked,
}

/// The path of a walk error, and its cause in words.
fn error_note(err: ignore::Error, root: &Path) -> Note {
    let (path, message) = match err {
        ignore::Error::WithPath { path, err } => (path, err.to_string()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            return error_note(*err, root)
        }
        ignore::Error::Loop { child, .. } => (child, "file system loop found".to_string()),
        ignore::Error::Io(e) => (root.to_path_buf(), e.to_string()),
        other => (root.to_path_buf(), other.to_string()),
    };
    Note::Error { path, message }
}

/// The `--exclude` globs as one set.
///
/// # Errors
/// When a glob does not parse.
pub fn build_excludes(globs: &[String]) -> Result<GlobSet, globset::Error> {
    let mut builder = GlobSetBuilder::new();
    for g in globs {
        builder.add(Glob::new(g)?);
    }
    builder.build()
}

/// The roots and the compiled excludes.
pub struct Walker {
    roots: Vec<PathBuf>,
    options: WalkOptions,
    excludes: GlobSet,
}

impl Walker {
    /// A walker of `roots` (`-` is standard input).
    ///
    /// # Errors
    /// When an `--exclude` glob does not parse.
    pub fn new(roots: &[PathBuf], options: &WalkOptions) -> Result<Walker, globset::Error> {
        Ok(Walker {
            roots: roots.to_vec(),
            options: options.clone(),
            excludes: build_excludes(&options.excludes)?,
        })
    }

    fn excluded(&self, path: &Path, root: &Path) -> bool {
        if self.excludes.is_empty() {
            return false;
        }
        self.excludes.is_match(path)
            || path.file_name().is_some_and(|n| self.excludes.is_match(n))
            || path
                .strip_prefix(root)
                .is_ok_and(|rel| !rel.as_os_str().is_empty() && self.excludes.is_match(rel))
    }

    /// Walks every root, handing each input to `visit` as it is found —
    /// from several threads at once; `root` is the index of its root.
    /// Standard input is handed over first, on the calling thread.
    pub fn run(&self, visit: &(dyn Fn(usize, Input) + Sync)) -> Walked {
        let found = Mutex::new(Walked::default());
        let threads = match self.options.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        if let Some(i) = self.roots.iter().position(|r| r.as_os_str() == "-") {
            visit(i, Input::Stdin);
        }
        for (index, root) in self.roots.iter().enumerate() {
            if root.as_os_str() == "-" {
                continue;
            }
            WalkBuilder::new(root)
                .standard_filters(false)
                .follow_links(self.options.follow)
                .threads(threads)
                .build_parallel()
                .run(|| {
                    let found = &found;
                    Box::new(move |entry| self.entry(index, root, entry, visit, found))
                });
        }
        found.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    fn entry(
        &self,
        index: usize,
        root: &Path,
        entry: Result<ignore::DirEntry, ignore::Error>,
        visit: &(dyn Fn(usize, Input) + Sync),
        found: &Mutex<Walked>,
    ) -> WalkState {
        let note = |walked: &Mutex<Walked>, note| {
            walked
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .notes
                .push(note)
        };
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                note(found, error_note(err, root));
                return WalkState::Continue;
            }
        };
        if self.excluded(entry.path(), root) {
            return WalkState::Skip;
        }
        let Some(ft) = entry.file_type() else {
            return WalkState::Continue;
        };
        if ft.is_dir() {
            if let Some(git_dir) = git_dir_of_objects(entry.path()) {
                let mut walked = found.lock().unwrap_or_else(|e| e.into_inner());
                walked.git_object_dbs.push(git_dir);
                return WalkState::Skip;
            }
        } else if ft.is_file() {
            visit(index, Input::File(entry.into_path()));
        } else if let Some(what) = special_file_kind(&ft) {
            note(
                found,
                Note::Skipped {
                    path: entry.into_path(),
                    what,
                },
            );
        }
        WalkState::Continue
    }
}

/// The git directory whose object database `dir` is: `dir` is named
/// `objects` and lies in a `.git` directory or beside a `HEAD` file and a
/// `refs/` directory (a bare repository, a submodule's git directory).
fn git_dir_of_objects(dir: &Path) -> Option<PathBuf> {
    if dir.file_name()? != "objects" {
        return None;
    }
    let git_dir = match dir.parent()? {
        p if p.as_os_str().is_empty() => Path::new("."),
        p => p,
    };
    let is_git_dir = git_dir.file_name().is_some_and(|n| n == ".git")
        || (git_dir.join("HEAD").is_file() && git_dir.join("refs").is_dir());
    is_git_dir.then(|| git_dir.to_path_buf())
}

/// Walks `roots` (`-` is standard input) into a list in walk order: for
/// what needs every path before it starts (`redact`).
///
/// # Errors
/// When an `--exclude` glob does not parse.
pub fn collect(roots: &[PathBuf], options: &WalkOptions) -> Result<Inputs, globset::Error> {
    let walker = Walker::new(roots, options)?;
    let items = Mutex::new(Vec::new());
    let mut walked = walker.run(&|root, input| {
        items
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((root, input))
    });
    let mut items = items.into_inner().unwrap_or_else(|e| e.into_inner());
    // Path order is component by component: a directory's files before
    // a sibling whose name extends the directory's (`a/b` before `a.txt`).
    items.sort_by(|(ra, a), (rb, b)| {
        ra.cmp(rb).then_with(|| match (a, b) {
            (Input::File(a), Input::File(b)) => a.cmp(b),
            _ => std::cmp::Ordering::Equal,
        })
    });
    walked.git_object_dbs.sort();
    Ok(Inputs {
        items: items.into_iter().map(|(_, input)| input).collect(),
        walked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_skips_links_and_fifos_and_honours_excludes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("a.log"), "x").unwrap();
        std::fs::write(d.join(".hidden"), "x").unwrap();
        std::fs::write(d.join("skip.bin"), "x").unwrap();
        std::os::unix::fs::symlink(d.join("a.log"), d.join("link")).unwrap();
        let fifo = std::ffi::CString::new(d.join("pipe").to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let options = WalkOptions {
            follow: false,
            excludes: vec!["*.bin".into()],
            ..WalkOptions::default()
        };
        let inputs = collect(&[d.to_path_buf()], &options).unwrap();
        let names: Vec<_> = inputs
            .items
            .iter()
            .map(|i| match i {
                Input::File(p) => p.file_name().unwrap().to_str().unwrap().to_string(),
                Input::Stdin => "-".into(),
            })
            .collect();
        assert_eq!(names, [".hidden", "a.log"]);
        let skipped: Vec<_> = inputs
            .walked
            .notes
            .iter()
            .map(|n| n.describe(|p| p.display().to_string()))
            .collect();
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert_eq!(inputs.walked.error_count(), 0);
        assert_eq!(
            inputs.walked.skipped_counts(),
            [("FIFO", 1), ("symbolic link", 1)]
        );
    }

    #[test]
    fn excludes_match_relative_to_each_root() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for rel in [
            "repo/a.log",
            "repo/sub/b.log",
            "keep/c.log",
            "keep/repo.log",
        ] {
            let p = d.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        }
        let options = WalkOptions {
            excludes: vec!["repo/**".into()],
            ..WalkOptions::default()
        };
        // The root as given (`d`, or `d/.` as when walking `.`): the glob
        // matches the path relative to it.
        for root in [d.to_path_buf(), d.join(".")] {
            let inputs = collect(std::slice::from_ref(&root), &options).unwrap();
            let mut names: Vec<_> = inputs
                .items
                .iter()
                .map(|i| match i {
                    Input::File(p) => p.strip_prefix(&root).unwrap().to_str().unwrap().to_string(),
                    Input::Stdin => "-".into(),
                })
                .collect();
            names.sort();
            assert_eq!(names, ["keep/c.log", "keep/repo.log"], "root {root:?}");
        }
    }

    #[test]
    fn git_object_databases_are_listed_once_and_not_entered() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for (rel, content) in [
            ("repo/.git/HEAD", "ref: refs/heads/main\n"),
            ("repo/.git/config", "[core]\n"),
            ("repo/.git/objects/ab/cdef", "\x78\x01"),
            ("repo/.git/objects/pack/p.pack", "PACK"),
            ("bare.git/HEAD", "ref: refs/heads/main\n"),
            ("bare.git/refs/heads/main", "0123\n"),
            ("bare.git/objects/ab/cdef", "\x78\x01"),
            ("data/objects/list.txt", "not a git directory\n"),
        ] {
            let p = d.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
        let inputs = collect(&[d.to_path_buf()], &WalkOptions::default()).unwrap();
        let files: Vec<_> = inputs
            .items
            .iter()
            .map(|i| match i {
                Input::File(p) => p.strip_prefix(d).unwrap().to_str().unwrap().to_string(),
                Input::Stdin => "-".into(),
            })
            .collect();
        assert_eq!(
            files,
            [
                "bare.git/HEAD",
                "bare.git/refs/heads/main",
                "data/objects/list.txt",
                "repo/.git/HEAD",
                "repo/.git/config"
            ]
        );
        assert_eq!(
            inputs.walked.git_object_dbs,
            [d.join("bare.git"), d.join("repo/.git")]
        );
        // Given as a root, the object database is still listed, not entered.
        let inputs = collect(&[d.join("repo/.git/objects")], &WalkOptions::default()).unwrap();
        assert!(inputs.items.is_empty());
        assert_eq!(inputs.walked.git_object_dbs, [d.join("repo/.git")]);
    }
}
