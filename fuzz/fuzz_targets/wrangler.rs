//! The wrangler config parsers (TOML and JSONC) on a fuzzed config never
//! panic, the permission matrix takes whatever they return, and a parse
//! error never quotes a planted checksum-valid token.
#![no_main]

use arbitrary::Arbitrary;
use cfscrub::incident::wrangler::{needs, parse};
use cfscrub_fuzz::{assert_no_planted_window, Text};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

#[derive(Arbitrary, Debug)]
struct Input {
    /// `wrangler.toml` rather than `wrangler.jsonc`.
    toml: bool,
    text: Text,
}

fuzz_target!(|input: Input| {
    // The parsers take text; planted tokens are ASCII, so they survive
    // the lossy conversion unchanged.
    let config = String::from_utf8_lossy(&input.text.bytes);
    let path = Path::new(if input.toml {
        "wrangler.toml"
    } else {
        "wrangler.jsonc"
    });
    match parse(path, &config) {
        Ok(value) => {
            let needs = needs(&value);
            for p in needs.distinct() {
                let _ = needs.reasons(p);
            }
        }
        Err(e) => assert_no_planted_window(&input.text, e.to_string().as_bytes(), "parse error"),
    }
});
