//! Worker pools: how many threads rewrite (and read git objects), and the
//! bound on `-j`.
//!
//! Reading is CPU-bound and happens on the walker's threads, one per core
//! ([`crate::source::walk`]). Rewriting mostly waits on `fsync`: four
//! workers per core keep the disk busy. `-j N` overrides either, within 1
//! to [`MAX_THREADS`].

use std::io;

/// Most worker threads `-j` accepts: more than `redact`'s default of four
/// per core on a 64-core machine. Beyond that threads only contend: on 2
/// cores, 256 idle workers cost 0.2 s to start and stop, 1024 cost 6 s,
/// and `-j 100000` started thousands before failing.
pub const MAX_THREADS: usize = 256;

/// A pool for reading: `threads` workers (default: one per core).
pub fn scan_pool(threads: Option<usize>) -> io::Result<rayon::ThreadPool> {
    sized_pool(threads.unwrap_or(0))
}

/// A pool for work that mostly waits on `fsync`: four workers per core
/// (at most [`MAX_THREADS`]) unless `threads` says otherwise.
pub fn rewrite_pool(threads: Option<usize>) -> io::Result<rayon::ThreadPool> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    sized_pool(threads.unwrap_or((4 * cores).min(MAX_THREADS)))
}

fn sized_pool(n: usize) -> io::Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .map_err(|e| io::Error::other(format!("cannot start worker threads: {e}")))
}
