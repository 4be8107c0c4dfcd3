//! `cfscrub token` (and `checklist --live`) on the command line: the raw
//! flags and their resolution into [`TokenOptions`] / [`ApiOptions`]. The
//! API base URL and the ids that go into URL paths are checked here,
//! before anything is read or sent.

use super::flags::SecretArgs;
use super::resolve::{secret_sources, SecretSources};
use anyhow::{Context, Result};
use cfscrub::incident::token::api::{Base, Timeouts};
use cfscrub::incident::token::{audit, checked_id};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// `cfscrub token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: TokenAction,
}

/// Where and how to reach the Cloudflare API (`token`, `checklist --live`).
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// Send requests to this loopback origin (`http://127.0.0.1:PORT`, tests
    /// and local mirrors) instead of https://api.cloudflare.com; any other
    /// host is refused before anything is sent.
    #[arg(long, value_name = "URL", env = "CFSCRUB_API_BASE")]
    pub api_base: Option<String>,
    /// Refuse all network use.
    #[arg(long)]
    pub offline: bool,
    /// The account id (account tokens, audit log).
    #[arg(long, value_name = "ID", env = "CLOUDFLARE_ACCOUNT_ID")]
    pub account_id: Option<String>,
    /// The account email, to check a Global API Key.
    #[arg(long, value_name = "EMAIL", env = "CLOUDFLARE_EMAIL")]
    pub email: Option<String>,
    /// Total time allowed per request, in seconds (connecting: at most 10).
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,
}

/// Options of every `token` subcommand: the API, ids, the admin credential.
#[derive(Debug, Args)]
pub struct LiveArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub api: ApiArgs,
    /// A wrangler config to take `account_id` from (default: wrangler.jsonc,
    /// wrangler.json, wrangler.toml here, if present).
    #[arg(long, value_name = "PATH")]
    pub wrangler: Option<PathBuf>,
    /// Read the admin credential (a token with API Tokens Write or Account
    /// API Tokens Write) from FILE (`-` = stdin, without echo on a terminal).
    #[arg(long = "admin-secret-from", value_name = "FILE")]
    pub admin_secret_from: Option<PathBuf>,
    /// Take the admin credential from the environment variable VAR.
    #[arg(
        long = "admin-secret-env",
        value_name = "VAR",
        conflicts_with = "admin_secret_from"
    )]
    pub admin_secret_env: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LiveFormat::Human)]
    pub format: LiveFormat,
}

/// Output of the `token` subcommands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LiveFormat {
    /// Lines for people.
    Human,
    /// JSON Lines: one object per credential or event.
    Json,
}

/// Which token: found in files, given as a secret, or by id.
#[derive(Debug, Args)]
pub struct WhichToken {
    /// Files or directories to scan for leaked credentials (same engine as `scan`).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub secrets: SecretArgs,
}

/// A token id, or the leaked credential to find it from.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The token's id; an R2 access key id is the same id.
    #[arg(long, value_name = "ID", visible_alias = "r2-access-key-id")]
    pub id: Option<String>,
    /// With --id: the token is account-owned (needs the account id).
    #[arg(long, requires = "id")]
    pub account_owned: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub which: WhichToken,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub live: LiveArgs,
}

/// The `token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Is each leaked credential (or the token --id, read with the admin
    /// credential) live? Exit 0 none live, 1 some live, 2 error.
    Status {
        #[command(flatten)]
        #[allow(missing_docs)]
        target: TargetArgs,
    },
    /// Give the token a new value with the same permissions, stored in a vault file.
    Roll {
        #[command(flatten)]
        #[allow(missing_docs)]
        target: TargetArgs,
        /// The vault file that receives the new value (mode 0600, atomic).
        #[arg(long, value_name = "PATH")]
        vault: PathBuf,
        /// Replace an existing vault file.
        #[arg(long)]
        force: bool,
    },
    /// Delete the token (asks on a terminal; `--yes` otherwise).
    Revoke {
        #[command(flatten)]
        #[allow(missing_docs)]
        target: TargetArgs,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// What the token changed, from the account audit log.
    Audit {
        #[command(flatten)]
        #[allow(missing_docs)]
        target: TargetArgs,
        /// Start: RFC 3339, a date, or a look-back like 30d (default: 30d).
        #[arg(long, value_name = "T", default_value = "30d")]
        since: String,
        /// End: RFC 3339, a date, or a look-back (default: now).
        #[arg(long, value_name = "T")]
        until: Option<String>,
    },
}

/// Where and how to reach the Cloudflare API, checked.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// The Cloudflare API or a loopback override (already checked).
    pub base: Base,
    /// Refuse all network use.
    pub offline: bool,
    /// The account id (checked: it goes into URL paths).
    pub account_id: Option<String>,
    /// The account email for a Global API Key.
    pub email: Option<String>,
    /// Connect and total timeouts.
    pub timeouts: Timeouts,
}

/// Where the admin credential comes from.
#[derive(Debug)]
pub enum AdminSource {
    /// `--admin-secret-from FILE` (`-` = standard input).
    File(PathBuf),
    /// `--admin-secret-env VAR`.
    Env(String),
}

/// Which token a change or an audit is about.
#[derive(Debug)]
pub struct Target {
    /// `--id` (checked), else the one leaked credential's id through verify.
    pub id: Option<String>,
    /// With `id`: the token is account-owned.
    pub account_owned: bool,
}

/// What `token` does.
#[derive(Debug)]
pub enum TokenRun {
    /// `status`.
    Status {
        /// `--id`: also look this token up (needs the admin credential).
        target: Target,
    },
    /// `roll`.
    Roll {
        /// Which token.
        target: Target,
        /// The vault file for the new value.
        vault: PathBuf,
        /// Replace an existing vault file.
        force: bool,
    },
    /// `revoke`.
    Revoke {
        /// Which token.
        target: Target,
        /// Skip the confirmation.
        yes: bool,
    },
    /// `audit`.
    Audit {
        /// Which token.
        target: Target,
        /// Start, RFC 3339.
        since: String,
        /// End, RFC 3339.
        before: String,
    },
}

/// `token`, resolved.
#[derive(Debug)]
pub struct TokenOptions {
    /// What to do.
    pub run: TokenRun,
    /// Files or directories to scan for leaked credentials.
    pub paths: Vec<PathBuf>,
    /// Leaked values given.
    pub secrets: SecretSources,
    /// The admin credential, if any.
    pub admin: Option<AdminSource>,
    /// The API.
    pub api: ApiOptions,
    /// A wrangler config for the account id.
    pub wrangler: Option<PathBuf>,
    /// Output format.
    pub format: LiveFormat,
}

/// Checks the API flags: the base URL (refused unless Cloudflare or a
/// loopback IP) and the account id.
pub fn api_options(a: ApiArgs) -> Result<ApiOptions> {
    let base = match &a.api_base {
        Some(url) => Base::parse(url).context("--api-base")?,
        None => Base::cloudflare(),
    };
    if let Some(id) = &a.account_id {
        checked_id(id).context("--account-id")?;
    }
    Ok(ApiOptions {
        base,
        offline: a.offline,
        account_id: a.account_id,
        email: a.email,
        timeouts: Timeouts {
            connect: Duration::from_secs(a.timeout.min(10)),
            total: Duration::from_secs(a.timeout),
        },
    })
}

fn target(t: &TargetArgs) -> Result<Target> {
    if let Some(id) = &t.id {
        checked_id(id).context("--id")?;
    }
    Ok(Target {
        id: t.id.clone(),
        account_owned: t.account_owned,
    })
}

/// Resolves `cfscrub token …`.
pub fn resolve_token(a: TokenArgs) -> Result<TokenOptions> {
    let (which, live, run) = match a.action {
        TokenAction::Status { target: t } => {
            let run = TokenRun::Status {
                target: target(&t)?,
            };
            (t.which, t.live, run)
        }
        TokenAction::Roll {
            target: t,
            vault,
            force,
        } => {
            let run = TokenRun::Roll {
                target: target(&t)?,
                vault,
                force,
            };
            (t.which, t.live, run)
        }
        TokenAction::Revoke { target: t, yes } => {
            let run = TokenRun::Revoke {
                target: target(&t)?,
                yes,
            };
            (t.which, t.live, run)
        }
        TokenAction::Audit {
            target: t,
            since,
            until,
        } => {
            let now = SystemTime::now();
            let since = audit::parse_time(&since, now)
                .map_err(anyhow::Error::msg)
                .context("--since")?;
            let before = match until {
                Some(u) => audit::parse_time(&u, now)
                    .map_err(anyhow::Error::msg)
                    .context("--until")?,
                None => audit::rfc3339(now),
            };
            let run = TokenRun::Audit {
                target: target(&t)?,
                since,
                before,
            };
            (t.which, t.live, run)
        }
    };
    let admin = match (live.admin_secret_from, live.admin_secret_env) {
        (Some(p), _) => Some(AdminSource::File(p)),
        (None, Some(v)) => Some(AdminSource::Env(v)),
        (None, None) => None,
    };
    let admin_stdin = matches!(&admin, Some(AdminSource::File(p)) if p.as_os_str() == "-")
        .then_some("--admin-secret-from -");
    if which.paths.iter().any(|p| p.as_os_str() == "-") {
        anyhow::bail!(
            "token reads files, not standard input: use --secret-from - for a value on stdin"
        );
    }
    Ok(TokenOptions {
        run,
        paths: which.paths,
        secrets: secret_sources(which.secrets, admin_stdin)?,
        admin,
        api: api_options(live.api)?,
        wrangler: live.wrangler,
        format: live.format,
    })
}
