//! zip archives (also jar, whl, apk, docx …), read by the `zip` crate as a
//! stream of local entries (never seeking, so a zip inside a tar or a
//! gzip reads the same way): stored and deflated members, zip64 sizes.
//! Each file member is walked as a stream (a compressed member is decoded
//! in turn). What stops the walk, with the reason, leaving the rest not
//! inspected: an encrypted member (no password is ever asked), a member
//! whose size is only in a data descriptor after its data (as `zip -`
//! writes to a pipe), an unsupported method, corrupt data.

use crate::core::stream::{stop_if_stopped, Flow};
use crate::source::container::{self, catching, Blamed, Limits, Undecodable, Visit, Watched};
use std::cell::RefCell;
use std::io::{self, Read};
use std::rc::Rc;

/// Keeps the first 8 bytes read since [`Peek::clear`]: the start of the
/// local header being read, to tell an encrypted member (general purpose
/// flag bit 0) when the zip crate refuses it before handing it over.
struct Peek<R> {
    inner: R,
    first: Rc<RefCell<Vec<u8>>>,
}

impl<R: Read> Read for Peek<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut first = self.first.borrow_mut();
        let keep = (8 - first.len()).min(n);
        first.extend_from_slice(&buf[..keep]);
        Ok(n)
    }
}

/// Whether `first` (see [`Peek`]) starts a local header of an encrypted member.
fn encrypted_header(first: &[u8]) -> bool {
    first.len() == 8 && first.starts_with(b"PK\x03\x04") && first[6] & 1 == 1
}

/// Walks the members of the zip archive `raw` at `place` into `visit`
/// (the caller restores `place` and catches what cannot be read).
pub(super) fn walk_members(
    raw: impl Read,
    place: &mut Vec<String>,
    limits: &Limits,
    visit: &mut dyn Visit,
) -> io::Result<Flow> {
    let raw = Watched::new(raw);
    let failed = Rc::clone(&raw.failed);
    let first = Rc::new(RefCell::new(Vec::new()));
    let mut raw = Peek {
        inner: raw,
        first: Rc::clone(&first),
    };
    let archive_place = place.clone();
    let unreadable = |e: zip::result::ZipError, encrypted: bool| match e {
        zip::result::ZipError::Io(e) if failed.get() || Undecodable::of(&e).is_some() => e,
        e => Undecodable {
            place: archive_place.clone(),
            reason: if encrypted {
                "zip: encrypted member".to_string()
            } else {
                format!("zip: {e}")
            },
        }
        .into_io(),
    };
    loop {
        first.borrow_mut().clear();
        let next = zip::read::read_zipfile_from_stream(&mut raw)
            .map_err(|e| unreadable(e, encrypted_header(&first.borrow())))?;
        let Some(mut member) = next else { break };
        let name_bytes = member.name_raw().to_vec();
        let name = String::from_utf8_lossy(&name_bytes).into_owned();
        place.push(name.clone());
        stop_if_stopped!(visit.member_name(place, &name_bytes));
        if member.is_file() {
            if member.encrypted() {
                visit.not_inspected(place, "zip: encrypted member");
            } else if member.size() > limits.max_member_bytes {
                visit.not_inspected(
                    place,
                    &format!(
                        "zip: a member of {} bytes, over the limit of {} (--max-member-size)",
                        member.size(),
                        limits.max_member_bytes
                    ),
                );
            } else {
                let compressed_size = member.compressed_size();
                let mut reader = Blamed {
                    inner: &mut member,
                    place: place.clone(),
                    format: "zip",
                    source_failed: &failed,
                    limits: *limits,
                    compressed: compressed_size,
                    out: 0,
                };
                let result = container::walk_at(&mut reader, &name, place, limits, visit);
                stop_if_stopped!(catching(place.len(), visit, result));
            }
        }
        place.pop();
        // Dropping the member reads to its end, for the next header.
        drop(member);
        if failed.get() {
            return Err(io::Error::other("the archive could not be read"));
        }
    }
    Ok(Flow::Continue)
}
