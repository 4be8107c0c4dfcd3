//! What a file's bytes are, decided on content, never on its name.
//!
//! [`classify`] looks at the first bytes of a file (its *head*, see
//! [`HEAD_LEN`]) and says whether cfscrub can read it as text, must treat it
//! as binary (a length-changing rewrite would corrupt it), or cannot see
//! through it at all (compressed, archived, or in an encoding the detector
//! does not decode): an [`Opaque`] file is never "clean", only
//! "not inspected".
//!
//! A text head does not prove a text file: a NUL byte can appear later. The
//! readers that decide a rewrite method also watch every chunk with
//! [`has_nul`].

/// How many leading bytes [`classify`] wants (it works with fewer).
pub const HEAD_LEN: usize = 4096;

/// What a file is, as far as cfscrub is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Text (any ASCII-compatible encoding): scanned, and rewritable by
    /// rename.
    Text,
    /// Binary data that cfscrub scans as bytes, but must never shift.
    Binary(Binary),
    /// Bytes the detector cannot see through.
    Opaque(Opaque),
}

/// Binary formats with a known layout (offsets matter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binary {
    /// An SQLite database file.
    Sqlite,
    /// An SQLite write-ahead log (`-wal`).
    SqliteWal,
    /// An SQLite rollback journal (`-journal`).
    SqliteJournal,
    /// An ELF executable or library.
    Elf,
    /// A PNG image.
    Png,
    /// A JPEG image.
    Jpeg,
    /// A GIF image.
    Gif,
    /// A PDF document.
    Pdf,
    /// A WebAssembly module.
    Wasm,
    /// A Mach-O executable.
    MachO,
    /// A Windows PE executable.
    Pe,
    /// Anything else holding NUL bytes.
    Other,
}

/// Formats whose bytes on disk are not the text they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opaque {
    /// gzip (`.gz`, also `.tgz`).
    Gzip,
    /// Zstandard.
    Zstd,
    /// bzip2.
    Bzip2,
    /// xz.
    Xz,
    /// legacy lzma (`.lzma`).
    Lzma,
    /// A raw zlib stream (git's loose objects).
    Zlib,
    /// A git pack file.
    GitPack,
    /// A zip archive (also jar, whl, apk, docx, ...).
    Zip,
    /// A tar archive.
    Tar,
    /// A 7-Zip archive.
    SevenZip,
    /// UTF-16 text, little-endian.
    Utf16Le,
    /// UTF-16 text, big-endian.
    Utf16Be,
}

impl Binary {
    /// A short name for messages (`sqlite`, `elf`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Binary::Sqlite => "sqlite",
            Binary::SqliteWal => "sqlite-wal",
            Binary::SqliteJournal => "sqlite-journal",
            Binary::Elf => "elf",
            Binary::Png => "png",
            Binary::Jpeg => "jpeg",
            Binary::Gif => "gif",
            Binary::Pdf => "pdf",
            Binary::Wasm => "wasm",
            Binary::MachO => "mach-o",
            Binary::Pe => "pe",
            Binary::Other => "binary",
        }
    }
}

impl Opaque {
    /// A short name for messages and JSON (`gzip`, `utf-16le`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Opaque::Gzip => "gzip",
            Opaque::Zstd => "zstd",
            Opaque::Bzip2 => "bzip2",
            Opaque::Xz => "xz",
            Opaque::Lzma => "lzma",
            Opaque::Zlib => "zlib",
            Opaque::GitPack => "git pack",
            Opaque::Zip => "zip",
            Opaque::Tar => "tar",
            Opaque::SevenZip => "7z",
            Opaque::Utf16Le => "utf-16le",
            Opaque::Utf16Be => "utf-16be",
        }
    }
}

/// Whether `bytes` hold a NUL byte (the binary signal for data past the head).
pub fn has_nul(bytes: &[u8]) -> bool {
    memchr::memchr(0, bytes).is_some()
}

/// Classifies a file by its first bytes (up to [`HEAD_LEN`]).
pub fn classify(head: &[u8]) -> Content {
    if let Some(b) = binary_magic(head) {
        return Content::Binary(b);
    }
    if let Some(o) = opaque_magic(head) {
        return Content::Opaque(o);
    }
    if let Some(o) = utf16_without_bom(head) {
        return Content::Opaque(o);
    }
    if has_nul(head) {
        return Content::Binary(Binary::Other);
    }
    Content::Text
}

fn binary_magic(head: &[u8]) -> Option<Binary> {
    const TABLE: &[(&[u8], Binary)] = &[
        (b"SQLite format 3\0", Binary::Sqlite),
        (&[0x37, 0x7f, 0x06, 0x82], Binary::SqliteWal),
        (&[0x37, 0x7f, 0x06, 0x83], Binary::SqliteWal),
        (
            &[0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7],
            Binary::SqliteJournal,
        ),
        (b"\x7fELF", Binary::Elf),
        (b"\x89PNG\r\n\x1a\n", Binary::Png),
        (&[0xff, 0xd8, 0xff], Binary::Jpeg),
        (b"GIF87a", Binary::Gif),
        (b"GIF89a", Binary::Gif),
        (b"%PDF-", Binary::Pdf),
        (b"\0asm", Binary::Wasm),
        (&[0xcf, 0xfa, 0xed, 0xfe], Binary::MachO),
        (&[0xce, 0xfa, 0xed, 0xfe], Binary::MachO),
        (&[0xca, 0xfe, 0xba, 0xbe], Binary::MachO),
    ];
    if let Some((_, b)) = TABLE.iter().find(|(magic, _)| head.starts_with(magic)) {
        return Some(*b);
    }
    // "MZ" alone is two printable letters: require the PE header it points to.
    if head.starts_with(b"MZ") && head.len() >= 0x40 {
        let at = u32::from_le_bytes([head[0x3c], head[0x3d], head[0x3e], head[0x3f]]) as usize;
        if head.get(at..at + 4) == Some(b"PE\0\0") {
            return Some(Binary::Pe);
        }
    }
    None
}

fn opaque_magic(head: &[u8]) -> Option<Opaque> {
    const TABLE: &[(&[u8], Opaque)] = &[
        (&[0x1f, 0x8b], Opaque::Gzip),
        (&[0x28, 0xb5, 0x2f, 0xfd], Opaque::Zstd),
        (b"BZh", Opaque::Bzip2),
        (&[0xfd, b'7', b'z', b'X', b'Z', 0x00], Opaque::Xz),
        (&[0x5d, 0x00, 0x00], Opaque::Lzma),
        (b"PACK\0\0\0", Opaque::GitPack),
        (b"PK\x03\x04", Opaque::Zip),
        (b"PK\x05\x06", Opaque::Zip),
        (b"PK\x07\x08", Opaque::Zip),
        (b"7z\xbc\xaf\x27\x1c", Opaque::SevenZip),
        (&[0xff, 0xfe], Opaque::Utf16Le),
        (&[0xfe, 0xff], Opaque::Utf16Be),
    ];
    if let Some((_, o)) = TABLE.iter().find(|(magic, _)| head.starts_with(magic)) {
        // "BZh" must be followed by a block size digit and the block magic.
        if *o == Opaque::Bzip2 && !is_bzip2(head) {
            return None;
        }
        return Some(*o);
    }
    if head.get(257..262) == Some(b"ustar") {
        return Some(Opaque::Tar);
    }
    if is_zlib(head) {
        return Some(Opaque::Zlib);
    }
    None
}

fn is_bzip2(head: &[u8]) -> bool {
    head.len() >= 10
        && (b'1'..=b'9').contains(&head[3])
        && (head[4..10] == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]
            || head[4..10] == [0x17, 0x72, 0x45, 0x38, 0x50, 0x90])
}

/// A zlib header (RFC 1950): deflate with a valid window, a header checksum
/// that divides by 31, no preset dictionary. One valid header, `x^`, is also
/// plain text (`x^2`): when the header is printable, a non-text byte must
/// follow within the next 8 bytes.
fn is_zlib(head: &[u8]) -> bool {
    let [cmf, flg, rest @ ..] = head else {
        return false;
    };
    let header_ok = cmf & 0x0f == 8
        && cmf >> 4 <= 7
        && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
        && flg & 0x20 == 0;
    if !header_ok {
        return false;
    }
    let printable = |b: u8| b == b'\t' || b == b'\n' || b == b'\r' || (0x20..0x7f).contains(&b);
    if printable(*flg) {
        return rest.iter().take(8).any(|&b| !printable(b));
    }
    true
}

/// UTF-16 without a byte-order mark: in the head (at least 32 bytes), at
/// least 70 % of the bytes at one parity are NUL and at most 5 % at the
/// other, with text on the other side — how ASCII-range text looks in
/// UTF-16. Binary formats with NUL runs fail the "other side" test.
fn utf16_without_bom(head: &[u8]) -> Option<Opaque> {
    let n = head.len() & !1;
    if n < 32 {
        return None;
    }
    let pairs = n / 2;
    let (mut zero_even, mut zero_odd) = (0usize, 0usize);
    for pair in head[..n].chunks_exact(2) {
        zero_even += usize::from(pair[0] == 0);
        zero_odd += usize::from(pair[1] == 0);
    }
    let many = |z: usize| z * 10 >= pairs * 7;
    let few = |z: usize| z * 20 <= pairs;
    if many(zero_odd) && few(zero_even) {
        Some(Opaque::Utf16Le)
    } else if many(zero_even) && few(zero_odd) {
        Some(Opaque::Utf16Be)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    fn utf16be(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_be_bytes).collect()
    }

    #[test]
    fn text_is_text() {
        assert_eq!(classify(b"hello world\n"), Content::Text);
        assert_eq!(classify(b""), Content::Text);
        assert_eq!(classify("héllo wörld, x^2\n".as_bytes()), Content::Text);
        assert_eq!(
            classify(b"x^2 + y^2 = z^2 is a famous equation"),
            Content::Text
        );
        assert_eq!(
            classify(b"BZh is not bzip2 without its block magic"),
            Content::Text
        );
        assert_eq!(classify(b"MZ could be a word"), Content::Text);
    }

    #[test]
    fn nul_bytes_make_binary() {
        assert_eq!(classify(b"abc\0def"), Content::Binary(Binary::Other));
    }

    #[test]
    fn binary_magics() {
        let mut sqlite = b"SQLite format 3\0".to_vec();
        sqlite.extend([0u8; 84]);
        assert_eq!(classify(&sqlite), Content::Binary(Binary::Sqlite));
        assert_eq!(
            classify(b"\x7fELF\x02\x01\x01"),
            Content::Binary(Binary::Elf)
        );
        assert_eq!(
            classify(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Content::Binary(Binary::Png)
        );
        assert_eq!(
            classify(&[0x37, 0x7f, 0x06, 0x82, 0, 0x2d, 0xe2, 0x18]),
            Content::Binary(Binary::SqliteWal)
        );
        assert_eq!(
            classify(&[0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7, 0, 0]),
            Content::Binary(Binary::SqliteJournal)
        );
    }

    #[test]
    fn compressed_and_archives_are_opaque() {
        assert_eq!(classify(&[0x1f, 0x8b, 8, 0]), Content::Opaque(Opaque::Gzip));
        assert_eq!(
            classify(&[0x28, 0xb5, 0x2f, 0xfd, 0x24]),
            Content::Opaque(Opaque::Zstd)
        );
        assert_eq!(
            classify(b"BZh91AY&SY\x01\x02"),
            Content::Opaque(Opaque::Bzip2)
        );
        assert_eq!(classify(b"\xfd7zXZ\0\0\x04"), Content::Opaque(Opaque::Xz));
        assert_eq!(classify(b"PK\x03\x04\x14\0"), Content::Opaque(Opaque::Zip));
        assert_eq!(
            classify(b"PACK\0\0\0\x02"),
            Content::Opaque(Opaque::GitPack)
        );
        let mut tar = vec![0u8; 512];
        tar[..8].copy_from_slice(b"app.log\0");
        tar[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(classify(&tar), Content::Opaque(Opaque::Tar));
        // git loose objects: zlib at the levels git uses.
        for flg in [0x01u8, 0x9c, 0xda] {
            assert_eq!(
                classify(&[0x78, flg, 0x4b, 0xca]),
                Content::Opaque(Opaque::Zlib)
            );
        }
        assert_eq!(
            classify(&[0x78, 0x5e, 0x4b, 0xca, 0xc9]),
            Content::Opaque(Opaque::Zlib)
        );
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let mut bom_le = vec![0xff, 0xfe];
        bom_le.extend(utf16le("token"));
        assert_eq!(classify(&bom_le), Content::Opaque(Opaque::Utf16Le));
        let mut bom_be = vec![0xfe, 0xff];
        bom_be.extend(utf16be("token"));
        assert_eq!(classify(&bom_be), Content::Opaque(Opaque::Utf16Be));
        let line = "PS C:\\> $env:CLOUDFLARE_API_TOKEN = 'x'\r\n";
        assert_eq!(classify(&utf16le(line)), Content::Opaque(Opaque::Utf16Le));
        assert_eq!(classify(&utf16be(line)), Content::Opaque(Opaque::Utf16Be));
        // Too short to tell: a NUL makes it binary, not UTF-16.
        assert_eq!(classify(&utf16le("ab")), Content::Binary(Binary::Other));
    }

    #[test]
    fn nul_runs_are_not_utf16() {
        let mut data = vec![0u8; 64];
        data.extend(b"some text after a header");
        assert_eq!(classify(&data), Content::Binary(Binary::Other));
    }
}
