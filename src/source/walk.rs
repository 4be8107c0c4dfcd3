//! Which files to read, and opening them without being tricked.
//!
//! Roots are walked with `walkdir` in file-name order. Hidden and git-ignored
//! files are included (incident response wants everything); symbolic links
//! are not followed unless asked; FIFOs, sockets and devices are skipped with
//! a note, since reading them could block or never end. Files are opened
//! with `O_NOFOLLOW | O_NONBLOCK` and checked with `fstat` on the open
//! descriptor, so a path swapped for a link or a FIFO after the walk is
//! still refused. (That guards the last component only: what a rewrite
//! opens is reached from its root through [`crate::source::beneath`].)
//!
//! A git directory (`.git`, or a bare repository: `HEAD`, `objects/`,
//! `refs/`) is walked like any other, except its `objects/`: the object
//! database is zlib-compressed and not read; the walk lists the git
//! directory in [`Inputs::git_object_dbs`] instead, once, so it can be
//! reported as not inspected.

use globset::{Glob, GlobSet, GlobSetBuilder};
use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// How to walk.
#[derive(Debug, Default, Clone)]
pub struct WalkOptions {
    /// Follow symbolic links (roots included).
    pub follow: bool,
    /// Globs of paths to leave out, matched against the whole path and the file name.
    pub excludes: Vec<String>,
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

/// The result of walking the roots.
#[derive(Debug, Default)]
pub struct Inputs {
    /// What to read, in walk order.
    pub items: Vec<Input>,
    /// What was left out.
    pub notes: Vec<Note>,
    /// Git directories whose object database (`objects/`) was not walked.
    pub git_object_dbs: Vec<PathBuf>,
}

impl Inputs {
    /// How many notes are errors.
    pub fn error_count(&self) -> usize {
        self.notes
            .iter()
            .filter(|n| matches!(n, Note::Error { .. }))
            .count()
    }
}

fn special_file_kind(ft: &std::fs::FileType) -> Option<&'static str> {
    if ft.is_fifo() {
        Some("FIFO")
    } else if ft.is_socket() {
        Some("socket")
    } else if ft.is_block_device() || ft.is_char_device() {
        Some("device")
    } else if ft.is_symlink() {
        Some("symbolic link")
    } else {
        None
    }
}

/// The `--exclude` globs as one set.
pub fn build_excludes(globs: &[String]) -> Result<GlobSet, globset::Error> {
    let mut builder = GlobSetBuilder::new();
    for g in globs {
        builder.add(Glob::new(g)?);
    }
    builder.build()
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

/// Walks `roots` (`-` is standard input).
///
/// # Errors
/// When an `--exclude` glob does not parse.
pub fn collect(roots: &[PathBuf], options: &WalkOptions) -> Result<Inputs, globset::Error> {
    let excludes = build_excludes(&options.excludes)?;
    let excluded = |p: &Path| {
        excludes.is_match(p) || p.file_name().is_some_and(|name| excludes.is_match(name))
    };
    let mut inputs = Inputs::default();
    for root in roots {
        if root.as_os_str() == "-" {
            inputs.items.push(Input::Stdin);
            continue;
        }
        let walker = walkdir::WalkDir::new(root)
            .follow_links(options.follow)
            .follow_root_links(options.follow)
            .sort_by_file_name();
        let mut it = walker.into_iter();
        while let Some(entry) = it.next() {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    let path = err.path().unwrap_or(root);
                    let message = err
                        .io_error()
                        .map_or_else(|| err.to_string(), |e| e.to_string());
                    inputs.notes.push(Note::Error {
                        path: path.to_path_buf(),
                        message,
                    });
                    continue;
                }
            };
            if excluded(entry.path()) {
                if entry.file_type().is_dir() {
                    it.skip_current_dir();
                }
                continue;
            }
            let ft = entry.file_type();
            if ft.is_dir() {
                if let Some(git_dir) = git_dir_of_objects(entry.path()) {
                    inputs.git_object_dbs.push(git_dir);
                    it.skip_current_dir();
                }
                continue;
            }
            if ft.is_file() {
                inputs.items.push(Input::File(entry.into_path()));
            } else if let Some(what) = special_file_kind(&ft) {
                inputs.notes.push(Note::Skipped {
                    path: entry.path().to_path_buf(),
                    what,
                });
            }
        }
    }
    Ok(inputs)
}

/// Why a path could not be opened for reading.
#[derive(Debug)]
pub enum OpenError {
    /// It is not a regular file (anymore): skip with a note.
    NotRegular(&'static str),
    /// The system refused.
    Io(io::Error),
}

/// Opens `path` read-only as a regular file, without following a final
/// symbolic link unless `follow`, without blocking on a FIFO, and checks
/// the type on the open descriptor.
pub fn open_regular(path: &Path, follow: bool) -> Result<(File, Metadata), OpenError> {
    open_with(path, follow, OpenOptions::new().read(true))
}

/// Like [`open_regular`] with the caller's options (read-write for in-place
/// rewrites).
pub fn open_with(
    path: &Path,
    follow: bool,
    options: &mut OpenOptions,
) -> Result<(File, Metadata), OpenError> {
    let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
    if !follow {
        flags |= libc::O_NOFOLLOW;
    }
    let file = match options.custom_flags(flags).open(path) {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) && !follow => {
            return Err(OpenError::NotRegular("symbolic link"))
        }
        Err(e) => return Err(OpenError::Io(e)),
    };
    regular(file)
}

/// Checks on the open descriptor that `file` is a regular file.
pub(crate) fn regular(file: File) -> Result<(File, Metadata), OpenError> {
    let meta = file.metadata().map_err(OpenError::Io)?;
    let ft = meta.file_type();
    if !ft.is_file() {
        return Err(OpenError::NotRegular(
            special_file_kind(&ft).unwrap_or("directory"),
        ));
    }
    Ok((file, meta))
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
            .notes
            .iter()
            .map(|n| n.describe(|p| p.display().to_string()))
            .collect();
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert_eq!(inputs.error_count(), 0);
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
            inputs.git_object_dbs,
            [d.join("bare.git"), d.join("repo/.git")]
        );
        // Given as a root, the object database is still listed, not entered.
        let inputs = collect(&[d.join("repo/.git/objects")], &WalkOptions::default()).unwrap();
        assert!(inputs.items.is_empty());
        assert_eq!(inputs.git_object_dbs, [d.join("repo/.git")]);
    }

    #[test]
    fn open_refuses_a_symlink_and_a_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("t"), "x").unwrap();
        std::os::unix::fs::symlink(d.join("t"), d.join("l")).unwrap();
        assert!(matches!(
            open_regular(&d.join("l"), false),
            Err(OpenError::NotRegular("symbolic link"))
        ));
        assert!(open_regular(&d.join("l"), true).is_ok());
        let fifo = std::ffi::CString::new(d.join("p").to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            open_regular(&d.join("p"), false),
            Err(OpenError::NotRegular("FIFO"))
        ));
    }
}
