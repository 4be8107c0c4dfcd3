//! Matchers for the value shapes found by their own prefix: scannable
//! tokens (`cfut_`… with a CRC-32), OAuth tokens, Origin CA keys, tunnel
//! tokens and certificates, Turnstile secret keys.

use super::window::{
    contains_ignore_case, decode_base64, is_alnum, is_base64, is_lower_hex, is_url_safe,
    left_boundary, Window,
};
use super::Eval;
use crate::core::rules::{Confidence, Kind};
use crate::core::secrets::MIN_PREFIXED_BODY;

/// Longest run of body characters considered after a prefix.
pub(super) const RUN_CAP: usize = 256;
/// A run this long after a prefix is a value (a scannable body is 40), not
/// an identifier such as `cfast_version`: it needs no boundary before it.
const VALUE_BODY: usize = 40;
/// Longest base64 run considered for a tunnel token.
const TUNNEL_CAP: usize = 4096;
/// The first line of a cloudflared `cert.pem` token block.
pub const PEM_BEGIN: &str = "-----BEGIN ARGO TUNNEL TOKEN-----";
/// The last line of that block.
pub const PEM_END: &[u8] = b"-----END ARGO TUNNEL TOKEN-----";

pub(super) fn scannable(w: &Window, prefix: usize, kind: Kind) -> Eval {
    let run = need!(w.run(prefix, RUN_CAP, is_alnum));
    let body = &w.ahead()[prefix..];
    // A complete shape needs no boundary before it: glued to other text it
    // is still a leak, and the checksum (or the exact 48-character run)
    // already says what it is.
    if run >= 48 && body[40..48].iter().all(|&b| is_lower_hex(b)) {
        let crc = crc32fast::hash(&body[..40]);
        if format!("{crc:08x}").as_bytes() == &body[40..48] {
            return w.candidate(0, prefix + 48, kind, Confidence::High);
        }
        if run == 48 {
            return w.candidate(0, prefix + 48, kind, Confidence::Low);
        }
    }
    if run >= MIN_PREFIXED_BODY
        && (run >= VALUE_BODY
            || (fragment_boundary(w) && !need!(names_a_thing(w, prefix, run, true))))
    {
        return w.candidate(0, prefix + run, Kind::Partial, Confidence::Medium);
    }
    Eval::Done(None)
}

/// Whether a short run after a prefix reads as part of a name rather than
/// a fragment of a random token body (`cfast_version`, `cfut_options(`,
/// `cfast_parameters.o`, `cfk_AbCd_x`, `cfast_Hash =`): an all-lower-case
/// run of letters, or a run followed by `(`, `_` and a word character, a
/// dot and a letter (a file extension or a member), or `=` (an
/// assignment, spaces allowed before it). The dot counts only when
/// `dot_ends` (an OAuth token's halves are joined by one). `None` when the bytes after the
/// run have not arrived yet.
///
/// A random body fragment is all lower-case letters with probability
/// (26/62)^n: 3.1 % at 4 characters, 0.1 % at 8 (the cost of this rule,
/// measured in the unit test below). Known-secret fragments do not pass
/// here: they keep their exact rule.
fn names_a_thing(w: &Window, prefix: usize, run: usize, dot_ends: bool) -> Option<bool> {
    let ahead = w.ahead();
    let body = &ahead[prefix..prefix + run];
    let end = prefix + run;
    let spaces = w.run(end, FOLLOW_CAP, |b| b == b' ')?;
    let at = |i: usize| -> Option<Option<u8>> {
        match ahead.get(i) {
            Some(&b) => Some(Some(b)),
            None if w.ahead_is_open() => None,
            None => Some(None),
        }
    };
    let next = at(end)?;
    let after = at(end + 1)?;
    // `cfut_cfut_…`, `cfat_abcdcfut_…`: a prefix typed twice, or glued
    // before a token, ends the run with the next prefix's letters.
    let glued_prefix = crate::core::secrets::KNOWN_PREFIXES
        .iter()
        .any(|p| body.ends_with(&p.as_bytes()[..p.len() - 1]));
    if next == Some(b'_') && glued_prefix {
        return Some(false);
    }
    if body.iter().all(u8::is_ascii_lowercase) {
        return Some(true);
    }
    Some(match (next, after) {
        (Some(b'('), _) => true,
        (Some(b'_'), Some(b)) => is_word(b),
        (Some(b'.'), Some(b)) if dot_ends => b.is_ascii_alphabetic(),
        _ => at(end + spaces)? == Some(b'=') && at(end + spaces + 1)? != Some(b'='),
    })
}

/// How far past a short run [`names_a_thing`] looks for `=`.
const FOLLOW_CAP: usize = 8;

/// Whether a fragment may start here: nothing of an identifier glued
/// before it (`sync_cfast_…`), unless what is glued is a prefix itself
/// (`cfut_cfut_AbCd`: a prefix typed twice).
fn fragment_boundary(w: &Window) -> bool {
    left_boundary(w, is_word)
        || crate::core::secrets::KNOWN_PREFIXES
            .iter()
            .any(|p| w.behind().ends_with(p.as_bytes()))
}

/// A character of an identifier: a prefix glued after one (`sync_cfast_`)
/// starts no fragment.
fn is_word(b: u8) -> bool {
    is_alnum(b) || b == b'_'
}

pub(super) fn oauth(w: &Window, prefix: usize, kind: Kind) -> Eval {
    let first = need!(w.run(prefix, RUN_CAP, is_url_safe));
    let dot = prefix + first;
    let second = match w.ahead().get(dot) {
        Some(b'.') => need!(w.run(dot + 1, RUN_CAP, is_url_safe)),
        None if w.ahead_is_open() => return Eval::NeedMore,
        _ => 0,
    };
    let through_second = if second > 0 { dot + 1 + second } else { dot };
    // The complete shape needs no boundary before it; characters glued
    // after it are masked with it.
    if first == 43 && second >= 43 {
        return w.candidate(0, through_second, kind, Confidence::High);
    }
    // Anything else is a partial, over both halves: never half a token.
    if first >= MIN_PREFIXED_BODY
        && (first >= VALUE_BODY
            || (fragment_boundary(w) && !need!(names_a_thing(w, prefix, first, second == 0))))
    {
        return w.candidate(0, through_second, Kind::Partial, Confidence::Medium);
    }
    Eval::Done(None)
}

/// Cloudflare documents that an Origin CA key "always begins with
/// `v1.0-`" and "may vary in length": the common form is `v1.0-<24 hex>-<146
/// hex>`, its SDK fixtures hold `v1.0-<64>-<128>-<64>`. Accepted: `v1.0-`
/// and this many hex groups joined by `-`…
pub const ORIGIN_CA_GROUPS: std::ops::RangeInclusive<usize> = 2..=4;
/// … each of this many digits…
pub const ORIGIN_CA_GROUP_HEX: std::ops::RangeInclusive<usize> = 16..=256;
/// … and at least this many digits in all (a version tag followed by two
/// commit hashes is not a key).
pub const ORIGIN_CA_MIN_HEX: usize = 120;

pub(super) fn origin_ca(w: &Window) -> Eval {
    const HEAD: usize = "v1.0-".len();
    let (min, max) = (*ORIGIN_CA_GROUP_HEX.start(), *ORIGIN_CA_GROUP_HEX.end());
    let first = need!(w.run(HEAD, max + 1, is_lower_hex));
    if !ORIGIN_CA_GROUP_HEX.contains(&first) {
        return Eval::Done(None);
    }
    let (mut at, mut groups, mut total) = (HEAD + first, 1, first);
    while groups < *ORIGIN_CA_GROUPS.end() {
        match w.ahead().get(at) {
            Some(b'-') => {}
            None if w.ahead_is_open() => return Eval::NeedMore,
            _ => break,
        }
        let len = need!(w.run(at + 1, max + 1, is_lower_hex));
        if len > max {
            return Eval::Done(None);
        }
        if len < min {
            break;
        }
        at += 1 + len;
        groups += 1;
        total += len;
    }
    if groups < *ORIGIN_CA_GROUPS.start() || total < ORIGIN_CA_MIN_HEX {
        return Eval::Done(None);
    }
    // No boundary needed before the complete shape; letters or digits
    // glued after it are masked with it.
    let glued = need!(w.run(at, RUN_CAP, is_alnum));
    w.candidate(0, at + glued, Kind::OriginCaKey, Confidence::High)
}

pub(super) fn tunnel_token(w: &Window) -> Eval {
    // No boundary needed before it: the decoded header below is specific
    // enough, and base64 glued before it would hide a token.
    let run = need!(w.run(0, TUNNEL_CAP, is_base64));
    if run < 52 {
        return Eval::Done(None);
    }
    // 52 characters: 13 whole groups, 39 bytes.
    let Some(json) = decode_base64(&w.ahead()[..52]) else {
        return Eval::Done(None);
    };
    let account_id = json.get(6..38).unwrap_or(&[]);
    if json.starts_with(br#"{"a":""#)
        && account_id.len() == 32
        && account_id.iter().all(|b| b.is_ascii_hexdigit())
        && json.get(38) == Some(&b'"')
    {
        return w.candidate(0, run, Kind::TunnelToken, Confidence::High);
    }
    Eval::Done(None)
}

pub(super) fn tunnel_pem(w: &Window) -> Eval {
    let ahead = w.ahead();
    if let Some(end) = memchr::memmem::find(ahead, PEM_END) {
        return w.candidate(0, end + PEM_END.len(), Kind::TunnelCert, Confidence::High);
    }
    if w.ahead_is_open() {
        return Eval::NeedMore;
    }
    // No END marker within reach: take the header and the base64 lines after it.
    let header_end = memchr::memchr(b'\n', ahead).map_or(ahead.len(), |i| i + 1);
    let mut len = header_end;
    for line in ahead[header_end..].split_inclusive(|&b| b == b'\n') {
        let content = line.trim_ascii_end();
        if content.is_empty() || !content.iter().all(|&b| is_base64(b)) {
            break;
        }
        len += line.len();
    }
    let len = ahead[..len].trim_ascii_end().len();
    w.candidate(0, len, Kind::TunnelCert, Confidence::High)
}

/// Length of a Turnstile secret key (`0x4AAAAAA` + 26).
pub const TURNSTILE_LEN: usize = 35;

pub(super) fn turnstile(w: &Window) -> Eval {
    if !left_boundary(w, is_alnum) {
        return Eval::Done(None);
    }
    // Characters glued after the key are masked with it.
    let run = need!(w.run(0, RUN_CAP, is_url_safe));
    let behind = w.behind();
    let line_start = memchr::memrchr(b'\n', behind).map_or(0, |i| i + 1);
    if run >= TURNSTILE_LEN && contains_ignore_case(&behind[line_start..], "secret") {
        return w.candidate(0, run, Kind::TurnstileSecret, Confidence::Medium);
    }
    Eval::Done(None)
}
