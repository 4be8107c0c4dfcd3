//! What the fuzz targets share: a structured fuzzed text with planted
//! checksum-valid tokens, a reader handing data out in fuzzed pieces, the
//! naive detector reference of the tests, and the checks every target
//! makes on findings.
//!
//! Failure messages name offsets, lengths, kinds and indexes, never the
//! bytes of a planted value (the same rule as the test suite's).

use arbitrary::{Arbitrary, Unstructured};
use cfscrub::core::finding::Finding;
use cfscrub::core::stream::MERGE_CAP;
use std::fmt;
use std::io::{self, Read};
use std::ops::Range;

/// The naive regex reference, shared with `tests/chunking.rs`.
#[path = "../../tests/naive/mod.rs"]
pub mod naive;

/// The prefixes of the checksum-validated (scannable) token formats.
pub const SCANNABLE_PREFIXES: [&str; 4] = ["cfut_", "cfat_", "cfk_", "cfast_"];

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const HEX: &[u8] = b"0123456789abcdef";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

/// Fragments the detector cares about: its anchors, context words, the
/// separators and ANSI codes it looks past, the lines around a PEM block.
const WORDS: &[&[u8]] = &[
    b"cfut_",
    b"cfat_",
    b"cfk_",
    b"cfast_",
    b"cfoat_",
    b"cfort_",
    b"cfat_abcd",
    b"cfk_Zz09",
    b"v1.0-",
    b"0x4AAAAAA",
    b"eyJhIjoi",
    b"eyJhIjo",
    b"-----BEGIN ARGO TUNNEL TOKEN-----\n",
    b"\n-----END ARGO TUNNEL TOKEN-----",
    b"CLOUDFLARE_API_TOKEN=",
    b"CLOUDFLARE_API_KEY=",
    b"CF_API_KEY=",
    b"CF_API_TOKEN: ",
    b"api_token",
    b"api_key=",
    b"apiToken: ",
    b"X-Auth-Key: ",
    b"auth_key",
    b"cf-access-client-secret",
    b"R2_SECRET_ACCESS_KEY=",
    b"TURNSTILE_SECRET_KEY=",
    b"Authorization: Bearer ",
    b" https://api.cloudflare.com/client/v4/",
    b"\x1b[33m",
    b"\x1b[0m",
    b"\x1b[0K",
    b"\x1b[1;31m",
    b" ",
    b"\n",
    b"\r\n",
    b"\"",
    b"'",
    b"=",
    b": ",
    b".",
    b"_",
    b"-",
    b"\0",
];

/// One piece of a fuzzed text.
#[derive(Arbitrary)]
enum Piece {
    /// Raw bytes.
    Debris(Vec<u8>),
    /// One of [`WORDS`].
    Word(u8),
    /// A run of characters of one alphabet (hex, alphanumeric, URL-safe,
    /// base64), long runs being what values are made of.
    Run { alphabet: u8, chars: Vec<u8> },
    /// A scannable token: one of [`SCANNABLE_PREFIXES`], 40 alphanumeric
    /// characters and their CRC-32 — or a wrong one when `valid` is false.
    Token {
        prefix: u8,
        body: [u8; 40],
        valid: bool,
    },
}

/// A fuzzed text: debris, dictionary words, character runs and planted
/// checksum-valid tokens, in the order the fuzzer chose. At most
/// [`MERGE_CAP`] bytes long, so that no merged finding is ever cut in
/// pieces (the naive merge does not model that cut).
pub struct Text {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Where the planted checksum-valid tokens are.
    pub planted: Vec<Range<usize>>,
}

impl<'a> Arbitrary<'a> for Text {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Text> {
        let mut text = Text {
            bytes: Vec::new(),
            planted: Vec::new(),
        };
        // A `Vec` takes its length from the input's last bytes, leaving
        // the rest to the fields after the text.
        let pieces: Vec<Piece> = u.arbitrary()?;
        for piece in pieces {
            let before = text.bytes.len();
            match piece {
                Piece::Debris(bytes) => text.bytes.extend_from_slice(&bytes),
                Piece::Word(i) => text
                    .bytes
                    .extend_from_slice(WORDS[i as usize % WORDS.len()]),
                Piece::Run { alphabet, chars } => {
                    let alphabet = [HEX, ALNUM, URL_SAFE, BASE64][alphabet as usize % 4];
                    text.bytes
                        .extend(chars.iter().map(|&c| alphabet[c as usize % alphabet.len()]));
                }
                Piece::Token {
                    prefix,
                    body,
                    valid,
                } => {
                    let prefix = SCANNABLE_PREFIXES[prefix as usize % SCANNABLE_PREFIXES.len()];
                    let body: Vec<u8> = body
                        .iter()
                        .map(|&c| ALNUM[c as usize % ALNUM.len()])
                        .collect();
                    let crc = crc32fast::hash(&body);
                    let check = if valid { crc } else { !crc };
                    text.bytes.extend_from_slice(prefix.as_bytes());
                    text.bytes.extend_from_slice(&body);
                    text.bytes
                        .extend_from_slice(format!("{check:08x}").as_bytes());
                    if valid {
                        text.planted.push(before..text.bytes.len());
                    }
                }
            }
            if text.bytes.len() > MERGE_CAP {
                text.bytes.truncate(before);
                text.planted.retain(|p| p.end <= before);
                break;
            }
        }
        Ok(text)
    }
}

/// Sizes and the planted places only: the bytes hold fake credentials.
impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Text({} bytes, planted at {:?})",
            self.bytes.len(),
            self.planted
        )
    }
}

/// Piece sizes for a reader or a feeder, each at least 1, used in turn.
#[derive(Arbitrary, Debug)]
pub struct Sizes(Vec<u16>);

impl Sizes {
    /// The `i`-th size (cycling), between 1 and `limit`.
    pub fn get(&self, i: usize, limit: usize) -> usize {
        if self.0.is_empty() {
            return limit.max(1);
        }
        (self.0[i % self.0.len()] as usize).clamp(1, limit.max(1))
    }
}

/// A reader handing its data out in pieces of the given sizes, in turn.
pub struct Trickle<'a> {
    rest: &'a [u8],
    sizes: &'a Sizes,
    i: usize,
}

impl<'a> Trickle<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8], sizes: &'a Sizes) -> Trickle<'a> {
        Trickle {
            rest: data,
            sizes,
            i: 0,
        }
    }
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self
            .sizes
            .get(self.i, usize::MAX)
            .min(self.rest.len())
            .min(buf.len());
        self.i += 1;
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Ok(n)
    }
}

/// Panics unless the findings are in bounds, non-empty, sorted and
/// non-overlapping.
pub fn assert_well_formed(findings: &[Finding], len: usize) {
    for (i, f) in findings.iter().enumerate() {
        assert!(f.length > 0, "finding #{i} is empty");
        assert!(
            f.end() <= len as u64,
            "finding #{i} ({}+{}) ends past the text ({len} bytes)",
            f.offset,
            f.length
        );
        if let Some(next) = findings.get(i + 1) {
            assert!(
                f.end() <= next.offset,
                "findings #{i} ({}+{}) and #{} ({}+{}) overlap or are out of order",
                f.offset,
                f.length,
                i + 1,
                next.offset,
                next.length
            );
        }
    }
}

/// Panics unless each planted token lies wholly inside one finding.
pub fn assert_planted_covered(findings: &[Finding], planted: &[Range<usize>]) {
    for (i, p) in planted.iter().enumerate() {
        let (start, end) = (p.start as u64, p.end as u64);
        assert!(
            findings.iter().any(|f| f.offset <= start && end <= f.end()),
            "planted token #{i} (bytes {p:?}) is not covered by one finding"
        );
    }
}

/// `text` with each finding replaced by `marker(length)`.
pub fn masked(text: &[u8], findings: &[Finding], marker: impl Fn(usize) -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut at = 0;
    for f in findings {
        let start = f.offset as usize;
        out.extend_from_slice(&text[at..start]);
        out.extend(marker(f.length));
        at = start + f.length;
    }
    out.extend_from_slice(&text[at..]);
    out
}

/// Panics if `output` holds an 8-byte window of a planted token that
/// `text` does not also hold outside every planted token (the fuzzer may
/// copy a token's bytes into debris).
pub fn assert_no_planted_window(text: &Text, output: &[u8], what: &str) {
    let inside = |r: &Range<usize>| {
        text.planted
            .iter()
            .any(|p| p.start <= r.start && r.end <= p.end)
    };
    let elsewhere: std::collections::HashSet<&[u8]> = (0..text.bytes.len().saturating_sub(7))
        .map(|i| i..i + 8)
        .filter(|r| !inside(r))
        .map(|r| &text.bytes[r])
        .collect();
    for (i, p) in text.planted.iter().enumerate() {
        let windows: std::collections::HashSet<&[u8]> = text.bytes[p.clone()]
            .windows(8)
            .filter(|w| !elsewhere.contains(w))
            .collect();
        if let Some(at) = output.windows(8).position(|w| windows.contains(w)) {
            panic!("planted token #{i} (bytes {p:?}) survives in the {what}: an 8-byte window of it at byte {at}");
        }
    }
}
