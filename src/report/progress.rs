//! A progress line on stderr for long runs, on a terminal only.
//!
//! Readers count bytes as they read them ([`Progress::counting`]), so one
//! large file or a slow stdin shows its bytes moving; workers count each
//! finished file. A background thread redraws one line every
//! [`REDRAW`] once the run has taken more than [`QUIET_FOR`], and erases it
//! at the end. It waits on a condition variable, not a sleep: `finish`
//! wakes it, so a short run is not held up by the redraw interval.

use crate::err;
use crate::report::human_bytes;
use std::io::{IsTerminal, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the line is redrawn.
pub const REDRAW: Duration = Duration::from_millis(200);
/// How long a run goes without a progress line.
pub const QUIET_FOR: Duration = Duration::from_secs(1);

#[derive(Default)]
struct Counters {
    files: AtomicU64,
    bytes: AtomicU64,
    done: Mutex<bool>,
    wake: Condvar,
}

/// Handle to the progress line; cheap to call when disabled.
pub struct Progress {
    counters: Arc<Counters>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts the progress line if stderr is a terminal and `enabled`.
    pub fn start(enabled: bool) -> Progress {
        let draw = enabled && std::io::stderr().is_terminal();
        Progress::with_interval(draw, REDRAW)
    }

    fn with_interval(draw: bool, interval: Duration) -> Progress {
        let counters = Arc::new(Counters::default());
        let thread = draw.then(|| {
            let c = Arc::clone(&counters);
            std::thread::spawn(move || redraw_until_done(&c, interval))
        });
        Progress { counters, thread }
    }

    /// Wraps `reader` so that the bytes read through it are counted as they
    /// arrive.
    pub fn counting<R: Read>(&self, reader: R) -> Counting<'_, R> {
        Counting {
            inner: reader,
            bytes: &self.counters.bytes,
        }
    }

    /// Counts one finished file (its bytes were counted while read).
    pub fn file_done(&self) {
        self.counters.files.fetch_add(1, Ordering::Relaxed);
    }

    /// Erases the line; returns as soon as the drawing thread has seen it.
    pub fn finish(mut self) {
        *self.counters.done.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.counters.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn redraw_until_done(c: &Counters, interval: Duration) {
    let start = Instant::now();
    let mut drawn = false;
    let mut done = c.done.lock().unwrap_or_else(|e| e.into_inner());
    while !*done {
        done = c
            .wake
            .wait_timeout(done, interval)
            .unwrap_or_else(|e| e.into_inner())
            .0;
        if *done || start.elapsed() < QUIET_FOR {
            continue;
        }
        let files = c.files.load(Ordering::Relaxed);
        let bytes = c.bytes.load(Ordering::Relaxed);
        err!("\r\x1b[Kcfscrub: {files} files, {}", human_bytes(bytes));
        drawn = true;
    }
    if drawn {
        err!("\r\x1b[K");
        let _ = std::io::stderr().flush();
    }
}

/// A reader that adds what it reads to the progress line's byte count.
pub struct Counting<'a, R> {
    inner: R,
    bytes: &'a AtomicU64,
}

impl<R> Counting<'_, R> {
    /// The reader being counted.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_does_not_wait_for_the_redraw_interval() {
        // With an hour between redraws, a stop that waited for the
        // interval would hang; one woken by `finish` returns at once.
        let progress = Progress::with_interval(true, Duration::from_secs(3600));
        let started = Instant::now();
        progress.finish();
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "finish waited {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn bytes_are_counted_as_they_are_read() {
        let progress = Progress::with_interval(false, REDRAW);
        let mut reader = progress.counting(&[7u8; 1000][..]);
        let mut buf = [0u8; 300];
        reader.read_exact(&mut buf).unwrap();
        assert_eq!(progress.counters.bytes.load(Ordering::Relaxed), 300);
        assert_eq!(progress.counters.files.load(Ordering::Relaxed), 0);
    }
}
