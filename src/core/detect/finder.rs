//! The search for anchor literals: one pass over the lower-cased text
//! finds every literal — the rules' prefixes, the credential words, the
//! encoded forms' triggers — reporting the leftmost match at each position.
//!
//! The pass is the scan's hot loop, and its speed is the automaton's
//! prefilter, Teddy (`aho_corasick::packed`): it compares the first four
//! bytes at each position with 8 *buckets* of patterns, by nibble, and
//! checks each pattern of a bucket whose nibbles all fit. Two things keep
//! those checks few:
//!
//! * Teddy searches *keys*, not literals: the literals sharing their
//!   first four bytes (`cfut_`, `cfut%5`, `cfut\u005`, `cfut\x5`) are one
//!   key, searched as those literals cut to the shortest of them (`cfut_`,
//!   `cfut%`, `cfut\`); a key found is then checked against its literals
//!   here, in priority order. A bucket then holds fewer and shorter
//!   patterns, and each false fit costs fewer checks.
//! * Alike keys share a bucket ([`BUCKETS`]): a bucket holding unlike keys
//!   fits far more text than each of them does, and every false fit costs
//!   a check. Teddy puts a pattern whose low nibbles it has not seen yet
//!   in bucket `7 - id % 8` (its id being its place in the list), and one
//!   whose low nibbles it has seen with the pattern it joined; [`layout`]
//!   orders the patterns so that each lands in its bucket.
//!
//! The buckets were chosen by measuring, for every way of moving a key,
//! how much text each bucket fits in a sample of the benchmark corpus and
//! of real text (Rust crate sources, a git history, Python's library):
//! see bench/ISSUE11.md, *The anchor search*. The bucket rule is the
//! crate's (aho-corasick 1.1) and not its API: were it to change, the
//! matches would stay the same, only slower.
//!
//! Long because of its unit tests (the search and `could_grow` against
//! naive ones, the layout against Teddy's rule), beside the code they test.

use aho_corasick::packed::{self, MatchKind as PackedKind};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind, Span};
use std::cmp::Ordering;
use std::collections::HashSet;

/// Teddy's slim buckets.
const SLOTS: usize = 8;
/// Teddy's fingerprint, and the length of a key: the first bytes of each
/// literal.
const MASK: usize = 4;

/// Which keys share a bucket, by how they start (lower-case). Measured,
/// not derived (see the module's documentation): a key starting otherwise
/// is placed where its place in the list puts it (still found, the scan
/// a little slower), and a test requires every built-in literal to be
/// listed here. The first key of the last bucket fills the places of
/// buckets with nothing new (it never fits ordinary text).
pub(super) const BUCKETS: [&[&str]; SLOTS] = [
    &["key"],
    &["cfoa", "cfor", "jz"],
    &["2ms4", "nma1", "nmb", "nmdx", "nmyx"],
    &["pass", "v1.0", "y2z"],
    &["bear", "cfas", "cfat", "cfk", "cfut"],
    &["%63%", "----", "secr"],
    &["clou", "djeu", "toke"],
    &["0x4a", "eyjh", "yxlj"],
];

enum Engine {
    Teddy(packed::Searcher),
    /// Where Teddy is not available (no SIMD it can use).
    Automaton(AhoCorasick),
}

/// The compiled literal search.
pub(super) struct Finder {
    engine: Engine,
    /// The key of each searched pattern, by the pattern's index (a key
    /// may be searched more than once: see [`layout`]).
    key_of: Vec<usize>,
    /// Each key's literals (indices in the caller's list), in priority
    /// order.
    literals_of: Vec<Vec<usize>>,
    /// The literals, lower-case.
    lowered: Vec<Vec<u8>>,
    /// The bytes, in either case, that start a literal.
    first_bytes: [bool; 256],
    /// The literals whose case counts, and (lower-case) the others, each
    /// sorted: the text that more bytes may complete starts one of them.
    sorted_exact: Vec<Vec<u8>>,
    sorted_lower: Vec<Vec<u8>>,
    /// The searched patterns, in Teddy's order (for the layout's test).
    #[cfg(test)]
    searched: Vec<Vec<u8>>,
}

impl Finder {
    /// A search for `literals` (with whether their case counts: the search
    /// ignores it, the caller checks it), in priority order: where two
    /// match at one position, the earlier one is reported.
    pub(super) fn new(literals: &[(&[u8], bool)]) -> Finder {
        Finder::build(literals, true)
    }

    /// [`Finder::new`], with Teddy or without (the fallback's test).
    fn build(literals: &[(&[u8], bool)], teddy: bool) -> Finder {
        let lowered: Vec<Vec<u8>> = literals
            .iter()
            .map(|(l, _)| l.to_ascii_lowercase())
            .collect();
        // Every key has the same length, so two keys never match at one
        // position: the priority between literals is kept by checking a
        // key's literals in order.
        let key_len = lowered.iter().map(Vec::len).min().unwrap_or(1).min(MASK);
        let mut keys: Vec<&[u8]> = Vec::new();
        let mut literals_of: Vec<Vec<usize>> = Vec::new();
        for (i, literal) in lowered.iter().enumerate() {
            let key = &literal[..key_len];
            match keys.iter().position(|k| *k == key) {
                Some(k) => literals_of[k].push(i),
                None => {
                    keys.push(key);
                    literals_of.push(vec![i]);
                }
            }
        }
        // Teddy searches each key's literals cut to the shortest of them
        // (`cloudflare:`, `cloudflare=`, `cloudflare.`): a key alone
        // (`clou`) would stop the search at every `cloud`.
        let mut cuts: Vec<(&[u8], usize)> = Vec::new();
        for (k, literals) in literals_of.iter().enumerate() {
            let cut = literals.iter().map(|&l| lowered[l].len()).min();
            let cut = cut.expect("a key has a literal");
            for &l in literals {
                let pattern = (&lowered[l][..cut], k);
                if !cuts.contains(&pattern) {
                    cuts.push(pattern);
                }
            }
        }
        let order = layout(&cuts.iter().map(|&(p, _)| p).collect::<Vec<_>>());
        let patterns: Vec<(&[u8], usize)> = order.into_iter().map(|i| cuts[i]).collect();
        let key_of: Vec<usize> = patterns.iter().map(|&(_, k)| k).collect();
        let patterns = || patterns.iter().map(|&(p, _)| p);
        let teddy = teddy.then(|| {
            packed::Config::new()
                .match_kind(PackedKind::LeftmostFirst)
                .only_teddy_fat(Some(false))
                .heuristic_pattern_limits(false)
                .builder()
                .extend(patterns())
                .build()
        });
        let engine = match teddy.flatten() {
            Some(searcher) => Engine::Teddy(searcher),
            None => Engine::Automaton(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(patterns())
                    .expect("anchor literals are small"),
            ),
        };
        #[cfg(test)]
        let searched = patterns().map(<[u8]>::to_vec).collect();
        let mut first_bytes = [false; 256];
        let mut sorted_exact = Vec::new();
        let mut sorted_lower = Vec::new();
        for (&(literal, case_sensitive), lower) in literals.iter().zip(&lowered) {
            first_bytes[usize::from(lower[0])] = true;
            first_bytes[usize::from(lower[0].to_ascii_uppercase())] = true;
            match case_sensitive {
                true => sorted_exact.push(literal.to_vec()),
                false => sorted_lower.push(lower.clone()),
            }
        }
        for sorted in [&mut sorted_exact, &mut sorted_lower] {
            sorted.sort_unstable();
            sorted.dedup();
        }
        Finder {
            engine,
            key_of,
            literals_of,
            lowered,
            first_bytes,
            sorted_exact,
            sorted_lower,
            #[cfg(test)]
            searched,
        }
    }

    /// Whether `tail` (not empty) is the start of a longer literal, in its
    /// case where that counts: more bytes may complete it.
    pub(super) fn could_grow(&self, tail: &[u8]) -> bool {
        self.first_bytes[usize::from(tail[0])]
            && (grows_into(&self.sorted_exact, tail, u8::cmp)
                || grows_into(&self.sorted_lower, tail, |l, t| {
                    l.cmp(&t.to_ascii_lowercase())
                }))
    }

    /// Calls `found(start, literal)` for the leftmost match starting at
    /// each position of `hay` (lower-case), so that literals overlapping
    /// an earlier match are not skipped.
    pub(super) fn every_match(&self, hay: &[u8], mut found: impl FnMut(usize, usize)) {
        let mut key_found = |start: usize, pattern: usize| {
            let rest = &hay[start..];
            if let Some(&literal) = self.literals_of[self.key_of[pattern]]
                .iter()
                .find(|&&l| rest.starts_with(&self.lowered[l]))
            {
                found(start, literal);
            }
        };
        match &self.engine {
            Engine::Teddy(searcher) => {
                let mut at = 0;
                while at < hay.len() {
                    let Some(m) = searcher.find_in(hay, Span::from(at..hay.len())) else {
                        break;
                    };
                    key_found(m.start(), m.pattern().as_usize());
                    at = m.start() + 1;
                }
            }
            Engine::Automaton(automaton) => every_match(automaton, hay, key_found),
        }
    }
}

/// Whether `tail` is a proper prefix of one of the `sorted` literals,
/// bytes compared by `cmp` (a literal's byte with the tail's). The
/// literals starting with `tail` follow one another from the first that
/// is not smaller; `tail` itself may be the first of them.
fn grows_into(sorted: &[Vec<u8>], tail: &[u8], cmp: impl Fn(&u8, &u8) -> Ordering) -> bool {
    let prefix_cmp = |l: &[u8]| {
        l.iter()
            .zip(tail)
            .map(|(a, b)| cmp(a, b))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    };
    let first =
        sorted.partition_point(|l| prefix_cmp(l).then(l.len().cmp(&tail.len())) == Ordering::Less);
    sorted[first..]
        .iter()
        .take(2)
        .any(|l| l.len() > tail.len() && prefix_cmp(l) == Ordering::Equal)
}

/// Replaces `out` with `text` ASCII-lower-cased: the text the literals
/// are searched in. On every scanned byte, so it uses AVX2 where the CPU
/// has it (twice the width the baseline build's SSE2 allows).
pub(super) fn lower_into(out: &mut Vec<u8>, text: &[u8]) {
    out.clear();
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { lower_into_avx2(out, text) };
    }
    lower_into_any(out, text);
}

/// [`lower_into`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn lower_into_avx2(out: &mut Vec<u8>, text: &[u8]) {
    lower_into_any(out, text);
}

#[inline(always)]
fn lower_into_any(out: &mut Vec<u8>, text: &[u8]) {
    out.extend(text.iter().map(u8::to_ascii_lowercase));
}

/// Calls `found(start, pattern)` for `automaton`'s leftmost match starting
/// at each position of `hay`.
pub(super) fn every_match(
    automaton: &AhoCorasick,
    hay: &[u8],
    mut found: impl FnMut(usize, usize),
) {
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

/// The bucket [`BUCKETS`] gives `key`, and which of its starts, if any.
fn bucket_of(key: &[u8]) -> Option<(usize, usize)> {
    BUCKETS.iter().enumerate().find_map(|(b, starts)| {
        let start = starts.iter().position(|s| key.starts_with(s.as_bytes()))?;
        Some((b, start))
    })
}

/// The order to hand `patterns` to Teddy in (indices, a filler repeated
/// where a bucket's turn comes and nothing can take it): each bucket's
/// patterns with new low nibbles at the places that put them in their
/// bucket; a pattern whose low nibbles are placed already (`cfut%` after
/// `cfut_`) joins them wherever it is listed, so it takes the turn of a
/// bucket with nothing new; then the rest. No two patterns match at one
/// position unless one is a cut of the other's literals (the search checks
/// a key's literals in order whichever it finds), so their order is free.
fn layout(patterns: &[&[u8]]) -> Vec<usize> {
    // Teddy's fingerprint: as many bytes as the shortest pattern has.
    let mask = patterns
        .iter()
        .map(|p| p.len())
        .min()
        .unwrap_or(1)
        .min(MASK);
    let nibbles = |i: usize| -> Vec<u8> { patterns[i][..mask].iter().map(|b| b & 0xf).collect() };
    let mut order: Vec<usize> = Vec::new();
    let mut seen: HashSet<Vec<u8>> = Default::default();
    let mut queues: Vec<std::collections::VecDeque<usize>> = vec![Default::default(); SLOTS];
    let mut rest = Vec::new();
    let mut placed: Vec<(usize, usize, usize)> = Vec::new();
    for (i, pattern) in patterns.iter().enumerate() {
        match bucket_of(pattern) {
            Some((b, start)) => placed.push((b, start, i)),
            None => rest.push(i),
        }
    }
    // In each bucket, in the order of [`BUCKETS`]' starts.
    placed.sort_unstable();
    for (b, _, i) in placed {
        queues[b].push_back(i);
    }
    let mut filler = None;
    while queues.iter().any(|q| !q.is_empty()) {
        // Teddy's bucket for a new pattern at this place.
        let bucket = SLOTS - 1 - order.len() % SLOTS;
        let next = loop {
            match queues[bucket].pop_front() {
                Some(i) if seen.contains(&nibbles(i)) => rest.push(i),
                other => break other,
            }
        };
        // Nothing new for this bucket: a pattern whose low nibbles are
        // placed already keeps the places aligned (it joins them).
        let joining = || rest.iter().position(|&r| seen.contains(&nibbles(r)));
        let i = match (next, joining()) {
            (Some(i), _) => i,
            (None, Some(r)) => rest.remove(r),
            (None, None) => filler.unwrap_or(0),
        };
        if bucket == SLOTS - 1 && filler.is_none() {
            filler = Some(i);
        }
        seen.insert(nibbles(i));
        order.push(i);
    }
    order.extend(rest);
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lits(words: &[&'static str]) -> Vec<(&'static [u8], bool)> {
        words.iter().map(|w| (w.as_bytes(), false)).collect()
    }

    fn all_matches(finder: &Finder, hay: &[u8]) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        finder.every_match(hay, |at, i| found.push((at, i)));
        found
    }

    #[test]
    fn every_literal_is_searched_once_in_priority_at_a_position() {
        let literals = lits(&["tokenx", "key=", "key:", "token", "cfut_", "y2z1df", "odd1"]);
        let finder = Finder::new(&literals);
        // `tokenx` and `token` share a key: the first listed wins where
        // both match, the other where only it does; `tokes` matches the
        // key and no literal.
        assert_eq!(
            all_matches(&finder, b"a tokenx key=key: token cfut_ y2z1df tokes odd1"),
            [(2, 0), (9, 1), (13, 2), (18, 3), (24, 4), (30, 5), (43, 6)]
        );
        // Short text (below Teddy's minimum) is searched too.
        assert_eq!(all_matches(&finder, b"key:"), [(0, 2)]);
    }

    #[test]
    fn alike_keys_share_a_teddy_bucket() {
        // With the filler, the last bucket's first key, as the rules have it.
        let keys: [&[u8]; 7] = [
            b"key=", b"key:", b"key\"", b"toke", b"cfut", b"cfat", b"0x4a",
        ];
        let order = layout(&keys);
        let bucket = |i: usize| {
            let id = order.iter().position(|&k| k == i).unwrap();
            SLOTS - 1 - id % SLOTS
        };
        assert_eq!(bucket(0), bucket(1));
        assert_eq!(bucket(0), bucket(2));
        assert_eq!(bucket(4), bucket(5));
        assert_ne!(bucket(0), bucket(3));
        assert_eq!(bucket(6), SLOTS - 1);
        // Every key is in the layout.
        for i in 0..keys.len() {
            assert!(order.contains(&i));
        }
    }

    #[test]
    fn the_built_in_patterns_land_in_their_buckets() {
        let detector = super::super::Detector::new(&crate::core::secrets::KnownSecrets::new());
        let searched = &detector.finder.searched;
        // Teddy's rule (aho-corasick 1.1, packed/teddy/generic.rs): a
        // pattern whose low nibbles are new goes to bucket 7 - id % 8, the
        // others to the bucket of the first pattern with their nibbles.
        let mut bucket_of_nibbles = std::collections::HashMap::new();
        for (id, pattern) in searched.iter().enumerate() {
            let nibbles: Vec<u8> = pattern[..MASK].iter().map(|b| b & 0xf).collect();
            let teddy = *bucket_of_nibbles
                .entry(nibbles)
                .or_insert(SLOTS - 1 - id % SLOTS);
            let wanted = bucket_of(pattern).map(|(b, _)| b);
            assert_eq!(Some(teddy), wanted, "{}", String::from_utf8_lossy(pattern));
        }
    }

    proptest! {
        /// The search reports what a naive one does: at each position, the
        /// first literal in priority order that starts there.
        #[test]
        fn the_search_agrees_with_a_naive_one(
            words in prop::collection::vec("(c|k|cf|key|tok|0x)[a-z_=:\"]{0,4}", 1..12),
            pieces in prop::collection::vec(
                prop_oneof!["(cf|key|tok|0x)[a-z_=:\"]{0,4}", "[ a-z_=:]{0,6}"],
                0..60,
            ),
        ) {
            let literals: Vec<(&[u8], bool)> = words.iter().map(|w| (w.as_bytes(), false)).collect();
            let hay = pieces.concat().into_bytes();
            let naive: Vec<(usize, usize)> = (0..hay.len())
                .filter_map(|at| {
                    let i = words.iter().position(|w| hay[at..].starts_with(w.as_bytes()))?;
                    Some((at, i))
                })
                .collect();
            prop_assert_eq!(all_matches(&Finder::new(&literals), &hay), naive.clone());
            prop_assert_eq!(all_matches(&Finder::build(&literals, false), &hay), naive);
        }

        /// A tail could grow exactly when a longer literal starts with it,
        /// in its case where that counts.
        #[test]
        fn could_grow_agrees_with_a_naive_check(
            words in prop::collection::vec(("(cf|Cf|key|KEY|tok)[a-zA-Z_=]{0,4}", any::<bool>()), 1..12),
            tail in "(cf|CF|Cf|key|Key|tok)[a-zA-Z_=]{0,4}",
        ) {
            let literals: Vec<(&[u8], bool)> = words.iter().map(|(w, s)| (w.as_bytes(), *s)).collect();
            let finder = Finder::new(&literals);
            for k in 1..=tail.len() {
                let tail = &tail.as_bytes()[..k];
                let naive = literals.iter().any(|(l, case_sensitive)| {
                    l.len() > k
                        && if *case_sensitive {
                            l.starts_with(tail)
                        } else {
                            l[..k].eq_ignore_ascii_case(tail)
                        }
                });
                prop_assert_eq!(finder.could_grow(tail), naive, "{:?}", tail);
            }
        }
    }
}
