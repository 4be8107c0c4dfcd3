//! Printing to standard output and standard error without ever panicking.
//!
//! `println!` and `eprintln!` panic when their stream is a closed pipe
//! (`cfscrub scan . 2>&1 | head -1`) or full (`2>/dev/full`), and a panic
//! hook that prints with them panics again and aborts (exit 134). cfscrub
//! prints through [`outln!`]/[`out!`] (standard output) and
//! [`errln!`]/[`err!`] (standard error) instead:
//!
//! * standard error: each call is one write (waiting while a non-blocking
//!   descriptor is full); a failed write is dropped — there is nowhere left
//!   to report it, and the exit code must not change because of it;
//! * standard output: a closed pipe ends the output quietly, as `| head`
//!   wants; any other failure (a full disk) is kept, and `main` reports it
//!   and exits 2 (see [`take_stdout_failure`]).
//!
//! The std macros are denied crate-wide (`clippy::print_stdout`,
//! `clippy::print_stderr`), so a new `println!` fails CI.

use std::fmt;
use std::io::{self, Write};
use std::sync::Mutex;

/// The first failure to write standard output that was not a closed pipe.
static STDOUT_FAILURE: Mutex<Option<io::Error>> = Mutex::new(None);

/// Writes to standard output and flushes (what [`out!`] and [`outln!`] call).
pub fn write_stdout(args: fmt::Arguments) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            let mut failure = STDOUT_FAILURE.lock().unwrap_or_else(|e| e.into_inner());
            failure.get_or_insert(e);
        }
    }
}

/// Writes to standard error, ignoring failure (what [`err!`] and
/// [`errln!`] call). The text goes in one write, through
/// [`crate::sys::stderr_unbuffered`]: a line up to the pipe's atomic size
/// is never split by another thread's writes (`run` masks its command's
/// stderr onto the same descriptor), and a descriptor some other process
/// left non-blocking is waited on when full, not dropped part-way.
pub fn write_stderr(args: fmt::Arguments) {
    let text = fmt::format(args);
    let _ = (&crate::sys::stderr_unbuffered()).write_all(text.as_bytes());
}

/// The first failure to write standard output other than a closed pipe,
/// if any (taken: a second call returns `None`).
pub fn take_stdout_failure() -> Option<io::Error> {
    STDOUT_FAILURE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
}

/// `print!` that never panics (see the module docs).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::console::write_stdout(format_args!($($arg)*))
    };
}

/// `println!` that never panics (see the module docs).
#[macro_export]
macro_rules! outln {
    () => {
        $crate::console::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::console::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprint!` that never panics (see the module docs).
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => {
        $crate::console::write_stderr(format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics (see the module docs).
#[macro_export]
macro_rules! errln {
    () => {
        $crate::console::write_stderr(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::console::write_stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}
