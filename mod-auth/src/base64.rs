//! Base64 as Apache reads and writes it: the lenient decoder of `ap_pbase64decode` (the
//! Authorization header's credentials: decoding stops at the first character outside the
//! alphabet, padding included, and a trailing partial group gives what bits it has) and the
//! encoder `{SHA}` hashes are written with.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn value(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes the leading base64 characters of `text`, as `apr_base64_decode` does.
pub fn decode_lenient(text: &[u8]) -> Vec<u8> {
    let sixes: Vec<u8> = text.iter().map_while(|&b| value(b)).collect();
    let mut out = Vec::with_capacity(sixes.len() * 3 / 4 + 1);
    for group in sixes.chunks(4) {
        let get = |i: usize| group.get(i).copied().unwrap_or(0);
        if group.len() > 1 {
            out.push(get(0) << 2 | get(1) >> 4);
        }
        if group.len() > 2 {
            out.push(get(1) << 4 | get(2) >> 2);
        }
        if group.len() > 3 {
            out.push(get(2) << 6 | get(3));
        }
    }
    out
}

/// Standard base64 with `=` padding.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_padded_and_unpadded_credentials() {
        assert_eq!(decode_lenient(b"YWxpY2U6czNjcmV0"), b"alice:s3cret");
        assert_eq!(decode_lenient(b"YTpi"), b"a:b");
        assert_eq!(decode_lenient(b"YTpiYw=="), b"a:bc");
        assert_eq!(decode_lenient(b"YTpiYw"), b"a:bc");
    }

    #[test]
    fn stops_at_the_first_character_outside_the_alphabet() {
        assert_eq!(decode_lenient(b"YTpi!!!!"), b"a:b");
        assert_eq!(decode_lenient(b"YTpi YWJj"), b"a:b");
        assert_eq!(decode_lenient(b"*"), b"");
        // A single leftover character carries no whole byte.
        assert_eq!(decode_lenient(b"YTpiY"), b"a:b");
    }

    #[test]
    fn encodes_with_padding() {
        assert_eq!(encode(b""), "");
        assert_eq!(encode(b"a"), "YQ==");
        assert_eq!(encode(b"ab"), "YWI=");
        assert_eq!(encode(b"abc"), "YWJj");
        assert_eq!(encode(b"alice:s3cret"), "YWxpY2U6czNjcmV0");
    }
}
