//! Safe display of untrusted text (file names, error messages, quoted
//! excerpts) on a terminal or in a log.
//!
//! A hostile file name must not drive the terminal: control characters and
//! invalid UTF-8 are escaped (`\x1b`, `\n`, `\xff`) before a path is printed.
//! And nothing printed may show a secret: a file named after a token, a
//! token mistakenly given where a path or a program was expected (`cfscrub
//! verify cfut_…`), a token inside an error message, are shown masked.
//!
//! Masking uses every credential shape and, once a command has loaded known
//! secrets ([`register_known_secrets`]), those values and their fragments
//! too: an unprefixed legacy token given with `--secret-from` has no shape
//! to be recognised by. The registry is process-wide because error messages
//! are printed by `main`, after the command that loaded the secrets has
//! returned; [`forget_known_secrets`] drops it (the values are wiped).
//!
//! Quoted *excerpts* of a user's files (a config line in a parse error, a
//! log line, an API path) go through [`mask_excerpt`], which also masks
//! every long run of token characters (see [`EXCERPT_RUN`]).

use crate::core::counts::Replacement;
use crate::core::detect::Detector;
use crate::core::secrets::KnownSecrets;
use crate::text::escape_bytes;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

/// A detector with the marker that replaces what it finds.
type TextMasker = (Detector, Replacement);

/// The masker holding the known secrets, once a command has loaded some.
static KNOWN_MASKER: RwLock<Option<Arc<TextMasker>>> = RwLock::new(None);

/// Makes every later [`display_path`], [`mask_text`] and [`mask_excerpt`]
/// mask `secrets` (and their leading fragments) as well as credential
/// shapes. Replaces what an earlier call registered; an empty set
/// registers nothing.
pub fn register_known_secrets(secrets: &KnownSecrets) {
    if secrets.is_empty() {
        return;
    }
    let detector = Detector::new(secrets);
    let replacement = Replacement::new(crate::core::counts::DEFAULT_REPLACEMENT, &detector)
        .expect("a known secret is never a redaction marker (refused at load)");
    *KNOWN_MASKER.write().unwrap_or_else(PoisonError::into_inner) =
        Some(Arc::new((detector, replacement)));
}

/// Drops the registered known secrets (their values are wiped); printing
/// masks credential shapes only afterwards.
pub fn forget_known_secrets() {
    KNOWN_MASKER
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
}

/// Masks `bytes` with the registered known secrets, or with shapes only.
fn mask_known(bytes: &[u8]) -> Vec<u8> {
    let known = KNOWN_MASKER
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let (detector, replacement) = match &known {
        Some(masker) => (&masker.0, &masker.1),
        None => {
            let shapes = crate::mask::masker::shape_masker();
            (&shapes.0, &shapes.1)
        }
    };
    crate::mask::masker::mask_bytes(detector, replacement, bytes)
}

/// The path with credentials masked and control characters and invalid
/// UTF-8 escaped.
pub fn display_path(path: &Path) -> String {
    escape_bytes(&mask_known(path.as_os_str().as_bytes()))
}

/// `text` with every credential shape and known secret masked (error
/// messages that quote what the user typed).
pub fn mask_text(text: &str) -> String {
    String::from_utf8_lossy(&mask_known(text.as_bytes())).into_owned()
}

/// Shortest run of `[A-Za-z0-9_-]` that [`mask_excerpt`] masks whatever
/// its shape: the shortest legacy Global API Key (37 hex). A legacy API
/// token (40) and 64-hex secrets are longer; UUIDs (36) and account and
/// zone ids (32) stay readable.
pub const EXCERPT_RUN: usize = 37;

/// A quoted excerpt of a user's file (a config line, a log line, an API
/// path) as [`mask_text`] shows it, with every run of [`EXCERPT_RUN`] or
/// more token characters masked too: an unprefixed value out of its
/// context has no shape to be recognised by.
pub fn mask_excerpt(text: &str) -> String {
    let masked = mask_known(text.as_bytes());
    let marker = crate::core::counts::DEFAULT_REPLACEMENT.as_bytes();
    let is_token = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-';
    let mut out = Vec::with_capacity(masked.len());
    let mut rest = &masked[..];
    while !rest.is_empty() {
        let run = rest.iter().take_while(|b| is_token(b)).count();
        if run >= EXCERPT_RUN {
            out.extend_from_slice(marker);
        } else {
            out.extend_from_slice(&rest[..run]);
        }
        let gap = rest[run..].iter().take_while(|b| !is_token(b)).count();
        out.extend_from_slice(&rest[run..run + gap]);
        rest = &rest[run + gap..];
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Unit-test assertion: equal bytes, or a failure message showing both
/// sides with credentials masked (a failed redaction must not print the
/// token it missed).
#[cfg(test)]
pub(crate) fn assert_same(what: &str, actual: &[u8], expected: &[u8]) {
    if actual != expected {
        let show = |b: &[u8]| mask_text(&String::from_utf8_lossy(b));
        panic!(
            "{what}: differs\n--- actual (masked)\n{}\n--- expected (masked)\n{}",
            show(actual),
            show(expected)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_a_token_in_a_path() {
        let token = crate::fake::FakeGen::new(1).scannable("cfut_", true);
        let shown = display_path(Path::new(&format!("logs/{token}.txt")));
        assert_eq!(shown, "logs/[REDACTED_CF_TOKEN].txt");
    }

    #[test]
    fn registered_known_secrets_are_masked_until_forgotten() {
        let value = crate::fake::FakeGen::new(2).legacy_token();
        let path = format!("logs/{value}.log");
        let mut secrets = KnownSecrets::new();
        secrets
            .add(zeroize::Zeroizing::new(value.clone().into_bytes()), "t", 1)
            .unwrap();
        register_known_secrets(&secrets);
        let shown = display_path(Path::new(&path));
        let message = mask_text(&format!("cannot run {value}: not found"));
        forget_known_secrets();
        assert!(
            shown == "logs/[REDACTED_CF_TOKEN].log",
            "the known value was not masked in a path"
        );
        assert!(
            message == "cannot run [REDACTED_CF_TOKEN]: not found",
            "the known value was not masked in a message"
        );
        // Without a shape, only the registry knew it.
        assert!(display_path(Path::new(&path)) == path);
    }

    #[test]
    fn excerpts_lose_long_token_runs_only() {
        let mut g = crate::fake::FakeGen::new(3);
        let legacy = g.legacy_token();
        let key = g.hex(37);
        let uuid = "0e4b5c2a-9d4f-4e3b-8a1c-2f6d7e8a9b0c";
        let account = g.hex(32);
        let text = format!("x = {legacy} # {key}\n/accounts/{account}/d1/database/{uuid}");
        assert_eq!(
            mask_excerpt(&text),
            format!(
                "x = [REDACTED_CF_TOKEN] # [REDACTED_CF_TOKEN]\n/accounts/{account}/d1/database/{uuid}"
            )
        );
    }
}
