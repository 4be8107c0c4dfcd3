//! The search for anchor literals: one pass over the lower-cased text
//! finds every literal — the rules' prefixes, the credential words, the
//! encoded forms' triggers — reporting the leftmost match at each position.
//!
//! The pass is the scan's hot loop, and its speed is the automaton's
//! prefilter, Teddy (`aho_corasick::packed`): it compares the first four
//! bytes at each position with 8 *buckets* of literals, by nibble, and
//! checks each literal of a bucket whose nibbles all fit. A bucket holding
//! unlike literals (`key=` with `v1.0-`) fits far more text than each of
//! them does, and every false fit costs a check. So the literals are laid
//! out so that alike ones share a bucket ([`BUCKETS`]): Teddy puts a
//! literal whose first bytes it has not seen yet in bucket `7 - id % 8`
//! (its id being its place in the list), and one whose first bytes it has
//! seen with the literal it joined. Measured on the 200 MB benchmark
//! corpus, this layout makes the one pass over 64 literals cost no more
//! than the 24 literals in default order did (see bench/REALWORLD.md,
//! *Speed*). The bucket rule is the crate's (aho-corasick 1.1) and not
//! its API: were it to change, the matches would stay the same, only
//! slower.

use aho_corasick::packed::{self, MatchKind as PackedKind};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind, Span};

/// Teddy's slim buckets.
const SLOTS: usize = 8;
/// Teddy's fingerprint: the first bytes of each literal.
const MASK: usize = 4;

/// Which literals share a bucket, by how they start (lower-case): each
/// bucket's literals agree on most of their first four bytes, or are
/// rare enough that mixing costs little. Measured, not derived: a literal
/// starting otherwise is placed where its place in the list puts it (still
/// found, the scan a little slower), and a test requires every built-in
/// literal to be listed here. The first literal of the last bucket fills
/// gaps in the layout (it never fits ordinary text).
pub(super) const BUCKETS: [&[&str]; SLOTS] = [
    // Credential words after a name, and base64 of `cf…` at a group start.
    &["key", "y2z"],
    &["cloudflare", "-----begin"],
    // The prefixes, their percent-encoded and escaped forms.
    &["cf", "%63"],
    &["token", "bearer"],
    // Base64 of `cf…` one byte into a group.
    &["password", "secret", "nm"],
    // Base64 of `cf…` two bytes into a group, and of `v1.0-`.
    &["jz", "djeu"],
    &["v1.0", "yxlj", "2ms4"],
    &["0x4a", "eyjh"],
];

enum Engine {
    Teddy(packed::Searcher),
    /// Where Teddy is not available (no SIMD it can use).
    Automaton(AhoCorasick),
}

/// The compiled literal search.
pub(super) struct Finder {
    engine: Engine,
    /// The index, in the caller's list, of each searched pattern.
    literal_of: Vec<usize>,
    /// The literals as given, and whether their case counts.
    literals: Vec<(Vec<u8>, bool)>,
    /// The bytes, in either case, that start a literal.
    first_bytes: [bool; 256],
}

impl Finder {
    /// A search for `literals` (with whether their case counts: the search
    /// ignores it, the caller checks it), in priority order: where two
    /// match at one position, the earlier one is reported. The first
    /// `pinned` keep their places ahead of the layout (the user's keywords,
    /// which may begin with a built-in literal).
    pub(super) fn new(literals: &[(&[u8], bool)], pinned: usize) -> Finder {
        let lowered: Vec<Vec<u8>> = literals
            .iter()
            .map(|(l, _)| l.to_ascii_lowercase())
            .collect();
        let layout = layout(&lowered, pinned);
        let patterns = || layout.iter().map(|&i| &lowered[i]);
        let teddy = packed::Config::new()
            .match_kind(PackedKind::LeftmostFirst)
            .only_teddy_fat(Some(false))
            .heuristic_pattern_limits(false)
            .builder()
            .extend(patterns())
            .build();
        let engine = match teddy {
            Some(searcher) => Engine::Teddy(searcher),
            None => Engine::Automaton(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(patterns())
                    .expect("anchor literals are small"),
            ),
        };
        let mut first_bytes = [false; 256];
        for l in &lowered {
            first_bytes[usize::from(l[0])] = true;
            first_bytes[usize::from(l[0].to_ascii_uppercase())] = true;
        }
        Finder {
            engine,
            literal_of: layout,
            literals: literals.iter().map(|(l, s)| (l.to_vec(), *s)).collect(),
            first_bytes,
        }
    }

    /// Whether `tail` (not empty) is the start of a longer literal, in its
    /// case where that counts: more bytes may complete it.
    pub(super) fn could_grow(&self, tail: &[u8]) -> bool {
        let k = tail.len();
        self.first_bytes[usize::from(tail[0])]
            && self.literals.iter().any(|(l, case_sensitive)| {
                l.len() > k
                    && if *case_sensitive {
                        l.starts_with(tail)
                    } else {
                        l[..k].eq_ignore_ascii_case(tail)
                    }
            })
    }

    /// Calls `found(start, literal)` for the leftmost match starting at
    /// each position of `hay`, so that literals overlapping an earlier
    /// match are not skipped.
    pub(super) fn every_match(&self, hay: &[u8], mut found: impl FnMut(usize, usize)) {
        let mut found = |start, pattern: usize| found(start, self.literal_of[pattern]);
        match &self.engine {
            Engine::Teddy(searcher) => {
                let mut at = 0;
                while at < hay.len() {
                    let Some(m) = searcher.find_in(hay, Span::from(at..hay.len())) else {
                        break;
                    };
                    found(m.start(), m.pattern().as_usize());
                    at = m.start() + 1;
                }
            }
            Engine::Automaton(automaton) => every_match(automaton, hay, found),
        }
    }
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

/// The bucket [`BUCKETS`] gives `literal`, and which of its starts, if any.
fn bucket_of(literal: &[u8]) -> Option<(usize, usize)> {
    BUCKETS.iter().enumerate().find_map(|(b, starts)| {
        let start = starts
            .iter()
            .position(|s| literal.starts_with(s.as_bytes()))?;
        Some((b, start))
    })
}

/// The order to hand `literals` to Teddy in (indices, a filler repeated
/// where a bucket's turn comes and it has nothing new): the pinned ones,
/// then each bucket's literals with new first bytes at the places that
/// put them in their bucket, then the rest (they join the literals they
/// start like). No two built-in literals match at one position (a test
/// checks it), so their relative order does not matter.
fn layout(literals: &[Vec<u8>], pinned: usize) -> Vec<usize> {
    let mask = literals.iter().map(Vec::len).min().unwrap_or(1).min(MASK);
    let key = |i: usize| -> Vec<u8> { literals[i][..mask].iter().map(|b| b & 0xf).collect() };
    let mut order: Vec<usize> = (0..pinned.min(literals.len())).collect();
    let mut seen: std::collections::HashSet<Vec<u8>> = order.iter().map(|&i| key(i)).collect();
    let mut queues: Vec<std::collections::VecDeque<usize>> = vec![Default::default(); SLOTS];
    let mut rest = Vec::new();
    let mut placed: Vec<(usize, usize, usize)> = Vec::new();
    for (i, literal) in literals.iter().enumerate().skip(order.len()) {
        match bucket_of(literal) {
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
        // Teddy's bucket for a new literal at this place.
        let bucket = SLOTS - 1 - order.len() % SLOTS;
        let next = loop {
            match queues[bucket].pop_front() {
                Some(i) if seen.contains(&key(i)) => rest.push(i),
                other => break other,
            }
        };
        // Nothing new for this bucket: a literal whose first bytes are
        // placed already keeps the places aligned (it joins them).
        let i = match next {
            Some(i) => i,
            None if rest.first().is_some_and(|&r| seen.contains(&key(r))) => rest.remove(0),
            None => filler.unwrap_or(0),
        };
        if bucket == SLOTS - 1 && filler.is_none() {
            filler = Some(i);
        }
        seen.insert(key(i));
        order.push(i);
    }
    order.extend(rest);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(words: &[&'static str]) -> Vec<(&'static [u8], bool)> {
        words.iter().map(|w| (w.as_bytes(), false)).collect()
    }

    #[test]
    fn every_literal_is_searched_once_in_priority_at_a_position() {
        let literals = lits(&["tokenx", "key=", "key:", "token", "cfut_", "y2z1df", "odd1"]);
        let finder = Finder::new(&literals, 1);
        let mut found = Vec::new();
        finder.every_match(b"a tokenx key=key: token cfut_ y2z1df odd1", |at, i| {
            found.push((at, i))
        });
        assert_eq!(
            found,
            [(2, 0), (9, 1), (13, 2), (18, 3), (24, 4), (30, 5), (37, 6)]
        );
        // Short text (below Teddy's minimum) is searched too.
        let mut short = Vec::new();
        finder.every_match(b"key:", |at, i| short.push((at, i)));
        assert_eq!(short, [(0, 2)]);
    }

    #[test]
    fn alike_literals_share_a_teddy_bucket() {
        let literals = lits(&[
            "key=",
            "key:",
            "key\"",
            "token",
            "cfut_",
            "cfat_",
            "0x4aaaaaa",
        ]);
        let lowered: Vec<Vec<u8>> = literals.iter().map(|(l, _)| l.to_vec()).collect();
        let order = layout(&lowered, 0);
        let bucket = |i: usize| {
            let id = order.iter().position(|&l| l == i).unwrap();
            SLOTS - 1 - id % SLOTS
        };
        assert_eq!(bucket(0), bucket(1));
        assert_eq!(bucket(0), bucket(2));
        assert_eq!(bucket(4), bucket(5));
        assert_ne!(bucket(0), bucket(3));
        // Every literal is in the layout.
        for i in 0..literals.len() {
            assert!(order.contains(&i));
        }
    }
}
