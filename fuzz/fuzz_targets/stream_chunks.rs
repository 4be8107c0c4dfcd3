//! The stream scanner fed a fuzzed text in fuzzed pieces — through `feed`
//! or through a reader, with a fuzzed read size, with or without a known
//! secret taken from the text — finds exactly what the whole-buffer scan
//! finds, and hands every byte over once, in order: data and findings
//! tile the stream.
#![no_main]

use arbitrary::Arbitrary;
use cfscrub::core::detect::Detector;
use cfscrub::core::finding::Finding;
use cfscrub::core::secrets::KnownSecrets;
use cfscrub::core::stream::{scan_bytes, Flow, Sink, StreamScanner};
use cfscrub_fuzz::naive::summary;
use cfscrub_fuzz::{assert_planted_covered, assert_well_formed, Sizes, Text, Trickle};
use libfuzzer_sys::fuzz_target;
use std::io;
use std::sync::LazyLock;
use zeroize::Zeroizing;

static DETECTOR: LazyLock<Detector> = LazyLock::new(|| Detector::new(&KnownSecrets::new()));

#[derive(Arbitrary, Debug)]
struct Input {
    text: Text,
    sizes: Sizes,
    /// Through a reader (`read_from`) rather than `feed`.
    reader: bool,
    /// The scanner's read size (`with_chunk`); 0 for the default.
    chunk: u16,
    /// A known secret: `len` bytes of the text from `at` (if accepted).
    known: Option<(u16, u16)>,
}

/// Collects the findings and checks that data and findings tile the input.
struct Tiling<'a> {
    input: &'a [u8],
    at: usize,
    findings: Vec<Finding>,
}

impl Sink for Tiling<'_> {
    fn data(&mut self, bytes: &[u8]) -> io::Result<Flow> {
        let end = self.at + bytes.len();
        assert!(
            self.input.get(self.at..end) == Some(bytes),
            "data handed over at {} ({} bytes) is not the input's",
            self.at,
            bytes.len()
        );
        self.at = end;
        Ok(Flow::Continue)
    }

    fn finding(&mut self, f: &Finding) -> io::Result<Flow> {
        assert!(
            f.offset == self.at as u64,
            "finding at {} handed over when the stream is at {}",
            f.offset,
            self.at
        );
        self.at += f.length;
        self.findings.push(f.clone());
        Ok(Flow::Continue)
    }
}

fuzz_target!(|input: Input| {
    let bytes = &input.text.bytes;
    let own;
    let detector = match input.known {
        Some((at, len)) if !bytes.is_empty() => {
            let at = at as usize % bytes.len();
            let value = &bytes[at..(at + len as usize).min(bytes.len())];
            let mut known = KnownSecrets::new();
            if known
                .add(Zeroizing::new(value.to_vec()), "fuzz", 1)
                .is_err()
            {
                return;
            }
            own = Detector::new(&known);
            &own
        }
        _ => &*DETECTOR,
    };
    let whole = scan_bytes(detector, bytes);
    assert_well_formed(&whole, bytes.len());
    assert_planted_covered(&whole, &input.text.planted);

    let mut scanner = if input.chunk == 0 {
        StreamScanner::new(detector, true)
    } else {
        StreamScanner::with_chunk(detector, true, input.chunk as usize)
    };
    let mut sink = Tiling {
        input: bytes,
        at: 0,
        findings: Vec::new(),
    };
    if input.reader {
        let mut reader = Trickle::new(bytes, &input.sizes);
        scanner.scan_reader(&mut reader, &mut sink).unwrap();
    } else {
        let mut rest = &bytes[..];
        let mut i = 0;
        while !rest.is_empty() {
            let n = input.sizes.get(i, rest.len());
            scanner.feed(&rest[..n], &mut sink).unwrap();
            rest = &rest[n..];
            i += 1;
        }
        scanner.finish(&mut sink).unwrap();
    }
    assert_eq!(sink.at, bytes.len(), "the stream was not handed over whole");
    assert_eq!(scanner.position(), bytes.len() as u64);
    assert!(
        sink.findings == whole,
        "chunked findings {:?} differ from the whole-buffer scan {:?} (offset, length, kind, confidence)",
        summary(&sink.findings),
        summary(&whole)
    );
});
