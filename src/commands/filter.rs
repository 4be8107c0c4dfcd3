//! `cfscrub filter`: stdin to stdout with every credential masked, as it
//! streams (`... 2>&1 | cfscrub filter`).

use super::{load_secrets, EXIT_CLEAN, EXIT_ERROR, EXIT_FOUND};
use crate::cli::{FilterArgs, MaskArgs};
use crate::core::counts::{FileCounts, Replacement};
use crate::core::detect::Detector;
use crate::errln;
use crate::mask::masker::mask_stream;
use anyhow::Result;
use std::io::{self, IsTerminal, Write};

/// The detector and replacement for a masking command.
pub fn masking_setup(args: &MaskArgs) -> Result<(Detector, Replacement)> {
    let secrets = load_secrets(&args.secrets, Some("the stream to mask"))?;
    let detector = Detector::new(&secrets);
    let replacement = Replacement::new(&args.replacement, &detector)?;
    Ok((detector, replacement))
}

/// Prints the `--summary` line on stderr and, under GitHub Actions, a
/// `::warning::` annotation on `annotations` (never a value, never
/// `::add-mask::`).
pub fn print_summary(verb: &str, counts: &FileCounts, annotations: &mut dyn Write) {
    let kinds = counts.kinds_line();
    let what = if kinds.is_empty() {
        "nothing".to_string()
    } else {
        format!("{} credential(s): {kinds}", counts.total())
    };
    errln!("cfscrub {verb}: masked {what}");
    if counts.total() > 0 && std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        let _ = writeln!(
            annotations,
            "::warning title=cfscrub::{} Cloudflare credential(s) were masked in this step's output ({}). Rotate them: cfscrub checklist",
            counts.total(),
            kinds
        );
        let _ = annotations.flush();
    }
}

/// Asks for a 1 MiB pipe buffer on a pipe descriptor: fewer, larger reads
/// and writes for a fast producer. Harmless where refused.
pub fn widen_pipe(fd: std::os::fd::RawFd) {
    // SAFETY: fcntl(F_SETPIPE_SZ) on a descriptor we own; fails cleanly on non-pipes.
    unsafe {
        libc::fcntl(fd, libc::F_SETPIPE_SZ, 1 << 20);
    }
}

/// Standard output for `--fail-on-find`: once its reader is gone (`| head`),
/// the rest of the input is still scanned — the gate must see every
/// credential — and written nowhere.
struct ScanOnWhenClosed<W: Write> {
    out: W,
    closed: bool,
}

impl<W: Write> Write for ScanOnWhenClosed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.closed {
            match self.out.write(buf) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => self.closed = true,
                other => return other,
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.out.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

/// Runs `cfscrub filter`.
pub fn run(args: FilterArgs) -> Result<u8> {
    let (detector, replacement) = masking_setup(&args.mask)?;
    widen_pipe(0);
    widen_pipe(1);
    if io::stdin().is_terminal() {
        errln!("cfscrub filter: masking what is typed here until Ctrl-D; it is meant for a pipe: COMMAND 2>&1 | cfscrub filter");
    }
    let stdin = &mut io::stdin().lock();
    let result = if args.fail_on_find {
        let out = ScanOnWhenClosed {
            out: io::stdout().lock(),
            closed: false,
        };
        mask_stream(&detector, &replacement, stdin, out)
    } else {
        mask_stream(&detector, &replacement, stdin, io::stdout().lock())
    };
    let counts = match result {
        Ok(c) => c,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(EXIT_CLEAN),
        Err(e) => {
            errln!("cfscrub filter: {e}");
            return Ok(EXIT_ERROR);
        }
    };
    if args.mask.summary {
        print_summary("filter", &counts, &mut io::stdout());
    }
    Ok(if args.fail_on_find && counts.total() > 0 {
        EXIT_FOUND
    } else {
        EXIT_CLEAN
    })
}
