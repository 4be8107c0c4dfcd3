//! `cfscrub git`: the subcommands on git repositories ([`scan`], [`redact`]).

pub mod redact;
pub mod scan;
