//! cfscrub: Cloudflare credential leak containment.
//!
//! The crate is built in floors; each imports only its own floor and those
//! below (`scripts/check-layers.py` checks it in CI, DESIGN.md explains it):
//! leaves ([`text`], [`console`], [`fake`], [`sys`]); the detecting [`core`];
//! where bytes come from ([`source`]); masking ([`mask`]); changing files
//! ([`rewrite`]); output ([`report`]); incident response beyond the bytes
//! ([`incident`]) and the user's settings file ([`config`]). The command
//! line (flags, resolved options, one module per subcommand) is the
//! binary's (`src/main.rs`), not the library's.
//! No module outside [`core::detect`] sees a secret's bytes after
//! detection: consumers receive [`core::finding::Finding`]s, which hold a
//! kind, a place and a fingerprint.
#![deny(missing_docs)]
// Printing goes through `console`, which never panics on a closed stream.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod config;
pub mod console;
pub mod core;
pub mod fake;
pub mod incident;
pub mod mask;
pub mod report;
pub mod rewrite;
pub mod source;
pub mod sys;
pub mod text;
