//! Floor 2, where bytes come from: which files to read ([`walk`]), opening
//! one safely ([`open`]), reaching
//! a file beneath its root through directory descriptors and creating temp
//! files there ([`beneath`]), reading and classifying the head of a stream
//! ([`head`]), removing those temp files on signals
//! ([`cleanup`]), the worker pools that read and rewrite ([`pool`]), the
//! decoded streams inside compressed files and archives ([`container`],
//! [`compressed`], [`archive`]), UTF-16 text narrowed for the detector
//! ([`utf16`]), a git repository's objects ([`git`]), paths that name
//! one file twice ([`same_file`]). Below the masking floor: paths are kept as paths, and the
//! caller masks them when printing.

pub mod archive;
pub mod beneath;
pub mod cleanup;
pub mod compressed;
pub mod container;
pub mod git;
pub mod head;
pub mod open;
pub mod pool;
pub mod same_file;
pub mod utf16;
pub mod walk;
