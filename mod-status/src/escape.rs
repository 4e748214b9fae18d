//! Making what clients sent safe to show: the client address and request line in the scoreboard
//! are whatever a client wrote, cut to fit.

pub use mapache_plugin_api::sdk::html_escape as html;
use std::fmt::Write as _;

/// A NUL-padded scoreboard field as printable ASCII: bytes outside it (controls, non-ASCII, a
/// multi-byte character cut in two) as `\xHH`, and `\` as `\\`, as Apache's access log shows
/// them. The result is safe in every output format once HTML-escaped where needed.
pub fn field(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let mut out = String::with_capacity(end);
    for &b in &bytes[..end] {
        match b {
            b'\\' => out.push_str("\\\\"),
            b' '..=b'~' => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_printable_ascii_and_escape_the_rest() {
        assert_eq!(field(b"GET / HTTP/1.1\0\0\0"), "GET / HTTP/1.1");
        assert_eq!(field(b"a\x1b[31m\\\xc3"), "a\\x1b[31m\\\\\\xc3");
        assert_eq!(
            html("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
    }
}
