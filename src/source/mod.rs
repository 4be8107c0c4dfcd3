//! Floor 2, where bytes come from: which files to read ([`walk`]), opening
//! one safely ([`open`]), reaching
//! a file beneath its root through directory descriptors and creating temp
//! files there ([`beneath`]), reading and classifying the head of a stream
//! ([`head`]), removing those temp files on signals
//! ([`cleanup`]), the worker pools that read and rewrite ([`pool`]). Below the masking floor: paths are kept as paths, and the
//! caller masks them when printing.

pub mod beneath;
pub mod cleanup;
pub mod head;
pub mod open;
pub mod pool;
pub mod walk;
