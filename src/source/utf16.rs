//! UTF-16 text (little- or big-endian, with a byte order mark or found by
//! the heuristic of [`crate::core::sniff`]) narrowed for the detector:
//! each 16-bit code unit becomes one byte — itself when it is ASCII, and
//! [`PLACEHOLDER`] otherwise (credentials are ASCII; a non-ASCII character
//! is never part of one). So offsets and columns of findings count code
//! units of the original text, and lines are its lines. A byte order mark
//! is left out of the narrowed stream (offsets count from after it); an
//! odd last byte becomes one more placeholder.

use std::io::{self, Read};

/// What a non-ASCII code unit becomes: a control character that no
/// matcher takes for part of a token.
pub const PLACEHOLDER: u8 = 0x1a;

/// Whether a head classified as UTF-16 holds enough ASCII code units (at
/// least one in 16) to be read as text: a byte order mark alone is two
/// bytes, and `\xff\xfe` also starts binary junk and Latin-1 text, which
/// are then scanned as raw bytes and reported not inspected, as before.
/// Credentials are ASCII: UTF-16 holding one has ASCII code units.
pub fn mostly_ascii(head: &[u8], big_endian: bool) -> bool {
    let units = head.len() / 2;
    let ascii = head
        .chunks_exact(2)
        .filter(|pair| {
            let (high, low) = if big_endian {
                (pair[0], pair[1])
            } else {
                (pair[1], pair[0])
            };
            high == 0 && low != 0 && low < 0x80
        })
        .count();
    units > 0 && ascii * 16 >= units
}

/// Most raw bytes read per call.
const RAW_CHUNK: usize = 128 * 1024;

/// Reads UTF-16 `inner` as one byte per code unit.
pub struct Narrowed<R> {
    inner: R,
    big_endian: bool,
    raw: Vec<u8>,
    /// The first byte of a code unit whose second has not arrived yet.
    pending: Option<u8>,
}

impl<R: Read> Narrowed<R> {
    /// Narrows `inner`, UTF-16 in the given byte order.
    pub fn new(inner: R, big_endian: bool) -> Narrowed<R> {
        Narrowed {
            inner,
            big_endian,
            raw: vec![0; RAW_CHUNK],
            pending: None,
        }
    }
}

fn narrow(unit: u16) -> u8 {
    if unit < 0x80 {
        unit as u8
    } else {
        PLACEHOLDER
    }
}

impl<R: Read> Read for Narrowed<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let want = (out.len() * 2).min(RAW_CHUNK);
        loop {
            let start = match self.pending.take() {
                Some(b) => {
                    self.raw[0] = b;
                    1
                }
                None => 0,
            };
            let n = match self.inner.read(&mut self.raw[start..want.max(2)]) {
                Ok(n) => n,
                Err(e) => {
                    if start == 1 {
                        self.pending = Some(self.raw[0]);
                    }
                    return Err(e);
                }
            };
            if n == 0 {
                if start == 1 {
                    out[0] = PLACEHOLDER;
                    return Ok(1);
                }
                return Ok(0);
            }
            let total = start + n;
            let units = total / 2;
            for (o, pair) in out.iter_mut().zip(self.raw[..units * 2].chunks_exact(2)) {
                let pair = [pair[0], pair[1]];
                *o = narrow(if self.big_endian {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                });
            }
            if total % 2 == 1 {
                self.pending = Some(self.raw[total - 1]);
            }
            if units > 0 {
                return Ok(units);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out one byte per read, like the slowest pipe.
    struct OneByte<'a>(&'a [u8]);
    impl Read for OneByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn each_code_unit_is_one_byte_whatever_the_reads() {
        let text = "héllo 😀 x=1\r\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let expected = b"h\x1allo \x1a\x1a x=1\r\n".to_vec();
        for (bytes, big) in [(&le, false), (&be, true)] {
            let mut out = Vec::new();
            Narrowed::new(&bytes[..], big)
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, expected);
            let mut out = Vec::new();
            Narrowed::new(OneByte(bytes), big)
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, expected);
        }
    }

    #[test]
    fn a_bom_before_junk_is_not_utf16_text() {
        let text: Vec<u8> = "\u{feff}PS C:\\> ls\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(mostly_ascii(&text, false));
        assert!(!mostly_ascii(
            b"\xff\xfe invalid utf-8 \xc3\x28 then\r\n",
            false
        ));
    }

    #[test]
    fn an_odd_last_byte_is_one_more_placeholder() {
        let mut out = Vec::new();
        Narrowed::new(&b"a\0b"[..], false)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"a\x1a");
    }
}
