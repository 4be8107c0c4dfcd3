//! Whether Cloudflare is mentioned near a value found after a generic name
//! (`api_token`, `Bearer`): on its line, on the lines of its block before
//! it, or on the `\`-continued lines after it. Asked only once a value of
//! a credential's shape stands after a generic name, never per mention:
//! the words of [`MENTIONS`] are far too common to be anchors.
//!
//! The look-back stays inside the window's [`super::LOOKBEHIND`] bytes and
//! [`MAX_LINES_BACK`] lines, the look-ahead inside [`NEARBY_AHEAD`] bytes,
//! so the answer does not depend on where a chunk ends.

use super::window::Window;
use super::Eval;
use crate::core::rules::MENTIONS;
use aho_corasick::AhoCorasick;
use std::sync::LazyLock;

/// [`DEFAULT_REPLACEMENT`](crate::core::counts::DEFAULT_REPLACEMENT) as a
/// lower-cased line holds it.
const MARKER_LOWER: &[u8] = b"[redacted_cf_token]";
/// Where the marker's `cf` stands in it.
const MARKER_CF: usize = 10;

/// How many lines before the value's line are searched.
pub const MAX_LINES_BACK: usize = 8;
/// How far after the value its line (and `\`-continued lines) is searched.
pub const NEARBY_AHEAD: usize = 512;

/// The words of [`MENTIONS`], then `cf`, ASCII case-insensitively, in one
/// search built once.
static MENTION_SEARCH: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(MENTIONS.iter().chain(&["cf"]))
        .expect("a few short words")
});

/// Whether `line` mentions Cloudflare: a word of [`MENTIONS`] anywhere
/// (ASCII case-insensitively), or `cf` as a word before `_`, `-` or `.`.
/// cfscrub's own marker ([`MARKER_LOWER`]) is not a mention: what
/// masking leaves must not turn a neighbour into a finding (masked text
/// scanned again finds nothing new).
pub(super) fn mentions_cloudflare(line: &[u8]) -> bool {
    MENTION_SEARCH.find_overlapping_iter(line).any(|m| {
        let i = m.start();
        m.pattern().as_usize() < MENTIONS.len()
            || ((i == 0 || !line[i - 1].is_ascii_alphanumeric())
                && matches!(line.get(i + 2), Some(b'_' | b'-' | b'.'))
                && !in_marker(line, i))
    })
}

/// Whether the `cf` at `i` in `line` is that of cfscrub's marker.
fn in_marker(line: &[u8], i: usize) -> bool {
    i.checked_sub(MARKER_CF)
        .and_then(|start| line.get(start..start + MARKER_LOWER.len()))
        .is_some_and(|marker| marker.eq_ignore_ascii_case(MARKER_LOWER))
}

/// The indentation of a line (spaces and tabs).
fn indent(line: &[u8]) -> usize {
    line.iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count()
}

/// A line that opens a section of a flat file: `[name]` (INI, TOML).
fn is_section(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    t.starts_with(b"[") && t.ends_with(b"]")
}

/// Whether Cloudflare is mentioned near the value that ends at `value_end`
/// (relative to the window's anchor), whose name starts `name_start`
/// bytes before the anchor.
pub(super) fn cloudflare_nearby(w: &Window, name_start: usize, value_end: usize) -> Eval<bool> {
    let behind = &w.behind()[..w.behind().len() - name_start];
    let ahead = w.ahead();
    // The rest of the line after the value, and lines continued with `\`.
    let reach = ahead.len().min(value_end + NEARBY_AHEAD);
    let mut at = value_end;
    loop {
        let Some(nl) = memchr::memchr(b'\n', &ahead[at..reach]).map(|i| at + i) else {
            if reach < value_end + NEARBY_AHEAD && w.ahead_is_open() {
                return Eval::NeedMore;
            }
            if mentions_cloudflare(&ahead[at..reach]) {
                return Eval::Done(Some(true));
            }
            break;
        };
        let line = &ahead[at..nl];
        if mentions_cloudflare(line) {
            return Eval::Done(Some(true));
        }
        if !line.trim_ascii_end().ends_with(b"\\") {
            break;
        }
        at = nl + 1;
    }
    // The value's line before its name.
    let line_start = memchr::memrchr(b'\n', behind).map_or(0, |i| i + 1);
    if mentions_cloudflare(&behind[line_start..]) {
        return Eval::Done(Some(true));
    }
    let own_indent = indent(&behind[line_start..]);
    // Lines before: siblings at the same indentation until a parent (less
    // indented) is met, then only each next ancestor. A section header
    // that does not mention Cloudflare closes the search.
    let mut level = own_indent;
    let mut seen_parent = false;
    let mut end = line_start;
    for _ in 0..MAX_LINES_BACK {
        if end == 0 {
            break;
        }
        let start = memchr::memrchr(b'\n', &behind[..end - 1]).map_or(0, |i| i + 1);
        let line = &behind[start..end - 1];
        end = start;
        if line.trim_ascii().is_empty() {
            continue;
        }
        let i = indent(line);
        let considered = i < level || (i == level && !seen_parent);
        if !considered {
            continue;
        }
        if mentions_cloudflare(line) {
            return Eval::Done(Some(true));
        }
        if is_section(line) {
            break;
        }
        if i < level {
            level = i;
            seen_parent = true;
        }
    }
    Eval::Done(Some(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::counts::DEFAULT_REPLACEMENT;

    #[test]
    fn mentions_are_words_of_the_list_or_a_cf_word() {
        assert!(mentions_cloudflare(b"curl https://api.cloudflare.com \\"));
        assert!(mentions_cloudflare(b"export CF_ACCOUNT_ID=1"));
        assert!(mentions_cloudflare(b"[wrangler]"));
        assert!(!mentions_cloudflare(b"xcf_thing = 1"));
        assert!(!mentions_cloudflare(b"[gitlab]"));
        assert_eq!(
            MARKER_LOWER,
            DEFAULT_REPLACEMENT.to_ascii_lowercase().as_bytes()
        );
        assert_eq!(&MARKER_LOWER[MARKER_CF..MARKER_CF + 2], b"cf");
        // Only the marker's `cf` is passed over: no mention word can
        // overlap the marker (none holds a bracket, none is inside it).
        for word in MENTIONS {
            assert!(!word.contains(['[', ']']), "{word}");
            assert!(memchr::memmem::find(MARKER_LOWER, word.as_bytes()).is_none());
        }
        assert!(!mentions_cloudflare(b"X-Auth-Key: [REDACTED_CF_TOKEN]"));
        assert!(!mentions_cloudflare(b"token=[redacted_cf_token] next"));
        assert!(mentions_cloudflare(b"[REDACTED_CF_TOKEN] CF_API_TOKEN"));
        assert!(mentions_cloudflare(b"[REDACTED_CF_TOKEN]cf.io"));
        assert!(!mentions_cloudflare(b"[Redacted_Cf_Token]"));
        // A `cf` that is not a word hides no mention after it.
        assert!(mentions_cloudflare(b"xcflarectl"));
        assert!(mentions_cloudflare(b"deploy via WRANGLER"));
    }
}
