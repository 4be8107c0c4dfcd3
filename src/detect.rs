//! The detector: finds anchors and decides, at each one, whether a
//! credential starts there.
//!
//! Detection is two steps. An Aho-Corasick automaton finds *anchors*
//! (prefixes like `cfut_`, context words like `api_token`, the leading
//! characters of known secrets); then the [`crate::rules::Matcher`] owning
//! the anchor inspects a bounded [`Window`] around it — at most
//! [`LOOKBEHIND`] bytes before and [`MAX_LOOKAHEAD`] after — and answers with
//! an [`Eval`]. Because a decision depends only on that window, the chunked
//! reader in [`crate::stream`] gets the same findings whatever its chunk
//! size; when a window runs off the end of the data read so far, the matcher
//! answers [`Eval::NeedMore`] and is asked again with more.
//!
//! The detector is the only code that sees secret bytes; what it returns
//! ([`Candidate`]) holds positions, a kind and a fingerprint.

use crate::finding::Fingerprint;
use crate::rules::{Confidence, Kind, Matcher, Rule, ValueShape, RULES};
use crate::secrets::{prefix_len, KnownSecrets, MIN_PREFIXED_BODY, MIN_UNPREFIXED_LEN};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use base64::Engine;
use zeroize::Zeroizing;

/// Bytes before an anchor a matcher may look at.
pub const LOOKBEHIND: usize = 512;
/// Bytes from an anchor a matcher may look at (an `ARGO TUNNEL TOKEN` block
/// is the longest shape).
pub const MAX_LOOKAHEAD: usize = 16 * 1024;

/// Longest run of body characters considered after a prefix.
const RUN_CAP: usize = 256;
/// Longest base64 run considered for a tunnel token.
const TUNNEL_CAP: usize = 4096;
/// How far along the line a "nearby" word is looked for.
const NEARBY_AHEAD: usize = 512;
/// Separator characters allowed between a context keyword and its value.
const MAX_SEPARATORS: usize = 8;

const PEM_BEGIN: &str = "-----BEGIN ARGO TUNNEL TOKEN-----";
const PEM_END: &[u8] = b"-----END ARGO TUNNEL TOKEN-----";

/// Other vendors' 40-character tokens that a generic `api_token` context
/// would otherwise take for a legacy Cloudflare token.
const OTHER_VENDOR_PREFIXES: &[&[u8]] = &[b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_", b"glpat-"];

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

/// A matcher's answer at one anchor.
#[derive(Debug, PartialEq, Eq)]
pub enum Eval {
    /// The window ends before the matcher could decide: ask again with more data.
    NeedMore,
    /// Decided: a credential starts here, or nothing does.
    Done(Option<Candidate>),
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

/// True when the byte before the anchor does not glue it to a word: not
/// alphanumeric, or the final `m` of an ANSI colour sequence (`ESC [ 33 m`).
fn left_boundary(w: &Window, is_word: impl Fn(u8) -> bool) -> bool {
    let behind = w.behind();
    match behind.last() {
        None => true,
        Some(&b'm') => is_ansi_sgr_end(behind) || !is_word(b'm'),
        Some(&b) => !is_word(b),
    }
}

fn is_ansi_sgr_end(behind: &[u8]) -> bool {
    let body = &behind[..behind.len() - 1];
    let params = body
        .iter()
        .rev()
        .take(16)
        .take_while(|b| b.is_ascii_digit() || **b == b';')
        .count();
    let rest = &body[..body.len() - params];
    rest.ends_with(b"\x1b[")
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
        let (target, min_len) = match part {
            KnownPart::Whole => {
                let v = known.value.as_slice();
                if ahead.starts_with(v) {
                    return w.candidate(0, v.len(), Kind::KnownSecret, Confidence::High);
                }
                if v.starts_with(ahead) && w.ahead_is_open() {
                    return Eval::NeedMore;
                }
                let min = if known.prefix_len > 0 {
                    known.prefix_len + MIN_PREFIXED_BODY
                } else {
                    MIN_UNPREFIXED_LEN
                };
                (v, min)
            }
            KnownPart::Body => (&known.value[known.prefix_len..], MIN_UNPREFIXED_LEN),
        };
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
    if run >= 48 && body[40..48].iter().all(|&b| is_lower_hex(b)) {
        let crc = crc32fast::hash(&body[..40]);
        if format!("{crc:08x}").as_bytes() == &body[40..48] {
            return w.candidate(0, prefix + 48, kind, Confidence::High);
        }
    }
    if !left_boundary(w, is_alnum) {
        return Eval::Done(None);
    }
    if run == 48 && body[40..48].iter().all(|&b| is_lower_hex(b)) {
        return w.candidate(0, prefix + 48, kind, Confidence::Low);
    }
    if run >= MIN_PREFIXED_BODY {
        return w.candidate(0, prefix + run, Kind::Partial, Confidence::Medium);
    }
    Eval::Done(None)
}

fn oauth(w: &Window, prefix: usize, kind: Kind) -> Eval {
    if !left_boundary(w, is_alnum) {
        return Eval::Done(None);
    }
    let first = need!(w.run(prefix, RUN_CAP, is_url_safe));
    let ahead = w.ahead();
    if first == 43 && ahead.get(prefix + 43) == Some(&b'.') {
        let second = need!(w.run(prefix + 44, RUN_CAP, is_url_safe));
        if second == 43 {
            return w.candidate(0, prefix + 87, kind, Confidence::High);
        }
    }
    if first >= MIN_PREFIXED_BODY {
        return w.candidate(0, prefix + first, Kind::Partial, Confidence::Medium);
    }
    Eval::Done(None)
}

fn origin_ca(w: &Window) -> Eval {
    if !left_boundary(w, |b| is_alnum(b) || b == b'.') {
        return Eval::Done(None);
    }
    let first = need!(w.run(5, 25, is_lower_hex));
    if first != 24 || w.ahead().get(29) != Some(&b'-') {
        return Eval::Done(None);
    }
    let second = need!(w.run(30, 147, is_alnum));
    let hex = w.ahead()[30..30 + second.min(146)]
        .iter()
        .all(|&b| is_lower_hex(b));
    if second == 146 && hex {
        return w.candidate(0, 176, Kind::OriginCaKey, Confidence::High);
    }
    Eval::Done(None)
}

fn tunnel_token(w: &Window) -> Eval {
    // `=` only pads the end of base64, so `TUNNEL_TOKEN=eyJ…` has a boundary.
    if !left_boundary(w, |b| b != b'=' && is_base64(b)) {
        return Eval::Done(None);
    }
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

fn turnstile(w: &Window) -> Eval {
    if !left_boundary(w, is_alnum) {
        return Eval::Done(None);
    }
    let run = need!(w.run(0, 36, is_url_safe));
    let behind = w.behind();
    let line_start = memchr::memrchr(b'\n', behind).map_or(0, |i| i + 1);
    if run == 35 && contains_ignore_case(&behind[line_start..], "secret") {
        return w.candidate(0, 35, Kind::TurnstileSecret, Confidence::Medium);
    }
    Eval::Done(None)
}

/// True when the identifier the keyword ends (`CLOUDFLARE_API_KEY`,
/// `CF_API_TOKEN`) names Cloudflare.
fn names_cloudflare(w: &Window) -> bool {
    let behind = w.behind();
    let ident_len = behind.iter().rev().take_while(|&&b| is_url_safe(b)).count();
    let ident = &behind[behind.len() - ident_len..];
    contains_ignore_case(ident, "cloudflare")
        || ident
            .split(|&b| b == b'_' || b == b'-')
            .any(|part| part.eq_ignore_ascii_case(b"cf"))
}

fn context(
    w: &Window,
    keyword: &str,
    shape: ValueShape,
    needs_nearby: Option<&str>,
    rule: &Rule,
) -> Eval {
    let ahead = w.ahead();
    let is_separator =
        |b: u8| matches!(b, b' ' | b'\t' | b'"' | b'\'' | b'`' | b':' | b'=' | b'\\');
    let seps = need!(w.run(keyword.len(), MAX_SEPARATORS + 1, is_separator));
    if seps == 0 || seps > MAX_SEPARATORS {
        return Eval::Done(None);
    }
    let start = keyword.len() + seps;
    let run = need!(w.run(start, 128, is_url_safe));
    let value = &ahead[start..start + run];
    let shape_ok = match shape {
        ValueShape::LegacyToken => {
            run == 40
                && !value.iter().all(|b| b.is_ascii_hexdigit())
                && !OTHER_VENDOR_PREFIXES.iter().any(|p| value.starts_with(p))
        }
        ValueShape::Hex { strong, weak } => {
            let (lo, hi) = if keyword == "x-auth-key" || names_cloudflare(w) {
                strong
            } else {
                weak
            };
            (lo..=hi).contains(&run) && value.iter().all(|&b| is_lower_hex(b))
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
    fn ansi_colour_end_is_a_boundary() {
        assert!(is_ansi_sgr_end(b"\x1b[33m"));
        assert!(is_ansi_sgr_end(b"\x1b[1;31m"));
        assert!(!is_ansi_sgr_end(b"form"));
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
