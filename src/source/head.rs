//! The head of a stream: its first bytes (up to [`sniff::HEAD_LEN`]) read
//! once, classified ([`sniff::classify`]) and then handed to the scanner, so
//! that sniffing what a stream holds costs no second read.

use crate::core::sniff::{self, Content, Opaque};
use crate::core::stream::{Flow, Sink, StreamScanner};
use std::io::{self, Read};

/// The first bytes of a stream (up to [`sniff::HEAD_LEN`]), read once and
/// then handed to the scanner ([`Head::scan_with_rest`]).
pub struct Head {
    bytes: [u8; sniff::HEAD_LEN],
    len: usize,
    /// The stream ended within the head.
    eof: bool,
}

impl Head {
    /// Reads up to [`sniff::HEAD_LEN`] bytes (fewer only at end of input).
    pub fn read(reader: &mut impl Read) -> io::Result<Head> {
        let mut head = Head {
            bytes: [0; sniff::HEAD_LEN],
            len: 0,
            eof: false,
        };
        while head.len < head.bytes.len() {
            match reader.read(&mut head.bytes[head.len..]) {
                Ok(0) => {
                    head.eof = true;
                    break;
                }
                Ok(n) => head.len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(head)
    }

    /// The bytes read.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// What the head says the content is.
    pub fn classify(&self) -> Content {
        sniff::classify(&self.bytes[..self.len])
    }

    /// The format, when the detector cannot see through the content.
    pub fn opaque(&self) -> Option<Opaque> {
        match self.classify() {
            Content::Opaque(format) => Some(format),
            Content::Text | Content::Binary(_) => None,
        }
    }

    /// Scans the head, then the rest of `reader`, through `scanner`
    /// (until the sink stops).
    pub fn scan_with_rest(
        &self,
        scanner: &mut StreamScanner,
        reader: &mut impl Read,
        sink: &mut impl Sink,
    ) -> io::Result<Flow> {
        if self.eof {
            return scanner.finish_with(&self.bytes[..self.len], sink);
        }
        scanner.feed(&self.bytes[..self.len], sink)?;
        scanner.scan_reader(reader, sink)
    }
}

/// Scans `reader` to its end through `scanner`, classifying its head on
/// the way (nothing is read twice). Returns the format when the content is
/// opaque to the detector: its raw bytes were scanned, what it holds was
/// not inspected — the caller reports it so.
pub fn scan_and_sniff(
    scanner: &mut StreamScanner,
    reader: &mut impl Read,
    sink: &mut impl Sink,
) -> io::Result<Option<Opaque>> {
    let head = Head::read(reader)?;
    head.scan_with_rest(scanner, reader, sink)?;
    Ok(head.opaque())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::detect::Detector;
    use crate::core::finding::Finding;
    use crate::core::secrets::KnownSecrets;

    /// Hands out at most `step` bytes per read, like a slow pipe.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(self.1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn scan(data: &[u8], step: usize) -> (Option<Opaque>, Vec<Finding>, u64) {
        let det = Detector::new(&KnownSecrets::new());
        let mut scanner = StreamScanner::new(&det, true);
        let mut findings = Vec::new();
        let opaque = scan_and_sniff(&mut scanner, &mut Trickle(data, step), &mut findings).unwrap();
        (opaque, findings, scanner.position())
    }

    #[test]
    fn a_token_across_the_end_of_the_head_is_found_once_whatever_the_reads() {
        let token = crate::fake::FakeGen::new(3).scannable("cfut_", true);
        let mut data = vec![b'.'; sniff::HEAD_LEN - 20];
        data.extend_from_slice(format!(" {token}\nmore\n").as_bytes());
        data.extend(std::iter::repeat_n(b'x', 300_000));
        for step in [1, 7, 4096, 1 << 20] {
            let (opaque, findings, read) = scan(&data, step);
            assert_eq!(opaque, None);
            assert_eq!(findings.len(), 1, "read step {step}");
            assert_eq!(findings[0].offset, sniff::HEAD_LEN as u64 - 19);
            assert_eq!(read, data.len() as u64, "every byte scanned once");
        }
    }

    #[test]
    fn short_and_empty_inputs_are_scanned() {
        let (opaque, findings, read) = scan(b"grep cfat_AbCdE x\n", 3);
        assert_eq!((opaque, findings.len(), read), (None, 1, 18));
        assert_eq!(scan(b"", 1).0, None);
    }

    #[test]
    fn opaque_content_is_named_and_its_raw_bytes_scanned() {
        let token = crate::fake::FakeGen::new(4).scannable("cfut_", true);
        let mut tar = vec![0u8; 512];
        tar[..8].copy_from_slice(b"app.log\0");
        tar[257..263].copy_from_slice(b"ustar\0");
        tar.extend_from_slice(format!("{token}\n").as_bytes());
        let (opaque, findings, read) = scan(&tar, 4096);
        assert_eq!(opaque, Some(Opaque::Tar));
        assert_eq!((findings.len(), read), (1, tar.len() as u64));
    }
}
