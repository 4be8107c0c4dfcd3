//! PNG chunk checksums, kept valid across a same-length redaction.
//!
//! A PNG is a signature and a sequence of chunks: length, type, data, and a
//! CRC-32 of type and data. A credential in a text chunk (`tEXt`, `iTXt`)
//! replaced in place leaves that chunk's CRC wrong, and PNG readers reject
//! the file or warn. [`intact_chunks`] lists, before the rewrite, the
//! chunks whose CRC is right; [`restore_crcs`] recomputes, after it, those
//! among them whose content changed. A chunk that was damaged before stays
//! as it was: cfscrub does not hide damage it did not cause.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";
const BLOCK: usize = 64 * 1024;

/// A chunk whose CRC was right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    /// Offset of the chunk's type field (the CRC covers type and data).
    at: u64,
    /// Length of the data.
    len: u32,
}

impl Chunk {
    fn crc_at(self) -> u64 {
        self.at + 4 + u64::from(self.len)
    }
}

/// The chunks of the PNG in `file` whose stored CRC matches their content.
/// Stops at `IEND` or at the first chunk that does not fit in the file.
pub fn intact_chunks(file: &File) -> io::Result<Vec<Chunk>> {
    let size = file.metadata()?.len();
    let mut signature = [0u8; 8];
    if file.read_exact_at(&mut signature, 0).is_err() || &signature != SIGNATURE {
        return Ok(Vec::new());
    }
    let mut chunks = Vec::new();
    let mut at = 8u64;
    while at + 12 <= size {
        let mut header = [0u8; 8];
        file.read_exact_at(&mut header, at)?;
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let chunk = Chunk { at: at + 4, len };
        if chunk.crc_at() + 4 > size {
            break;
        }
        if stored_crc(file, chunk)? == computed_crc(file, chunk)? {
            chunks.push(chunk);
        }
        if &header[4..] == b"IEND" {
            break;
        }
        at = chunk.crc_at() + 4;
    }
    Ok(chunks)
}

/// Rewrites the CRC of each chunk of `chunks` (from [`intact_chunks`])
/// whose content no longer matches it. Returns how many were rewritten.
pub fn restore_crcs(file: &File, chunks: &[Chunk]) -> io::Result<usize> {
    let mut rewritten = 0;
    for &chunk in chunks {
        let crc = computed_crc(file, chunk)?;
        if stored_crc(file, chunk)? != crc {
            // Never past the end of a file cut meanwhile (see `store_within`).
            let landed = crate::sys::store_within(file, chunk.crc_at(), &crc.to_be_bytes())?;
            if landed < 4 || file.metadata()?.len() < chunk.crc_at() + 4 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file was cut short during the rewrite",
                ));
            }
            rewritten += 1;
        }
    }
    Ok(rewritten)
}

fn stored_crc(file: &File, chunk: Chunk) -> io::Result<u32> {
    let mut crc = [0u8; 4];
    file.read_exact_at(&mut crc, chunk.crc_at())?;
    Ok(u32::from_be_bytes(crc))
}

fn computed_crc(file: &File, chunk: Chunk) -> io::Result<u32> {
    let mut hasher = crc32fast::Hasher::new();
    let mut buf = vec![0u8; BLOCK];
    let mut at = chunk.at;
    let end = chunk.crc_at();
    while at < end {
        let n = BLOCK.min((end - at) as usize);
        file.read_exact_at(&mut buf[..n], at)?;
        hasher.update(&buf[..n]);
        at += n as u64;
    }
    Ok(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(kind);
        hasher.update(data);
        out.extend_from_slice(&hasher.finalize().to_be_bytes());
        out
    }

    #[test]
    fn a_changed_text_chunk_gets_its_crc_back_and_a_damaged_one_stays_damaged() {
        let mut png = SIGNATURE.to_vec();
        png.extend(chunk(b"tEXt", b"Comment\0secret here"));
        let mut damaged = chunk(b"tEXt", b"Author\0someone");
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        png.extend(&damaged);
        png.extend(chunk(b"IEND", b""));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.png");
        std::fs::write(&path, &png).unwrap();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let intact = intact_chunks(&file).unwrap();
        assert_eq!(intact.len(), 2, "the damaged chunk is not listed");
        file.write_all_at(b"******", 8 + 8 + 8).unwrap();
        assert_eq!(restore_crcs(&file, &intact).unwrap(), 1);
        let after = std::fs::read(&path).unwrap();
        let mut expected = SIGNATURE.to_vec();
        expected.extend(chunk(b"tEXt", b"Comment\0****** here"));
        expected.extend(&damaged);
        expected.extend(chunk(b"IEND", b""));
        assert_eq!(after, expected);
    }

    #[test]
    fn not_a_png_has_no_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        std::fs::write(&path, b"plain text").unwrap();
        assert!(intact_chunks(&File::open(&path).unwrap())
            .unwrap()
            .is_empty());
    }
}
