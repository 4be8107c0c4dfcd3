//! The streaming masker behind `filter` and `run`, fed a fuzzed text in
//! fuzzed reads: its output is the input with exactly the whole-buffer
//! scan's findings replaced by the marker (so every other byte passes
//! unchanged and the length is the input's minus the findings plus one
//! marker each), its counts match, `mask_bytes` agrees, no 8-byte window
//! of a planted checksum-valid token survives, and (with the default
//! marker) the output holds no finding — but for the shapes decided by a
//! word further along the line, and after a run cut at the matchers'
//! 256-character reach — since `redact` re-scans what it wrote and
//! refuses to commit otherwise.
#![no_main]

use arbitrary::Arbitrary;
use cfscrub::core::counts::{Replacement, DEFAULT_REPLACEMENT};
use cfscrub::core::detect::Detector;
use cfscrub::core::rules::Kind;
use cfscrub::core::secrets::KnownSecrets;
use cfscrub::core::stream::scan_bytes;
use cfscrub::mask::masker::{mask_bytes, mask_stream};
use cfscrub_fuzz::naive::summary;
use cfscrub_fuzz::{
    assert_no_planted_window, assert_planted_covered, masked, Sizes, Text, Trickle,
};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static DETECTOR: LazyLock<Detector> = LazyLock::new(|| Detector::new(&KnownSecrets::new()));

#[derive(Arbitrary, Debug)]
struct Input {
    text: Text,
    sizes: Sizes,
    /// A `--replacement` to use instead of the default, if it is accepted.
    marker: Option<String>,
}

fuzz_target!(|input: Input| {
    let detector = &*DETECTOR;
    let marker = input.marker.as_deref().unwrap_or(DEFAULT_REPLACEMENT);
    let Ok(replacement) = Replacement::new(marker, detector) else {
        return;
    };
    let bytes = &input.text.bytes;
    let mut output = Vec::new();
    let counts = mask_stream(
        detector,
        &replacement,
        &mut Trickle::new(bytes, &input.sizes),
        &mut output,
    )
    .unwrap();

    let whole = scan_bytes(detector, bytes);
    assert_planted_covered(&whole, &input.text.planted);
    let expected = masked(bytes, &whole, |_| replacement.text().to_vec());
    let replaced: usize = whole.iter().map(|f| f.length).sum();
    assert_eq!(
        output.len(),
        bytes.len() - replaced + whole.len() * replacement.text().len(),
        "output length"
    );
    assert!(
        output == expected,
        "the masked output is not the input with its findings replaced"
    );
    assert_eq!(counts.total(), whole.len() as u64, "masked count");
    assert!(
        mask_bytes(detector, &replacement, bytes) == output,
        "mask_bytes differs from mask_stream"
    );
    if marker != DEFAULT_REPLACEMENT {
        return;
    }
    assert_no_planted_window(&input.text, &output, "masked output");
    // The matchers look at most 256 characters into a run: a finding that
    // long may have been cut there, and what follows it is only looked at
    // again, after a boundary, once it is masked.
    if whole.iter().any(|f| f.length >= 256) {
        return;
    }
    // Shapes decided by a word further along their line (`secret` before
    // a Turnstile key, `cloudflare` around a Bearer token) may change when
    // masking moves that word into or out of the detector's 512-byte
    // reach: those are left out.
    let left: Vec<_> = scan_bytes(detector, &output)
        .into_iter()
        .filter(|f| !matches!(f.kind, Kind::TurnstileSecret | Kind::LegacyApiToken))
        .collect();
    assert!(
        left.is_empty(),
        "the masked output holds findings: {:?} (offset, length, kind, confidence)",
        summary(&left)
    );
});
