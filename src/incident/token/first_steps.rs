//! What `checklist --live` puts before everything else: the live status of
//! each leaked credential and, when one is still active, "revoke now" (or
//! roll, when the deploy must keep running) before any minting.

use super::api::ApiError;
use super::status::{Liveness, Verdict};
use super::Leaked;
use crate::incident::checklist::{LeakedType, Section, Step};
use crate::mask::sanitize::mask_text;

/// The first section of the checklist for these verdicts (or the errors
/// of the checks), one per leaked credential.
pub fn section(checked: &[(&Leaked, Result<Verdict, ApiError>)]) -> Section {
    let live = checked
        .iter()
        .any(|(_, v)| matches!(v, Ok(v) if v.status == Liveness::Active));
    let mut steps: Vec<Step> = checked
        .iter()
        .map(|(l, v)| Step {
            text: match v {
                Ok(v) => format!(
                    "{} {}: {} ({})",
                    l.kind.name(),
                    l.shown(),
                    v.status.word().to_uppercase(),
                    mask_text(&v.why)
                ),
                Err(e) => format!(
                    "{} {}: live check failed: {}",
                    l.kind.name(),
                    l.shown(),
                    mask_text(&e.to_string())
                ),
            },
            command: None,
        })
        .collect();
    if live {
        let key = checked.iter().any(|(l, v)| {
            l.kind == LeakedType::GlobalKey && matches!(v, Ok(v) if v.status == Liveness::Active)
        });
        steps.push(Step {
            text: "It is LIVE. If it leaked publicly (a public repository, a public CI log, a paste), revoke it NOW, before minting anything: anyone may already be using it".to_string(),
            command: Some("cfscrub token revoke --secret-from leaked.txt".to_string()),
        });
        steps.push(Step {
            text: "If the deploy must keep running, roll it instead: a new value with the same permissions, straight into a vault file; the leaked value stops working at once".to_string(),
            command: Some(
                "cfscrub token roll --secret-from leaked.txt --vault ~/.config/cloudflare/token"
                    .to_string(),
            ),
        });
        if key {
            steps.push(Step {
                text: "A live Global API Key cannot be revoked through the API: change it now (My Profile → API Tokens → Global API Key → Change)".to_string(),
                command: None,
            });
        }
        steps.push(Step {
            text: "See what it changed (the audit log records changes, not reads)".to_string(),
            command: Some("cfscrub token audit --secret-from leaked.txt --since 90d".to_string()),
        });
    }
    Section {
        title: if live {
            "Live now: revoke first".to_string()
        } else {
            "Live status (Cloudflare)".to_string()
        },
        steps,
    }
}
