//! The rotation checklist: contain, rotate (mint new, never mutate), then
//! delete the leaked credential and record the incident.
//!
//! The content is data ([`Step`]s in [`Section`]s), rendered as Markdown
//! ([`markdown`]) or JSON. Steps that cfscrub performs carry the exact command. The leaked
//! credential's type (from `--secret-from`/`--secret-env`, never printed)
//! tailors the rotate and delete steps; a wrangler config adds the minimal
//! permission set.

use crate::core::rules::{kind_of_bare_value, Kind};
use crate::core::secrets::prefix_len;
use crate::incident::mint::MintLinks;
use crate::incident::wrangler::{Needs, Permission, ACCOUNT_SETTINGS, EDIT_WORKERS_TEMPLATE};
use serde::Serialize;

mod markdown;
pub use markdown::markdown;

/// What kind of credential leaked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeakedType {
    /// `cfut_`.
    UserToken,
    /// `cfat_`.
    AccountToken,
    /// `cfk_` or 37–45 hex.
    GlobalKey,
    /// `cfast_` or 64 hex: an Access service-token client secret.
    ServiceTokenSecret,
    /// An unprefixed 40-character API token.
    LegacyToken,
    /// `cfoat_` / `cfort_`.
    WranglerOauth,
    /// `v1.0-…`.
    OriginCaKey,
    /// None of the known shapes.
    Unknown,
}

impl LeakedType {
    /// Recognises the shape of a leaked value.
    pub fn of(value: &[u8]) -> LeakedType {
        let p = prefix_len(value);
        match &value[..p] {
            b"cfut_" => LeakedType::UserToken,
            b"cfat_" => LeakedType::AccountToken,
            b"cfk_" => LeakedType::GlobalKey,
            b"cfast_" => LeakedType::ServiceTokenSecret,
            b"cfoat_" | b"cfort_" => LeakedType::WranglerOauth,
            _ if value.starts_with(b"v1.0-") => LeakedType::OriginCaKey,
            // The unprefixed shapes, as the rule catalogue has them.
            _ => match kind_of_bare_value(value) {
                Some(Kind::LegacyGlobalKey) => LeakedType::GlobalKey,
                Some(Kind::AccessClientSecret | Kind::R2SecretKey) => {
                    LeakedType::ServiceTokenSecret
                }
                Some(Kind::LegacyApiToken) => LeakedType::LegacyToken,
                _ => LeakedType::Unknown,
            },
        }
    }

    /// A human name.
    pub fn name(self) -> &'static str {
        match self {
            LeakedType::UserToken => "user API token (cfut_)",
            LeakedType::AccountToken => "account API token (cfat_)",
            LeakedType::GlobalKey => "Global API Key",
            LeakedType::ServiceTokenSecret => "Access service-token secret",
            LeakedType::LegacyToken => "legacy API token (unprefixed)",
            LeakedType::WranglerOauth => "wrangler OAuth token",
            LeakedType::OriginCaKey => "Origin CA key",
            LeakedType::Unknown => "credential of unrecognised shape",
        }
    }
}

/// One step of the checklist.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// What to do.
    pub text: String,
    /// The exact command, when there is one to copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// A titled group of steps.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// The title.
    pub title: String,
    /// Its steps.
    pub steps: Vec<Step>,
}

/// A permission line of the minimal set.
#[derive(Debug, Clone, Serialize)]
pub struct PermissionLine {
    /// `Account · D1 · Edit`.
    pub permission: String,
    /// The config keys that need it.
    pub because: String,
    /// Whether the "Edit Cloudflare Workers" template lacks it.
    pub missing_from_edit_workers_template: bool,
}

/// The whole checklist.
#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    /// The leaked credential's types (one per known value), if given.
    pub leaked: Vec<LeakedType>,
    /// The wrangler configs read (shown paths), their needs merged.
    pub configs_read: Vec<String>,
    /// The minimal permission set, if a wrangler config was read.
    pub permissions: Vec<PermissionLine>,
    /// Links that pre-fill the dashboard's token form with that set.
    pub mint: Option<MintLinks>,
    /// The steps.
    pub sections: Vec<Section>,
}

fn step(text: &str) -> Step {
    Step {
        text: text.to_string(),
        command: None,
    }
}

fn cmd(text: &str, command: &str) -> Step {
    Step {
        text: text.to_string(),
        command: Some(command.to_string()),
    }
}

const VAULT: &str = "~/.config/cloudflare/token";

fn verify_step(leaked: &[LeakedType]) -> Step {
    if leaked.contains(&LeakedType::AccountToken) {
        cmd(
            "Verify the new account token with the account endpoint (the user endpoint answers 1000 for account tokens); the header comes from the vault file, not argv",
            &format!("printf 'Authorization: Bearer %s\\n' \"$(cat {VAULT})\" | curl -sS -H @- \"https://api.cloudflare.com/client/v4/accounts/$CLOUDFLARE_ACCOUNT_ID/tokens/verify\""),
        )
    } else {
        cmd(
            "Verify the new token (expect \"status\": \"active\"); the header comes from the vault file, not argv",
            &format!("printf 'Authorization: Bearer %s\\n' \"$(cat {VAULT})\" | curl -sS -H @- https://api.cloudflare.com/client/v4/user/tokens/verify"),
        )
    }
}

fn type_specific(leaked: &[LeakedType]) -> Vec<Step> {
    let mut steps = Vec::new();
    for t in leaked {
        let s = match t {
            LeakedType::GlobalKey => step(
                "A Global API Key leaked: roll it (My Profile → API Tokens → Global API Key → Change). It grants everything the user can do and cannot be scoped: move its users to scoped API tokens.",
            ),
            LeakedType::UserToken | LeakedType::AccountToken | LeakedType::LegacyToken => step(
                "An API token also exposes its R2 S3 secret access key (the SHA-256 of the token): rotating the token is required, not optional; update every S3 client that used it.",
            ),
            LeakedType::ServiceTokenSecret => step(
                "An Access service-token secret leaked: Zero Trust → Access → Service credentials → rotate (refresh) the service token, then update the CF-Access-Client-Secret of every client.",
            ),
            LeakedType::WranglerOauth => cmd(
                "A wrangler OAuth token leaked: revoke the session and log in again on the machine that holds it",
                "npx wrangler logout && npx wrangler login",
            ),
            LeakedType::OriginCaKey => step(
                "An Origin CA key leaked: My Profile → API Tokens → Origin CA Key → Change, then update the tools that issue origin certificates.",
            ),
            LeakedType::Unknown => step(
                "The leaked value has no known Cloudflare shape: rotate it where it was issued all the same.",
            ),
        };
        if !steps.iter().any(|x: &Step| x.text == s.text) {
            steps.push(s);
        }
    }
    steps
}

/// Copies the leak left on hosts beyond this machine: CI logs, git history,
/// and what was done with it meanwhile.
fn hosted_copies() -> Vec<Step> {
    vec![
        cmd(
            "Delete the hosted CI logs that show it: redacting a downloaded copy does not clean GitHub's (list the runs with `gh run list`)",
            "gh run delete RUN_ID",
        ),
        cmd(
            "On GitLab, erase each job that printed it (log and artifacts)",
            "glab api --method POST projects/:id/jobs/JOB_ID/erase",
        ),
        cmd(
            "If it was committed: purge it from every branch, tag, stash and reflog of the git history on a fresh mirror clone (a new commit does not remove it; `cfscrub git redact` rewrites history, rescans every object and prints the force-push steps; `cfscrub checklist --leaked-in git` lists them), then have clones re-cloned",
            "git clone --mirror REPO_URL repo.git && cfscrub git redact --secret-from leaked.txt repo.git",
        ),
        cmd(
            "Review the account's audit log for the exposure window (first leaked copy → deletion): tokens created, members added, Workers, DNS or R2 changes the leaked token made (needs an admin credential: see `cfscrub token audit --help`)",
            "cfscrub token audit --secret-from leaked.txt --account-id ACCOUNT_ID --since 90d",
        ),
    ]
}

/// Builds the checklist.
pub fn build(leaked: &[LeakedType], needs: Option<&Needs>) -> Checklist {
    let mut contain = vec![
        cmd("See every copy (files, logs, histories); nothing is printed but kinds, places and fingerprints", "cfscrub scan --secret-from leaked.txt ."),
        cmd("Redact every copy in place (atomic, permissions kept)", "cfscrub redact --secret-from leaked.txt ."),
        cmd("For a log still being written, a SQLite history or a hard-linked file, overwrite in place", "cfscrub redact --same-length --secret-from leaked.txt /path/to/live.log"),
        cmd("Prove zero remain, 4–8 character prefixes included, without grepping for the value (a grep puts it in your shell history)", "cfscrub verify --secret-from leaked.txt ."),
    ];
    contain.push(cmd(
        "Clean shell and REPL histories (the commands stay, the values go), then follow its advice for shells still open",
        "cfscrub history --secret-from leaked.txt",
    ));
    contain.push(cmd(
        "Keep new ones out of the history at capture time (bash, zsh or fish)",
        "cfscrub history hook bash >> ~/.bashrc",
    ));
    contain.push(cmd(
        "Mask credentials at capture time in CI from now on",
        "cfscrub run --secret-env CLOUDFLARE_API_TOKEN -- npx wrangler deploy",
    ));
    contain.extend(hosted_copies());
    let mut rotate = vec![
        step("If the leak is public (a public repository, CI log, issue or paste): delete the leaked credential FIRST (section 3), then mint — public leaks are harvested within minutes, and an outage is the lesser harm. A private leak: mint first, delete once the new one works."),
        step("Mint a NEW token (dashboard → API Tokens → Create Token; account-owned tokens under Manage Account → API Tokens) with every permission below set at creation. Never edit scopes with PUT /user/tokens/{id}: it replaces the whole policy list and answers success even when scopes were dropped."),
        step("Give it a TTL of 3–6 months and restrict it to the accounts and zones it serves."),
        cmd("Store the new value once, in a mode-0600 vault file (read from stdin without echo)", &format!("cfscrub vault store {VAULT}")),
        verify_step(leaked),
        step("Make one call to the real endpoint it is for (for example a `wrangler deploy --dry-run` or the D1/R2 command your pipeline runs) before trusting it."),
        cmd("Update the CI secret from the vault file (never paste it into chat or an env file)", &format!("gh secret set CLOUDFLARE_API_TOKEN < {VAULT}")),
        step("In CI, pass CLOUDFLARE_ACCOUNT_ID (no account lookup through /memberships) and pin the wrangler version."),
    ];
    rotate.extend(type_specific(leaked));
    let finish = vec![
        step("Only once the new credential works: delete the leaked one (dashboard → API Tokens → ⋯ → Delete). Rolling keeps the token but changes its value; deleting removes it."),
        cmd("Check vault files are mode 0600", &format!("cfscrub vault check {VAULT}")),
        step("Record the incident: where it leaked, when, for how long, the fingerprint cfscrub printed (never the value), and who rotated what."),
    ];
    let needed = needs.map_or_else(Vec::new, |n| {
        let mut perms: Vec<Permission> = n.distinct();
        if !n.account_id_set {
            perms.push(ACCOUNT_SETTINGS);
        }
        perms
    });
    let mint = needs
        .and_then(|n| crate::incident::mint::links(&needed, n.single_account(), "wrangler deploy"));
    let permissions = needs.map_or_else(Vec::new, |n| {
        needed
            .iter()
            .copied()
            .map(|p| PermissionLine {
                permission: p.to_string(),
                because: if p == ACCOUNT_SETTINGS && !n.permissions.iter().any(|(q, _)| *q == p) {
                    "no account_id in the config: wrangler looks the account up (better: set CLOUDFLARE_ACCOUNT_ID)".to_string()
                } else {
                    n.reasons(p)
                },
                missing_from_edit_workers_template: !EDIT_WORKERS_TEMPLATE.contains(&p),
            })
            .collect()
    });
    Checklist {
        leaked: leaked.to_vec(),
        configs_read: Vec::new(),
        permissions,
        mint,
        sections: vec![
            Section {
                title: "1. Contain".into(),
                steps: contain,
            },
            Section {
                title: "2. Rotate: mint a new credential, never mutate the old one".into(),
                steps: rotate,
            },
            Section {
                title: "3. Delete the leaked credential and record the incident".into(),
                steps: finish,
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_shapes() {
        let mut g = crate::fake::FakeGen::new(1);
        assert_eq!(
            LeakedType::of(g.scannable("cfut_", true).as_bytes()),
            LeakedType::UserToken
        );
        assert_eq!(
            LeakedType::of(g.scannable("cfat_", true).as_bytes()),
            LeakedType::AccountToken
        );
        assert_eq!(
            LeakedType::of(g.scannable("cfk_", true).as_bytes()),
            LeakedType::GlobalKey
        );
        assert_eq!(LeakedType::of(g.hex(37).as_bytes()), LeakedType::GlobalKey);
        assert_eq!(
            LeakedType::of(g.legacy_token().as_bytes()),
            LeakedType::LegacyToken
        );
        assert_eq!(
            LeakedType::of(g.origin_ca().as_bytes()),
            LeakedType::OriginCaKey
        );
        assert_eq!(LeakedType::of(b"hello world!"), LeakedType::Unknown);
    }

    #[test]
    fn account_tokens_verify_on_the_account_endpoint() {
        let c = build(&[LeakedType::AccountToken], None);
        let md = markdown(&c);
        assert!(md.contains("/accounts/$CLOUDFLARE_ACCOUNT_ID/tokens/verify"));
        assert!(md.contains("R2 S3 secret"));
        assert!(!md.contains("/user/tokens/verify"));
    }
}
