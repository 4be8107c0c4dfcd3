//! The few raw system calls cfscrub makes, each behind a safe function:
//! keeping secrets out of core dumps, widening pipes, forwarding a signal.
//! A leaf: nothing else in the crate calls `libc` for these.

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

/// Sends `signal` to the process `pid` (a child we spawned).
pub fn send_signal(pid: u32, signal: i32) {
    // SAFETY: kill(2) with a plain pid and signal number has no memory effects.
    unsafe {
        libc::kill(pid as libc::pid_t, signal);
    }
}
