//! Safe display of untrusted text (file names) on a terminal or in a log.
//!
//! A hostile file name must not drive the terminal: control characters and
//! invalid UTF-8 are escaped (`\x1b`, `\n`, `\xff`) before a path is printed.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The path with control characters and invalid UTF-8 escaped.
pub fn display_path(path: &Path) -> String {
    escape_bytes(path.as_os_str().as_bytes())
}

/// Escapes control characters and invalid UTF-8 in `bytes`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_and_invalid_bytes() {
        assert_eq!(escape_bytes(b"a\x1b[31mb\n\xff"), "a\\u{1b}[31mb\\n\\xff");
        assert_eq!(escape_bytes("dé.log".as_bytes()), "dé.log");
    }
}
