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
    anchor_literals, MAX_SEPARATORS, ORIGIN_CA_GROUPS, PEM_BEGIN, PEM_END, SEPARATORS,
    TURNSTILE_LEN,
};
use crate::core::rules::{Kind, Matcher, Rule, ValueShape, CLOUDFLARE_KEYWORDS, RULES};
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

/// The separators between a context keyword and its value.
fn separators() -> String {
    let class: String = SEPARATORS
        .iter()
        .map(|&b| match b {
            b'\t' => "\\t".to_string(),
            b'\\' | b'"' | b'[' | b']' | b'^' | b'-' => format!("\\{}", b as char),
            b => (b as char).to_string(),
        })
        .collect();
    format!("(?:{ANSI})*(?:[{class}](?:{ANSI})*){{1,{MAX_SEPARATORS}}}")
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
            let forms: Vec<String> = ORIGIN_CA_GROUPS
                .iter()
                .map(|groups| {
                    let hex: Vec<String> =
                        groups.iter().map(|n| format!("[0-9a-f]{{{n}}}")).collect();
                    hex.join("-")
                })
                .collect();
            let head = escape(anchors[0]);
            let secret = format!("{head}(?:{}){ALNUM}*", forms.join("|"));
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
        Matcher::Context {
            keywords,
            value,
            needs_nearby,
        } => context_variants(rule, keywords, value, needs_nearby),
    }
}

/// A prefix with too few characters after it (a grep, an audit line) or
/// too many for a token: a scannable prefix and 4 to 47 body characters
/// standing alone on the left, or 49 and more glued to anything; an OAuth
/// prefix whose halves are not both 43 long.
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
    vec![
        make(
            "",
            prefixes(false),
            left_boundary(),
            format!("{ALNUM}{{{min},47}}"),
            "[^A-Za-z0-9]|$",
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
            left_boundary(),
            format!(
                "(?:{URL_SAFE}{{{min},{}}}(?:\\.{URL_SAFE}*)?|{URL_SAFE}{{{half}}}(?:\\.{URL_SAFE}{{0,{}}})?)",
                half - 1,
                half - 1
            ),
            "[^A-Za-z0-9_.-]|$",
        ),
    ]
}

/// A value after a context keyword. The exact shape after any keyword
/// (`api_token=…`), and, after a keyword that names Cloudflare
/// (`CLOUDFLARE_API_TOKEN`, `CF_API_KEY`, `X-Auth-Key`), the shape with
/// characters glued after it too (`-glued`). With a word required nearby,
/// one expression for the word before the value and one for after it.
fn context_variants(
    rule: &'static Rule,
    keywords: &[&str],
    value: ValueShape,
    needs_nearby: Option<&str>,
) -> Vec<ExportRule> {
    let sep = separators();
    let (exact, glued, not_secret) = match value {
        ValueShape::LegacyToken { len } => (
            format!("{URL_SAFE}{{{len}}}"),
            format!("{URL_SAFE}{{{}}}{URL_SAFE}+", len),
            Some(legacy_not_secret()),
        ),
        ValueShape::Hex { len, generic_len } => (
            format!("[0-9a-f]{{{generic_len}}}"),
            format!("[0-9a-f]{{{len}}}{URL_SAFE}+"),
            None,
        ),
    };
    // An identifier naming Cloudflare and ending in a keyword, or a keyword
    // that names Cloudflare by itself.
    let generic: Vec<&str> = keywords
        .iter()
        .copied()
        .filter(|k| !CLOUDFLARE_KEYWORDS.contains(k))
        .collect();
    let specific: Vec<&str> = keywords
        .iter()
        .copied()
        .filter(|k| CLOUDFLARE_KEYWORDS.contains(k))
        .collect();
    let mut named = Vec::new();
    if !generic.is_empty() {
        named.push(format!(
            "(?i:(?:cloudflare|(?:{})cf[_-]){URL_SAFE}*?{})",
            left_boundary(),
            any_of_ci(&generic)
        ));
    }
    if !specific.is_empty() {
        named.push(any_of_ci(&specific));
    }
    let mut shapes = vec![("", any_of_ci(keywords), exact, "[^A-Za-z0-9_-]|$")];
    if needs_nearby.is_none() {
        shapes.push(("-glued", named.join("|"), glued, ""));
    }
    let mut out = Vec::new();
    for (suffix, keyword, secret, after) in shapes {
        let base = ExportRule {
            id: format!("{}{suffix}", rule.kind.id()),
            kind: rule.kind,
            description: rule.kind.title().to_string(),
            before: format!("(?:{keyword}){sep}"),
            secret,
            after: after.to_string(),
            keywords: lower(keywords),
            not_secret: not_secret.clone(),
        };
        match needs_nearby {
            None => out.push(base),
            Some(word) => {
                let word = any_of_ci(&[word]);
                let mut before = base.clone();
                before.id = format!("{}-{}-before", base.id, keywords.join("-"));
                before.before = format!("{word}[^\\n]*?{}", base.before);
                let mut after_it = base.clone();
                after_it.id = format!("{}-{}-after", base.id, keywords.join("-"));
                after_it.after = format!("[^A-Za-z0-9_\\n-][^\\n]*?{word}");
                out.push(before);
                out.push(after_it);
            }
        }
    }
    out
}

/// All hex, another vendor's token, or a Cloudflare prefixed token (its own
/// rule names it): not a legacy token.
fn legacy_not_secret() -> String {
    let others: Vec<String> = crate::core::detect::OTHER_VENDOR_PREFIXES
        .iter()
        .map(|p| escape(&String::from_utf8_lossy(p)))
        .chain(
            crate::core::secrets::KNOWN_PREFIXES
                .iter()
                .map(|p| escape(p)),
        )
        .collect();
    format!("^(?:[0-9A-Fa-f]+|(?:{}).*)$", others.join("|"))
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
