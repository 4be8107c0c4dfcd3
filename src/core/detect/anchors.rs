//! Which literals start which matcher: the rules' own prefixes, and the
//! credential words (with, for the short or common ones, the bytes that
//! follow them when they name a value) that start the context matcher.
//! Kept few, at least 4 bytes long and alike at their start: they share
//! the prefilter's buckets with the encoded triggers (see `finder`), and
//! every anchor found costs a matcher call.

use super::context::Introducer;
use super::matchers::PEM_BEGIN;
use crate::core::rules::{Matcher, Rule, CREDENTIAL_WORDS, NAME_WORDS, SDK_CALLS};

/// Who decides at a static anchor.
#[derive(Clone, Copy)]
pub(super) enum Owner {
    /// A rule's own matcher (prefixes).
    Rule(&'static Rule),
    /// The context matcher (credential words, SDK calls, user keywords),
    /// with the length of the word (the literal may hold one byte after it).
    Context(Introducer, usize),
}

/// What a static anchor belongs to.
#[derive(Clone)]
pub(super) struct StaticAnchor {
    pub(super) owner: Owner,
    /// The rule's own word, or a context keyword from the user's config.
    pub(super) literal: std::borrow::Cow<'static, str>,
    pub(super) case_sensitive: bool,
}

/// The literals that start a rule's own matcher (prefixes): what other
/// tools' rules are generated from (`cfscrub rules export`). Context
/// rules have none of their own: see [`context_literals`].
pub fn anchor_literals(rule: &'static Rule) -> Vec<String> {
    rule_anchors(rule)
        .iter()
        .map(|a| a.literal.to_string())
        .collect()
}

/// The literals that start the context matcher, lower-case and matched
/// ASCII case-insensitively: each credential word's last word, the SDK calls.
pub fn context_literals() -> Vec<&'static str> {
    let mut words: Vec<&'static str> = CREDENTIAL_WORDS
        .iter()
        .map(|w| *w.suffix.last().expect("a suffix has a word"))
        .collect();
    words.sort_unstable();
    words.dedup();
    words.extend(SDK_CALLS);
    words
}

/// What most often follows a short credential word (`key`) used as a
/// value's name: the word is anchored with each of these after it, so
/// that the automaton keeps 4-byte fingerprints (`cache_keys`,
/// `keyboard`, `kv key list`… never reach the matcher) and few patterns:
/// each one loosens the automaton's prefilter (`finder` gives them one
/// bucket), which is most of the scan's time. Left out, and so not found
/// after a name ending in `key`: a value after a space alone
/// (`--api-key <value>`; `api_key = <value>` is found), a tab, `>`, `]`,
/// `)`, `,`, an ANSI code, and `?=`, `:=`, `+=`, `.=` after a space.
const WORD_FOLLOWERS: &[&str] = &["=", ":", "\"", "'", " =", "(", "\\"];
/// The shortest anchor literal.
const MIN_ANCHOR: usize = 4;
/// What may follow `cloudflare` when it names a value by itself
/// (`cloudflare: …`, `CLOUDFLARE=…`): the word is anchored with each of
/// them, never alone — it stands in every `api.cloudflare.com/` URL and in
/// prose (`"cloudflare": …` and `cloudflare = …` are left out).
const BARE_NAME_FOLLOWERS: &[&str] = &[":", "="];

pub(super) fn context_anchors() -> Vec<StaticAnchor> {
    let mut anchors = Vec::new();
    for literal in context_literals() {
        let word = literal.len();
        let intro = if SDK_CALLS.contains(&literal) {
            Introducer::Sdk
        } else {
            Introducer::Word
        };
        let anchor = |literal: String| StaticAnchor {
            owner: Owner::Context(intro, word),
            literal: literal.into(),
            case_sensitive: false,
        };
        let followers = if word < MIN_ANCHOR {
            Some(WORD_FOLLOWERS)
        } else if NAME_WORDS.cloudflare.contains(&literal) {
            Some(BARE_NAME_FOLLOWERS)
        } else {
            None
        };
        if let Some(followers) = followers {
            anchors.extend(
                followers
                    .iter()
                    .map(|follower| anchor(format!("{literal}{follower}"))),
            );
        } else {
            anchors.push(anchor(literal.to_string()));
        }
    }
    anchors.sort_by_key(|a| std::cmp::Reverse(a.literal.len()));
    anchors
}

pub(super) fn rule_anchors(rule: &'static Rule) -> Vec<StaticAnchor> {
    let sensitive = |literal: &'static str| StaticAnchor {
        owner: Owner::Rule(rule),
        literal: literal.into(),
        case_sensitive: true,
    };
    match rule.matcher {
        Matcher::Scannable { prefix } | Matcher::OAuth { prefix } => vec![sensitive(prefix)],
        Matcher::OriginCa => vec![sensitive("v1.0-")],
        Matcher::TunnelToken => vec![sensitive("eyJhIjoi")],
        Matcher::TunnelCertPem => vec![sensitive(PEM_BEGIN)],
        Matcher::Turnstile => vec![sensitive("0x4AAAAAA")],
        Matcher::Context { .. } | Matcher::Derived => Vec::new(),
    }
}
