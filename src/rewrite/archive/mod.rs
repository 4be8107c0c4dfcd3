//! Redacting containers: compressed streams (gzip, zstd, bzip2, xz), tar
//! and compressed tars, zip, UTF-16 text, and these nested in one another
//! (a `.gz` member of a tar, a tar inside a tar) down to
//! [`Limits::max_depth`](crate::source::container::Limits) layers.
//!
//! A file goes through three passes, each a stream over the file: a
//! *survey* ([`layer`]: every stream decoded and scanned, the
//! [`Trail`] of each one holding a finding recorded), a *write* into a
//! temp file beside it (only the streams on a recorded trail are decoded
//! and rewritten — [`tar`] and [`zip`] copy every other member byte for
//! byte, headers and metadata included), and a *verify*: the temp file
//! surveyed again must hold no finding and read as the original did
//! (the same members not inspected, nothing else). Then the same commit
//! as the rename rewrite: owner, mode, ACL and attributes kept, fsync,
//! rename, directory fsync. A clean file is only read.
//!
//! Memory stays bounded: members stream through; a rewritten tar member,
//! whose new size its header needs before its data, is spooled to
//! memory up to [`spool::IN_MEMORY`] bytes and then to an anonymous temp
//! file ([`spool::Spool`]) holding only redacted bytes.
//!
//! Refused, file untouched: a layer that does not decode (truncated,
//! corrupt, over a limit) on the way to a finding, a credential in a
//! member name, in binary data or raw bytes of content redact does not
//! rewrite, or in a zip inside another container ([`layer::Refused`]).
//! Members that cannot be read (an encrypted zip member, a gzip member
//! over the limits) are copied unchanged and listed as not inspected.

mod layer;
mod refused;
mod spool;
mod tar;
mod zip;

use super::{
    check_writable, io_err, open_error, open_to_replace, Method, Outcome, ReadAt, RewriteError,
    Unsupported,
};
use super::{RewriteOptions, Stamp};
use crate::core::counts::{FileCounts, Replacement};
use crate::core::detect::Detector;
use crate::core::sniff::Opaque;
use crate::rewrite::file_meta::FileMeta;
use crate::source::container::Undecodable;
use crate::source::head::Head;
use layer::Ctx;
use refused::PassError;
pub use refused::Refused;
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// The numbers of the members on the way to a stream, outermost first
/// (`[]`: the file; a compressed layer's content is member 0).
pub type Trail = Vec<u32>;

/// What changes inside a container, and what in it was not inspected.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Inside {
    /// Each stream holding findings: its place (the layers' names,
    /// outermost first, as `scan` shows them) and what it holds.
    pub changed: Vec<(Vec<String>, FileCounts)>,
    /// Each member that could not be read, left as it is: place, reason.
    pub not_inspected: Vec<(Vec<String>, String)>,
}

/// Whether [`redact`] rewrites `format` (a file's outermost layer).
pub fn supports(format: Opaque) -> bool {
    crate::rewrite::recompress::supports(format)
        || matches!(
            format,
            Opaque::Tar | Opaque::Zip | Opaque::Utf16Le | Opaque::Utf16Be
        )
}

/// One pass over `file`, shown as `name`, into `out`.
fn pass(file: &File, name: &str, out: &mut dyn Write, ctx: &mut Ctx) -> refused::Pass {
    let head = Head::read(&mut ReadAt { file, pos: 0 })?;
    if head.opaque() == Some(Opaque::Zip) {
        return zip::layer(file, out, ctx);
    }
    let (mut place, mut trail) = (Vec::new(), Vec::new());
    layer::stream(
        &mut ReadAt { file, pos: 0 },
        out,
        name,
        &mut place,
        &mut trail,
        ctx,
    )
}

/// What surveying a file found.
struct Survey {
    counts: FileCounts,
    refused: Vec<Refused>,
    found: HashSet<Trail>,
    inside: Inside,
}

fn survey(
    file: &File,
    name: &str,
    detector: &Detector,
    replacement: &Replacement,
) -> Result<Survey, RewriteError> {
    let mut ctx = Ctx::new(detector, replacement, None);
    pass(file, name, &mut io::sink(), &mut ctx).map_err(rewrite_error)?;
    Ok(Survey {
        counts: ctx.counts,
        refused: ctx.refused,
        found: ctx.found,
        inside: ctx.inside,
    })
}

/// An error of a pass, for the file's report.
fn rewrite_error(e: PassError) -> RewriteError {
    match e {
        PassError::Refused(refused) => Unsupported::Refused(refused).into(),
        PassError::Io(e) => match Undecodable::of(&e) {
            Some(u) => Unsupported::Undecodable(u.clone()).into(),
            None => RewriteError::Io("cannot read", e),
        },
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Counts what a redaction of the container `path` would replace, and
/// where inside it (the dry run). `replacement` is checked, not written.
pub fn count(
    path: &Path,
    follow: bool,
    detector: &Detector,
    replacement: &Replacement,
) -> Result<(FileCounts, Inside), RewriteError> {
    let (file, _) = crate::source::open::open_regular(path, follow).map_err(open_error)?;
    let s = survey(&file, &file_name(path), detector, replacement)?;
    refusal(&s)?;
    Ok((s.counts, s.inside))
}

/// Redacts the container `path` (see the module docs).
pub fn redact(path: &Path, opts: RewriteOptions) -> Result<Outcome, RewriteError> {
    let (at, file, meta) = open_to_replace(path, &opts)?;
    let before = Stamp::of(&meta);
    let name = file_name(path);
    let found = survey(&file, &name, opts.detector, opts.replacement)?;
    refusal(&found)?;
    if found.counts.total() == 0 {
        return Ok(Outcome {
            counts: found.counts,
            method: Method::Untouched,
            carried_over: 0,
            inside: found.inside,
        });
    }
    check_writable(&meta)?;
    let meta_err = |e: super::file_meta::MetaError| RewriteError::Io(e.what, e.error);
    let kept = FileMeta::read(&file, &meta).map_err(meta_err)?;
    let temp = at
        .dir
        .create_temp()
        .map_err(io_err("cannot create a temp file"))?;
    kept.apply_before_write(temp.file()).map_err(meta_err)?;
    let mut ctx = Ctx::new(opts.detector, opts.replacement, Some(&found.found));
    let mut out = BufWriter::with_capacity(256 * 1024, temp.file());
    pass(&file, &name, &mut out, &mut ctx).map_err(rewrite_error)?;
    out.flush().map_err(io_err("cannot write the temp file"))?;
    drop(out);
    if ctx.counts.total() != found.counts.total() {
        return Err(RewriteError::KeptChanging);
    }
    // Prove the result reads as the original did, and is clean, before
    // it replaces anything.
    let again = survey(temp.file(), &name, opts.detector, opts.replacement)?;
    if again.counts.total() > 0 {
        return Err(RewriteError::Remaining(again.counts.total()));
    }
    if again.inside.not_inspected != found.inside.not_inspected {
        return Err(Unsupported::ReadsDifferently.into());
    }
    let fd = temp.file();
    kept.apply_after_write(fd).map_err(meta_err)?;
    if opts.keep_mtime {
        super::restore_times(fd, &meta)?;
    }
    fd.sync_all().map_err(io_err("cannot sync the temp file"))?;
    let now = file.metadata().map_err(io_err("cannot stat"))?;
    let at_name = at
        .dir
        .identity_of(&at.name)
        .map_err(io_err("cannot stat"))?;
    if Stamp::of(&now) != before || at_name != (before.dev, before.ino) {
        return Err(RewriteError::KeptChanging);
    }
    temp.persist(&at.name)
        .map_err(io_err("cannot rename over the original"))?;
    at.dir.sync().map_err(io_err("cannot sync the directory"))?;
    Ok(Outcome {
        counts: found.counts,
        method: Method::Renamed,
        carried_over: 0,
        inside: found.inside,
    })
}

/// The first reason the survey found for refusing the file.
fn refusal(s: &Survey) -> Result<(), RewriteError> {
    match s.refused.first() {
        Some(why) => Err(Unsupported::Refused(why.clone()).into()),
        None => Ok(()),
    }
}

/// What is still in the container `file` (named `path`), read through
/// every layer: after a rewrite, or in a file redact refused.
pub fn remaining(
    file: &File,
    path: &Path,
    detector: &Detector,
    replacement: &Replacement,
) -> Result<FileCounts, RewriteError> {
    survey(file, &file_name(path), detector, replacement).map(|s| s.counts)
}
