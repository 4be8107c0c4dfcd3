//! A progress line on stderr for long runs, on a terminal only.
//!
//! Workers bump two counters; a background thread redraws one line every
//! 200 ms once the run has taken more than a second, and erases it at the end.

use crate::err;
use crate::report::human_bytes;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(Default)]
struct Counters {
    files: AtomicU64,
    bytes: AtomicU64,
    done: AtomicBool,
}

/// Handle to the progress line; cheap to call when disabled.
pub struct Progress {
    counters: Arc<Counters>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts the progress line if stderr is a terminal and `enabled`.
    pub fn start(enabled: bool) -> Progress {
        let counters = Arc::new(Counters::default());
        let thread = (enabled && std::io::stderr().is_terminal()).then(|| {
            let c = Arc::clone(&counters);
            std::thread::spawn(move || {
                let start = Instant::now();
                let mut drawn = false;
                while !c.done.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(200));
                    if start.elapsed() < Duration::from_secs(1) {
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
            })
        });
        Progress { counters, thread }
    }

    /// Counts one finished file of `bytes` bytes.
    pub fn file_done(&self, bytes: u64) {
        self.counters.files.fetch_add(1, Ordering::Relaxed);
        self.counters.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Erases the line.
    pub fn finish(mut self) {
        self.counters.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
