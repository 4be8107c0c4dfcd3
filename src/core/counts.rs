//! What a finding is replaced with ([`Replacement`]) and what was found in
//! one file ([`FileCounts`]): shared by the streaming masker and the
//! rewriters, below both, so that neither imports the other.

use crate::core::detect::Detector;
use crate::core::finding::Finding;
use crate::core::rules::Kind;
use crate::core::stream::{Flow, Sink};
use std::collections::BTreeMap;
use std::io;

/// The default replacement text.
pub const DEFAULT_REPLACEMENT: &str = "[REDACTED_CF_TOKEN]";
/// Line numbers remembered per file for `--dry-run`.
const MAX_LINES: usize = 1000;

/// What replaces a finding.
#[derive(Debug, Clone)]
pub struct Replacement {
    text: Vec<u8>,
}

/// A replacement that would itself be detected, or is unusable.
#[derive(Debug, thiserror::Error)]
#[error("unusable --replacement: {0}")]
pub struct BadReplacement(pub &'static str);

impl Replacement {
    /// Checks that `text` is non-empty and is not itself a finding.
    pub fn new(text: &str, detector: &Detector) -> Result<Replacement, BadReplacement> {
        if text.is_empty() {
            return Err(BadReplacement("it is empty"));
        }
        if !crate::core::stream::scan_bytes(detector, text.as_bytes()).is_empty() {
            return Err(BadReplacement(
                "it would itself be detected as a credential",
            ));
        }
        Ok(Replacement {
            text: text.as_bytes().to_vec(),
        })
    }

    /// The replacement text.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// The marker padded (or cut down) to exactly `len` bytes: the marker
    /// followed by `*`, or only `*` when the marker is longer than `len`.
    pub fn same_length(&self, len: usize) -> Vec<u8> {
        let mut v = if self.text.len() <= len {
            self.text.clone()
        } else {
            Vec::new()
        };
        v.resize(len, b'*');
        v
    }
}

/// What was found (and replaced) in one file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FileCounts {
    /// Findings per kind.
    pub by_kind: BTreeMap<Kind, u64>,
    /// Line numbers of the findings (the first [`MAX_LINES`]).
    pub lines: Vec<u64>,
}

impl FileCounts {
    /// Total findings.
    pub fn total(&self) -> u64 {
        self.by_kind.values().sum()
    }

    /// `2 cloudflare-user-token, 1 cloudflare-partial`.
    pub fn kinds_line(&self) -> String {
        kinds_line(&self.by_kind)
    }

    /// Counts one finding.
    pub(crate) fn add(&mut self, f: &Finding) {
        *self.by_kind.entry(f.kind).or_default() += 1;
        if self.lines.len() < MAX_LINES && self.lines.last() != Some(&f.line) {
            self.lines.push(f.line);
        }
    }
}

impl Sink for FileCounts {
    fn finding(&mut self, f: &Finding) -> io::Result<Flow> {
        self.add(f);
        Ok(Flow::Continue)
    }
}

/// Counts per kind as `3 cloudflare-user-token, 1 cloudflare-partial`.
pub fn kinds_line(by_kind: &BTreeMap<Kind, u64>) -> String {
    let parts: Vec<String> = by_kind
        .iter()
        .map(|(k, n)| format!("{n} {}", k.id()))
        .collect();
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::secrets::KnownSecrets;

    #[test]
    fn same_length_replacement_pads_or_stars() {
        let det = Detector::new(&KnownSecrets::new());
        let r = Replacement::new(DEFAULT_REPLACEMENT, &det).unwrap();
        assert_eq!(r.same_length(9), b"*********");
        let long = r.same_length(53);
        assert_eq!(long.len(), 53);
        assert!(long.starts_with(DEFAULT_REPLACEMENT.as_bytes()));
    }

    #[test]
    fn a_replacement_that_matches_is_refused() {
        let det = Detector::new(&KnownSecrets::new());
        assert!(Replacement::new("cfut_XXXXXXXX", &det).is_err());
        assert!(Replacement::new("", &det).is_err());
    }
}
