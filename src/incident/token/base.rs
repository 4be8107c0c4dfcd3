//! Where API requests may go: `https://api.cloudflare.com`, or one
//! override whose host is a loopback IP literal (`127.0.0.0/8`, `[::1]`)
//! for tests and local mirrors. Anything else is refused before a socket is
//! opened, so a hostile config or environment cannot send a credential
//! elsewhere. A host name (even `localhost`) is refused: its resolution is
//! not ours to trust.

use super::api::{ApiError, BaseRefusal};
use std::net::IpAddr;

/// The Cloudflare API origin.
pub const CLOUDFLARE_ORIGIN: &str = "https://api.cloudflare.com";

/// Where requests go: the Cloudflare origin or a loopback override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    origin: String,
    loopback: bool,
}

impl Base {
    /// The real API.
    pub fn cloudflare() -> Base {
        Base {
            origin: CLOUDFLARE_ORIGIN.to_string(),
            loopback: false,
        }
    }

    /// An override: `http(s)://IP[:PORT]` with a loopback IP literal (a
    /// trailing `/` is allowed, no path). Anything else is an error naming
    /// why; no connection is attempted.
    pub fn parse(text: &str) -> Result<Base, ApiError> {
        let refuse = ApiError::BaseRefused;
        let rest = text
            .strip_prefix("http://")
            .or_else(|| text.strip_prefix("https://"))
            .ok_or(refuse(BaseRefusal::Scheme))?;
        let host_port = rest.strip_suffix('/').unwrap_or(rest);
        if host_port.contains(['/', '@', '?', '#']) {
            return Err(refuse(BaseRefusal::NotOrigin));
        }
        let host = if let Some(v6) = host_port.strip_prefix('[') {
            v6.split(']').next().unwrap_or_default()
        } else {
            host_port.split(':').next().unwrap_or_default()
        };
        let port_ok = match host_port.rsplit_once(']').map_or(host_port, |(_, p)| p) {
            p if p.contains(':') => p
                .rsplit(':')
                .next()
                .is_some_and(|n| n.parse::<u16>().is_ok()),
            _ => true,
        };
        match host.parse::<IpAddr>() {
            Ok(ip) if ip.is_loopback() && port_ok => Ok(Base {
                origin: text.trim_end_matches('/').to_string(),
                loopback: true,
            }),
            _ => Err(refuse(BaseRefusal::NotLoopback)),
        }
    }

    /// Whether this is a loopback override (reached without proxy, plain
    /// HTTP allowed).
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }

    /// The origin, without a trailing `/`.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_ip_literals_may_replace_the_origin() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "https://[::1]:443/",
        ] {
            assert!(Base::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://localhost:8080",
            "http://10.0.0.1",
            "https://api.cloudflare.com.evil.example",
            "http://127.0.0.1@evil.example",
            "http://127.0.0.1:80/path",
            "ftp://127.0.0.1",
            "http://127.0.0.1:99999",
            "127.0.0.1:80",
        ] {
            assert!(Base::parse(bad).is_err(), "{bad}");
        }
    }
}
