//! What a client sent, made safe for an error-log line as Apache's `ap_escape_errorlog_item`
//! makes it: a byte that is not printable ASCII becomes `\xhh` (`\n`, `\r`, `\t`, `\b`, `\v`
//! by name) and a backslash is doubled, so a user name cannot forge or colour log lines.

/// `bytes` escaped for the error log.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0b => out.push_str("\\v"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_apache_escapes_a_user_name() {
        // Apache logged `user e\x1bvil\tx"q\\\\z not found` for the name e<ESC>vil<TAB>x"q\\z.
        assert_eq!(escape(b"e\x1bvil\tx\"q\\\\z"), "e\\x1bvil\\tx\"q\\\\\\\\z");
        assert_eq!(escape(b"a\r\nb"), "a\\r\\nb");
        assert_eq!(escape("é".as_bytes()), "\\xc3\\xa9");
        assert_eq!(escape(b"alice"), "alice");
    }
}
