//! `token status`: is a leaked credential live? Asks Cloudflare's verify
//! endpoints (the token authenticates itself) and, with an admin
//! credential, reads the token's details (name, dates, policies).

use super::api::{Api, ApiError, Auth, Method, Refusal, Reply};
use super::{Leaked, Scope};
use crate::incident::checklist::LeakedType;
use serde::{Deserialize, Serialize};

/// What Cloudflare said about a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Liveness {
    /// It authenticates: the leak is live.
    Active,
    /// Known to Cloudflare but disabled.
    Disabled,
    /// Known to Cloudflare but past its expiry.
    Expired,
    /// Not accepted (revoked, rolled, or never valid).
    Invalid,
    /// Not checked or not decidable (see `why`).
    Unknown,
}

impl Liveness {
    /// The word printed.
    pub fn word(self) -> &'static str {
        match self {
            Liveness::Active => "active",
            Liveness::Disabled => "disabled",
            Liveness::Expired => "expired",
            Liveness::Invalid => "invalid",
            Liveness::Unknown => "unknown",
        }
    }
}

/// The answer of a verify call.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// Live or not.
    pub status: Liveness,
    /// Why, in words (the endpoint's answer or what was missing).
    pub why: String,
    /// The token's id (also its R2 access key id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    /// When it expires, if it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<String>,
    /// Who owns the token: `user` or the account.
    #[serde(skip)]
    pub scope: Option<Scope>,
}

impl Verdict {
    fn unknown(why: impl Into<String>) -> Verdict {
        Verdict {
            status: Liveness::Unknown,
            why: why.into(),
            token_id: None,
            expires_on: None,
            scope: None,
        }
    }
}

#[derive(Debug, Deserialize)]
struct VerifyResult {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    expires_on: Option<String>,
}

/// Whether an error reply means "this credential is not accepted":
/// 401/403 or a code of the 1000 family, 6003 (malformed), 9103 (unknown
/// key), 9106, 9109, 10000 (authentication).
fn rejected<T>(reply: &Reply<T>) -> bool {
    matches!(reply.status, 400 | 401 | 403)
        || reply.errors.iter().any(|e| {
            (1000..2000).contains(&e.code) || [6003, 9103, 9106, 9109, 10000].contains(&e.code)
        })
}

/// Asks Cloudflare whether `leaked` is live. A cfat_ token needs
/// `account_id`; a Global API Key needs `email`. An unprefixed token is
/// tried as a user token, then (if rejected and an account id is known)
/// as an account token.
pub fn verify(
    api: &Api,
    leaked: &Leaked,
    account_id: Option<&str>,
    email: Option<&str>,
) -> Result<Verdict, ApiError> {
    match leaked.kind {
        LeakedType::UserToken => verify_token(api, leaked, &Scope::User),
        LeakedType::AccountToken => match account_id {
            Some(id) => verify_token(api, leaked, &Scope::Account(id.to_string())),
            None => Ok(Verdict::unknown(
                "an account token needs the account id: --account-id, CLOUDFLARE_ACCOUNT_ID or account_id in the wrangler config",
            )),
        },
        LeakedType::LegacyToken => {
            let user = verify_token(api, leaked, &Scope::User)?;
            match account_id {
                Some(id) if user.status == Liveness::Invalid => {
                    verify_token(api, leaked, &Scope::Account(id.to_string()))
                }
                _ => Ok(user),
            }
        }
        LeakedType::GlobalKey => match email {
            Some(email) => verify_key(api, leaked, email),
            None => Ok(Verdict::unknown(
                "a Global API Key is checked with its account email: --email or CLOUDFLARE_EMAIL",
            )),
        },
        other => Ok(Verdict::unknown(format!(
            "no live check for a {} (cfscrub checks API tokens and Global API Keys)",
            other.name()
        ))),
    }
}

fn verify_token(api: &Api, leaked: &Leaked, scope: &Scope) -> Result<Verdict, ApiError> {
    let path = format!("{}/tokens/verify", scope.path());
    let reply: Reply<VerifyResult> = api.call(Method::Get, &path, &[], &leaked.bearer())?;
    let where_ = scope.describe();
    if reply.ok() {
        let result = reply.result.ok_or(ApiError::Malformed(reply.status))?;
        let status = match result.status.as_deref() {
            Some("active") => Liveness::Active,
            Some("disabled") => Liveness::Disabled,
            Some("expired") => Liveness::Expired,
            _ => Liveness::Unknown,
        };
        return Ok(Verdict {
            status,
            why: format!("{where_} verify endpoint answered {}", status.word()),
            token_id: result.id,
            expires_on: result.expires_on,
            scope: Some(scope.clone()),
        });
    }
    let status = if rejected(&reply) {
        Liveness::Invalid
    } else {
        Liveness::Unknown
    };
    Ok(Verdict {
        status,
        why: format!("{where_} verify endpoint: {}", reply.why()),
        token_id: None,
        expires_on: None,
        scope: None,
    })
}

fn verify_key(api: &Api, leaked: &Leaked, email: &str) -> Result<Verdict, ApiError> {
    let auth = Auth::Key {
        email: email.to_string(),
        key: leaked.value.clone(),
    };
    let reply: Reply<serde_json::Value> = api.call(Method::Get, "/client/v4/user", &[], &auth)?;
    let (status, why) = if reply.ok() {
        (
            Liveness::Active,
            "GET /user with the key and email succeeded".to_string(),
        )
    } else if rejected(&reply) {
        (Liveness::Invalid, format!("GET /user: {}", reply.why()))
    } else {
        (Liveness::Unknown, format!("GET /user: {}", reply.why()))
    };
    Ok(Verdict {
        status,
        why,
        token_id: None,
        expires_on: None,
        scope: None,
    })
}

/// What an admin credential can read about a token.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Details {
    /// The token's name.
    #[serde(default)]
    pub name: Option<String>,
    /// `active`, `disabled` or `expired`, as the token's record says.
    #[serde(default)]
    pub status: Option<String>,
    /// When it expires, if it does.
    #[serde(default)]
    pub expires_on: Option<String>,
    /// Created.
    #[serde(default)]
    pub issued_on: Option<String>,
    /// Last used (Cloudflare's own record of use, reads included).
    #[serde(default)]
    pub last_used_on: Option<String>,
    /// Last changed.
    #[serde(default)]
    pub modified_on: Option<String>,
    /// One line per policy: effect, permission groups, resource count.
    #[serde(default, skip_deserializing)]
    pub policies: Vec<String>,
    /// Whether a policy grants API Tokens Write (it could revoke or roll itself).
    #[serde(default, skip_deserializing)]
    pub can_manage_tokens: bool,
}

#[derive(Debug, Deserialize)]
struct RawDetails {
    #[serde(flatten)]
    details: Details,
    #[serde(default)]
    policies: Vec<Policy>,
}

#[derive(Debug, Deserialize)]
struct Policy {
    #[serde(default)]
    effect: String,
    #[serde(default)]
    permission_groups: Vec<Group>,
    #[serde(default)]
    resources: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct Group {
    #[serde(default)]
    name: String,
}

/// Cloudflare refused to show a token's details.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("details not readable: {0}")]
pub struct Unreadable(pub Refusal);

/// Reads a token's details with `admin` (API Tokens Read/Write).
pub fn details(
    api: &Api,
    admin: &Auth,
    scope: &Scope,
    token_id: &str,
) -> Result<Result<Details, Unreadable>, ApiError> {
    let path = format!("{}/tokens/{}", scope.path(), super::checked_id(token_id)?);
    let reply: Reply<RawDetails> = api.call(Method::Get, &path, &[], admin)?;
    if !reply.ok() {
        return Ok(Err(Unreadable(reply.why())));
    }
    let raw = reply.result.ok_or(ApiError::Malformed(reply.status))?;
    let mut d = raw.details;
    for p in &raw.policies {
        let names: Vec<&str> = p
            .permission_groups
            .iter()
            .map(|g| g.name.as_str())
            .collect();
        d.can_manage_tokens |=
            p.effect == "allow" && names.iter().any(|n| n.contains("API Tokens Write"));
        d.policies.push(format!(
            "{}: {} on {} resource(s)",
            if p.effect.is_empty() {
                "allow"
            } else {
                &p.effect
            },
            names.join(", "),
            p.resources.len()
        ));
    }
    Ok(Ok(d))
}
