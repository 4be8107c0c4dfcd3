//! Compressed streams: gzip (every member, as `zcat` reads them), zstd
//! (every frame), bzip2 (every stream), xz (every stream), legacy lzma and
//! raw zlib, decoded by their crates (`flate2` on `zlib-rs`, `zstd`,
//! `bzip2`, `liblzma`) as a plain [`Read`] of the text they hold.
//!
//! A [`Decoded`] stream enforces the [`Limits`] against bombs as it goes:
//! at most [`Limits::max_member_bytes`] out, and at most
//! [`Limits::max_ratio`] bytes out per byte in (once past
//! [`RATIO_FLOOR`]). A corrupt or truncated stream, or one over a limit,
//! fails its read with an [`Undecodable`] error naming the layer and the
//! reason; a failure of the underlying file passes through as it came, so
//! the caller can tell "cannot read this container" (not inspected) from
//! "cannot read this file" (an error).

use crate::core::sniff::Opaque;
use crate::source::container::{Limits, Undecodable, Watched};
use std::cell::Cell;
use std::io::{self, BufReader, Read};
use std::rc::Rc;

/// Output below which the expansion ratio is not checked: a tiny file
/// of one repeated line may expand far more than a real bomb ratio
/// without being one.
pub const RATIO_FLOOR: u64 = 1 << 20;

/// Whether [`Decoded`] can read `format`.
pub fn supports(format: Opaque) -> bool {
    matches!(
        format,
        Opaque::Gzip | Opaque::Zstd | Opaque::Bzip2 | Opaque::Xz | Opaque::Lzma | Opaque::Zlib
    )
}

/// The name of what a compressed file holds: its own name without the
/// format's suffix (`app.log.2.gz` → `app.log.2`, `logs.tgz` →
/// `logs.tar`), or `<gzip>` when the name has no such suffix.
pub fn inner_name(outer: &str, format: Opaque) -> String {
    let base = outer.rsplit('/').next().unwrap_or(outer);
    let suffixes: &[(&str, &str)] = match format {
        Opaque::Gzip => &[(".gz", ""), (".tgz", ".tar"), (".z", ""), (".Z", "")],
        Opaque::Zstd => &[(".zst", ""), (".zstd", ""), (".tzst", ".tar")],
        Opaque::Bzip2 => &[(".bz2", ""), (".tbz2", ".tar"), (".tbz", ".tar")],
        Opaque::Xz => &[(".xz", ""), (".txz", ".tar")],
        Opaque::Lzma => &[(".lzma", ""), (".tlz", ".tar")],
        _ => &[],
    };
    for (suffix, replacement) in suffixes {
        if let Some(stem) = base.strip_suffix(suffix) {
            if !stem.is_empty() {
                return format!("{stem}{replacement}");
            }
        }
    }
    format!("<{}>", format.name())
}

/// The text a compressed stream holds, within the [`Limits`].
pub struct Decoded<'a> {
    decoder: Box<dyn Read + 'a>,
    format: Opaque,
    place: Vec<String>,
    limits: Limits,
    read_in: Rc<Cell<u64>>,
    source_failed: Rc<Cell<bool>>,
    out: u64,
}

impl<'a> Decoded<'a> {
    /// Decodes `raw` (the whole compressed stream, from its first byte) as
    /// `format`; `place` names this layer in errors. `None` when `format`
    /// is not one [`supports`] reads.
    pub fn new(
        format: Opaque,
        raw: impl Read + 'a,
        limits: &Limits,
        place: Vec<String>,
    ) -> io::Result<Option<Decoded<'a>>> {
        let raw = Watched::new(raw);
        let (read_in, source_failed) = (Rc::clone(&raw.read), Rc::clone(&raw.failed));
        let decoder: Box<dyn Read + 'a> = match format {
            Opaque::Gzip => Box::new(flate2::read::MultiGzDecoder::new(raw)),
            Opaque::Zlib => Box::new(flate2::read::ZlibDecoder::new(raw)),
            Opaque::Zstd => {
                let mut d = zstd::stream::read::Decoder::with_buffer(BufReader::new(raw))?;
                // Frames with a window over 128 MiB (zstd --long=31) are
                // refused by the decoder: its memory stays bounded.
                d.window_log_max(27)?;
                Box::new(d)
            }
            Opaque::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(raw)),
            Opaque::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(raw)),
            Opaque::Lzma => {
                let stream = liblzma::stream::Stream::new_lzma_decoder(256 << 20)
                    .map_err(io::Error::other)?;
                Box::new(liblzma::read::XzDecoder::new_stream(raw, stream))
            }
            _ => return Ok(None),
        };
        Ok(Some(Decoded {
            decoder,
            format,
            place,
            limits: *limits,
            read_in,
            source_failed,
            out: 0,
        }))
    }

    fn undecodable(&self, reason: String) -> io::Error {
        Undecodable {
            place: self.place.clone(),
            reason: format!("{}: {reason}", self.format.name()),
        }
        .into_io()
    }
}

impl Read for Decoded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.decoder.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(e) if self.source_failed.get() || Undecodable::of(&e).is_some() => return Err(e),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(self.undecodable("truncated".into()))
            }
            Err(e) => return Err(self.undecodable(format!("corrupt ({e})"))),
        };
        self.out += n as u64;
        if self.out > self.limits.max_member_bytes {
            return Err(self.undecodable(format!(
                "expands past the limit of {} bytes (--max-member-size)",
                self.limits.max_member_bytes
            )));
        }
        let read_in = self.read_in.get().max(1);
        if self.out > RATIO_FLOOR && self.out / read_in >= self.limits.max_ratio {
            return Err(self.undecodable(format!(
                "expands more than {}-fold (--max-ratio)",
                self.limits.max_ratio
            )));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn decode_all(format: Opaque, raw: &[u8], limits: &Limits) -> io::Result<Vec<u8>> {
        let mut d = Decoded::new(format, raw, limits, vec!["x".into()])?.unwrap();
        let mut out = Vec::new();
        d.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn inner_names_drop_the_suffix() {
        assert_eq!(inner_name("logs/app.log.2.gz", Opaque::Gzip), "app.log.2");
        assert_eq!(inner_name("b.tgz", Opaque::Gzip), "b.tar");
        assert_eq!(inner_name("b.tar.zst", Opaque::Zstd), "b.tar");
        assert_eq!(inner_name("data", Opaque::Xz), "<xz>");
        assert_eq!(inner_name(".gz", Opaque::Gzip), "<gzip>");
    }

    #[test]
    fn every_gzip_member_is_read() {
        let mut two = gzip(b"first member\n");
        two.extend(gzip(b"second member\n"));
        let out = decode_all(Opaque::Gzip, &two, &Limits::default()).unwrap();
        assert_eq!(out, b"first member\nsecond member\n");
    }

    #[test]
    fn a_truncated_stream_is_undecodable_with_its_place() {
        let data: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let gz = gzip(&data);
        let err = decode_all(Opaque::Gzip, &gz[..gz.len() / 2], &Limits::default()).unwrap_err();
        let u = Undecodable::of(&err).expect("undecodable");
        assert_eq!(u.place, ["x"]);
        assert!(u.reason.starts_with("gzip: "), "{}", u.reason);
    }

    #[test]
    fn limits_stop_a_bomb_early() {
        let gz = gzip(&vec![0u8; 8 << 20]);
        let ratio = Limits {
            max_ratio: 100,
            ..Limits::default()
        };
        let err = decode_all(Opaque::Gzip, &gz, &ratio).unwrap_err();
        assert!(Undecodable::of(&err)
            .unwrap()
            .reason
            .contains("--max-ratio"));
        let small = Limits {
            max_member_bytes: 1000,
            max_ratio: u64::MAX,
            ..Limits::default()
        };
        let err = decode_all(Opaque::Gzip, &gzip(&[b'a'; 5000]), &small).unwrap_err();
        assert!(Undecodable::of(&err)
            .unwrap()
            .reason
            .contains("--max-member-size"));
    }

    #[test]
    fn a_file_error_is_not_undecodable() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        let mut d = Decoded::new(Opaque::Gzip, Failing, &Limits::default(), vec![])
            .unwrap()
            .unwrap();
        let err = d.read(&mut [0; 16]).unwrap_err();
        assert!(Undecodable::of(&err).is_none());
    }
}
