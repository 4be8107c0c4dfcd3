//! Removing temporary files when the process is interrupted.
//!
//! `Drop` removes a temp file on every normal path, but a signal ends the
//! process without running destructors. Every temp file cfscrub creates is
//! registered here while it exists — by path, or by name in a directory
//! held open ([`TempGuard::register_at`], removed with `unlinkat` through
//! that descriptor, so a directory renamed meanwhile cannot redirect it);
//! on SIGINT, SIGTERM or SIGHUP a background thread removes them all and
//! exits with 128 + the signal. Once shutdown starts, no new temp file may
//! be registered.
//!
//! (Temp files only ever hold already-redacted bytes, so even a SIGKILL,
//! which nobody can catch, leaves no secret behind — only clutter.)

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

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
pub(crate) fn unlink_at(dir: BorrowedFd<'_>, name: &OsStr) -> std::io::Result<()> {
    let c = std::ffi::CString::new(name.as_bytes())
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in a file name"))?;
    // SAFETY: `c` is a NUL-terminated name and `dir` an open descriptor.
    if unsafe { libc::unlinkat(dir.as_raw_fd(), c.as_ptr(), 0) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

struct Registry {
    entries: Vec<(u64, Place)>,
    next_id: u64,
    shutting_down: bool,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    entries: Vec::new(),
    next_id: 0,
    shutting_down: false,
});

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts the signal thread (once per process).
pub fn install_signal_cleanup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let mut reg = registry();
                reg.shutting_down = true;
                for (_, place) in reg.entries.drain(..) {
                    place.remove();
                }
                std::process::exit(128 + signal);
            }
        });
    });
}

/// A registered temp file; unregistered on drop.
#[derive(Debug)]
pub struct TempGuard(u64);

impl TempGuard {
    /// Registers `path`; fails once shutdown has started.
    pub fn register(path: &Path) -> std::io::Result<TempGuard> {
        add(Place::Path(path.to_path_buf()))
    }

    /// Registers the entry `name` of the directory `dir` (the descriptor is
    /// duplicated); fails once shutdown has started.
    pub fn register_at(dir: BorrowedFd<'_>, name: &OsStr) -> std::io::Result<TempGuard> {
        add(Place::At(dir.try_clone_to_owned()?, name.to_os_string()))
    }
}

fn add(place: Place) -> std::io::Result<TempGuard> {
    let mut reg = registry();
    if reg.shutting_down {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            "interrupted",
        ));
    }
    let id = reg.next_id;
    reg.next_id += 1;
    reg.entries.push((id, place));
    Ok(TempGuard(id))
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        let mut reg = registry();
        if let Some(i) = reg.entries.iter().position(|(id, _)| *id == self.0) {
            reg.entries.swap_remove(i);
        }
    }
}
