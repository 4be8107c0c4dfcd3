//! The one HTTP client of cfscrub: calls to the Cloudflare API for the
//! `token` subcommands, and nothing else.
//!
//! * **Where.** Only `https://api.cloudflare.com` with certificate
//!   verification (rustls, webpki roots; `HTTPS_PROXY`/`NO_PROXY` honoured).
//!   [`Base::parse`] accepts one override, an `http(s)://` origin whose host
//!   is a loopback IP literal (`127.0.0.0/8`, `[::1]`), for tests and local
//!   mirrors; anything else is refused before a socket is opened, so a
//!   hostile config or environment cannot send a credential elsewhere.
//!   Redirects are never followed (they could carry the header away).
//! * **What.** A credential ([`Auth`]) travels only in the `Authorization`
//!   or `X-Auth-Key` header, never in a URL, a log line or an error; its
//!   `Debug` withholds it. Bodies are read into wiped buffers.
//! * **How.** Connect and total timeouts; up to [`ATTEMPTS`] attempts with
//!   backoff on 429 (honouring `Retry-After`, at most [`MAX_RETRY_AFTER`])
//!   and on 5xx; replies parsed as the API's envelope ([`Reply`]).

pub use super::base::{Base, CLOUDFLARE_ORIGIN};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::fmt;
use std::time::Duration;
use zeroize::Zeroizing;

/// Attempts per request (the first and the retries).
pub const ATTEMPTS: u32 = 4;

/// Longest `Retry-After` waited for; a longer one fails the request.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Largest reply body read (the audit log pages are the largest replies).
const MAX_BODY: u64 = 8 << 20;

/// A credential for one request. Its `Debug` never shows the value.
pub enum Auth {
    /// An API token: `Authorization: Bearer …`.
    Bearer(Zeroizing<String>),
    /// A Global API Key with its account email: `X-Auth-Email`, `X-Auth-Key`.
    Key {
        /// The account's email (not secret).
        email: String,
        /// The key.
        key: Zeroizing<String>,
    },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Bearer(_) => f.write_str("Auth::Bearer(<withheld>)"),
            Auth::Key { .. } => f.write_str("Auth::Key(<withheld>)"),
        }
    }
}

/// One entry of an envelope's `errors`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct ApiMessage {
    /// The error code (`1000`, `9103`, ...).
    #[serde(default)]
    pub code: i64,
    /// Cloudflare's text.
    #[serde(default)]
    pub message: String,
}

/// `result_info`: paging.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResultInfo {
    /// The cursor of the next page (audit logs v2); empty or absent at the end.
    #[serde(default)]
    pub cursor: Option<String>,
}

#[derive(Deserialize)]
struct Envelope<T> {
    #[serde(default)]
    success: bool,
    #[serde(default)]
    errors: Vec<ApiMessage>,
    #[serde(default = "none")]
    result: Option<T>,
    #[serde(default)]
    result_info: Option<ResultInfo>,
}

fn none<T>() -> Option<T> {
    None
}

/// A parsed reply: the HTTP status and the envelope.
#[derive(Debug)]
pub struct Reply<T> {
    /// HTTP status.
    pub status: u16,
    /// The envelope's `success`.
    pub success: bool,
    /// The envelope's `errors`.
    pub errors: Vec<ApiMessage>,
    /// The envelope's `result`.
    pub result: Option<T>,
    /// The envelope's `result_info`.
    pub result_info: ResultInfo,
}

impl<T> Reply<T> {
    /// Why the call was refused: the first error, or the HTTP status.
    pub fn why(&self) -> Refusal {
        match self.errors.first() {
            Some(e) => Refusal::Coded {
                code: e.code,
                message: e.message.clone(),
            },
            None => Refusal::Status(self.status),
        }
    }

    /// Whether the call succeeded (2xx and `success: true`).
    pub fn ok(&self) -> bool {
        self.success && (200..300).contains(&self.status)
    }
}

/// Cloudflare's refusal of a call. The message is Cloudflare's own text
/// (masked where it is printed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The first error of the reply's envelope.
    #[error("Cloudflare code {code} ({message})")]
    Coded {
        /// The error code (`1000`, `9103`, ...).
        code: i64,
        /// Cloudflare's text.
        message: String,
    },
    /// No error in the envelope: the HTTP status.
    #[error("HTTP {0}")]
    Status(u16),
}

/// Why an API base URL override was refused (nothing is sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BaseRefusal {
    /// Not `http://` or `https://`.
    #[error("it must start with http:// or https://")]
    Scheme,
    /// A user, path or query.
    #[error("it must be an origin (no user, path or query)")]
    NotOrigin,
    /// Not a loopback IP literal (with a valid port).
    #[error(
        "only https://api.cloudflare.com or a loopback IP address (127.0.0.1, [::1]) is allowed"
    )]
    NotLoopback,
}

/// Why a call failed. Never holds a credential: only statuses, codes,
/// and the transport's own description (which names the host, not headers).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// `--offline` was given.
    #[error("--offline: no request sent")]
    Offline,
    /// The base URL override was refused.
    #[error("API base URL refused, nothing sent: {0}")]
    BaseRefused(BaseRefusal),
    /// Connecting, sending or receiving failed (timeouts included).
    #[error("network error talking to the Cloudflare API: {}", describe(.0))]
    Network(ureq::Error),
    /// Still 429 after every attempt, or a `Retry-After` too long to wait.
    #[error("{}", rate_limited(*.0))]
    RateLimited(Option<u64>),
    /// Still 5xx after every attempt.
    #[error("the Cloudflare API answered HTTP {} after {} attempts", .0, ATTEMPTS)]
    Server(u16),
    /// The reply was not the API's JSON envelope.
    #[error("the Cloudflare API's reply (HTTP {0}) is not the expected JSON envelope")]
    Malformed(u16),
    /// A token or account id that could change the URL's path.
    #[error(
        "an id (token, account) must be 1 to 64 letters, digits, - or _: refused, nothing sent"
    )]
    BadId,
}

fn rate_limited(retry_after: Option<u64>) -> String {
    match retry_after {
        Some(s) => {
            format!("rate limited by the Cloudflare API (429, retry after {s} s); try again later")
        }
        None => format!(
            "rate limited by the Cloudflare API (429) after {ATTEMPTS} attempts; try again later"
        ),
    }
}

/// HTTP methods used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Read.
    Get,
    /// Roll a token's value (body `{}`).
    Put,
    /// Delete a token.
    Delete,
}

/// Timeouts of every request.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Establishing the connection (TCP and TLS).
    pub connect: Duration,
    /// The whole request, reply included.
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(10),
            total: Duration::from_secs(30),
        }
    }
}

/// The client. `None` inside means `--offline`.
pub struct Api {
    inner: Option<(ureq::Agent, Base)>,
    backoff: Duration,
}

impl Api {
    /// A client for `base`, or one that refuses everything when `offline`.
    pub fn new(base: Base, timeouts: Timeouts, offline: bool) -> Api {
        if offline {
            return Api {
                inner: None,
                backoff: Duration::ZERO,
            };
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .https_only(!base.is_loopback())
            // A loopback mirror is reached directly, never through a proxy.
            .proxy(if base.is_loopback() {
                None
            } else {
                ureq::Proxy::try_from_env()
            })
            .timeout_connect(Some(timeouts.connect))
            .timeout_global(Some(timeouts.total))
            .user_agent(concat!("cfscrub/", env!("CARGO_PKG_VERSION")))
            .build();
        Api {
            inner: Some((ureq::Agent::new_with_config(config), base)),
            backoff: Duration::from_millis(500),
        }
    }

    /// Sends one request to `path` (beginning `/client/v4/`), retrying on
    /// 429 and 5xx, and parses the envelope. Any HTTP status with a JSON
    /// envelope is a [`Reply`]; the caller decides what a 401 means.
    pub fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        auth: &Auth,
    ) -> Result<Reply<T>, ApiError> {
        let (agent, base) = self.inner.as_ref().ok_or(ApiError::Offline)?;
        let url = format!("{}{path}", base.origin());
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut response = send(agent, method, &url, query, auth).map_err(ApiError::Network)?;
            let status = response.status().as_u16();
            if status == 429 || status >= 500 {
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                if attempt >= ATTEMPTS {
                    return Err(if status == 429 {
                        ApiError::RateLimited(retry_after)
                    } else {
                        ApiError::Server(status)
                    });
                }
                let wait = match retry_after {
                    Some(s) if Duration::from_secs(s) > MAX_RETRY_AFTER => {
                        return Err(ApiError::RateLimited(Some(s)))
                    }
                    Some(s) if status == 429 => Duration::from_secs(s),
                    _ => self.backoff * 2u32.pow(attempt - 1),
                };
                std::thread::sleep(wait);
                continue;
            }
            let body = Zeroizing::new(
                response
                    .body_mut()
                    .with_config()
                    .limit(MAX_BODY)
                    .read_to_string()
                    .map_err(ApiError::Network)?,
            );
            let envelope: Envelope<T> =
                serde_json::from_str(&body).map_err(|_| ApiError::Malformed(status))?;
            return Ok(Reply {
                status,
                success: envelope.success,
                errors: envelope.errors,
                result: envelope.result,
                result_info: envelope.result_info.unwrap_or_default(),
            });
        }
    }
}

fn send(
    agent: &ureq::Agent,
    method: Method,
    url: &str,
    query: &[(&str, &str)],
    auth: &Auth,
) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    macro_rules! authed {
        ($req:expr) => {{
            let req = $req.query_pairs(query.iter().copied());
            match auth {
                Auth::Bearer(token) => {
                    let value = Zeroizing::new(format!("Bearer {}", token.as_str()));
                    req.header("Authorization", value.as_str())
                }
                Auth::Key { email, key } => req
                    .header("X-Auth-Email", email.as_str())
                    .header("X-Auth-Key", key.as_str()),
            }
        }};
    }
    match method {
        Method::Get => authed!(agent.get(url)).call(),
        Method::Delete => authed!(agent.delete(url)).call(),
        // Rolling sends an empty object: never a policy list.
        Method::Put => authed!(agent.put(url))
            .header("Content-Type", "application/json")
            .send("{}"),
    }
}

/// The transport error in words; ureq's messages name the host and the
/// failure, never a header.
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::HostNotFound => "host not found".to_string(),
        ureq::Error::ConnectionFailed => "connection failed".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_debug_withholds_the_value() {
        let t = crate::fake::FakeGen::new(3).scannable("cfut_", true);
        let shown = format!("{:?}", Auth::Bearer(Zeroizing::new(t.clone())));
        assert!(!shown.contains(&t[..10]));
    }

    #[test]
    fn a_refusal_reads_as_cloudflare_said_it() {
        let coded = Refusal::Coded {
            code: 1000,
            message: "Invalid API Token".into(),
        };
        assert_eq!(
            coded.to_string(),
            "Cloudflare code 1000 (Invalid API Token)"
        );
        assert_eq!(Refusal::Status(403).to_string(), "HTTP 403");
        assert_eq!(
            ApiError::BaseRefused(BaseRefusal::Scheme).to_string(),
            "API base URL refused, nothing sent: it must start with http:// or https://"
        );
    }

    #[test]
    fn offline_refuses_every_call() {
        let api = Api::new(Base::cloudflare(), Timeouts::default(), true);
        let auth = Auth::Bearer(Zeroizing::new(String::from("x")));
        let r = api.call::<serde_json::Value>(Method::Get, "/client/v4/user", &[], &auth);
        assert!(matches!(r, Err(ApiError::Offline)));
    }
}
