//! Escaping untrusted bytes for a terminal or a log: control characters and
//! invalid UTF-8 become visible escapes (ESC → `\u{1b}`, 0xff → `\xff`). A
//! leaf: pure functions, no detector, no masking (that is
//! [`crate::mask::sanitize`], which uses this after masking).

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
