//! `cfscrub filter`: stdin to stdout with every credential masked, as it
//! streams (`... 2>&1 | cfscrub filter`).

use super::wiring::{masking_setup, print_summary};
use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FOUND};
use crate::cli::FilterOptions;
use anyhow::Result;
use cfscrub::errln;
use cfscrub::mask::masker::mask_stream;
use cfscrub::sys::{stdout_unbuffered, widen_pipe};
use std::io::{self, IoSlice, IsTerminal, Write};

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

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        if !self.closed {
            match self.out.write_vectored(bufs) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => self.closed = true,
                other => return other,
            }
        }
        Ok(bufs.iter().map(|b| b.len()).sum())
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
pub fn run(args: FilterOptions) -> Result<u8> {
    let (detector, replacement) = masking_setup(&args.mask)?;
    widen_pipe(0);
    widen_pipe(1);
    if io::stdin().is_terminal() {
        errln!("cfscrub filter: masking what is typed here until Ctrl-D; it is meant for a pipe: COMMAND 2>&1 | cfscrub filter");
    }
    let stdin = &mut io::stdin().lock();
    let stdout = stdout_unbuffered();
    let result = if args.fail_on_find {
        let out = ScanOnWhenClosed {
            out: &stdout,
            closed: false,
        };
        mask_stream(&detector, &replacement, stdin, out)
    } else {
        mask_stream(&detector, &replacement, stdin, &stdout)
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
        print_summary("filter", &counts, &mut &stdout);
    }
    Ok(if args.fail_on_find && counts.total() > 0 {
        EXIT_FOUND
    } else {
        EXIT_CLEAN
    })
}
