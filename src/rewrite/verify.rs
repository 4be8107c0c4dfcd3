//! What is still on disk after `redact`: the final proof (every changed
//! file re-read from its root, [`proof`]) and what the files it did not
//! rewrite still hold ([`left_in`]: through every layer of a container,
//! in the raw bytes of anything else), and what content redact never
//! rewrites holds ([`opaque`]).

use super::{count_remaining, RewriteError};
use crate::core::counts::FileCounts;
use crate::core::detect::Detector;
use crate::core::sniff::Opaque;
use crate::core::stream::StreamScanner;
use crate::source::archive::appended;
use crate::source::beneath::{open_beneath, Roots};
use crate::source::container::Limits;
use crate::source::head::Head;
use crate::source::open::{open_regular, OpenError};
use std::fs::File;
use std::io;
use std::path::Path;

/// Why a changed file could not be re-read.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// It is no longer a regular file.
    #[error("is now a {0}")]
    NotRegular(&'static str),
    /// Opening or reading it failed.
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl From<OpenError> for ProofError {
    fn from(e: OpenError) -> ProofError {
        match e {
            OpenError::NotRegular(what) => ProofError::NotRegular(what),
            OpenError::Io(e) => ProofError::Io(e),
        }
    }
}

/// What the detector still finds in the changed file `path`, reached
/// beneath `roots` as the rewrite reached it.
pub fn proof(
    path: &Path,
    roots: &Roots,
    follow: bool,
    detector: &Detector,
) -> Result<FileCounts, ProofError> {
    let (file, _) = open_beneath(path, roots, follow)?;
    Ok(count_remaining(&file, detector)?)
}

/// What is still in a file redact did not (fully) rewrite; `None` when it
/// cannot be read (its failure is reported already).
pub fn left_in(path: &Path, detector: &Detector, follow: bool) -> Option<FileCounts> {
    let (file, _) = open_regular(path, follow).ok()?;
    still_in(&file, path, detector).ok()
}

/// What the detector still finds in `file`: through every layer of a
/// container, in the raw bytes of anything else.
fn still_in(file: &File, path: &Path, detector: &Detector) -> Result<FileCounts, RewriteError> {
    let read = |e| RewriteError::Io("cannot read", e);
    let head = Head::read(&mut &*file).map_err(read)?;
    match head.opaque() {
        Some(format) if super::archive::supports(format) => {
            let replacement = &crate::mask::masker::shape_masker().1;
            super::archive::remaining(file, path, detector, replacement)
        }
        // A zip after a stub (self-extracting, zipapp): through its
        // members, which its raw bytes would hide; one that cannot be read
        // whole is not known clean.
        _ => match appended::find(file).map_err(read)? {
            Some(start) => match appended::count(file, start, detector, &Limits::default()) {
                Ok((counts, 0)) => Ok(counts),
                Ok(_) => Err(RewriteError::Io(
                    "cannot read every member of",
                    io::Error::other("zip after other data"),
                )),
                Err(e) => Err(read(e)),
            },
            None => count_remaining(file, detector).map_err(read),
        },
    }
}

/// For content cfscrub cannot see through, which is never rewritten: its
/// format and what its raw bytes hold (or why it could not be read).
/// `None` for content redact rewrites (containers included:
/// [`super::archive`]), and when the file cannot be opened (the rewrite
/// reports that).
pub fn opaque(
    path: &Path,
    detector: &Detector,
    follow: bool,
) -> Option<io::Result<(Opaque, FileCounts)>> {
    let (mut file, _) = open_regular(path, follow).ok()?;
    let head = match Head::read(&mut file) {
        Ok(head) => head,
        Err(e) => return Some(Err(e)),
    };
    let format = head.opaque()?;
    if super::archive::supports(format) {
        return None;
    }
    let mut counts = FileCounts::default();
    let mut scanner = StreamScanner::new(detector, true);
    Some(
        head.scan_with_rest(&mut scanner, &mut file, &mut counts)
            .map(|_| (format, counts)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::secrets::KnownSecrets;

    #[test]
    fn a_changed_file_that_became_a_directory_is_named_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub");
        std::fs::create_dir(&path).unwrap();
        let detector = Detector::new(&KnownSecrets::new());
        let roots = Roots::new(&[dir.path().to_path_buf()]);
        let e = proof(&path, &roots, false, &detector).unwrap_err();
        assert_eq!(e.to_string(), "is now a directory");
    }

    #[test]
    fn a_clean_file_has_nothing_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, "nothing here\n").unwrap();
        let detector = Detector::new(&KnownSecrets::new());
        assert_eq!(left_in(&path, &detector, false).unwrap().total(), 0);
        assert!(left_in(&dir.path().join("gone"), &detector, false).is_none());
    }
}
