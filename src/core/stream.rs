//! The chunked reader: runs the detector over a stream of any length in
//! bounded memory and hands the result to a [`Sink`].
//!
//! Every consumer — the scan report, the in-place rewrite, verify, the live
//! log filter, history cleanup — is a [`Sink`]: it receives, in stream
//! order, the bytes that are *not* part of a credential ([`Sink::data`]) and
//! each credential as a [`Finding`] ([`Sink::finding`]), never the
//! credential's bytes, then [`Sink::finish`] at the end of the stream. Each
//! call answers with a [`Flow`]: a sink that has seen enough (its reader
//! went away, a rewrite must start over) says [`Flow::Stop`] and the
//! scanner hands it nothing more; errors are only ever real errors. Data is handed over as soon as it is decided — no
//! anchor before it can still turn into a finding — so a filter can forward
//! a line the moment its newline arrives while holding back only the few
//! bytes that may start a token.
//!
//! Memory: one buffer of [`CHUNK`] plus the detector's window (a few KiB),
//! whatever the file size or line length.
//!
//! Overlapping findings are merged, never dropped: where two candidates
//! share a byte (`cfut_cfut_<token>`: a partial prefix over the start of a
//! token), one finding covers their union, reported once, with the kind,
//! confidence and fingerprint of the strongest ([`overlap_rank`]). A merged
//! span longer than [`MERGE_CAP`] (a pathological chain of overlapping
//! candidates) is handed over in pieces, each wholly masked.
//!
//! ```
//! use cfscrub::core::{detect::Detector, secrets::KnownSecrets, stream::scan_bytes};
//! let detector = Detector::new(&KnownSecrets::new());
//! let findings = scan_bytes(&detector, b"grep cfut_AbCd build.log\n");
//! assert_eq!(findings.len(), 1);
//! assert_eq!((findings[0].line, findings[0].column), (1, 6));
//! ```
//!
//! Long because the buffer, the
//! anchors, the merging and the hand-over keep one invariant together (no
//! credential is cut at a chunk border, none handed over twice), which
//! reads best in one place.

use crate::core::detect::{Anchor, Candidate, Detector, LOOKBEHIND, MAX_LOOKAHEAD};
use crate::core::finding::Finding;
use crate::core::rules::{Confidence, Kind};
use std::cell::RefCell;
use std::io::{self, Read};

/// Bytes read per call.
pub const CHUNK: usize = 256 * 1024;
/// Longest merged finding held back while more overlapping candidates may
/// join it; a longer one is handed over and the rest follows as another.
pub const MERGE_CAP: usize = MAX_LOOKAHEAD;
/// Room kept beyond a chunk for the undecided tail, the look-behind and an
/// open merged finding.
const SLACK: usize = 2 * (MAX_LOOKAHEAD + LOOKBEHIND) + MERGE_CAP + 4096;

/// Whether a [`Sink`] wants the rest of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Go on.
    Continue,
    /// Hand this sink nothing more: it has what it needs, or knows the
    /// rest is useless (the reader went away; the rewrite must restart).
    /// The sink itself records why.
    Stop,
}

/// Returns from the enclosing function with [`Flow::Stop`] when `$flow`
/// (an `io::Result<Flow>`) stops; passes errors on.
macro_rules! stop_if_stopped {
    ($flow:expr) => {
        if $flow? == $crate::core::stream::Flow::Stop {
            return Ok($crate::core::stream::Flow::Stop);
        }
    };
}
pub(crate) use stop_if_stopped;

/// A consumer of a scanned stream.
///
/// Calls come in stream order: [`data`](Sink::data) and
/// [`finding`](Sink::finding) interleaved, then [`finish`](Sink::finish)
/// once the stream ended — unless a call answered [`Flow::Stop`]: then
/// nothing more comes, `finish` included. An `Err` is a real failure
/// (a write that failed), never a way to stop.
pub trait Sink {
    /// Bytes that belong to no finding, in order.
    fn data(&mut self, _bytes: &[u8]) -> io::Result<Flow> {
        Ok(Flow::Continue)
    }
    /// One finding, in order, in place of its bytes.
    fn finding(&mut self, finding: &Finding) -> io::Result<Flow>;
    /// The stream ended and every byte of it was handed over.
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A sink that collects findings.
impl Sink for Vec<Finding> {
    fn finding(&mut self, finding: &Finding) -> io::Result<Flow> {
        self.push(finding.clone());
        Ok(Flow::Continue)
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
    /// Overlapping findings merged so far, not yet handed over; it starts
    /// at `emitted` and may still grow.
    open: Option<Merged>,
    anchors: Vec<Anchor>,
    lowered: Vec<u8>,
    candidates: Vec<Candidate>,
    lines: Option<LineTracker>,
    finished: bool,
    /// The sink answered [`Flow::Stop`]: it is handed nothing more.
    stopped: bool,
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

/// How strong a finding is when it overlaps another: confidence first,
/// then known secrets (the user named them), then checksum-validated
/// tokens, then the longer value. The strongest gives a merged finding its
/// kind, confidence and fingerprint.
pub fn overlap_rank(f: &Finding) -> (Confidence, u8, usize) {
    let class = match f.kind {
        Kind::KnownSecret | Kind::KnownSecretFragment => 2,
        Kind::UserToken | Kind::AccountToken | Kind::GlobalKey | Kind::AccessServiceSecret
            if f.confidence == Confidence::High =>
        {
            1
        }
        _ => 0,
    };
    (f.confidence, class, f.length)
}

/// A finding covering the union of overlapping candidates.
struct Merged {
    /// The union's place, with the strongest member's kind, confidence
    /// and fingerprint.
    span: Finding,
    /// The strongest member's rank.
    rank: (Confidence, u8, usize),
}

impl Merged {
    fn new(f: Finding) -> Merged {
        Merged {
            rank: overlap_rank(&f),
            span: f,
        }
    }

    fn absorb(&mut self, f: Finding) {
        let end = self.span.end().max(f.end());
        let rank = overlap_rank(&f);
        if rank > self.rank {
            self.rank = rank;
            self.span.kind = f.kind;
            self.span.confidence = f.confidence;
            self.span.fingerprint = f.fingerprint;
            self.span.encoding = f.encoding;
        }
        self.span.length = (end - self.span.offset) as usize;
    }
}

thread_local! {
    /// The full-size buffer of the last scanner that ended on this thread,
    /// kept for the next one: a fresh 256 KiB allocation per file is mapped
    /// anew and page-faulted in, which dominated scans of trees of small
    /// files. One per thread, so memory stays bounded by the worker count.
    static SPARE_BUFFER: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// A buffer of `CHUNK + SLACK` bytes, reused when this thread has one.
fn full_buffer() -> Vec<u8> {
    SPARE_BUFFER
        .with(|spare| spare.borrow_mut().take())
        .unwrap_or_else(|| vec![0; CHUNK + SLACK])
}

impl Drop for StreamScanner<'_> {
    fn drop(&mut self) {
        if self.buf.len() == CHUNK + SLACK {
            let buf = std::mem::take(&mut self.buf);
            SPARE_BUFFER.with(|spare| *spare.borrow_mut() = Some(buf));
        }
    }
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
            buf: if chunk == CHUNK {
                full_buffer()
            } else {
                vec![0; chunk]
            },
            len: 0,
            base: 0,
            decided: 0,
            emitted: 0,
            pending: Vec::new(),
            open: None,
            anchors: Vec::new(),
            lowered: Vec::new(),
            candidates: Vec::new(),
            lines: count_lines.then(LineTracker::default),
            finished: false,
            stopped: false,
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

    /// True once the sink answered [`Flow::Stop`].
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Notes a sink's answer: a stop is remembered.
    fn note(&mut self, flow: io::Result<Flow>) -> io::Result<Flow> {
        self.stopped |= matches!(flow, Ok(Flow::Stop));
        flow
    }

    /// Reads once from `reader` into the buffer and processes what arrived.
    /// Returns the number of bytes read: 0 at end of input (then call
    /// [`StreamScanner::finish`]) or once the sink stopped (then it is not
    /// read at all; see [`StreamScanner::stopped`]).
    pub fn read_from(&mut self, reader: &mut impl Read, sink: &mut impl Sink) -> io::Result<usize> {
        if self.stopped {
            return Ok(0);
        }
        let n = loop {
            match reader.read(self.free_space()) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        if n > 0 {
            self.len += n;
            let flow = self.process(sink, false);
            self.note(flow)?;
        }
        Ok(n)
    }

    /// Processes bytes that arrived by other means (a pipe read elsewhere).
    pub fn feed(&mut self, mut data: &[u8], sink: &mut impl Sink) -> io::Result<Flow> {
        while !data.is_empty() && !self.stopped {
            let space = self.free_space();
            let n = space.len().min(data.len());
            space[..n].copy_from_slice(&data[..n]);
            self.len += n;
            data = &data[n..];
            let flow = self.process(sink, false);
            self.note(flow)?;
        }
        Ok(self.flow())
    }

    /// Ends the stream: decides every remaining anchor, emits the rest and
    /// tells the sink ([`Sink::finish`]).
    pub fn finish(&mut self, sink: &mut impl Sink) -> io::Result<Flow> {
        if !self.finished && !self.stopped {
            self.finished = true;
            let flow = self.process(sink, true);
            if self.note(flow)? == Flow::Continue {
                sink.finish()?;
            }
        }
        Ok(self.flow())
    }

    /// Ends the stream with its last bytes `data`: [`feed`](Self::feed)
    /// then [`finish`](Self::finish), in one pass when they fit in the
    /// buffer — nothing is left for a later read to decide, so the end is
    /// not searched for the start of an anchor (what makes a tree of small
    /// files cheap).
    pub fn finish_with(&mut self, data: &[u8], sink: &mut impl Sink) -> io::Result<Flow> {
        if !self.stopped && !self.finished && data.len() <= self.chunk {
            let space = self.free_space();
            space[..data.len()].copy_from_slice(data);
            self.len += data.len();
            return self.finish(sink);
        }
        self.feed(data, sink)?;
        self.finish(sink)
    }

    fn flow(&self) -> Flow {
        if self.stopped {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    /// Reads `reader` to its end through the scanner, or until the sink
    /// stops ([`Flow::Stop`]).
    pub fn scan_reader(
        &mut self,
        reader: &mut impl Read,
        sink: &mut impl Sink,
    ) -> io::Result<Flow> {
        while self.read_from(reader, sink)? > 0 {}
        self.finish(sink)
    }

    fn process(&mut self, sink: &mut impl Sink, eof: bool) -> io::Result<Flow> {
        let bytes = &self.buf[..self.len];
        let from = (self.decided - self.base) as usize;
        // The bytes at the end that may still grow into an anchor hide
        // one not found yet, which may start before an anchor found after
        // it (a known secret's first characters around a complete
        // `cfut_`): nothing from there on is decided.
        let mut decided_to = if eof {
            bytes.len()
        } else {
            bytes.len() - self.detector.undecided_suffix(&bytes[from..])
        };
        self.anchors.clear();
        self.detector
            .find_anchors(bytes, from, &mut self.lowered, &mut self.anchors);
        for &anchor in &self.anchors {
            if anchor.pos >= decided_to {
                break;
            }
            if !self
                .detector
                .evaluate(bytes, anchor, eof, &mut self.candidates)
            {
                decided_to = anchor.pos;
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
                encoding: c.encoding,
                line: 0,
                column: 0,
            });
        }
        self.decided = self.base + decided_to as u64;
        self.emit(sink)
    }

    /// Hands over, in stream order, every finding and every byte of data
    /// that nothing undecided can touch any more.
    fn emit(&mut self, sink: &mut impl Sink) -> io::Result<Flow> {
        // Findings start at or after their anchor, so every finding starting
        // before `decided` is known: those can be merged and placed.
        self.pending.sort_by_key(|f| f.offset);
        let ready = self.pending.partition_point(|f| f.offset < self.decided);
        let mut pending = std::mem::take(&mut self.pending);
        for finding in pending.drain(..ready) {
            // A stopped scanner is never resumed: what is left may be lost.
            stop_if_stopped!(self.merge(finding, sink));
        }
        self.pending = pending;
        // No later finding can start before `decided`, so a merged finding
        // ending by then is complete.
        if self
            .open
            .as_ref()
            .is_some_and(|m| m.span.end() <= self.decided)
        {
            stop_if_stopped!(self.hand_over(sink));
        }
        if self.open.is_none() && self.decided > self.emitted {
            stop_if_stopped!(self.data_up_to(self.decided, sink));
        }
        Ok(Flow::Continue)
    }

    /// Adds one finding (in offset order) to the open merged finding, or
    /// hands that over and opens a new one.
    fn merge(&mut self, mut finding: Finding, sink: &mut impl Sink) -> io::Result<Flow> {
        if finding.end() <= self.emitted {
            return Ok(Flow::Continue); // wholly inside a span already handed over
        }
        if finding.offset < self.emitted {
            // Overlaps a piece of a merged span cut at MERGE_CAP: the rest.
            finding.length = (finding.end() - self.emitted) as usize;
            finding.offset = self.emitted;
        }
        match &mut self.open {
            Some(open) if finding.offset < open.span.end() => open.absorb(finding),
            _ => {
                stop_if_stopped!(self.hand_over(sink));
                stop_if_stopped!(self.data_up_to(finding.offset, sink));
                if let Some(lines) = &self.lines {
                    (finding.line, finding.column) = lines.place(finding.offset);
                }
                self.open = Some(Merged::new(finding));
            }
        }
        if self
            .open
            .as_ref()
            .is_some_and(|m| m.span.length > MERGE_CAP)
        {
            return self.hand_over(sink);
        }
        Ok(Flow::Continue)
    }

    /// Hands the open merged finding, if any, to the sink.
    fn hand_over(&mut self, sink: &mut impl Sink) -> io::Result<Flow> {
        let Some(merged) = self.open.take() else {
            return Ok(Flow::Continue);
        };
        let finding = merged.span;
        stop_if_stopped!(sink.finding(&finding));
        if let Some(lines) = &mut self.lines {
            let start = (finding.offset - self.base) as usize;
            lines.advance(&self.buf[start..start + finding.length], finding.offset);
        }
        self.emitted = finding.end();
        Ok(Flow::Continue)
    }

    /// Hands the data from `emitted` up to stream offset `to` to the sink.
    fn data_up_to(&mut self, to: u64, sink: &mut impl Sink) -> io::Result<Flow> {
        if to <= self.emitted {
            return Ok(Flow::Continue);
        }
        let from = (self.emitted - self.base) as usize;
        let end = (to - self.base) as usize;
        stop_if_stopped!(sink.data(&self.buf[from..end]));
        if let Some(lines) = &mut self.lines {
            lines.advance(&self.buf[from..end], self.emitted);
        }
        self.emitted = to;
        Ok(Flow::Continue)
    }
}

/// Scans a whole in-memory buffer (tests, short texts) and returns its findings.
pub fn scan_bytes(detector: &Detector, bytes: &[u8]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut scanner = StreamScanner::with_chunk(detector, true, bytes.len());
    scanner
        .finish_with(bytes, &mut findings)
        .expect("collecting findings cannot fail");
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::finding::Fingerprint;
    use crate::core::secrets::KnownSecrets;

    /// Passes data through, replacing findings with `#`.
    struct Masker(Vec<u8>);
    impl Sink for Masker {
        fn data(&mut self, bytes: &[u8]) -> io::Result<Flow> {
            self.0.extend_from_slice(bytes);
            Ok(Flow::Continue)
        }
        fn finding(&mut self, f: &Finding) -> io::Result<Flow> {
            self.0.extend(std::iter::repeat_n(b'#', f.length));
            Ok(Flow::Continue)
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
        crate::mask::sanitize::assert_same("masked stream", &out.0, expected.as_bytes());
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
    fn overlapping_findings_merge_into_one_with_the_strongest_kind() {
        let det = Detector::new(&KnownSecrets::new());
        let mut g = crate::fake::FakeGen::new(6);
        for (debris, token) in [
            ("cfut_", g.scannable("cfut_", true)),
            ("cfk_", g.scannable("cfat_", true)),
            ("cfat_abcd", g.scannable("cfut_", true)),
        ] {
            let text = format!("X={debris}{token}\n");
            let f = scan_bytes(&det, text.as_bytes());
            assert_eq!(f.len(), 1, "after {debris:?}");
            let want = if token.starts_with("cfut_") {
                Kind::UserToken
            } else {
                Kind::AccountToken
            };
            assert_eq!((f[0].kind, f[0].confidence), (want, Confidence::High));
            assert_eq!((f[0].offset, f[0].length), (2, debris.len() + 53));
            assert_eq!(f[0].fingerprint, Fingerprint::of(token.as_bytes()));
            let mut out = Masker(Vec::new());
            StreamScanner::with_chunk(&det, false, 7)
                .scan_reader(&mut text.as_bytes(), &mut out)
                .unwrap();
            let masked = "#".repeat(debris.len() + 53);
            crate::mask::sanitize::assert_same(
                "masked",
                &out.0,
                format!("X={masked}\n").as_bytes(),
            );
        }
    }

    #[test]
    fn the_next_scanner_on_a_thread_reuses_the_buffer_of_the_last() {
        let det = Detector::new(&KnownSecrets::new());
        let first = StreamScanner::new(&det, false);
        let at = first.buf.as_ptr();
        drop(first);
        let second = StreamScanner::new(&det, false);
        assert_eq!(second.buf.as_ptr(), at, "the spare buffer was reused");
        assert_eq!(second.buf.len(), CHUNK + SLACK);
        // Small-chunk scanners neither take nor return it.
        let small = StreamScanner::with_chunk(&det, false, 7);
        assert_ne!(small.buf.as_ptr(), at);
    }

    #[test]
    fn a_chain_of_overlaps_longer_than_the_merge_cap_is_masked_in_pieces() {
        // `cfut_cfut_cfut_…`: each partial overlaps the next, over 2 chunks.
        let det = Detector::new(&KnownSecrets::new());
        let text = format!("a {}cfut_AbCd b\n", "cfut_".repeat(120_000));
        let mut out = Masker(Vec::new());
        let mut s = StreamScanner::new(&det, true);
        let mut found = 0;
        struct Count<'a>(&'a mut Masker, &'a mut usize);
        impl Sink for Count<'_> {
            fn data(&mut self, bytes: &[u8]) -> io::Result<Flow> {
                self.0.data(bytes)
            }
            fn finding(&mut self, f: &Finding) -> io::Result<Flow> {
                *self.1 += 1;
                self.0.finding(f)
            }
        }
        s.scan_reader(&mut text.as_bytes(), &mut Count(&mut out, &mut found))
            .unwrap();
        assert_eq!(s.buf.len(), CHUNK + SLACK, "memory stays bounded");
        let chain: usize = 5 * 120_000 + 9;
        assert!(
            (2..=chain / MERGE_CAP + 1).contains(&found),
            "{found} pieces"
        );
        let masked = format!("a {} b\n", "#".repeat(chain));
        crate::mask::sanitize::assert_same("masked chain", &out.0, masked.as_bytes());
    }

    #[test]
    fn an_anchor_still_arriving_is_not_skipped_for_a_later_one_that_waits() {
        // Fuzzing (stream_chunks target) found a known secret whose first
        // characters lay inside a PEM header still arriving: the known
        // anchor, complete, waited for more; the scanner took everything
        // before it as decided and never saw the header. The same with a
        // known secret's first characters around a complete `cfut_`.
        for (value, text) in [
            (
                "GO TUNNEL TOKEN-----\n",
                "-----BEGIN ARGO TUNNEL TOKEN-----\n",
            ),
            ("abcfut_XyZw-Qq$Rr%Ss", "x abcfut_XyZw-Qq$Rr%Ss y\n"),
        ] {
            let mut secrets = KnownSecrets::new();
            secrets
                .add(zeroize::Zeroizing::new(value.into()), "test", 1)
                .unwrap();
            let det = Detector::new(&secrets);
            let whole = scan_bytes(&det, text.as_bytes());
            let start = text.find(&value[..2]).unwrap() as u64;
            assert!(
                whole.iter().any(|f| f.offset <= start
                    && start + value.len() as u64 <= f.end()
                    && f.kind == Kind::KnownSecret),
                "the whole value is one finding"
            );
            for k in 0..=text.len() {
                let mut found = Vec::new();
                let mut s = StreamScanner::new(&det, true);
                s.feed(&text.as_bytes()[..k], &mut found).unwrap();
                s.feed(&text.as_bytes()[k..], &mut found).unwrap();
                s.finish(&mut found).unwrap();
                assert!(found == whole, "split at {k} differs");
            }
        }
    }

    /// Stops at the first finding; counts what it was handed.
    #[derive(Default)]
    struct StopAtFirst {
        data: usize,
        findings: usize,
        finished: bool,
    }
    impl Sink for StopAtFirst {
        fn data(&mut self, bytes: &[u8]) -> io::Result<Flow> {
            self.data += bytes.len();
            Ok(Flow::Continue)
        }
        fn finding(&mut self, _: &Finding) -> io::Result<Flow> {
            self.findings += 1;
            Ok(Flow::Stop)
        }
        fn finish(&mut self) -> io::Result<()> {
            self.finished = true;
            Ok(())
        }
    }

    #[test]
    fn a_sink_that_stops_is_handed_nothing_more_and_the_input_is_not_read_on() {
        let det = Detector::new(&KnownSecrets::new());
        let line = "x grep cfat_AbCdE y\n";
        let text = line.repeat(3);
        for chunk in [1, 5, CHUNK] {
            let mut sink = StopAtFirst::default();
            let mut reader = text.as_bytes();
            let mut s = StreamScanner::with_chunk(&det, false, chunk);
            assert_eq!(s.scan_reader(&mut reader, &mut sink).unwrap(), Flow::Stop);
            assert!(s.stopped());
            assert_eq!((sink.data, sink.findings, sink.finished), (7, 1, false));
            if chunk < line.len() {
                assert!(!reader.is_empty(), "chunk {chunk}: read on after the stop");
            }
            assert_eq!(s.feed(b"cfat_AbCdE ", &mut sink).unwrap(), Flow::Stop);
            assert_eq!(s.finish(&mut sink).unwrap(), Flow::Stop);
            assert_eq!((sink.findings, sink.finished), (1, false));
        }
        let mut sink = StopAtFirst::default();
        let flow = StreamScanner::new(&det, false)
            .scan_reader(&mut &b"clean\n"[..], &mut sink)
            .unwrap();
        assert_eq!((flow, sink.data, sink.finished), (Flow::Continue, 6, true));
    }

    #[test]
    fn finishing_with_the_last_bytes_hands_over_what_feed_and_finish_do() {
        let det = Detector::new(&KnownSecrets::new());
        let token = crate::fake::FakeGen::new(9).scannable("cfut_", true);
        for text in [
            format!("a {token}"),
            format!("x\n{token}\ncfu"),
            "grep cfat_AbCdE".to_string(),
            String::new(),
        ] {
            let (mut one, mut two) = (Masker(Vec::new()), Masker(Vec::new()));
            let mut s = StreamScanner::new(&det, true);
            assert_eq!(
                s.finish_with(text.as_bytes(), &mut one).unwrap(),
                Flow::Continue
            );
            let mut s = StreamScanner::new(&det, true);
            s.feed(text.as_bytes(), &mut two).unwrap();
            s.finish(&mut two).unwrap();
            crate::mask::sanitize::assert_same("finished with", &one.0, &two.0);
            assert_eq!(scan_bytes(&det, text.as_bytes()).len(), {
                let mut found = Vec::new();
                let mut s = StreamScanner::with_chunk(&det, true, 3);
                s.scan_reader(&mut text.as_bytes(), &mut found).unwrap();
                found.len()
            });
        }
    }

    #[test]
    fn line_and_column_are_counted() {
        let det = Detector::new(&KnownSecrets::new());
        let f = scan_bytes(&det, b"one\ntwo\r\n  grep cfat_AbCdE\n");
        assert_eq!((f[0].line, f[0].column, f[0].offset), (3, 8, 16));
    }
}
