//! The JSON Lines records of `cfscrub token --format json`: typed, so that
//! these structs are the schema. None holds a credential value: kinds,
//! fingerprints, ids, dates, masked places and reasons.

use super::status::{Details, Liveness};
use crate::incident::checklist::LeakedType;
use serde::Serialize;

/// `status`: one leaked credential.
#[derive(Debug, Serialize)]
pub struct StatusRecord<'a> {
    /// Its fingerprint (none for weak values).
    pub fingerprint: Option<String>,
    /// Its shape.
    pub kind: LeakedType,
    /// Where it was found or given (masked).
    pub found_at: &'a [String],
    /// Live or not.
    pub status: Liveness,
    /// Why (masked).
    pub why: String,
    /// The token's id (also its R2 access key id).
    pub token_id: Option<&'a str>,
    /// Its expiry.
    pub expires_on: Option<&'a str>,
    /// With an admin credential: the token's record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<&'a Details>,
    /// With an admin credential: why the record could not be read (masked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details_error: Option<String>,
}

/// `status --id`: one token read by its id.
#[derive(Debug, Serialize)]
pub struct ByIdRecord<'a> {
    /// The id.
    pub token_id: &'a str,
    /// `user` or `account`.
    pub scope: &'static str,
    /// Its status as its record says.
    pub status: Option<&'a str>,
    /// Its expiry.
    pub expires_on: Option<&'a str>,
    /// The record.
    pub details: &'a Details,
}

/// `roll`: done.
#[derive(Debug, Serialize)]
pub struct RolledRecord<'a> {
    /// The token id.
    pub rolled: &'a str,
    /// `user` or `account`.
    pub scope: &'static str,
    /// The vault file holding the new value (masked path).
    pub vault: &'a str,
    /// The new value's fingerprint.
    pub fingerprint: Option<String>,
    /// Whether the leaked token authenticated its own roll.
    pub by_leaked: bool,
}

/// `revoke`: done.
#[derive(Debug, Serialize)]
pub struct RevokedRecord<'a> {
    /// The token id.
    pub revoked: &'a str,
    /// `user` or `account`.
    pub scope: &'static str,
    /// Whether the leaked token authenticated the deletion.
    pub by_leaked: bool,
    /// Whether it deleted itself (the target was its own id).
    pub itself: bool,
}

/// `audit`: the last line, after one [`super::audit::Event`] per line.
#[derive(Debug, Serialize)]
pub struct AuditSummary<'a> {
    /// The token id.
    pub token_id: &'a str,
    /// Start (RFC 3339).
    pub since: &'a str,
    /// End (RFC 3339).
    pub before: &'a str,
    /// How many events were kept.
    pub events: usize,
    /// Cloudflare's record of use, or why it is not known (masked).
    pub last_used_on: &'a str,
    /// What the audit log does not record.
    pub note: &'static str,
}

/// The wrapper of [`AuditSummary`]: `{"summary": {…}}`.
#[derive(Debug, Serialize)]
pub struct AuditSummaryLine<'a> {
    /// The summary.
    pub summary: AuditSummary<'a>,
}
