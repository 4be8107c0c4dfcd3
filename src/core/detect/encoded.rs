//! Credentials written in an encoded form: base64 (standard and URL-safe
//! alphabets, the value at each of the three alignments inside the encoded
//! bytes: a Kubernetes Secret, an `Authorization: Basic` header),
//! percent-encoding (`cfut%5F…`, `%63%66%75%74%5F…` in a query string) and
//! string escapes (`cfut\u005f…` in JSON, `cfut\x5f…`) of the prefixed
//! shapes, and a base64 value after a keyword naming Cloudflare
//! (`CLOUDFLARE_API_TOKEN: <base64 of a legacy token>`).
//!
//! Prefixed shapes are found through *triggers*: the characters that
//! encode a prefix and nothing else (`Y2Z1dF` is base64 of `cfut_` at the
//! start of a group, `NmdXRf` one byte later; `cfut%5`, `cfut\u005`). They
//! are searched with the detector's other anchors, in the lower-cased
//! text, and their case is checked at the trigger (`finder` keeps that one
//! search over 64 literals fast); shorter, shared triggers would cost more
//! (far more candidates).
//! At a trigger the run after it is decoded and the decoded bytes go
//! through the prefix's own matcher: only a whole shape that matcher rates
//! high (checksum included) is a finding — a partial or a wrong checksum
//! inside encoded bytes is noise, not a leak.
//!
//! A finding covers the encoded characters from its trigger to the last
//! one carrying a bit of the value, and the `=` padding after it; its
//! fingerprint is the decoded value's, the same as if it were written
//! plainly. It never starts before its trigger (the stream hands over the
//! data before an anchor): the one or two characters before a base64
//! trigger carry bits of the bytes before the value and of its public
//! prefix, never of its body.
//!
//! Known secrets' encoded forms are hunted by `known` (exact strings).
//!
//! Long because of its unit tests (about 170 lines, the code under 400):
//! the decoders, the triggers and the checks of each read best beside
//! each other.

use super::matchers::{oauth, origin_ca, scannable};
use super::window::{decode_base64, is_base64_char, is_url_safe, Window};
use super::Eval;
use crate::core::finding::{Encoding, Fingerprint};
use crate::core::rules::{Confidence, Kind, Matcher, Rule, RULES};
use base64::Engine;

/// Longest decoded value considered: an Origin CA key of the three-group
/// form (263 bytes) is the longest prefixed shape; characters glued after
/// a shape are masked with it.
const MAX_DECODED: usize = 320;
/// Longest base64 run decoded at a trigger.
const BASE64_CAP: usize = MAX_DECODED * 4 / 3 + 4;
/// Longest run of percent-encoded or escaped text decoded (`\u005f` is six
/// characters for one byte).
const ESCAPED_CAP: usize = 6 * MAX_DECODED;
/// Base64 characters of a value after a keyword: the encoding of 37 to 76
/// bytes (a 37-hex key to a 64-hex secret, with a trailing newline).
const KEYWORD_RUN: std::ops::RangeInclusive<usize> = 48..=104;

/// How the bytes at a trigger are decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// Base64 of `prefix` starting `align` bytes into a 3-byte group, the
    /// trigger `lead` characters into its 4-character quantum.
    Base64 {
        prefix: &'static str,
        align: usize,
        lead: usize,
    },
    /// Percent-encoding, from the first byte of the trigger (`cfut%5F…`,
    /// `%63%66%75%74%5F…`).
    Percent,
    /// String escapes, from the first byte of the trigger (`cfut\u005f…`,
    /// `cfut\x5f…`).
    Escape,
}

/// The triggers of the encoded prefixed shapes, matched case-sensitively.
pub(super) struct EncodedHunter {
    triggers: Vec<(String, Form)>,
}

/// The rules whose shape starts with a fixed prefix worth decoding, with
/// that prefix.
fn prefixed_rules() -> impl Iterator<Item = (&'static str, &'static Rule)> {
    RULES.iter().filter_map(|rule| match rule.matcher {
        Matcher::Scannable { prefix } | Matcher::OAuth { prefix } => Some((prefix, rule)),
        Matcher::OriginCa => Some(("v1.0-", rule)),
        _ => None,
    })
}

/// The base64 characters that encode `bytes` and nothing else when they
/// start `align` bytes into a 3-byte group, in the standard and URL-safe
/// alphabets, with the number of characters before them in their quantum.
pub(super) fn base64_stable(bytes: &[u8], align: usize) -> (usize, [String; 2]) {
    let mut padded = vec![0u8; align];
    padded.extend_from_slice(bytes);
    padded.extend_from_slice(&[0, 0]);
    let first = (8 * align).div_ceil(6);
    let end = 8 * (align + bytes.len()) / 6;
    let standard = base64::engine::general_purpose::STANDARD.encode(&padded);
    let url = base64::engine::general_purpose::URL_SAFE.encode(&padded);
    (
        first,
        [
            standard[first..end].to_string(),
            url[first..end].to_string(),
        ],
    )
}

impl EncodedHunter {
    pub(super) fn new() -> EncodedHunter {
        let mut triggers: Vec<(String, Form)> = Vec::new();
        let mut add = |literal: String, form: Form| {
            if !triggers.iter().any(|(l, _)| *l == literal) {
                triggers.push((literal, form));
            }
        };
        for (prefix, _) in prefixed_rules() {
            for align in 0..3 {
                let (lead, alphabets) = base64_stable(prefix.as_bytes(), align);
                for literal in alphabets {
                    let form = Form::Base64 {
                        prefix,
                        align,
                        lead,
                    };
                    add(literal, form);
                }
            }
            // `cfut%5F`, `cfut\u005f`, `cfut\x5f`: the digit `5` ends the
            // trigger, so either hex case matches.
            if let Some(stem) = prefix.strip_suffix('_') {
                add(format!("{stem}%5"), Form::Percent);
                add(format!("{stem}\\u005"), Form::Escape);
                add(format!("{stem}\\x5"), Form::Escape);
            }
        }
        // Every byte percent-encoded: `%63%66` is `cf`, every prefix's start.
        add("%63%66%".to_string(), Form::Percent);
        EncodedHunter { triggers }
    }

    /// The trigger literals, and whether each is case-sensitive (all are:
    /// [`EncodedHunter::eval`] checks their case).
    pub(super) fn literals(&self) -> impl Iterator<Item = (&str, bool)> + '_ {
        self.triggers
            .iter()
            .map(|(literal, _)| (literal.as_str(), true))
    }

    /// Decides whether an encoded credential starts at trigger `i`.
    pub(super) fn eval(&self, w: &Window, i: usize) -> Eval {
        let (literal, form) = &self.triggers[i];
        if !w.ahead().starts_with(literal.as_bytes()) {
            return Eval::Done(None);
        }
        match *form {
            Form::Base64 {
                prefix,
                align,
                lead,
            } => base64_at(w, prefix, align, lead),
            Form::Percent => unescaped_at(w, Encoding::Percent),
            Form::Escape => unescaped_at(w, Encoding::Escape),
        }
    }
}

/// The rule owning the prefix `value` starts with, and its matcher's
/// answer on `value` (a whole decoded buffer).
fn match_decoded(value: &[u8]) -> Option<super::Candidate> {
    let (_, rule) = prefixed_rules().find(|(p, _)| value.starts_with(p.as_bytes()))?;
    let w = Window::new(value, 0, true);
    let found = match rule.matcher {
        Matcher::Scannable { prefix } => scannable(&w, prefix.len(), rule.kind),
        Matcher::OAuth { prefix } => oauth(&w, prefix.len(), rule.kind),
        Matcher::OriginCa => origin_ca(&w),
        _ => Eval::Done(None),
    };
    match found {
        // Only a whole shape rated high: no partial, no wrong checksum.
        Eval::Done(Some(c)) if c.kind == rule.kind && c.confidence == Confidence::High => Some(c),
        _ => None,
    }
}

/// A candidate at `offset`..`offset + len` of the window's text, for a
/// value decoded from it (`fingerprint` is the decoded value's).
fn encoded_candidate(
    w: &Window,
    offset: usize,
    len: usize,
    kind: Kind,
    confidence: Confidence,
    fingerprint: Option<Fingerprint>,
    encoding: Encoding,
) -> Eval {
    match w.candidate(offset, len, kind, confidence) {
        Eval::Done(Some(mut c)) => {
            c.fingerprint = fingerprint;
            c.encoding = Some(encoding);
            Eval::Done(Some(c))
        }
        other => other,
    }
}

fn base64_at(w: &Window, prefix: &str, align: usize, lead: usize) -> Eval {
    let run = need!(w.run(0, BASE64_CAP, is_base64_char));
    // The characters before the trigger carry bits of the bytes before the
    // prefix and the first bits of the prefix: stand-ins, then the prefix
    // written over what they gave.
    let mut quantum = vec![b'A'; lead];
    quantum.extend_from_slice(&w.ahead()[..run]);
    let Some(mut decoded) = decode_base64(&quantum) else {
        return Eval::Done(None);
    };
    let Some(at_prefix) = decoded.get_mut(align..align + prefix.len()) else {
        return Eval::Done(None);
    };
    at_prefix.copy_from_slice(prefix.as_bytes());
    let Some(c) = match_decoded(&decoded[align..]) else {
        return Eval::Done(None);
    };
    // Characters from the quantum's start: the first carrying a bit of the
    // value, the one after the last.
    let first = (8 * (align + c.start) / 6).max(lead);
    let end = (8 * (align + c.start + c.len)).div_ceil(6);
    let (start, mut len) = (first - lead, end - first);
    if end - lead == run {
        len += need!(w.run(run, 2, |b| b == b'='));
    }
    encoded_candidate(
        w,
        start,
        len,
        c.kind,
        c.confidence,
        c.fingerprint,
        Encoding::Base64,
    )
}

/// What stands at `at` in percent-encoded or escaped text.
enum Unit {
    /// A byte, written in this many characters.
    Byte(u8, usize),
    /// The text ends inside what may still be an escape.
    Cut,
    /// Not part of an encoded value.
    End,
}

fn hex_pair(text: &[u8]) -> Option<u8> {
    let digits = std::str::from_utf8(text.get(..2)?).ok()?;
    u8::from_str_radix(digits, 16).ok()
}

fn unit_at(text: &[u8], at: usize, encoding: Encoding) -> Unit {
    let rest = &text[at..];
    let escape: &[&[u8]] = match encoding {
        Encoding::Percent => &[b"%"],
        _ => &[b"\\u00", b"\\x"],
    };
    for intro in escape {
        let whole = intro.len() + 2;
        if rest.len() < whole && intro.starts_with(&rest[..rest.len().min(intro.len())]) {
            return Unit::Cut;
        }
        if rest.starts_with(intro) {
            return match hex_pair(&rest[intro.len()..]) {
                Some(b) if b.is_ascii_graphic() => Unit::Byte(b, whole),
                _ => Unit::End,
            };
        }
    }
    match rest.first() {
        Some(&b) if is_url_safe(b) || b == b'.' => Unit::Byte(b, 1),
        _ => Unit::End,
    }
}

fn unescaped_at(w: &Window, encoding: Encoding) -> Eval {
    let ahead = w.ahead();
    let mut decoded = Vec::new();
    // ends[i]: where the text of the first i decoded bytes ends.
    let mut ends = vec![0];
    let mut at = 0;
    while decoded.len() < MAX_DECODED && at < ESCAPED_CAP {
        if at == ahead.len() {
            if w.ahead_is_open() {
                return Eval::NeedMore;
            }
            break;
        }
        match unit_at(ahead, at, encoding) {
            Unit::Byte(b, width) => {
                decoded.push(b);
                at += width;
                ends.push(at);
            }
            Unit::Cut if w.ahead_is_open() => return Eval::NeedMore,
            Unit::Cut | Unit::End => break,
        }
    }
    let Some(c) = match_decoded(&decoded) else {
        return Eval::Done(None);
    };
    let start = ends[c.start];
    encoded_candidate(
        w,
        start,
        ends[c.start + c.len] - start,
        c.kind,
        c.confidence,
        c.fingerprint,
        encoding,
    )
}

/// Whether a base64 run long enough to hold a context value starts at
/// `start`; `None` when the data read so far ends inside the run.
pub(super) fn may_be_base64_value(w: &Window, start: usize) -> Option<bool> {
    let least = *KEYWORD_RUN.start();
    Some(w.run(start, least, is_base64_char)? >= least)
}

/// A base64 value at `start` (after a Cloudflare name and its separators)
/// whose decoded bytes, less a trailing newline, are a run of
/// `[A-Za-z0-9_-]` that `fits` (giving the kind
/// and confidence): a finding over the base64 and its padding.
/// `Done(None)` when the value there is not such a base64 value.
pub(super) fn after_keyword(
    w: &Window,
    start: usize,
    fits: impl Fn(&[u8]) -> Option<(Kind, Confidence)>,
) -> Eval {
    let cap = *KEYWORD_RUN.end() + 1;
    let run = need!(w.run(start, cap, is_base64_char));
    if !KEYWORD_RUN.contains(&run) {
        return Eval::Done(None);
    }
    let pad = need!(w.run(start + run, 2, |b| b == b'='));
    if pad > 0 && (run + pad) % 4 != 0 {
        return Eval::Done(None);
    }
    let Some(decoded) = decode_base64(&w.ahead()[start..start + run]) else {
        return Eval::Done(None);
    };
    let value = decoded
        .strip_suffix(b"\n")
        .map(|v| v.strip_suffix(b"\r").unwrap_or(v))
        .unwrap_or(&decoded);
    // Plain values are runs of `[A-Za-z0-9_-]`; `fits` judges only those.
    if !value.iter().all(|&b| is_url_safe(b)) {
        return Eval::Done(None);
    }
    let Some((kind, confidence)) = fits(value) else {
        return Eval::Done(None);
    };
    encoded_candidate(
        w,
        start,
        run + pad,
        kind,
        confidence,
        Fingerprint::of(value),
        Encoding::Base64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_encode_the_prefix_alone() {
        assert_eq!(base64_stable(b"cfut_", 0).1[0], "Y2Z1dF");
        assert_eq!(base64_stable(b"cfut_", 1).0, 2);
        assert_eq!(
            base64_stable(b"cfut_", 2),
            (3, ["jZnV0X".into(), "jZnV0X".into()])
        );
        let hunter = EncodedHunter::new();
        assert!(hunter
            .literals()
            .any(|(l, sensitive)| l == "NmdXRf" && sensitive));
        assert!(hunter
            .literals()
            .any(|(l, sensitive)| l == "cfut%5" && sensitive));
        // Few: each one is searched in the scan's hot pass (see `finder`).
        assert!(hunter.literals().count() <= 40);
    }

    #[test]
    fn percent_and_escape_units() {
        let unit = |t: &[u8], e| match unit_at(t, 0, e) {
            Unit::Byte(b, n) => Some((b, n)),
            Unit::Cut => Some((0, 0)),
            Unit::End => None,
        };
        assert_eq!(unit(b"%5Fx", Encoding::Percent), Some((b'_', 3)));
        assert_eq!(unit(b"%5f", Encoding::Percent), Some((b'_', 3)));
        assert_eq!(unit(b"%5", Encoding::Percent), Some((0, 0)));
        assert_eq!(unit(b"%0A", Encoding::Percent), None);
        assert_eq!(unit(b"\\u005f", Encoding::Escape), Some((b'_', 6)));
        assert_eq!(unit(b"\\x5F", Encoding::Escape), Some((b'_', 4)));
        assert_eq!(unit(b"\\u00", Encoding::Escape), Some((0, 0)));
        assert_eq!(unit(b"\\n", Encoding::Escape), None);
        assert_eq!(unit(b"a", Encoding::Escape), Some((b'a', 1)));
        assert_eq!(unit(b" ", Encoding::Percent), None);
    }

    use crate::core::detect::Detector;
    use crate::core::secrets::KnownSecrets;
    use crate::core::stream::scan_bytes;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    /// (offset, length, kind, confidence, encoding) of each finding.
    fn found(text: &[u8]) -> Vec<(u64, usize, Kind, Confidence, Option<Encoding>)> {
        let det = Detector::new(&KnownSecrets::new());
        scan_bytes(&det, text)
            .into_iter()
            .map(|f| (f.offset, f.length, f.kind, f.confidence, f.encoding))
            .collect()
    }

    #[test]
    fn base64_at_each_alignment_and_alphabet_is_found_and_covered() {
        let mut g = crate::fake::FakeGen::new(9);
        let values = [
            (g.scannable("cfut_", true), Kind::UserToken),
            (g.scannable("cfat_", true), Kind::AccountToken),
            (g.scannable("cfk_", true), Kind::GlobalKey),
            (g.scannable("cfast_", true), Kind::AccessServiceSecret),
            (g.oauth("cfoat_"), Kind::OAuthAccessToken),
            (g.oauth("cfort_"), Kind::OAuthRefreshToken),
            (g.origin_ca(), Kind::OriginCaKey),
        ];
        for (value, kind) in &values {
            for lead in ["", "u:", "ci:", "user:", "\n"] {
                for padded in [true, false] {
                    let plain = format!("{lead}{value}");
                    let b64 = if padded {
                        STANDARD.encode(&plain)
                    } else {
                        URL_SAFE_NO_PAD.encode(&plain)
                    };
                    let text = format!("data: {b64}\n");
                    let f = found(text.as_bytes());
                    assert_eq!(f.len(), 1, "{kind:?} after {lead:?}");
                    let (offset, len, k, c, e) = f[0];
                    assert_eq!((k, c, e), (*kind, Confidence::High, Some(Encoding::Base64)));
                    // From at most the trigger to the end of the base64.
                    let start = 6 + 4 * lead.len() / 3;
                    assert!(offset as usize >= start && offset as usize <= start + 3);
                    assert_eq!(
                        offset as usize + len,
                        6 + b64.len(),
                        "{kind:?} after {lead:?}"
                    );
                    let fp = scan_bytes(&Detector::new(&KnownSecrets::new()), text.as_bytes())[0]
                        .fingerprint;
                    assert_eq!(fp, Fingerprint::of(value.as_bytes()));
                }
            }
        }
        let bad = g.scannable("cfut_", false);
        assert!(found(STANDARD.encode(&bad).as_bytes()).is_empty());
        assert!(found(STANDARD.encode("cfut_AbCdEfGh").as_bytes()).is_empty());
    }

    #[test]
    fn percent_and_escaped_prefixes_are_found() {
        let mut g = crate::fake::FakeGen::new(10);
        let token = g.scannable("cfat_", true);
        let body = &token[5..];
        let oauth = g.oauth("cfort_");
        let all_encoded: String = token.bytes().map(|b| format!("%{b:02X}")).collect();
        let json = format!(r#"{{"t":"cfat\u005f{body}"}}"#);
        let cases = [
            (format!("?t=cfat%5F{body}&x"), 3, 55, Encoding::Percent),
            (format!("?t=cfat%5f{body}"), 3, 55, Encoding::Percent),
            (format!("?t={all_encoded}&x"), 3, 3 * 53, Encoding::Percent),
            (json, 6, 58, Encoding::Escape),
            (format!("t = 'cfat\\x5F{body}'"), 5, 56, Encoding::Escape),
        ];
        let high = Confidence::High;
        for (text, at, len, encoding) in cases {
            let want = (at, len, Kind::AccountToken, high, Some(encoding));
            assert_eq!(found(text.as_bytes()), [want], "{encoding:?}");
        }
        let text = format!("t={}", oauth.replace('_', "%5F"));
        let len = oauth.len() + 2 * oauth.matches('_').count();
        let want = (
            2,
            len,
            Kind::OAuthRefreshToken,
            high,
            Some(Encoding::Percent),
        );
        assert_eq!(found(text.as_bytes()), [want]);
        let bad = g.scannable("cfut_", false).replace('_', "%5F");
        assert!(found(bad.as_bytes()).is_empty());
        assert!(found(b"see cfut%5Fprefix and cfut\\u005f").is_empty());
    }

    #[test]
    fn base64_after_a_cloudflare_keyword_is_decoded() {
        let mut g = crate::fake::FakeGen::new(11);
        let legacy = g.legacy_token();
        let key = g.hex(37);
        for (text, kind) in [
            (
                format!("  CLOUDFLARE_API_TOKEN: {}\n", STANDARD.encode(&legacy)),
                Kind::LegacyApiToken,
            ),
            (
                format!(
                    "  CLOUDFLARE_API_TOKEN: {}\n",
                    STANDARD.encode(format!("{legacy}\n"))
                ),
                Kind::LegacyApiToken,
            ),
            (
                format!("  cf_api_key: {}\n", STANDARD.encode(&key)),
                Kind::LegacyGlobalKey,
            ),
        ] {
            let det = Detector::new(&KnownSecrets::new());
            let f = scan_bytes(&det, text.as_bytes());
            assert_eq!(f.len(), 1, "{kind:?}");
            assert_eq!((f[0].kind, f[0].encoding), (kind, Some(Encoding::Base64)));
            assert_eq!(f[0].end() as usize, text.len() - 1);
        }
        // A generic keyword's base64 stays unread; so does a random blob.
        let blob = STANDARD.encode(g.alnum(45));
        assert!(found(format!("api_token: {}\n", STANDARD.encode(&legacy)).as_bytes()).is_empty());
        // (A long enough run after a Cloudflare name is a plain legacy
        // value glued to more: not decoded, not encoded.)
        let plain = found(format!("CLOUDFLARE_API_KEY: {blob}\n").as_bytes());
        assert!(plain.iter().all(|f| f.4.is_none()), "{plain:?}");
    }
}
