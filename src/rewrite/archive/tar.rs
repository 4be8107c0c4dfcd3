//! Rewriting a tar (ustar, GNU, PAX) block by block: headers are read
//! here (parsed by the `tar` crate's [`Header`]) so that every byte is
//! accounted for. A member holding a finding is rewritten into a
//! [`Spool`], then written behind its header with the new size and
//! checksum — and its PAX `size` record, when it has one, updated with
//! the PAX header's own size and checksum. Every other block — other
//! members, directories, links, GNU long-name and PAX records, the end
//! blocks and whatever padding follows them — is copied byte for byte.
//!
//! Members are numbered in archive order (every entry but the long-name
//! and PAX records that belong to the next one), which is how a
//! [`Trail`] names them.

use super::layer::{self, Ctx};
use super::refused::{Pass, Refused};
use super::spool::Spool;
use super::Trail;
use crate::source::container::Undecodable;
use std::io::{self, Read, Write};
use tar::{EntryType, Header};

const BLOCK: usize = 512;
/// Longest GNU long-name or PAX record accepted (they are held in memory).
const MAX_EXTENSION: u64 = 1 << 20;

/// A GNU long name or PAX record, waiting for the member it describes.
struct Extension {
    header: Header,
    data: Vec<u8>,
}

/// Reads one block; `false` at a clean end of input.
fn read_block(input: &mut dyn Read, block: &mut [u8; BLOCK]) -> io::Result<bool> {
    let mut len = 0;
    while len < BLOCK {
        match input.read(&mut block[len..]) {
            Ok(0) if len == 0 => return Ok(false),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

fn padding(size: u64) -> u64 {
    (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64
}

/// Whether the stored checksum is the block's (unsigned, or signed as
/// some old tars wrote it).
fn checksum_ok(header: &Header) -> bool {
    let Ok(stored) = header.cksum() else {
        return false;
    };
    let bytes = header.as_bytes();
    let spaces = 8 * u32::from(b' ');
    let unsigned: u32 = bytes[..148]
        .iter()
        .chain(&bytes[156..])
        .map(|b| u32::from(*b))
        .sum();
    let signed: i64 = bytes[..148]
        .iter()
        .chain(&bytes[156..])
        .map(|b| i64::from(*b as i8))
        .sum();
    stored == unsigned + spaces || i64::from(stored) == signed + i64::from(spaces)
}

/// The value of `key` in PAX records.
fn pax_value<'d>(data: &'d [u8], key: &[u8]) -> Option<&'d [u8]> {
    records(data).find(|(k, _)| *k == key).map(|(_, v)| v)
}

/// PAX records (`LEN key=value\n`) as (key, value); stops at the first
/// malformed one.
fn records(mut data: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    std::iter::from_fn(move || {
        let space = data.iter().position(|b| *b == b' ')?;
        let len: usize = std::str::from_utf8(&data[..space]).ok()?.parse().ok()?;
        if len <= space + 1 || len > data.len() || data[len - 1] != b'\n' {
            return None;
        }
        let record = &data[space + 1..len - 1];
        data = &data[len..];
        let eq = record.iter().position(|b| *b == b'=')?;
        Some((&record[..eq], &record[eq + 1..]))
    })
}

/// The records `data` with the `size` record's value replaced by `size`.
fn with_pax_size(data: &[u8], size: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    for (key, value) in records(data) {
        let value = if key == b"size" {
            size.to_string().into_bytes()
        } else {
            value.to_vec()
        };
        // LEN counts itself: find the length whose digits make it true.
        let body = key.len() + value.len() + 3; // space, '=', newline
        let mut len = body + 1;
        while len != body + len.to_string().len() {
            len = body + len.to_string().len();
        }
        out.extend_from_slice(format!("{len} ").as_bytes());
        out.extend_from_slice(key);
        out.push(b'=');
        out.extend_from_slice(&value);
        out.push(b'\n');
    }
    out
}

fn write_padded(out: &mut dyn Write, header: &Header, data: &[u8]) -> io::Result<()> {
    out.write_all(header.as_bytes())?;
    out.write_all(data)?;
    out.write_all(&[0; BLOCK][..padding(data.len() as u64) as usize])
}

/// The name of the member: a GNU long name or PAX `path` before it, else
/// its header's (ustar prefix included).
fn member_name(header: &Header, extensions: &[Extension]) -> Vec<u8> {
    let mut name = header.path_bytes().into_owned();
    for ext in extensions {
        match ext.header.entry_type() {
            EntryType::GNULongName => {
                name = ext.data.clone();
                while name.last() == Some(&0) {
                    name.pop();
                }
            }
            EntryType::XHeader => {
                if let Some(path) = pax_value(&ext.data, b"path") {
                    name = path.to_vec();
                }
            }
            _ => {}
        }
    }
    name
}

/// The tar `input` at `place`/`trail`: surveyed, or rewritten into `out`.
pub(super) fn layer(
    input: &mut dyn Read,
    out: &mut dyn Write,
    place: &mut Vec<String>,
    trail: &mut Trail,
    ctx: &mut Ctx,
) -> Pass {
    let corrupt = |place: &[String], why: String| {
        Undecodable {
            place: place.to_vec(),
            reason: format!("tar: corrupt ({why})"),
        }
        .into_io()
    };
    let mut extensions: Vec<Extension> = Vec::new();
    let mut number = 0u32;
    let mut block = [0u8; BLOCK];
    loop {
        if !read_block(input, &mut block).map_err(|e| corrupt(place, e.to_string()))? {
            break;
        }
        if block == [0; BLOCK] {
            // The end: these blocks and whatever follows, as they are.
            out.write_all(&block)?;
            io::copy(input, out)?;
            break;
        }
        let mut header = Header::new_old();
        header.as_mut_bytes().copy_from_slice(&block);
        if !checksum_ok(&header) {
            return Err(corrupt(place, "bad header checksum".into()).into());
        }
        let size = header
            .entry_size()
            .map_err(|e| corrupt(place, e.to_string()))?;
        let kind = header.entry_type();
        if matches!(
            kind,
            EntryType::GNULongName | EntryType::GNULongLink | EntryType::XHeader
        ) {
            if size > MAX_EXTENSION {
                return Err(corrupt(place, "an oversized extension record".into()).into());
            }
            let mut data = vec![0; (size + padding(size)) as usize];
            input
                .read_exact(&mut data)
                .map_err(|e| corrupt(place, e.to_string()))?;
            data.truncate(size as usize);
            extensions.push(Extension { header, data });
            continue;
        }
        let name = member_name(&header, &extensions);
        place.push(String::from_utf8_lossy(&name).into_owned());
        trail.push(number);
        number += 1;
        let is_file = kind.is_file() || kind.is_contiguous();
        if kind.is_gnu_sparse() && !ctx.writing() {
            ctx.not_inspected(place, "tar: sparse member: not rewritten by redact".into());
        }
        let result = if is_file && ctx.wanted(trail) {
            member(
                input,
                out,
                &header,
                &extensions,
                &name,
                size,
                place,
                trail,
                ctx,
            )
        } else {
            let names = ctx.member_name(place, &name);
            let depth = place.len();
            ctx.catching(depth, names)?;
            for ext in &extensions {
                write_padded(out, &ext.header, &ext.data)?;
            }
            out.write_all(header.as_bytes())?;
            copy_exactly(input, out, size + padding(size))
                .map_err(|e| corrupt(place, e.to_string()).into())
        };
        trail.pop();
        place.pop();
        result?;
        extensions.clear();
    }
    // Records with no member after them, as they were.
    for ext in &extensions {
        write_padded(out, &ext.header, &ext.data)?;
    }
    Ok(())
}

/// Copies exactly `n` bytes; a short read is an `UnexpectedEof`.
fn copy_exactly(input: &mut dyn Read, out: &mut dyn Write, n: u64) -> io::Result<()> {
    if io::copy(&mut input.take(n), out)? != n {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "unexpected end of archive",
        ));
    }
    Ok(())
}

/// A regular member read: surveyed, or rewritten with its new size.
#[allow(clippy::too_many_arguments)]
fn member(
    input: &mut dyn Read,
    out: &mut dyn Write,
    header: &Header,
    extensions: &[Extension],
    name: &[u8],
    size: u64,
    place: &mut Vec<String>,
    trail: &mut Trail,
    ctx: &mut Ctx,
) -> Pass {
    let depth = place.len();
    let shown = place.last().cloned().unwrap_or_default();
    if !ctx.writing() {
        let names = ctx.member_name(place, name);
        ctx.catching(depth, names)?;
        if size > ctx.limits.max_member_bytes {
            ctx.not_inspected(
                place,
                format!(
                    "tar: a member of {size} bytes, over the limit of {} (--max-member-size)",
                    ctx.limits.max_member_bytes
                ),
            );
            copy_exactly(input, &mut io::sink(), size)
                .map_err(|e| corrupt_at(place, e.to_string()))?;
        } else {
            let mut data = input.take(size);
            let result = layer::stream(&mut data, &mut io::sink(), &shown, place, trail, ctx);
            ctx.catching(depth, result)?;
            io::copy(&mut data, &mut io::sink())?;
            if data.limit() > 0 {
                return Err(corrupt_at(place, "unexpected end of archive".into()).into());
            }
        }
        return Ok(copy_exactly(input, &mut io::sink(), padding(size))
            .map_err(|e| corrupt_at(place, e.to_string()))?);
    }
    let mut spool = Spool::default();
    let mut data = input.take(size);
    layer::stream(&mut data, &mut spool, &shown, place, trail, ctx)?;
    if data.limit() > 0 {
        return Err(Refused::TarMemberUnread {
            place: place.clone(),
        }
        .into());
    }
    copy_exactly(input, &mut io::sink(), padding(size))
        .map_err(|e| corrupt_at(place, e.to_string()))?;
    let new_size = spool.len();
    for ext in extensions {
        if ext.header.entry_type() == EntryType::XHeader && pax_value(&ext.data, b"size").is_some()
        {
            let data = with_pax_size(&ext.data, new_size);
            let mut pax = ext.header.clone();
            pax.set_size(data.len() as u64);
            pax.set_cksum();
            write_padded(out, &pax, &data)?;
        } else {
            write_padded(out, &ext.header, &ext.data)?;
        }
    }
    let mut header = header.clone();
    header.set_size(new_size);
    header.set_cksum();
    out.write_all(header.as_bytes())?;
    spool.copy_to(out)?;
    Ok(out.write_all(&[0; BLOCK][..padding(new_size) as usize])?)
}

fn corrupt_at(place: &[String], why: String) -> io::Error {
    Undecodable {
        place: place[..place.len().saturating_sub(1)].to_vec(),
        reason: format!("tar: corrupt ({why})"),
    }
    .into_io()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pax_size_record_is_rewritten_with_its_own_length() {
        let data = b"20 comment=member 0\n13 size=3900\n30 mtime=1700000000.123456789\n";
        assert_eq!(pax_value(data, b"size"), Some(&b"3900"[..]));
        let out = with_pax_size(data, 97);
        assert_eq!(
            out,
            b"20 comment=member 0\n11 size=97\n30 mtime=1700000000.123456789\n"
        );
        // A length crossing a power of ten counts its extra digit.
        let out = with_pax_size(b"12 size=100\n", 10_000_000);
        assert_eq!(out, b"17 size=10000000\n");
        assert_eq!(records(&out).count(), 1);
    }

    #[test]
    fn checksums_are_checked_and_set() {
        let mut h = Header::new_gnu();
        h.set_path("a.log").unwrap();
        h.set_size(5);
        h.set_cksum();
        assert!(checksum_ok(&h));
        h.as_mut_bytes()[0] ^= 1;
        assert!(!checksum_ok(&h));
    }
}
