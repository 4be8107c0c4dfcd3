//! The chunked scanner agrees with a whole-buffer scan and with a naive
//! regex reference, whatever the chunk boundaries and whatever is glued
//! around the credentials (a prefix typed twice, partial prefixes, letters,
//! dots, ANSI codes); and no planted credential survives masking.
//!
//! Inputs are built inside the test from a seed, so a failing case prints
//! seeds, sizes, offsets and kinds, never a generated credential.

use cfscrub::core::counts::{Replacement, DEFAULT_REPLACEMENT};
use cfscrub::core::detect::Detector;
use cfscrub::core::finding::Finding;
use cfscrub::core::rules::Kind;
use cfscrub::core::secrets::KnownSecrets;
use cfscrub::core::stream::{scan_bytes, StreamScanner};
use cfscrub::fake::FakeGen;
use cfscrub::mask::masker::mask_stream;
use naive::{in_reference_scope, naive_merge, raw_candidates, reference_candidates, summary, Span};
use proptest::prelude::*;
use std::collections::HashSet;
use std::io::Read;
use std::ops::Range;

mod naive;

const PREFIXES: [&str; 4] = ["cfut_", "cfat_", "cfk_", "cfast_"];
/// What goes before each piece: separators, and debris glued to the piece
/// (and to the end of the piece before it).
const BEFORE: [&[u8]; 26] = [
    b" ",
    b"\n",
    b"\"",
    b"=",
    b"\r\n",
    b"",
    b": ",
    b"\x1b[33m",
    b"...",
    b"cfut_",
    b"cfat_",
    b"cfk_",
    b"cfast_",
    b"cfat_abcd",
    b"cfk_Zz09",
    b"cfoat_",
    b"cfort_AbCd.",
    b"v1.0-",
    b"x",
    b"Q7",
    b".",
    b"_",
    b"\x1b[0K",
    b"\x1b[1;31m",
    b"eyJhIjo",
    b"0x4AAAAAA",
];

/// A generated text and where the credentials in it are.
struct Built {
    text: Vec<u8>,
    /// The planted credential values (not partials or junk).
    planted: Vec<Range<usize>>,
}

/// Builds a text from `pieces` (kind, what goes before) with fakes from `seed`.
fn build(seed: u64, pieces: &[(u8, u8)]) -> Built {
    let mut g = FakeGen::new(seed);
    let mut text = Vec::new();
    let mut planted = Vec::new();
    for &(kind, before) in pieces {
        text.extend_from_slice(BEFORE[before as usize % BEFORE.len()]);
        let prefix = PREFIXES[(kind as usize / 16) % 4];
        let ansi = ["", "\x1b[33m", "\x1b[1;31m", "\x1b[0K"][(kind as usize / 16) % 4];
        // (text before the value, the value, text after it, planted?)
        let (head, value, tail, secret): (String, Vec<u8>, &str, bool) = match kind % 16 {
            0 | 1 => (
                String::new(),
                g.scannable(prefix, true).into_bytes(),
                "",
                true,
            ),
            2 => (
                String::new(),
                g.scannable(prefix, false).into_bytes(),
                "",
                true,
            ),
            3 => {
                let n = 4 + (kind as usize % 5);
                let partial = format!("{prefix}{}", g.alnum(n));
                // A fragment, or a name: a call, a file, a longer identifier.
                let tail = ["", "(", ".o", "_x", " = 1", "", "==", "."][kind as usize / 16 % 8];
                (String::new(), partial.into_bytes(), tail, false)
            }
            4 => (String::new(), g.origin_ca().into_bytes(), "", true),
            5 => {
                let junk = g.alnum(3 + kind as usize % 9);
                (String::new(), junk.into_bytes(), "", false)
            }
            6 => (
                "CLOUDFLARE_API_TOKEN=".into(),
                g.legacy_token().into_bytes(),
                "",
                true,
            ),
            7 => (" X-Auth-Key: ".into(), g.hex(37).into_bytes(), "", true),
            8 => {
                let bytes = (0..(kind as usize % 20))
                    .map(|i| {
                        (seed as u8)
                            .wrapping_mul(31)
                            .wrapping_add((i as u8).wrapping_mul(97))
                    })
                    .collect();
                (String::new(), bytes, "", false)
            }
            9 => (
                "Bearer ".into(),
                g.legacy_token().into_bytes(),
                " https://api.cloudflare.com/",
                true,
            ),
            10 => (String::new(), g.tunnel_token().into_bytes(), "", true),
            11 => {
                let pem = g.argo_pem();
                let body_start = pem.find('\n').expect("header line") + 1;
                let body_end = pem.rfind('\n').expect("footer line");
                text.extend_from_slice(&pem.as_bytes()[..body_start]);
                planted.push(text.len()..text.len() + body_end - body_start);
                text.extend_from_slice(&pem.as_bytes()[body_start..]);
                continue;
            }
            12 => {
                let prefix = ["cfoat_", "cfort_"][kind as usize / 16 % 2];
                (String::new(), g.oauth(prefix).into_bytes(), "", true)
            }
            13 => {
                let key = match kind as usize / 16 % 3 {
                    0 => format!("v1.0-{}-{}-{}", g.hex(64), g.hex(128), g.hex(64)),
                    1 => format!("v1.0-{}-{}", g.hex(24), g.hex(120)),
                    _ => format!(
                        "v1.0-{}-{}-{}-{}",
                        g.hex(32),
                        g.hex(64),
                        g.hex(32),
                        g.hex(16)
                    ),
                };
                (String::new(), key.into_bytes(), "", true)
            }
            14 => {
                let n = 37 + kind as usize / 16 % 9;
                let head = match kind as usize / 16 % 3 {
                    0 => format!(" {ansi}CF_API_KEY="),
                    1 => " cloudflareApiKey: '".to_string(),
                    _ => " os.environ[\"CF_API_KEY\"] = \"".to_string(),
                };
                (head, g.hex(n).into_bytes(), "", true)
            }
            _ => ("secret: ".into(), g.turnstile().into_bytes(), "", true),
        };
        text.extend_from_slice(head.as_bytes());
        if secret {
            planted.push(text.len()..text.len() + value.len());
        }
        text.extend_from_slice(&value);
        text.extend_from_slice(tail.as_bytes());
    }
    Built { text, planted }
}

/// Feeds `text` to a scanner in pieces of the given sizes, in turn.
fn scan_chunked(detector: &Detector, text: &[u8], sizes: &[usize]) -> Vec<Finding> {
    let mut found = Vec::new();
    let mut scanner = StreamScanner::new(detector, true);
    let mut rest = text;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].clamp(1, rest.len());
        scanner.feed(&rest[..n], &mut found).unwrap();
        rest = &rest[n..];
        i += 1;
    }
    scanner.finish(&mut found).unwrap();
    found
}

/// A reader handing its data out in pieces of the given sizes, in turn.
struct Trickle<'a> {
    rest: &'a [u8],
    sizes: &'a [usize],
    i: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.sizes[self.i % self.sizes.len()]
            .min(self.rest.len())
            .min(buf.len());
        self.i += 1;
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Ok(n)
    }
}

/// Fails if `masked` holds an 8-byte window of a planted value that the
/// input does not also hold outside every planted value (constant parts
/// such as a tunnel token's `eyJhIjoi` occur in debris too). The message
/// names the value's index and offsets only.
fn assert_nothing_planted_survives(built: &Built, masked: &[u8]) -> Result<(), TestCaseError> {
    let text = &built.text;
    let inside = |r: &Range<usize>| {
        built
            .planted
            .iter()
            .any(|p| p.start <= r.start && r.end <= p.end)
    };
    let elsewhere: HashSet<&[u8]> = (0..text.len().saturating_sub(7))
        .map(|i| i..i + 8)
        .filter(|r| !inside(r))
        .map(|r| &text[r])
        .collect();
    for (index, value) in built.planted.iter().enumerate() {
        let windows: HashSet<&[u8]> = text[value.clone()]
            .windows(8)
            .filter(|w| !elsewhere.contains(w))
            .collect();
        if let Some(at) = masked.windows(8).position(|w| windows.contains(w)) {
            return Err(TestCaseError::fail(format!(
                "planted value #{index} (input bytes {value:?}) survives: an 8-byte window of it at output byte {at}"
            )));
        }
    }
    Ok(())
}

fn pieces() -> impl Strategy<Value = Vec<(u8, u8)>> {
    prop::collection::vec((any::<u8>(), any::<u8>()), 1..40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn chunked_equals_whole_buffer(
        seed in any::<u64>(),
        pieces in pieces(),
        sizes in prop::collection::vec(1usize..300, 1..8),
    ) {
        let detector = Detector::new(&KnownSecrets::new());
        let text = build(seed, &pieces).text;
        let whole = scan_bytes(&detector, &text);
        let chunked = scan_chunked(&detector, &text, &sizes);
        prop_assert!(whole == chunked, "chunked scan differs from whole-buffer scan");
    }

    #[test]
    fn agrees_with_naive_regex(
        seed in any::<u64>(),
        pieces in pieces(),
        sizes in prop::collection::vec(1usize..100, 1..8),
    ) {
        let detector = Detector::new(&KnownSecrets::new());
        let text = build(seed, &pieces).text;
        let raw = raw_candidates(&detector, &text);
        let (engine, other): (Vec<Span>, Vec<Span>) =
            raw.into_iter().partition(|s| in_reference_scope(s.2));
        let naive = reference_candidates(&text);
        prop_assert!(engine == naive, "detector {:?} vs naive {:?} (offsets, lengths, kinds)", engine, naive);
        // The stream merges what the reference finds plus the shapes it
        // does not model (legacy tokens, tunnel tokens, PEM blocks, Turnstile).
        let expected = naive_merge(naive.into_iter().chain(other).collect());
        let streamed = summary(&scan_chunked(&detector, &text, &sizes));
        prop_assert!(streamed == expected, "stream {:?} vs naive merge {:?}", streamed, expected);
    }

    #[test]
    fn no_planted_value_survives_masking_whatever_is_glued_around_it(
        seed in any::<u64>(),
        pieces in pieces(),
        sizes in prop::collection::vec(1usize..300, 1..8),
    ) {
        let detector = Detector::new(&KnownSecrets::new());
        let replacement = Replacement::new(DEFAULT_REPLACEMENT, &detector).unwrap();
        let built = build(seed, &pieces);
        let mut masked = Vec::new();
        let mut input = Trickle { rest: &built.text, sizes: &sizes, i: 0 };
        mask_stream(&detector, &replacement, &mut input, &mut masked).unwrap();
        assert_nothing_planted_survives(&built, &masked)?;
    }
}

#[test]
fn a_split_at_every_offset_finds_each_token_exactly_once() {
    let detector = Detector::new(&KnownSecrets::new());
    let text = build(
        42,
        &[
            (0, 0),
            (2, 1),
            (3, 7),
            (4, 2),
            (6, 3),
            (7, 4),
            (9, 1),
            (10, 0),
            (11, 1),
            (16, 5),
        ],
    )
    .text;
    let whole = scan_bytes(&detector, &text);
    assert!(whole.len() >= 9, "{} findings", whole.len());
    for k in 0..=text.len() {
        let mut found = Vec::new();
        let mut s = StreamScanner::new(&detector, true);
        s.feed(&text[..k], &mut found).unwrap();
        s.feed(&text[k..], &mut found).unwrap();
        s.finish(&mut found).unwrap();
        assert!(found == whole, "split at {k} differs");
    }
}

#[test]
fn prefix_debris_split_at_every_offset_gives_one_merged_finding() {
    let detector = Detector::new(&KnownSecrets::new());
    // `cfut_` typed twice, `cfk_` before a `cfat_` token, `cfat_abcd` glued
    // to a token, `cfoat_` twice, a dot before an Origin CA key.
    let text = build(7, &[(0, 9), (16, 11), (32, 13), (12, 15), (4, 20)]).text;
    let whole = scan_bytes(&detector, &text);
    let kinds: Vec<Kind> = whole.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            Kind::UserToken,
            Kind::AccountToken,
            Kind::GlobalKey,
            Kind::OAuthAccessToken,
            Kind::OriginCaKey
        ]
    );
    for k in 0..=text.len() {
        assert!(
            scan_chunked(&detector, &text, &[k.max(1), 1]) == whole,
            "split at {k} differs"
        );
    }
}

#[test]
fn known_secret_split_at_every_offset() {
    let mut g = FakeGen::new(5);
    let legacy = g.legacy_token();
    let mut secrets = KnownSecrets::new();
    secrets
        .add(
            zeroize::Zeroizing::new(legacy.clone().into_bytes()),
            "test",
            1,
        )
        .unwrap();
    let detector = Detector::new(&secrets);
    let text = format!("a {legacy} b {} c\n", &legacy[..9]).into_bytes();
    let whole = scan_bytes(&detector, &text);
    assert_eq!(
        whole.iter().map(|f| f.kind).collect::<Vec<_>>(),
        [Kind::KnownSecret, Kind::KnownSecretFragment]
    );
    for k in 0..=text.len() {
        assert!(
            scan_chunked(&detector, &text, &[k.max(1), 1]) == whole,
            "split at {k} differs"
        );
    }
}

/// A text of encoded credentials from `pieces` (form, what goes before):
/// base64 of a prefixed token after 0, 1 or 2 other bytes in both
/// alphabets, percent-encoded and escaped prefixes, base64 after a
/// Cloudflare keyword, a wrong checksum in base64. Also returns, for each
/// credential, the encoded characters that carry only its bytes.
fn build_encoded(seed: u64, pieces: &[(u8, u8)]) -> (Vec<u8>, Vec<String>) {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine;
    let mut g = FakeGen::new(seed);
    let mut text = Vec::new();
    let mut carried = Vec::new();
    for &(form, before) in pieces {
        text.extend_from_slice(BEFORE[before as usize % BEFORE.len()]);
        let prefix = PREFIXES[(form as usize / 8) % 4];
        let token = g.scannable(prefix, true);
        let piece = match form % 8 {
            0..=5 => {
                let lead = &"ab"[..(form as usize % 3).min(2)];
                let plain = format!("{lead}{token}");
                let encoded = if form % 8 < 3 {
                    STANDARD.encode(&plain)
                } else {
                    URL_SAFE_NO_PAD.encode(&plain)
                };
                let first = (8 * lead.len()).div_ceil(6);
                carried.push(encoded[first..8 * plain.len() / 6].to_string());
                encoded
            }
            6 => {
                let encoded = token.replace('_', ["%5F", "\\u005f", "\\x5f"][before as usize % 3]);
                carried.push(encoded[prefix.len() - 1..].to_string());
                encoded
            }
            _ => {
                let legacy = g.legacy_token();
                let encoded = STANDARD.encode(&legacy);
                carried.push(encoded[..52].to_string());
                format!(
                    "\nCLOUDFLARE_API_TOKEN: {encoded} {}",
                    STANDARD.encode(g.scannable(prefix, false))
                )
            }
        };
        text.extend_from_slice(piece.as_bytes());
    }
    text.push(b'\n');
    (text, carried)
}

#[test]
fn encoded_forms_split_at_every_offset() {
    let detector = Detector::new(&KnownSecrets::new());
    let pieces: Vec<(u8, u8)> = (0..8).map(|f| (f, 1)).collect();
    let (text, _) = build_encoded(11, &pieces);
    let whole = scan_bytes(&detector, &text);
    assert_eq!(whole.len(), 8, "one finding per encoded credential");
    assert!(whole.iter().all(|f| f.encoding.is_some()));
    for k in 0..=text.len() {
        assert!(
            scan_chunked(&detector, &text, &[k.max(1), 1]) == whole,
            "split at {k} differs"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn encoded_forms_chunked_equal_whole_and_are_masked(
        seed in any::<u64>(),
        pieces in prop::collection::vec((any::<u8>(), any::<u8>()), 1..12),
        sizes in prop::collection::vec(1usize..200, 1..8),
    ) {
        let detector = Detector::new(&KnownSecrets::new());
        let (text, carried) = build_encoded(seed, &pieces);
        let whole = scan_bytes(&detector, &text);
        prop_assert!(whole == scan_chunked(&detector, &text, &sizes), "chunked scan differs");
        let replacement = Replacement::new(DEFAULT_REPLACEMENT, &detector).unwrap();
        let mut masked = Vec::new();
        let mut input = Trickle { rest: &text, sizes: &sizes, i: 0 };
        mask_stream(&detector, &replacement, &mut input, &mut masked).unwrap();
        for (index, chars) in carried.iter().enumerate() {
            // Windows that occur once in the input: a shared prefix
            // (`Y2Zhc3Rf` before a wrong checksum too) is not the value.
            let once = |piece: &[u8]| text.windows(8).filter(|w| *w == piece).count() == 1;
            let survives = chars
                .as_bytes()
                .windows(8)
                .filter(|piece| once(piece))
                .any(|piece| masked.windows(8).any(|w| w == piece));
            prop_assert!(!survives, "encoded credential #{} survives masking", index);
        }
    }
}
