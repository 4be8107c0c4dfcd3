//! Safe display of untrusted text (file names) on a terminal or in a log.
//!
//! A hostile file name must not drive the terminal: control characters and
//! invalid UTF-8 are escaped (`\x1b`, `\n`, `\xff`) before a path is printed.
//! And a path must not print a secret: a file named after a token, or a
//! token mistakenly given where a path was expected (`cfscrub verify
//! cfut_…`), is shown with the credential masked.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The path with credentials masked and control characters and invalid
/// UTF-8 escaped.
pub fn display_path(path: &Path) -> String {
    let (detector, replacement) = crate::mask::shape_masker();
    escape_bytes(&crate::mask::mask_bytes(
        detector,
        replacement,
        path.as_os_str().as_bytes(),
    ))
}

/// `text` with every credential shape masked (error messages that quote
/// what the user typed).
pub fn mask_text(text: &str) -> String {
    let (detector, replacement) = crate::mask::shape_masker();
    String::from_utf8_lossy(&crate::mask::mask_bytes(
        detector,
        replacement,
        text.as_bytes(),
    ))
    .into_owned()
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

/// Unit-test assertion: equal bytes, or a failure message showing both
/// sides with credentials masked (a failed redaction must not print the
/// token it missed).
#[cfg(test)]
pub(crate) fn assert_same(what: &str, actual: &[u8], expected: &[u8]) {
    if actual != expected {
        let show = |b: &[u8]| mask_text(&String::from_utf8_lossy(b));
        panic!(
            "{what}: differs\n--- actual (masked)\n{}\n--- expected (masked)\n{}",
            show(actual),
            show(expected)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_a_token_in_a_path() {
        let token = crate::fake::FakeGen::new(1).scannable("cfut_", true);
        let shown = display_path(Path::new(&format!("logs/{token}.txt")));
        assert_eq!(shown, "logs/[REDACTED_CF_TOKEN].txt");
    }

    #[test]
    fn escapes_control_and_invalid_bytes() {
        assert_eq!(escape_bytes(b"a\x1b[31mb\n\xff"), "a\\u{1b}[31mb\\n\\xff");
        assert_eq!(escape_bytes("dé.log".as_bytes()), "dé.log");
    }
}
