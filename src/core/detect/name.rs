//! The name before a context value (`CLOUDFLARE_API_TOKEN`,
//! `cloudflareApiKey`, `os.environ["CF_API_TOKEN"]`, `X-Auth-Key`): read
//! back from the credential word that anchors it, split into words, and
//! placed as Cloudflare's, generic, or something else's
//! ([`crate::core::rules::NAME_WORDS`]).

use super::window::{ansi_csi_at, Csi, ESC, MAX_CSI};
use crate::core::rules::{CredentialWord, CREDENTIAL_WORDS, NAME_WORDS};

/// Longest name read back from its credential word.
const MAX_NAME: usize = 96;

/// Whose credential a name introduces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Naming {
    /// The name says Cloudflare (`CF_API_TOKEN`, `cloudflare.api.token`).
    Cloudflare,
    /// Only generic words (`api_token`, `Bearer`): Cloudflare's only with
    /// a mention nearby.
    Generic,
}

/// A name byte: identifiers, kebab and dotted paths.
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'$')
}

/// The name that ends with the credential word `word` (of `word_len`
/// bytes, at the end of `behind_and_word`): its start, the credential
/// word row it ends with, and how it is placed. `None` when the name is
/// another vendor's or the word does not end it as a whole word.
pub(super) fn read_name(
    text: &[u8],
    word_len: usize,
) -> Option<(usize, &'static CredentialWord, Naming)> {
    let end = text.len();
    let word = text[end - word_len..].to_ascii_lowercase();
    if let Some(row) = CREDENTIAL_WORDS
        .iter()
        .find(|w| w.alone && w.suffix.last().is_some_and(|s| s.as_bytes() == word))
    {
        return Some((end - word_len, row, Naming::Generic));
    }
    let lo = end.saturating_sub(word_len + MAX_NAME);
    let mut start = end - word_len;
    while start > lo && is_name_byte(text[start - 1]) {
        start -= 1;
    }
    // `ESC [ 33 m CF_API_KEY`: the run above took the `33m` in.
    let csi_lo = start.saturating_sub(MAX_CSI);
    if let Some(esc) = memchr::memrchr(ESC, &text[csi_lo..start]).map(|i| csi_lo + i) {
        if let Csi::Complete(n) = ansi_csi_at(&text[esc..]) {
            start = start.max(esc + n);
        }
    }
    let name = &text[start..end];
    if let Some(sdk) = sdk_class(text, start) {
        let row = credential_row(&[sdk])?;
        return Some((start, row, Naming::Cloudflare));
    }
    if NAME_WORDS
        .cloudflare_names
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
    {
        let words = split_words(name);
        let row = credential_row(&words)?;
        return Some((start, row, Naming::Cloudflare));
    }
    let words = split_words(name);
    let row = credential_row(&words)?;
    let lower = name.to_ascii_lowercase();
    let cloudflare = memchr::memmem::find(&lower, b"cloudflare").is_some()
        || words
            .iter()
            .any(|w| NAME_WORDS.cloudflare.contains(&w.as_str()));
    if cloudflare {
        return Some((start, row, Naming::Cloudflare));
    }
    // Generic: the last dotted part (`option.WithAPIToken`,
    // `process.env.API_TOKEN`) is generic words before the credential word.
    let last = &name[name.iter().rposition(|&b| b == b'.').map_or(0, |i| i + 1)..];
    let words = split_words(last);
    let qualifiers = &words[..words.len().checked_sub(row.suffix.len())?];
    qualifiers
        .iter()
        .all(|w| NAME_WORDS.generic.contains(&w.as_str()))
        .then_some((start, row, Naming::Generic))
}

/// `new APIToken(`, `new APIKey(`: the classes of Cloudflare's SDK, whose
/// credential word is the class name's last word.
fn sdk_class(text: &[u8], start: usize) -> Option<&'static str> {
    let before = &text[..start];
    NAME_WORDS.cloudflare_names.iter().find_map(|n| {
        let (new, class) = n.split_once(' ')?;
        let at_name = &text[start..];
        (at_name == class.as_bytes()
            && before.ends_with(b" ")
            && before.trim_ascii_end().ends_with(new.as_bytes()))
        .then(|| {
            let lower = class.to_ascii_lowercase();
            CREDENTIAL_WORDS
                .iter()
                .map(|w| *w.suffix.last().expect("a suffix has a word"))
                .find(|w| lower.ends_with(w))
        })
        .flatten()
    })
}

/// The credential word row the name's words end with, longest first.
fn credential_row<S: AsRef<str>>(words: &[S]) -> Option<&'static CredentialWord> {
    CREDENTIAL_WORDS.iter().find(|row| {
        row.suffix.len() <= words.len()
            && words[words.len() - row.suffix.len()..]
                .iter()
                .zip(row.suffix)
                .all(|(w, s)| w.as_ref() == *s)
    })
}

/// Every word the splitter knows, for cutting a lower-case run such as
/// `cloudflareapitoken` into words.
fn known_words() -> impl Iterator<Item = &'static str> {
    CREDENTIAL_WORDS
        .iter()
        .flat_map(|w| w.suffix.iter().copied())
        .chain(NAME_WORDS.cloudflare.iter().copied())
        .chain(NAME_WORDS.generic.iter().copied())
}

/// The lower-case words of a name: split at `_ - . $`, at case changes
/// (`apiToken`, `APIToken`), and a run of letters that is several known
/// words (`apitoken`) into those words, from its end. A run that is not
/// made of known words stays one word.
pub(super) fn split_words(name: &[u8]) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    for (i, &b) in name.iter().enumerate() {
        if !b.is_ascii_alphanumeric() {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| name[j]);
        let next = name.get(i + 1).copied();
        let boundary = b.is_ascii_uppercase()
            && prev.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase()))
            });
        if boundary && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        current.push(b.to_ascii_lowercase() as char);
    }
    if !current.is_empty() {
        parts.push(current);
    }
    let mut words = Vec::new();
    for part in parts {
        match cut_into_known(&part) {
            Some(cut) => words.extend(cut),
            None => words.push(part),
        }
    }
    words
}

/// `part` as a sequence of known words, cut greedily from its end. Words
/// shorter than 3 letters (`cf`, `x`, `r2`) are cut only as the whole
/// rest: `xcf` is not x, cf.
fn cut_into_known(part: &str) -> Option<Vec<String>> {
    let mut rest = part;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let word = known_words()
            .filter(|w| rest.ends_with(w) && (w.len() >= 3 || rest.len() == w.len()))
            .max_by_key(|w| w.len())?;
        out.push(word.to_string());
        rest = &rest[..rest.len() - word.len()];
    }
    out.reverse();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(name: &str) -> Vec<String> {
        split_words(name.as_bytes())
    }

    #[test]
    fn names_split_at_separators_case_changes_and_known_words() {
        assert_eq!(
            words("CLOUDFLARE_API_TOKEN"),
            ["cloudflare", "api", "token"]
        );
        assert_eq!(words("cloudflareApiToken"), ["cloudflare", "api", "token"]);
        assert_eq!(words("NewWithAPIToken"), ["new", "with", "api", "token"]);
        assert_eq!(
            words("cloudflare.api-token"),
            ["cloudflare", "api", "token"]
        );
        assert_eq!(words("apitoken"), ["api", "token"]);
        assert_eq!(words("mailgunapitoken"), ["mailgunapitoken"]);
        assert_eq!(words("monkey"), ["monkey"]);
        assert_eq!(words("cfapitoken"), ["cf", "api", "token"]);
        assert_eq!(words("xcf"), ["xcf"]);
    }

    fn placed(text: &str, word: &str) -> Option<Naming> {
        read_name(text.as_bytes(), word.len()).map(|(_, _, n)| n)
    }

    #[test]
    fn names_are_cloudflare_generic_or_another_vendors() {
        assert_eq!(
            placed("export CF_API_TOKEN", "token"),
            Some(Naming::Cloudflare)
        );
        assert_eq!(
            placed("x = cloudflare.NewWithAPIToken", "token"),
            Some(Naming::Cloudflare)
        );
        assert_eq!(
            placed("option.WithAPIToken", "token"),
            Some(Naming::Generic)
        );
        assert_eq!(placed("  api_token", "token"), Some(Naming::Generic));
        assert_eq!(
            placed("Authorization: Bearer", "bearer"),
            Some(Naming::Generic)
        );
        assert_eq!(placed("X-Auth-Key", "key"), Some(Naming::Cloudflare));
        assert_eq!(placed("new APIToken", "token"), Some(Naming::Cloudflare));
        assert_eq!(
            placed("R2_SECRET_ACCESS_KEY", "key"),
            Some(Naming::Cloudflare)
        );
        assert_eq!(placed("MAILGUN_API_TOKEN", "token"), None);
        assert_eq!(placed("cache-key", "key"), None);
        assert_eq!(placed("monkey", "key"), None);
        assert_eq!(placed("XCF_API_KEY", "key"), None);
    }
}
