//! `token roll` and `token revoke`: the two calls that change a token.
//!
//! Rolling is "mint, don't mutate": `PUT …/tokens/{id}/value` with the
//! body `{}` gives the token a new value and keeps its permissions; the
//! policy list is never sent (`PUT …/tokens/{id}` would replace it). The
//! new value is returned in a wiped buffer for the caller to store in a
//! vault file; it is never printed.

use super::api::{Api, ApiError, Auth, Method, Refusal, Reply};
use super::{checked_id, Scope};
use serde::{Deserialize, Deserializer};
use zeroize::Zeroizing;

/// A new token value, deserialized straight into a wiped buffer.
pub struct NewValue(pub Zeroizing<String>);

impl<'de> Deserialize<'de> for NewValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<NewValue, D::Error> {
        Ok(NewValue(Zeroizing::new(String::deserialize(d)?)))
    }
}

impl std::fmt::Debug for NewValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewValue(<withheld>)")
    }
}

/// What Cloudflare answered to a change: done, or refused (with why).
pub type Outcome<T> = Result<T, Refusal>;

/// Rolls token `token_id` of `scope`, authenticated by `auth`.
pub fn roll(
    api: &Api,
    auth: &Auth,
    scope: &Scope,
    token_id: &str,
) -> Result<Outcome<Zeroizing<String>>, ApiError> {
    let path = format!("{}/tokens/{}/value", scope.path(), checked_id(token_id)?);
    let reply: Reply<NewValue> = api.call(Method::Put, &path, &[], auth)?;
    if !reply.ok() {
        return Ok(Err(reply.why()));
    }
    match reply.result {
        Some(NewValue(v)) if !v.trim().is_empty() => Ok(Ok(v)),
        _ => Err(ApiError::Malformed(reply.status)),
    }
}

/// Deletes token `token_id` of `scope`, authenticated by `auth`.
pub fn revoke(
    api: &Api,
    auth: &Auth,
    scope: &Scope,
    token_id: &str,
) -> Result<Outcome<()>, ApiError> {
    let path = format!("{}/tokens/{}", scope.path(), checked_id(token_id)?);
    let reply: Reply<serde_json::Value> = api.call(Method::Delete, &path, &[], auth)?;
    Ok(if reply.ok() { Ok(()) } else { Err(reply.why()) })
}
