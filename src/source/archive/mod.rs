//! Archives: their members walked one after the other, each as a stream
//! of its own (its place: the archive's, then the member's name), never
//! extracted — a member's name, `../` and all, is only a name.

pub mod appended;
pub mod tar;
pub mod zip;

use crate::core::sniff::Opaque;
use crate::core::stream::Flow;
use crate::source::container::{catching, Limits, Visit};
use std::io::{self, Read};

/// Whether [`walk`] reads `format`.
pub fn supports(format: Opaque) -> bool {
    matches!(format, Opaque::Tar | Opaque::Zip)
}

/// Walks the members of the archive `raw` (from its first byte) at
/// `place` into `visit`; `place` is as it was afterwards, and an archive
/// that cannot be read further is reported *not inspected* there.
pub fn walk(
    format: Opaque,
    raw: impl Read,
    place: &mut Vec<String>,
    limits: &Limits,
    visit: &mut dyn Visit,
) -> io::Result<Flow> {
    let depth = place.len();
    let result = match format {
        Opaque::Tar => tar::walk_members(raw, place, limits, visit),
        Opaque::Zip => zip::walk_members(raw, place, limits, visit),
        _ => unreachable!("archive::supports said yes"),
    };
    place.truncate(depth);
    catching(depth, visit, result)
}
