//! Floor 3, masking: the streaming masker that replaces every finding
//! ([`masker`], behind `filter`, `run` and late appends in `redact`), and
//! safe display of paths and messages with credential shapes and the
//! known-secret registry masked ([`sanitize`]). Everything above prints
//! through here; nothing below calls it.

pub mod masker;
pub mod sanitize;
