//! The detector on a fuzzed text (arbitrary bytes among dictionary words,
//! character runs and planted checksum-valid tokens), against the naive
//! regex reference of `tests/naive`: the same candidates for the shapes the
//! reference models; findings in bounds, sorted and non-overlapping, equal
//! to the naive merge of every candidate; each planted token covered.
#![no_main]

use cfscrub::core::detect::Detector;
use cfscrub::core::secrets::KnownSecrets;
use cfscrub::core::stream::scan_bytes;
use cfscrub_fuzz::naive::{
    in_reference_scope, naive_merge, raw_candidates, reference_candidates, summary, Span,
};
use cfscrub_fuzz::{assert_planted_covered, assert_well_formed, Text};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static DETECTOR: LazyLock<Detector> = LazyLock::new(|| Detector::new(&KnownSecrets::new()));

fuzz_target!(|text: Text| {
    let detector = &*DETECTOR;
    let bytes = &text.bytes;
    let (engine, other): (Vec<Span>, Vec<Span>) = raw_candidates(detector, bytes)
        .into_iter()
        .partition(|s| in_reference_scope(s.2));
    let naive = reference_candidates(bytes);
    assert!(
        engine == naive,
        "detector candidates {engine:?} differ from the naive reference {naive:?} (offset, length, kind, confidence)"
    );
    let findings = scan_bytes(detector, bytes);
    assert_well_formed(&findings, bytes.len());
    let expected = naive_merge(naive.into_iter().chain(other).collect());
    let found = summary(&findings);
    assert!(
        found == expected,
        "findings {found:?} differ from the naive merge {expected:?}"
    );
    assert_planted_covered(&findings, &text.planted);
});
