//! Values found after a keyword naming them (`CLOUDFLARE_API_TOKEN=`,
//! `X-Auth-Key:`): where the value starts, whether the keyword names
//! Cloudflare, and the value's shape.

use super::matchers::RUN_CAP;
use super::window::{
    ansi_csi_at, contains_ignore_case, is_lower_hex, is_url_safe, Csi, Window, ESC, MAX_CSI,
};
use super::Eval;
use crate::core::rules::{Kind, Matcher, Rule, ValueShape, CLOUDFLARE_KEYWORDS, RULES};
use crate::core::secrets::KNOWN_PREFIXES;

/// How far along the line a "nearby" word is looked for.
const NEARBY_AHEAD: usize = 512;
/// How many separator characters may stand between a context keyword and its value.
pub const MAX_SEPARATORS: usize = 8;
/// The characters that separate a context keyword from its value.
pub const SEPARATORS: &[u8] = b" \t\"'`:=\\";

/// Other vendors' 40-character tokens that a generic `api_token` context
/// would otherwise take for a legacy Cloudflare token.
pub const OTHER_VENDOR_PREFIXES: &[&[u8]] =
    &[b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_", b"glpat-"];

/// The rule an extra context keyword `word` for `kind` joins; an error
/// naming the word when it is not visible ASCII or `kind` has no context rule.
pub fn keyword_rule(word: &str, kind: Kind) -> Result<&'static Rule, String> {
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "keyword {word:?}: expected visible ASCII characters"
        ));
    }
    context_rule(kind).ok_or_else(|| {
        format!(
            "keyword {word:?}: {} has no context rule (use one of: {})",
            kind.id(),
            context_kinds().join(", ")
        )
    })
}

/// The context rule without a nearby word that owns `kind`, for the
/// user's extra keywords.
fn context_rule(kind: Kind) -> Option<&'static Rule> {
    RULES.iter().find(|r| {
        r.kind == kind
            && matches!(
                r.matcher,
                Matcher::Context {
                    needs_nearby: None,
                    ..
                }
            )
    })
}

/// The kinds an extra keyword may introduce.
fn context_kinds() -> Vec<&'static str> {
    let mut ids: Vec<_> = Kind::ALL
        .iter()
        .filter(|k| context_rule(**k).is_some())
        .map(|k| k.id())
        .collect();
    ids.dedup();
    ids
}

/// True when `keyword` names Cloudflare by itself ([`CLOUDFLARE_KEYWORDS`])
/// or ends an identifier that does (`CLOUDFLARE_API_KEY`, `CF_API_TOKEN`),
/// an ANSI colour code right before the identifier left aside.
fn names_cloudflare(w: &Window, keyword: &str) -> bool {
    if CLOUDFLARE_KEYWORDS.contains(&keyword) {
        return true;
    }
    let behind = w.behind();
    let mut start = behind.len() - behind.iter().rev().take_while(|&&b| is_url_safe(b)).count();
    // `ESC [ 33 m CF_API_KEY`: the run above took the `33m` in.
    let lo = start.saturating_sub(MAX_CSI);
    if let Some(esc) = memchr::memrchr(ESC, &behind[lo..start]).map(|i| lo + i) {
        if let Csi::Complete(n) = ansi_csi_at(&behind[esc..]) {
            start = start.max(esc + n);
        }
    }
    let ident = &behind[start..];
    contains_ignore_case(ident, "cloudflare")
        || ident
            .split(|&b| b == b'_' || b == b'-')
            .any(|part| part.eq_ignore_ascii_case(b"cf"))
}

/// Where a context value starts after its keyword: past 1 to
/// [`MAX_SEPARATORS`] separator characters, ANSI colour codes among them
/// skipped (`X-Auth-Key: ESC[32m…`). `None` when there is no value there.
fn value_start(w: &Window, keyword_len: usize) -> Eval<usize> {
    let ahead = w.ahead();
    let is_separator = |b: u8| SEPARATORS.contains(&b);
    let mut at = keyword_len;
    let mut separators = 0;
    loop {
        match ahead.get(at) {
            None if w.ahead_is_open() => return Eval::NeedMore,
            None => break,
            Some(&b) if is_separator(b) => {
                separators += 1;
                if separators > MAX_SEPARATORS {
                    return Eval::Done(None);
                }
                at += 1;
            }
            Some(&ESC) => match ansi_csi_at(&ahead[at..]) {
                Csi::Complete(n) => at += n,
                Csi::Unfinished if w.ahead_is_open() => return Eval::NeedMore,
                Csi::Unfinished | Csi::Not => break,
            },
            Some(_) => break,
        }
    }
    Eval::Done((separators > 0).then_some(at))
}

pub(super) fn context(
    w: &Window,
    keyword: &str,
    shape: ValueShape,
    needs_nearby: Option<&str>,
    rule: &Rule,
) -> Eval {
    let start = match value_start(w, keyword.len()) {
        Eval::NeedMore => return Eval::NeedMore,
        Eval::Done(None) => return Eval::Done(None),
        Eval::Done(Some(start)) => start,
    };
    let ahead = w.ahead();
    let run = need!(w.run(start, RUN_CAP, is_url_safe));
    let value = &ahead[start..start + run];
    // After a keyword naming Cloudflare the value is that credential even
    // with characters glued after it (masked with it); after a generic
    // keyword only the exact shape counts.
    let specific = names_cloudflare(w, keyword);
    // A base64 value (a Kubernetes Secret's `data:`) is decoded and judged
    // by the same shape.
    if specific {
        match super::encoded::after_keyword(w, start, shape, rule.kind, rule.confidence) {
            Eval::Done(None) => {}
            found => return found,
        }
    }
    let shape_ok = match shape {
        ValueShape::LegacyToken { len } => {
            (run == len || (specific && run > len))
                && !value.iter().all(|b| b.is_ascii_hexdigit())
                && !OTHER_VENDOR_PREFIXES.iter().any(|p| value.starts_with(p))
                // A prefixed value is the new format's: its own rule names it
                // (a wrong checksum stays low, not a medium legacy token).
                && !KNOWN_PREFIXES.iter().any(|p| value.starts_with(p.as_bytes()))
        }
        ValueShape::Hex { len, generic_len } => {
            let hex = value.iter().take_while(|&&b| is_lower_hex(b)).count();
            if specific {
                hex >= len
            } else {
                run == generic_len && hex == run
            }
        }
    };
    if !shape_ok {
        return Eval::Done(None);
    }
    if let Some(word) = needs_nearby {
        let behind = w.behind();
        let line_start = memchr::memrchr(b'\n', behind).map_or(0, |i| i + 1);
        let after = &ahead[start + run..];
        let reach = after.len().min(NEARBY_AHEAD);
        let line_end = memchr::memchr(b'\n', &after[..reach]);
        if line_end.is_none() && reach < NEARBY_AHEAD && w.ahead_is_open() {
            return Eval::NeedMore;
        }
        let after_line = &after[..line_end.unwrap_or(reach)];
        if !contains_ignore_case(&behind[line_start..], word)
            && !contains_ignore_case(after_line, word)
        {
            return Eval::Done(None);
        }
    }
    w.candidate(start, run, rule.kind, rule.confidence)
}
