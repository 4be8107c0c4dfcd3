//! The few raw system calls cfscrub makes, each behind a safe function:
//! keeping secrets out of core dumps, widening pipes, writing standard
//! output and error unbuffered, forwarding a signal, storing bytes into a file
//! without ever growing it.
//! A leaf: nothing else in the crate calls `libc` for these.

use std::fs::File;
use std::io;
use std::io::Write;
use std::os::fd::RawFd;

/// Makes the process non-dumpable: no core dump (and no `ptrace` by other
/// users) can hold the secrets loaded in memory.
pub fn forbid_core_dumps() {
    // SAFETY: prctl(PR_SET_DUMPABLE) takes plain integers and has no memory effects.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

/// Asks for a 1 MiB pipe buffer on a pipe descriptor: fewer, larger reads
/// and writes for a fast producer. Harmless where refused.
pub fn widen_pipe(fd: RawFd) {
    // SAFETY: fcntl(F_SETPIPE_SZ) on a descriptor we own; fails cleanly on non-pipes.
    unsafe {
        libc::fcntl(fd, libc::F_SETPIPE_SZ, 1 << 20);
    }
}

/// Standard output without the standard library's line buffering, for a
/// writer that hands over whole blocks and flushes them itself (`filter`,
/// `run`): the line buffer would split each block at its last newline into
/// two writes. Never closed (dropping it leaves descriptor 1 open); write
/// nothing to `std::io::stdout()` while it is in use.
pub fn stdout_unbuffered() -> RawStd {
    RawStd::new(1)
}

/// Standard error as [`stdout_unbuffered`] gives standard output: whole
/// blocks, and waiting when a non-blocking descriptor is full (`run`
/// masks its command's stderr onto it). Never closed; [`errln!`](crate::errln)
/// writes through it too, and nothing should write to
/// `std::io::stderr()`.
pub fn stderr_unbuffered() -> RawStd {
    RawStd::new(2)
}

/// Descriptor 1 or 2, written without a buffer ([`stdout_unbuffered`]);
/// the `File` behind it stays inside, so safe code cannot close it.
pub struct RawStd(std::mem::ManuallyDrop<File>);

impl RawStd {
    fn new(fd: RawFd) -> RawStd {
        use std::os::fd::FromRawFd;
        // SAFETY: descriptors 1 and 2 are open for the whole process (the
        // runtime reopens them on /dev/null if they were closed at start);
        // RawStd never lets the File out, so it is never closed.
        RawStd(std::mem::ManuallyDrop::new(unsafe {
            File::from_raw_fd(fd)
        }))
    }

    /// A descriptor some other process left non-blocking (a CI runner
    /// sharing its pipe): a write that would block waits until the reader
    /// has taken some, instead of failing the stream part-way.
    fn blocking_write(&self, mut write: impl FnMut() -> io::Result<usize>) -> io::Result<usize> {
        use std::os::fd::AsRawFd;
        loop {
            match write() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    wait_writable(self.0.as_raw_fd())?
                }
                done => return done,
            }
        }
    }
}

/// Waits until `fd` can take a write (or has an error to report).
fn wait_writable(fd: RawFd) -> io::Result<()> {
    let mut poll = libc::pollfd {
        fd,
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd, its count, no timeout.
    match unsafe { libc::poll(&mut poll, 1, -1) } {
        -1 => match io::Error::last_os_error() {
            e if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            e => Err(e),
        },
        _ => Ok(()),
    }
}

impl Write for &RawStd {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.blocking_write(|| (&*self.0).write(bytes))
    }

    fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
        self.blocking_write(|| (&*self.0).write_vectored(bufs))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends `signal` to the process `pid` (a child we spawned).
pub fn send_signal(pid: u32, signal: i32) {
    // SAFETY: kill(2) with a plain pid and signal number has no memory effects.
    unsafe {
        libc::kill(pid as libc::pid_t, signal);
    }
}

/// Copies `bytes` into `file` at `offset` without ever changing the file's
/// size, and answers how many of them landed inside the file.
///
/// `pwrite` past the end *extends* a file (with a hole of NULs when the
/// offset is beyond it): a file cut short by another process between our
/// check and our write would gain bytes it never had. A store through a
/// shared mapping cannot do that: the kernel never moves a file's end for
/// one. The copy into the mapping is made by the kernel
/// (`process_vm_writev` to this process), so a page that the file no
/// longer reaches makes the call stop short with `EFAULT` instead of
/// raising `SIGBUS`. Bytes stored into the last page past the end are
/// dropped by the kernel and counted here as landed: the caller checks the
/// size after the store.
pub fn store_within(file: &File, offset: u64, bytes: &[u8]) -> io::Result<usize> {
    Stores::new(file).store(offset, bytes)
}

/// [`store_within`] for many stores into one file: one shared mapping of
/// a [`WINDOW`] of the file, kept while the stores fall inside it and
/// moved on when one does not, instead of a mapping per store (each unmap
/// of a written mapping costs a TLB flush on every thread). Bounded: a
/// mapping of the whole file would count every page the kernel mapped for
/// a store — a large page-cache folio is mapped whole — in the process's
/// memory (788 MiB peak for the 1 GiB bench file) and unmap them all.
pub struct Stores<'f> {
    file: &'f File,
    /// The mapping and the file offset it starts at.
    map: Option<(memmap2::MmapRaw, u64)>,
    /// This process, the target of the kernel's copy (asked once, not
    /// per store).
    pid: libc::pid_t,
}

/// Bytes of the file one [`Stores`] mapping covers (more only for a
/// single store that crosses its end); a multiple of any page size.
pub const WINDOW: u64 = 4 << 20;

impl<'f> Stores<'f> {
    /// Nothing mapped yet.
    pub fn new(file: &'f File) -> Stores<'f> {
        Stores {
            file,
            map: None,
            pid: std::process::id() as libc::pid_t,
        }
    }

    /// Copies `bytes` into the file at `offset`, as [`store_within`].
    pub fn store(&mut self, offset: u64, bytes: &[u8]) -> io::Result<usize> {
        if bytes.is_empty() {
            return Ok(0);
        }
        let end = offset
            .checked_add(bytes.len() as u64)
            .ok_or_else(|| io::Error::other("offset past the largest file size"))?;
        let covered = self
            .map
            .as_ref()
            .is_some_and(|(m, start)| *start <= offset && start + m.len() as u64 >= end);
        if !covered {
            // The window holding `offset`, or up to the bytes' end if they
            // reach further; pages the file does not reach (now or once
            // cut) fail the copy below.
            let start = offset - offset % WINDOW;
            let len = usize::try_from(WINDOW.max(end - start))
                .map_err(|_| io::Error::other("store too large to map"))?;
            self.map = None;
            let map = memmap2::MmapOptions::new()
                .offset(start)
                .len(len)
                .map_raw(self.file)?;
            self.map = Some((map, start));
        }
        let (map, start) = self.map.as_ref().expect("mapped above");
        let local = libc::iovec {
            iov_base: bytes.as_ptr() as *mut libc::c_void,
            iov_len: bytes.len(),
        };
        let remote = libc::iovec {
            // SAFETY: `offset..offset + bytes.len()` (no overflow: checked
            // above) lies within `start..start + map.len()`.
            iov_base: unsafe { map.as_mut_ptr().add((offset - start) as usize) }.cast(),
            iov_len: bytes.len(),
        };
        // SAFETY: both iovecs describe memory valid for `bytes.len()` bytes
        // (our slice; the mapping, alive while `self` is); the kernel checks
        // every page and fails with EFAULT, not a signal, on one the file no
        // longer backs.
        let n = unsafe { libc::process_vm_writev(self.pid, &local, 1, &remote, 1, 0) };
        match n {
            -1 => match io::Error::last_os_error() {
                e if e.raw_os_error() == Some(libc::EFAULT) => Ok(0),
                e => Err(e),
            },
            n => Ok(n as usize),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileExt;

    fn file_of(len: usize) -> File {
        let f = tempfile::tempfile().unwrap();
        f.write_all_at(&vec![b'a'; len], 0).unwrap();
        f
    }

    #[test]
    fn one_mapping_serves_many_stores_and_never_grows_a_cut_file() {
        let f = file_of(20_000);
        let mut stores = Stores::new(&f);
        assert_eq!(stores.store(10, b"XY").unwrap(), 2);
        assert_eq!(stores.store(19_998, b"XY").unwrap(), 2);
        // Cut under the mapping: pages past the new end fail, no signal,
        // and the file keeps its new size.
        f.set_len(100).unwrap();
        assert_eq!(stores.store(12_000, b"XY").unwrap(), 0);
        // Past the mapping: widened, still never grows the file.
        assert_eq!(stores.store(50_000, b"XY").unwrap(), 0);
        assert_eq!(f.metadata().unwrap().len(), 100);
        let mut back = [0u8; 4];
        f.read_exact_at(&mut back, 9).unwrap();
        assert_eq!(&back, b"aXYa");
    }

    #[test]
    fn the_mapping_covers_a_window_and_moves_with_the_stores() {
        let w = WINDOW as usize;
        let f = file_of(2 * w + 100);
        let mut stores = Stores::new(&f);
        let mapped = |s: &Stores| s.map.as_ref().map(|(m, start)| (*start, m.len()));
        assert_eq!(stores.store(10, b"XY").unwrap(), 2);
        assert_eq!(mapped(&stores), Some((0, w)));
        // Across the window's end: one mapping from its start to the end.
        assert_eq!(stores.store(WINDOW - 1, b"XYZ").unwrap(), 3);
        assert_eq!(mapped(&stores), Some((0, w + 2)));
        assert_eq!(stores.store(2 * WINDOW + 50, b"XY").unwrap(), 2);
        assert_eq!(mapped(&stores), Some((2 * WINDOW, w)));
        // Back before it: mapped again.
        assert_eq!(stores.store(WINDOW + 7, b"XY").unwrap(), 2);
        assert_eq!(mapped(&stores), Some((WINDOW, w)));
        let mut all = Vec::new();
        std::io::Read::read_to_end(&mut &f, &mut all).unwrap();
        assert_eq!(all.len(), 2 * w + 100);
        for at in [10, w - 1, 2 * w + 50, w + 7] {
            assert_eq!(&all[at..at + 2], b"XY", "at {at}");
        }
        assert_eq!(all[w + 1], b'Z');
        assert_eq!(all.iter().filter(|&&b| b != b'a').count(), 9);
    }

    #[test]
    fn stores_inside_the_file() {
        let f = file_of(10_000);
        assert_eq!(store_within(&f, 4090, b"XYZXYZXYZ").unwrap(), 9);
        let mut back = [0u8; 11];
        f.read_exact_at(&mut back, 4089).unwrap();
        assert_eq!(&back, b"aXYZXYZXYZa");
        assert_eq!(f.metadata().unwrap().len(), 10_000);
    }

    #[test]
    fn never_grows_a_file_that_ends_before_the_bytes() {
        let f = file_of(100);
        // Pages past the last one: nothing lands, no signal.
        assert_eq!(store_within(&f, 50_000, b"XYZ").unwrap(), 0);
        // Straddling the end of the last page: only its part lands.
        assert_eq!(store_within(&f, 4094, b"XYZ").unwrap(), 2);
        // Past the end within the last page: dropped by the kernel.
        store_within(&f, 200, b"XYZ").unwrap();
        assert_eq!(f.metadata().unwrap().len(), 100);
        let mut all = Vec::new();
        std::io::Read::read_to_end(&mut &f, &mut all).unwrap();
        assert_eq!(all, vec![b'a'; 100]);
    }
}
