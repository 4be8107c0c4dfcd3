//! The compressors of `redact`: a compressed layer (a `.gz`, the gzip of a
//! `.tar.gz`, a `.zst` member of a tar) is decompressed, redacted and
//! recompressed in its own format by [`crate::rewrite::archive`], writing
//! through an [`Encoder`].
//!
//! gzip keeps the first member's name, mtime, comment and OS fields; a
//! multi-member gzip (or multi-frame zstd, multi-stream bzip2/xz) becomes a
//! single one; the compression level is the format's default.

use crate::core::sniff::Opaque;
use std::io::{self, Write};

/// Whether [`Encoder`] writes `format`.
pub fn supports(format: Opaque) -> bool {
    matches!(
        format,
        Opaque::Gzip | Opaque::Zstd | Opaque::Bzip2 | Opaque::Xz
    )
}

/// The compressor writing a new stream, in the original's format.
pub(crate) enum Encoder<W: Write> {
    Gzip(flate2::write::GzEncoder<W>),
    Zstd(zstd::stream::write::Encoder<'static, W>),
    Bzip2(bzip2::write::BzEncoder<W>),
    Xz(liblzma::write::XzEncoder<W>),
}

impl<W: Write> Encoder<W> {
    /// A compressor of `format` writing to `out`; `head`: the first bytes
    /// of the original stream (a gzip header's fields are copied from it).
    pub(crate) fn new(format: Opaque, out: W, head: &[u8]) -> io::Result<Encoder<W>> {
        Ok(match format {
            Opaque::Gzip => {
                let mut builder = flate2::GzBuilder::new();
                let header = flate2::bufread::GzDecoder::new(head);
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

    /// Ends the stream; the writer.
    pub(crate) fn finish(self) -> io::Result<W> {
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
