//! What a detection reports: kind, place and fingerprint, never the value.
//!
//! A [`Finding`] carries no byte of the secret it points at. Its
//! [`Fingerprint`] is a domain-separated SHA-256 (`cfscrub-fingerprint-v1`),
//! not a plain SHA-256 of the value: Cloudflare derives a token's R2 S3
//! secret as the plain SHA-256 of the token, so printing part of that hash
//! would print part of another secret. And only a value with at least
//! [`MIN_FINGERPRINT_BITS`] of [`shape_entropy_bits`] gets one: the
//! fingerprint of a short or simple value could be inverted by trying
//! every value of its shape.

use crate::core::rules::{Confidence, Kind};
use sha2::{Digest, Sha256};
use std::fmt;

/// Fewest bits of entropy, by [`shape_entropy_bits`], that a value needs
/// for its fingerprint to be computed and printed: 2^128 guesses are out of
/// reach of any brute force.
pub const MIN_FINGERPRINT_BITS: f64 = 128.0;

/// Fixed leading text of credential formats, which carries no entropy:
/// the Cloudflare prefixes, the Origin CA key's `v1.0-`, the Turnstile
/// secret's `0x4AAAAAA`, the tunnel token's base64 of `{"a":"`, and the
/// header of a tunnel certificate's PEM block.
const FIXED_LEADS: &[&str] = &[
    "v1.0-",
    "0x4AAAAAA",
    "eyJhIjoi",
    "-----BEGIN ARGO TUNNEL TOKEN-----",
];

/// An estimate, from its shape alone, of how many bits of entropy `value`
/// carries: the length of the value without its fixed leading text (a
/// Cloudflare prefix or another format's constant start) times log2 of
/// the size of its alphabet. The alphabet is 16 when every character is a
/// hex digit of one case, otherwise the sum of the classes present: digits
/// 10, lower-case letters 26, upper-case letters 26, other ASCII 33, any
/// non-ASCII byte 128.
///
/// `cfut_` + 4 letters: 4 × log2(52) ≈ 23 bits; 8 lower-case letters ≈ 38;
/// a 37-hex Global API Key 148; a 40-character legacy token ≥ 238.
pub fn shape_entropy_bits(value: &[u8]) -> f64 {
    let lead = crate::core::secrets::KNOWN_PREFIXES
        .iter()
        .chain(FIXED_LEADS)
        .filter(|p| value.starts_with(p.as_bytes()))
        .map(|p| p.len())
        .max()
        .unwrap_or(0);
    let body = &value[lead..];
    let one_case_hex = body
        .iter()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
        || body
            .iter()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b));
    let alphabet = if one_case_hex {
        16
    } else {
        let has = |class: fn(&u8) -> bool| body.iter().any(class);
        let mut size = 0;
        for (class, n) in [
            (u8::is_ascii_digit as fn(&u8) -> bool, 10),
            (u8::is_ascii_lowercase, 26),
            (u8::is_ascii_uppercase, 26),
            (|b: &u8| b.is_ascii() && !b.is_ascii_alphanumeric(), 33),
            (|b: &u8| !b.is_ascii(), 128),
        ] {
            if has(class) {
                size += n;
            }
        }
        size
    };
    body.len() as f64 * f64::from(alphabet).log2()
}

/// The first 8 bytes of `SHA-256("cfscrub-fingerprint-v1\0" || value)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 8]);

impl Fingerprint {
    /// Fingerprints a whole secret value, or `None` when the value has
    /// less than [`MIN_FINGERPRINT_BITS`] of [`shape_entropy_bits`].
    pub fn of(value: &[u8]) -> Option<Fingerprint> {
        if shape_entropy_bits(value) < MIN_FINGERPRINT_BITS {
            return None;
        }
        let mut h = Sha256::new();
        h.update(b"cfscrub-fingerprint-v1\0");
        h.update(value);
        let digest = h.finalize();
        let mut out = [0u8; 8];
        out.copy_from_slice(&digest[..8]);
        Some(Fingerprint(out))
    }
}

impl std::str::FromStr for Fingerprint {
    type Err = &'static str;

    /// Reads a fingerprint as printed: 16 hex digits.
    fn from_str(text: &str) -> Result<Fingerprint, Self::Err> {
        const EXPECTED: &str = "expected 16 hex digits, as printed after `fp:`";
        if text.len() != 16 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(EXPECTED);
        }
        let mut out = [0u8; 8];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| EXPECTED)?;
        }
        Ok(Fingerprint(out))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// How a credential found was written in the bytes, when not as itself:
/// the detector decoded it (`core/detect/encoded.rs`) and validated the
/// decoded value as usual.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// Base64, standard or URL-safe alphabet (a Kubernetes Secret, an
    /// `Authorization: Basic` header).
    Base64,
    /// Percent-encoded (`cfut%5F…` in a URL's query string).
    Percent,
    /// String escapes (`cfut\u005f…` in JSON, `\x5f` in C-like strings).
    Escape,
}

impl Encoding {
    /// The lower-case name used in every output format.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::Percent => "percent",
            Encoding::Escape => "escape",
        }
    }
}

/// One credential found in a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Byte offset of the first byte of the value in the stream.
    pub offset: u64,
    /// Length of the value in bytes.
    pub length: usize,
    /// What it is.
    pub kind: Kind,
    /// How sure the detector is.
    pub confidence: Confidence,
    /// Present for whole high-entropy values only ([`Kind::fingerprinted`]).
    pub fingerprint: Option<Fingerprint>,
    /// How the value was encoded in the bytes, `None` when written as itself.
    pub encoding: Option<Encoding>,
    /// 1-based line number (0 when the scan does not count lines).
    pub line: u64,
    /// 1-based byte column within the line (0 when lines are not counted).
    pub column: u64,
}

impl Finding {
    /// The byte offset just past the value.
    pub fn end(&self) -> u64 {
        self.offset + self.length as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_not_plain_sha256() {
        let value = crate::fake::FakeGen::new(1).scannable("cfut_", true);
        let plain = Sha256::digest(value.as_bytes());
        let fp = Fingerprint::of(value.as_bytes()).expect("a whole token is fingerprinted");
        assert_ne!(&plain[..8], &fp.0[..]);
        assert_eq!(fp.to_string().len(), 16);
    }

    #[test]
    fn a_printed_fingerprint_reads_back() {
        let value = crate::fake::FakeGen::new(3).scannable("cfk_", true);
        let fp = Fingerprint::of(value.as_bytes()).expect("fingerprinted");
        assert_eq!(fp.to_string().parse::<Fingerprint>(), Ok(fp));
        assert_eq!(fp.to_string().to_uppercase().parse::<Fingerprint>(), Ok(fp));
        assert!("0123".parse::<Fingerprint>().is_err());
        assert!("0123456789abcdeg".parse::<Fingerprint>().is_err());
    }

    #[test]
    fn brute_forceable_values_get_no_fingerprint() {
        let mut g = crate::fake::FakeGen::new(2);
        for weak in [
            format!("cfut_{}", g.alnum(4)),
            g.alnum(8),
            g.alnum(20),
            g.hex(31),
            format!("cfat_{}", g.alnum(21)),
            "0x4AAAAAA".to_string() + &"A".repeat(26),
        ] {
            assert!(
                Fingerprint::of(weak.as_bytes()).is_none(),
                "a {}-character value got a fingerprint",
                weak.len()
            );
        }
        for strong in [
            g.scannable("cfk_", true),
            g.legacy_token(),
            g.hex(37),
            g.hex(64),
            g.oauth("cfort_"),
            g.origin_ca(),
            g.tunnel_token(),
            g.argo_pem(),
            g.alnum(22),
        ] {
            assert!(
                Fingerprint::of(strong.as_bytes()).is_some(),
                "a {}-character value got no fingerprint",
                strong.len()
            );
        }
    }

    #[test]
    fn shape_entropy_counts_the_body_and_its_classes() {
        assert_eq!(shape_entropy_bits(b"cfut_"), 0.0);
        assert_eq!(shape_entropy_bits(b"0123456789abcdef"), 64.0);
        assert_eq!(shape_entropy_bits(b"ABCDEF0123"), 40.0);
        let mixed = shape_entropy_bits(b"cfut_aB3-");
        assert!((mixed - 4.0 * 95f64.log2()).abs() < 1e-9, "{mixed}");
    }
}
