//! Holding a rewritten member until its size is known (a tar header
//! comes before its data): in memory up to [`IN_MEMORY`] bytes, then in an
//! anonymous temp file (`O_TMPFILE`: it never has a name, so nothing is
//! left behind by a crash or a kill, and no other process can open it).
//! Only ever redacted bytes go in.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};

/// Bytes held in memory before spilling to a temp file.
pub(super) const IN_MEMORY: usize = 4 << 20;

/// A rewritten member on its way.
#[derive(Default)]
pub(super) struct Spool {
    memory: Vec<u8>,
    file: Option<File>,
    len: u64,
}

impl Spool {
    /// How many bytes it holds.
    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// Writes everything it holds to `out`.
    pub(super) fn copy_to(self, out: &mut dyn Write) -> io::Result<()> {
        match self.file {
            Some(mut file) => {
                file.seek(SeekFrom::Start(0))?;
                let copied = io::copy(&mut file, out)?;
                if copied != self.len {
                    return Err(io::Error::other("the spool file changed size"));
                }
                Ok(())
            }
            None => out.write_all(&self.memory),
        }
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.file.is_none() && self.memory.len() + buf.len() > IN_MEMORY {
            let mut file = tempfile::tempfile()?;
            file.write_all(&self.memory)?;
            self.memory = Vec::new();
            self.file = Some(file);
        }
        let n = match &mut self.file {
            Some(file) => file.write(buf)?,
            None => {
                self.memory.extend_from_slice(buf);
                buf.len()
            }
        };
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_stays_in_memory_and_large_spills_the_same_bytes() {
        for size in [10, IN_MEMORY + 1000] {
            let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let mut spool = Spool::default();
            for piece in data.chunks(70_000) {
                spool.write_all(piece).unwrap();
            }
            assert_eq!(spool.len(), size as u64);
            assert_eq!(spool.file.is_some(), size > IN_MEMORY);
            let mut out = Vec::new();
            spool.copy_to(&mut out).unwrap();
            assert!(out == data, "size {size}: bytes differ");
        }
    }
}
