//! `cfscrub run -- COMMAND`: runs a command with its stdout and stderr each
//! passed through the masker (kept apart), forwards SIGINT/SIGTERM/SIGHUP
//! to it, and exits with its status (128 + signal when it was killed;
//! 127 when the command is not found, 126 when it cannot be executed).
//!
//! A SIGINT typed at the terminal already reaches the child (same process
//! group), so only signals sent by a process (`kill`) are forwarded: the
//! child never gets one Ctrl-C twice.

use super::wiring::{masking_setup, print_summary};
use super::EXIT_ERROR;
use crate::cli::RunOptions;
use anyhow::{Context, Result};
use cfscrub::core::counts::FileCounts;
use cfscrub::errln;
use cfscrub::mask::masker::mask_stream;
use cfscrub::sys::{send_signal, stderr_unbuffered, stdout_unbuffered, widen_pipe};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::exfiltrator::origin::WithOrigin;
use signal_hook::iterator::SignalsInfo;
use signal_hook::low_level::siginfo::Cause;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

/// Runs `cfscrub run`.
pub fn run(args: RunOptions) -> Result<u8> {
    let (detector, replacement) = masking_setup(&args.mask)?;
    let (program, rest) = (&args.program, &args.args);
    let mut signals = SignalsInfo::<WithOrigin>::new([SIGINT, SIGTERM, SIGHUP])
        .context("cannot watch signals")?;
    let spawned = Command::new(program)
        .args(rest)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            let shown = cfscrub::mask::sanitize::display_path(std::path::Path::new(program));
            errln!("cfscrub run: cannot run {shown}: {e}");
            return Ok(spawn_failure_code(&e));
        }
    };
    let pid = child.id();
    let handle = signals.handle();
    let forwarder = std::thread::spawn(move || {
        for origin in signals.forever() {
            if origin.signal == SIGINT && origin.cause == Cause::Kernel {
                continue; // typed at the terminal: the child got it too
            }
            send_signal(pid, origin.signal);
        }
    });
    let mut out_pipe = child.stdout.take().expect("piped");
    let mut err_pipe = child.stderr.take().expect("piped");
    widen_pipe(out_pipe.as_raw_fd());
    widen_pipe(err_pipe.as_raw_fd());
    let (stdout, stderr) = (stdout_unbuffered(), stderr_unbuffered());
    let (out_counts, err_counts) = std::thread::scope(|scope| {
        let (d, r) = (&detector, &replacement);
        let stderr = &stderr;
        let err =
            scope.spawn(move || drain(mask_stream(d, r, &mut err_pipe, stderr), &mut err_pipe));
        let out = drain(mask_stream(d, r, &mut out_pipe, &stdout), &mut out_pipe);
        (out, err.join().unwrap_or_default())
    });
    let status = child.wait().context("waiting for the command")?;
    handle.close();
    let _ = forwarder.join();
    if args.mask.summary {
        let mut counts = out_counts;
        for (k, n) in err_counts.by_kind {
            *counts.by_kind.entry(k).or_default() += n;
        }
        print_summary("run", &counts, &mut &stdout);
    }
    Ok(match (status.code(), status.signal()) {
        (Some(code), _) => code as u8,
        (None, Some(sig)) => (128 + sig) as u8,
        _ => EXIT_ERROR,
    })
}

/// The shells' exit code for a command that could not be started: 127
/// when it was not found, 126 when it was found but could not be executed
/// (no permission, not an executable); 2 for any other failure.
fn spawn_failure_code(e: &io::Error) -> u8 {
    match e.kind() {
        io::ErrorKind::NotFound => EXIT_NOT_FOUND,
        io::ErrorKind::PermissionDenied => EXIT_NOT_EXECUTABLE,
        _ if e.raw_os_error() == Some(libc::ENOEXEC) => EXIT_NOT_EXECUTABLE,
        _ => EXIT_ERROR,
    }
}

/// Exit code when the command was not found (as in shells).
pub const EXIT_NOT_FOUND: u8 = 127;
/// Exit code when the command was found but could not be executed.
pub const EXIT_NOT_EXECUTABLE: u8 = 126;

/// Keeps reading a child's pipe after our own output closed, so the child
/// never blocks on a full pipe.
fn drain(result: io::Result<FileCounts>, pipe: &mut impl io::Read) -> FileCounts {
    match result {
        Ok(counts) => counts,
        Err(e) => {
            if e.kind() != io::ErrorKind::BrokenPipe {
                errln!("cfscrub run: {e}");
            }
            let _ = io::copy(pipe, &mut io::sink());
            FileCounts::default()
        }
    }
}
