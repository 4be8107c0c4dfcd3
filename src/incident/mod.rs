//! Floor 6, incident response beyond the bytes: the rotation checklist
//! ([`checklist`]), API error diagnosis ([`diagnose`]), wrangler configs and
//! the permissions their bindings need ([`wrangler`]), vault files
//! ([`vault`]), shell histories ([`history`]) and redacting them
//! ([`history_scrub`]), AI coding agents' transcripts ([`agent_transcripts`]).

pub mod agent_transcripts;
pub mod checklist;
pub mod diagnose;
pub mod history;
pub mod history_scrub;
pub mod vault;
pub mod wrangler;
