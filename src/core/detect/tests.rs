//! Unit tests of the detector as a whole: anchors, matchers and their
//! boundaries, seen through [`Detector`].
#![cfg(test)]

use super::*;
use crate::core::rules::{Confidence, Kind};
use zeroize::Zeroizing;

fn detect_all(det: &Detector, bytes: &[u8]) -> Vec<Candidate> {
    let mut anchors = Vec::new();
    det.find_anchors(bytes, 0, &mut Vec::new(), &mut anchors);
    let mut out = Vec::new();
    for a in anchors {
        assert!(det.evaluate(bytes, a, true, &mut out));
    }
    out
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
    assert_eq!(det.undecided_suffix(b"CLOUDFLARE_API_TO"), 2);
    assert_eq!(det.undecided_suffix(b"progress 42%\n"), 0);
    // `%` may start a percent-encoded prefix (`%63%66%`).
    assert_eq!(det.undecided_suffix(b"progress 42%"), 1);
}

#[test]
fn origin_ca_keys_vary_in_length_within_bounds() {
    let det = Detector::new(&KnownSecrets::new());
    let mut g = crate::fake::FakeGen::new(31);
    let found = |text: String| places(&det, &text).len();
    // Two commit hashes after a version tag: too few digits in all.
    assert_eq!(found(format!("v1.0-{}-{}", g.hex(40), g.hex(40))), 0);
    // A group longer than 256 digits is no key's.
    assert_eq!(found(format!("v1.0-{}-{}", g.hex(24), g.hex(300))), 0);
    assert_eq!(found(format!("v1.0-{}-{}", g.hex(24), g.hex(120))), 1);
    // A fifth group is not taken in.
    let four = format!(
        "v1.0-{}-{}-{}-{}",
        g.hex(32),
        g.hex(64),
        g.hex(32),
        g.hex(16)
    );
    assert_eq!(
        places(&det, &format!("{four}-{}", g.hex(16))),
        [(0, four.len(), Kind::OriginCaKey, Confidence::High)]
    );
}

#[test]
#[allow(clippy::print_stdout)] // the list bench/anchor_layout.py reads
fn the_anchor_literals_fit_the_fast_layout() {
    // Every built-in literal (static anchors and encoded triggers) is
    // searched in one pass laid out by `finder::BUCKETS`: each has a
    // bucket, is at least Teddy's 4-byte fingerprint long, and no two can
    // match at one position (one would hide the other: the search reports
    // one literal a position), in any letter case.
    let det = Detector::new(&KnownSecrets::new());
    let encoded = det.encoded.as_ref().expect("rules enabled");
    let literals: Vec<Vec<u8>> = det
        .anchors
        .iter()
        .map(|a| a.literal.as_bytes().to_ascii_lowercase())
        .chain(
            encoded
                .literals()
                .map(|(l, _)| l.as_bytes().to_ascii_lowercase()),
        )
        .collect();
    assert!(literals.len() <= 64, "{} literals", literals.len());
    for (i, a) in literals.iter().enumerate() {
        let shown = String::from_utf8_lossy(a);
        assert!(a.len() >= 4, "{shown}");
        assert!(
            finder::BUCKETS
                .iter()
                .any(|starts| starts.iter().any(|s| a.starts_with(s.as_bytes()))),
            "{shown} has no bucket in finder::BUCKETS"
        );
        for b in &literals[i + 1..] {
            assert!(
                !a.starts_with(b) && !b.starts_with(a),
                "{shown} and {} match at one position",
                String::from_utf8_lossy(b)
            );
        }
        // For bench/anchor_layout.py (`-- --nocapture`): the literals whose
        // keys it lays out.
        println!("anchor literal {shown}");
    }
}
