//! tar archives (ustar, GNU, PAX; long names through GNU `L` records and
//! PAX `path`), read by the `tar` crate as a stream: each regular member's
//! bytes are walked as they come (a compressed member is decoded in turn),
//! the others (directories, links, devices) contribute their name only.
//! A corrupt header stops the walk: the archive is not inspected from
//! there on, with the reason.

use crate::core::stream::{stop_if_stopped, Flow};
use crate::source::container::{self, catching, Limits, Undecodable, Visit, Watched};
use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

/// Most bytes read between two members: headers, and the GNU long-name
/// and PAX records the `tar` crate reads whole into memory before it
/// hands the member over. Real ones are a few hundred bytes.
const MAX_BETWEEN_MEMBERS: u64 = 1 << 20;

/// Fails a read once `left` is used up: armed while the `tar` crate goes
/// from one member to the next (only headers and extension records pass
/// then: the walk reads each member to its end itself), unarmed (`None`)
/// while a member's data is read.
struct Budget<R> {
    inner: R,
    left: Rc<Cell<Option<u64>>>,
    place: Vec<String>,
}

impl<R: Read> Read for Budget<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(left) = self.left.get() else {
            return self.inner.read(buf);
        };
        if left == 0 {
            return Err(Undecodable {
                place: self.place.clone(),
                reason: format!("tar: extension records over {MAX_BETWEEN_MEMBERS} bytes"),
            }
            .into_io());
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left.set(Some(left - n as u64));
        Ok(n)
    }
}

/// Walks the members of the tar archive `raw` at `place` into `visit`
/// (the caller restores `place` and catches what cannot be read).
pub(super) fn walk_members(
    raw: impl Read,
    place: &mut Vec<String>,
    limits: &Limits,
    visit: &mut dyn Visit,
) -> io::Result<Flow> {
    let raw = Watched::new(raw);
    let failed = Rc::clone(&raw.failed);
    let archive_place = place.clone();
    let corrupt = |e: io::Error| {
        if failed.get() || Undecodable::of(&e).is_some() {
            e
        } else {
            Undecodable {
                place: archive_place.clone(),
                reason: format!("tar: corrupt ({e})"),
            }
            .into_io()
        }
    };
    let budget = Rc::new(Cell::new(None));
    let mut archive = tar::Archive::new(Budget {
        inner: raw,
        left: Rc::clone(&budget),
        place: archive_place.clone(),
    });
    let mut entries = archive.entries().map_err(&corrupt)?;
    loop {
        budget.set(Some(MAX_BETWEEN_MEMBERS));
        let next = entries.next();
        budget.set(None);
        let Some(entry) = next else { break };
        let mut entry = entry.map_err(&corrupt)?;
        let name_bytes = entry.path_bytes().into_owned();
        let name = String::from_utf8_lossy(&name_bytes).into_owned();
        place.push(name.clone());
        stop_if_stopped!(visit.member_name(place, &name_bytes));
        let kind = entry.header().entry_type();
        if kind.is_file() || kind.is_contiguous() || kind.is_gnu_sparse() {
            let size = entry.size();
            if size > limits.max_member_bytes && kind.is_gnu_sparse() {
                // Its holes would be read out below to reach the next header.
                return Err(Undecodable {
                    place: archive_place.clone(),
                    reason: format!(
                        "tar: a sparse member of {size} bytes, over the limit of {} \
                         (--max-member-size): the rest is not read",
                        limits.max_member_bytes
                    ),
                }
                .into_io());
            } else if size > limits.max_member_bytes {
                visit.not_inspected(
                    place,
                    &format!(
                        "tar: a member of {size} bytes, over the limit of {} (--max-member-size)",
                        limits.max_member_bytes
                    ),
                );
            } else {
                let result = container::walk_at(&mut entry, &name, place, limits, visit);
                stop_if_stopped!(catching(place.len(), visit, result));
            }
        }
        // Read to its end here, unarmed: the data of a member not walked
        // (a link's, one over the limit) is not the records' budget. Only
        // a sparse member's holes are more than its bytes in the archive,
        // and those are at most `--max-member-size` (above).
        io::copy(&mut entry, &mut io::sink()).map_err(&corrupt)?;
        place.pop();
    }
    Ok(Flow::Continue)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::container::recorded::Seen;

    fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in members {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn members_are_streams_named_after_the_archive() {
        let long = format!("logs/{}/app.log", "d".repeat(150));
        let tar = tar_of(&[("a.log", b"alpha\n"), (&long, b"beta\n")]);
        let mut seen = Seen::default();
        container::walk(&mut &tar[..], "x.tar", &Limits::default(), &mut seen).unwrap();
        assert_eq!(
            seen.streams,
            [
                (vec!["a.log".to_string()], b"alpha\n".to_vec()),
                (vec![long.clone()], b"beta\n".to_vec())
            ]
        );
        assert_eq!(seen.names, [vec!["a.log".to_string()], vec![long]]);
        assert!(seen.not_inspected.is_empty());
    }

    #[test]
    fn a_visitor_that_stops_ends_the_walk_at_that_member() {
        /// Records, and stops after the first stream.
        struct First(Seen);
        impl Visit for First {
            fn stream(
                &mut self,
                place: &[String],
                head: &crate::source::head::Head,
                rest: &mut dyn Read,
            ) -> io::Result<Flow> {
                self.0.stream(place, head, rest)?;
                Ok(Flow::Stop)
            }
            fn not_inspected(&mut self, place: &[String], reason: &str) {
                self.0.not_inspected(place, reason)
            }
            fn member_name(&mut self, place: &[String], name: &[u8]) -> io::Result<Flow> {
                self.0.member_name(place, name)
            }
        }
        let tar = tar_of(&[("a.log", b"alpha\n"), ("b.log", b"beta\n")]);
        let mut first = First(Seen::default());
        let flow = container::walk(&mut &tar[..], "x.tar", &Limits::default(), &mut first);
        assert_eq!(flow.unwrap(), Flow::Stop);
        assert_eq!(first.0.streams.len(), 1);
        assert_eq!(first.0.names, [vec!["a.log".to_string()]]);
    }

    /// A GNU long-name record of `size` bytes (the name `x`), then nothing.
    fn long_name_record(size: u64) -> Vec<u8> {
        let mut h = tar::Header::new_gnu();
        h.set_path("././@LongLink").unwrap();
        h.set_entry_type(tar::EntryType::GNULongName);
        h.set_size(size);
        h.set_cksum();
        h.as_bytes().to_vec()
    }

    /// What a sparse file or a bomb hands over, as much as asked; a read
    /// past 64 MiB fails the test instead of filling the memory.
    struct Plenty(u64);
    impl Read for Plenty {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.0 += buf.len() as u64;
            assert!(self.0 < 64 << 20, "read 64 MiB of one extension record");
            buf.fill(b'a');
            Ok(buf.len())
        }
    }

    #[test]
    fn an_oversized_extension_record_is_not_read_into_memory() {
        // 64 GiB of long name: the tar crate would read it whole.
        let record = long_name_record(64 << 30);
        let raw = record.as_slice().chain(Plenty(0));
        let mut seen = Seen::default();
        let mut place = Vec::new();
        let result = walk_members(raw, &mut place, &Limits::default(), &mut seen);
        let e = result.unwrap_err();
        let reason = &Undecodable::of(&e).expect("named as not inspected").reason;
        assert!(reason.contains("extension records over"), "{reason}");
        assert!(seen.streams.is_empty());
    }

    #[test]
    fn a_sparse_member_over_the_limit_stops_the_walk_unread() {
        // One 512-byte block of data standing for 1 MiB, then a member.
        let mut h = tar::Header::new_gnu();
        h.set_path("holes.img").unwrap();
        h.set_entry_type(tar::EntryType::GNUSparse);
        h.set_size(512);
        let gnu = h.as_gnu_mut().unwrap();
        gnu.sparse[0].offset.copy_from_slice(b"00000000000\0");
        gnu.sparse[0].numbytes.copy_from_slice(b"00000001000\0");
        gnu.sparse[1].offset.copy_from_slice(b"00004000000\0");
        gnu.sparse[1].numbytes.copy_from_slice(b"00000000000\0");
        gnu.realsize.copy_from_slice(b"00004000000\0");
        h.set_cksum();
        let mut tar = h.as_bytes().to_vec();
        tar.extend_from_slice(&[b'a'; 512]);
        tar.extend(tar_of(&[("b.log", b"beta\n")]));
        let limits = Limits {
            max_member_bytes: 1000,
            ..Limits::default()
        };
        let mut seen = Seen::default();
        let e = walk_members(&tar[..], &mut Vec::new(), &limits, &mut seen).unwrap_err();
        let reason = &Undecodable::of(&e).expect("not inspected").reason;
        assert!(
            reason.starts_with("tar: a sparse member of 1048576 bytes"),
            "{reason}"
        );
        assert!(seen.streams.is_empty());
    }

    #[test]
    fn a_corrupt_header_stops_the_walk_with_a_reason() {
        let mut tar = tar_of(&[("a.log", b"alpha\n"), ("b.log", b"beta\n")]);
        tar[1024 + 148] ^= 0x55; // the second header's checksum
        let mut seen = Seen::default();
        container::walk(&mut &tar[..], "x.tar", &Limits::default(), &mut seen).unwrap();
        assert_eq!(seen.streams.len(), 1);
        assert_eq!(seen.not_inspected.len(), 1);
        assert!(seen.not_inspected[0].0.is_empty());
        assert!(seen.not_inspected[0].1.starts_with("tar: corrupt"));
    }
}
