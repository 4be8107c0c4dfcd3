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

/// What a context value must look like. The value's shape decides its
/// kind, whatever the name before it says (`CLOUDFLARE_API_KEY=<40
/// token>` is an API token). After a name that names Cloudflare (see
/// [`NAME_WORDS`]) the value is that credential even with letters or
/// digits glued after it, and the finding covers them too; after a generic
/// name (`api_token`) only the exact shape counts, and only with a
/// Cloudflare mention nearby ([`MENTIONS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueShape {
    /// `len` characters of `[A-Za-z0-9_-]`, not all hex, not another
    /// vendor's prefixed token.
    LegacyToken {
        /// The token's length.
        len: usize,
    },
    /// Lower-case hex: `min` to `max` digits after a Cloudflare name
    /// (then anything glued), exactly `min` after a generic one.
    Hex {
        /// Fewest digits (the exact length after a generic name).
        min: usize,
        /// Most digits.
        max: usize,
    },
}

/// A word that ends a name introducing a credential (`…_TOKEN`,
/// `…ApiKey`, `X-Auth-Key`, `Bearer`), and the kinds a value after it may
/// be. The last word is the detector's anchor; the words before it in
/// `suffix` must end the name too (`secret access key`).
#[derive(Debug)]
pub struct CredentialWord {
    /// The name's last words, lower-case, in order.
    pub suffix: &'static [&'static str],
    /// The kinds a value may be, by its shape, and how closely it must fit.
    pub kinds: &'static [(Kind, Fit)],
    /// The word is the whole name, whatever is glued before it: an HTTP
    /// authorization scheme (`Bearer`), generic by itself.
    pub alone: bool,
}

/// How closely a value after a credential word must fit its kind's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// Exactly the shape's usual length (a 40-character token, a 37-hex
    /// key): a 40-hex value under a `token` name is a hash, not a key.
    Exact,
    /// After a Cloudflare name, any length of the shape's range, and
    /// characters glued after it (masked with it); exact after a generic one.
    Range,
}

/// The credential words, longest suffix first.
pub const CREDENTIAL_WORDS: &[CredentialWord] = &[
    CredentialWord {
        suffix: &["secret", "access", "key"],
        kinds: &[(Kind::R2SecretKey, Fit::Exact)],
        alone: false,
    },
    CredentialWord {
        suffix: &["token"],
        kinds: &[
            (Kind::LegacyApiToken, Fit::Range),
            (Kind::LegacyGlobalKey, Fit::Exact),
        ],
        alone: false,
    },
    CredentialWord {
        suffix: &["key"],
        kinds: &[
            (Kind::LegacyGlobalKey, Fit::Range),
            (Kind::LegacyApiToken, Fit::Range),
        ],
        alone: false,
    },
    CredentialWord {
        suffix: &["secret"],
        kinds: &[
            (Kind::AccessClientSecret, Fit::Exact),
            (Kind::LegacyApiToken, Fit::Exact),
        ],
        alone: false,
    },
    CredentialWord {
        suffix: &["password"],
        kinds: &[
            (Kind::LegacyApiToken, Fit::Exact),
            (Kind::LegacyGlobalKey, Fit::Exact),
        ],
        alone: false,
    },
    CredentialWord {
        suffix: &["cloudflare"],
        kinds: &[
            (Kind::LegacyApiToken, Fit::Exact),
            (Kind::LegacyGlobalKey, Fit::Exact),
        ],
        alone: false,
    },
    CredentialWord {
        suffix: &["bearer"],
        kinds: &[(Kind::LegacyApiToken, Fit::Exact)],
        alone: true,
    },
];

/// How the words of a name (split at `_ - .`, case changes and known
/// words: `cloudflareApiToken` is cloudflare, api, token) place it.
#[derive(Debug)]
pub struct NameWords {
    /// A name with one of these words is Cloudflare's (`CF_API_TOKEN`,
    /// `R2_SECRET_ACCESS_KEY`, `WRANGLER_…`).
    pub cloudflare: &'static [&'static str],
    /// Whole names that are Cloudflare's by themselves: its header
    /// `X-Auth-Key`, and the classes of its SDKs after `new`.
    pub cloudflare_names: &'static [&'static str],
    /// Words that say nothing of whose credential it is: a name made of
    /// these and a credential word is generic and needs a Cloudflare
    /// mention nearby. Any other word names something else
    /// (`MAILGUN_API_TOKEN`, `cache-key`): never Cloudflare's.
    pub generic: &'static [&'static str],
}

/// The name words.
pub const NAME_WORDS: NameWords = NameWords {
    cloudflare: &["cloudflare", "cf", "wrangler", "flarectl", "r2"],
    cloudflare_names: &["x-auth-key", "new APIToken", "new APIKey"],
    generic: &[
        "api", "auth", "access", "client", "service", "user", "account", "global", "x", "my",
        "new", "with", "set", "dns", "zone", "bearer",
    ],
};

/// Words that make a generic name Cloudflare's when they stand on its
/// line, on the lines of its block before it (a section or YAML key
/// naming Cloudflare covers its block: `[cloudflare]`, `cloudflare:`,
/// `provider "cloudflare" {`, `protocol=cloudflare`), or on the
/// `\`-continued lines after it (a `curl` command). Matched ASCII
/// case-insensitively; `cf` only as a word before `_`, `-` or `.`
/// (`CF_ACCOUNT_ID`, `cf-access`).
pub const MENTIONS: &[&str] = &["cloudflare", "wrangler", "flarectl"];

/// Calls of Cloudflare's SDKs whose first argument (or second, after an
/// e-mail address) is a credential: `cloudflare.New("<key>", "<email>")`.
/// Matched ASCII case-insensitively.
pub const SDK_CALLS: &[&str] = &["cloudflare.new("];

/// The kinds a value after an SDK call may be.
pub const SDK_CALL_KINDS: &[(Kind, Fit)] = &[
    (Kind::LegacyGlobalKey, Fit::Exact),
    (Kind::LegacyApiToken, Fit::Exact),
];

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
    /// `v1.0-` + 2 to 4 groups of 16 to 256 hex joined by `-`, 120+ hex in
    /// all (`v1.0-<24>-<146>` usually).
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
    /// A value of `value`'s shape after a name ending in a credential
    /// word ([`CREDENTIAL_WORDS`]), an SDK call ([`SDK_CALLS`]) or a
    /// keyword of the user's, past a short run of separators (`=`, `:`,
    /// quotes, brackets, spaces; a newline after `:` or `=`).
    Context {
        /// The value's shape.
        value: ValueShape,
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
            "token prefix «cfut_Ab3d»_",
            "«cfast_Zz09».",
            "if x == «cfat_AbCd»== y",
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
            // Names, not fragments of a random body.
            "opts = cfut_options(defaults)",
            "print(cfast_version)",
            "sync_cfast_repo --force",
            "__cfut_options",
            "cfast_hash = compute(inputs)",
            "def cfk_lookup(table):",
            "gcc -c cfast_parameters.o",
            "cfut_AbCd_x = 1",
            "cfast_Parameters.o",
            "x = cfk_Lookup2(table)",
            "cfat_Total = 3",
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
            "X-Auth-User-Service-Key: «v1.0-{hex24}-{hex120}»",
            "origin_ca_key = \"«v1.0-{hex32}-{hex160}»\"",
            "four groups: «v1.0-{hex32}-{hex64}-{hex32}-{hex16}»",
        ],
        negatives: &[
            "release v1.0-beta",
            "lib-v1.0-{hex24}",
            "v1.0-{hex8}-{hex146}",
        ],
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
            value: ValueShape::LegacyToken { len: 40 },
        },
        positives: &[
            "CLOUDFLARE_API_TOKEN={legacy}",
            "export CF_API_TOKEN=\"{legacy}\"",
            "terraform apply -var cloudflare_api_token={legacy}",
            "::debug::CF_API_TOKEN: {legacy}",
            r#"{"env":"CLOUDFLARE_API_TOKEN=\"{legacy}\""}"#,
            "CLOUDFLARE_API_TOKEN=«{legacy}x»",
            "\x1b[36mCF_API_TOKEN\x1b[0m: {legacy}",
            // Names in other spellings.
            "cloudflareToken = \"{legacy}\"",
            "CloudflareApiToken: {legacy}",
            "cloudflare-api-token: {legacy}",
            "cloudflare.api.token={legacy}",
            "<cloudflareApiToken>{legacy}</cloudflareApiToken>",
            "LEXICON_CLOUDFLARE_AUTH_TOKEN={legacy}",
            "TF_VAR_cloudflare_api_token={legacy}",
            // Setters and assignment operators.
            "System.setProperty(\"CLOUDFLARE_TOKEN\", \"{legacy}\");",
            "os.environ[\"CF_API_TOKEN\"] = \"{legacy}\"",
            "process.env.CLOUDFLARE_API_TOKEN = '{legacy}';",
            "CLOUDFLARE_API_TOKEN ?= {legacy}",
            "CLOUDFLARE_API_TOKEN := {legacy}",
            "$cloudflare_token .= '{legacy}';",
            "'cloudflare_api_token' => '{legacy}',",
            "define('CLOUDFLARE_API_TOKEN', '{legacy}');",
            // The value's shape decides, not the name.
            "CLOUDFLARE_API_KEY={legacy}",
            "CF_API_KEY: '{legacy}'",
            // A block or a line naming Cloudflare makes a generic name its own.
            "cloudflare:\n  api_token: {legacy}\n",
            "cloudflare: {legacy}",
            "[cloudflare]\nemail = ops@example.com\ntoken = {legacy}\n",
            "provider \"cloudflare\" {\n  api_token = \"{legacy}\"\n}\n",
            "lexicon cloudflare --auth-token={legacy} list example.com A",
            "flarectl --api-token {legacy} zone list",
            "token = \"{legacy}\"  # CLOUDFLARE_API_TOKEN",
            "protocol=cloudflare,  \\\nzone=example.com,     \\\nlogin=token,          \\\npassword={legacy}     \\\nhost.example.com\n",
            // SDK calls.
            "api, err := cloudflare.NewWithAPIToken(\"{legacy}\")",
            "client := cloudflare.NewClient(option.WithAPIToken(\"{legacy}\"))",
            "const auth = new APIToken('{legacy}');",
            "cf = CloudFlare.CloudFlare(token=\"{legacy}\")",
            // Context on another line.
            "curl https://api.cloudflare.com/client/v4/zones \\\n  -H \"Authorization: Bearer {legacy}\"\n",
            "curl -H \"Authorization: Bearer {legacy}\" https://api.cloudflare.com/client/v4/zones",
            "curl -H \"Authorization: Bearer {legacy}\" \\\n  https://api.cloudflare.com/client/v4/user/tokens/verify\n",
            "CLOUDFLARE_API_TOKEN:\n  {legacy}\n",
            "cat > .env <<EOF\nCLOUDFLARE_API_TOKEN={legacy}\nEOF\n",
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
            // Generic names with nothing Cloudflare's near them.
            "api_token = \"{legacy}\"",
            "[gitlab]\napi_token = \"{legacy}\"\n",
            "[cloudflare]\nzone = example.com\n[gitlab]\napi_token = {legacy}\n",
            "MAILGUN_API_TOKEN={legacy}",
            "sendgrid:\n  apiToken: {legacy}\n",
            "--api-token {legacy} --host gitea.example.org",
            "Authorization: Api-Token {legacy}",
            "curl -H \"Authorization: Bearer {legacy}\" https://api.github.com/user",
            "Authorization: Bearer {legacy}\nhttps://api.cloudflare.com/ on the next line",
            // Placeholders.
            "CLOUDFLARE_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "CLOUDFLARE_API_TOKEN=your-cloudflare-api-token-goes-here-0000",
            "CLOUDFLARE_API_TOKEN=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN",
            // Base64, not a token: `=` padding, `+` or `/` in the run.
            "cloudflare:\n  public_key: \"{alnum43}=\"\n",
            "# cloudflare\napi_token = \"{alnum40}+{alnum3}=\"\n",
            "CLOUDFLARE_API_KEY={alnum20}+{alnum19}",
        ],
    },
    Rule {
        kind: Kind::LegacyGlobalKey,
        confidence: Confidence::Medium,
        matcher: Matcher::Context {
            value: ValueShape::Hex { min: 37, max: 45 },
        },
        positives: &[
            "X-Auth-Key: {hex37}",
            "request headers: X-Auth-Email=ops@example.com X-Auth-Key={hex37}",
            "CLOUDFLARE_API_KEY={hex37}",
            "CF_API_KEY={hex37}",
            r#""cloudflare_api_key":"{hex37}""#,
            "curl -H \"X-Auth-Key: {hex37}\" https://api.cloudflare.com/client/v4/zones",
            "CLOUDFLARE_API_KEY={hex40}",
            "\x1b[33mCF_API_KEY={hex40}",
            "\x1b[0KCLOUDFLARE_API_KEY={hex45}",
            "X-Auth-Key: \x1b[32m{hex37}\x1b[0m",
            "CF_API_KEY=«{hex37}zz»",
            "cloudflareApiKey: '{hex37}'",
            "os.environ[\"CLOUDFLARE_API_KEY\"] = \"{hex37}\"",
            "CLOUDFLARE_API_TOKEN={hex37}",
            "cloudflare:\n  email: ops@example.com\n  key: {hex37}\n",
            "cloudflare:\n  api_key: {hex45}\n",
            "# cloudflare\n    \"auth_key\": \"{hex37}\",",
            "api, err := cloudflare.New(\"{hex37}\", \"ops@example.com\")",
            "const auth = new APIKey('ops@example.com', '{hex37}');",
            "X-Auth-Email: ops@example.com\nX-Auth-Key:\n  {hex37}\n",
        ],
        negatives: &[
            "api_key={hex40}",
            "api_key={hex37}zz",
            "XCF_API_KEY={hex40}",
            "X-Auth-Key: {hex32}",
            "account_id={hex32} zone_id={hex32}",
            r#"{"api_key": "{hex37}"}"#,
            "    \"auth_key\": \"{hex37}\",",
            "monkey: {hex37}",
            "dns_cloudflare_api_key = 0123456789abcdef0123456789abcdef01234",
            "CLOUDFLARE_API_KEY=1111111111111111111111111111111111111",
            "cloudflare: {hex40}",
        ],
    },
    Rule {
        kind: Kind::AccessClientSecret,
        confidence: Confidence::Medium,
        matcher: Matcher::Context {
            value: ValueShape::Hex { min: 64, max: 64 },
        },
        positives: &[
            "-H \"CF-Access-Client-Secret: {hex64}\"",
            "CLOUDFLARE_ACCESS_CLIENT_SECRET={hex64}",
            "{\n  \"cf-access-client-secret\":\n    \"{hex64}\"\n}\n",
            " * \"cf-access-client-secret\":\n * \"{hex64}\" }",
        ],
        negatives: &[
            "CF-Access-Client-Id: {hex32}.access",
            "sha256:{hex64}",
            "client_secret: {hex64}",
            "CLOUDFLARE_API_TOKEN={hex64}",
            "cache_key: {hex64}",
        ],
    },
    Rule {
        kind: Kind::R2SecretKey,
        confidence: Confidence::Medium,
        matcher: Matcher::Context {
            value: ValueShape::Hex { min: 64, max: 64 },
        },
        positives: &[
            "R2_SECRET_ACCESS_KEY={hex64}",
            "cloudflare_r2_secret_access_key = \"{hex64}\"",
        ],
        negatives: &["R2_ACCESS_KEY_ID={hex32}", "AWS_SECRET_ACCESS_KEY={hex64}"],
    },
];

/// The context kind whose shape a bare value has (as leaked, with no name
/// before it: `--secret-from`), by the catalogue's value shapes in
/// catalogue order: 40 token characters (not all hex) an API token, 37–45
/// hex a Global API Key, 64 hex an Access client secret.
pub fn kind_of_bare_value(value: &[u8]) -> Option<Kind> {
    let hex = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
    RULES.iter().find_map(|rule| {
        let Matcher::Context { value: shape } = rule.matcher else {
            return None;
        };
        let fits = match shape {
            ValueShape::LegacyToken { len } => {
                value.len() == len
                    && value
                        .iter()
                        .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
                    && !value.iter().all(u8::is_ascii_hexdigit)
            }
            ValueShape::Hex { min, max } => {
                (min..=max).contains(&value.len()) && value.iter().all(hex)
            }
        };
        fits.then_some(rule.kind)
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
            "CLOUDFLARE_API_KEY: {b64:alnum20}",
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
    fn name_words_are_lowercase_and_each_credential_kind_has_a_context_rule() {
        let words = CREDENTIAL_WORDS.iter().flat_map(|w| w.suffix.iter());
        for word in words
            .chain(NAME_WORDS.cloudflare)
            .chain(NAME_WORDS.generic)
            .chain(MENTIONS)
        {
            assert_eq!(
                *word,
                word.to_ascii_lowercase(),
                "{word} must be lower-case"
            );
        }
        for w in CREDENTIAL_WORDS {
            for (kind, _) in w.kinds {
                assert!(
                    RULES
                        .iter()
                        .any(|r| r.kind == *kind && matches!(r.matcher, Matcher::Context { .. })),
                    "{} has no context rule",
                    kind.id()
                );
            }
        }
    }

    #[test]
    fn partial_and_known_fragments_carry_no_fingerprint() {
        assert!(!Kind::Partial.fingerprinted());
        assert!(!Kind::KnownSecretFragment.fingerprinted());
        assert!(Kind::UserToken.fingerprinted());
    }
}
