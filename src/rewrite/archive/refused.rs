//! Why a pass over a container stops short: the typed error of the walk
//! in [`super::layer`], [`super::tar`] and [`super::zip`]. A [`Refused`]
//! is content redact will not rewrite; the survey notes it and walks on,
//! and the file is then refused, untouched.

use super::layer::shown;
use crate::core::sniff::{Binary, Opaque};
use std::io;

/// Why a pass over a container stopped: content redact refuses to
/// rewrite (the whole file is left untouched), or an I/O error — which
/// is also how an [`Undecodable`] layer travels up from the readers.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PassError {
    /// See [`Refused`].
    #[error(transparent)]
    Refused(#[from] Refused),
    /// Reading or writing failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The result of a pass over one stream.
pub(crate) type Pass<T = ()> = Result<T, PassError>;

/// Content in a container that redact cannot rewrite: the file is
/// refused, untouched. Places are shown as `scan` shows them (masked by
/// whoever prints them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// A member name holding a credential.
    #[error(
        "the name of member {} holds a credential (names are not rewritten; \
         rotate the credential and rebuild the archive)",
        shown(.place)
    )]
    MemberName {
        /// The member.
        place: Vec<String>,
    },
    /// Credentials in the raw bytes of content redact does not rewrite.
    #[error(
        "{} holds credentials in its raw bytes, and cfscrub does not rewrite {} content",
        shown(.place),
        .format.name()
    )]
    RawBytes {
        /// The stream.
        place: Vec<String>,
        /// Its format (7z, lzma, zlib, ...).
        format: Opaque,
    },
    /// Credentials in binary data inside a container.
    #[error(
        "{} holds {} data with credentials: not rewritten inside a container",
        shown(.place),
        .binary.name()
    )]
    BinaryData {
        /// The stream.
        place: Vec<String>,
        /// What it holds.
        binary: Binary,
    },
    /// Credentials in a zip inside another container.
    #[error(
        "{} holds credentials (in {}): cfscrub does not rewrite a zip inside another container",
        shown(.place),
        shown(.at)
    )]
    NestedZip {
        /// The zip.
        place: Vec<String>,
        /// The first place in it holding one.
        at: Vec<String>,
    },
    /// A rewritten tar member whose data was not read to its end.
    #[error("tar member {} was not read to its end", shown(.place))]
    TarMemberUnread {
        /// The member.
        place: Vec<String>,
    },
    /// Zip members sharing bytes.
    #[error("zip: overlapping members")]
    ZipOverlap,
    /// A new size or offset too large for the zip's 32-bit fields.
    #[error("zip: would need zip64 fields")]
    ZipNeedsZip64,
    /// A zip member compressed with a method other than stored or deflate.
    #[error("zip member {name} is compressed with method {method}, which redact does not write")]
    ZipMethod {
        /// The member's name.
        name: String,
        /// Its compression method.
        method: u16,
    },
}
