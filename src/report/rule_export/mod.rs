//! The rule catalogue ([`crate::core::rules::RULES`]) in other tools'
//! languages, for log pipelines that scrub at the source
//! (`cfscrub rules export`): one portable regular expression per rule
//! variant, generated from the rules and the detector's parameters, never
//! written by hand, then rendered as a gitleaks TOML ([`gitleaks`]) or a
//! Vector VRL program ([`vector`]).
//!
//! A portable rule is three capture groups, `(before)(secret)(after)`: the
//! context kept around the value (a keyword and its separators, a boundary
//! character) and the value itself. The syntax is the common subset of Go's
//! RE2 (gitleaks, Grafana Alloy) and Rust's `regex` (VRL): no look-around,
//! no back-references. What the detector decides beyond a regular
//! expression is lost or approximated, and the README says what
//! ("At fleet scale"): checksums are not checked (cfscrub masks a
//! wrong-checksum token too, at low confidence, so a masker loses nothing),
//! ANSI colour codes between a keyword and its value are not skipped, known
//! secrets and their fragments are not in any rule.

pub mod gitleaks;
pub mod vector;

use crate::core::detect::{
    anchor_literals, context_literals, ASSIGN_MODIFIERS, COMMENT_MARKERS, MAX_INDENT,
    MAX_LINES_BACK, MAX_REPEAT, MAX_SEPARATORS, MAX_SEQUENCE, ORIGIN_CA_GROUPS,
    ORIGIN_CA_GROUP_HEX, PEM_BEGIN, PEM_END, PLACEHOLDER_WORDS, SEPARATORS, TURNSTILE_LEN,
};
use crate::core::rules::{
    Fit, Kind, Matcher, Rule, ValueShape, CREDENTIAL_WORDS, MENTIONS, NAME_WORDS, RULES, SDK_CALLS,
    SDK_CALL_KINDS,
};
use crate::core::secrets::MIN_PREFIXED_BODY;

/// Characters of a scannable token's body.
const ALNUM: &str = "[A-Za-z0-9]";
/// Characters of an OAuth half, a legacy token, a glued run.
const URL_SAFE: &str = "[A-Za-z0-9_-]";
/// A scannable body: 40 characters, then the 8 hex digits of their CRC-32.
const SCANNABLE_BODY: &str = "[A-Za-z0-9]{40}[0-9a-f]{8}";
/// One OAuth half.
const OAUTH_HALF: usize = 43;
/// An ANSI colour or erase code (`ESC [ 33 m`, `ESC [ 0 K`), which the
/// detector sees through.
const ANSI: &str = "\\x1b\\[[0-9;]*[A-Za-z]";
/// A string escape for a control character (`\n`, `\u001b[33m`), as JSON
/// carries tool output (the backslash not itself escaped): the detector
/// takes it for a boundary.
const TEXT_ESCAPE: &str =
    "(?:^|[^\\\\])(?:\\\\\\\\)*\\\\[ntrbf]|\\\\(?:u001[bB]|x1[bB]|e|033)\\[[0-9;]*[A-Za-z]";
/// What may stand right before a value that needs a boundary on its left.
fn left_boundary() -> String {
    format!("^|[^A-Za-z0-9]|{ANSI}|{TEXT_ESCAPE}")
}

/// The formats the rules are exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// A gitleaks configuration (TOML).
    Gitleaks,
    /// A Vector Remap Language program.
    Vector,
}

/// The rules in `format`.
pub fn render(format: ExportFormat) -> anyhow::Result<String> {
    match format {
        ExportFormat::Gitleaks => gitleaks::render(),
        ExportFormat::Vector => Ok(vector::render()),
    }
}

/// One exported rule: a kind and the regular expression that finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRule {
    /// Unique id: the kind's id, with a suffix when a kind needs several
    /// expressions (`cloudflare-legacy-api-token-glued`).
    pub id: String,
    /// The kind it reports.
    pub kind: Kind,
    /// A human description.
    pub description: String,
    /// What stands before the value and is kept (group 1).
    pub before: String,
    /// The value (group 2).
    pub secret: String,
    /// What stands after the value and is kept (group 3).
    pub after: String,
    /// Lower-case literals one of which every match contains (gitleaks'
    /// keyword prefilter).
    pub keywords: Vec<String>,
    /// A value matching this whole is not the credential (all hex where a
    /// legacy token is expected, another vendor's token): gitleaks'
    /// allowlist. VRL masks it anyway.
    pub not_secret: Option<String>,
}

impl ExportRule {
    /// The whole expression: `(before)(secret)(after)`, `^` and `$` at line ends.
    pub fn regex(&self) -> String {
        format!("(?m)({})({})({})", self.before, self.secret, self.after)
    }
}

/// Every exported rule, in catalogue order.
pub fn export_rules() -> Vec<ExportRule> {
    RULES.iter().flat_map(rule_variants).collect()
}

/// Escapes a literal for a regular expression (RE2 and Rust agree).
fn escape(literal: &str) -> String {
    regex::escape(literal)
}

/// `(?i:a|b|c)` for literals matched case-insensitively.
fn any_of_ci(words: &[&str]) -> String {
    let escaped: Vec<String> = words.iter().map(|w| escape(w)).collect();
    format!("(?i:{})", escaped.join("|"))
}

/// A character class of `bytes`.
fn class_of(bytes: &[u8]) -> String {
    let class: String = bytes
        .iter()
        .map(|&b| match b {
            b'\t' => "\\t".to_string(),
            b'\\' | b'"' | b'[' | b']' | b'^' | b'-' => format!("\\{}", b as char),
            b => (b as char).to_string(),
        })
        .collect();
    format!("[{class}]")
}

/// The separators between a context name and its value: on one line, or
/// ending a line with `:` or `=` and going on after indentation and a
/// comment marker.
fn separators() -> String {
    let one = format!(
        "(?:{}|{}=)(?:{ANSI})*",
        class_of(SEPARATORS),
        class_of(ASSIGN_MODIFIERS)
    );
    let run = format!("(?:{ANSI})*(?:{one}){{1,{MAX_SEPARATORS}}}");
    let upto = format!("(?:{ANSI})*(?:{one}){{0,{MAX_SEPARATORS}}}");
    let markers: Vec<String> = COMMENT_MARKERS
        .iter()
        .map(|m| escape(&String::from_utf8_lossy(m)))
        .collect();
    format!(
        "(?:{run}|{upto}[:=]{upto}\\r?\\n[ \\t]{{0,{MAX_INDENT}}}(?:{})?{upto})",
        markers.join("|")
    )
}

/// Prefixes of the rules that report [`Kind::Partial`] when cut short.
fn prefixes(oauth: bool) -> Vec<&'static str> {
    RULES
        .iter()
        .filter_map(|r| match r.matcher {
            Matcher::Scannable { prefix } if !oauth => Some(prefix),
            Matcher::OAuth { prefix } if oauth => Some(prefix),
            _ => None,
        })
        .collect()
}

fn lower(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_ascii_lowercase()).collect()
}

fn rule_variants(rule: &'static Rule) -> Vec<ExportRule> {
    let kind = rule.kind;
    let plain = |suffix: &str, secret: String, keywords: Vec<String>| ExportRule {
        id: format!("{}{suffix}", kind.id()),
        kind,
        description: kind.title().to_string(),
        before: String::new(),
        secret,
        after: String::new(),
        keywords,
        not_secret: None,
    };
    let anchors = anchor_literals(rule);
    let anchors: Vec<&str> = anchors.iter().map(String::as_str).collect();
    match rule.matcher {
        Matcher::Scannable { prefix } => vec![plain(
            "",
            format!("{}{SCANNABLE_BODY}", escape(prefix)),
            lower(&anchors),
        )],
        Matcher::OAuth { prefix } => vec![plain(
            "",
            format!(
                "{}{URL_SAFE}{{{OAUTH_HALF}}}\\.{URL_SAFE}{{{OAUTH_HALF},}}",
                escape(prefix)
            ),
            lower(&anchors),
        )],
        Matcher::OriginCa => {
            // The least total of hex digits is not expressed.
            let (lo, hi) = (ORIGIN_CA_GROUP_HEX.start(), ORIGIN_CA_GROUP_HEX.end());
            let group = format!("[0-9a-f]{{{lo},{hi}}}");
            let more = (ORIGIN_CA_GROUPS.start() - 1, ORIGIN_CA_GROUPS.end() - 1);
            let head = escape(anchors[0]);
            let secret = format!("{head}{group}(?:-{group}){{{},{}}}{ALNUM}*", more.0, more.1);
            vec![plain("", secret, lower(&anchors))]
        }
        Matcher::TunnelToken => {
            // The base64 of `{"a":"` and the 32-hex account id that follows.
            let secret = format!("{}[A-Za-z0-9+/_=-]{{44,}}", escape(anchors[0]));
            vec![plain("", secret, lower(&anchors))]
        }
        Matcher::TunnelCertPem => {
            let end = String::from_utf8_lossy(PEM_END);
            let secret = format!("{}(?s:.*?){}", escape(PEM_BEGIN), escape(&end));
            vec![plain("", secret, vec!["argo tunnel token".to_string()])]
        }
        Matcher::Turnstile => {
            let head = escape(anchors[0]);
            let rest = TURNSTILE_LEN - anchors[0].len();
            let mut r = plain("", format!("{head}{URL_SAFE}{{{rest},}}"), lower(&anchors));
            // `secret` earlier on the line, and no letter or digit glued before.
            r.before = format!("(?i:secret)[^\\n]*?(?:[^A-Za-z0-9]|{ANSI})");
            vec![r]
        }
        Matcher::Derived => partial_variants(rule),
        Matcher::Context { value } => context_variants(rule, value),
    }
}

/// A prefix with too few characters after it (a grep, an audit line) or
/// too many for a token: a scannable prefix and 4 to 47 body characters
/// that read as a fragment of a random body, standing alone on the left
/// (no identifier glued before, `_` included), or 49 and more glued to
/// anything; an OAuth prefix whose halves are not both 43 long. A
/// fragment is not all lower-case letters and is not followed by what
/// makes it a name: `(`, `_` and a word character, `.` and a letter, an
/// assignment `=` (spaces allowed, not `==`).
fn partial_variants(rule: &'static Rule) -> Vec<ExportRule> {
    let make =
        |suffix: &str, prefixes: Vec<&str>, before: String, body: String, after: &str| ExportRule {
            id: format!("{}{suffix}", rule.kind.id()),
            kind: rule.kind,
            description: rule.kind.title().to_string(),
            before,
            secret: format!(
                "(?:{}){body}",
                prefixes
                    .iter()
                    .map(|p| escape(p))
                    .collect::<Vec<_>>()
                    .join("|")
            ),
            after: after.to_string(),
            keywords: lower(&prefixes),
            not_secret: None,
        };
    let min = MIN_PREFIXED_BODY;
    let half = OAUTH_HALF;
    let all_prefixes: Vec<String> = crate::core::secrets::KNOWN_PREFIXES
        .iter()
        .map(|p| escape(p))
        .collect();
    let fragment_before = format!(
        "^|[^A-Za-z0-9_]|{ANSI}|{TEXT_ESCAPE}|{}",
        all_prefixes.join("|")
    );
    // Some lower-case letters, the first upper-case letter or digit, then
    // anything: min to 47 characters in all.
    let body: Vec<String> = (0..=46)
        .map(|k: usize| {
            let lo = (min - 1).saturating_sub(k);
            format!("[a-z]{{{k}}}[A-Z0-9]{ALNUM}{{{lo},{}}}", 46 - k)
        })
        .collect();
    let fragment_after =
        "$|[^A-Za-z0-9_(.= ]|_(?:[^A-Za-z0-9_]|$)|\\.(?:[^A-Za-z]|$)|==| {1,8}(?:[^ =]|==|$)| {9}";
    vec![
        make(
            "",
            prefixes(false),
            fragment_before.clone(),
            format!("(?:{})", body.join("|")),
            fragment_after,
        ),
        make(
            "-long",
            prefixes(false),
            String::new(),
            format!("{ALNUM}{{49,}}"),
            "[^A-Za-z0-9]|$",
        ),
        make(
            "-oauth",
            prefixes(true),
            format!("^|[^A-Za-z0-9_]|{ANSI}|{TEXT_ESCAPE}"),
            format!(
                "(?:{URL_SAFE}{{{min},{}}}(?:\\.{URL_SAFE}*)?|{URL_SAFE}{{{half}}}(?:\\.{URL_SAFE}{{0,{}}})?)",
                half - 1,
                half - 1
            ),
            "[^A-Za-z0-9_.-]|$",
        ),
    ]
}

/// A value after a context name, for one kind: after a name that names
/// Cloudflare (`-named`; the shape's range and characters glued after it
/// where the credential word allows), after a Cloudflare SDK call
/// (`-sdk`), and after a generic name with a Cloudflare mention earlier on
/// its line or on the lines before it (`-generic-before`; a `[section]`
/// line between them ends the block) or later on its line or its
/// `\`-continued lines (`-generic-after`). What the detector decides
/// beyond this (indentation of YAML blocks, e-mail arguments of every
/// call) is approximated.
fn context_variants(rule: &'static Rule, value: ValueShape) -> Vec<ExportRule> {
    let kind = rule.kind;
    let sep = separators();
    // Exact, glued after a Cloudflare name, unglued after a generic one.
    let (exact, range, generic_value) = match value {
        ValueShape::LegacyToken { len } => (
            format!("{URL_SAFE}{{{len}}}"),
            format!("{URL_SAFE}{{{len},}}"),
            format!("{URL_SAFE}{{{len}}}"),
        ),
        ValueShape::Hex { min, max } => (
            format!("[0-9a-f]{{{min}}}"),
            format!("[0-9a-f]{{{min},{max}}}{URL_SAFE}*"),
            format!("[0-9a-f]{{{min},{max}}}"),
        ),
    };
    // A value continued as base64 is not this credential.
    let after = "[^A-Za-z0-9_+/=-]|$";
    let words_for = |fit: Option<Fit>| -> Vec<String> {
        CREDENTIAL_WORDS
            .iter()
            .filter(|w| {
                w.kinds
                    .iter()
                    .any(|&(k, f)| k == kind && fit.is_none_or(|fit| fit == f))
            })
            .map(|w| {
                w.suffix
                    .iter()
                    .map(|s| escape(s))
                    .collect::<Vec<_>>()
                    .join("[_.-]?")
            })
            .collect()
    };
    let cloudflare_words: Vec<&str> = NAME_WORDS
        .cloudflare
        .iter()
        .copied()
        .filter(|w| *w != "cloudflare")
        .collect();
    let named_prefix = format!(
        "(?:cloudflare|(?:{})(?:{})[_.-])",
        left_boundary(),
        cloudflare_words.join("|")
    );
    let mentions = any_of_ci(MENTIONS);
    let generic = format!(
        "(?:{})(?i:(?:(?:{})[_.-]?)*)",
        "^|[^A-Za-z0-9_$\\n]",
        NAME_WORDS.generic.join("|")
    );
    let keywords: Vec<String> = context_literals().iter().map(|w| w.to_string()).collect();
    let not_secret = Some(not_secret(value));
    let make = |suffix: &str, before: String, secret: &str, after: String| ExportRule {
        id: format!("{}{suffix}", kind.id()),
        kind,
        description: kind.title().to_string(),
        before,
        secret: secret.to_string(),
        after,
        keywords: keywords.clone(),
        not_secret: not_secret.clone(),
    };
    let mut out = Vec::new();
    let whole = |words: Vec<String>| format!("(?:{})", words.join("|"));
    for (suffix, fit, secret) in [
        ("-named", Fit::Exact, &exact),
        ("-named-range", Fit::Range, &range),
    ] {
        let mut words = words_for(Some(fit));
        if words.is_empty() {
            continue;
        }
        // `cloudflare` alone is a whole name.
        let bare = words.iter().any(|w| w == "cloudflare");
        words.retain(|w| w != "cloudflare");
        let mut names = Vec::new();
        if !words.is_empty() {
            names.push(format!("{named_prefix}[A-Za-z0-9_.$-]*?{}", whole(words)));
        }
        if bare {
            names.push(format!("(?:{})cloudflare", left_boundary()));
        }
        if fit == Fit::Range || kind == Kind::LegacyGlobalKey {
            for name in NAME_WORDS.cloudflare_names {
                let (head, class) = name.split_once(' ').unwrap_or(("", name));
                if head.is_empty() && words_for(None).iter().any(|w| name.ends_with(w.as_str())) {
                    names.push(escape(class));
                }
            }
        }
        out.push(make(
            suffix,
            format!("(?i:{}){sep}", names.join("|")),
            secret,
            after.to_string(),
        ));
    }
    // SDK calls and classes: a first argument, or a second after an e-mail.
    if SDK_CALL_KINDS.iter().any(|&(k, _)| k == kind) {
        let mut calls: Vec<String> = SDK_CALLS
            .iter()
            .map(|c| format!("(?i:{})", escape(c)))
            .collect();
        for name in NAME_WORDS.cloudflare_names {
            if let Some((new, class)) = name.split_once(' ') {
                if words_for(None)
                    .iter()
                    .any(|w| class.to_ascii_lowercase().ends_with(w.as_str()))
                {
                    calls.push(format!("{} {}\\(", escape(new), escape(class)));
                }
            }
        }
        let email = "(?:['\"`][^'\"`\\n ]*@[^'\"`\\n ]*['\"`][ \\t]*,[ \\t]*)?";
        out.push(make(
            "-sdk",
            format!("(?:{})[ \\t'\"`]*{email}[ \\t'\"`]*", calls.join("|")),
            &exact,
            after.to_string(),
        ));
    }
    let words = words_for(None);
    if !words.is_empty() {
        let name = format!("{generic}(?i:{})", whole(words));
        let block_line = format!("(?:(?:[^\\[\\n][^\\n]*)?\\n){{0,{}}}", MAX_LINES_BACK - 1);
        out.push(make(
            "-generic-before",
            format!(
                "{mentions}[^\\n]*\\n{block_line}[^\\n]*?{name}{sep}|{mentions}[^\\n]*?{name}{sep}"
            ),
            &generic_value,
            after.to_string(),
        ));
        out.push(make(
            "-generic-after",
            format!("{name}{sep}"),
            &generic_value,
            format!("[^A-Za-z0-9_+/=\\n-](?:[^\\n]|\\\\\\r?\\n)*?{mentions}"),
        ));
    }
    out
}

/// What a match that is not the credential looks like: all hex where a
/// token is expected, another vendor's token or a Cloudflare prefixed
/// token (its own rule names it), or a placeholder (a character repeated,
/// a run of consecutive characters, a placeholder word).
fn not_secret(value: ValueShape) -> String {
    let repeats: Vec<String> = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-"
        .chars()
        .map(|c| format!("{}{{{MAX_REPEAT}}}", escape(&c.to_string())))
        .collect();
    let mut runs = Vec::new();
    for alphabet in [
        "0123456789abcdef",
        "abcdefghijklmnopqrstuvwxyz",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "0123456789",
    ] {
        for i in 0..=alphabet.len().saturating_sub(MAX_SEQUENCE) {
            runs.push(alphabet[i..i + MAX_SEQUENCE].to_string());
        }
    }
    // Fewer than MIN_DISTINCT characters is not expressed.
    let placeholder = format!(
        "(?:{}|{}|(?i:{}))",
        repeats.join("|"),
        runs.join("|"),
        PLACEHOLDER_WORDS.join("|")
    );
    match value {
        ValueShape::LegacyToken { .. } => {
            let others: Vec<String> = crate::core::detect::OTHER_VENDOR_PREFIXES
                .iter()
                .map(|p| escape(&String::from_utf8_lossy(p)))
                .chain(
                    crate::core::secrets::KNOWN_PREFIXES
                        .iter()
                        .map(|p| escape(p)),
                )
                .collect();
            format!(
                "^(?:[0-9A-Fa-f]+|(?:{}).*)$|{placeholder}",
                others.join("|")
            )
        }
        ValueShape::Hex { .. } => placeholder,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_export_rule_compiles_with_three_groups_and_a_unique_id() {
        let rules = export_rules();
        let mut ids = std::collections::HashSet::new();
        for r in &rules {
            let re = regex::Regex::new(&r.regex()).unwrap_or_else(|e| panic!("{}: {e}", r.id));
            assert_eq!(re.captures_len(), 4, "{}: groups", r.id);
            assert!(ids.insert(r.id.clone()), "{} twice", r.id);
            if let Some(n) = &r.not_secret {
                regex::Regex::new(n).unwrap();
            }
        }
    }

    #[test]
    fn every_rule_kind_is_exported() {
        let kinds: std::collections::HashSet<Kind> =
            export_rules().iter().map(|r| r.kind).collect();
        for rule in RULES {
            assert!(
                kinds.contains(&rule.kind),
                "{} not exported",
                rule.kind.id()
            );
        }
    }
}
