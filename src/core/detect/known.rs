//! Known secrets given by the user (`--secret-from`): a second automaton
//! over each value's leading bytes, and the exact rule for the whole value,
//! its body after a Cloudflare prefix, and fragments of it; and over the
//! value's encoded forms — base64 (both alphabets, the value at each of the
//! three alignments in a group) and percent-encoding — found whole.

use super::encoded::base64_stable;
use super::window::{is_url_safe, left_boundary, Window};
use super::{Candidate, Eval, MAX_LOOKAHEAD};
use crate::core::finding::{Encoding, Fingerprint};
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
    /// One of the value's encoded forms (an index in its `forms`).
    Encoded(usize),
}

/// One encoded form of a known value, hunted as an exact string.
pub(super) struct EncodedForm {
    text: Zeroizing<Vec<u8>>,
    encoding: Encoding,
    /// Base64 whose last character also carries bits of the next byte:
    /// that character (and `=` padding) is masked with the form.
    partial_tail: bool,
}

/// Longest leading part of an encoded form used as its anchor.
const FORM_ANCHOR: usize = 16;

/// The encoded forms of `value` worth hunting: the stable base64
/// characters at each alignment in both alphabets, and the
/// percent-encodings (reserved characters only, or every byte but letters
/// and digits; upper- and lower-case hex) that differ from the value.
fn encoded_forms(value: &[u8]) -> Vec<EncodedForm> {
    let mut forms: Vec<EncodedForm> = Vec::new();
    let mut add = |text: Vec<u8>, encoding, partial_tail| {
        if text.len() >= MIN_UNPREFIXED_LEN
            && text.len() <= MAX_LOOKAHEAD - 3
            && text != value
            && !forms.iter().any(|f| *f.text == text)
        {
            forms.push(EncodedForm {
                text: Zeroizing::new(text),
                encoding,
                partial_tail,
            });
        }
    };
    for align in 0..3 {
        let (_, alphabets) = base64_stable(value, align);
        let partial_tail = !(8 * (align + value.len())).is_multiple_of(6);
        for text in alphabets {
            add(text.into_bytes(), Encoding::Base64, partial_tail);
        }
    }
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    for keep in [unreserved, |b: u8| b.is_ascii_alphanumeric()] {
        for upper in [true, false] {
            let mut text = Vec::new();
            for &b in value {
                if keep(b) {
                    text.push(b);
                } else if upper {
                    text.extend(format!("%{b:02X}").bytes());
                } else {
                    text.extend(format!("%{b:02x}").bytes());
                }
            }
            add(text, Encoding::Percent, false);
        }
    }
    forms
}

pub(super) struct KnownValue {
    value: Zeroizing<Vec<u8>>,
    prefix_len: usize,
    token_byte: [bool; 256],
    forms: Vec<EncodedForm>,
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
                forms: encoded_forms(value),
            });
        }
        // The encoded forms' anchors. The automaton reports one pattern
        // per position, the first added: a form is also a target of every
        // anchor that may stand where it starts (a percent-encoded form
        // starts with its value's unreserved characters).
        for (i, known) in values.iter().enumerate() {
            for (f, form) in known.forms.iter().enumerate() {
                let own = &form.text[..form.text.len().min(FORM_ANCHOR)];
                for (id, anchor) in anchors.iter().enumerate() {
                    if form.text.starts_with(anchor) || anchor.starts_with(own) {
                        targets[id].push((i, KnownPart::Encoded(f)));
                    }
                }
                if !anchors.iter().any(|a| a.as_slice() == own) {
                    anchors.push(Zeroizing::new(own.to_vec()));
                    targets.push(vec![(i, KnownPart::Encoded(f))]);
                }
            }
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
            KnownPart::Encoded(f) => return encoded_form(w, known, &known.forms[f]),
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

/// The encoded form `form` of `known` at the window's anchor: the whole
/// form, with the next character when it carries bits of the value and
/// any `=` padding after it.
fn encoded_form(w: &Window, known: &KnownValue, form: &EncodedForm) -> Eval {
    let ahead = w.ahead();
    if !ahead.starts_with(&form.text) {
        if form.text.starts_with(ahead) && w.ahead_is_open() {
            return Eval::NeedMore;
        }
        return Eval::Done(None);
    }
    let mut len = form.text.len();
    if form.partial_tail {
        let base64 = |b: u8| b.is_ascii_alphanumeric() || b"+/-_".contains(&b);
        len += need!(w.run(len, 1, base64));
        len += need!(w.run(len, 2, |b| b == b'='));
    }
    match w.candidate(0, len, Kind::KnownSecret, Confidence::High) {
        Eval::Done(Some(c)) => Eval::Done(Some(Candidate {
            fingerprint: Fingerprint::of(&known.value),
            encoding: Some(form.encoding),
            ..c
        })),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::detect::Detector;
    use crate::core::stream::scan_bytes;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine;

    #[test]
    fn a_known_secret_is_found_in_base64_and_percent_encoded() {
        let mut g = crate::fake::FakeGen::new(12);
        // Not a Cloudflare shape: only the known-secret hunt can find it.
        let value = format!("{}/{}+{}=", g.alnum(12), g.alnum(9), g.alnum(7));
        let mut secrets = KnownSecrets::new();
        secrets
            .add(Zeroizing::new(value.clone().into_bytes()), "test", 1)
            .unwrap();
        let det = Detector::known_only(&secrets);
        let percent: String = value
            .bytes()
            .map(|b| match b {
                b'/' | b'+' | b'=' => format!("%{b:02X}"),
                b => (b as char).to_string(),
            })
            .collect();
        let mut texts = vec![(format!("u={percent}&x=1\n"), 2, percent.len())];
        for lead in ["", "a", "ab"] {
            for b64 in [
                STANDARD.encode(format!("{lead}{value}")),
                URL_SAFE_NO_PAD.encode(format!("{lead}{value}")),
            ] {
                let skip = (8 * lead.len()).div_ceil(6);
                texts.push((format!("data: {b64}\n"), 6 + skip, b64.len() - skip));
            }
        }
        for (text, at, len) in texts {
            let f = scan_bytes(&det, text.as_bytes());
            assert_eq!(f.len(), 1, "{} bytes", text.len());
            assert_eq!((f[0].offset as usize, f[0].length), (at, len));
            assert_eq!(f[0].kind, Kind::KnownSecret);
            assert!(f[0].encoding.is_some());
            assert_eq!(f[0].fingerprint, Fingerprint::of(value.as_bytes()));
        }
    }
}
