//! Minting the replacement token in one click: dashboard template URLs
//! that pre-fill the token form with the minimal permission set derived
//! from the wrangler config (see Cloudflare's "API token template URLs").
//!
//! Owns the permission → template key table and building the two URLs: a
//! user-owned token (`/profile/api-tokens`, scoped to the config's
//! `account_id` when it names exactly one) and an account-owned token
//! (`?to=/:account/api-tokens`; the dashboard asks for the account). Only
//! keys seen in Cloudflare's documentation or its public template links are
//! used; a permission without a confirmed key is left for the responder to
//! add by hand, and named.

use crate::incident::wrangler::{
    Permission, ACCOUNT_SETTINGS, D1, DNS, KV, PAGES, R2, ROUTES, WORKERS_SCRIPTS, ZONE_READ,
};
use serde::Serialize;

/// Permissions with a confirmed template key: (permission, key).
const KEYS: &[(Permission, &str)] = &[
    (WORKERS_SCRIPTS, "workers_scripts"),
    (KV, "workers_kv_storage"),
    (R2, "workers_r2"),
    (D1, "d1"),
    (PAGES, "page"),
    (ROUTES, "workers_routes"),
    (ZONE_READ, "zone"),
    (DNS, "zone_dns"),
    (ACCOUNT_SETTINGS, "account_settings"),
];

/// The template key of `p`, if confirmed.
pub fn key_of(p: Permission) -> Option<&'static str> {
    KEYS.iter().find(|(q, _)| *q == p).map(|(_, k)| *k)
}

/// The links that mint the new token, and what they leave out.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MintLinks {
    /// A user-owned token.
    pub user_token_url: String,
    /// An account-owned token (needs an account Administrator).
    pub account_token_url: String,
    /// Permissions the links cannot pre-fill: add them in the form.
    pub add_by_hand: Vec<String>,
}

/// The template URLs for `permissions`, scoped to `account_id` (all
/// accounts when `None`), with the token named `name`. `None` when no
/// permission has a key.
pub fn links(
    permissions: &[Permission],
    account_id: Option<&str>,
    name: &str,
) -> Option<MintLinks> {
    let groups: Vec<serde_json::Value> = permissions
        .iter()
        .filter_map(|p| {
            key_of(*p).map(|key| {
                let level = if p.level == "Read" { "read" } else { "edit" };
                serde_json::json!({"key": key, "type": level})
            })
        })
        .collect();
    if groups.is_empty() {
        return None;
    }
    let keys = encode(&serde_json::Value::from(groups).to_string());
    let name = encode(name);
    let account = encode(account_id.unwrap_or("*"));
    Some(MintLinks {
        user_token_url: format!(
            "https://dash.cloudflare.com/profile/api-tokens?permissionGroupKeys={keys}&accountId={account}&zoneId=all&name={name}"
        ),
        account_token_url: format!(
            "https://dash.cloudflare.com/?to=/:account/api-tokens&permissionGroupKeys={keys}&name={name}"
        ),
        add_by_hand: permissions
            .iter()
            .filter(|p| key_of(**p).is_none())
            .map(|p| p.to_string())
            .collect(),
    })
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::wrangler::QUEUES;

    /// Decodes a query parameter of `url`.
    fn param(url: &str, name: &str) -> String {
        let query = url.split_once('?').unwrap().1;
        let value = query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {url}"));
        let bytes = value.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&value[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_user_token_url_decodes_to_the_minimal_keys_and_the_account() {
        let l = links(
            &[D1, R2, WORKERS_SCRIPTS, ACCOUNT_SETTINGS, QUEUES],
            Some("0123456789abcdef0123456789abcdef"),
            "api deploy",
        )
        .unwrap();
        let keys: serde_json::Value =
            serde_json::from_str(&param(&l.user_token_url, "permissionGroupKeys")).unwrap();
        assert_eq!(
            keys,
            serde_json::json!([
                {"key": "d1", "type": "edit"},
                {"key": "workers_r2", "type": "edit"},
                {"key": "workers_scripts", "type": "edit"},
                {"key": "account_settings", "type": "read"},
            ])
        );
        assert_eq!(
            param(&l.user_token_url, "accountId"),
            "0123456789abcdef0123456789abcdef"
        );
        assert_eq!(param(&l.user_token_url, "zoneId"), "all");
        assert_eq!(param(&l.user_token_url, "name"), "api deploy");
        assert!(l
            .account_token_url
            .starts_with("https://dash.cloudflare.com/?to=/:account/api-tokens&"));
        assert_eq!(
            param(&l.account_token_url, "permissionGroupKeys"),
            param(&l.user_token_url, "permissionGroupKeys")
        );
        assert_eq!(l.add_by_hand, ["Account · Workers Queues · Edit"]);
    }

    #[test]
    fn without_an_account_id_every_account_is_offered() {
        let l = links(&[WORKERS_SCRIPTS], None, "x").unwrap();
        assert_eq!(param(&l.user_token_url, "accountId"), "*");
        assert!(links(&[QUEUES], None, "x").is_none());
    }
}
