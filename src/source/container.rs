//! The seam between containers and the scanner: whatever a file holds —
//! plain bytes, a compressed stream, a compressed stream inside another —
//! is handed to a [`Visit`] as decoded streams, each with its *place*: the
//! names of the layers it sits in, outermost first (`["app.log.2"]` for
//! the text of `app.log.2.gz`; empty for a plain file). Offsets, lines and
//! columns are counted inside the innermost stream.
//!
//! [`walk`] reads each stream's head ([`Head`]), and when it names a
//! compressed format ([`compressed::supports`]) decodes it and walks the
//! decoded text in turn, down to [`Limits::max_depth`] layers; an archive
//! ([`archive::supports`]) is walked member by member; UTF-16 text is
//! narrowed to one byte per code unit ([`Narrowed`]) and scanned as the
//! same stream (no layer of its own). What cannot
//! be read — corrupt, truncated, over a limit, nested too deep — is handed
//! to [`Visit::not_inspected`] with its place and the reason, and the walk
//! goes on with the next file; an error of the file itself is returned.
//! Nothing is ever written to disk.
//!
//! Long because of its unit tests, which sit beside the code they test.

use crate::core::sniff::Opaque;
use crate::core::stream::Flow;
use crate::source::archive;
use crate::source::compressed::{self, Decoded};
use crate::source::head::Head;
use crate::source::utf16::{self, Narrowed};
use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

/// Bounds against decompression bombs and hostile archives. Generous by
/// default; over a limit, the stream is not inspected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes a decoded stream may hold.
    pub max_member_bytes: u64,
    /// Most bytes out per byte in, checked once a stream is past
    /// [`compressed::RATIO_FLOOR`]. Deflate tops out near 1032 (and the
    /// decoders read ahead), so the default of 500 stops a gzip of zeros
    /// within its first 32 MB; real logs compress 5- to 50-fold.
    pub max_ratio: u64,
    /// Most containers nested in one another (`a.tar.gz` is two).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_member_bytes: 64 << 30,
            max_ratio: 500,
            max_depth: 4,
        }
    }
}

/// Why a container layer could not be read to its end, and which layer.
/// `Debug` shows the reason only: a member name in the place may hold a
/// credential.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Undecodable {
    /// The layer's place (see the module documentation).
    pub place: Vec<String>,
    /// `gzip: truncated`, `zstd: expands more than 1000-fold (--max-ratio)`.
    pub reason: String,
}

impl std::fmt::Debug for Undecodable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Undecodable")
            .field("reason", &self.reason)
            .finish_non_exhaustive()
    }
}

impl Undecodable {
    /// As an I/O error, so that it travels through readers.
    pub fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self)
    }

    /// The [`Undecodable`] an I/O error carries, if any.
    pub fn of(e: &io::Error) -> Option<&Undecodable> {
        e.get_ref()?.downcast_ref()
    }
}

/// A reader that counts the bytes read through it and remembers whether
/// the reader under it failed (a file error, or an outer layer's
/// [`Undecodable`]): a decoder's error is this layer's fault only when
/// its source did not fail first.
pub(crate) struct Watched<R> {
    inner: R,
    /// Bytes read so far.
    pub(crate) read: Rc<Cell<u64>>,
    /// Whether `inner` returned an error.
    pub(crate) failed: Rc<Cell<bool>>,
}

impl<R> Watched<R> {
    pub(crate) fn new(inner: R) -> Watched<R> {
        Watched {
            inner,
            read: Rc::default(),
            failed: Rc::default(),
        }
    }
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.read.set(self.read.get() + n as u64);
                Ok(n)
            }
            Err(e) => {
                if e.kind() != io::ErrorKind::Interrupted {
                    self.failed.set(true);
                }
                Err(e)
            }
        }
    }
}

/// A zip member's reader: its own errors (a bad checksum, corrupt data)
/// are this member's [`Undecodable`], reason prefixed with `format`;
/// errors of the archive's source pass through as they came. It holds
/// the member to the [`Limits`] as [`Decoded`] does, against the
/// compressed size the archive gives.
pub(crate) struct Blamed<'f, R> {
    pub(crate) inner: R,
    pub(crate) place: Vec<String>,
    pub(crate) format: &'static str,
    pub(crate) source_failed: &'f Cell<bool>,
    pub(crate) limits: Limits,
    pub(crate) compressed: u64,
    pub(crate) out: u64,
}

impl<R> Blamed<'_, R> {
    fn undecodable(&self, reason: String) -> io::Error {
        Undecodable {
            place: self.place.clone(),
            reason: format!("{}: {reason}", self.format),
        }
        .into_io()
    }
}

impl<R: Read> Read for Blamed<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e)
                if e.kind() == io::ErrorKind::Interrupted
                    || self.source_failed.get()
                    || Undecodable::of(&e).is_some() =>
            {
                return Err(e)
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
        if self.out > compressed::RATIO_FLOOR
            && self.out / self.compressed.max(1) >= self.limits.max_ratio
        {
            return Err(self.undecodable(format!(
                "expands more than {}-fold (--max-ratio)",
                self.limits.max_ratio
            )));
        }
        Ok(n)
    }
}

/// What receives the streams of a file.
pub trait Visit {
    /// A stream to scan: its already-read `head`, then `rest`. Content the
    /// walk does not decode is handed here too; `head.opaque()` names it.
    /// [`Flow::Stop`]: the walk ends here (the visitor's reader went away).
    fn stream(&mut self, place: &[String], head: &Head, rest: &mut dyn Read) -> io::Result<Flow>;

    /// A layer that could not be read, and why.
    fn not_inspected(&mut self, place: &[String], reason: &str);

    /// The name of an archive member, whose place is `place` (the
    /// archive's, then the member's name): scanned like a stream, since a
    /// name can hold a credential too. [`Flow::Stop`] ends the walk.
    fn member_name(&mut self, place: &[String], name: &[u8]) -> io::Result<Flow>;
}

/// Walks `reader`, the content of a file shown as `name`, into `visit`.
///
/// # Errors
/// When `reader` fails, or `visit` does; never for a container that cannot
/// be read (that goes to [`Visit::not_inspected`]).
pub fn walk(
    reader: &mut dyn Read,
    name: &str,
    limits: &Limits,
    visit: &mut dyn Visit,
) -> io::Result<Flow> {
    walk_at(reader, name, &mut Vec::new(), limits, visit)
}

pub(crate) fn walk_at(
    reader: &mut dyn Read,
    name: &str,
    place: &mut Vec<String>,
    limits: &Limits,
    visit: &mut dyn Visit,
) -> io::Result<Flow> {
    let head = Head::read(&mut &mut *reader)?;
    match head.opaque() {
        Some(format) if compressed::supports(format) => {
            decode_layer(format, &head, reader, name, place, limits, visit)
        }
        Some(format) if archive::supports(format) => {
            if place.len() >= limits.max_depth {
                visit.not_inspected(place, &too_deep(format, limits));
                return Ok(Flow::Continue);
            }
            archive::walk(format, head.bytes().chain(reader), place, limits, visit)
        }
        Some(format @ (Opaque::Utf16Le | Opaque::Utf16Be))
            if utf16::mostly_ascii(head.bytes(), format == Opaque::Utf16Be) =>
        {
            let bom = usize::from(matches!(head.bytes(), [0xff, 0xfe, ..] | [0xfe, 0xff, ..])) * 2;
            let raw = (&head.bytes()[bom..]).chain(reader);
            let mut narrowed = Narrowed::new(raw, format == Opaque::Utf16Be);
            let head = Head::read(&mut narrowed)?;
            visit.stream(place, &head, &mut narrowed)
        }
        _ => visit.stream(place, &head, reader),
    }
}

fn too_deep(format: Opaque, limits: &Limits) -> String {
    format!(
        "{}: nested more than {} deep (--max-depth)",
        format.name(),
        limits.max_depth
    )
}

/// Runs `walk` for a layer whose place has `depth` names: an
/// [`Undecodable`] of this layer or one inside it becomes a note to
/// `visit`; one of an outer layer goes on up.
pub(crate) fn catching(
    depth: usize,
    visit: &mut dyn Visit,
    result: io::Result<Flow>,
) -> io::Result<Flow> {
    match result {
        Err(e) => match Undecodable::of(&e) {
            Some(u) if u.place.len() >= depth => {
                visit.not_inspected(&u.place, &u.reason);
                Ok(Flow::Continue)
            }
            _ => Err(e),
        },
        Ok(flow) => Ok(flow),
    }
}

fn decode_layer(
    format: Opaque,
    head: &Head,
    rest: &mut dyn Read,
    name: &str,
    place: &mut Vec<String>,
    limits: &Limits,
    visit: &mut dyn Visit,
) -> io::Result<Flow> {
    if place.len() >= limits.max_depth {
        visit.not_inspected(place, &too_deep(format, limits));
        return Ok(Flow::Continue);
    }
    let inner = compressed::inner_name(name, format);
    place.push(inner.clone());
    let depth = place.len();
    let raw = head.bytes().chain(rest);
    let result = match Decoded::new(format, raw, limits, place.clone()) {
        Ok(Some(mut decoded)) => walk_at(&mut decoded, &inner, place, limits, visit),
        Ok(None) => unreachable!("compressed::supports said yes"),
        Err(e) => Err(Undecodable {
            place: place.clone(),
            reason: format!("{}: {e}", format.name()),
        }
        .into_io()),
    };
    place.pop();
    catching(depth, visit, result)
}

/// A [`Visit`] that records everything, for the tests of the container
/// readers.
#[cfg(test)]
pub(crate) mod recorded {
    use super::*;

    /// What a walk handed over: streams with their bytes, member names'
    /// places, and what was not inspected.
    #[derive(Default)]
    pub(crate) struct Seen {
        pub streams: Vec<(Vec<String>, Vec<u8>)>,
        pub names: Vec<Vec<String>>,
        pub not_inspected: Vec<(Vec<String>, String)>,
    }

    impl Visit for Seen {
        fn stream(
            &mut self,
            place: &[String],
            head: &Head,
            rest: &mut dyn Read,
        ) -> io::Result<Flow> {
            let mut data = head.bytes().to_vec();
            rest.read_to_end(&mut data)?;
            self.streams.push((place.to_vec(), data));
            Ok(Flow::Continue)
        }
        fn not_inspected(&mut self, place: &[String], reason: &str) {
            self.not_inspected.push((place.to_vec(), reason.into()));
        }
        fn member_name(&mut self, place: &[String], _: &[u8]) -> io::Result<Flow> {
            self.names.push(place.to_vec());
            Ok(Flow::Continue)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::recorded::Seen;
    use super::*;
    use std::io::Write;

    #[test]
    fn debug_shows_the_reason_not_the_place_a_credential_may_be_in() {
        let token = crate::fake::FakeGen::new(9).scannable("cfut_", true);
        let e = Undecodable {
            place: vec!["a.tar".into(), format!("{token}.gz")],
            reason: "gzip: truncated".into(),
        };
        let shown = format!("{e:?} {:?}", e.clone().into_io());
        assert!(!shown.contains(&token[..12]), "Debug shows the member name");
        assert!(shown.contains("gzip: truncated"));
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn walked(data: &[u8], name: &str, limits: &Limits) -> Seen {
        let mut seen = Seen::default();
        walk(&mut &data[..], name, limits, &mut seen).unwrap();
        seen
    }

    #[test]
    fn plain_bytes_are_one_stream_without_a_place() {
        let seen = walked(b"hello\n", "a.log", &Limits::default());
        assert_eq!(seen.streams, [(vec![], b"hello\n".to_vec())]);
    }

    #[test]
    fn nested_layers_are_named_outermost_first() {
        let zst = zstd::encode_all(&gzip(b"deep text\n")[..], 3).unwrap();
        let seen = walked(&zst, "logs/a.log.gz.zst", &Limits::default());
        assert_eq!(
            seen.streams,
            [(
                vec!["a.log.gz".into(), "a.log".into()],
                b"deep text\n".to_vec()
            )]
        );
    }

    #[test]
    fn nesting_past_the_depth_limit_is_not_inspected() {
        let twice = gzip(&gzip(b"text\n"));
        let limits = Limits {
            max_depth: 1,
            ..Limits::default()
        };
        let seen = walked(&twice, "x.gz.gz", &limits);
        assert!(seen.streams.is_empty());
        assert_eq!(
            seen.not_inspected,
            [(
                vec!["x.gz".into()],
                "gzip: nested more than 1 deep (--max-depth)".into()
            )]
        );
    }

    #[test]
    fn a_corrupt_outer_layer_is_reported_at_its_own_place() {
        let inner: Vec<u8> = (0..100_000u32).flat_map(|i| i.to_be_bytes()).collect();
        let mut outer = gzip(&gzip(&inner));
        let cut = outer.len() * 2 / 3;
        outer.truncate(cut);
        let seen = walked(&outer, "x.gz.gz", &Limits::default());
        assert_eq!(seen.not_inspected.len(), 1, "{:?}", seen.not_inspected);
        assert_eq!(seen.not_inspected[0].0, ["x.gz"]);
        assert!(seen.not_inspected[0].1.starts_with("gzip: "));
    }
}
