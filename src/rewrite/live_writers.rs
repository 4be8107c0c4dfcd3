//! Which files other processes hold open for writing, and keeping them
//! from opening one while it is renamed over.
//!
//! A rename leaves a writer appending to the old, unlinked inode: its next
//! lines would be lost. `redact` looks writers up once per run in `/proc`
//! ([`LiveWriters::snapshot`]) to name them early, and checks again right
//! before each rename with a **write lease** ([`WriteLease`],
//! `fcntl(F_SETLEASE, F_WRLCK)`): the kernel grants it only while no other
//! process has the file open, and from then on any process that opens the
//! file waits in `open` until the lease is released, while cfscrub sees it
//! coming ([`WriteLease::writer_waiting`]) and backs out of the rename.
//! That is the kernel's own answer to "is anyone writing, and tell me if
//! someone starts", without a window between a check and the rename.
//!
//! A lease needs the file's owner or `CAP_LEASE` and a file system that
//! supports it; where it cannot be had, and where it is refused because the
//! file is open (readers count too), [`find_writer`] scans `/proc` for a
//! writer of that one file instead.

use std::collections::HashMap;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};

/// A process holding a file open for writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Writer {
    /// Its process id.
    pub pid: u32,
    /// Its command name (`/proc/PID/comm`), escaped for display.
    pub name: String,
}

/// Files open for writing, by (device, inode).
#[derive(Debug, Default)]
pub struct LiveWriters(HashMap<(u64, u64), Writer>);

impl LiveWriters {
    /// Reads `/proc`; processes that cannot be inspected are passed over.
    pub fn snapshot() -> LiveWriters {
        let mut map = HashMap::new();
        for_each_writer(|dev, ino, writer| {
            map.entry((dev, ino)).or_insert_with(writer);
            false
        });
        LiveWriters(map)
    }

    /// The process writing to the file with this identity, if any.
    pub fn writer_of(&self, dev: u64, ino: u64) -> Option<&Writer> {
        self.0.get(&(dev, ino))
    }
}

/// A process (other than this one) holding the file with this identity
/// open for writing, looked up in `/proc` now.
pub fn find_writer(dev: u64, ino: u64) -> Option<Writer> {
    let mut found = None;
    for_each_writer(|d, i, writer| {
        if (d, i) == (dev, ino) {
            found = Some(writer());
        }
        found.is_some()
    });
    found
}

/// Calls `visit(dev, ino, writer)` for every regular file another process
/// holds open for writing, until it returns `true`.
fn for_each_writer(mut visit: impl FnMut(u64, u64, &dyn Fn() -> Writer) -> bool) {
    let me = std::process::id();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in procs.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let dir = entry.path();
        let Ok(fds) = std::fs::read_dir(dir.join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(meta) = std::fs::metadata(fd.path()) else {
                continue;
            };
            if !meta.is_file() || !writable_fd(&dir, &fd.file_name()) {
                continue;
            }
            let writer = || {
                let name = std::fs::read(dir.join("comm")).unwrap_or_default();
                Writer {
                    pid,
                    name: crate::text::escape_bytes(name.trim_ascii_end()),
                }
            };
            if visit(meta.dev(), meta.ino(), &writer) {
                return;
            }
        }
    }
}

/// Whether `/proc/PID/fdinfo/FD` shows a write access mode.
fn writable_fd(proc_dir: &Path, fd: &std::ffi::OsStr) -> bool {
    let Ok(info) = std::fs::read_to_string(proc_dir.join("fdinfo").join(fd)) else {
        return false;
    };
    info.lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
        .is_some_and(|flags| flags & (libc::O_WRONLY | libc::O_RDWR) as u32 != 0)
}

/// A write lease on a file this process has open; released on drop.
#[derive(Debug)]
pub struct WriteLease<'f> {
    file: &'f File,
}

/// The answer to [`WriteLease::take`].
#[derive(Debug)]
pub enum LeaseAttempt<'f> {
    /// Nobody else has the file open; openers now wait for the release.
    Held(WriteLease<'f>),
    /// Another process has the file open (for reading or writing).
    Busy,
    /// No lease here (not the owner without `CAP_LEASE`, a file system
    /// without leases, leases disabled).
    Unavailable,
}

/// A lease break is announced with SIGIO, whose default action ends the
/// process: it gets a handler that does nothing (the break is read with
/// `F_GETLEASE`). A handler, unlike an ignored signal, is not inherited by
/// programs this process runs.
fn quiet_sigio() -> bool {
    static ONCE: Once = Once::new();
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    ONCE.call_once(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let ok = signal_hook::flag::register(signal_hook::consts::SIGIO, flag).is_ok();
        INSTALLED.store(ok, Ordering::SeqCst);
    });
    INSTALLED.load(Ordering::SeqCst)
}

impl<'f> WriteLease<'f> {
    /// Asks for a write lease on `file` (this process must have no other
    /// descriptor of it open).
    pub fn take(file: &'f File) -> LeaseAttempt<'f> {
        if !quiet_sigio() {
            return LeaseAttempt::Unavailable;
        }
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLEASE, libc::F_WRLCK) } == 0 {
            return LeaseAttempt::Held(WriteLease { file });
        }
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::EAGAIN) => LeaseAttempt::Busy,
            _ => LeaseAttempt::Unavailable,
        }
    }

    /// Whether a process has opened the file for writing (or truncated it)
    /// since the lease was taken: it is waiting for the release. A reader
    /// opening it only asks for a downgrade, which does not count.
    pub fn writer_waiting(&self) -> bool {
        let state = unsafe { libc::fcntl(self.file.as_raw_fd(), libc::F_GETLEASE) };
        state != libc::F_WRLCK && state != libc::F_RDLCK
    }
}

impl Drop for WriteLease<'_> {
    fn drop(&mut self) {
        unsafe { libc::fcntl(self.file.as_raw_fd(), libc::F_SETLEASE, libc::F_UNLCK) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn a_child_holding_a_file_for_append_is_seen_and_keeps_a_lease_off() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.log");
        std::fs::write(&path, "x").unwrap();
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg("exec 3>>\"$1\"; exec sleep 30")
            .arg("sh")
            .arg(&path)
            .spawn()
            .unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = None;
        while seen.is_none() && Instant::now() < deadline {
            seen = find_writer(meta.dev(), meta.ino());
            std::thread::sleep(Duration::from_millis(1));
        }
        let snapshot = LiveWriters::snapshot();
        let file = File::open(&path).unwrap();
        let lease = WriteLease::take(&file);
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(seen.map(|w| w.pid), Some(child.id()));
        assert_eq!(
            snapshot.writer_of(meta.dev(), meta.ino()).map(|w| w.pid),
            Some(child.id())
        );
        assert!(matches!(lease, LeaseAttempt::Busy), "{lease:?}");
    }

    #[test]
    fn a_lease_sees_a_writer_that_opens_the_file_later_and_holds_it_off_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.log");
        std::fs::write(&path, "x\n").unwrap();
        let file = File::open(&path).unwrap();
        let LeaseAttempt::Held(lease) = WriteLease::take(&file) else {
            panic!("no lease on a file nobody else has open");
        };
        assert!(!lease.writer_waiting());
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg("echo late >> \"$1\"")
            .arg("sh")
            .arg(&path)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !lease.writer_waiting() {
            assert!(Instant::now() < deadline, "the opener was not noticed");
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the writer waits in open while the lease is held"
        );
        drop(lease);
        assert!(child.wait().unwrap().success());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "x\nlate\n");
    }
}
