//! The naive reference for the detector: each shape a regex tried at every
//! position of the whole text, and a naive merge of overlapping spans.
//!
//! Shared by `tests/chunking.rs` (proptest over generated texts) and the
//! fuzz targets in `fuzz/` (arbitrary bytes), so that both hold the
//! detector to the same reference. It covers the scannable, partial,
//! OAuth, Origin CA and hex-key shapes ([`in_reference_scope`]); the other
//! shapes are taken from the detector as they are.
#![allow(dead_code)]

use cfscrub::core::detect::{Detector, PLACEHOLDER_WORDS};
use cfscrub::core::finding::Finding;
use cfscrub::core::rules::{Confidence, Kind};
use regex::bytes::Regex;
use std::sync::LazyLock;

/// A candidate: offset, length, kind, confidence.
pub type Span = (u64, usize, Kind, Confidence);

/// Every candidate the detector proposes over the whole text, before the
/// stream scanner merges overlaps.
pub fn raw_candidates(detector: &Detector, text: &[u8]) -> Vec<Span> {
    let mut anchors = Vec::new();
    detector.find_anchors(text, 0, &mut Vec::new(), &mut anchors);
    let mut out = Vec::new();
    for anchor in anchors {
        assert!(detector.evaluate(text, anchor, true, &mut out));
    }
    let mut spans: Vec<Span> = out
        .into_iter()
        .map(|c| (c.start as u64, c.len, c.kind, c.confidence))
        .collect();
    spans.sort();
    spans
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("reference patterns are valid")
}

fn is_hex(b: &u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(b)
}

/// The naive boundary rule: nothing before, not a letter or digit, the
/// end of an ANSI control sequence or of a string escape, or the end of a
/// checksum-valid token.
fn left_boundary(text: &[u8], at: usize) -> bool {
    word_boundary(text, at, false)
}

/// [`left_boundary`], `_` counting as a word character when `underscore`.
fn word_boundary(text: &[u8], at: usize, underscore: bool) -> bool {
    static CSI_AT_END: LazyLock<Regex> = LazyLock::new(|| regex(r"\x1b\[[0-?]*[ -/]*[@-~]$"));
    static TOKEN_AT_END: LazyLock<Regex> =
        LazyLock::new(|| regex(r"(?:cfast_|cfut_|cfat_|cfk_)([A-Za-z0-9]{40})([0-9a-f]{8})$"));
    let valid_token_before = TOKEN_AT_END
        .captures(&text[at.saturating_sub(54)..at])
        .is_some_and(|c| format!("{:08x}", crc32fast::hash(&c[1])).as_bytes() == &c[2]);
    // `\n`-style escapes (an odd run of backslashes) and escaped ANSI codes
    // end a word too: JSON strings carry tool output this way.
    static ESCAPE_AT_END: LazyLock<Regex> = LazyLock::new(|| {
        regex(
            r"(?:(?:^|[^\\])(?:\\\\)*\\[ntrbf]|\\(?:u001[bB]|x1[bB]|e|033)\[[0-9;]{0,32}[A-Za-z])$",
        )
    });
    at == 0
        || !(text[at - 1].is_ascii_alphanumeric() || (underscore && text[at - 1] == b'_'))
        || CSI_AT_END.is_match(&text[at.saturating_sub(40)..at])
        || ESCAPE_AT_END.is_match(&text[at.saturating_sub(512)..at])
        || valid_token_before
}

/// The naive fragment rule: a prefix's short run is a fragment of a token
/// body when no identifier is glued before it (`_` included) unless that
/// is a prefix itself, and it does not read as a name: not all lower-case
/// letters, not followed by `(`, `_` + word character, `.` + letter (when
/// a dot ends it), or an assignment `=` (spaces allowed, not `==`) — unless
/// it ends with a prefix's letters and `_` follows (a prefix typed twice).
fn fragment(text: &[u8], at: usize, body: &[u8], end: usize, dot_ends: bool) -> bool {
    static PREFIX_AT_END: LazyLock<Regex> =
        LazyLock::new(|| regex(r"(?:cfast_|cfoat_|cfort_|cfut_|cfat_|cfk_)$"));
    static PREFIX_LETTERS_AT_END: LazyLock<Regex> =
        LazyLock::new(|| regex(r"(?:cfast|cfoat|cfort|cfut|cfat|cfk)$"));
    static NAME_AFTER: LazyLock<Regex> =
        LazyLock::new(|| regex(r"(?-u)^(?:\(|_[A-Za-z0-9_]| {0,8}=(?:[^=]|$))"));
    static MEMBER_AFTER: LazyLock<Regex> = LazyLock::new(|| regex(r"^\.[A-Za-z]"));
    let boundary =
        word_boundary(text, at, true) || PREFIX_AT_END.is_match(&text[at.saturating_sub(6)..at]);
    if !boundary {
        return false;
    }
    let after = &text[end..];
    if after.first() == Some(&b'_') && PREFIX_LETTERS_AT_END.is_match(body) {
        return true;
    }
    !(body.iter().all(u8::is_ascii_lowercase)
        || NAME_AFTER.is_match(after)
        || (dot_ends && MEMBER_AFTER.is_match(after)))
}

/// The naive placeholder rule: a character seven times in a row, eight
/// consecutive characters (`0`–`9` then `a`: hex counting), fewer than 8
/// distinct characters, or a placeholder word in lower case, upper case or
/// capitalised (the words are the detector's list: data, not logic).
fn placeholder(v: &[u8]) -> bool {
    let consecutive = |a: u8, b: u8| b == a.wrapping_add(1) || (a == b'9' && b == b'a');
    let repeated = v.windows(7).any(|w| w.iter().all(|&b| b == w[0]));
    let counting = v
        .windows(8)
        .any(|w| w.windows(2).all(|p| consecutive(p[0], p[1])));
    let distinct = v.iter().collect::<std::collections::HashSet<_>>().len();
    let text = String::from_utf8_lossy(v);
    let spellings = |w: &str| {
        let mut capitalised = w.to_string();
        capitalised[..1].make_ascii_uppercase();
        [w.to_string(), w.to_ascii_uppercase(), capitalised]
    };
    repeated
        || counting
        || distinct < 8
        || PLACEHOLDER_WORDS
            .iter()
            .any(|w| spellings(w).iter().any(|s| text.contains(s.as_str())))
}

struct Patterns {
    token: Regex,
    oauth: Regex,
    origin: Regex,
    key_word: Regex,
    separators: Regex,
    csi: Regex,
    value: Regex,
}

static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| Patterns {
    token: regex(r"^(cfast_|cfut_|cfat_|cfk_)([A-Za-z0-9]{0,256})"),
    oauth: regex(r"^(cfoat_|cfort_)([A-Za-z0-9_-]{0,256})(\.([A-Za-z0-9_-]{0,256}))?"),
    origin: regex(r"^v1\.0-([0-9a-f]*)((?:-[0-9a-f]*){0,3})"),
    key_word: regex(r"(?i-u)^key(?:[^A-Za-z0-9_.-]|[.-][^A-Za-z0-9]|[.-]?$)"),
    separators: regex(r#"^(?:[ \t"'`:=\\>\])(,]|[?+.]=|\x1b\[[0-?]*[ -/]*[@-~])*"#),
    csi: regex(r"\x1b\[[0-?]*[ -/]*[@-~]"),
    value: regex(r"^[A-Za-z0-9_-]{0,256}"),
});

/// The naive reference for the scannable, partial, OAuth, Origin CA and
/// hex-key shapes: each regex tried at every position of the whole text.
pub fn reference_candidates(text: &[u8]) -> Vec<Span> {
    let p = &*PATTERNS;
    let mut out: Vec<Span> = Vec::new();
    for at in 0..text.len() {
        let hay = &text[at..];
        let o = at as u64;
        if let Some(c) = p.token.captures(hay) {
            let prefix = c[1].len();
            let body = &c[2];
            let kind = match &c[1] {
                b"cfut_" => Kind::UserToken,
                b"cfat_" => Kind::AccountToken,
                b"cfk_" => Kind::GlobalKey,
                _ => Kind::AccessServiceSecret,
            };
            let hex_tail = body.len() >= 48 && body[40..48].iter().all(is_hex);
            if hex_tail
                && format!("{:08x}", crc32fast::hash(&body[..40])).as_bytes() == &body[40..48]
            {
                out.push((o, prefix + 48, kind, Confidence::High));
            } else if hex_tail && body.len() == 48 {
                out.push((o, prefix + 48, kind, Confidence::Low));
            } else if body.len() >= 4
                && (body.len() >= 40 || fragment(text, at, body, at + prefix + body.len(), true))
            {
                out.push((o, prefix + body.len(), Kind::Partial, Confidence::Medium));
            }
        }
        if let Some(c) = p.oauth.captures(hay) {
            let first = c[2].len();
            let second = c.get(4).map_or(0, |m| m.len());
            let len = if second > 0 {
                c[0].len()
            } else {
                c[1].len() + first
            };
            let kind = if &c[1] == b"cfoat_" {
                Kind::OAuthAccessToken
            } else {
                Kind::OAuthRefreshToken
            };
            if first == 43 && second >= 43 {
                out.push((o, len, kind, Confidence::High));
            } else if first >= 4
                && (first >= 40 || fragment(text, at, &c[2], at + c[1].len() + first, second == 0))
            {
                out.push((o, len, Kind::Partial, Confidence::Medium));
            }
        }
        if let Some(c) = p.origin.captures(hay) {
            // Groups of 16 to 256 hex, 2 to 4 of them, 120 digits in all;
            // the groups after the first stop before one shorter than 16.
            let first = c[1].len();
            let mut groups = vec![first];
            for g in c[2].split(|&b| b == b'-').skip(1) {
                if g.len() < 16 {
                    break;
                }
                groups.push(g.len());
            }
            let len = 5 + groups.iter().sum::<usize>() + groups.len() - 1;
            let glued = p.value.find(&hay[len..]).unwrap().as_bytes();
            let glued = glued
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            if groups.iter().all(|g| (16..=256).contains(g))
                && groups.len() >= 2
                && groups.iter().sum::<usize>() >= 120
            {
                out.push((o, len + glued, Kind::OriginCaKey, Confidence::High));
            }
        }
        if p.key_word.is_match(hay) && at > 0 {
            // Only names that say Cloudflare are modelled: `X-Auth-Key`,
            // and names with a `cloudflare` or a `cf` word (the generator
            // writes no generic key name).
            static NAME: LazyLock<Regex> =
                LazyLock::new(|| regex(r"(?:\x1b\[[0-?]*[ -/]*[@-~])?([A-Za-z0-9_.$-]{0,96})$"));
            let name =
                NAME.captures(&text[at.saturating_sub(96)..at]).unwrap()[1].to_ascii_lowercase();
            let cloudflare = name == b"x-auth-"
                || name.windows(10).any(|w| w == b"cloudflare")
                || name
                    .split(|b| b"_.$-".contains(b))
                    .any(|w| w == b"cf" || w == b"r2");
            let seps = p.separators.find(&hay[3..]).unwrap();
            let count = seps.len()
                - p.csi
                    .find_iter(seps.as_bytes())
                    .map(|m| m.len())
                    .sum::<usize>();
            let start = 3 + seps.len();
            let v = p.value.find(&hay[start..]).unwrap().as_bytes();
            let hex = v.iter().take_while(|b| is_hex(b)).count();
            if cloudflare
                && (1..=8).contains(&count)
                && (37..=45).contains(&hex)
                && !placeholder(&v[..hex])
            {
                out.push((
                    o + start as u64,
                    v.len(),
                    Kind::LegacyGlobalKey,
                    Confidence::Medium,
                ));
            }
        }
    }
    out.sort();
    out
}

/// Whether the reference models `kind`.
pub fn in_reference_scope(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::UserToken
            | Kind::AccountToken
            | Kind::GlobalKey
            | Kind::AccessServiceSecret
            | Kind::Partial
            | Kind::OAuthAccessToken
            | Kind::OAuthRefreshToken
            | Kind::OriginCaKey
            | Kind::LegacyGlobalKey
    )
}

/// The naive merge: candidates sharing a byte become one span over their
/// union, with the kind and confidence of the strongest (confidence, then
/// a known secret, then a checksum-valid token, then the longer).
pub fn naive_merge(mut spans: Vec<Span>) -> Vec<Span> {
    let rank = |s: &Span| {
        let class = match s.2 {
            Kind::KnownSecret | Kind::KnownSecretFragment => 2,
            Kind::UserToken | Kind::AccountToken | Kind::GlobalKey | Kind::AccessServiceSecret
                if s.3 == Confidence::High =>
            {
                1
            }
            _ => 0,
        };
        (s.3, class, s.1)
    };
    spans.sort_by_key(|s| s.0);
    let mut out: Vec<(Span, Span)> = Vec::new(); // (union, strongest member)
    for s in spans {
        match out.last_mut() {
            Some((union, best)) if s.0 < union.0 + union.1 as u64 => {
                let end = (union.0 + union.1 as u64).max(s.0 + s.1 as u64);
                union.1 = (end - union.0) as usize;
                if rank(&s) > rank(best) {
                    *best = s;
                }
                (union.2, union.3) = (best.2, best.3);
            }
            _ => out.push((s, s)),
        }
    }
    out.into_iter().map(|(union, _)| union).collect()
}

/// The place, kind and confidence of each finding.
pub fn summary(findings: &[Finding]) -> Vec<Span> {
    findings
        .iter()
        .map(|f| (f.offset, f.length, f.kind, f.confidence))
        .collect()
}
