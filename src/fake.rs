//! Fake credentials, generated on the spot.
//!
//! The repository must never hold a checksum-valid Cloudflare credential
//! (other scanners and push protection would flag it), so tests, the rule
//! examples and `cfscrub demo` build their fakes here at run time, from a
//! seeded generator so that a failing test can be replayed.
//!
//! Templates use placeholders: `{cfut}`, `{cfat}`, `{cfk}`, `{cfast}` give a
//! checksum-valid token, `{cfut!}` (etc.) the same shape with a wrong checksum,
//! `{cfoat}`, `{cfort}`, `{originca}`, `{tunnel}`, `{argopem}`, `{turnstile}`,
//! `{legacy}` (40 characters of `[A-Za-z0-9_-]`), `{hexN}` and `{alnumN}`;
//! `{kind@label}` reuses one value wherever the label repeats and
//! `{headN@label}` is its first N characters. `{form:kind}` is a value
//! encoded: `b64` (standard base64), `b64url` (URL-safe, unpadded), `b64a`
//! and `b64ab` (base64 after one or two other bytes: the other
//! alignments), `basic` (base64 of `ci-bot:` and the value, as an
//! `Authorization: Basic` header has it), `pct` (its `_` as `%5F`),
//! `pctall` (every byte as `%XX`), `json` (its `_` as `\u005f`), `hexesc`
//! (its `_` as `\x5f`).
//!
//! ```
//! let mut gen = cfscrub::fake::FakeGen::new(7);
//! let token = gen.scannable("cfut_", true);
//! assert_eq!(token.len(), 53);
//! ```

use base64::Engine;
use std::ops::Range;

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const HEX: &[u8] = b"0123456789abcdef";

/// A seeded generator of fake credentials.
pub struct FakeGen {
    rng: fastrand::Rng,
    labelled: std::collections::HashMap<String, String>,
}

/// A template after expansion.
pub struct Expanded {
    /// The text with every placeholder replaced.
    pub text: Vec<u8>,
    /// The span between `«` and `»`, if the template had marks.
    pub marked: Option<Range<usize>>,
    /// The spans of the generated values, in order.
    pub values: Vec<Range<usize>>,
}

impl FakeGen {
    /// A generator with a fixed seed.
    pub fn new(seed: u64) -> FakeGen {
        FakeGen {
            rng: fastrand::Rng::with_seed(seed),
            labelled: std::collections::HashMap::new(),
        }
    }

    /// `n` characters drawn from `alphabet`.
    pub fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[self.rng.usize(..alphabet.len())] as char)
            .collect()
    }

    /// `n` lower-case hex characters.
    pub fn hex(&mut self, n: usize) -> String {
        self.chars(HEX, n)
    }

    /// `n` characters of `[A-Za-z0-9]`.
    pub fn alnum(&mut self, n: usize) -> String {
        self.chars(ALNUM, n)
    }

    /// A 2026-format token: `prefix` + 40 alnum + CRC-32 of the body, or a
    /// wrong checksum when `valid` is false.
    pub fn scannable(&mut self, prefix: &str, valid: bool) -> String {
        let body = self.alnum(40);
        let crc = crc32fast::hash(body.as_bytes());
        let check = if valid {
            crc
        } else {
            crc ^ (1 + self.rng.u32(..u32::MAX - 1))
        };
        format!("{prefix}{body}{check:08x}")
    }

    /// A legacy unprefixed API token: 40 of `[A-Za-z0-9_-]`, never all hex.
    pub fn legacy_token(&mut self) -> String {
        loop {
            let t = self.chars(URL_SAFE, 40);
            if !t.bytes().all(|b| b.is_ascii_hexdigit()) {
                return t;
            }
        }
    }

    /// A wrangler OAuth token with the given prefix.
    pub fn oauth(&mut self, prefix: &str) -> String {
        format!(
            "{prefix}{}.{}",
            self.chars(URL_SAFE, 43),
            self.chars(URL_SAFE, 43)
        )
    }

    /// An Origin CA key.
    pub fn origin_ca(&mut self) -> String {
        format!("v1.0-{}-{}", self.hex(24), self.hex(146))
    }

    /// A cloudflared tunnel run token.
    pub fn tunnel_token(&mut self) -> String {
        let json = format!(
            r#"{{"a":"{}","t":"{}-{}-{}-{}-{}","s":"{}"}}"#,
            self.hex(32),
            self.hex(8),
            self.hex(4),
            self.hex(4),
            self.hex(4),
            self.hex(12),
            base64::engine::general_purpose::STANDARD.encode(self.alnum(32))
        );
        base64::engine::general_purpose::STANDARD.encode(json)
    }

    /// A cloudflared `cert.pem` token block holding a legacy API token.
    pub fn argo_pem(&mut self) -> String {
        let json = format!(
            r#"{{"zoneID":"{}","accountID":"{}","apiToken":"{}"}}"#,
            self.hex(32),
            self.hex(32),
            self.legacy_token()
        );
        let b64 = base64::engine::general_purpose::STANDARD.encode(json);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
            .collect();
        format!(
            "-----BEGIN ARGO TUNNEL TOKEN-----\n{}\n-----END ARGO TUNNEL TOKEN-----",
            lines.join("\n")
        )
    }

    /// A Turnstile secret key (35 characters).
    pub fn turnstile(&mut self) -> String {
        format!("0x4AAAAAA{}", self.chars(URL_SAFE, 26))
    }

    /// The value for one placeholder, or `None` if the name is unknown.
    /// `kind@label` gives the same value wherever the label repeats;
    /// `headN@label` the first N characters of that value.
    pub fn placeholder(&mut self, name: &str) -> Option<String> {
        if let Some((form, inner)) = name.split_once(':') {
            return encode(form, &self.placeholder(inner)?);
        }
        if let Some((kind, label)) = name.split_once('@') {
            if let Some(n) = kind.strip_prefix("head") {
                let value = self.labelled.get(label)?;
                return value.get(..n.parse().ok()?).map(str::to_string);
            }
            if let Some(value) = self.labelled.get(label) {
                return Some(value.clone());
            }
            let value = self.placeholder(kind)?;
            self.labelled.insert(label.to_string(), value.clone());
            return Some(value);
        }
        let (base, valid) = match name.strip_suffix('!') {
            Some(b) => (b, false),
            None => (name, true),
        };
        let value = match base {
            "cfut" | "cfat" | "cfk" | "cfast" => self.scannable(&format!("{base}_"), valid),
            "cfoat" | "cfort" => self.oauth(&format!("{base}_")),
            "originca" => self.origin_ca(),
            "tunnel" => self.tunnel_token(),
            "argopem" => self.argo_pem(),
            "turnstile" => self.turnstile(),
            "legacy" => self.legacy_token(),
            _ => {
                if let Some(n) = base.strip_prefix("hex") {
                    self.hex(n.parse().ok()?)
                } else if let Some(n) = base.strip_prefix("alnum") {
                    self.alnum(n.parse().ok()?)
                } else {
                    return None;
                }
            }
        };
        Some(value)
    }

    /// Expands a template (see the module docs).
    ///
    /// # Panics
    /// On an unknown placeholder: templates are written by developers.
    pub fn expand(&mut self, template: &str) -> Expanded {
        let mut text = Vec::new();
        let mut values = Vec::new();
        let mut mark_start = None;
        let mut marked = None;
        let mut rest = template;
        while let Some(c) = rest.chars().next() {
            if c == '«' {
                mark_start = Some(text.len());
            } else if c == '»' {
                marked = Some(mark_start.take().expect("» without «")..text.len());
            } else if c == '{' && rest[1..].find('}').is_some_and(|end| end > 0) {
                let end = rest.find('}').expect("checked");
                let name = &rest[1..end];
                let plausible = name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"@!_:".contains(&b));
                if let Some(v) = plausible.then(|| self.placeholder(name)).flatten() {
                    values.push(text.len()..text.len() + v.len());
                    text.extend_from_slice(v.as_bytes());
                    rest = &rest[end + 1..];
                    continue;
                }
                text.push(b'{');
            } else {
                let mut buf = [0u8; 4];
                text.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            rest = &rest[c.len_utf8()..];
        }
        Expanded {
            text,
            marked,
            values,
        }
    }
}

/// `value` in the encoded form named `form` (see the module docs).
fn encode(form: &str, value: &str) -> Option<String> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    Some(match form {
        "b64" => STANDARD.encode(value),
        "b64url" => URL_SAFE_NO_PAD.encode(value),
        "b64a" => STANDARD.encode(format!("a{value}")),
        "b64ab" => STANDARD.encode(format!("ab{value}")),
        "basic" => STANDARD.encode(format!("ci-bot:{value}")),
        "pct" => value.replace('_', "%5F"),
        "pctall" => value.bytes().map(|b| format!("%{b:02X}")).collect(),
        "json" => value.replace('_', "\\u005f"),
        "hexesc" => value.replace('_', "\\x5f"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scannable_checksum_is_crc_of_body() {
        let mut g = FakeGen::new(1);
        let t = g.scannable("cfut_", true);
        let crc = crc32fast::hash(&t.as_bytes()[5..45]);
        assert_eq!(&t[45..], format!("{crc:08x}"));
        let bad = g.scannable("cfut_", false);
        let crc = crc32fast::hash(&bad.as_bytes()[5..45]);
        assert_ne!(&bad[45..], format!("{crc:08x}"));
    }

    #[test]
    fn expand_marks_and_placeholders() {
        let mut g = FakeGen::new(2);
        let e = g.expand("a «{hex4}» b {legacy} ${{ x }}");
        let s = String::from_utf8(e.text.clone()).unwrap();
        let json = g.expand("{\n \"a\": \"{hex4@j}\" }");
        assert!(json.text.starts_with(b"{\n \"a\": \""));
        let l = g.expand("{cfut@t} {cfut@t} {head9@t}");
        let l = String::from_utf8(l.text).unwrap();
        let parts: Vec<&str> = l.split(' ').collect();
        assert_eq!(parts[0], parts[1]);
        assert_eq!(parts[2], &parts[0][..9]);
        assert_eq!(e.values.len(), 2);
        assert_eq!(e.marked, Some(2..6));
        assert!(s.ends_with("${{ x }}"), "{s}");
        assert_eq!(e.values[1].len(), 40);
    }

    #[test]
    fn tunnel_token_decodes_to_account_json() {
        let mut g = FakeGen::new(3);
        let t = g.tunnel_token();
        assert!(t.starts_with("eyJhIjoi"));
    }
}
