//! Removing temporary files when the process is interrupted.
//!
//! `Drop` removes a temp file on every normal path, but a signal ends the
//! process without running destructors. Every temp file cfscrub creates is
//! made by [`create_temp`], which creates and registers it in one step under
//! the registry lock: there is no moment at which a temp file exists
//! without being registered. On SIGINT, SIGTERM or SIGHUP a background
//! thread takes that lock and keeps it until the process is gone (so no
//! temp file can be created meanwhile), removes every registered file and
//! exits with 128 + the signal.
//!
//! (A SIGKILL, which nobody can catch, can still leave one behind: for
//! `redact` it holds only already-redacted bytes; for `vault store`, the
//! value being stored, mode 0600, beside the file it was meant for.)

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once};
use tempfile::NamedTempFile;

/// The temp files that exist right now.
static REGISTRY: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn registry() -> MutexGuard<'static, Vec<PathBuf>> {
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
                // Held until exit: workers block in `create_temp` or in a
                // guard's drop instead of adding or forgetting a path.
                let paths = registry();
                for path in paths.iter() {
                    let _ = std::fs::remove_file(path);
                }
                std::process::exit(128 + signal);
            }
        });
    });
}

/// Keeps a temp file registered for removal on a signal; unregisters it on
/// drop. Drop it only once the file is gone (removed or renamed into place).
#[derive(Debug)]
pub struct TempGuard(PathBuf);

/// Creates a temp file in `dir` as `builder` describes and registers it,
/// in one step. The guard comes first so that `let (guard, temp) = …`
/// drops (removes) the file before the guard unregisters it.
pub fn create_temp(
    builder: &tempfile::Builder,
    dir: &Path,
) -> io::Result<(TempGuard, NamedTempFile)> {
    let mut paths = registry();
    let temp = builder.tempfile_in(dir)?;
    paths.push(temp.path().to_path_buf());
    Ok((TempGuard(temp.path().to_path_buf()), temp))
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        let mut paths = registry();
        if let Some(i) = paths.iter().position(|p| *p == self.0) {
            paths.swap_remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered(path: &Path) -> bool {
        registry().iter().any(|p| p == path)
    }

    #[test]
    fn a_temp_file_is_registered_from_its_creation_until_its_guard_drops() {
        let dir = tempfile::tempdir().unwrap();
        let (guard, temp) =
            create_temp(tempfile::Builder::new().prefix(".cfscrub-"), dir.path()).unwrap();
        let path = temp.path().to_path_buf();
        assert!(path.exists() && registered(&path));
        drop(temp);
        assert!(registered(&path), "registered until the guard drops");
        drop(guard);
        assert!(!registered(&path));
    }
}
