//! Known secrets given by the user (`--secret-from`): a second automaton
//! over each value's leading bytes, and the exact rule for the whole value,
//! its body after a Cloudflare prefix, and fragments of it.

use super::window::{is_url_safe, left_boundary, Window};
use super::Eval;
use crate::core::rules::{Confidence, Kind};
use crate::core::secrets::{prefix_len, KnownSecrets, MIN_PREFIXED_BODY, MIN_UNPREFIXED_LEN};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use zeroize::Zeroizing;

/// Which part of a known secret an anchor is the start of.
#[derive(Clone, Copy, Debug)]
pub(super) enum KnownPart {
    /// The value from its first byte.
    Whole,
    /// The body after the value's Cloudflare prefix.
    Body,
}

pub(super) struct KnownValue {
    value: Zeroizing<Vec<u8>>,
    prefix_len: usize,
    token_byte: [bool; 256],
}

pub(super) struct KnownHunter {
    pub(super) automaton: AhoCorasick,
    /// Pattern id → the (value, part) pairs sharing that anchor.
    pub(super) targets: Vec<Vec<(usize, KnownPart)>>,
    pub(super) values: Vec<KnownValue>,
    pub(super) anchors: Vec<Zeroizing<Vec<u8>>>,
    /// Indexes of `anchors` in byte order, to find the anchors a text
    /// could be the start of by binary search.
    sorted: Vec<usize>,
}

impl KnownHunter {
    pub(super) fn new<'s>(secrets: &'s KnownSecrets) -> KnownHunter {
        let mut anchors: Vec<Zeroizing<Vec<u8>>> = Vec::new();
        let mut targets: Vec<Vec<(usize, KnownPart)>> = Vec::new();
        let mut values = Vec::new();
        // Anchor bytes (borrowed from `secrets`) → pattern id.
        let mut ids: std::collections::HashMap<&'s [u8], usize> = Default::default();
        let mut add = |anchor: &'s [u8], target| match ids.entry(anchor) {
            std::collections::hash_map::Entry::Occupied(id) => targets[*id.get()].push(target),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(anchors.len());
                anchors.push(Zeroizing::new(anchor.to_vec()));
                targets.push(vec![target]);
            }
        };
        for (i, value) in secrets.values().enumerate() {
            let p = prefix_len(value);
            let whole_anchor = if p > 0 {
                p + MIN_PREFIXED_BODY
            } else {
                MIN_UNPREFIXED_LEN
            };
            add(&value[..whole_anchor], (i, KnownPart::Whole));
            if p > 0 && value.len() - p >= MIN_UNPREFIXED_LEN {
                add(&value[p..p + MIN_UNPREFIXED_LEN], (i, KnownPart::Body));
            }
            let mut token_byte = [false; 256];
            for b in 0..=255u8 {
                token_byte[b as usize] = is_url_safe(b);
            }
            for &b in value {
                token_byte[b as usize] = true;
            }
            values.push(KnownValue {
                value: Zeroizing::new(value.to_vec()),
                prefix_len: p,
                token_byte,
            });
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(anchors.iter().map(|a| a.as_slice()))
            .expect("known-secret anchors are small literals");
        let mut sorted: Vec<usize> = (0..anchors.len()).collect();
        sorted.sort_unstable_by(|&a, &b| anchors[a].cmp(&anchors[b]));
        KnownHunter {
            automaton,
            anchors,
            targets,
            values,
            sorted,
        }
    }

    /// Whether some anchor is longer than `tail` and starts with it.
    pub(super) fn could_grow_into_anchor(&self, tail: &[u8]) -> bool {
        let first = self
            .sorted
            .partition_point(|&i| self.anchors[i].as_slice() < tail);
        // Anchors starting with `tail` follow in order, `tail` itself first.
        self.sorted[first..]
            .iter()
            .map(|&i| &self.anchors[i])
            .take_while(|a| a.starts_with(tail))
            .any(|a| a.len() > tail.len())
    }

    pub(super) fn eval(&self, w: &Window, value_index: usize, part: KnownPart) -> Eval {
        let known = &self.values[value_index];
        let ahead = w.ahead();
        // The whole value, or the whole body of a prefixed value, is found
        // anywhere, glued to other text or not.
        let (target, min_len, whole_kind, whole_confidence) = match part {
            KnownPart::Whole => {
                let min = if known.prefix_len > 0 {
                    known.prefix_len + MIN_PREFIXED_BODY
                } else {
                    MIN_UNPREFIXED_LEN
                };
                (
                    known.value.as_slice(),
                    min,
                    Kind::KnownSecret,
                    Confidence::High,
                )
            }
            KnownPart::Body => (
                &known.value[known.prefix_len..],
                MIN_UNPREFIXED_LEN,
                Kind::KnownSecretFragment,
                Confidence::Medium,
            ),
        };
        if ahead.starts_with(target) {
            return w.candidate(0, target.len(), whole_kind, whole_confidence);
        }
        if target.starts_with(ahead) && w.ahead_is_open() {
            return Eval::NeedMore;
        }
        let is_token = |b: u8| known.token_byte[b as usize];
        if !left_boundary(w, is_token) {
            return Eval::Done(None);
        }
        let run = need!(w.run(0, target.len() + 1, is_token));
        if run >= min_len && run <= target.len() && ahead[..run] == target[..run] {
            return w.candidate(0, run, Kind::KnownSecretFragment, Confidence::Medium);
        }
        Eval::Done(None)
    }
}
