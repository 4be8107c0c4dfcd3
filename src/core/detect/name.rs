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

/// The name that ends with the credential word of `word_len` bytes at
/// the end of `text`: its start, the credential word row it ends with,
/// and how it is placed. `None` when the name is another vendor's or the
/// word does not end it as a whole word. Reads only the stack: it runs at
/// every credential word followed by a value-like run.
pub(super) fn read_name(
    text: &[u8],
    word_len: usize,
) -> Option<(usize, &'static CredentialWord, Naming)> {
    let end = text.len();
    let word = &text[end - word_len..];
    if let Some(row) = CREDENTIAL_WORDS.iter().find(|w| {
        w.alone
            && w.suffix
                .last()
                .is_some_and(|s| word.eq_ignore_ascii_case(s.as_bytes()))
    }) {
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
    let words = Words::split(name);
    let row = credential_row(&words)?;
    let by_itself = sdk_class(text, start)
        || NAME_WORDS
            .cloudflare_names
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n.as_bytes()));
    let cloudflare = by_itself
        || memchr::memmem::find(words.lower(), b"cloudflare").is_some()
        || words
            .iter()
            .any(|w| NAME_WORDS.cloudflare.iter().any(|c| c.as_bytes() == w));
    if cloudflare {
        return Some((start, row, Naming::Cloudflare));
    }
    // Generic: the last dotted part (`option.WithAPIToken`,
    // `process.env.API_TOKEN`) is generic words before the credential word.
    let last = &name[name.iter().rposition(|&b| b == b'.').map_or(0, |i| i + 1)..];
    let words = Words::split(last);
    let qualifiers = words.count().checked_sub(row.suffix.len())?;
    let generic = words
        .iter()
        .take(qualifiers)
        .all(|w| NAME_WORDS.generic.iter().any(|g| g.as_bytes() == w));
    generic.then_some((start, row, Naming::Generic))
}

/// Whether the name at `start` is a class of Cloudflare's SDK after `new`
/// (`new APIToken(`, `new APIKey(`).
fn sdk_class(text: &[u8], start: usize) -> bool {
    let (before, name) = text.split_at(start);
    NAME_WORDS.cloudflare_names.iter().any(|n| {
        n.split_once(' ').is_some_and(|(new, class)| {
            name == class.as_bytes()
                && before.ends_with(b" ")
                && before.trim_ascii_end().ends_with(new.as_bytes())
        })
    })
}

/// The credential word row the name's words end with, longest first.
fn credential_row(words: &Words) -> Option<&'static CredentialWord> {
    CREDENTIAL_WORDS.iter().find(|row| {
        row.suffix.len() <= words.count()
            && words
                .iter()
                .skip(words.count() - row.suffix.len())
                .zip(row.suffix)
                .all(|(w, s)| w == s.as_bytes())
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

/// Most words kept from one name.
const MAX_WORDS: usize = 32;

/// The lower-case words of a name, on the stack: split at `_ - . $`, at
/// case changes (`apiToken`, `APIToken`), and a run of letters that is
/// several known words (`apitoken`) into those words, from its end. A run
/// that is not made of known words stays one word.
pub(super) struct Words {
    lower: [u8; MAX_NAME + 32],
    /// Bytes of `lower` in use.
    name_len: usize,
    spans: [(u8, u8); MAX_WORDS],
    count: usize,
}

impl Words {
    pub(super) fn split(name: &[u8]) -> Words {
        let mut w = Words {
            lower: [0; MAX_NAME + 32],
            name_len: name.len().min(MAX_NAME + 32),
            spans: [(0, 0); MAX_WORDS],
            count: 0,
        };
        let name = &name[..w.name_len];
        for (i, b) in name.iter().enumerate() {
            w.lower[i] = b.to_ascii_lowercase();
        }
        let mut part_start = None;
        for (i, &b) in name.iter().enumerate() {
            if !b.is_ascii_alphanumeric() {
                if let Some(s) = part_start.take() {
                    w.push_part(s, i);
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
            match part_start {
                Some(s) if boundary => {
                    w.push_part(s, i);
                    part_start = Some(i);
                }
                None => part_start = Some(i),
                Some(_) => {}
            }
        }
        if let Some(s) = part_start {
            w.push_part(s, name.len());
        }
        w
    }

    /// Adds the part `start..end`, cut into known words when it is several.
    fn push_part(&mut self, start: usize, end: usize) {
        let mut cuts = [0usize; MAX_WORDS];
        let mut n = 0;
        let mut rest = end;
        // Cut greedily from the end; words shorter than 3 letters (`cf`,
        // `x`, `r2`) only as the whole rest: `xcf` is not x, cf.
        while rest > start && n < MAX_WORDS {
            let part = &self.lower[start..rest];
            let Some(word) = known_words()
                .filter(|w| part.ends_with(w.as_bytes()) && (w.len() >= 3 || part.len() == w.len()))
                .max_by_key(|w| w.len())
            else {
                break;
            };
            rest -= word.len();
            cuts[n] = rest;
            n += 1;
        }
        if rest > start || n == 0 {
            self.push(start, end);
            return;
        }
        let mut from = start;
        for &cut in cuts[..n].iter().rev().skip(1) {
            self.push(from, cut);
            from = cut;
        }
        self.push(from, end);
    }

    fn push(&mut self, start: usize, end: usize) {
        if self.count < MAX_WORDS {
            self.spans[self.count] = (start as u8, end as u8);
            self.count += 1;
        }
    }

    /// How many words.
    pub(super) fn count(&self) -> usize {
        self.count
    }

    /// The name in lower case.
    fn lower(&self) -> &[u8] {
        &self.lower[..self.name_len]
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.spans[..self.count]
            .iter()
            .map(|&(s, e)| &self.lower[s as usize..e as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(name: &str) -> Vec<String> {
        Words::split(name.as_bytes())
            .iter()
            .map(|w| String::from_utf8(w.to_vec()).unwrap())
            .collect()
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
