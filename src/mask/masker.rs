//! The streaming masker: passes a byte stream through with every finding
//! replaced. The consumer behind `filter`, `run` and the carry-over of late
//! appends in `redact`.
//!
//! Output is flushed after every read, so a line reaches the reader as soon
//! as its newline arrives; the scanner holds back only bytes that may still
//! start a credential.

use crate::core::counts::{FileCounts, Replacement};
use crate::core::detect::Detector;
use crate::core::finding::Finding;
use crate::core::stream::{Flow, Sink, StreamScanner};
use std::io::{self, Read, Write};

/// A sink writing data through and a replacement for each finding.
pub struct Masker<'a, W: Write> {
    out: W,
    replacement: &'a Replacement,
    counts: FileCounts,
}

impl<'a, W: Write> Masker<'a, W> {
    /// A masker writing to `out`.
    pub fn new(out: W, replacement: &'a Replacement) -> Masker<'a, W> {
        Masker {
            out,
            replacement,
            counts: FileCounts::default(),
        }
    }

    /// What was masked so far.
    pub fn counts(&self) -> &FileCounts {
        &self.counts
    }

    /// The writer and the counts (flushed when the stream finished:
    /// [`Sink::finish`]).
    pub fn into_parts(self) -> (W, FileCounts) {
        (self.out, self.counts)
    }
}

impl<W: Write> Sink for Masker<'_, W> {
    fn data(&mut self, bytes: &[u8]) -> io::Result<Flow> {
        self.out.write_all(bytes)?;
        Ok(Flow::Continue)
    }

    fn finding(&mut self, f: &Finding) -> io::Result<Flow> {
        self.counts.add(f);
        self.out.write_all(self.replacement.text())?;
        Ok(Flow::Continue)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Copies `input` to `output` with every credential masked, flushing after
/// each read. Returns what was masked.
pub fn mask_stream(
    detector: &Detector,
    replacement: &Replacement,
    input: &mut impl Read,
    output: impl Write,
) -> io::Result<FileCounts> {
    let mut masker = Masker::new(Batch::new(output), replacement);
    let mut scanner = StreamScanner::new(detector, false);
    while scanner.read_from(input, &mut masker)? > 0 {
        masker.out.flush()?;
    }
    scanner.finish(&mut masker)?;
    Ok(masker.counts)
}

/// Data pieces at least this long are written from the scanner's buffer
/// as they are, not copied: a stream with few findings (most logs) is
/// handed over in pieces of a whole read.
const DIRECT: usize = 64 * 1024;

/// The writer behind [`mask_stream`]: short pieces (replacements, the data
/// between close findings) are gathered; a long one is written together
/// with what was gathered before it in one `writev`, without a copy.
struct Batch<W: Write> {
    out: W,
    gathered: Vec<u8>,
}

impl<W: Write> Batch<W> {
    fn new(out: W) -> Batch<W> {
        Batch {
            out,
            gathered: Vec::with_capacity(DIRECT),
        }
    }

    /// Writes what was gathered, then `piece`, in as few calls as the
    /// writer takes them.
    fn write_after_gathered(&mut self, piece: &[u8]) -> io::Result<()> {
        let mut done = 0;
        while done < self.gathered.len() {
            let slices = [
                io::IoSlice::new(&self.gathered[done..]),
                io::IoSlice::new(piece),
            ];
            let failed = match self.out.write_vectored(&slices) {
                Ok(0) => io::ErrorKind::WriteZero.into(),
                Ok(n) => {
                    done += n;
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => e,
            };
            // What was written is not written again by a later flush.
            self.gathered.drain(..done.min(self.gathered.len()));
            return Err(failed);
        }
        let into_piece = done - self.gathered.len();
        self.gathered.clear();
        self.out.write_all(&piece[into_piece..])
    }
}

impl<W: Write> Write for Batch<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.write_all(bytes)?;
        Ok(bytes.len())
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.len() >= DIRECT {
            return self.write_after_gathered(bytes);
        }
        self.gathered.extend_from_slice(bytes);
        if self.gathered.len() >= 4 * DIRECT {
            self.write_after_gathered(&[])?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_after_gathered(&[])?;
        self.out.flush()
    }
}

/// Masks a short in-memory text (a file name, a quoted log line).
pub fn mask_bytes(detector: &Detector, replacement: &Replacement, text: &[u8]) -> Vec<u8> {
    let mut masker = Masker::new(Vec::with_capacity(text.len()), replacement);
    StreamScanner::with_chunk(detector, false, text.len())
        .finish_with(text, &mut masker)
        .expect("masking memory cannot fail");
    masker.out
}

/// The detector and marker for masking text cfscrub prints about files
/// (names), built once: shapes only, no known secrets.
pub fn shape_masker() -> &'static (Detector, Replacement) {
    static MASKER: std::sync::OnceLock<(Detector, Replacement)> = std::sync::OnceLock::new();
    MASKER.get_or_init(|| {
        let detector = Detector::new(&crate::core::secrets::KnownSecrets::new());
        let replacement = Replacement::new(crate::core::counts::DEFAULT_REPLACEMENT, &detector)
            .expect("the default marker is never detected");
        (detector, replacement)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::secrets::KnownSecrets;

    #[test]
    fn masks_and_passes_everything_else_through() {
        let det = Detector::new(&KnownSecrets::new());
        let r = Replacement::new(crate::core::counts::DEFAULT_REPLACEMENT, &det).unwrap();
        let mut g = crate::fake::FakeGen::new(3);
        let input = format!(
            "\x1b[33m{}\x1b[0m\r\n\u{0}\u{ff}",
            g.scannable("cfut_", true)
        );
        let mut out = Vec::new();
        let counts = mask_stream(&det, &r, &mut input.as_bytes(), &mut out).unwrap();
        assert_eq!(counts.total(), 1);
        crate::mask::sanitize::assert_same(
            "masked stream",
            &out,
            "\x1b[33m[REDACTED_CF_TOKEN]\x1b[0m\r\n\u{0}\u{ff}".as_bytes(),
        );
    }

    /// Takes at most 5 bytes a call, and of a vectored write only the
    /// first piece (what `Write::write_vectored` does by default).
    struct Trickle(Vec<u8>);
    impl Write for Trickle {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let n = bytes.len().min(5);
            self.0.extend_from_slice(&bytes[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_batch_writer_keeps_every_byte_in_order() {
        let pieces: Vec<Vec<u8>> = [3, DIRECT, 1, 0, 7, DIRECT + 9, 4 * DIRECT, 2]
            .iter()
            .enumerate()
            .map(|(i, &n)| (0..n).map(|j| (i * 31 + j) as u8).collect())
            .collect();
        let whole = pieces.concat();
        let mut trickled = Batch::new(Trickle(Vec::new()));
        let mut vectored = Batch::new(Vec::new());
        for piece in &pieces {
            trickled.write_all(piece).unwrap();
            vectored.write_all(piece).unwrap();
        }
        // A long piece went out at once, with what was gathered before it.
        assert_eq!(
            vectored.out.len(),
            3 + DIRECT + 1 + 7 + DIRECT + 9 + 4 * DIRECT
        );
        trickled.flush().unwrap();
        vectored.flush().unwrap();
        assert!(trickled.out.0 == whole, "trickled output differs");
        assert!(vectored.out == whole, "vectored output differs");
    }

    /// Takes `room` bytes (a few at a time), then fails once.
    struct FailsOnce {
        out: Vec<u8>,
        room: usize,
        failed: bool,
    }

    impl Write for FailsOnce {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            if self.out.len() >= self.room && !self.failed {
                self.failed = true;
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = bytes.len().min(5);
            self.out.extend_from_slice(&bytes[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_write_that_fails_part_way_is_not_written_twice() {
        let short: Vec<u8> = (0..20).collect();
        let long: Vec<u8> = (0..DIRECT).map(|i| (i % 251) as u8).collect();
        let mut batch = Batch::new(FailsOnce {
            out: Vec::new(),
            room: 10,
            failed: false,
        });
        batch.write_all(&short).unwrap();
        assert!(batch.write_all(&long).is_err());
        batch.flush().unwrap();
        // What went out before the error, then the rest of what was
        // gathered: each byte of `short` once.
        assert_eq!(&batch.out.out[..short.len()], &short[..]);
    }
}
