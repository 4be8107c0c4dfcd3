//! Which files other processes hold open for writing (Linux `/proc`).
//!
//! A rename leaves such a writer appending to the old, unlinked inode: its
//! next lines would be lost. `redact` looks this up once per run and sends
//! those files to `--same-length` instead of renaming them.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;

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
        let me = std::process::id();
        let mut map = HashMap::new();
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return LiveWriters(map);
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
                let name = std::fs::read(dir.join("comm")).unwrap_or_default();
                let name = crate::sanitize::escape_bytes(name.trim_ascii_end());
                map.entry((meta.dev(), meta.ino()))
                    .or_insert(Writer { pid, name });
            }
        }
        LiveWriters(map)
    }

    /// The process writing to the file with this identity, if any.
    pub fn writer_of(&self, dev: u64, ino: u64) -> Option<&Writer> {
        self.0.get(&(dev, ino))
    }
}

/// Whether `/proc/PID/fdinfo/FD` shows a write access mode.
fn writable_fd(proc_dir: &std::path::Path, fd: &std::ffi::OsStr) -> bool {
    let Ok(info) = std::fs::read_to_string(proc_dir.join("fdinfo").join(fd)) else {
        return false;
    };
    info.lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
        .is_some_and(|flags| flags & (libc::O_WRONLY | libc::O_RDWR) as u32 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_holding_a_file_for_append_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.log");
        std::fs::write(&path, "x").unwrap();
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg("exec 3>>\"$1\"; sleep 5")
            .arg("sh")
            .arg(&path)
            .spawn()
            .unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        let mut seen = None;
        for _ in 0..100 {
            let live = LiveWriters::snapshot();
            seen = live.writer_of(meta.dev(), meta.ino()).cloned();
            if seen.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(seen.map(|w| w.pid), Some(child.id()));
    }
}
