//! The detector: finds anchors and decides, at each one, whether a
//! credential starts there.
//!
//! Detection is two steps. An Aho-Corasick automaton finds *anchors*
//! (prefixes like `cfut_`, context words like `api_token`, the leading
//! characters of known secrets); then the [`crate::core::rules::Matcher`] owning
//! the anchor inspects a bounded [`Window`] around it — at most
//! [`LOOKBEHIND`] bytes before and [`MAX_LOOKAHEAD`] after — and answers with
//! an [`Eval`]. Because a decision depends only on that window, the chunked
//! reader in [`crate::core::stream`] gets the same findings whatever its chunk
//! size; when a window runs off the end of the data read so far, the matcher
//! answers [`Eval::NeedMore`] and is asked again with more.
//!
//! The detector is the only code that sees secret bytes; what it returns
//! ([`Candidate`]) holds positions, a kind and a fingerprint.
//!
//! One file (about 850 lines before the tests) on purpose: the matchers
//! share the anchor scan, the look-behind and look-ahead bounds and the
//! overlap merging, and keeping them together keeps the only code that
//! touches secret bytes in one place to review.

use crate::core::finding::Fingerprint;
use crate::core::rules::{Confidence, Kind, Matcher, Rule, ValueShape, CLOUDFLARE_KEYWORDS, RULES};
use crate::core::secrets::{
    prefix_len, KnownSecrets, KNOWN_PREFIXES, MAX_KNOWN_LEN, MIN_PREFIXED_BODY, MIN_UNPREFIXED_LEN,
};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use base64::Engine;
use zeroize::Zeroizing;

/// Bytes before an anchor a matcher may look at.
pub const LOOKBEHIND: usize = 512;
/// Bytes from an anchor a matcher may look at (an `ARGO TUNNEL TOKEN` block
/// is the longest shape, a known secret may be as long).
pub const MAX_LOOKAHEAD: usize = 16 * 1024;
const _: () = assert!(MAX_KNOWN_LEN <= MAX_LOOKAHEAD);

/// Longest run of body characters considered after a prefix.
const RUN_CAP: usize = 256;
/// A run this long after a prefix is a value (a scannable body is 40), not
/// an identifier such as `cfast_version`: it needs no boundary before it.
const VALUE_BODY: usize = 40;
/// Longest base64 run considered for a tunnel token.
const TUNNEL_CAP: usize = 4096;
/// How far along the line a "nearby" word is looked for.
const NEARBY_AHEAD: usize = 512;
/// How many separator characters may stand between a context keyword and its value.
pub const MAX_SEPARATORS: usize = 8;
/// The characters that separate a context keyword from its value.
pub const SEPARATORS: &[u8] = b" \t\"'`:=\\";

/// The first line of a cloudflared `cert.pem` token block.
pub const PEM_BEGIN: &str = "-----BEGIN ARGO TUNNEL TOKEN-----";
/// The last line of that block.
pub const PEM_END: &[u8] = b"-----END ARGO TUNNEL TOKEN-----";

/// Other vendors' 40-character tokens that a generic `api_token` context
/// would otherwise take for a legacy Cloudflare token.
pub const OTHER_VENDOR_PREFIXES: &[&[u8]] =
    &[b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_", b"glpat-"];

/// A span the detector proposes, relative to the window's buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Start index in the buffer.
    pub start: usize,
    /// Length in bytes.
    pub len: usize,
    /// What it is.
    pub kind: Kind,
    /// How sure.
    pub confidence: Confidence,
    /// For whole high-entropy values.
    pub fingerprint: Option<Fingerprint>,
}

/// A matcher's answer at one anchor (or a step's answer inside a matcher).
#[derive(Debug, PartialEq, Eq)]
pub enum Eval<T = Candidate> {
    /// The window ends before the matcher could decide: ask again with more data.
    NeedMore,
    /// Decided: a credential starts here, or nothing does.
    Done(Option<T>),
}

/// The bytes around one anchor.
pub struct Window<'a> {
    bytes: &'a [u8],
    pos: usize,
    eof: bool,
}

impl<'a> Window<'a> {
    /// A window on `bytes` at anchor `pos`; `eof` says no byte follows `bytes`.
    pub fn new(bytes: &'a [u8], pos: usize, eof: bool) -> Window<'a> {
        Window { bytes, pos, eof }
    }

    fn ahead(&self) -> &'a [u8] {
        let end = self.bytes.len().min(self.pos + MAX_LOOKAHEAD);
        &self.bytes[self.pos..end]
    }

    /// Whether `ahead()` ends where the data ends (so a run reaching it is
    /// undecided unless at EOF) rather than at the lookahead cap.
    fn ahead_is_open(&self) -> bool {
        !self.eof && self.bytes.len() < self.pos + MAX_LOOKAHEAD
    }

    fn behind(&self) -> &'a [u8] {
        &self.bytes[self.pos.saturating_sub(LOOKBEHIND)..self.pos]
    }

    /// Length of the run of `pred` bytes at `from` in `ahead()`, capped at
    /// `cap`; `None` when the run reaches the end of the data read so far.
    fn run(&self, from: usize, cap: usize, pred: impl Fn(u8) -> bool) -> Option<usize> {
        let ahead = self.ahead();
        let slice = ahead.get(from..).unwrap_or(&[]);
        let n = slice.iter().take(cap).take_while(|&&b| pred(b)).count();
        if n < cap && from + n == ahead.len() && self.ahead_is_open() {
            None
        } else {
            Some(n)
        }
    }

    fn candidate(&self, offset: usize, len: usize, kind: Kind, confidence: Confidence) -> Eval {
        let start = self.pos + offset;
        let fingerprint = kind
            .fingerprinted()
            .then(|| Fingerprint::of(&self.bytes[start..start + len]))
            .flatten();
        Eval::Done(Some(Candidate {
            start,
            len,
            kind,
            confidence,
            fingerprint,
        }))
    }
}

macro_rules! need {
    ($e:expr) => {
        match $e {
            Some(v) => v,
            None => return Eval::NeedMore,
        }
    };
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn is_url_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-')
}

/// True when the byte before the anchor does not glue it to a word: not a
/// word byte, the final byte of an ANSI control sequence (`ESC [ 33 m`,
/// `ESC [ 0 K`), which coloured CI logs put right before values, the end
/// of a string escape ([`ends_with_text_escape`]: JSON transcripts and
/// logs), or the end of a whole checksum-valid token
/// ([`ends_with_valid_token`]).
fn left_boundary(w: &Window, is_word: impl Fn(u8) -> bool) -> bool {
    let behind = w.behind();
    match behind.last() {
        None => true,
        Some(&b) => {
            !is_word(b)
                || ansi_csi_start(behind).is_some()
                || ends_with_text_escape(behind)
                || ends_with_valid_token(behind)
        }
    }
}

/// Whether `text` ends with a string escape that stands for a control
/// character: `\n`, `\t`, `\r`, `\b`, `\f` (the backslash not itself
/// escaped), or an escaped ANSI code (`\u001b[33m`, `\x1b[0K`, `\e[1m`).
/// JSON Lines (agent transcripts, structured logs) carry tool output this
/// way: in `"output":"grep\ncfut_AbCd"` a partial starts a line.
fn ends_with_text_escape(text: &[u8]) -> bool {
    let backslash_run_before = |end: usize| {
        text[..end]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count()
    };
    if let [.., b'\\', letter] = text {
        if b"ntrbf".contains(letter) && backslash_run_before(text.len() - 1) % 2 == 1 {
            return true;
        }
    }
    // An escaped ESC, then `[`, parameters and a final letter.
    let Some(&last) = text.last() else {
        return false;
    };
    if !last.is_ascii_alphabetic() {
        return false;
    }
    let body = &text[..text.len() - 1];
    let params = body
        .iter()
        .rev()
        .take(MAX_CSI)
        .take_while(|&&b| b.is_ascii_digit() || b == b';')
        .count();
    let head = &body[..body.len() - params];
    [
        &b"\\u001b["[..],
        b"\\u001B[",
        b"\\x1b[",
        b"\\x1B[",
        b"\\e[",
        b"\\033[",
    ]
    .iter()
    .any(|esc| head.ends_with(esc))
}

/// Whether `text` ends with a whole checksum-valid token of a scannable
/// format (prefix, 40 letters or digits, their CRC-32). That token is
/// found whatever follows it, and once masked, a value glued after it
/// stands after the marker: a later scan (`redact` re-scanning what it
/// wrote) would find that value, so this one must too.
fn ends_with_valid_token(text: &[u8]) -> bool {
    let Some(body_at) = text.len().checked_sub(48) else {
        return false;
    };
    let (head, body) = text.split_at(body_at);
    let prefixed = RULES.iter().any(|rule| match rule.matcher {
        Matcher::Scannable { prefix } => head.ends_with(prefix.as_bytes()),
        _ => false,
    });
    prefixed
        && body[..40].iter().all(|&b| is_alnum(b))
        && body[40..].iter().all(|&b| is_lower_hex(b))
        && format!("{:08x}", crc32fast::hash(&body[..40])).as_bytes() == &body[40..]
}

const ESC: u8 = 0x1b;
/// Longest ANSI control sequence recognised (`ESC [`, parameters, final byte).
const MAX_CSI: usize = 32;

/// Where the ANSI control sequence (CSI: `ESC [`, parameter bytes
/// `0x30..=0x3f`, intermediate bytes `0x20..=0x2f`, a final byte
/// `0x40..=0x7e`) that `text` ends with starts, if it ends with one.
fn ansi_csi_start(text: &[u8]) -> Option<usize> {
    let (&last, body) = text.split_last()?;
    if !(0x40..=0x7e).contains(&last) {
        return None;
    }
    let tail = &body[body.len().saturating_sub(MAX_CSI)..];
    let inter = tail
        .iter()
        .rev()
        .take_while(|&&b| (0x20..=0x2f).contains(&b))
        .count();
    let params = tail[..tail.len() - inter]
        .iter()
        .rev()
        .take_while(|&&b| (0x30..=0x3f).contains(&b))
        .count();
    let introducer = body.len() - inter - params;
    body[..introducer]
        .ends_with(&[ESC, b'['])
        .then(|| introducer - 2)
}

/// What an ANSI control sequence at the start of `bytes` is.
enum Csi {
    /// A whole sequence of this many bytes.
    Complete(usize),
    /// The bytes end inside what may still become one.
    Unfinished,
    /// Not a control sequence.
    Not,
}

fn ansi_csi_at(bytes: &[u8]) -> Csi {
    match bytes {
        [] | [ESC] | [ESC, b'['] => return Csi::Unfinished,
        [ESC, b'[', ..] => {}
        _ => return Csi::Not,
    }
    let body = &bytes[2..];
    let params = body
        .iter()
        .take_while(|&&b| (0x30..=0x3f).contains(&b))
        .count();
    let inter = body[params..]
        .iter()
        .take_while(|&&b| (0x20..=0x2f).contains(&b))
        .count();
    let len = 2 + params + inter + 1;
    match body.get(params + inter) {
        _ if len > MAX_CSI => Csi::Not,
        None => Csi::Unfinished,
        Some(b) if (0x40..=0x7e).contains(b) => Csi::Complete(len),
        Some(_) => Csi::Not,
    }
}

fn contains_ignore_case(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// What a static anchor belongs to.
#[derive(Clone, Copy)]
struct StaticAnchor {
    rule: &'static Rule,
    literal: &'static str,
    case_sensitive: bool,
}

/// The literals that start a rule's matcher (prefixes, context keywords;
/// keywords match ASCII case-insensitively): what other tools' rules are
/// generated from (`cfscrub rules export`).
pub fn anchor_literals(rule: &'static Rule) -> Vec<&'static str> {
    rule_anchors(rule).iter().map(|a| a.literal).collect()
}

fn rule_anchors(rule: &'static Rule) -> Vec<StaticAnchor> {
    let sensitive = |literal| StaticAnchor {
        rule,
        literal,
        case_sensitive: true,
    };
    match rule.matcher {
        Matcher::Scannable { prefix } | Matcher::OAuth { prefix } => vec![sensitive(prefix)],
        Matcher::OriginCa => vec![sensitive("v1.0-")],
        Matcher::TunnelToken => vec![sensitive("eyJhIjoi")],
        Matcher::TunnelCertPem => vec![sensitive(PEM_BEGIN)],
        Matcher::Turnstile => vec![sensitive("0x4AAAAAA")],
        Matcher::Context { keywords, .. } => keywords
            .iter()
            .map(|literal| StaticAnchor {
                rule,
                literal,
                case_sensitive: false,
            })
            .collect(),
        Matcher::Derived => Vec::new(),
    }
}

/// Which part of a known secret an anchor is the start of.
#[derive(Clone, Copy, Debug)]
enum KnownPart {
    /// The value from its first byte.
    Whole,
    /// The body after the value's Cloudflare prefix.
    Body,
}

struct KnownValue {
    value: Zeroizing<Vec<u8>>,
    prefix_len: usize,
    token_byte: [bool; 256],
}

struct KnownHunter {
    automaton: AhoCorasick,
    /// Pattern id → the (value, part) pairs sharing that anchor.
    targets: Vec<Vec<(usize, KnownPart)>>,
    values: Vec<KnownValue>,
    anchors: Vec<Zeroizing<Vec<u8>>>,
    /// Indexes of `anchors` in byte order, to find the anchors a text
    /// could be the start of by binary search.
    sorted: Vec<usize>,
}

impl KnownHunter {
    fn new<'s>(secrets: &'s KnownSecrets) -> KnownHunter {
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
    fn could_grow_into_anchor(&self, tail: &[u8]) -> bool {
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

    fn eval(&self, w: &Window, value_index: usize, part: KnownPart) -> Eval {
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

/// An anchor found in a buffer: where, and which matcher owns it.
#[derive(Clone, Copy, Debug)]
pub struct Anchor {
    /// Index of the anchor's first byte in the searched buffer.
    pub pos: usize,
    target: AnchorTarget,
}

#[derive(Clone, Copy, Debug)]
enum AnchorTarget {
    Static(usize),
    Known(usize),
}

/// Calls `found` for the leftmost match starting at each position, so
/// that anchors overlapping an earlier match are not skipped.
fn every_match(automaton: &AhoCorasick, hay: &[u8], mut found: impl FnMut(usize, usize)) {
    let mut at = 0;
    while at < hay.len() {
        let input = aho_corasick::Input::new(hay).span(at..hay.len());
        let Some(m) = automaton.find(input) else {
            break;
        };
        found(m.start(), m.pattern().as_usize());
        at = m.start() + 1;
    }
}

/// The compiled detector: every rule plus the known secrets.
pub struct Detector {
    automaton: AhoCorasick,
    anchors: Vec<StaticAnchor>,
    known: Option<KnownHunter>,
    rules_enabled: bool,
    longest_anchor: usize,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Detector({} anchors, {} known secrets)",
            self.anchors.len(),
            self.known.as_ref().map_or(0, |k| k.values.len())
        )
    }
}

impl Detector {
    /// A detector for every rule in [`RULES`] plus `known` secrets.
    pub fn new(known: &KnownSecrets) -> Detector {
        Detector::build(known, true)
    }

    /// A detector that hunts only the known secrets (`verify --secret-from`).
    pub fn known_only(known: &KnownSecrets) -> Detector {
        Detector::build(known, false)
    }

    fn build(known: &KnownSecrets, rules_enabled: bool) -> Detector {
        let anchors: Vec<StaticAnchor> = if rules_enabled {
            RULES.iter().flat_map(rule_anchors).collect()
        } else {
            Vec::new()
        };
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(anchors.iter().map(|a| a.literal.to_ascii_lowercase()))
            .expect("static anchors are small literals");
        let known = (!known.is_empty()).then(|| KnownHunter::new(known));
        let longest_anchor = anchors
            .iter()
            .map(|a| a.literal.len())
            .chain(known.iter().flat_map(|k| k.anchors.iter().map(|a| a.len())))
            .max()
            .unwrap_or(1);
        Detector {
            automaton,
            anchors,
            known,
            rules_enabled,
            longest_anchor,
        }
    }

    /// Appends every anchor that starts at or after `from` in `hay` to `out`,
    /// sorted by position. `lowered` is scratch space: the static anchors
    /// are searched in an ASCII-lower-cased copy, which keeps the
    /// automaton's SIMD prefilter (it has none for case-insensitive search).
    pub fn find_anchors(
        &self,
        hay: &[u8],
        from: usize,
        lowered: &mut Vec<u8>,
        out: &mut Vec<Anchor>,
    ) {
        if self.rules_enabled {
            lowered.clear();
            lowered.extend(hay[from..].iter().map(u8::to_ascii_lowercase));
            every_match(&self.automaton, lowered, |start, pattern| {
                out.push(Anchor {
                    pos: from + start,
                    target: AnchorTarget::Static(pattern),
                })
            });
        }
        if let Some(known) = &self.known {
            every_match(&known.automaton, &hay[from..], |start, pattern| {
                out.push(Anchor {
                    pos: from + start,
                    target: AnchorTarget::Known(pattern),
                })
            });
            out.sort_by_key(|a| a.pos);
        }
    }

    /// Decides what starts at `anchor`; may append several candidates for
    /// a shared known-secret anchor. Returns false when more data is needed.
    pub fn evaluate(
        &self,
        bytes: &[u8],
        anchor: Anchor,
        eof: bool,
        out: &mut Vec<Candidate>,
    ) -> bool {
        let w = Window::new(bytes, anchor.pos, eof);
        match anchor.target {
            AnchorTarget::Static(i) => match self.eval_static(&w, &self.anchors[i]) {
                Eval::NeedMore => return false,
                Eval::Done(c) => out.extend(c),
            },
            AnchorTarget::Known(i) => {
                let known = self.known.as_ref().expect("known anchors imply a hunter");
                for &(value, part) in &known.targets[i] {
                    match known.eval(&w, value, part) {
                        Eval::NeedMore => return false,
                        Eval::Done(c) => out.extend(c),
                    }
                }
            }
        }
        true
    }

    /// The length of the longest suffix of `bytes` that could still grow
    /// into an anchor: those bytes cannot be decided before more arrive.
    pub fn undecided_suffix(&self, bytes: &[u8]) -> usize {
        let max = (self.longest_anchor - 1).min(bytes.len());
        (1..=max)
            .rev()
            .find(|&k| {
                let tail = &bytes[bytes.len() - k..];
                let static_hit = self.anchors.iter().any(|a| {
                    a.literal.len() > k
                        && if a.case_sensitive {
                            a.literal.as_bytes().starts_with(tail)
                        } else {
                            a.literal.as_bytes()[..k].eq_ignore_ascii_case(tail)
                        }
                });
                static_hit
                    || self
                        .known
                        .as_ref()
                        .is_some_and(|known| known.could_grow_into_anchor(tail))
            })
            .unwrap_or(0)
    }

    fn eval_static(&self, w: &Window, anchor: &StaticAnchor) -> Eval {
        let ahead = w.ahead();
        if anchor.case_sensitive && !ahead.starts_with(anchor.literal.as_bytes()) {
            return Eval::Done(None);
        }
        let rule = anchor.rule;
        match rule.matcher {
            Matcher::Scannable { prefix } => scannable(w, prefix.len(), rule.kind),
            Matcher::OAuth { prefix } => oauth(w, prefix.len(), rule.kind),
            Matcher::OriginCa => origin_ca(w),
            Matcher::TunnelToken => tunnel_token(w),
            Matcher::TunnelCertPem => tunnel_pem(w),
            Matcher::Turnstile => turnstile(w),
            Matcher::Context {
                value,
                needs_nearby,
                ..
            } => context(w, anchor.literal, value, needs_nearby, rule),
            Matcher::Derived => Eval::Done(None),
        }
    }
}

fn scannable(w: &Window, prefix: usize, kind: Kind) -> Eval {
    let run = need!(w.run(prefix, RUN_CAP, is_alnum));
    let body = &w.ahead()[prefix..];
    // A complete shape needs no boundary before it: glued to other text it
    // is still a leak, and the checksum (or the exact 48-character run)
    // already says what it is.
    if run >= 48 && body[40..48].iter().all(|&b| is_lower_hex(b)) {
        let crc = crc32fast::hash(&body[..40]);
        if format!("{crc:08x}").as_bytes() == &body[40..48] {
            return w.candidate(0, prefix + 48, kind, Confidence::High);
        }
        if run == 48 {
            return w.candidate(0, prefix + 48, kind, Confidence::Low);
        }
    }
    if run >= MIN_PREFIXED_BODY && (run >= VALUE_BODY || left_boundary(w, is_alnum)) {
        return w.candidate(0, prefix + run, Kind::Partial, Confidence::Medium);
    }
    Eval::Done(None)
}

fn oauth(w: &Window, prefix: usize, kind: Kind) -> Eval {
    let first = need!(w.run(prefix, RUN_CAP, is_url_safe));
    let dot = prefix + first;
    let second = match w.ahead().get(dot) {
        Some(b'.') => need!(w.run(dot + 1, RUN_CAP, is_url_safe)),
        None if w.ahead_is_open() => return Eval::NeedMore,
        _ => 0,
    };
    let through_second = if second > 0 { dot + 1 + second } else { dot };
    // The complete shape needs no boundary before it; characters glued
    // after it are masked with it.
    if first == 43 && second >= 43 {
        return w.candidate(0, through_second, kind, Confidence::High);
    }
    // Anything else is a partial, over both halves: never half a token.
    if first >= MIN_PREFIXED_BODY && (first >= VALUE_BODY || left_boundary(w, is_alnum)) {
        return w.candidate(0, through_second, Kind::Partial, Confidence::Medium);
    }
    Eval::Done(None)
}

/// The hex groups after `v1.0-` of the Origin CA key forms known: the
/// common one and the three-group form of Cloudflare's SDK fixtures.
pub const ORIGIN_CA_GROUPS: &[&[usize]] = &[&[24, 146], &[64, 128, 64]];

fn origin_ca(w: &Window) -> Eval {
    const HEAD: usize = "v1.0-".len();
    let first = need!(w.run(HEAD, 65, is_lower_hex));
    let Some(groups) = ORIGIN_CA_GROUPS.iter().find(|g| g[0] == first) else {
        return Eval::Done(None);
    };
    let mut at = HEAD + first;
    for &len in &groups[1..] {
        match w.ahead().get(at) {
            Some(b'-') => {}
            None if w.ahead_is_open() => return Eval::NeedMore,
            _ => return Eval::Done(None),
        }
        if need!(w.run(at + 1, len, is_lower_hex)) != len {
            return Eval::Done(None);
        }
        at += 1 + len;
    }
    // No boundary needed before the complete shape; letters or digits
    // glued after it are masked with it.
    let glued = need!(w.run(at, RUN_CAP, is_alnum));
    w.candidate(0, at + glued, Kind::OriginCaKey, Confidence::High)
}

fn tunnel_token(w: &Window) -> Eval {
    // No boundary needed before it: the decoded header below is specific
    // enough, and base64 glued before it would hide a token.
    let run = need!(w.run(0, TUNNEL_CAP, is_base64));
    if run < 52 {
        return Eval::Done(None);
    }
    let head: Vec<u8> = w.ahead()[..52]
        .iter()
        .map(|&b| match b {
            b'-' => b'+',
            b'_' => b'/',
            b => b,
        })
        .collect();
    let Ok(json) = base64::engine::general_purpose::STANDARD_NO_PAD.decode(&head) else {
        return Eval::Done(None);
    };
    let account_id = json.get(6..38).unwrap_or(&[]);
    if json.starts_with(br#"{"a":""#)
        && account_id.len() == 32
        && account_id.iter().all(|b| b.is_ascii_hexdigit())
        && json.get(38) == Some(&b'"')
    {
        return w.candidate(0, run, Kind::TunnelToken, Confidence::High);
    }
    Eval::Done(None)
}

fn tunnel_pem(w: &Window) -> Eval {
    let ahead = w.ahead();
    if let Some(end) = memchr::memmem::find(ahead, PEM_END) {
        return w.candidate(0, end + PEM_END.len(), Kind::TunnelCert, Confidence::High);
    }
    if w.ahead_is_open() {
        return Eval::NeedMore;
    }
    // No END marker within reach: take the header and the base64 lines after it.
    let header_end = memchr::memchr(b'\n', ahead).map_or(ahead.len(), |i| i + 1);
    let mut len = header_end;
    for line in ahead[header_end..].split_inclusive(|&b| b == b'\n') {
        let content = line.trim_ascii_end();
        if content.is_empty() || !content.iter().all(|&b| is_base64(b)) {
            break;
        }
        len += line.len();
    }
    let len = ahead[..len].trim_ascii_end().len();
    w.candidate(0, len, Kind::TunnelCert, Confidence::High)
}

/// Length of a Turnstile secret key (`0x4AAAAAA` + 26).
pub const TURNSTILE_LEN: usize = 35;

fn turnstile(w: &Window) -> Eval {
    if !left_boundary(w, is_alnum) {
        return Eval::Done(None);
    }
    // Characters glued after the key are masked with it.
    let run = need!(w.run(0, RUN_CAP, is_url_safe));
    let behind = w.behind();
    let line_start = memchr::memrchr(b'\n', behind).map_or(0, |i| i + 1);
    if run >= TURNSTILE_LEN && contains_ignore_case(&behind[line_start..], "secret") {
        return w.candidate(0, run, Kind::TurnstileSecret, Confidence::Medium);
    }
    Eval::Done(None)
}

/// True when `keyword` names Cloudflare by itself ([`CLOUDFLARE_KEYWORDS`])
/// or ends an identifier that does (`CLOUDFLARE_API_KEY`, `CF_API_TOKEN`),
/// an ANSI colour code right before the identifier left aside.
fn names_cloudflare(w: &Window, keyword: &str) -> bool {
    if CLOUDFLARE_KEYWORDS.contains(&keyword) {
        return true;
    }
    let behind = w.behind();
    let mut start = behind.len() - behind.iter().rev().take_while(|&&b| is_url_safe(b)).count();
    // `ESC [ 33 m CF_API_KEY`: the run above took the `33m` in.
    let lo = start.saturating_sub(MAX_CSI);
    if let Some(esc) = memchr::memrchr(ESC, &behind[lo..start]).map(|i| lo + i) {
        if let Csi::Complete(n) = ansi_csi_at(&behind[esc..]) {
            start = start.max(esc + n);
        }
    }
    let ident = &behind[start..];
    contains_ignore_case(ident, "cloudflare")
        || ident
            .split(|&b| b == b'_' || b == b'-')
            .any(|part| part.eq_ignore_ascii_case(b"cf"))
}

/// Where a context value starts after its keyword: past 1 to
/// [`MAX_SEPARATORS`] separator characters, ANSI colour codes among them
/// skipped (`X-Auth-Key: ESC[32m…`). `None` when there is no value there.
fn value_start(w: &Window, keyword_len: usize) -> Eval<usize> {
    let ahead = w.ahead();
    let is_separator = |b: u8| SEPARATORS.contains(&b);
    let mut at = keyword_len;
    let mut separators = 0;
    loop {
        match ahead.get(at) {
            None if w.ahead_is_open() => return Eval::NeedMore,
            None => break,
            Some(&b) if is_separator(b) => {
                separators += 1;
                if separators > MAX_SEPARATORS {
                    return Eval::Done(None);
                }
                at += 1;
            }
            Some(&ESC) => match ansi_csi_at(&ahead[at..]) {
                Csi::Complete(n) => at += n,
                Csi::Unfinished if w.ahead_is_open() => return Eval::NeedMore,
                Csi::Unfinished | Csi::Not => break,
            },
            Some(_) => break,
        }
    }
    Eval::Done((separators > 0).then_some(at))
}

fn context(
    w: &Window,
    keyword: &str,
    shape: ValueShape,
    needs_nearby: Option<&str>,
    rule: &Rule,
) -> Eval {
    let start = match value_start(w, keyword.len()) {
        Eval::NeedMore => return Eval::NeedMore,
        Eval::Done(None) => return Eval::Done(None),
        Eval::Done(Some(start)) => start,
    };
    let ahead = w.ahead();
    let run = need!(w.run(start, RUN_CAP, is_url_safe));
    let value = &ahead[start..start + run];
    // After a keyword naming Cloudflare the value is that credential even
    // with characters glued after it (masked with it); after a generic
    // keyword only the exact shape counts.
    let specific = names_cloudflare(w, keyword);
    let shape_ok = match shape {
        ValueShape::LegacyToken { len } => {
            (run == len || (specific && run > len))
                && !value.iter().all(|b| b.is_ascii_hexdigit())
                && !OTHER_VENDOR_PREFIXES.iter().any(|p| value.starts_with(p))
                // A prefixed value is the new format's: its own rule names it
                // (a wrong checksum stays low, not a medium legacy token).
                && !KNOWN_PREFIXES.iter().any(|p| value.starts_with(p.as_bytes()))
        }
        ValueShape::Hex { len, generic_len } => {
            let hex = value.iter().take_while(|&&b| is_lower_hex(b)).count();
            if specific {
                hex >= len
            } else {
                run == generic_len && hex == run
            }
        }
    };
    if !shape_ok {
        return Eval::Done(None);
    }
    if let Some(word) = needs_nearby {
        let behind = w.behind();
        let line_start = memchr::memrchr(b'\n', behind).map_or(0, |i| i + 1);
        let after = &ahead[start + run..];
        let reach = after.len().min(NEARBY_AHEAD);
        let line_end = memchr::memchr(b'\n', &after[..reach]);
        if line_end.is_none() && reach < NEARBY_AHEAD && w.ahead_is_open() {
            return Eval::NeedMore;
        }
        let after_line = &after[..line_end.unwrap_or(reach)];
        if !contains_ignore_case(&behind[line_start..], word)
            && !contains_ignore_case(after_line, word)
        {
            return Eval::Done(None);
        }
    }
    w.candidate(start, run, rule.kind, rule.confidence)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect_all(det: &Detector, bytes: &[u8]) -> Vec<Candidate> {
        let mut anchors = Vec::new();
        det.find_anchors(bytes, 0, &mut Vec::new(), &mut anchors);
        let mut out = Vec::new();
        for a in anchors {
            assert!(det.evaluate(bytes, a, true, &mut out));
        }
        out
    }

    #[test]
    fn ansi_control_sequence_end_is_a_boundary() {
        assert_eq!(ansi_csi_start(b"\x1b[33m"), Some(0));
        assert_eq!(ansi_csi_start(b"ab\x1b[1;31m"), Some(2));
        assert_eq!(ansi_csi_start(b"\x1b[0K"), Some(0));
        assert_eq!(ansi_csi_start(b"\x1b[?25h"), Some(0));
        assert_eq!(ansi_csi_start(b"form"), None);
        assert_eq!(ansi_csi_start(b"[33m"), None);
    }

    /// (start, length, kind, confidence) of each candidate: no value, no fingerprint.
    fn places(det: &Detector, text: &str) -> Vec<(usize, usize, Kind, Confidence)> {
        let mut c: Vec<_> = detect_all(det, text.as_bytes())
            .into_iter()
            .map(|c| (c.start, c.len, c.kind, c.confidence))
            .collect();
        c.sort();
        c
    }

    #[test]
    fn a_prefix_typed_twice_proposes_the_partial_and_the_token() {
        let det = Detector::new(&KnownSecrets::new());
        let t = crate::fake::FakeGen::new(1).scannable("cfut_", true);
        assert_eq!(
            places(&det, &format!("X=cfut_{t}")),
            [
                (2, 9, Kind::Partial, Confidence::Medium),
                (7, 53, Kind::UserToken, Confidence::High)
            ]
        );
    }

    #[test]
    fn a_value_glued_after_a_whole_token_is_found_as_after_a_boundary() {
        // Fuzzing (masker target) found `<token>cfk_Zz09`: the partial was
        // glued, so not found; once the token was masked it stood after
        // `]` and was, so `redact` refused to commit its own output.
        let det = Detector::new(&KnownSecrets::new());
        let mut g = crate::fake::FakeGen::new(21);
        let token = g.scannable("cfast_", true);
        let turnstile = g.turnstile();
        let bad = g.scannable("cfut_", false);
        assert_eq!(
            places(&det, &format!("{token}cfk_Zz09 {token}cfoat_AbCd")),
            [
                (0, 54, Kind::AccessServiceSecret, Confidence::High),
                (54, 8, Kind::Partial, Confidence::Medium),
                (63, 54, Kind::AccessServiceSecret, Confidence::High),
                (117, 10, Kind::Partial, Confidence::Medium),
            ]
        );
        assert_eq!(
            places(&det, &format!("secret: {token}{turnstile}")),
            [
                (8, 54, Kind::AccessServiceSecret, Confidence::High),
                (62, 35, Kind::TurnstileSecret, Confidence::Medium),
            ]
        );
        // Only a whole valid token ends in a boundary: after a wrong
        // checksum the glued prefix is part of one partial.
        assert_eq!(
            places(&det, &format!("{bad}cfk_Zz09")),
            [(0, 56, Kind::Partial, Confidence::Medium)]
        );
        let text = format!("x {token}cfk_Zz09 y\n");
        let masker = crate::mask::masker::shape_masker();
        let masked = crate::mask::masker::mask_bytes(&masker.0, &masker.1, text.as_bytes());
        assert_eq!(masked, b"x [REDACTED_CF_TOKEN][REDACTED_CF_TOKEN] y\n");
        assert!(crate::core::stream::scan_bytes(&det, &masked).is_empty());
    }

    #[test]
    fn a_prefixed_value_after_a_token_keyword_is_not_a_legacy_token() {
        let det = Detector::new(&KnownSecrets::new());
        let bad = crate::fake::FakeGen::new(12).scannable("cfut_", false);
        assert_eq!(
            places(&det, &format!("CLOUDFLARE_API_TOKEN={bad}\n")),
            [(21, 53, Kind::UserToken, Confidence::Low)]
        );
    }

    #[test]
    fn an_oauth_token_with_a_glued_letter_is_one_finding_over_both_halves() {
        let det = Detector::new(&KnownSecrets::new());
        let mut g = crate::fake::FakeGen::new(2);
        let t = g.oauth("cfoat_");
        assert_eq!(
            places(&det, &format!("tok={t}Z;")),
            [(4, 94, Kind::OAuthAccessToken, Confidence::High)]
        );
        // A second half of another length: a partial, still over both halves.
        let r = g.oauth("cfort_");
        assert_eq!(
            places(&det, &format!("tok={}", &r[..r.len() - 2])),
            [(4, 91, Kind::Partial, Confidence::Medium)]
        );
    }

    #[test]
    fn an_ansi_colour_before_cf_api_key_keeps_it_cloudflare_specific() {
        let det = Detector::new(&KnownSecrets::new());
        let mut g = crate::fake::FakeGen::new(3);
        for (colour, n) in [("\x1b[33m", 38), ("\x1b[1;31m", 45), ("\x1b[0K", 40)] {
            for name in ["CF_API_KEY", "CLOUDFLARE_API_KEY"] {
                let text = format!("{colour}{name}={}\n", g.hex(n));
                let at = colour.len() + name.len() + 1;
                assert_eq!(
                    places(&det, &text),
                    [(at, n, Kind::LegacyGlobalKey, Confidence::Medium)],
                    "{name} after {colour:?} with {n} hex"
                );
            }
        }
        // A letter glued before the name makes it another variable.
        assert_eq!(places(&det, &format!("XCF_API_KEY={}", g.hex(40))), []);
    }

    #[test]
    fn an_ansi_colour_between_keyword_and_value_is_skipped() {
        let det = Detector::new(&KnownSecrets::new());
        let hex = crate::fake::FakeGen::new(4).hex(37);
        let text = format!("X-Auth-Key: \x1b[32m{hex}\x1b[0m");
        assert_eq!(
            places(&det, &text),
            [(17, 37, Kind::LegacyGlobalKey, Confidence::Medium)]
        );
    }

    #[test]
    fn an_origin_ca_key_after_a_dot_or_a_letter_is_found() {
        let det = Detector::new(&KnownSecrets::new());
        let key = crate::fake::FakeGen::new(5).origin_ca();
        for before in [".", "x", "9", "v1.0-"] {
            let text = format!("key{before}{key}\n");
            let at = 3 + before.len();
            assert_eq!(
                places(&det, &text),
                [(at, 176, Kind::OriginCaKey, Confidence::High)],
                "after {before:?}"
            );
        }
    }

    #[test]
    fn characters_glued_after_an_origin_ca_key_are_masked_with_it() {
        let det = Detector::new(&KnownSecrets::new());
        let key = crate::fake::FakeGen::new(6).origin_ca();
        assert_eq!(
            places(&det, &format!("{key}Zz9-x")),
            [(0, 179, Kind::OriginCaKey, Confidence::High)]
        );
    }

    #[test]
    fn the_three_group_origin_ca_form_is_found() {
        let det = Detector::new(&KnownSecrets::new());
        let mut g = crate::fake::FakeGen::new(7);
        let key = format!("v1.0-{}-{}-{}", g.hex(64), g.hex(128), g.hex(64));
        assert_eq!(
            places(&det, &format!("k={key}")),
            [(2, 263, Kind::OriginCaKey, Confidence::High)]
        );
    }

    #[test]
    fn glued_characters_after_a_hex_key_are_masked_after_a_cloudflare_keyword_only() {
        let det = Detector::new(&KnownSecrets::new());
        let hex = crate::fake::FakeGen::new(8).hex(37);
        assert_eq!(
            places(&det, &format!("CF_API_KEY={hex}Zq_1 x")),
            [(11, 41, Kind::LegacyGlobalKey, Confidence::Medium)]
        );
        assert_eq!(places(&det, &format!("api_key={hex}Zq")), []);
    }

    #[test]
    fn a_turnstile_secret_with_glued_characters_is_masked_whole() {
        let det = Detector::new(&KnownSecrets::new());
        let key = crate::fake::FakeGen::new(9).turnstile();
        assert_eq!(
            places(&det, &format!("secret: {key}xY")),
            [(8, 37, Kind::TurnstileSecret, Confidence::Medium)]
        );
    }

    #[test]
    fn a_full_length_body_needs_no_boundary_before_the_prefix() {
        let det = Detector::new(&KnownSecrets::new());
        let mut g = crate::fake::FakeGen::new(10);
        let bad = g.scannable("cfut_", false);
        assert_eq!(
            places(&det, &format!("ab{bad}")),
            [(2, 53, Kind::UserToken, Confidence::Low)]
        );
        assert_eq!(
            places(&det, &format!("ab{bad}cd")),
            [(2, 55, Kind::Partial, Confidence::Medium)]
        );
        assert_eq!(places(&det, "abcfut_AbCdEfGh"), []);
    }

    #[test]
    fn the_whole_body_of_a_known_prefixed_value_is_found_glued() {
        let token = crate::fake::FakeGen::new(11).scannable("cfut_", true);
        let mut secrets = KnownSecrets::new();
        secrets
            .add(Zeroizing::new(token.clone().into_bytes()), "t", 1)
            .unwrap();
        let det = Detector::known_only(&secrets);
        assert_eq!(
            places(&det, &format!("[REDACTED]_{}", &token[5..])),
            [(11, 48, Kind::KnownSecretFragment, Confidence::Medium)]
        );
    }

    #[test]
    fn bad_checksum_is_low_confidence_same_kind() {
        let mut g = crate::fake::FakeGen::new(9);
        let t = g.scannable("cfat_", false);
        let det = Detector::new(&KnownSecrets::new());
        let c = detect_all(&det, format!("x {t} y").as_bytes());
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].kind, Kind::AccountToken);
        assert_eq!(c[0].confidence, Confidence::Low);
    }

    #[test]
    fn run_reaching_the_end_needs_more_unless_eof() {
        let det = Detector::new(&KnownSecrets::new());
        let bytes = b"grep cfut_AbCd";
        let mut anchors = Vec::new();
        det.find_anchors(bytes, 0, &mut Vec::new(), &mut anchors);
        let mut out = Vec::new();
        assert!(!det.evaluate(bytes, anchors[0], false, &mut out));
        assert!(det.evaluate(bytes, anchors[0], true, &mut out));
        assert_eq!(out[0].kind, Kind::Partial);
    }

    #[test]
    fn undecided_suffix_covers_partial_anchors() {
        let det = Detector::new(&KnownSecrets::new());
        assert_eq!(det.undecided_suffix(b"progress 42% cfu"), 3);
        assert_eq!(det.undecided_suffix(b"CLOUDFLARE_API_TO"), 6);
        assert_eq!(det.undecided_suffix(b"progress 42%"), 0);
    }
}
