//! Removing temporary files when the process is interrupted.
//!
//! `Drop` removes a temp file on every normal path, but a signal ends the
//! process without running destructors. Every temp file cfscrub creates is
//! made through this module — [`create_temp`] (by path) or
//! [`create_temp_at`] (by name in a directory held open, removed with
//! `unlinkat` through that descriptor, so a directory renamed meanwhile
//! cannot redirect it) — which creates and registers it in one step under
//! the registry lock: there is no moment at which a temp file exists
//! without being registered. On SIGINT, SIGTERM or SIGHUP a background
//! thread takes that lock and keeps it until the process is gone (so no
//! temp file can be created meanwhile), removes every registered file and
//! exits with 128 + the signal.
//!
//! (Temp files only ever hold already-redacted bytes, so even a SIGKILL,
//! which nobody can catch, leaves no secret behind — only clutter.)

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once};
use tempfile::NamedTempFile;

/// Where a registered temp file is.
enum Place {
    Path(PathBuf),
    /// A name in a directory held open (a duplicate of the caller's descriptor).
    At(OwnedFd, OsString),
}

impl Place {
    fn remove(&self) {
        let _ = match self {
            Place::Path(p) => std::fs::remove_file(p),
            Place::At(dir, name) => unlink_at(dir.as_fd(), name),
        };
    }
}

/// Removes `name` from the directory `dir` (here rather than in
/// [`crate::source::beneath`], which registers its temp files with this module).
pub(crate) fn unlink_at(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<()> {
    let c = std::ffi::CString::new(name.as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in a file name"))?;
    // SAFETY: `c` is a NUL-terminated name and `dir` an open descriptor.
    if unsafe { libc::unlinkat(dir.as_raw_fd(), c.as_ptr(), 0) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

struct Registry {
    entries: Vec<(u64, Place)>,
    next_id: u64,
}

impl Registry {
    fn add(&mut self, place: Place) -> TempGuard {
        let id = self.next_id;
        self.next_id += 1;
        self.entries.push((id, place));
        TempGuard(id)
    }
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    entries: Vec::new(),
    next_id: 0,
});

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts the signal thread (once per process). Call it before creating
/// temp files: until then SIGINT/SIGTERM/SIGHUP keep their default action.
pub fn install_signal_cleanup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                // Held until exit: workers block in `create_temp*` or in a
                // guard's drop instead of adding or forgetting a file.
                let reg = registry();
                for (_, place) in &reg.entries {
                    place.remove();
                }
                std::process::exit(128 + signal);
            }
        });
    });
}

/// Keeps a temp file registered for removal on a signal; unregisters it on
/// drop. Drop it only once the file is gone (removed or renamed into place).
#[derive(Debug)]
pub struct TempGuard(u64);

/// Creates a temp file in `dir` as `builder` describes and registers it,
/// in one step. The guard comes first so that `let (guard, temp) = …`
/// drops (removes) the file before the guard unregisters it.
pub fn create_temp(
    builder: &tempfile::Builder,
    dir: &Path,
) -> io::Result<(TempGuard, NamedTempFile)> {
    let mut reg = registry();
    let temp = builder.tempfile_in(dir)?;
    let guard = reg.add(Place::Path(temp.path().to_path_buf()));
    Ok((guard, temp))
}

/// Creates a temp file in the directory `dir` with `create` (which returns
/// the new file and its name in `dir`) and registers it, in one step.
pub fn create_temp_at<F>(
    dir: BorrowedFd<'_>,
    create: impl FnOnce() -> io::Result<(F, OsString)>,
) -> io::Result<(TempGuard, F, OsString)> {
    let dup = dir.try_clone_to_owned()?;
    let mut reg = registry();
    let (file, name) = create()?;
    let guard = reg.add(Place::At(dup, name.clone()));
    Ok((guard, file, name))
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        let mut reg = registry();
        if let Some(i) = reg.entries.iter().position(|(id, _)| *id == self.0) {
            reg.entries.swap_remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered(guard: &TempGuard) -> bool {
        registry().entries.iter().any(|(id, _)| *id == guard.0)
    }

    #[test]
    fn a_temp_file_is_registered_from_its_creation_until_its_guard_drops() {
        let dir = tempfile::tempdir().unwrap();
        let (guard, temp) =
            create_temp(tempfile::Builder::new().prefix(".cfscrub-"), dir.path()).unwrap();
        let path = temp.path().to_path_buf();
        assert!(path.exists() && registered(&guard));
        drop(temp);
        assert!(registered(&guard), "registered until the guard drops");
        drop(guard);
    }

    #[test]
    fn a_temp_file_made_in_a_directory_descriptor_is_registered_and_removable() {
        let dir = tempfile::tempdir().unwrap();
        let handle = std::fs::File::open(dir.path()).unwrap();
        let (guard, file, name) = create_temp_at(handle.as_fd(), || {
            let name = OsString::from(".cfscrub-test.tmp");
            let file = std::fs::File::create(dir.path().join(&name))?;
            Ok((file, name))
        })
        .unwrap();
        assert!(registered(&guard));
        drop(file);
        let reg = registry();
        let (_, place) = reg.entries.iter().find(|(id, _)| *id == guard.0).unwrap();
        place.remove();
        drop(reg);
        assert!(!dir.path().join(&name).exists());
        drop(guard);
    }
}
