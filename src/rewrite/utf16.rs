//! Redacting UTF-16 text (little- or big-endian, with or without a byte
//! order mark): the text is scanned narrowed to one byte per code unit,
//! exactly as `scan` reads it ([`Narrowed`]), so findings and their lines
//! are the same; the original code units are kept aside as they are read
//! and written back unchanged, each finding's units replaced by the
//! replacement encoded in the same byte order. The byte order mark, when
//! there is one, is kept.
//!
//! Only well-formed UTF-16 is rewritten: an odd number of bytes or an
//! unpaired surrogate fails the read with [`io::ErrorKind::InvalidData`],
//! and the file is refused, untouched.

use crate::core::counts::{FileCounts, Replacement};
use crate::core::detect::Detector;
use crate::core::finding::Finding;
use crate::core::stream::{Flow, Sink, StreamScanner};
use crate::source::utf16::Narrowed;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::rc::Rc;

/// Reads `inner` for [`Narrowed`], checking that it is well-formed UTF-16
/// and, when rewriting, keeping the raw bytes for the [`Rewriter`].
struct Checked<R> {
    inner: R,
    big_endian: bool,
    kept: Option<Rc<RefCell<VecDeque<u8>>>>,
    /// The first byte of a code unit not complete yet.
    odd: Option<u8>,
    /// A high surrogate waits for its low half.
    high: bool,
}

fn invalid(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.to_string())
}

impl<R: Read> Checked<R> {
    fn check(&mut self, bytes: &[u8]) -> io::Result<()> {
        for &b in bytes {
            let Some(first) = self.odd.take() else {
                self.odd = Some(b);
                continue;
            };
            let unit = if self.big_endian {
                u16::from_be_bytes([first, b])
            } else {
                u16::from_le_bytes([first, b])
            };
            match unit {
                0xd800..=0xdbff if !self.high => self.high = true,
                0xdc00..=0xdfff if self.high => self.high = false,
                0xd800..=0xdfff => return Err(invalid("an unpaired surrogate")),
                _ if self.high => return Err(invalid("an unpaired surrogate")),
                _ => {}
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            if self.odd.is_some() {
                return Err(invalid("an odd number of bytes"));
            }
            if self.high {
                return Err(invalid("an unpaired surrogate"));
            }
            return Ok(0);
        }
        self.check(&buf[..n])?;
        if let Some(kept) = &self.kept {
            kept.borrow_mut().extend(&buf[..n]);
        }
        Ok(n)
    }
}

/// Writes the kept code units for the data and the encoded replacement
/// for each finding.
struct Rewriter<'a> {
    out: &'a mut dyn Write,
    kept: Rc<RefCell<VecDeque<u8>>>,
    replacement: Vec<u8>,
    counts: FileCounts,
}

impl Rewriter<'_> {
    fn take(&mut self, units: usize) -> io::Result<()> {
        let mut kept = self.kept.borrow_mut();
        if kept.len() < units * 2 {
            return Err(io::Error::other("UTF-16 units out of step"));
        }
        let (a, b) = kept.as_slices();
        let n = units * 2;
        let first = n.min(a.len());
        self.out.write_all(&a[..first])?;
        self.out.write_all(&b[..n - first])?;
        kept.drain(..n);
        Ok(())
    }
}

impl Sink for Rewriter<'_> {
    fn data(&mut self, bytes: &[u8]) -> io::Result<Flow> {
        self.take(bytes.len()).map(|_| Flow::Continue)
    }

    fn finding(&mut self, f: &Finding) -> io::Result<Flow> {
        self.counts.finding(f)?;
        let mut kept = self.kept.borrow_mut();
        if kept.len() < f.length * 2 {
            return Err(io::Error::other("UTF-16 units out of step"));
        }
        kept.drain(..f.length * 2);
        self.out
            .write_all(&self.replacement)
            .map(|_| Flow::Continue)
    }
}

/// The UTF-16 stream whose first bytes are `head` (a byte order mark
/// included, if any) and the rest `rest`: scanned, and rewritten into
/// `out` when there is one. What it held.
pub(crate) fn layer(
    head: &[u8],
    rest: &mut dyn Read,
    big_endian: bool,
    out: Option<&mut dyn Write>,
    detector: &Detector,
    replacement: &Replacement,
) -> io::Result<FileCounts> {
    let bom = match head {
        [0xff, 0xfe, ..] if !big_endian => 2,
        [0xfe, 0xff, ..] if big_endian => 2,
        _ => 0,
    };
    let kept = out.as_ref().map(|_| Rc::new(RefCell::new(VecDeque::new())));
    let checked = Checked {
        inner: (&head[bom..]).chain(rest),
        big_endian,
        kept: kept.clone(),
        odd: None,
        high: false,
    };
    let mut narrowed = Narrowed::new(checked, big_endian);
    let mut scanner = StreamScanner::new(detector, true);
    match (out, kept) {
        (Some(out), Some(kept)) => {
            out.write_all(&head[..bom])?;
            let text = String::from_utf8_lossy(replacement.text());
            let replacement = text
                .encode_utf16()
                .flat_map(|u| {
                    if big_endian {
                        u.to_be_bytes()
                    } else {
                        u.to_le_bytes()
                    }
                })
                .collect();
            let mut rewriter = Rewriter {
                out,
                kept,
                replacement,
                counts: FileCounts::default(),
            };
            scanner.scan_reader(&mut narrowed, &mut rewriter)?;
            Ok(rewriter.counts)
        }
        _ => {
            let mut counts = FileCounts::default();
            scanner.scan_reader(&mut narrowed, &mut counts)?;
            Ok(counts)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::counts::DEFAULT_REPLACEMENT;
    use crate::core::secrets::KnownSecrets;

    fn encode(text: &str, big: bool, bom: bool) -> Vec<u8> {
        let mut units: Vec<u16> = Vec::new();
        if bom {
            units.push(0xfeff);
        }
        units.extend(text.encode_utf16());
        units
            .iter()
            .flat_map(|u| {
                if big {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect()
    }

    fn rewrite(bytes: &[u8], big: bool) -> io::Result<(FileCounts, Vec<u8>)> {
        let det = Detector::new(&KnownSecrets::new());
        let r = Replacement::new(DEFAULT_REPLACEMENT, &det).unwrap();
        let mut out = Vec::new();
        let head = &bytes[..bytes.len().min(100)];
        let counts = layer(
            head,
            &mut &bytes[head.len()..],
            big,
            Some(&mut out),
            &det,
            &r,
        )?;
        Ok((counts, out))
    }

    #[test]
    fn findings_are_replaced_and_every_other_unit_kept_in_both_orders() {
        let token = crate::fake::FakeGen::new(21).scannable("cfut_", true);
        let text = format!("PS C:\\> é😀 $env:T='{token}'\r\nnext ✓ line\r\n");
        let expected = text.replace(&token, DEFAULT_REPLACEMENT);
        for big in [false, true] {
            for bom in [true, false] {
                let (counts, out) = rewrite(&encode(&text, big, bom), big).unwrap();
                assert_eq!(counts.total(), 1);
                assert_eq!(counts.lines, [1]);
                crate::mask::sanitize::assert_same(
                    "re-encoded",
                    &out,
                    &encode(&expected, big, bom),
                );
            }
        }
    }

    #[test]
    fn odd_bytes_and_unpaired_surrogates_are_refused() {
        let mut odd = encode("abc\r\n", false, true);
        odd.push(b'x');
        let e = rewrite(&odd, false).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        let mut lone = encode("ab", false, true);
        lone.extend_from_slice(&0xd800u16.to_le_bytes());
        lone.extend(encode("cd\r\n", false, false));
        let e = rewrite(&lone, false).unwrap_err();
        assert!(e.to_string().contains("unpaired surrogate"));
    }
}
