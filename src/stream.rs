//! The chunked reader: runs the detector over a stream of any length in
//! bounded memory and hands the result to a [`Sink`].
//!
//! Every consumer — the scan report, the in-place rewrite, verify, the live
//! log filter, history cleanup — is a [`Sink`]: it receives, in stream
//! order, the bytes that are *not* part of a credential ([`Sink::data`]) and
//! each credential as a [`Finding`] ([`Sink::finding`]), never the
//! credential's bytes. Data is handed over as soon as it is decided — no
//! anchor before it can still turn into a finding — so a filter can forward
//! a line the moment its newline arrives while holding back only the few
//! bytes that may start a token.
//!
//! Memory: one buffer of [`CHUNK`] plus the detector's window (a few KiB),
//! whatever the file size or line length. Findings are reported exactly once
//! and, where two overlap, the earlier (then longer) one wins.
//!
//! ```
//! use cfscrub::{detect::Detector, secrets::KnownSecrets, stream::scan_bytes};
//! let detector = Detector::new(&KnownSecrets::new());
//! let findings = scan_bytes(&detector, b"grep cfut_AbCd build.log\n");
//! assert_eq!(findings.len(), 1);
//! assert_eq!((findings[0].line, findings[0].column), (1, 6));
//! ```

use crate::detect::{Anchor, Candidate, Detector, LOOKBEHIND, MAX_LOOKAHEAD};
use crate::finding::Finding;
use crate::rules::Kind;
use std::io::{self, Read};

/// Bytes read per call.
pub const CHUNK: usize = 256 * 1024;
/// Room kept beyond a chunk for the undecided tail and the look-behind.
const SLACK: usize = 2 * (MAX_LOOKAHEAD + LOOKBEHIND) + 4096;

/// A consumer of a scanned stream.
pub trait Sink {
    /// Bytes that belong to no finding, in order.
    fn data(&mut self, _bytes: &[u8]) -> io::Result<()> {
        Ok(())
    }
    /// One finding, in order, in place of its bytes.
    fn finding(&mut self, finding: &Finding) -> io::Result<()>;
}

/// A sink that collects findings.
impl Sink for Vec<Finding> {
    fn finding(&mut self, finding: &Finding) -> io::Result<()> {
        self.push(finding.clone());
        Ok(())
    }
}

/// The chunked scanner state for one stream.
pub struct StreamScanner<'d> {
    detector: &'d Detector,
    buf: Vec<u8>,
    len: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// Anchors before this offset have been evaluated.
    decided: u64,
    /// Bytes before this offset have been handed to the sink.
    emitted: u64,
    pending: Vec<Finding>,
    anchors: Vec<Anchor>,
    lowered: Vec<u8>,
    candidates: Vec<Candidate>,
    lines: Option<LineTracker>,
    finished: bool,
    /// Bytes offered to each read.
    chunk: usize,
}

/// Counts newlines in what has been emitted.
#[derive(Default)]
struct LineTracker {
    newlines: u64,
    last_newline: Option<u64>,
}

impl LineTracker {
    fn advance(&mut self, bytes: &[u8], offset: u64) {
        let n = bytecount::count(bytes, b'\n');
        if n > 0 {
            self.newlines += n as u64;
            let last = memchr::memrchr(b'\n', bytes).expect("counted one");
            self.last_newline = Some(offset + last as u64);
        }
    }

    fn place(&self, offset: u64) -> (u64, u64) {
        let column = match self.last_newline {
            Some(nl) => offset - nl,
            None => offset + 1,
        };
        (self.newlines + 1, column)
    }
}

fn overlap_priority(kind: Kind) -> u8 {
    matches!(kind, Kind::KnownSecret | Kind::KnownSecretFragment) as u8
}

impl<'d> StreamScanner<'d> {
    /// A scanner; `count_lines` fills [`Finding::line`] and [`Finding::column`].
    pub fn new(detector: &'d Detector, count_lines: bool) -> StreamScanner<'d> {
        StreamScanner::with_chunk(detector, count_lines, CHUNK)
    }

    /// A scanner reading `chunk` bytes at a time (a small one for short texts).
    pub fn with_chunk(
        detector: &'d Detector,
        count_lines: bool,
        chunk: usize,
    ) -> StreamScanner<'d> {
        let chunk = chunk.clamp(1, CHUNK);
        StreamScanner {
            chunk,
            detector,
            // Short texts start small; the buffer grows if a stream needs it.
            buf: vec![0; if chunk == CHUNK { chunk + SLACK } else { chunk }],
            len: 0,
            base: 0,
            decided: 0,
            emitted: 0,
            pending: Vec::new(),
            anchors: Vec::new(),
            lowered: Vec::new(),
            candidates: Vec::new(),
            lines: count_lines.then(LineTracker::default),
            finished: false,
        }
    }

    /// Stream bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.base + self.len as u64
    }

    /// Drops what is no longer needed from the front of the buffer.
    fn compact(&mut self) {
        let keep_from = self
            .emitted
            .min(self.decided.saturating_sub(LOOKBEHIND as u64));
        let shift = (keep_from - self.base) as usize;
        if shift > 0 {
            self.buf.copy_within(shift..self.len, 0);
            self.len -= shift;
            self.base = keep_from;
        }
    }

    fn free_space(&mut self) -> &mut [u8] {
        if self.buf.len() - self.len < self.chunk {
            self.compact();
        }
        if self.buf.len() - self.len < self.chunk {
            // Still short: only a small-chunk scanner gets here, and the
            // retained tail is bounded by the detector's window.
            self.buf.resize(self.len + self.chunk, 0);
        }
        &mut self.buf[self.len..]
    }

    /// Reads once from `reader` into the buffer and processes what arrived.
    /// Returns the number of bytes read (0 at end of input; then call
    /// [`StreamScanner::finish`]).
    pub fn read_from(&mut self, reader: &mut impl Read, sink: &mut impl Sink) -> io::Result<usize> {
        let n = loop {
            match reader.read(self.free_space()) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        if n > 0 {
            self.len += n;
            self.process(sink, false)?;
        }
        Ok(n)
    }

    /// Processes bytes that arrived by other means (a pipe read elsewhere).
    pub fn feed(&mut self, mut data: &[u8], sink: &mut impl Sink) -> io::Result<()> {
        while !data.is_empty() {
            let space = self.free_space();
            let n = space.len().min(data.len());
            space[..n].copy_from_slice(&data[..n]);
            self.len += n;
            data = &data[n..];
            self.process(sink, false)?;
        }
        Ok(())
    }

    /// Ends the stream: decides every remaining anchor and emits the rest.
    pub fn finish(&mut self, sink: &mut impl Sink) -> io::Result<()> {
        if !self.finished {
            self.finished = true;
            self.process(sink, true)?;
        }
        Ok(())
    }

    /// Reads `reader` to its end through the scanner. Returns the byte count.
    pub fn scan_reader(&mut self, reader: &mut impl Read, sink: &mut impl Sink) -> io::Result<u64> {
        while self.read_from(reader, sink)? > 0 {}
        self.finish(sink)?;
        Ok(self.position())
    }

    fn process(&mut self, sink: &mut impl Sink, eof: bool) -> io::Result<()> {
        let bytes = &self.buf[..self.len];
        let end = self.base + self.len as u64;
        let from = (self.decided - self.base) as usize;
        self.anchors.clear();
        self.detector
            .find_anchors(bytes, from, &mut self.lowered, &mut self.anchors);
        let mut stuck_at = None;
        for &anchor in &self.anchors {
            if !self
                .detector
                .evaluate(bytes, anchor, eof, &mut self.candidates)
            {
                stuck_at = Some(anchor.pos);
                break;
            }
        }
        for c in self.candidates.drain(..) {
            self.pending.push(Finding {
                offset: self.base + c.start as u64,
                length: c.len,
                kind: c.kind,
                confidence: c.confidence,
                fingerprint: c.fingerprint,
                line: 0,
                column: 0,
            });
        }
        self.decided = match stuck_at {
            Some(pos) => self.base + pos as u64,
            None if eof => end,
            None => {
                let tail = self.detector.undecided_suffix(&bytes[from..]);
                (end - tail as u64).max(self.decided)
            }
        };
        self.emit(sink)
    }

    fn emit(&mut self, sink: &mut impl Sink) -> io::Result<()> {
        if self.pending.len() > 1 {
            self.pending.sort_by(|a, b| {
                a.offset
                    .cmp(&b.offset)
                    .then(b.length.cmp(&a.length))
                    .then(overlap_priority(b.kind).cmp(&overlap_priority(a.kind)))
            });
        }
        let ready = self.pending.partition_point(|f| f.offset < self.decided);
        for mut finding in self.pending.drain(..ready) {
            if finding.offset < self.emitted {
                continue; // overlaps a finding already reported
            }
            let gap_start = (self.emitted - self.base) as usize;
            let gap_end = (finding.offset - self.base) as usize;
            let gap = &self.buf[gap_start..gap_end];
            sink.data(gap)?;
            if let Some(lines) = &mut self.lines {
                lines.advance(gap, self.emitted);
                (finding.line, finding.column) = lines.place(finding.offset);
                let value = &self.buf[gap_end..gap_end + finding.length];
                lines.advance(value, finding.offset);
            }
            sink.finding(&finding)?;
            self.emitted = finding.end();
        }
        let safe = self
            .pending
            .first()
            .map_or(self.decided, |f| f.offset.min(self.decided));
        if safe > self.emitted {
            let from = (self.emitted - self.base) as usize;
            let to = (safe - self.base) as usize;
            sink.data(&self.buf[from..to])?;
            if let Some(lines) = &mut self.lines {
                lines.advance(&self.buf[from..to], self.emitted);
            }
            self.emitted = safe;
        }
        Ok(())
    }
}

/// Scans a whole in-memory buffer (tests, short texts) and returns its findings.
pub fn scan_bytes(detector: &Detector, bytes: &[u8]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut scanner = StreamScanner::with_chunk(detector, true, bytes.len());
    scanner
        .scan_reader(&mut &bytes[..], &mut findings)
        .expect("reading memory cannot fail");
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::KnownSecrets;

    /// Passes data through, replacing findings with `#`.
    struct Masker(Vec<u8>);
    impl Sink for Masker {
        fn data(&mut self, bytes: &[u8]) -> io::Result<()> {
            self.0.extend_from_slice(bytes);
            Ok(())
        }
        fn finding(&mut self, f: &Finding) -> io::Result<()> {
            self.0.extend(std::iter::repeat_n(b'#', f.length));
            Ok(())
        }
    }

    #[test]
    fn data_and_findings_tile_the_stream() {
        let mut g = crate::fake::FakeGen::new(5);
        let text = format!("a {} b\nc grep cfk_AbCdE x\n", g.scannable("cfut_", true));
        let det = Detector::new(&KnownSecrets::new());
        let mut out = Masker(Vec::new());
        let mut s = StreamScanner::new(&det, false);
        for byte in text.as_bytes() {
            s.feed(std::slice::from_ref(byte), &mut out).unwrap();
        }
        s.finish(&mut out).unwrap();
        assert_eq!(out.0.len(), text.len());
        let expected = format!("a {} b\nc grep {} x\n", "#".repeat(53), "#".repeat(9));
        crate::sanitize::assert_same("masked stream", &out.0, expected.as_bytes());
    }

    #[test]
    fn a_line_is_released_when_its_newline_arrives() {
        let det = Detector::new(&KnownSecrets::new());
        let mut out = Masker(Vec::new());
        let mut s = StreamScanner::new(&det, false);
        s.feed(b"progress 10%\nstep two cf", &mut out).unwrap();
        assert_eq!(out.0, b"progress 10%\nstep two ");
    }

    #[test]
    fn line_and_column_are_counted() {
        let det = Detector::new(&KnownSecrets::new());
        let f = scan_bytes(&det, b"one\ntwo\r\n  grep cfat_AbCdE\n");
        assert_eq!((f[0].line, f[0].column, f[0].offset), (3, 8, 16));
    }
}
