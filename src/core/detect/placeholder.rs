//! Placeholder values that documentation and templates put where a
//! credential goes (`xxxxxxxx…`, `your-cloudflare-api-token-goes-here`,
//! `0123456789abcdef…`), and names standing where a value would
//! (`= DataCloudflareZeroTrustAccessServiceToken`): a context value that
//! looks like one is not reported. A random token or key is almost never
//! rejected (about one in a million): the cost is measured in the unit
//! test below on values drawn at random.

/// Fewest distinct characters a 32+ character random value has in
/// practice (a random 37-hex key has about 15, a 40-character token 30).
pub const MIN_DISTINCT: usize = 8;
/// A character repeated this many times in a row is typed, not drawn.
pub const MAX_REPEAT: usize = 7;
/// A run this long of consecutive characters (`0123456789abcdef`,
/// `abcdefgh…`) is typed, not drawn.
pub const MAX_SEQUENCE: usize = 8;
/// Words of placeholders and of names, 5 letters or more, matched in
/// lower case, upper case or capitalised (`token`, `TOKEN`, `Token`).
pub const PLACEHOLDER_WORDS: &[&str] = &[
    "your-",
    "your_",
    "-here",
    "_here",
    "example",
    "placeholder",
    "changeme",
    "dummy",
    "redacted",
    "token",
    "secret",
    "password",
    "cloudflare",
    "wrangler",
];

/// Whether `value` looks typed by a person as a stand-in.
pub(super) fn is_placeholder(value: &[u8]) -> bool {
    let mut seen = [false; 256];
    let mut distinct = 0;
    let mut repeat = 1;
    let mut sequence = 1;
    for (i, &b) in value.iter().enumerate() {
        if !seen[b as usize] {
            seen[b as usize] = true;
            distinct += 1;
        }
        if i > 0 {
            let prev = value[i - 1];
            repeat = if b == prev { repeat + 1 } else { 1 };
            sequence = if b == prev.wrapping_add(1) || (prev == b'9' && b == b'a') {
                sequence + 1
            } else {
                1
            };
            if repeat >= MAX_REPEAT || sequence >= MAX_SEQUENCE {
                return true;
            }
        }
    }
    distinct < MIN_DISTINCT || PLACEHOLDER_WORDS.iter().any(|w| holds_word(value, w))
}

/// Whether `value` holds `word` in lower case, upper case or capitalised.
fn holds_word(value: &[u8], word: &str) -> bool {
    let word = word.as_bytes();
    value.windows(word.len()).any(|win| {
        // Each of the three cases starts with the word's first letter in
        // either case: the cheap test first (this runs on every value).
        win[0].eq_ignore_ascii_case(&word[0])
            && (win[1..] == word[1..]
                || win
                    .iter()
                    .zip(word)
                    .all(|(a, b)| *a == b.to_ascii_uppercase()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::FakeGen;

    #[test]
    fn typed_stand_ins_are_placeholders() {
        assert!(is_placeholder(b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
        assert!(is_placeholder(b"your-cloudflare-api-token-goes-here-0000"));
        assert!(is_placeholder(b"0123456789abcdef0123456789abcdef01234"));
        assert!(is_placeholder(b"1111111111111111111111111111111111111"));
        assert!(is_placeholder(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"));
        assert!(is_placeholder(b"DataCloudflareZeroTrustAccessServiceToke"));
        assert!(is_placeholder(b"cloudflare_zero_trust_tunnel_cloudflared"));
    }

    /// The cost: the share of random tokens and keys taken for
    /// placeholders, over 20 000 draws of each (about one in a million
    /// by the arithmetic: 5-letter words in 3 forms, 7 repeats, 8-runs).
    #[test]
    fn random_values_are_almost_never_placeholders() {
        let mut g = FakeGen::new(12);
        let draws = 20_000;
        let tokens = (0..draws)
            .filter(|_| is_placeholder(g.legacy_token().as_bytes()))
            .count();
        let keys = (0..draws)
            .filter(|_| is_placeholder(g.hex(37).as_bytes()))
            .count();
        let secrets = (0..draws)
            .filter(|_| is_placeholder(g.hex(64).as_bytes()))
            .count();
        assert!(
            tokens <= 20 && keys <= 20 && secrets <= 20,
            "{tokens} {keys} {secrets}"
        );
    }
}
