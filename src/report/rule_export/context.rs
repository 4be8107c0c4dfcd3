//! The context kinds' portable expressions: a value after a Cloudflare
//! name, after an SDK call, after a generic name with a Cloudflare mention
//! before it (its line or block) or after it (its line or continued
//! lines), generated from the detector's name words, separators and
//! value shapes; and what a match that is no credential looks like
//! (placeholders, all hex, another vendor's token).

use super::{any_of_ci, escape, left_boundary, ExportRule, ANSI, URL_SAFE};
use crate::core::detect::{
    context_literals, ASSIGN_MODIFIERS, COMMENT_MARKERS, MAX_INDENT, MAX_LINES_BACK, MAX_REPEAT,
    MAX_SEPARATORS, MAX_SEQUENCE, PLACEHOLDER_WORDS, SEPARATORS,
};
use crate::core::rules::{
    Fit, Kind, Rule, ValueShape, CREDENTIAL_WORDS, MENTIONS, NAME_WORDS, SDK_CALLS, SDK_CALL_KINDS,
};

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

/// A value after a context name, for one kind: after a name that names
/// Cloudflare (`-named`; the shape's range and characters glued after it
/// where the credential word allows), after a Cloudflare SDK call
/// (`-sdk`), and after a generic name with a Cloudflare mention earlier on
/// its line or on the lines before it (`-generic-before`; a `[section]`
/// line between them ends the block) or later on its line or its
/// `\`-continued lines (`-generic-after`). What the detector decides
/// beyond this (indentation of YAML blocks, e-mail arguments of every
/// call) is approximated.
pub(super) fn context_variants(rule: &'static Rule, value: ValueShape) -> Vec<ExportRule> {
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
