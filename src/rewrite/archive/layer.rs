//! One stream of a container being redacted, whatever it holds: its head
//! is sniffed ([`Head`]) as the scan's walker sniffs it
//! ([`crate::source::container`]), and it is handed on — a compressed
//! stream decoded, redacted and recompressed in its format
//! ([`Encoder`]), a tar walked member by member ([`super::tar`]), UTF-16
//! re-encoded ([`crate::rewrite::utf16`]), text masked ([`Masker`]).
//!
//! The same code runs twice over a file: first to *survey* it (nothing is
//! written; every stream is read and scanned, and the [`Trail`] of each
//! one holding a finding is recorded), then to *write* it (only the
//! members on a recorded trail are read and rewritten; every other member
//! is copied byte for byte, never decoded). Both passes see the same
//! structure, so the member numbers of a trail match.
//!
//! Long because the dispatch and the rules of both passes — what is
//! read, noted, refused or copied — belong together, with the pass state
//! ([`Ctx`]); the refusals themselves are [`super::refused`]'s.

use super::refused::{Pass, PassError, Refused};
use super::{Inside, Trail};
use crate::core::counts::{FileCounts, Replacement};
use crate::core::detect::Detector;
use crate::core::sniff::{Content, Opaque};
use crate::core::stream::{Flow, StreamScanner};
use crate::mask::masker::Masker;
use crate::rewrite::recompress::{self, Encoder};
use crate::source::compressed::{self, Decoded};
use crate::source::container::{Limits, Undecodable};
use crate::source::head::Head;
use crate::source::utf16::mostly_ascii;
use std::collections::HashSet;
use std::io::{self, Read, Write};

/// The state of one pass over a file.
pub(crate) struct Ctx<'a> {
    pub(crate) detector: &'a Detector,
    pub(crate) replacement: &'a Replacement,
    pub(crate) limits: Limits,
    /// `None` while surveying; when writing, the trails to rewrite.
    pub(crate) dirty: Option<&'a HashSet<Trail>>,
    /// Surveying: the trails of the streams holding a finding, and every
    /// container on their way.
    pub(crate) found: HashSet<Trail>,
    /// What changes (or would) inside, and what was not inspected.
    pub(crate) inside: Inside,
    /// Every finding of the pass.
    pub(crate) counts: FileCounts,
    /// Surveying: why members holding findings cannot be rewritten.
    pub(crate) refused: Vec<Refused>,
}

impl<'a> Ctx<'a> {
    /// A survey (`dirty`: `None`) or a writing pass.
    pub(crate) fn new(
        detector: &'a Detector,
        replacement: &'a Replacement,
        dirty: Option<&'a HashSet<Trail>>,
    ) -> Ctx<'a> {
        Ctx {
            detector,
            replacement,
            limits: Limits::default(),
            dirty,
            found: HashSet::new(),
            inside: Inside::default(),
            counts: FileCounts::default(),
            refused: Vec::new(),
        }
    }

    /// Whether this pass writes.
    pub(crate) fn writing(&self) -> bool {
        self.dirty.is_some()
    }

    /// Whether the member at `trail` is read: always while surveying, only
    /// when it holds a finding while writing.
    pub(crate) fn wanted(&self, trail: &Trail) -> bool {
        self.dirty.is_none_or(|d| d.contains(trail))
    }

    /// What one stream at `place`/`trail` held.
    fn record(&mut self, place: &[String], trail: &Trail, counts: FileCounts) {
        if counts.total() == 0 {
            return;
        }
        for end in 0..=trail.len() {
            self.found.insert(trail[..end].to_vec());
        }
        self.add(&counts);
        self.counts.lines.extend(&counts.lines);
        self.inside.changed.push((place.to_vec(), counts));
    }

    fn add(&mut self, counts: &FileCounts) {
        for (kind, n) in &counts.by_kind {
            *self.counts.by_kind.entry(*kind).or_default() += n;
        }
    }

    /// Findings at `place` that cannot be rewritten: counted (they stay),
    /// and the file refused with `why`.
    fn unrewritable(&mut self, counts: &FileCounts, why: Refused) -> PassError {
        self.add(counts);
        self.counts.lines.extend(&counts.lines);
        why.into()
    }

    /// A member name: scanned, and refused if it holds a credential (a
    /// name is not rewritten).
    pub(crate) fn member_name(&mut self, place: &[String], name: &[u8]) -> Pass {
        let mut counts = FileCounts::default();
        for f in crate::core::stream::scan_bytes(self.detector, name) {
            counts.add(&f);
        }
        if counts.total() == 0 {
            return Ok(());
        }
        Err(self.unrewritable(
            &counts,
            Refused::MemberName {
                place: place.to_vec(),
            },
        ))
    }

    /// Runs a member's pass: while surveying, an [`Undecodable`] of the
    /// member (or inside it) is noted as not inspected, a [`Refused`]
    /// member noted, and the walk goes on; when writing, every error
    /// stops the file.
    pub(crate) fn catching(&mut self, depth: usize, result: Pass) -> Pass {
        match result {
            Err(PassError::Refused(why)) if !self.writing() => {
                self.refused.push(why);
                Ok(())
            }
            Err(PassError::Io(e)) if !self.writing() => match Undecodable::of(&e) {
                Some(u) if u.place.len() >= depth => {
                    self.inside
                        .not_inspected
                        .push((u.place.clone(), u.reason.clone()));
                    Ok(())
                }
                _ => Err(e.into()),
            },
            other => other,
        }
    }

    /// Notes `place` as not inspected, with why.
    pub(crate) fn not_inspected(&mut self, place: &[String], reason: String) {
        self.inside.not_inspected.push((place.to_vec(), reason));
    }
}

/// A place as the scan shows it, `a.tar!logs/app.log` (masked by whoever
/// prints it).
pub(crate) fn shown(place: &[String]) -> String {
    place.join("!")
}

/// One stream, `input` from its first byte, named `name`, at `place` (its
/// layers' names) and `trail` (its members' numbers): surveyed, or
/// rewritten into `out`.
pub(crate) fn stream(
    input: &mut dyn Read,
    out: &mut dyn Write,
    name: &str,
    place: &mut Vec<String>,
    trail: &mut Trail,
    ctx: &mut Ctx,
) -> Pass {
    let head = Head::read(&mut &mut *input)?;
    match head.classify() {
        Content::Opaque(format) if recompress::supports(format) => {
            too_deep(format, place, ctx)?;
            compressed(format, &head, input, out, name, place, trail, ctx)
        }
        Content::Opaque(Opaque::Tar) => {
            too_deep(Opaque::Tar, place, ctx)?;
            super::tar::layer(&mut head.bytes().chain(input), out, place, trail, ctx)
        }
        Content::Opaque(format @ (Opaque::Utf16Le | Opaque::Utf16Be))
            if mostly_ascii(head.bytes(), format == Opaque::Utf16Be) =>
        {
            let big_endian = format == Opaque::Utf16Be;
            let counts = crate::rewrite::utf16::layer(
                head.bytes(),
                input,
                big_endian,
                ctx.writing().then_some(&mut *out),
                ctx.detector,
                ctx.replacement,
            )
            .map_err(|e| blame(e, place, format))?;
            ctx.record(place, trail, counts);
            Ok(())
        }
        Content::Opaque(Opaque::Zip) => nested_zip(&head, input, out, place, ctx),
        Content::Opaque(format) => {
            // 7z, lzma, zlib, UTF-16 that does not look like text: not
            // read by scan either; its raw bytes go through unchanged.
            let counts = raw_scan(&head, input, out, ctx)?;
            if counts.total() > 0 {
                return Err(ctx.unrewritable(
                    &counts,
                    Refused::RawBytes {
                        place: place.clone(),
                        format,
                    },
                ));
            }
            if !ctx.writing() {
                ctx.not_inspected(place, format.name().to_string());
            }
            Ok(())
        }
        Content::Binary(b) => {
            let counts = raw_scan(&head, input, out, ctx)?;
            if counts.total() > 0 {
                return Err(ctx.unrewritable(
                    &counts,
                    Refused::BinaryData {
                        place: place.clone(),
                        binary: b,
                    },
                ));
            }
            Ok(())
        }
        Content::Text => {
            let mut scanner = StreamScanner::new(ctx.detector, true);
            let counts = if ctx.writing() {
                let mut masker = Masker::new(&mut *out, ctx.replacement);
                head.scan_with_rest(&mut scanner, &mut &mut *input, &mut masker)?;
                masker.into_parts().1
            } else {
                let mut counts = FileCounts::default();
                head.scan_with_rest(&mut scanner, &mut &mut *input, &mut counts)?;
                counts
            };
            ctx.record(place, trail, counts);
            Ok(())
        }
    }
}

/// A zip inside another layer (a tar member, a gzip): its members cannot
/// be copied raw without seeking, so redact does not rewrite it. While
/// surveying it is read as scan reads it; a finding in it refuses the
/// file. When writing it is copied byte for byte.
fn nested_zip(
    head: &Head,
    input: &mut dyn Read,
    out: &mut dyn Write,
    place: &[String],
    ctx: &mut Ctx,
) -> Pass {
    if ctx.writing() {
        out.write_all(head.bytes())?;
        return Ok(io::copy(input, out).map(drop)?);
    }
    let mut seen = Seen {
        detector: ctx.detector,
        counts: FileCounts::default(),
        found: Vec::new(),
        not_inspected: Vec::new(),
    };
    let mut raw = head.bytes().chain(input);
    let mut inner = place.to_vec();
    crate::source::archive::walk(Opaque::Zip, &mut raw, &mut inner, &ctx.limits, &mut seen)?;
    if let Some(at) = seen.found.first() {
        let why = Refused::NestedZip {
            place: place.to_vec(),
            at: at.clone(),
        };
        return Err(ctx.unrewritable(&seen.counts, why));
    }
    ctx.inside.not_inspected.extend(seen.not_inspected);
    Ok(())
}

/// What scan would find in a nested zip.
struct Seen<'d> {
    detector: &'d Detector,
    counts: FileCounts,
    found: Vec<Vec<String>>,
    not_inspected: Vec<(Vec<String>, String)>,
}

impl crate::source::container::Visit for Seen<'_> {
    fn stream(&mut self, place: &[String], head: &Head, rest: &mut dyn Read) -> io::Result<Flow> {
        let mut counts = FileCounts::default();
        let mut scanner = StreamScanner::new(self.detector, true);
        head.scan_with_rest(&mut scanner, &mut &mut *rest, &mut counts)?;
        if counts.total() > 0 {
            self.found.push(place.to_vec());
            for (kind, n) in counts.by_kind {
                *self.counts.by_kind.entry(kind).or_default() += n;
            }
            self.counts.lines.extend(counts.lines);
        }
        if let Some(format) = head.opaque() {
            self.not_inspected
                .push((place.to_vec(), format.name().to_string()));
        }
        Ok(Flow::Continue)
    }

    fn not_inspected(&mut self, place: &[String], reason: &str) {
        self.not_inspected
            .push((place.to_vec(), reason.to_string()));
    }

    fn member_name(&mut self, place: &[String], name: &[u8]) -> io::Result<Flow> {
        let found = crate::core::stream::scan_bytes(self.detector, name);
        if !found.is_empty() {
            self.found.push(place.to_vec());
            for f in &found {
                self.counts.add(f);
            }
        }
        Ok(Flow::Continue)
    }
}

/// Scans the raw bytes (content redact does not rewrite), copying them
/// to `out`.
fn raw_scan(
    head: &Head,
    input: &mut dyn Read,
    out: &mut dyn Write,
    ctx: &Ctx,
) -> io::Result<FileCounts> {
    struct Copy<'w> {
        out: &'w mut dyn Write,
        counts: FileCounts,
    }
    impl crate::core::stream::Sink for Copy<'_> {
        fn data(&mut self, bytes: &[u8]) -> io::Result<Flow> {
            self.out.write_all(bytes).map(|_| Flow::Continue)
        }
        fn finding(&mut self, f: &crate::core::finding::Finding) -> io::Result<Flow> {
            self.counts.add(f);
            Ok(Flow::Continue)
        }
    }
    // Findings are not copied: a raw stream holding one is refused, so
    // what is written then never matters.
    let mut sink = Copy {
        out,
        counts: FileCounts::default(),
    };
    let mut scanner = StreamScanner::new(ctx.detector, true);
    head.scan_with_rest(&mut scanner, &mut &mut *input, &mut sink)?;
    Ok(sink.counts)
}

fn too_deep(format: Opaque, place: &[String], ctx: &Ctx) -> io::Result<()> {
    if place.len() < ctx.limits.max_depth {
        return Ok(());
    }
    Err(Undecodable {
        place: place.to_vec(),
        reason: format!(
            "{}: nested more than {} deep (--max-depth)",
            format.name(),
            ctx.limits.max_depth
        ),
    }
    .into_io())
}

/// A UTF-16 stream's own error becomes its [`Undecodable`].
fn blame(e: io::Error, place: &[String], format: Opaque) -> io::Error {
    if e.kind() == io::ErrorKind::InvalidData && Undecodable::of(&e).is_none() {
        Undecodable {
            place: place.to_vec(),
            reason: format!("{}: {e}", format.name()),
        }
        .into_io()
    } else {
        e
    }
}

/// A compressed layer: decoded, its content handed on, recompressed.
#[allow(clippy::too_many_arguments)]
fn compressed(
    format: Opaque,
    head: &Head,
    input: &mut dyn Read,
    out: &mut dyn Write,
    name: &str,
    place: &mut Vec<String>,
    trail: &mut Trail,
    ctx: &mut Ctx,
) -> Pass {
    let inner = compressed::inner_name(name, format);
    place.push(inner.clone());
    trail.push(0);
    let raw = head.bytes().chain(input);
    let result = (|| {
        let decoded = Decoded::new(format, raw, &ctx.limits, place.clone())?;
        let mut decoded = decoded.expect("recompress formats are decoded");
        if ctx.writing() {
            let mut encoder = Encoder::new(format, &mut *out, head.bytes())?;
            stream(&mut decoded, &mut encoder, &inner, place, trail, ctx)?;
            Ok(encoder.finish().map(drop)?)
        } else {
            stream(&mut decoded, out, &inner, place, trail, ctx)
        }
    })();
    place.pop();
    trail.pop();
    result
}
