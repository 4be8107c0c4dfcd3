//! A zip archive after other data: a self-extracting archive (an
//! executable stub), a Python zipapp (a `#!` line), a zip appended to an
//! image. Its first bytes are the stub's, so nothing sniffs it as a zip,
//! yet `unzip` reads it from its end record: scanning only its raw bytes
//! would call a deflated credential in it clean. [`find`] reads the end of
//! the file for that record and answers where the zip's first member
//! starts; [`walk`] walks its members from there, as any zip's.

use crate::core::counts::FileCounts;
use crate::core::detect::Detector;
use crate::core::sniff::Opaque;
use crate::core::stream::{Flow, StreamScanner};
use crate::source::container::{Limits, Visit};
use crate::source::head::Head;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;

/// End of central directory record: signature, then fixed fields.
const END: &[u8; 4] = b"PK\x05\x06";
const END_LEN: usize = 22;
/// The longest archive comment after the end record.
const MAX_COMMENT: usize = 0xffff;
const CENTRAL: &[u8; 4] = b"PK\x01\x02";
const LOCAL: &[u8; 4] = b"PK\x03\x04";

fn u32_at(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]))
}

/// Where the first member of a zip that starts after other data begins in
/// `file`, found from the end record in its last 64 KiB; `None` when the
/// file does not end with a zip, or the zip starts at offset 0 (the
/// caller read that one as a zip), or its records do not hold together.
/// Offsets in the central directory may count from the file's start or
/// from the zip's (both are written); both are tried.
pub fn find(file: &File) -> io::Result<Option<u64>> {
    let size = file.metadata()?.len();
    let want = size.min((END_LEN + MAX_COMMENT) as u64) as usize;
    if want < END_LEN {
        return Ok(None);
    }
    let mut tail = vec![0u8; want];
    file.read_exact_at(&mut tail, size - want as u64)?;
    // The last record whose comment ends exactly at the end of the file.
    let Some(at) = (0..=want - END_LEN).rev().find(|&i| {
        tail[i..].starts_with(END)
            && i + END_LEN + usize::from(u16::from_le_bytes([tail[i + 20], tail[i + 21]])) == want
    }) else {
        return Ok(None);
    };
    let end_at = size - want as u64 + at as u64;
    let (cd_size, cd_offset) = (u32_at(&tail, at + 12), u32_at(&tail, at + 16));
    let Some(prefix) = end_at.checked_sub(cd_size + cd_offset) else {
        return Ok(None);
    };
    let mut central = [0u8; 46];
    if file
        .read_exact_at(&mut central, prefix + cd_offset)
        .is_err()
        || &central[..4] != CENTRAL
    {
        return Ok(None);
    }
    let first = u32_at(&central, 42);
    for start in [prefix + first, first] {
        let mut sig = [0u8; 4];
        if start > 0 && file.read_exact_at(&mut sig, start).is_ok() && &sig == LOCAL {
            return Ok(Some(start));
        }
    }
    Ok(None)
}

/// Walks the members of a zip after other data in `file`, if it ends with
/// one ([`find`]), into `visit`, at the file's own place: `file!member`.
pub fn walk_if_any(file: &File, limits: &Limits, visit: &mut dyn Visit) -> io::Result<Flow> {
    match find(file)? {
        Some(start) => walk(file, start, limits, visit),
        None => Ok(Flow::Continue),
    }
}

/// Walks the members of the zip that starts at `start` in `file` (from
/// [`find`]) into `visit`, at the file's own place: `file!member`.
pub fn walk(file: &File, start: u64, limits: &Limits, visit: &mut dyn Visit) -> io::Result<Flow> {
    let mut reader = file;
    reader.seek(SeekFrom::Start(start))?;
    super::walk(Opaque::Zip, reader, &mut Vec::new(), limits, visit)
}

/// What the members of the zip at `start` in `file` hold (names
/// included), and how many places could not be read.
pub fn count(
    file: &File,
    start: u64,
    detector: &Detector,
    limits: &Limits,
) -> io::Result<(FileCounts, usize)> {
    let mut counting = Counting {
        detector,
        counts: FileCounts::default(),
        unread: 0,
    };
    walk(file, start, limits, &mut counting)?;
    Ok((counting.counts, counting.unread))
}

/// Counts the credentials in every member and member name.
struct Counting<'d> {
    detector: &'d Detector,
    counts: FileCounts,
    unread: usize,
}

impl Visit for Counting<'_> {
    fn stream(&mut self, _: &[String], head: &Head, rest: &mut dyn Read) -> io::Result<Flow> {
        let mut scanner = StreamScanner::new(self.detector, true);
        head.scan_with_rest(&mut scanner, &mut &mut *rest, &mut self.counts)
    }

    fn not_inspected(&mut self, _: &[String], _: &str) {
        self.unread += 1;
    }

    fn member_name(&mut self, _: &[String], name: &[u8]) -> io::Result<Flow> {
        StreamScanner::new(self.detector, true).finish_with(name, &mut self.counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::container::recorded::Seen;
    use std::io::Write;

    fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        for (name, data) in members {
            z.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(data).unwrap();
        }
        z.finish().unwrap().into_inner()
    }

    fn file_of(bytes: &[u8]) -> File {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    /// `zip` with its central directory's offsets moved by `by` (as a
    /// stub put before it by a tool that adjusts them would).
    fn shifted(zip: &[u8], by: u32) -> Vec<u8> {
        let mut z = zip.to_vec();
        let end = z.len() - END_LEN;
        let cd = u32_at(&z, end + 16) as usize;
        let moved = (u32_at(&z, end + 16) as u32 + by).to_le_bytes();
        z[end + 16..end + 20].copy_from_slice(&moved);
        let local = (u32_at(&z, cd + 42) as u32 + by).to_le_bytes();
        z[cd + 42..cd + 46].copy_from_slice(&local);
        z
    }

    #[test]
    fn a_zip_after_a_stub_is_found_and_walked_whether_its_offsets_count_the_stub_or_not() {
        let stub = b"#!/usr/bin/env python3\n\x00\x01binary stub\n";
        let zip = zip_of(&[("a.log", b"alpha\n"), ("b.log", b"beta\n")]);
        for zip in [zip.clone(), shifted(&zip, stub.len() as u32)] {
            let file = file_of(&[&stub[..], &zip].concat());
            let start = find(&file).unwrap();
            assert_eq!(start, Some(stub.len() as u64));
            let mut seen = Seen::default();
            walk(&file, start.unwrap(), &Limits::default(), &mut seen).unwrap();
            let names: Vec<_> = seen.streams.iter().map(|(p, _)| p.join("!")).collect();
            assert_eq!(names, ["a.log", "b.log"]);
            assert_eq!(seen.streams[1].1, b"beta\n");
        }
    }

    #[test]
    fn a_plain_zip_or_a_file_without_an_end_record_is_not_one() {
        let zip = zip_of(&[("a.log", b"alpha\n")]);
        assert_eq!(find(&file_of(&zip)).unwrap(), None);
        assert_eq!(find(&file_of(b"short")).unwrap(), None);
        let mut fake_end = vec![7u8; 100];
        fake_end.extend_from_slice(END);
        fake_end.extend_from_slice(&[0u8; 18]);
        assert_eq!(find(&file_of(&fake_end)).unwrap(), None);
    }
}
