//! Floor 6, incident response beyond the bytes: the rotation checklist
//! ([`checklist`]), API error diagnosis ([`diagnose`]), wrangler configs and
//! the permissions their bindings need ([`wrangler`]) and the links that
//! mint a token with them ([`mint`]), vault files ([`vault`]), shell
//! histories ([`history`]) and redacting them ([`history_scrub`]), AI coding
//! agents' transcripts ([`agent_transcripts`]), what to do beyond the
//! repository after a git history rewrite ([`git_next_steps`]), live checks
//! of leaked tokens against the Cloudflare API ([`token`], the only network
//! use).

pub mod agent_transcripts;
pub mod checklist;
pub mod diagnose;
pub mod git_next_steps;
pub mod history;
pub mod history_scrub;
pub mod mint;
pub mod token;
pub mod vault;
pub mod wrangler;
