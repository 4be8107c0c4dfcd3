//! The checklist as Markdown: sections as task lists, the permission
//! table and the one-click mint links after the rotate section.

use super::Checklist;
use crate::incident::mint::MintLinks;

/// Renders the checklist as Markdown.
pub fn markdown(c: &Checklist) -> String {
    let mut out = String::from("# Cloudflare credential rotation checklist\n\n");
    if !c.configs_read.is_empty() {
        out.push_str(&format!(
            "Wrangler config read: {}{}.\n\n",
            c.configs_read.join(", "),
            if c.configs_read.len() > 1 {
                " (their permissions merged)"
            } else {
                ""
            }
        ));
    }
    if !c.leaked.is_empty() {
        let names: Vec<&str> = c.leaked.iter().map(|t| t.name()).collect();
        out.push_str(&format!(
            "Leaked: {} (value not shown).\n\n",
            names.join(", ")
        ));
    }
    for (i, section) in c.sections.iter().enumerate() {
        out.push_str(&format!("## {}\n\n", section.title));
        for s in &section.steps {
            out.push_str(&format!("- [ ] {}\n", s.text));
            if let Some(command) = &s.command {
                out.push_str(&format!("  ```sh\n  {command}\n  ```\n"));
            }
        }
        out.push('\n');
        if i == 1 && !c.permissions.is_empty() {
            out.push_str("### Permissions the new token needs (from the wrangler config)\n\n");
            out.push_str("| permission | needed for | in \"Edit Cloudflare Workers\" template |\n|---|---|---|\n");
            for p in &c.permissions {
                let mark = if p.missing_from_edit_workers_template {
                    "**no — add it**"
                } else {
                    "yes"
                };
                out.push_str(&format!(
                    "| {} | {} | {} |\n",
                    p.permission, p.because, mark
                ));
            }
            out.push('\n');
            if let Some(m) = &c.mint {
                out.push_str(&mint_markdown(m));
            }
        }
    }
    out
}

fn mint_markdown(m: &MintLinks) -> String {
    let mut out = String::from(
        "### Mint it in one click\n\nThese links open the dashboard's token form with exactly the permissions above (and the config's account, when it names one):\n\n",
    );
    out.push_str(&format!("- user-owned token: <{}>\n", m.user_token_url));
    out.push_str(&format!(
        "- account-owned token (needs an account Administrator): <{}>\n",
        m.account_token_url
    ));
    if !m.add_by_hand.is_empty() {
        out.push_str(&format!(
            "- not pre-filled (no confirmed template key): add {} in the form\n",
            m.add_by_hand.join(", ")
        ));
    }
    out.push('\n');
    out
}
