//! `token audit`: what a token changed, from the account audit log (v2).
//!
//! `GET /client/v4/accounts/{account_id}/logs/audit?since=…&before=…`,
//! following `result_info.cursor` page by page, keeping the entries whose
//! `actor.token_id` is the token's (filtered here: a positive server-side
//! filter is not documented). The audit log records changes, not reads:
//! an empty timeline does not mean the token was never used.

use super::api::{Api, ApiError, Auth, Method, Refusal, Reply};
use super::checked_id;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Most pages followed (of up to [`PAGE_LIMIT`] entries each).
pub const MAX_PAGES: usize = 1000;

/// Entries asked for per page.
pub const PAGE_LIMIT: &str = "1000";

/// Default look-back when `--since` is not given.
pub const DEFAULT_DAYS: u64 = 30;

/// The limit, said plainly wherever a timeline is printed.
pub const LIMIT_NOTE: &str = "the audit log records changes (create, update, delete), not reads: \
an empty timeline does not mean the token was never used; compare last_used_on (token status with an admin credential)";

/// One row of the timeline.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Event {
    /// When.
    pub time: String,
    /// What (`action.type`, or its description).
    pub action: String,
    /// Whether it succeeded (`action.result`).
    pub result: String,
    /// HTTP method.
    pub method: String,
    /// Request URI.
    pub uri: String,
    /// HTTP status.
    pub status: Option<u16>,
    /// Source IP.
    pub source_ip: String,
    /// User agent.
    pub user_agent: String,
}

#[derive(Debug, Deserialize)]
struct Entry {
    #[serde(default)]
    action: Action,
    #[serde(default)]
    actor: Actor,
    #[serde(default)]
    raw: Raw,
}

#[derive(Debug, Default, Deserialize)]
struct Action {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    result: Option<String>,
    #[serde(default)]
    time: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Actor {
    #[serde(default)]
    token_id: Option<String>,
    #[serde(default)]
    ip_address: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Raw {
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    status_code: Option<u16>,
    #[serde(default)]
    uri: Option<String>,
    #[serde(default)]
    user_agent: Option<String>,
}

impl Entry {
    fn event(self) -> Event {
        let s = |o: Option<String>| o.unwrap_or_default();
        Event {
            time: s(self.action.time),
            action: s(self.action.kind.or(self.action.description)),
            result: s(self.action.result),
            method: s(self.raw.method),
            uri: s(self.raw.uri),
            status: self.raw.status_code,
            source_ip: s(self.actor.ip_address),
            user_agent: s(self.raw.user_agent),
        }
    }
}

/// The timeline of `token_id` between `since` and `before` (RFC 3339),
/// or Cloudflare's refusal.
pub fn timeline(
    api: &Api,
    auth: &Auth,
    account_id: &str,
    token_id: &str,
    since: &str,
    before: &str,
) -> Result<Result<Vec<Event>, Refusal>, ApiError> {
    let path = format!("/client/v4/accounts/{}/logs/audit", checked_id(account_id)?);
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut query = vec![("since", since), ("before", before), ("limit", PAGE_LIMIT)];
        if let Some(c) = &cursor {
            query.push(("cursor", c));
        }
        let reply: Reply<Vec<Entry>> = api.call(Method::Get, &path, &query, auth)?;
        if !reply.ok() {
            return Ok(Err(reply.why()));
        }
        events.extend(
            reply
                .result
                .unwrap_or_default()
                .into_iter()
                .filter(|e| e.actor.token_id.as_deref() == Some(token_id))
                .map(Entry::event),
        );
        match reply.result_info.cursor {
            Some(c) if !c.is_empty() && cursor.as_deref() != Some(c.as_str()) => cursor = Some(c),
            _ => break,
        }
    }
    events.sort_by(|a, b| a.time.cmp(&b.time));
    Ok(Ok(events))
}

/// `t` as RFC 3339 in UTC, to the second.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `--since`/`--until`: an RFC 3339 time (`2026-11-01T00:00:00Z`), a date
/// (`2026-11-01`, midnight UTC) or a look-back from now (`30d`, `12h`).
pub fn parse_time(text: &str, now: SystemTime) -> Result<String, String> {
    let back = |n: &str, unit: u64| {
        n.parse::<u64>()
            .ok()
            .and_then(|n| now.checked_sub(Duration::from_secs(n.checked_mul(unit)?)))
            .map(rfc3339)
    };
    let parsed = if let Some(n) = text.strip_suffix('d') {
        back(n, 86_400)
    } else if let Some(n) = text.strip_suffix('h') {
        back(n, 3600)
    } else if text.len() == 10 && is_date(text) {
        Some(format!("{text}T00:00:00Z"))
    } else if text.len() >= 20 && is_date(&text[..10]) && text.as_bytes()[10] == b'T' {
        text[11..]
            .bytes()
            .all(|b| b.is_ascii_digit() || b":.+-Z".contains(&b))
            .then(|| text.to_string())
    } else {
        None
    };
    parsed.ok_or_else(|| {
        "expected an RFC 3339 time (2026-11-01T00:00:00Z), a date (2026-11-01) or a look-back (30d, 12h)"
            .to_string()
    })
}

fn is_date(s: &str) -> bool {
    s.bytes().enumerate().all(|(i, b)| {
        if i == 4 || i == 7 {
            b == b'-'
        } else {
            b.is_ascii_digit()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc() {
        let t = UNIX_EPOCH + Duration::from_secs(1_764_028_800 + 3 * 3600 + 61);
        assert_eq!(rfc3339(t), "2025-11-25T03:01:01Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(parse_time("1d", t).unwrap(), "2025-11-24T03:01:01Z");
        assert_eq!(parse_time("2026-02-01", t).unwrap(), "2026-02-01T00:00:00Z");
        assert_eq!(
            parse_time("2026-02-01T10:00:00+01:00", t).unwrap(),
            "2026-02-01T10:00:00+01:00"
        );
        assert!(parse_time("yesterday", t).is_err());
        assert!(parse_time("2026-02-01T10:00:00&x=1", t).is_err());
    }
}
