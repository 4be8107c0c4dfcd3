//! Values found after a name introducing them (`CLOUDFLARE_API_TOKEN=`,
//! `cloudflareApiKey:`, `X-Auth-Key:`, `Bearer`), after a Cloudflare SDK
//! call (`cloudflare.New("…"`) or after a keyword of the user's: where the
//! value starts, what its shape makes it, and whether a generic name has
//! Cloudflare near it. The name itself is read in `name`, the nearby
//! mention in `nearby`, placeholders told apart in `placeholder`.

use super::matchers::RUN_CAP;
use super::name::{read_name, Naming};
use super::nearby::cloudflare_nearby;
use super::placeholder::is_placeholder;
use super::window::{ansi_csi_at, is_lower_hex, is_url_safe, Csi, Window, ESC};
use super::Eval;
use crate::core::rules::{Fit, Kind, Matcher, Rule, ValueShape, RULES, SDK_CALL_KINDS};
use crate::core::secrets::KNOWN_PREFIXES;

/// How many separator characters may stand between a name and its value
/// (on each side of a line break).
pub const MAX_SEPARATORS: usize = 8;
/// The characters that separate a name from its value: `=`, `:`, quotes,
/// spaces, the closing of a key or a tag (`"]`, `')`, `>`), the opening
/// of a call (`(`), a comma between arguments.
pub const SEPARATORS: &[u8] = b" \t\"'`:=\\>])(,";
/// Characters that separate only right before `=` (`?=`, `+=`, `.=`).
pub const ASSIGN_MODIFIERS: &[u8] = b"?+.";
/// Most indentation after a line break before a value on the next line.
pub const MAX_INDENT: usize = 32;
/// Comment markers that may start the value's line (`*` in doc comments).
pub const COMMENT_MARKERS: &[&[u8]] = &[b"//", b"*", b"#"];

/// Other vendors' 40-character tokens that a generic `api_token` context
/// would otherwise take for a legacy Cloudflare token.
pub const OTHER_VENDOR_PREFIXES: &[&[u8]] =
    &[b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_", b"glpat-"];

/// What introduced a context value.
#[derive(Clone, Copy, Debug)]
pub(super) enum Introducer {
    /// A credential word ending a name (`token`, `key`, …).
    Word,
    /// A Cloudflare SDK call (`cloudflare.New(`).
    Sdk,
    /// A keyword of the user's, introducing `kind`.
    User(Kind),
}

/// Why a user's extra context keyword cannot be used; names the word.
#[derive(Debug, thiserror::Error)]
pub enum KeywordError {
    /// Empty, or not visible ASCII.
    #[error("keyword {0:?}: expected visible ASCII characters")]
    NotAscii(String),
    /// `kind` has no context rule for the word to join.
    #[error(
        "keyword {word:?}: {} has no context rule (use one of: {})",
        .kind.id(),
        context_kinds().join(", ")
    )]
    NoContextRule {
        /// The keyword.
        word: String,
        /// The kind asked for.
        kind: Kind,
    },
}

/// The rule an extra context keyword `word` for `kind` joins.
pub fn keyword_rule(word: &str, kind: Kind) -> Result<&'static Rule, KeywordError> {
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(KeywordError::NotAscii(word.to_string()));
    }
    context_rule(kind).ok_or_else(|| KeywordError::NoContextRule {
        word: word.to_string(),
        kind,
    })
}

/// The context rule that owns `kind`.
pub(super) fn context_rule(kind: Kind) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.kind == kind && matches!(r.matcher, Matcher::Context { .. }))
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

/// Where a context value starts after its introducer (`from` bytes past
/// the anchor): past 1 to [`MAX_SEPARATORS`] separator characters, ANSI
/// colour codes among them skipped (`X-Auth-Key: ESC[32m…`). After a `:`
/// or `=` the run may cross one line break, indentation and a comment
/// marker (a YAML key, a JSON key in a doc comment, a header on its own
/// line). After a `(`, one quoted e-mail address argument is passed over
/// (`new APIKey('ops@example.com', '…')`). `None` when there is no value.
fn value_start(w: &Window, from: usize) -> Eval<usize> {
    let ahead = w.ahead();
    let mut at = from;
    let mut separators = 0;
    let mut assigned = false;
    let mut crossed = false;
    let mut called = false;
    loop {
        let Some(&b) = ahead.get(at) else {
            if w.ahead_is_open() {
                return Eval::NeedMore;
            }
            break;
        };
        match b {
            _ if SEPARATORS.contains(&b) => {
                separators += 1;
                if separators > MAX_SEPARATORS {
                    return Eval::Done(None);
                }
                assigned |= b == b':' || b == b'=';
                called |= b == b'(';
                at += 1;
            }
            _ if ASSIGN_MODIFIERS.contains(&b) => match ahead.get(at + 1) {
                Some(b'=') => at += 1,
                None if w.ahead_is_open() => return Eval::NeedMore,
                _ => return Eval::Done(None),
            },
            b'\r' | b'\n' if assigned && !crossed => {
                crossed = true;
                at += if b == b'\r' { 1 } else { 0 };
                match ahead.get(at) {
                    Some(b'\n') => at += 1,
                    None if w.ahead_is_open() => return Eval::NeedMore,
                    _ => return Eval::Done(None),
                }
                at += need!(w.run(at, MAX_INDENT + 1, |b| b == b' ' || b == b'\t'));
                if ahead.len() < at + 2 && w.ahead_is_open() {
                    return Eval::NeedMore;
                }
                if let Some(m) = COMMENT_MARKERS.iter().find(|m| ahead[at..].starts_with(m)) {
                    at += m.len();
                }
                separators = 0;
            }
            ESC => match ansi_csi_at(&ahead[at..]) {
                Csi::Complete(n) => at += n,
                Csi::Unfinished if w.ahead_is_open() => return Eval::NeedMore,
                Csi::Unfinished | Csi::Not => break,
            },
            _ if called && separators > 0 => match email_argument(w, at) {
                Eval::NeedMore => return Eval::NeedMore,
                Eval::Done(Some(n)) => {
                    at += n;
                    called = false;
                }
                Eval::Done(None) => break,
            },
            _ => break,
        }
    }
    Eval::Done((separators > 0 || crossed).then_some(at))
}

/// The length of an e-mail address argument at `at` (up to its closing
/// quote), or `None` when none stands there.
fn email_argument(w: &Window, at: usize) -> Eval<usize> {
    const MAX_EMAIL: usize = 128;
    let ahead = w.ahead();
    let len = need!(w.run(at, MAX_EMAIL, |b| {
        !matches!(b, b'"' | b'\'' | b'`' | b'\n' | b' ')
    }));
    let arg = &ahead[at..at + len];
    let closed = matches!(ahead.get(at + len), Some(b'"' | b'\'' | b'`'));
    Eval::Done((closed && arg.contains(&b'@') && !arg.starts_with(b"@")).then_some(len))
}

/// Whether a value after a generic name ends cleanly at `end`: not
/// continued as base64 (`=` padding, `+`, `/`): `public_key="…="` in a
/// block naming Cloudflare is a key's base64, not a token. After a
/// Cloudflare name whatever is glued to a value is masked with it.
fn ends_cleanly(w: &Window, end: usize) -> bool {
    !matches!(w.ahead().get(end), Some(b'=' | b'+' | b'/'))
}

/// The kind of `value` (a run of `[A-Za-z0-9_-]`) among `kinds`, by its
/// shape, with the length of the part that has the shape (the rest is
/// glued to it): 64 hex is a secret, 37–45 hex a Global API Key, 40 other
/// characters an API token. After a generic name (Cloudflare's only by a
/// mention nearby) nothing may be glued to the value, and a token must
/// have its exact length.
fn classify(value: &[u8], kinds: &[(Kind, Fit)], naming: Naming) -> Option<(Kind, usize)> {
    let generic = naming == Naming::Generic;
    let run = value.len();
    let hex = value.iter().take_while(|&&b| is_lower_hex(b)).count();
    kinds
        .iter()
        .find_map(|&(kind, fit)| {
            let ValueShape::Hex { min, max } = shape_of(kind)? else {
                return None;
            };
            let fits = match fit {
                Fit::Exact => hex == run && run == min,
                Fit::Range if generic => hex == run && (min..=max).contains(&run),
                Fit::Range => (min..=max).contains(&hex),
            };
            fits.then_some((kind, hex))
        })
        .or_else(|| {
            kinds.iter().find_map(|&(kind, fit)| {
                let ValueShape::LegacyToken { len } = shape_of(kind)? else {
                    return None;
                };
                let exact = fit == Fit::Exact || generic;
                let fits = (run == len || (!exact && run > len))
                    && !value.iter().all(|b| b.is_ascii_hexdigit())
                    && !OTHER_VENDOR_PREFIXES.iter().any(|p| value.starts_with(p))
                    // A prefixed value is the new format's: its own rule names it
                    // (a wrong checksum stays low, not a medium legacy token).
                    && !KNOWN_PREFIXES.iter().any(|p| value.starts_with(p.as_bytes()));
                fits.then_some((kind, len))
            })
        })
}

/// The value shape of a context kind.
fn shape_of(kind: Kind) -> Option<ValueShape> {
    match context_rule(kind)?.matcher {
        Matcher::Context { value } => Some(value),
        _ => None,
    }
}

/// A context value introduced by `intro`, whose literal is `literal_len`
/// bytes at the anchor.
pub(super) fn context(w: &Window, literal_len: usize, intro: Introducer) -> Eval {
    let ahead = w.ahead();
    if let Introducer::Word = intro {
        // The credential word must end the name (`api_token_id` is not one).
        match (ahead.get(literal_len), ahead.get(literal_len + 1)) {
            (None, _) if w.ahead_is_open() => return Eval::NeedMore,
            (Some(&b), _) if b.is_ascii_alphanumeric() || b == b'_' => return Eval::Done(None),
            (Some(b'-' | b'.'), None) if w.ahead_is_open() => return Eval::NeedMore,
            (Some(b'-' | b'.'), Some(&b)) if b.is_ascii_alphanumeric() => return Eval::Done(None),
            _ => {}
        }
    }
    let start = match value_start(w, literal_len) {
        Eval::NeedMore => return Eval::NeedMore,
        Eval::Done(None) => return Eval::Done(None),
        Eval::Done(Some(start)) => start,
    };
    let run = need!(w.run(start, RUN_CAP, is_url_safe));
    // The shortest value of any context kind (a 37-hex key), or its base64.
    if run < 37 && !need!(super::encoded::may_be_base64_value(w, start)) {
        return Eval::Done(None);
    }
    let value = &ahead[start..start + run];
    let (kinds, naming, name_start) = match intro {
        Introducer::Word => {
            let Some((name_at, row, naming)) = read_name(w.through(literal_len), literal_len)
            else {
                return Eval::Done(None);
            };
            (row.kinds, naming, w.behind().len() - name_at)
        }
        Introducer::Sdk => (SDK_CALL_KINDS, Naming::Cloudflare, 0),
        Introducer::User(kind) => (
            match kind {
                Kind::LegacyApiToken => &[(Kind::LegacyApiToken, Fit::Range)][..],
                Kind::LegacyGlobalKey => &[(Kind::LegacyGlobalKey, Fit::Range)][..],
                Kind::AccessClientSecret => &[(Kind::AccessClientSecret, Fit::Exact)][..],
                _ => &[(Kind::R2SecretKey, Fit::Exact)][..],
            },
            Naming::Cloudflare,
            0,
        ),
    };
    // After a Cloudflare name a base64 value (a Kubernetes Secret's
    // `data:`) is decoded and classified like a plain one, exactly.
    if naming == Naming::Cloudflare {
        let fits = |v: &[u8]| {
            let (kind, _) = classify(v, kinds, Naming::Generic).filter(|_| !is_placeholder(v))?;
            Some((kind, context_rule(kind)?.confidence))
        };
        match super::encoded::after_keyword(w, start, fits) {
            Eval::Done(None) => {}
            found => return found,
        }
    }
    // The mention a generic name needs is looked for last: it is the slow part.
    let Some((kind, core)) = classify(value, kinds, naming) else {
        return Eval::Done(None);
    };
    // Whatever is glued after the shaped part is masked with it.
    let len = run;
    let generic = naming == Naming::Generic;
    if (generic && !ends_cleanly(w, start + len)) || is_placeholder(&value[..core]) {
        return Eval::Done(None);
    }
    if naming == Naming::Generic {
        match cloudflare_nearby(w, name_start, start + len) {
            Eval::NeedMore => return Eval::NeedMore,
            Eval::Done(Some(true)) => {}
            Eval::Done(_) => return Eval::Done(None),
        }
    }
    let rule = context_rule(kind).expect("classify returns context kinds");
    w.candidate(start, len, kind, rule.confidence)
}
