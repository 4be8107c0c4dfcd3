//! The zip's own records, read and patched at the byte level: the
//! little-endian fields, the central directory entries, extra fields, and
//! the end records after the directory ([`patch_tail`]). What to copy
//! and what to rewrite is [`super`]'s.

use crate::rewrite::archive::refused::{Pass, Refused};
use crate::source::container::Undecodable;
use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

pub(super) const CENTRAL: u32 = 0x0201_4b50;
pub(super) const LOCAL: u32 = 0x0403_4b50;
pub(super) const DESCRIPTOR: u32 = 0x0807_4b50;
pub(super) const ZIP64_END: u32 = 0x0606_4b50;
pub(super) const ZIP64_LOCATOR: u32 = 0x0706_4b50;
pub(super) const END: u32 = 0x0605_4b50;
/// Most bytes after the central directory (end records and comment).
pub(super) const MAX_TAIL: u64 = 1 << 20;

pub(super) fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

pub(super) fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

pub(super) fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

pub(super) fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

pub(super) fn bad(why: impl Into<String>) -> io::Error {
    Undecodable {
        place: Vec::new(),
        reason: format!("zip: {}", why.into()),
    }
    .into_io()
}

pub(super) fn read_at(file: &File, at: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0; len];
    file.read_exact_at(&mut buf, at)
        .map_err(|_| bad("a header past the end of the file"))?;
    Ok(buf)
}

/// One central directory entry, raw.
pub(super) struct Central {
    /// Where it is in the file, and its bytes.
    pub(super) pos: u64,
    pub(super) raw: Vec<u8>,
    /// Its local header's offset in the file (prepended data included).
    pub(super) local: u64,
}

impl Central {
    pub(super) fn name(&self) -> &[u8] {
        &self.raw[46..46 + usize::from(u16_at(&self.raw, 28))]
    }

    /// The byte range of its zip64 extra field's data, if any.
    pub(super) fn zip64(&self) -> Option<std::ops::Range<usize>> {
        let start = 46 + usize::from(u16_at(&self.raw, 28));
        extra_field(&self.raw, start, usize::from(u16_at(&self.raw, 30)), 1)
    }

    /// Where in `raw` the 64-bit values of the central fields at 24
    /// (size), 20 (compressed size) and 42 (local offset) are, in the
    /// zip64 extra field's order, when their 32-bit field is all ones.
    pub(super) fn wide(&self) -> HashMap<usize, usize> {
        let mut at = HashMap::new();
        if let Some(range) = self.zip64() {
            let mut next = range.start;
            for field in [24, 20, 42] {
                if u32_at(&self.raw, field) == u32::MAX && next + 8 <= range.end {
                    at.insert(field, next);
                    next += 8;
                }
            }
        }
        at
    }
}

/// The data range of the extra field `id` in `raw[start..start + len]`.
pub(super) fn extra_field(
    raw: &[u8],
    start: usize,
    len: usize,
    id: u16,
) -> Option<std::ops::Range<usize>> {
    let end = (start + len).min(raw.len());
    let mut at = start;
    while at + 4 <= end {
        let size = usize::from(u16_at(raw, at + 2));
        if u16_at(raw, at) == id {
            return Some(at + 4..(at + 4 + size).min(end));
        }
        at += 4 + size;
    }
    None
}

/// Reads the central directory from `start`.
pub(super) fn central_directory(
    file: &File,
    start: u64,
    offset: u64,
) -> io::Result<(Vec<Central>, u64)> {
    let mut entries = Vec::new();
    let mut pos = start;
    loop {
        let mut sig = [0u8; 4];
        if file.read_exact_at(&mut sig, pos).is_err() || u32::from_le_bytes(sig) != CENTRAL {
            break;
        }
        let fixed = read_at(file, pos, 46)?;
        let len = 46
            + usize::from(u16_at(&fixed, 28))
            + usize::from(u16_at(&fixed, 30))
            + usize::from(u16_at(&fixed, 32));
        let raw = read_at(file, pos, len)?;
        let mut entry = Central { pos, raw, local: 0 };
        let stored = match entry.wide().get(&42) {
            Some(at) => u64::from_le_bytes(entry.raw[*at..*at + 8].try_into().expect("8")),
            None => u64::from(u32_at(&entry.raw, 42)),
        };
        entry.local = stored + offset;
        pos += len as u64;
        entries.push(entry);
    }
    Ok((entries, pos))
}

/// The end records after the central directory: each offset of the
/// directory (and of the zip64 end record) set to where it now is.
/// The directory keeps its length (its entries keep theirs), so the
/// zip64 end record follows it at `new_central` plus that length.
pub(super) fn patch_tail(tail: &mut [u8], tail_pos: u64, new_central: u64) -> Pass {
    let mut at = 0usize;
    let mut new_zip64_end: Option<u64> = None;
    while at + 4 <= tail.len() {
        match u32_at(tail, at) {
            ZIP64_END if at + 56 <= tail.len() => {
                let size = u64::from_le_bytes(tail[at + 4..at + 12].try_into().expect("8"));
                let cd_size = u64::from_le_bytes(tail[at + 40..at + 48].try_into().expect("8"));
                new_zip64_end = Some(new_central + cd_size);
                put_u64(tail, at + 48, new_central);
                at += 12 + size as usize;
            }
            ZIP64_LOCATOR if at + 20 <= tail.len() => {
                if let Some(pos) = new_zip64_end {
                    put_u64(tail, at + 8, pos);
                }
                at += 20;
            }
            END if at + 22 <= tail.len() => {
                if u32_at(tail, at + 16) != u32::MAX {
                    let v = u32::try_from(new_central).map_err(|_| Refused::ZipNeedsZip64)?;
                    put_u32(tail, at + 16, v);
                }
                return Ok(());
            }
            _ => {
                return Err(bad(format!(
                    "unexpected data at offset {}",
                    tail_pos + at as u64
                ))
                .into())
            }
        }
    }
    Err(bad("no end of central directory record").into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_fields_are_found_by_id() {
        // UT (0x5455, 5 bytes), then zip64 (0x0001, 16 bytes).
        let mut raw = vec![0u8; 3];
        raw.extend_from_slice(&[0x55, 0x54, 5, 0, 1, 2, 3, 4, 5]);
        raw.extend_from_slice(&[1, 0, 16, 0]);
        raw.extend_from_slice(&[7; 16]);
        assert_eq!(extra_field(&raw, 3, raw.len() - 3, 1), Some(16..32));
        assert_eq!(extra_field(&raw, 3, raw.len() - 3, 0x5455), Some(7..12));
        assert_eq!(extra_field(&raw, 3, 9, 1), None);
    }
}
