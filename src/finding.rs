//! What a detection reports: kind, place and fingerprint, never the value.
//!
//! A [`Finding`] carries no byte of the secret it points at. Its
//! [`Fingerprint`] is a domain-separated SHA-256 (`cfscrub-fingerprint-v1`),
//! not a plain SHA-256 of the value: Cloudflare derives a token's R2 S3
//! secret as the plain SHA-256 of the token, so printing part of that hash
//! would print part of another secret.

use crate::rules::{Confidence, Kind};
use sha2::{Digest, Sha256};
use std::fmt;

/// The first 8 bytes of `SHA-256("cfscrub-fingerprint-v1\0" || value)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 8]);

impl Fingerprint {
    /// Fingerprints a whole secret value.
    pub fn of(value: &[u8]) -> Fingerprint {
        let mut h = Sha256::new();
        h.update(b"cfscrub-fingerprint-v1\0");
        h.update(value);
        let digest = h.finalize();
        let mut out = [0u8; 8];
        out.copy_from_slice(&digest[..8]);
        Fingerprint(out)
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
        let value = b"example value";
        let plain = Sha256::digest(value);
        let fp = Fingerprint::of(value);
        assert_ne!(&plain[..8], &fp.0[..]);
        assert_eq!(fp.to_string().len(), 16);
    }
}
