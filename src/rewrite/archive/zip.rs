//! Rewriting a zip (also jar, whl, apk) at the byte level: the `zip`
//! crate reads the central directory and decompresses members; this
//! module copies the file in order, so that everything but the members
//! holding a finding stays byte for byte — other members (never
//! recompressed), their local and central headers with every extra
//! field, data descriptors, the archive comment, prepended data.
//!
//! A member holding a finding is decompressed, redacted and compressed
//! again with its own method (stored or deflate) into a [`Spool`]; its
//! local header gets the new CRC-32 and sizes (in its zip64 extra field
//! when it has one; in a data descriptor, written in the original's
//! layout, when the sizes follow the data). The central directory is
//! copied with each member's new sizes and CRC and every local header
//! offset moved by what the members before it gained or lost; the zip64
//! end records and the end of central directory get the directory's new
//! offset. Refused: another method, sizes or offsets that would need
//! zip64 fields the original lacks, overlapping members.
//!
//! Members are numbered in central directory order: member `k` is the
//! [`Trail`] `[k]`. Only the outermost layer of a file is a zip here (a
//! zip needs seeking); a zip inside another container is read, not
//! rewritten ([`super::layer`]).

mod records;

use super::layer::{self, Ctx};
use super::refused::{Pass, Refused};
use super::spool::Spool;
use super::Trail;
use crate::source::container::Blamed;
use records::{
    bad, central_directory, extra_field, patch_tail, put_u32, put_u64, read_at, u16_at, u32_at,
    Central, DESCRIPTOR, LOCAL, MAX_TAIL,
};
use std::cell::Cell;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};

/// The zip `file` (the outermost layer): surveyed, or rewritten into `out`.
pub(super) fn layer(file: &File, out: &mut dyn Write, ctx: &mut Ctx) -> Pass {
    let mut archive = zip::ZipArchive::new(file).map_err(|e| bad(e.to_string()))?;
    let offset = archive.offset();
    let (central, central_end) =
        central_directory(file, archive.central_directory_start(), offset)?;
    let by_local: HashMap<u64, usize> = (0..archive.len())
        .filter_map(|i| archive.by_index_data(i).ok().map(|e| (e.header_start(), i)))
        .collect();
    if !ctx.writing() {
        return survey(&mut archive, &central, &by_local, ctx);
    }
    let mut out = Counted { out, written: 0 };
    let mut order: Vec<usize> = (0..central.len()).collect();
    order.sort_by_key(|k| central[*k].local);
    let central_start = central.first().map_or(central_end, |c| c.pos);
    // Each member's new local offset, and its new sizes and CRC if rewritten.
    let mut moved: Vec<(u64, Option<NewData>)> = vec![(0, None); central.len()];
    let mut at = 0u64;
    for (n, &k) in order.iter().enumerate() {
        let entry = &central[k];
        let next = order
            .get(n + 1)
            .map_or(central_start, |j| central[*j].local);
        if entry.local < at || next < entry.local {
            return Err(Refused::ZipOverlap.into());
        }
        copy_range(file, at, entry.local, &mut out)?;
        moved[k].0 = out.written - offset;
        let trail: Trail = vec![k as u32];
        match by_local.get(&entry.local) {
            Some(&i) if ctx.wanted(&trail) => {
                let new = rewrite_member(file, &mut archive, i, entry, next, &mut out, ctx, k)?;
                moved[k].1 = Some(new);
            }
            _ => copy_range(file, entry.local, next, &mut out)?,
        }
        at = next;
    }
    copy_range(file, at, central_start, &mut out)?;
    let new_central_start = out.written - offset;
    for (k, entry) in central.iter().enumerate() {
        let mut raw = entry.raw.clone();
        let wide = entry.wide();
        let mut set = |field: usize, value: u64| -> Pass {
            match wide.get(&field) {
                Some(&at) => put_u64(&mut raw, at, value),
                None => put_u32(
                    &mut raw,
                    field,
                    u32::try_from(value)
                        .ok()
                        .filter(|v| *v != u32::MAX)
                        .ok_or(Refused::ZipNeedsZip64)?,
                ),
            }
            Ok(())
        };
        set(42, moved[k].0)?;
        if let Some(new) = &moved[k].1 {
            set(20, new.compressed)?;
            set(24, new.size)?;
            put_u32(&mut raw, 16, new.crc);
        }
        out.write_all(&raw)?;
    }
    let len = file.metadata()?.len();
    if len - central_end > MAX_TAIL {
        return Err(bad("too much data after the central directory").into());
    }
    let mut tail = read_at(file, central_end, (len - central_end) as usize)?;
    patch_tail(&mut tail, central_end, new_central_start)?;
    Ok(out.write_all(&tail)?)
}

/// A rewritten member's new CRC-32 and sizes.
#[derive(Clone, Copy)]
struct NewData {
    crc: u32,
    compressed: u64,
    size: u64,
}

/// A writer counting what went through it.
struct Counted<'w> {
    out: &'w mut dyn Write,
    written: u64,
}

impl Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Copies the bytes `from..to` of `file` to `out`.
fn copy_range(file: &File, from: u64, to: u64, out: &mut dyn Write) -> io::Result<()> {
    let mut reader = crate::rewrite::ReadAt { file, pos: from };
    let n = io::copy(&mut reader.by_ref().take(to - from), out)?;
    if n != to - from {
        return Err(bad("unexpected end of file"));
    }
    Ok(())
}

/// The uncompressed side of a rewritten member: its CRC-32 and size.
struct Measured<W> {
    inner: W,
    crc: crc32fast::Hasher,
    size: u64,
}

impl<W: Write> Write for Measured<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Surveys every member (central directory order).
fn survey(
    archive: &mut zip::ZipArchive<&File>,
    central: &[Central],
    by_local: &HashMap<u64, usize>,
    ctx: &mut Ctx,
) -> Pass {
    for (k, entry) in central.iter().enumerate() {
        let name = entry.name().to_vec();
        let mut place = vec![String::from_utf8_lossy(&name).into_owned()];
        let mut trail: Trail = vec![k as u32];
        let names = ctx.member_name(&place, &name);
        ctx.catching(1, names)?;
        let Some(&i) = by_local.get(&entry.local) else {
            ctx.not_inspected(&place, "zip: a second member of the same name".into());
            continue;
        };
        let (is_file, encrypted, size, compressed) = {
            let f = archive.by_index_raw(i).map_err(|e| bad(e.to_string()))?;
            (f.is_file(), f.encrypted(), f.size(), f.compressed_size())
        };
        if !is_file {
            continue;
        }
        if encrypted {
            ctx.not_inspected(&place, "zip: encrypted member".into());
            continue;
        }
        if size > ctx.limits.max_member_bytes {
            ctx.not_inspected(
                &place,
                format!(
                    "zip: a member of {size} bytes, over the limit of {} (--max-member-size)",
                    ctx.limits.max_member_bytes
                ),
            );
            continue;
        }
        let member = match archive.by_index(i) {
            Ok(member) => member,
            Err(e) => {
                ctx.not_inspected(&place, format!("zip: {e}"));
                continue;
            }
        };
        let failed = Cell::new(false);
        let mut reader = Blamed {
            inner: member,
            place: place.clone(),
            format: "zip",
            source_failed: &failed,
            limits: ctx.limits,
            compressed,
            out: 0,
        };
        let shown = place[0].clone();
        let result = layer::stream(
            &mut reader,
            &mut io::sink(),
            &shown,
            &mut place,
            &mut trail,
            ctx,
        );
        ctx.catching(1, result)?;
    }
    Ok(())
}

/// Rewrites member `i` (central entry `k`, its bytes up to `next`) into
/// `out`: local header, data, data descriptor.
#[allow(clippy::too_many_arguments)]
fn rewrite_member(
    file: &File,
    archive: &mut zip::ZipArchive<&File>,
    i: usize,
    entry: &Central,
    next: u64,
    out: &mut dyn Write,
    ctx: &mut Ctx,
    k: usize,
) -> Pass<NewData> {
    let name = String::from_utf8_lossy(entry.name()).into_owned();
    let fixed = read_at(file, entry.local, 30)?;
    if u32_at(&fixed, 0) != LOCAL {
        return Err(bad("a local header is missing").into());
    }
    let (name_len, extra_len) = (
        usize::from(u16_at(&fixed, 26)),
        usize::from(u16_at(&fixed, 28)),
    );
    let mut local = read_at(file, entry.local, 30 + name_len + extra_len)?;
    let flags = u16_at(&local, 6);
    let method = u16_at(&local, 8);
    let old_compressed = archive
        .by_index_raw(i)
        .map_err(|e| bad(e.to_string()))?
        .compressed_size();
    let data_end = entry.local + local.len() as u64 + old_compressed;
    if data_end > next {
        return Err(bad("a member runs into the next").into());
    }
    let mut spool = Spool::default();
    let (crc, size) = {
        let mut member = archive.by_index(i).map_err(|e| bad(e.to_string()))?;
        let mut place = vec![name.clone()];
        let mut trail: Trail = vec![k as u32];
        let measured = match method {
            0 => {
                let mut m = Measured {
                    inner: &mut spool,
                    crc: crc32fast::Hasher::new(),
                    size: 0,
                };
                layer::stream(&mut member, &mut m, &name, &mut place, &mut trail, ctx)?;
                (m.crc.finalize(), m.size)
            }
            8 => {
                let deflate =
                    flate2::write::DeflateEncoder::new(&mut spool, flate2::Compression::default());
                let mut m = Measured {
                    inner: deflate,
                    crc: crc32fast::Hasher::new(),
                    size: 0,
                };
                layer::stream(&mut member, &mut m, &name, &mut place, &mut trail, ctx)?;
                let (crc, size) = (m.crc.finalize(), m.size);
                m.inner.finish()?;
                (crc, size)
            }
            other => {
                return Err(Refused::ZipMethod {
                    name,
                    method: other,
                }
                .into())
            }
        };
        io::copy(&mut member, &mut io::sink())?;
        measured
    };
    let new = NewData {
        crc,
        compressed: spool.len(),
        size,
    };
    let descriptor = flags & 0x08 != 0;
    let zip64 = extra_field(&local, 30 + name_len, extra_len, 1);
    if !descriptor {
        put_u32(&mut local, 14, crc);
        for (field, value, wide_at) in [(18, new.compressed, 8), (22, new.size, 0)] {
            if u32_at(&local, field) == u32::MAX {
                let range = zip64
                    .clone()
                    .filter(|r| r.len() >= 16)
                    .ok_or_else(|| bad("a zip64 size without its extra field"))?;
                put_u64(&mut local, range.start + wide_at, value);
            } else {
                let v = u32::try_from(value)
                    .ok()
                    .filter(|v| *v != u32::MAX)
                    .ok_or(Refused::ZipNeedsZip64)?;
                put_u32(&mut local, field, v);
            }
        }
    }
    out.write_all(&local)?;
    spool.copy_to(out)?;
    let mut rest = data_end;
    if descriptor {
        // The original's layout: signature or not, 32- or 64-bit sizes.
        let old = read_at(file, data_end, (next - data_end).min(24) as usize)?;
        let signed = old.len() >= 4 && u32_at(&old, 0) == DESCRIPTOR;
        let wide = zip64.is_some();
        let mut d = Vec::new();
        if signed {
            d.extend_from_slice(&DESCRIPTOR.to_le_bytes());
        }
        d.extend_from_slice(&crc.to_le_bytes());
        if wide {
            d.extend_from_slice(&new.compressed.to_le_bytes());
            d.extend_from_slice(&new.size.to_le_bytes());
        } else {
            for v in [new.compressed, new.size] {
                let v = u32::try_from(v).map_err(|_| Refused::ZipNeedsZip64)?;
                d.extend_from_slice(&v.to_le_bytes());
            }
        }
        if data_end + d.len() as u64 > next {
            return Err(bad("a data descriptor is missing").into());
        }
        out.write_all(&d)?;
        rest = data_end + d.len() as u64;
    }
    copy_range(file, rest, next, out)?;
    Ok(new)
}
