//! Escaping for the three places a file name or request path ends up: URLs (percent-encoding),
//! HTML text, and error-log lines.

pub use mapache_plugin_api::sdk::html_escape;
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// RFC 3986 `pchar` without `%`, plus `/`: what a path may carry as is.
pub fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b)
}

/// Appends `bytes` to `out`, each byte `keep` refuses written as `%XX`.
pub fn percent_encode(out: &mut String, bytes: &[u8], keep: impl Fn(u8) -> bool) {
    for &b in bytes {
        if keep(b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// Decodes `%XX` escapes; `None` for a malformed escape.
pub fn percent_decode(bytes: &[u8]) -> Option<Vec<u8>> {
    fn hex(b: u8) -> Option<u8> {
        char::from(b).to_digit(16).map(|d| d as u8)
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let (hi, lo) = (hex(*bytes.get(i + 1)?)?, hex(*bytes.get(i + 2)?)?);
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// A path for the error log: the request path is client-chosen and decoded, so control bytes
/// (`%0a` becomes a newline) are escaped rather than allowed to forge log lines.
pub fn shown(path: &Path) -> String {
    let mut out = String::new();
    for c in String::from_utf8_lossy(path.as_os_str().as_bytes()).chars() {
        if c.is_control() {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode(b"/a%2Fb%41").unwrap(), b"/a/bA");
        assert!(percent_decode(b"/a%2").is_none());
        assert!(percent_decode(b"/a%zz").is_none());
    }

    #[test]
    fn percent_encoding() {
        let mut out = String::new();
        percent_encode(&mut out, b"a b:c/", is_path_byte);
        assert_eq!(out, "a%20b:c/");
    }

    #[test]
    fn log_paths_are_escaped() {
        assert_eq!(shown(Path::new("/a\nb\x1b")), "/a\\x0ab\\x1b");
        assert_eq!(shown(Path::new("/caf\u{e9}")), "/caf\u{e9}");
    }

    #[test]
    fn html_escaping() {
        assert_eq!(
            html_escape("/a?b=1&c=\"<>\"'"),
            "/a?b=1&amp;c=&quot;&lt;&gt;&quot;&#39;"
        );
    }
}
