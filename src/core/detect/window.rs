//! The bytes around one anchor ([`Window`]) and what matchers ask of them:
//! runs of a byte class, whether the anchor is glued to a word before it,
//! ANSI colour codes (coloured CI logs put them right before values), and
//! the one base64 decoder (either alphabet) the matchers share.

use super::{Candidate, Eval, LOOKBEHIND, MAX_LOOKAHEAD};
use crate::core::finding::Fingerprint;
use crate::core::rules::{Confidence, Kind, Matcher, RULES};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

/// The bytes around one anchor.
pub struct Window<'a> {
    bytes: &'a [u8],
    pos: usize,
    eof: bool,
}

impl<'a> Window<'a> {
    /// A window on `bytes` at anchor `pos`; `eof` says no byte follows `bytes`.
    pub fn new(bytes: &'a [u8], pos: usize, eof: bool) -> Window<'a> {
        Window { bytes, pos, eof }
    }

    pub(super) fn ahead(&self) -> &'a [u8] {
        let end = self.bytes.len().min(self.pos + MAX_LOOKAHEAD);
        &self.bytes[self.pos..end]
    }

    /// Whether `ahead()` ends where the data ends (so a run reaching it is
    /// undecided unless at EOF) rather than at the lookahead cap.
    pub(super) fn ahead_is_open(&self) -> bool {
        !self.eof && self.bytes.len() < self.pos + MAX_LOOKAHEAD
    }

    pub(super) fn behind(&self) -> &'a [u8] {
        &self.bytes[self.pos.saturating_sub(LOOKBEHIND)..self.pos]
    }

    /// The look-behind and the first `n` bytes from the anchor (a name
    /// ending in the anchored word).
    pub(super) fn through(&self, n: usize) -> &'a [u8] {
        let end = self.bytes.len().min(self.pos + n);
        &self.bytes[self.pos.saturating_sub(LOOKBEHIND)..end]
    }

    /// Length of the run of `pred` bytes at `from` in `ahead()`, capped at
    /// `cap`; `None` when the run reaches the end of the data read so far.
    pub(super) fn run(&self, from: usize, cap: usize, pred: impl Fn(u8) -> bool) -> Option<usize> {
        let ahead = self.ahead();
        let slice = ahead.get(from..).unwrap_or(&[]);
        let limit = &slice[..slice.len().min(cap)];
        let n = limit.iter().position(|&b| !pred(b)).unwrap_or(limit.len());
        if n < cap && from + n == ahead.len() && self.ahead_is_open() {
            None
        } else {
            Some(n)
        }
    }

    pub(super) fn candidate(
        &self,
        offset: usize,
        len: usize,
        kind: Kind,
        confidence: Confidence,
    ) -> Eval {
        let start = self.pos + offset;
        let fingerprint = kind
            .fingerprinted()
            .then(|| Fingerprint::of(&self.bytes[start..start + len]))
            .flatten();
        Eval::Done(Some(Candidate {
            start,
            len,
            kind,
            confidence,
            fingerprint,
            encoding: None,
        }))
    }
}

pub(super) fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

pub(super) fn is_url_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

pub(super) fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

pub(super) fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-')
}

/// Base64 characters of either alphabet (no padding).
pub(super) fn is_base64_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// Decodes base64 with or without padding, ignoring the unused bits of a
/// last partial group: a run is decoded wherever it is cut.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// Decodes base64 characters of either alphabet, even mixed (no padding;
/// a last partial group's unused bits ignored); `None` when they are not
/// base64. The one place the URL-safe alphabet is mapped to the standard.
pub(super) fn decode_base64(chars: &[u8]) -> Option<Vec<u8>> {
    let mut standard: Vec<u8> = chars
        .iter()
        .map(|&b| match b {
            b'-' => b'+',
            b'_' => b'/',
            b => b,
        })
        .collect();
    if standard.len() % 4 == 1 {
        standard.pop();
    }
    LENIENT.decode(&standard).ok()
}

/// True when the byte before the anchor does not glue it to a word: not a
/// word byte, the final byte of an ANSI control sequence (`ESC [ 33 m`,
/// `ESC [ 0 K`), which coloured CI logs put right before values, the end
/// of a string escape ([`ends_with_text_escape`]: JSON transcripts and
/// logs), or the end of a whole checksum-valid token
/// ([`ends_with_valid_token`]).
pub(super) fn left_boundary(w: &Window, is_word: impl Fn(u8) -> bool) -> bool {
    let behind = w.behind();
    match behind.last() {
        None => true,
        Some(&b) => {
            !is_word(b)
                || ansi_csi_start(behind).is_some()
                || ends_with_text_escape(behind)
                || ends_with_valid_token(behind)
        }
    }
}

/// Whether `text` ends with a string escape that stands for a control
/// character: `\n`, `\t`, `\r`, `\b`, `\f` (the backslash not itself
/// escaped), or an escaped ANSI code (`\u001b[33m`, `\x1b[0K`, `\e[1m`).
/// JSON Lines (agent transcripts, structured logs) carry tool output this
/// way: in `"output":"grep\ncfut_AbCd"` a partial starts a line.
fn ends_with_text_escape(text: &[u8]) -> bool {
    let backslash_run_before = |end: usize| {
        text[..end]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count()
    };
    if let [.., b'\\', letter] = text {
        if b"ntrbf".contains(letter) && backslash_run_before(text.len() - 1) % 2 == 1 {
            return true;
        }
    }
    // An escaped ESC, then `[`, parameters and a final letter.
    let Some(&last) = text.last() else {
        return false;
    };
    if !last.is_ascii_alphabetic() {
        return false;
    }
    let body = &text[..text.len() - 1];
    let params = body
        .iter()
        .rev()
        .take(MAX_CSI)
        .take_while(|&&b| b.is_ascii_digit() || b == b';')
        .count();
    let head = &body[..body.len() - params];
    [
        &b"\\u001b["[..],
        b"\\u001B[",
        b"\\x1b[",
        b"\\x1B[",
        b"\\e[",
        b"\\033[",
    ]
    .iter()
    .any(|esc| head.ends_with(esc))
}

/// Whether `text` ends with a whole checksum-valid token of a scannable
/// format (prefix, 40 letters or digits, their CRC-32). That token is
/// found whatever follows it, and once masked, a value glued after it
/// stands after the marker: a later scan (`redact` re-scanning what it
/// wrote) would find that value, so this one must too.
fn ends_with_valid_token(text: &[u8]) -> bool {
    let Some(body_at) = text.len().checked_sub(48) else {
        return false;
    };
    let (head, body) = text.split_at(body_at);
    let prefixed = RULES.iter().any(|rule| match rule.matcher {
        Matcher::Scannable { prefix } => head.ends_with(prefix.as_bytes()),
        _ => false,
    });
    prefixed
        && body[..40].iter().all(|&b| is_alnum(b))
        && body[40..].iter().all(|&b| is_lower_hex(b))
        && format!("{:08x}", crc32fast::hash(&body[..40])).as_bytes() == &body[40..]
}

pub(super) const ESC: u8 = 0x1b;
/// Longest ANSI control sequence recognised (`ESC [`, parameters, final byte).
pub(super) const MAX_CSI: usize = 32;

/// Where the ANSI control sequence (CSI: `ESC [`, parameter bytes
/// `0x30..=0x3f`, intermediate bytes `0x20..=0x2f`, a final byte
/// `0x40..=0x7e`) that `text` ends with starts, if it ends with one.
fn ansi_csi_start(text: &[u8]) -> Option<usize> {
    let (&last, body) = text.split_last()?;
    if !(0x40..=0x7e).contains(&last) {
        return None;
    }
    let tail = &body[body.len().saturating_sub(MAX_CSI)..];
    let inter = tail
        .iter()
        .rev()
        .take_while(|&&b| (0x20..=0x2f).contains(&b))
        .count();
    let params = tail[..tail.len() - inter]
        .iter()
        .rev()
        .take_while(|&&b| (0x30..=0x3f).contains(&b))
        .count();
    let introducer = body.len() - inter - params;
    body[..introducer]
        .ends_with(&[ESC, b'['])
        .then(|| introducer - 2)
}

/// What an ANSI control sequence at the start of `bytes` is.
pub(super) enum Csi {
    /// A whole sequence of this many bytes.
    Complete(usize),
    /// The bytes end inside what may still become one.
    Unfinished,
    /// Not a control sequence.
    Not,
}

pub(super) fn ansi_csi_at(bytes: &[u8]) -> Csi {
    match bytes {
        [] | [ESC] | [ESC, b'['] => return Csi::Unfinished,
        [ESC, b'[', ..] => {}
        _ => return Csi::Not,
    }
    let body = &bytes[2..];
    let params = body
        .iter()
        .take_while(|&&b| (0x30..=0x3f).contains(&b))
        .count();
    let inter = body[params..]
        .iter()
        .take_while(|&&b| (0x20..=0x2f).contains(&b))
        .count();
    let len = 2 + params + inter + 1;
    match body.get(params + inter) {
        _ if len > MAX_CSI => Csi::Not,
        None => Csi::Unfinished,
        Some(b) if (0x40..=0x7e).contains(b) => Csi::Complete(len),
        Some(_) => Csi::Not,
    }
}

pub(super) fn contains_ignore_case(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_control_sequence_end_is_a_boundary() {
        assert_eq!(ansi_csi_start(b"\x1b[33m"), Some(0));
        assert_eq!(ansi_csi_start(b"ab\x1b[1;31m"), Some(2));
        assert_eq!(ansi_csi_start(b"\x1b[0K"), Some(0));
        assert_eq!(ansi_csi_start(b"\x1b[?25h"), Some(0));
        assert_eq!(ansi_csi_start(b"form"), None);
        assert_eq!(ansi_csi_start(b"[33m"), None);
    }
}
