//! Vault files: checking, tightening and creating mode-0600 secret files
//! without symlink tricks or time-of-check/time-of-use races.
//!
//! Every operation opens the path with `O_NOFOLLOW | O_NONBLOCK`, checks the
//! open descriptor with `fstat`, and changes the mode through that same
//! descriptor (`fchmod`), never by path. New files are created exclusively
//! (`O_EXCL`, mode 0600, `fchmod` again since the umask applies) in the
//! target's directory and renamed into place.

use crate::source::open::{open_regular, OpenError};
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// A problem with a vault file, in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Not a regular file (a link, a FIFO, a directory).
    NotRegular(&'static str),
    /// Owned by another user.
    NotOwned {
        /// The owner's uid.
        uid: u32,
    },
    /// Group or others have some access, or the owner can execute it.
    LooseMode(u32),
    /// Group or others may write to the directory (and replace the file).
    WritableDirectory(u32),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::NotRegular(what) => write!(f, "is a {what}, not a regular file"),
            Problem::NotOwned { uid } => write!(f, "is owned by uid {uid}, not by you"),
            Problem::LooseMode(m) => write!(f, "mode {m:04o} lets others read it: should be 0600"),
            Problem::WritableDirectory(m) => write!(
                f,
                "its directory has mode {m:04o}: group or others could replace the file"
            ),
        }
    }
}

/// Whether `path` looks like a credential rather than a file name — most
/// likely a token typed or pasted where the path belongs. True when it holds
/// a shape the scanner finds (the shapes masked in messages), or when one of
/// its components is a bare value of a known shape (a legacy 40-character
/// API token, a Global API Key in hex, ...) with both letters and digits.
pub fn looks_like_credential(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let (detector, _) = crate::mask::masker::shape_masker();
    if !crate::core::stream::scan_bytes(detector, path.as_os_str().as_bytes()).is_empty() {
        return true;
    }
    path.components().any(|c| {
        let bytes = c.as_os_str().as_bytes();
        bytes.iter().any(u8::is_ascii_digit)
            && bytes.iter().any(u8::is_ascii_alphabetic)
            && crate::incident::checklist::LeakedType::of(bytes)
                != crate::incident::checklist::LeakedType::Unknown
    })
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Checks one vault file; an `Err` is an I/O error (missing file, ...).
pub fn check(path: &Path) -> io::Result<Vec<Problem>> {
    let mut problems = Vec::new();
    match open_regular(path, false) {
        Err(OpenError::NotRegular(what)) => problems.push(Problem::NotRegular(what)),
        Err(OpenError::Io(e)) => return Err(e),
        Ok((_, meta)) => {
            if meta.uid() != euid() {
                problems.push(Problem::NotOwned { uid: meta.uid() });
            }
            let mode = meta.mode() & 0o7777;
            if mode & !0o600 != 0 {
                problems.push(Problem::LooseMode(mode));
            }
        }
    }
    let dir = std::fs::metadata(parent(path))?;
    let dmode = dir.mode() & 0o7777;
    if dmode & 0o022 != 0 && dmode & 0o1000 == 0 {
        problems.push(Problem::WritableDirectory(dmode));
    }
    Ok(problems)
}

/// What `fix` did.
#[derive(Debug, PartialEq, Eq)]
pub struct Fixed {
    /// The mode before.
    pub before: u32,
    /// The mode after (0600, or stricter if it already was).
    pub after: u32,
}

/// Why `fix` or `store` refused.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// A symlink, FIFO, directory...
    #[error("{}", not_regular(.0))]
    NotRegular(&'static str),
    /// Someone else's file.
    #[error("is owned by uid {0}, not by you: refused")]
    NotOwned(u32),
    /// The path exists and `--force` was not given.
    #[error("exists: refused (use --force to replace it)")]
    Exists,
    /// The directory to store into cannot take a new file (missing, not
    /// writable): its kind of failure, without the temp file's name.
    #[error("{}", directory(*.0))]
    Directory(io::ErrorKind),
    /// No value on stdin.
    #[error("no secret on standard input")]
    Empty,
    /// An I/O error.
    #[error("{0}")]
    Io(#[from] io::Error),
}

fn not_regular(what: &str) -> String {
    match what {
        "symbolic link" => {
            "is a symbolic link: refused (cfscrub never follows links or writes through them)"
                .to_string()
        }
        "directory" => {
            "is a directory: a vault file is one regular file: give the file's path".to_string()
        }
        what => format!("is a {what}, not a regular file: refused"),
    }
}

fn directory(kind: io::ErrorKind) -> String {
    match kind {
        io::ErrorKind::NotFound => {
            "its directory does not exist: create it first (mkdir -p -m 700 DIR)".to_string()
        }
        kind => format!("cannot create a file in its directory: {kind}"),
    }
}

/// Tightens `path` to 0600 through its open descriptor.
pub fn fix(path: &Path) -> Result<Fixed, VaultError> {
    let (file, meta) = open_regular(path, false).map_err(|e| match e {
        OpenError::NotRegular(what) => VaultError::NotRegular(what),
        OpenError::Io(e) => VaultError::Io(e),
    })?;
    if meta.uid() != euid() {
        return Err(VaultError::NotOwned(meta.uid()));
    }
    let before = meta.mode() & 0o7777;
    let after = before & 0o600;
    let after = if after == 0 { 0o600 } else { after };
    if after != before {
        file.set_permissions(std::fs::Permissions::from_mode(after))?;
    }
    Ok(Fixed { before, after })
}

/// Writes `value` (plus a newline) to `path`, mode 0600: created
/// exclusively beside it, fsynced, renamed into place (refusing to replace
/// an existing path unless `force`, and never replacing a non-regular one).
pub fn store(path: &Path, value: &[u8], force: bool) -> Result<(), VaultError> {
    if value.is_empty() {
        return Err(VaultError::Empty);
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_file() => {
            let what = if m.file_type().is_symlink() {
                "symbolic link"
            } else if m.is_dir() {
                "directory"
            } else {
                "special file"
            };
            return Err(VaultError::NotRegular(what));
        }
        Ok(_) if !force => return Err(VaultError::Exists),
        Ok(_) | Err(_) => {}
    }
    let dir = parent(path);
    let (guard, temp) = crate::source::cleanup::create_temp(
        tempfile::Builder::new()
            .prefix(".cfscrub-vault-")
            .permissions(std::fs::Permissions::from_mode(0o600)),
        dir,
    )
    .map_err(|e| VaultError::Directory(e.kind()))?;
    {
        let f: &File = temp.as_file();
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        let mut w = f;
        w.write_all(value)?;
        w.write_all(b"\n")?;
        f.sync_all()?;
    }
    if force {
        temp.persist(path).map_err(|e| VaultError::Io(e.error))?;
    } else {
        temp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == io::ErrorKind::AlreadyExists {
                VaultError::Exists
            } else {
                VaultError::Io(e.error)
            }
        })?;
    }
    drop(guard);
    File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fix_tightens_through_the_descriptor_and_keeps_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("token");
        std::fs::write(&p, "value\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(check(&p).unwrap(), vec![Problem::LooseMode(0o644)]);
        assert_eq!(
            fix(&p).unwrap(),
            Fixed {
                before: 0o644,
                after: 0o600
            }
        );
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "value\n");
        assert!(check(&p).unwrap().is_empty());
    }

    #[test]
    fn credential_shaped_paths_are_recognised() {
        let mut g = crate::fake::FakeGen::new(1);
        let shaped = [
            g.scannable("cfut_", true),
            format!("vault/{}", g.scannable("cfat_", true)),
            format!("{}.txt", g.scannable("cfk_", false)),
            g.legacy_token(),
            format!("/tmp/{}", g.hex(37)),
        ];
        for (i, p) in shaped.iter().enumerate() {
            assert!(
                looks_like_credential(Path::new(p)),
                "shape #{i} not recognised"
            );
        }
        for name in [
            "~/.config/cloudflare/token",
            ".dev.vars",
            "cloudflare_api_token_for_the_ci_pipeline",
            "vault/api-token-2026.txt",
        ] {
            assert!(!looks_like_credential(Path::new(name)), "{name}");
        }
    }

    #[test]
    fn store_refuses_links_and_existing_files() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "keep").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(
            store(&link, b"x", true),
            Err(VaultError::NotRegular("symbolic link"))
        ));
        assert!(matches!(
            store(&target, b"x", false),
            Err(VaultError::Exists)
        ));
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        let new = dir.path().join("new");
        store(&new, b"secret", false).unwrap();
        assert_eq!(std::fs::metadata(&new).unwrap().mode() & 0o7777, 0o600);
    }
}
