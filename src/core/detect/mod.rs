//! The detector: finds anchors and decides, at each one, whether a
//! credential starts there.
//!
//! Detection is two steps. An Aho-Corasick automaton finds *anchors*
//! (prefixes like `cfut_`, context words like `api_token`, the leading
//! characters of known secrets); then the [`crate::core::rules::Matcher`] owning
//! the anchor inspects a bounded [`Window`] around it — at most
//! [`LOOKBEHIND`] bytes before and [`MAX_LOOKAHEAD`] after — and answers with
//! an [`Eval`]. Because a decision depends only on that window, the chunked
//! reader in [`crate::core::stream`] gets the same findings whatever its chunk
//! size; when a window runs off the end of the data read so far, the matcher
//! answers [`Eval::NeedMore`] and is asked again with more.
//!
//! The detector is the only code that sees secret bytes; what it returns
//! ([`Candidate`]) holds positions, a kind and a fingerprint.
//!
//! The only code that touches secret bytes lives in this directory, one
//! concern a file:
//!
//! * this module: [`Detector`] and the dispatch from an anchor to its
//!   matcher;
//! * `finder`: the one search for every anchor literal, laid out for the
//!   automaton's prefilter;
//! * `anchors`: which literals start which matcher (prefixes, credential
//!   words with the bytes that follow them);
//! * `window`: the [`Window`] around an anchor, byte classes, word
//!   boundaries and ANSI colour codes;
//! * `matchers`: the value shapes found by their own prefix (scannable and
//!   OAuth tokens, Origin CA keys, tunnel tokens and certificates,
//!   Turnstile secrets);
//! * `context`: values found after a name ending in a credential word
//!   (legacy tokens and keys): separators, next-line values, the value's
//!   shape deciding its kind;
//! * `name`: that name, split into words and placed as Cloudflare's,
//!   generic or another's;
//! * `nearby`: a Cloudflare mention near a generic name (its line, its
//!   block before it, its `\`-continued lines), looked for last;
//! * `placeholder`: values typed as stand-ins;
//! * `known`: the user's known secrets (`--secret-from`), and their
//!   base64 and percent-encoded forms;
//! * `encoded`: base64, percent-encoded and escaped forms of the prefixed
//!   shapes, and base64 values after a name naming Cloudflare.

use crate::core::finding::{Encoding, Fingerprint};
use crate::core::rules::{Confidence, Kind, Matcher, RULES};
use crate::core::secrets::{KnownSecrets, MAX_KNOWN_LEN};

/// Bytes before an anchor a matcher may look at.
pub const LOOKBEHIND: usize = 512;
/// Bytes from an anchor a matcher may look at (an `ARGO TUNNEL TOKEN` block
/// is the longest shape, a known secret may be as long).
pub const MAX_LOOKAHEAD: usize = 16 * 1024;
const _: () = assert!(MAX_KNOWN_LEN <= MAX_LOOKAHEAD);

/// A span the detector proposes, relative to the window's buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Start index in the buffer.
    pub start: usize,
    /// Length in bytes.
    pub len: usize,
    /// What it is.
    pub kind: Kind,
    /// How sure.
    pub confidence: Confidence,
    /// For whole high-entropy values.
    pub fingerprint: Option<Fingerprint>,
    /// How the value was encoded, when the detector decoded it.
    pub encoding: Option<Encoding>,
}

/// A matcher's answer at one anchor (or a step's answer inside a matcher).
#[derive(Debug, PartialEq, Eq)]
pub enum Eval<T = Candidate> {
    /// The window ends before the matcher could decide: ask again with more data.
    NeedMore,
    /// Decided: a credential starts here, or nothing does.
    Done(Option<T>),
}

/// The value of an `Option` from a [`Window`] step, or `Eval::NeedMore`
/// from the enclosing function when the step ran off the data read so far.
macro_rules! need {
    ($e:expr) => {
        match $e {
            Some(v) => v,
            None => return Eval::NeedMore,
        }
    };
}

mod anchors;
mod context;
mod encoded;
mod finder;
mod known;
mod matchers;
mod name;
mod nearby;
mod placeholder;
#[cfg(test)]
mod tests;
mod window;

pub use anchors::{anchor_literals, context_literals};
use anchors::{context_anchors, rule_anchors, Owner, StaticAnchor};
use context::{context, Introducer};
pub use context::{keyword_rule, KeywordError};
pub use context::{
    ASSIGN_MODIFIERS, COMMENT_MARKERS, MAX_INDENT, MAX_SEPARATORS, OTHER_VENDOR_PREFIXES,
    SEPARATORS,
};
use encoded::EncodedHunter;
use finder::Finder;
use known::KnownHunter;
use matchers::{oauth, origin_ca, scannable, tunnel_pem, tunnel_token, turnstile};
pub use matchers::{
    ORIGIN_CA_GROUPS, ORIGIN_CA_GROUP_HEX, ORIGIN_CA_MIN_HEX, PEM_BEGIN, PEM_END, TURNSTILE_LEN,
};
pub use nearby::{MAX_LINES_BACK, NEARBY_AHEAD};
pub use placeholder::{MAX_REPEAT, MAX_SEQUENCE, MIN_DISTINCT, PLACEHOLDER_WORDS};
pub use window::Window;

/// An anchor found in a buffer: where, and which matcher owns it.
#[derive(Clone, Copy, Debug)]
pub struct Anchor {
    /// Index of the anchor's first byte in the searched buffer.
    pub pos: usize,
    target: AnchorTarget,
}

#[derive(Clone, Copy, Debug)]
enum AnchorTarget {
    Static(usize),
    Known(usize),
    Encoded(usize),
}

/// The compiled detector: every rule plus the known secrets.
pub struct Detector {
    /// The static anchors' literals, then the encoded forms' triggers.
    finder: Finder,
    anchors: Vec<StaticAnchor>,
    known: Option<KnownHunter>,
    /// The triggers of encoded prefixed shapes (with the rules).
    encoded: Option<EncodedHunter>,
    rules_enabled: bool,
    longest_anchor: usize,
    /// Fingerprints the user accepted (known test fakes): rule findings
    /// with one of them are dropped. Known secrets are always reported.
    allowed: std::collections::HashSet<Fingerprint>,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Detector({} anchors, {} known secrets)",
            self.anchors.len(),
            self.known.as_ref().map_or(0, |k| k.values.len())
        )
    }
}

impl Detector {
    /// A detector for every rule in [`RULES`] plus `known` secrets.
    pub fn new(known: &KnownSecrets) -> Detector {
        Detector::build(known, true)
    }

    /// A detector that hunts only the known secrets (`verify --secret-from`).
    pub fn known_only(known: &KnownSecrets) -> Detector {
        Detector::build(known, false)
    }

    /// A detector for every rule plus `known` secrets and the user's
    /// extra context keywords: each `(word, kind)` introduces a value of
    /// the exact shape of `kind`'s context rule, as `api_token` does. The
    /// word is matched ASCII case-insensitively. Errors name the word when
    /// `kind` has no context rule or the word is not plain ASCII.
    pub fn with_keywords(
        known: &KnownSecrets,
        keywords: &[(String, Kind)],
    ) -> Result<Detector, KeywordError> {
        let mut extra = Vec::new();
        for (word, kind) in keywords {
            keyword_rule(word, *kind)?;
            extra.push(StaticAnchor {
                owner: Owner::Context(Introducer::User(*kind), word.len()),
                literal: word.to_ascii_lowercase().into(),
                case_sensitive: false,
            });
        }
        Ok(Detector::build_with(known, true, extra))
    }

    /// Drops rule findings whose fingerprint is in `allowed` (the known
    /// test fakes of a config's allowlist). Known secrets are still found.
    pub fn allowing(mut self, allowed: impl IntoIterator<Item = Fingerprint>) -> Detector {
        self.allowed = allowed.into_iter().collect();
        self
    }

    fn build(known: &KnownSecrets, rules_enabled: bool) -> Detector {
        Detector::build_with(known, rules_enabled, Vec::new())
    }

    fn build_with(known: &KnownSecrets, rules_enabled: bool, extra: Vec<StaticAnchor>) -> Detector {
        let anchors: Vec<StaticAnchor> = if rules_enabled {
            // User keywords first: at one position the search reports the
            // first literal that matches (`cloudflare_key` before `key`).
            extra
                .into_iter()
                .chain(RULES.iter().flat_map(rule_anchors))
                .chain(context_anchors())
                .collect()
        } else {
            Vec::new()
        };
        let encoded = rules_enabled.then(EncodedHunter::new);
        // One search for both, over the lower-cased text; the case of a
        // prefix or trigger is checked at the anchor.
        let literals: Vec<(&[u8], bool)> = anchors
            .iter()
            .map(|a| (a.literal.as_bytes(), a.case_sensitive))
            .chain(encoded.iter().flat_map(|e| {
                e.literals()
                    .map(|(l, case_sensitive)| (l.as_bytes(), case_sensitive))
            }))
            .collect();
        let finder = Finder::new(&literals);
        let known = (!known.is_empty()).then(|| KnownHunter::new(known));
        let longest_anchor = literals
            .iter()
            .map(|(l, _)| l.len())
            .chain(known.iter().flat_map(|k| k.anchors.iter().map(|a| a.len())))
            .max()
            .unwrap_or(1);
        Detector {
            finder,
            anchors,
            known,
            encoded,
            rules_enabled,
            longest_anchor,
            allowed: Default::default(),
        }
    }

    /// Appends every anchor that starts at or after `from` in `hay` to `out`,
    /// sorted by position. `lowered` is scratch space: the static anchors
    /// and encoded triggers are searched in an ASCII-lower-cased copy,
    /// which keeps the automaton's SIMD prefilter (it has none for
    /// case-insensitive search).
    pub fn find_anchors(
        &self,
        hay: &[u8],
        from: usize,
        lowered: &mut Vec<u8>,
        out: &mut Vec<Anchor>,
    ) {
        if self.rules_enabled {
            finder::lower_into(lowered, &hay[from..]);
            let statics = self.anchors.len();
            self.finder.every_match(lowered, |start, literal| {
                let target = match literal.checked_sub(statics) {
                    None => AnchorTarget::Static(literal),
                    Some(trigger) => AnchorTarget::Encoded(trigger),
                };
                out.push(Anchor {
                    pos: from + start,
                    target,
                })
            });
        }
        let before = out.len();
        if let Some(known) = &self.known {
            finder::every_match(&known.automaton, &hay[from..], |start, pattern| {
                out.push(Anchor {
                    pos: from + start,
                    target: AnchorTarget::Known(pattern),
                })
            });
        }
        if out.len() > before {
            out.sort_by_key(|a| a.pos);
        }
    }

    /// Decides what starts at `anchor`; may append several candidates for
    /// a shared known-secret anchor. Returns false when more data is needed.
    pub fn evaluate(
        &self,
        bytes: &[u8],
        anchor: Anchor,
        eof: bool,
        out: &mut Vec<Candidate>,
    ) -> bool {
        let w = Window::new(bytes, anchor.pos, eof);
        match anchor.target {
            AnchorTarget::Static(i) => match self.eval_static(&w, &self.anchors[i]) {
                Eval::NeedMore => return false,
                Eval::Done(c) => out.extend(
                    c.filter(|c| !c.fingerprint.is_some_and(|fp| self.allowed.contains(&fp))),
                ),
            },
            AnchorTarget::Encoded(i) => {
                let encoded = self
                    .encoded
                    .as_ref()
                    .expect("encoded anchors imply triggers");
                match encoded.eval(&w, i) {
                    Eval::NeedMore => return false,
                    Eval::Done(c) => {
                        out.extend(c.filter(|c| {
                            !c.fingerprint.is_some_and(|fp| self.allowed.contains(&fp))
                        }))
                    }
                }
            }
            AnchorTarget::Known(i) => {
                let known = self.known.as_ref().expect("known anchors imply a hunter");
                for &(value, part) in &known.targets[i] {
                    match known.eval(&w, value, part) {
                        Eval::NeedMore => return false,
                        Eval::Done(c) => out.extend(c),
                    }
                }
            }
        }
        true
    }

    /// The length of the longest suffix of `bytes` that could still grow
    /// into an anchor: those bytes cannot be decided before more arrive.
    pub fn undecided_suffix(&self, bytes: &[u8]) -> usize {
        let max = (self.longest_anchor - 1).min(bytes.len());
        (1..=max)
            .rev()
            .find(|&k| {
                let tail = &bytes[bytes.len() - k..];
                self.finder.could_grow(tail)
                    || self
                        .known
                        .as_ref()
                        .is_some_and(|known| known.could_grow_into_anchor(tail))
            })
            .unwrap_or(0)
    }

    fn eval_static(&self, w: &Window, anchor: &StaticAnchor) -> Eval {
        let ahead = w.ahead();
        if anchor.case_sensitive && !ahead.starts_with(anchor.literal.as_bytes()) {
            return Eval::Done(None);
        }
        let rule = match anchor.owner {
            Owner::Rule(rule) => rule,
            Owner::Context(intro, word) => return context(w, word, intro),
        };
        match rule.matcher {
            Matcher::Scannable { prefix } => scannable(w, prefix.len(), rule.kind),
            Matcher::OAuth { prefix } => oauth(w, prefix.len(), rule.kind),
            Matcher::OriginCa => origin_ca(w),
            Matcher::TunnelToken => tunnel_token(w),
            Matcher::TunnelCertPem => tunnel_pem(w),
            Matcher::Turnstile => turnstile(w),
            Matcher::Context { .. } | Matcher::Derived => Eval::Done(None),
        }
    }
}
