//! Removing temporary files when the process is interrupted.
//!
//! `Drop` removes a temp file on every normal path, but a signal ends the
//! process without running destructors. Every temp file cfscrub creates is
//! registered here while it exists; on SIGINT, SIGTERM or SIGHUP a
//! background thread removes them all and exits with 128 + the signal. Once
//! shutdown starts, no new temp file may be registered.
//!
//! (Temp files only ever hold already-redacted bytes, so even a SIGKILL,
//! which nobody can catch, leaves no secret behind — only clutter.)

use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

struct Registry {
    paths: Vec<PathBuf>,
    shutting_down: bool,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    paths: Vec::new(),
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
                for path in reg.paths.drain(..) {
                    let _ = std::fs::remove_file(path);
                }
                std::process::exit(128 + signal);
            }
        });
    });
}

/// A registered temp path; unregistered on drop.
#[derive(Debug)]
pub struct TempGuard(PathBuf);

impl TempGuard {
    /// Registers `path`; fails once shutdown has started.
    pub fn register(path: &Path) -> std::io::Result<TempGuard> {
        let mut reg = registry();
        if reg.shutting_down {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                "interrupted",
            ));
        }
        reg.paths.push(path.to_path_buf());
        Ok(TempGuard(path.to_path_buf()))
    }
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        let mut reg = registry();
        if let Some(i) = reg.paths.iter().position(|p| *p == self.0) {
            reg.paths.swap_remove(i);
        }
    }
}
