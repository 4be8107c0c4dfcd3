//! Redacting a compressed text file (gzip, zstd, bzip2, xz): decompress →
//! redact → recompress in the same format into a temp file beside it,
//! re-read that temp file (decompressed and scanned: nothing may remain),
//! then the same commit as the rename rewrite — owner, mode, ACL and
//! attributes kept, fsync, rename, directory fsync.
//!
//! The first pass only counts: a clean file is never recompressed. gzip
//! keeps the first member's name, mtime, comment and OS fields; a
//! multi-member gzip (or multi-frame zstd, multi-stream bzip2/xz) becomes a
//! single one; the compression level is the format's default. What the
//! stream holds must be text: a compressed archive (`.tar.gz`) or binary
//! is refused, untouched, as is a stream that cannot be decoded
//! (truncated, corrupt, over the default limits). A file that is growing
//! or held open for writing is refused as the rename rewrite refuses it.

use super::{check_writable, io_err, open_error, Method, Outcome, ReadAt, RewriteError};
use super::{RewriteOptions, Stamp};
use crate::core::counts::FileCounts;
use crate::core::detect::Detector;
use crate::core::sniff::{Content, Opaque};
use crate::core::stream::{Sink, StreamScanner};
use crate::mask::masker::Masker;
use crate::rewrite::file_meta::FileMeta;
use crate::source::beneath::locate;
use crate::source::compressed::Decoded;
use crate::source::container::{Limits, Undecodable};
use crate::source::head::Head;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Whether [`redact`] rewrites `format`.
pub fn supports(format: Opaque) -> bool {
    matches!(
        format,
        Opaque::Gzip | Opaque::Zstd | Opaque::Bzip2 | Opaque::Xz
    )
}

/// Counts what a redaction of the compressed file `path` would replace
/// (the dry run).
pub fn count(
    path: &Path,
    format: Opaque,
    follow: bool,
    detector: &Detector,
) -> Result<FileCounts, RewriteError> {
    let (file, _) = crate::source::open::open_regular(path, follow).map_err(open_error)?;
    let mut counts = FileCounts::default();
    scan_decoded(&file, format, detector, &mut counts)?;
    Ok(counts)
}

/// Scans the text `file` holds, compressed as `format`, into `sink`.
fn scan_decoded(
    file: &File,
    format: Opaque,
    detector: &Detector,
    sink: &mut impl Sink,
) -> Result<(), RewriteError> {
    let raw = ReadAt { file, pos: 0 };
    let mut decoded = Decoded::new(format, raw, &Limits::default(), Vec::new())
        .map_err(io_err("cannot read"))?
        .ok_or(RewriteError::Unsupported(format!(
            "{} is not rewritten",
            format.name()
        )))?;
    let unreadable = |e: io::Error| match Undecodable::of(&e) {
        Some(u) => RewriteError::Unsupported(format!("{}: not rewritten", u.reason)),
        None => RewriteError::Io("cannot read", e),
    };
    let head = Head::read(&mut decoded).map_err(unreadable)?;
    match head.classify() {
        Content::Text => {}
        Content::Opaque(inner) => {
            return Err(RewriteError::Unsupported(format!(
                "{} holding {}: cfscrub does not rewrite that yet; not rewritten",
                format.name(),
                inner.name()
            )))
        }
        Content::Binary(inner) => {
            return Err(RewriteError::Unsupported(format!(
                "{} holding {} data: not rewritten",
                format.name(),
                inner.name()
            )))
        }
    }
    head.scan_with_rest(&mut StreamScanner::new(detector, true), &mut decoded, sink)
        .map(drop)
        .map_err(unreadable)
}

/// The compressor writing the new file, in the original's format.
enum Encoder<W: Write> {
    Gzip(flate2::write::GzEncoder<W>),
    Zstd(zstd::stream::write::Encoder<'static, W>),
    Bzip2(bzip2::write::BzEncoder<W>),
    Xz(liblzma::write::XzEncoder<W>),
}

impl<W: Write> Encoder<W> {
    fn new(format: Opaque, out: W, original: &File) -> io::Result<Encoder<W>> {
        Ok(match format {
            Opaque::Gzip => {
                let mut builder = flate2::GzBuilder::new();
                let header = flate2::bufread::GzDecoder::new(BufReader::new(ReadAt {
                    file: original,
                    pos: 0,
                }));
                if let Some(h) = header.header() {
                    if let Some(name) = h.filename() {
                        builder = builder.filename(name);
                    }
                    if let Some(comment) = h.comment() {
                        builder = builder.comment(comment);
                    }
                    builder = builder
                        .mtime(h.mtime())
                        .operating_system(h.operating_system());
                }
                Encoder::Gzip(builder.write(out, flate2::Compression::default()))
            }
            Opaque::Zstd => Encoder::Zstd(zstd::stream::write::Encoder::new(out, 0)?),
            Opaque::Bzip2 => Encoder::Bzip2(bzip2::write::BzEncoder::new(
                out,
                bzip2::Compression::default(),
            )),
            Opaque::Xz => Encoder::Xz(liblzma::write::XzEncoder::new(out, 6)),
            _ => return Err(io::Error::other("not a format recompress writes")),
        })
    }

    fn finish(self) -> io::Result<W> {
        match self {
            Encoder::Gzip(e) => e.finish(),
            Encoder::Zstd(e) => e.finish(),
            Encoder::Bzip2(e) => e.finish(),
            Encoder::Xz(e) => e.finish(),
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Encoder::Gzip(e) => e.write(buf),
            Encoder::Zstd(e) => e.write(buf),
            Encoder::Bzip2(e) => e.write(buf),
            Encoder::Xz(e) => e.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::Gzip(e) => e.flush(),
            Encoder::Zstd(e) => e.flush(),
            Encoder::Bzip2(e) => e.flush(),
            Encoder::Xz(e) => e.flush(),
        }
    }
}

/// Redacts the compressed text file `path` (see the module docs).
pub fn redact(path: &Path, format: Opaque, opts: RewriteOptions) -> Result<Outcome, RewriteError> {
    let at = locate(path, opts.roots, opts.follow)?;
    let (file, meta) = at.dir.open_file(&at.name, false).map_err(open_error)?;
    if meta.nlink() > 1 {
        return Err(RewriteError::HardLinked(meta.nlink()));
    }
    if let Some(writer) = opts.live_writers.writer_of(meta.dev(), meta.ino()) {
        return Err(RewriteError::LiveWriter(writer.clone()));
    }
    let before = Stamp::of(&meta);
    let mut counts = FileCounts::default();
    scan_decoded(&file, format, opts.detector, &mut counts)?;
    if counts.total() == 0 {
        return Ok(Outcome {
            counts,
            method: Method::Untouched,
            carried_over: 0,
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
    let encoder = Encoder::new(format, BufWriter::new(temp.file()), &file)
        .map_err(io_err("cannot write the temp file"))?;
    let mut masker = Masker::new(encoder, opts.replacement);
    scan_decoded(&file, format, opts.detector, &mut masker)?;
    let (encoder, written) = masker.into_parts();
    encoder
        .finish()
        .and_then(|mut w| w.flush())
        .map_err(io_err("cannot write the temp file"))?;
    if written.total() != counts.total() {
        return Err(RewriteError::KeptChanging);
    }
    // Prove the result decodes and is clean before it replaces anything.
    let mut left = FileCounts::default();
    scan_decoded(temp.file(), format, opts.detector, &mut left)?;
    if left.total() > 0 {
        return Err(RewriteError::Remaining(left.total()));
    }
    let fd = temp.file();
    kept.apply_after_write(fd).map_err(meta_err)?;
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
        counts,
        method: Method::Renamed,
        carried_over: 0,
    })
}
