//! cfscrub: Cloudflare credential leak containment.
//!
//! The crate is organised as ripgrep is: *detecting* ([`rules`], [`detect`]),
//! *reading* ([`stream`], [`walk`]), and *consuming* (reporters, rewriters,
//! filters) are apart, and meet in the command modules under [`commands`].
//! No module outside [`detect`] sees a secret's bytes after detection:
//! consumers receive [`finding::Finding`]s, which hold a kind, a place and a
//! fingerprint.
#![deny(missing_docs)]

pub mod beneath;
pub mod checklist;
pub mod cleanup;
pub mod cli;
pub mod commands;
pub mod counts;
pub mod detect;
pub mod diagnose;
pub mod fake;
pub mod file_meta;
pub mod finding;
pub mod history;
pub mod live_writers;
pub mod mask;
pub mod method;
pub mod png;
pub mod progress;
pub mod report;
pub mod rewrite;
pub mod rules;
pub mod sanitize;
pub mod secrets;
pub mod sniff;
pub mod sqlite;
pub mod stream;
pub mod text;
pub mod vault;
pub mod walk;
pub mod wrangler;
