//! The catalogue of credential kinds cfscrub detects, as data.
//!
//! Every [`Rule`] names a stable [`Kind`] id, the [`Matcher`] that recognises
//! it (with its parameters: prefix, context keywords, value shape) and a list
//! of positive and negative examples. The examples are *templates* (see
//! [`crate::fake::expand`]): placeholders such as `{cfut}` become freshly
//! generated, checksum-valid fake credentials at test time, so no real-looking
//! secret is ever committed. The `rules_check` test runs every example through
//! the real detector and fails any rule whose examples misbehave.
//!
//! ```
//! use cfscrub::core::rules::{Kind, RULES};
//! assert!(RULES.iter().any(|r| r.kind == Kind::UserToken));
//! assert_eq!(Kind::UserToken.id(), "cloudflare-user-token");
//! ```
//!
//! Long because it is data: one entry per credential kind with its
//! matcher parameters and examples.

use serde::Serialize;

/// How sure a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// The shape matches but its checksum does not (a truncated or mistyped secret).
    Low,
    /// The shape and its context match, without a checksum to confirm it.
    Medium,
    /// Checksum-validated, or a shape no other credential has.
    High,
}

impl Confidence {
    /// The lower-case name used in every output format.
    pub fn name(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

macro_rules! kinds {
    ($( $(#[$doc:meta])* $variant:ident => $id:literal, $title:literal, $fingerprinted:literal; )*) => {
        /// A stable identifier for one kind of credential.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind { $( $(#[$doc])* $variant, )* }

        impl Kind {
            /// Every kind, in catalogue order.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];

            /// The stable id printed in reports (`cloudflare-user-token`, ...).
            pub fn id(self) -> &'static str {
                match self { $(Kind::$variant => $id,)* }
            }

            /// A short human description.
            pub fn title(self) -> &'static str {
                match self { $(Kind::$variant => $title,)* }
            }

            /// Whether a finding of this kind is a whole high-entropy value, so
            /// that a fingerprint of it cannot be brute-forced back to it.
            /// Partial prefixes and fragments never get one.
            pub fn fingerprinted(self) -> bool {
                match self { $(Kind::$variant => $fingerprinted,)* }
            }

            /// Looks a kind up by its id.
            pub fn from_id(id: &str) -> Option<Kind> {
                Kind::ALL.iter().copied().find(|k| k.id() == id)
            }
        }
    };
}

kinds! {
    /// `cfut_` user API token (2026 scannable format).
    UserToken => "cloudflare-user-token", "User API token (cfut_)", true;
    /// `cfat_` account-owned API token.
    AccountToken => "cloudflare-account-token", "Account API token (cfat_)", true;
    /// `cfk_` Global API Key.
    GlobalKey => "cloudflare-global-key", "Global API Key (cfk_)", true;
    /// `cfast_` Zero Trust Access service-token client secret.
    AccessServiceSecret => "cloudflare-access-service-secret", "Access service-token secret (cfast_)", true;
    /// A scannable prefix followed by a few characters of a value.
    Partial => "cloudflare-partial", "Partial prefix of a credential", false;
    /// `cfoat_` wrangler OAuth access token.
    OAuthAccessToken => "cloudflare-oauth-access-token", "wrangler OAuth access token (cfoat_)", true;
    /// `cfort_` wrangler OAuth refresh token.
    OAuthRefreshToken => "cloudflare-oauth-refresh-token", "wrangler OAuth refresh token (cfort_)", true;
    /// `v1.0-…` Origin CA key.
    OriginCaKey => "cloudflare-origin-ca-key", "Origin CA key (v1.0-)", true;
    /// `eyJhIjoi…` cloudflared tunnel run token.
    TunnelToken => "cloudflare-tunnel-token", "cloudflared tunnel token", true;
    /// `-----BEGIN ARGO TUNNEL TOKEN-----` block of a cloudflared cert.pem.
    TunnelCert => "cloudflare-tunnel-cert", "cloudflared cert.pem token block", true;
    /// Unprefixed 40-character API token, in context.
    LegacyApiToken => "cloudflare-legacy-api-token", "Legacy API token (unprefixed, in context)", true;
    /// Unprefixed hex Global API Key, in context.
    LegacyGlobalKey => "cloudflare-legacy-global-key", "Legacy Global API Key (hex, in context)", true;
    /// 64-hex Access service-token secret after `CF-Access-Client-Secret`.
    AccessClientSecret => "cloudflare-access-client-secret", "Access client secret (legacy, in context)", true;
    /// 64-hex R2 secret access key after `R2_SECRET_ACCESS_KEY`.
    R2SecretKey => "cloudflare-r2-secret-key", "R2 secret access key (in context)", true;
    /// `0x4AAAAAA…` Turnstile secret key, near the word `secret`.
    TurnstileSecret => "cloudflare-turnstile-secret", "Turnstile secret key (in context)", true;
    /// The exact value of a secret given with `--secret-from` / `--secret-env`.
    KnownSecret => "known-secret", "The known leaked value", true;
    /// A leading fragment of a known secret.
    KnownSecretFragment => "known-secret-fragment", "A leading fragment of the known leaked value", false;
}

/// What a context value must look like. After a keyword that names
/// Cloudflare (one of [`CLOUDFLARE_KEYWORDS`], or the end of an identifier
/// such as `CLOUDFLARE_API_KEY` or `CF_API_TOKEN`) the value is that
/// credential even with letters or digits glued after it, and the finding
/// covers them too; after a generic keyword only the exact shape counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueShape {
    /// `len` characters of `[A-Za-z0-9_-]`, not all hex, not another
    /// vendor's prefixed token.
    LegacyToken {
        /// The token's length.
        len: usize,
    },
    /// Lower-case hex: at least `len` digits (then anything glued) after a
    /// Cloudflare keyword, exactly `generic_len` after a generic one.
    Hex {
        /// Fewest hex digits after `X-Auth-Key` or a `CLOUDFLARE_`/`CF_` keyword.
        len: usize,
        /// The exact length after a generic keyword (`api_key`, `auth_key`).
        generic_len: usize,
    },
}

/// How a rule recognises its kind.
#[derive(Clone, Copy, Debug)]
pub enum Matcher {
    /// `prefix` + 40 `[A-Za-z0-9]` + 8 lower-case hex CRC-32 of the body.
    /// A wrong checksum gives a low-confidence finding; a shorter run of at
    /// least 4 body characters gives [`Kind::Partial`].
    Scannable {
        /// `cfut_`, `cfat_`, `cfk_` or `cfast_`.
        prefix: &'static str,
    },
    /// `prefix` + 43 `[A-Za-z0-9_-]` + `.` + 43 `[A-Za-z0-9_-]`.
    OAuth {
        /// `cfoat_` or `cfort_`.
        prefix: &'static str,
    },
    /// `v1.0-` + 24 hex + `-` + 146 hex.
    OriginCa,
    /// Base64 JSON starting `{"a":"<32 hex account>"`.
    TunnelToken,
    /// A whole `ARGO TUNNEL TOKEN` PEM block.
    TunnelCertPem,
    /// `0x4AAAAAA` + 26 characters, with `secret` earlier on the line.
    Turnstile,
    /// Reported by the [`Matcher::Scannable`] and [`Matcher::OAuth`] matchers
    /// when a prefix is followed by too few characters; no anchor of its own.
    Derived,
    /// A value of `shape` right after one of `keywords` (ASCII
    /// case-insensitive) and a short run of separators (`=`, `:`, quotes,
    /// spaces). With `needs_nearby`, that word must also stand on the same line.
    Context {
        /// Words that introduce the value.
        keywords: &'static [&'static str],
        /// The value's shape.
        value: ValueShape,
        /// A word required on the same line, e.g. `cloudflare` for `Bearer`.
        needs_nearby: Option<&'static str>,
    },
}

/// One detection rule: a kind, how to match it, and examples that a test checks.
#[derive(Debug)]
pub struct Rule {
    /// The kind this rule reports (a scannable rule also reports [`Kind::Partial`]).
    pub kind: Kind,
    /// The confidence of a clean match.
    pub confidence: Confidence,
    /// How to recognise it.
    pub matcher: Matcher,
    /// Templates that must give exactly one finding of `kind`, spanning the
    /// part between `«` and `»` (or the single placeholder when no marks),
    /// with `confidence` — or [`Confidence::Low`] for a bad-checksum
    /// placeholder such as `{cfut!}`.
    pub positives: &'static [&'static str],
    /// Templates that must give no finding at all.
    pub negatives: &'static [&'static str],
}

/// The rule catalogue.
pub const RULES: &[Rule] = &[
    Rule {
        kind: Kind::UserToken,
        confidence: Confidence::High,
        matcher: Matcher::Scannable { prefix: "cfut_" },
        positives: &[
            "export CLOUDFLARE_API_TOKEN={cfut}",
            "Authorization: Bearer {cfut}",
            r#"{"token":"{cfut}"}"#,
            "https://example.net/hook?token={cfut}&retry=1",
            "glued:abc{cfut}",
            "same shape, wrong checksum: {cfut!}",
            "CLOUDFLARE_API_TOKEN={cfut!}",
            "\x1b[33m{cfut}\x1b[0m",
            "\x1b[0K{cfut}",
            "prefix typed twice: X=«cfut_{cfut}»",
            "partial glued before: «cfat_abcd{cfut}»",
        ],
        negatives: &["cfut_", "see the cfut_ prefix", "xcfut_AbCdEfGh", "CFUT_AbCdEfGhIjKl"],
    },
    Rule {
        kind: Kind::AccountToken,
        confidence: Confidence::High,
        matcher: Matcher::Scannable { prefix: "cfat_" },
        positives: &[
            "CF_API_TOKEN=\"{cfat}\"",
            "token={cfat}\r\n",
            "X=«cfk_{cfat}»",
        ],
        negatives: &["cfpat_AbCdEfGhIjKlMnOp (Contentful)", "CFPAT-AbCdEfGhIjKlMnOp"],
    },
    Rule {
        kind: Kind::GlobalKey,
        confidence: Confidence::High,
        matcher: Matcher::Scannable { prefix: "cfk_" },
        positives: &["X-Auth-Key: {cfk}", "{cfk}"],
        negatives: &["cfk_ is the global key prefix"],
    },
    Rule {
        kind: Kind::AccessServiceSecret,
        confidence: Confidence::High,
        matcher: Matcher::Scannable { prefix: "cfast_" },
        positives: &["CF-Access-Client-Secret: {cfast}"],
        negatives: &["cfast_"],
    },
    Rule {
        kind: Kind::Partial,
        confidence: Confidence::Medium,
        matcher: Matcher::Derived,
        positives: &[
            "grep «cfut_AbCd» build.log",
            "[audit] token «cfat_AbCdEf»... revoked",
            "rg -n '«cfk_Zz09aB»' logs/",
            "\x1b[33m«cfut_AbCdEfGh»\x1b[0m",
            "bad checksum but too long: «cfut_{alnum60}»",
            "a full-length body glued to a word: ab«cfut_{alnum60}»",
            "\x1b[0K«cfut_AbCdEfGh»",
            "second half of another length: «cfoat_{alnum43}.{alnum40}»",
            r#"{"output":"found\n«cfut_AbCdEf»\n"}"#,
            r#"{"log":"\u001b[33m«cfat_AbCdEfGh»\u001b[0m"}"#,
        ],
        negatives: &[
            "cfut_Ab",
            "xcfut_AbCdEf",
            "9cfut_AbCdEf",
            r#"{"path":"C:\\ncfut_AbCd"}"#,
        ],
    },
    Rule {
        kind: Kind::OAuthAccessToken,
        confidence: Confidence::High,
        matcher: Matcher::OAuth { prefix: "cfoat_" },
        positives: &[
            "oauth_token = \"{cfoat}\"",
            "glued before: x{cfoat}",
            "glued after: «{cfoat}Z»",
            "prefix typed twice: «cfoat_{cfoat}»",
        ],
        negatives: &["cfoat_ prefix"],
    },
    Rule {
        kind: Kind::OAuthRefreshToken,
        confidence: Confidence::High,
        matcher: Matcher::OAuth { prefix: "cfort_" },
        positives: &["refresh_token = \"{cfort}\""],
        negatives: &["cfort_"],
    },
    Rule {
        kind: Kind::OriginCaKey,
        confidence: Confidence::High,
        matcher: Matcher::OriginCa,
        positives: &[
            "X-Auth-User-Service-Key: {originca}",
            "key={originca}",
            "after a dot: key.{originca}",
            "glued before: x{originca}",
            "glued after: «{originca}Zz9»",
            "three groups: «v1.0-{hex64}-{hex128}-{hex64}»",
        ],
        negatives: &["release v1.0-beta", "lib-v1.0-{hex24}"],
    },
    Rule {
        kind: Kind::TunnelToken,
        confidence: Confidence::High,
        matcher: Matcher::TunnelToken,
        positives: &[
            "cloudflared tunnel run --token {tunnel}",
            "TUNNEL_TOKEN={tunnel}",
            "glued before: abc{tunnel}",
        ],
        negatives: &["eyJhIjoi", "jwt eyJhbGciOiJIUzI1NiJ9.e30.abc"],
    },
    Rule {
        kind: Kind::TunnelCert,
        confidence: Confidence::High,
        matcher: Matcher::TunnelCertPem,
        positives: &["prelude\n{argopem}\ntrailer"],
        negatives: &["-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"],
    },
    Rule {
        kind: Kind::TurnstileSecret,
        confidence: Confidence::Medium,
        matcher: Matcher::Turnstile,
        positives: &[
            "TURNSTILE_SECRET_KEY={turnstile}",
            "secret: '{turnstile}'",
            "secret: «{turnstile}xY»",
        ],
        negatives: &["sitekey: 0x4AAAAAAABkMYinukE8nzY", "data-sitekey=\"{turnstile}\""],
    },
    Rule {
        kind: Kind::LegacyApiToken,
        confidence: Confidence::Medium,
        matcher: Matcher::Context {
            keywords: &["api_token", "api-token", "apitoken", "cloudflare_token", "cf_token"],
            value: ValueShape::LegacyToken { len: 40 },
            needs_nearby: None,
        },
        positives: &[
            "CLOUDFLARE_API_TOKEN={legacy}",
            "export CF_API_TOKEN=\"{legacy}\"",
            r#"    "api_token": "{legacy}","#,
            "flarectl --api-token {legacy} zone list",
            "terraform apply -var cloudflare_api_token={legacy}",
            "::debug::CF_API_TOKEN: {legacy}",
            "apiToken: {legacy}",
            "api_token = \"{legacy}\"",
            r#"{"env":"CLOUDFLARE_API_TOKEN=\"{legacy}\""}"#,
            "CLOUDFLARE_API_TOKEN=«{legacy}x»",
            "\x1b[36mCF_API_TOKEN\x1b[0m: {legacy}",
        ],
        negatives: &[
            "CLOUDFLARE_API_TOKEN={hex40}",
            "CLOUDFLARE_API_TOKEN=${{ secrets.CLOUDFLARE_API_TOKEN }}",
            "GITHUB_API_TOKEN=ghp_{alnum36}",
            "api_token_id={legacy}",
            "cache-key: {legacy}",
            "X-Request-Id: {legacy}",
            "commit {hex40}",
            "apiToken: {legacy}x",
        ],
    },
    Rule {
        kind: Kind::LegacyApiToken,
        confidence: Confidence::Medium,
        matcher: Matcher::Context {
            keywords: &["bearer"],
            value: ValueShape::LegacyToken { len: 40 },
            needs_nearby: Some("cloudflare"),
        },
        positives: &[
            "curl -H \"Authorization: Bearer {legacy}\" https://api.cloudflare.com/client/v4/zones",
            "> curl -H 'Authorization: Bearer {legacy}' https://api.cloudflare.com/client/v4/user/tokens/verify",
        ],
        negatives: &[
            "curl -H \"Authorization: Bearer {legacy}\" https://api.github.com/user",
            "Authorization: Bearer {legacy}\nhttps://api.cloudflare.com/ on the next line",
        ],
    },
    Rule {
        kind: Kind::LegacyGlobalKey,
        confidence: Confidence::Medium,
        matcher: Matcher::Context {
            keywords: &["x-auth-key", "api_key", "auth_key", "api-key", "apikey"],
            value: ValueShape::Hex {
                len: 37,
                generic_len: 37,
            },
            needs_nearby: None,
        },
        positives: &[
            "X-Auth-Key: {hex37}",
            "request headers: X-Auth-Email=ops@example.com X-Auth-Key={hex37}",
            "CLOUDFLARE_API_KEY={hex37}",
            "CF_API_KEY={hex37}",
            r#"    "auth_key": "{hex37}","#,
            r#""cloudflare_api_key":"{hex37}""#,
            "curl -H \"X-Auth-Key: {hex37}\" https://api.cloudflare.com/client/v4/zones",
            "CLOUDFLARE_API_KEY={hex40}",
            "\x1b[33mCF_API_KEY={hex40}",
            "\x1b[0KCLOUDFLARE_API_KEY={hex45}",
            "X-Auth-Key: \x1b[32m{hex37}\x1b[0m",
            "CF_API_KEY=«{hex37}zz»",
        ],
        negatives: &[
            "api_key={hex40}",
            "api_key={hex37}zz",
            "XCF_API_KEY={hex40}",
            "X-Auth-Key: {hex32}",
            "CLOUDFLARE_API_KEY={legacy}",
            "account_id={hex32} zone_id={hex32}",
        ],
    },
    Rule {
        kind: Kind::AccessClientSecret,
        confidence: Confidence::Medium,
        matcher: Matcher::Context {
            keywords: &["cf-access-client-secret"],
            value: ValueShape::Hex {
                len: 64,
                generic_len: 64,
            },
            needs_nearby: None,
        },
        positives: &["-H \"CF-Access-Client-Secret: {hex64}\""],
        negatives: &["CF-Access-Client-Id: {hex32}.access", "sha256:{hex64}"],
    },
    Rule {
        kind: Kind::R2SecretKey,
        confidence: Confidence::Medium,
        matcher: Matcher::Context {
            keywords: &["r2_secret_access_key"],
            value: ValueShape::Hex {
                len: 64,
                generic_len: 64,
            },
            needs_nearby: None,
        },
        positives: &["R2_SECRET_ACCESS_KEY={hex64}"],
        negatives: &["R2_ACCESS_KEY_ID={hex32}"],
    },
];

/// Context keywords that name Cloudflare by themselves (see [`ValueShape`]).
pub const CLOUDFLARE_KEYWORDS: &[&str] = &[
    "x-auth-key",
    "cloudflare_token",
    "cf_token",
    "cf-access-client-secret",
    "r2_secret_access_key",
];

/// Every lower-cased context keyword with the rule that owns it.
pub fn context_keywords() -> impl Iterator<Item = (&'static str, &'static Rule)> {
    RULES.iter().flat_map(|rule| {
        let words: &'static [&'static str] = match rule.matcher {
            Matcher::Context { keywords, .. } => keywords,
            _ => &[],
        };
        words.iter().map(move |w| (*w, rule))
    })
}

/// Encoded forms the detector decodes (`core/detect/encoded.rs`): how a
/// value of a kind above may be written, with examples. Positive templates
/// must give exactly one finding of the paired kind with this encoding,
/// inside the template's only placeholder and ending where it ends; negative
/// templates none. A value found encoded is validated as written plainly
/// (checksum included) and fingerprinted as its decoded value.
#[derive(Debug)]
pub struct EncodedForm {
    /// How the value is written.
    pub encoding: crate::core::finding::Encoding,
    /// What is decoded.
    pub what: &'static str,
    /// (kind found, template).
    pub positives: &'static [(Kind, &'static str)],
    /// Templates that must give no finding.
    pub negatives: &'static [&'static str],
}

/// The encoded forms, as data (see [`EncodedForm`]).
pub const ENCODED_FORMS: &[EncodedForm] = &[
    EncodedForm {
        encoding: crate::core::finding::Encoding::Base64,
        what: "base64 (standard or URL-safe alphabet) of a prefixed shape at any of the three \
               alignments in a group, or of a whole legacy value after a keyword naming Cloudflare",
        positives: &[
            (Kind::UserToken, "  CLOUDFLARE_API_TOKEN: {b64:cfut}"),
            (Kind::AccountToken, "Authorization: Basic {basic:cfat}"),
            (Kind::GlobalKey, "key={b64a:cfk}"),
            (Kind::AccessServiceSecret, "{b64ab:cfast}"),
            (Kind::OAuthAccessToken, "oauth: {b64url:cfoat}"),
            (Kind::OAuthRefreshToken, "x {b64ab:cfort} y"),
            (Kind::OriginCaKey, "  origin-ca-key: {b64a:originca}"),
            (Kind::LegacyApiToken, "  CF_API_TOKEN: {b64:legacy}"),
            (Kind::LegacyGlobalKey, "  CLOUDFLARE_API_KEY: {b64:hex37}"),
        ],
        negatives: &[
            "  token: {b64:cfut!}",
            "data: {b64:alnum60}",
            "api_token: {b64:legacy}",
            "CLOUDFLARE_API_KEY: {b64:alnum37}",
        ],
    },
    EncodedForm {
        encoding: crate::core::finding::Encoding::Percent,
        what: "a prefixed shape with its `_` (or every byte) percent-encoded, either hex case",
        positives: &[
            (Kind::GlobalKey, "GET /cb?token={pct:cfk}&next=%2F"),
            (Kind::AccountToken, "t={pctall:cfat}"),
            (Kind::OAuthAccessToken, "?code={pct:cfoat}"),
        ],
        negatives: &["?t={pct:cfut!}", "see cfut%5Fprefix", "a%5Fb"],
    },
    EncodedForm {
        encoding: crate::core::finding::Encoding::Escape,
        what: "a prefixed shape with its `_` as a string escape (`\\u005f`, `\\x5f`)",
        positives: &[
            (Kind::AccessServiceSecret, r#"{"token":"{json:cfast}"}"#),
            (Kind::UserToken, "t = '{hexesc:cfut}'"),
        ],
        negatives: &[r#"{"t":"{json:cfut!}"}"#, r#""cfut\u005f""#],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn kind_ids_are_unique_and_round_trip() {
        let ids: HashSet<_> = Kind::ALL.iter().map(|k| k.id()).collect();
        assert_eq!(ids.len(), Kind::ALL.len());
        for k in Kind::ALL {
            assert_eq!(Kind::from_id(k.id()), Some(*k));
        }
    }

    #[test]
    fn context_keywords_are_lowercase_and_unique() {
        let mut seen = HashSet::new();
        for (word, _) in context_keywords() {
            assert_eq!(
                word,
                word.to_ascii_lowercase(),
                "keyword {word} must be lower-case"
            );
            assert!(seen.insert(word), "keyword {word} is owned by two rules");
        }
    }

    #[test]
    fn partial_and_known_fragments_carry_no_fingerprint() {
        assert!(!Kind::Partial.fingerprinted());
        assert!(!Kind::KnownSecretFragment.fingerprinted());
        assert!(Kind::UserToken.fingerprinted());
    }
}
