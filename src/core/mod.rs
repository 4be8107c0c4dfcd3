//! Floor 1, the detecting core: what a Cloudflare credential is
//! ([`rules`]), finding it in bytes ([`detect`], [`stream`]), what a
//! detection reports ([`finding`]: never the value), known secrets given
//! by the user ([`secrets`]), what replaces a finding and what was found in
//! a file ([`counts`]), and what kind of content a stream holds
//! ([`sniff`]). Imports only the leaves (`text`, `fake`).

pub mod counts;
pub mod detect;
pub mod finding;
pub mod rules;
pub mod secrets;
pub mod sniff;
pub mod stream;
