//! Live checks of leaked credentials against the Cloudflare API
//! (`cfscrub token status|roll|revoke|audit`): the only code in cfscrub
//! that uses the network.
//!
//! [`api`] is the client (timeouts, retries, the envelope) and [`base`]
//! where it may send requests; [`status`] asks whether a credential is live and reads a
//! token's details; [`manage`] rolls and revokes; [`audit`] reads the
//! account audit log for what a token changed; [`first_steps`] is what
//! `checklist --live` puts first; [`records`] are the JSON Lines schema. A leaked value is held as a
//! [`Leaked`] (wiped on drop, `Debug` withheld) and only ever leaves the
//! process in a request header.

pub mod api;
pub mod audit;
pub mod base;
pub mod first_steps;
pub mod manage;
pub mod records;
pub mod status;

use crate::core::finding::Fingerprint;
use crate::incident::checklist::LeakedType;
use api::{ApiError, Auth};
use std::fmt;
use zeroize::Zeroizing;

/// One leaked credential to check.
pub struct Leaked {
    /// The value.
    pub value: Zeroizing<String>,
    /// Its shape.
    pub kind: LeakedType,
    /// Its fingerprint (none for weak values).
    pub fingerprint: Option<Fingerprint>,
    /// Where it was found or given (masked display names).
    pub found_at: Vec<String>,
}

impl fmt::Debug for Leaked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Leaked")
            .field("kind", &self.kind)
            .field("fingerprint", &self.fingerprint)
            .field("found_at", &self.found_at)
            .finish_non_exhaustive()
    }
}

impl Leaked {
    /// A leaked value (surrounding white space removed); `None` if it is
    /// not valid UTF-8 (no Cloudflare credential is).
    pub fn new(value: &[u8], found_at: String) -> Option<Leaked> {
        let text = std::str::from_utf8(value.trim_ascii()).ok()?;
        Some(Leaked {
            kind: LeakedType::of(text.as_bytes()),
            fingerprint: Fingerprint::of(text.as_bytes()),
            value: Zeroizing::new(text.to_string()),
            found_at: vec![found_at],
        })
    }

    /// The value as a bearer token.
    pub fn bearer(&self) -> Auth {
        Auth::Bearer(self.value.clone())
    }

    /// `fp:…`, or a note that the value is too weak to fingerprint.
    pub fn shown(&self) -> String {
        self.fingerprint
            .map_or_else(|| "fp:(weak value)".to_string(), |fp| format!("fp:{fp}"))
    }
}

/// Who owns a token: the user, or an account (account-owned tokens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// `/client/v4/user/tokens/…`.
    User,
    /// `/client/v4/accounts/{id}/tokens/…`.
    Account(String),
}

impl Scope {
    /// The path prefix, before `/tokens`.
    pub fn path(&self) -> String {
        match self {
            Scope::User => "/client/v4/user".to_string(),
            Scope::Account(id) => format!("/client/v4/accounts/{id}"),
        }
    }

    /// `user` or `account`.
    pub fn describe(&self) -> &'static str {
        match self {
            Scope::User => "user",
            Scope::Account(_) => "account",
        }
    }
}

/// An id put into a URL path (token id, account id): letters, digits, `-`
/// and `_` only, at most 64 characters, so that it cannot change the path.
pub fn checked_id(id: &str) -> Result<&str, ApiError> {
    if !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(id)
    } else {
        Err(ApiError::BadId)
    }
}

/// The `account_id` at the top of a wrangler config, if any.
pub fn account_id_of_wrangler(path: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let config = crate::incident::wrangler::parse(path, &text).ok()?;
    config
        .get("account_id")
        .and_then(|v| v.as_str())
        .filter(|s| checked_id(s).is_ok())
        .map(str::to_string)
}

/// Largest file read whole by [`found_in_paths`].
pub const MAX_SCANNED_FILE: u64 = 64 << 20;

/// Why [`found_in_paths`] failed.
#[derive(Debug)]
pub struct ScanError(pub String);

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScanError {}

/// The credentials in the files under `paths`, found by the same detector
/// as `scan` (whole, fingerprinted values only: fragments and partial
/// prefixes cannot be checked). Links are not followed. A file that cannot
/// be read, or is larger than [`MAX_SCANNED_FILE`], is an error: checking
/// some credentials and silently not others would mislead.
pub fn found_in_paths(paths: &[std::path::PathBuf]) -> Result<Vec<Leaked>, ScanError> {
    use crate::source::open::open_regular;
    use crate::source::walk::{collect, Input, WalkOptions};
    use std::io::Read;
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let shown = crate::mask::sanitize::display_path;
    let inputs = collect(paths, &WalkOptions::default()).map_err(|e| ScanError(e.to_string()))?;
    if let Some(note) = inputs
        .walked
        .notes
        .iter()
        .find(|n| matches!(n, crate::source::walk::Note::Error { .. }))
    {
        return Err(ScanError(note.describe(shown)));
    }
    let detector = crate::core::detect::Detector::new(&crate::core::secrets::KnownSecrets::new());
    let mut found = Vec::new();
    for input in &inputs.items {
        let Input::File(path) = input else {
            return Err(ScanError(
                "token status reads files, not standard input: use --secret-from -".to_string(),
            ));
        };
        let name = shown(path);
        let (file, meta) = open_regular(path, false)
            .map_err(|e| ScanError(format!("{name}: {}", describe_open(&e))))?;
        if meta.len() > MAX_SCANNED_FILE {
            return Err(ScanError(format!(
                "{name}: larger than {} MiB: give the value with --secret-from instead",
                MAX_SCANNED_FILE >> 20
            )));
        }
        let mut bytes = Zeroizing::new(Vec::with_capacity(meta.len() as usize + 1));
        file.take(MAX_SCANNED_FILE)
            .read_to_end(&mut bytes)
            .map_err(|e| ScanError(format!("{name}: {e}")))?;
        for f in crate::core::stream::scan_bytes(&detector, &bytes) {
            if f.fingerprint.is_none() {
                continue;
            }
            let value = &bytes[f.offset as usize..f.end() as usize];
            if let Some(l) = Leaked::new(value, format!("{name}:{}", f.line)) {
                found.push(l);
            }
        }
    }
    Ok(found)
}

fn describe_open(e: &crate::source::open::OpenError) -> String {
    match e {
        crate::source::open::OpenError::NotRegular(what) => format!("is a {what}: not read"),
        crate::source::open::OpenError::Io(e) => e.to_string(),
    }
}

/// Merges credentials with the same value (found in several places).
pub fn dedup(all: Vec<Leaked>) -> Vec<Leaked> {
    let mut out: Vec<Leaked> = Vec::new();
    for l in all {
        match out.iter_mut().find(|o| o.value == l.value) {
            Some(o) => o.found_at.extend(l.found_at),
            None => out.push(l),
        }
    }
    out
}
