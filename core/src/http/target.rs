//! The request target: which form it has (RFC 9112 §3.2), and the path made
//! safe to map onto a file system.
//!
//! The path is percent-decoded exactly once and then its dot segments are
//! resolved, so `%2e%2e` cannot climb out of the root the way it did in Apache
//! 2.4.49 (CVE-2021-41773), and `%252e` stays the literal name `%2e`.

use super::request::HttpError;

/// A request target taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestTarget {
    /// Decoded, dot-free path starting with `/` (see [`decode_path`]); `b"*"` for `OPTIONS *`.
    pub path: Vec<u8>,
    /// The query without `?`, still percent-encoded; empty when absent.
    pub query: String,
    /// `host[:port]` of an absolute-form target.
    pub authority: Option<String>,
}

/// Take a raw request target apart.
///
/// - origin-form `/p?q`;
/// - absolute-form `http://host[:port]/p?q` or `https://...` (an empty path is `/`);
/// - asterisk-form `*`, only for OPTIONS.
///
/// Anything else (authority-form, other schemes, relative paths, a fragment,
/// userinfo) → 400. Path errors are those of [`decode_path`].
pub fn parse_target(raw: &str, method: &str) -> Result<RequestTarget, HttpError> {
    if raw.contains('#') {
        // A fragment is never sent (RFC 9112 §3.2); refuse rather than guess.
        return Err(HttpError::new(400, "fragment in request target"));
    }
    if raw == "*" {
        if method != "OPTIONS" {
            return Err(HttpError::new(
                400,
                "asterisk-form target with a method other than OPTIONS",
            ));
        }
        return Ok(RequestTarget {
            path: b"*".to_vec(),
            query: String::new(),
            authority: None,
        });
    }
    let (authority, path_and_query) = if raw.starts_with('/') {
        (None, raw)
    } else if let Some(rest) = strip_http_scheme(raw) {
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path_and_query) = rest.split_at(end);
        if authority.is_empty() || !valid_host(authority.as_bytes()) {
            return Err(HttpError::new(
                400,
                "invalid authority in absolute-form target",
            ));
        }
        (Some(authority.to_string()), path_and_query)
    } else {
        return Err(HttpError::new(
            400,
            "request target is not a path or an http(s) URL",
        ));
    };
    let (raw_path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, q),
        None => (path_and_query, ""),
    };
    let path = if raw_path.is_empty() {
        b"/".to_vec()
    } else {
        decode_path(raw_path.as_bytes())?
    };
    Ok(RequestTarget {
        path,
        query: query.to_string(),
        authority,
    })
}

/// The rest after `http://` or `https://` (scheme case-insensitive).
fn strip_http_scheme(raw: &str) -> Option<&str> {
    let (scheme, rest) = raw.split_once("://")?;
    (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")).then_some(rest)
}

/// Decode and normalize a raw path (the target up to `?`).
///
/// Percent-escapes are decoded once; then `.` segments are dropped, `..`
/// removes the segment before it, and empty segments (`//`) collapse. A
/// trailing slash stays (also when the last segment was `.` or `..`).
/// Decoded bytes may be any byte but NUL, and need not be UTF-8.
///
/// Errors: no leading `/`, a bad escape (`%G1`, `%4`), or a NUL → 400;
/// an encoded slash `%2F` → 404 (Apache's `AllowEncodedSlashes Off`);
/// a `..` above the root → 400 (Apache).
pub fn decode_path(raw_path: &[u8]) -> Result<Vec<u8>, HttpError> {
    if raw_path.first() != Some(&b'/') {
        return Err(HttpError::new(400, "path does not start with '/'"));
    }
    let decoded = percent_decode(raw_path)?;
    let trailing_slash =
        decoded.ends_with(b"/") || decoded.ends_with(b"/.") || decoded.ends_with(b"/..");
    let mut segments: Vec<&[u8]> = Vec::new();
    for segment in decoded.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                if segments.pop().is_none() {
                    return Err(HttpError::new(400, "path goes above the document root"));
                }
            }
            _ => segments.push(segment),
        }
    }
    let mut path = Vec::with_capacity(decoded.len());
    for segment in &segments {
        path.push(b'/');
        path.extend_from_slice(segment);
    }
    if segments.is_empty() || trailing_slash {
        path.push(b'/');
    }
    Ok(path)
}

/// One pass of `%XX` decoding, refusing what must never reach a file name.
fn percent_decode(raw: &[u8]) -> Result<Vec<u8>, HttpError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = match raw[i] {
            b'%' => {
                let byte = raw
                    .get(i + 1..i + 3)
                    .and_then(|hex| Some((hex_value(hex[0])? << 4) | hex_value(hex[1])?))
                    .ok_or_else(|| HttpError::new(400, "bad percent-escape in path"))?;
                i += 3;
                match byte {
                    0 => return Err(HttpError::new(400, "NUL byte (%00) in path")),
                    b'/' => {
                        return Err(HttpError::new(
                            404,
                            "encoded slash (%2F) in path (AllowEncodedSlashes Off)",
                        ))
                    }
                    _ => byte,
                }
            }
            0 => return Err(HttpError::new(400, "NUL byte in path")),
            other => {
                i += 1;
                other
            }
        };
        out.push(b);
    }
    Ok(out)
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// RFC 3986 IPvFuture: `v` HEXDIG+ `.` (unreserved / sub-delims / `:`)+.
fn is_ip_future(literal: &[u8]) -> bool {
    let Some(rest) = literal
        .strip_prefix(b"v")
        .or_else(|| literal.strip_prefix(b"V"))
    else {
        return false;
    };
    let Some(dot) = rest.iter().position(|&b| b == b'.') else {
        return false;
    };
    let (version, address) = (&rest[..dot], &rest[dot + 1..]);
    !version.is_empty()
        && version.iter().all(u8::is_ascii_hexdigit)
        && !address.is_empty()
        && address
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:".contains(&b))
}

/// Whether a Host value (or an absolute-form authority) is `host[:port]`
/// with host a reg-name or an IP literal (RFC 3986 §3.2.2). Refused, as nginx
/// and Apache refuse them: a host that is empty once one trailing dot is
/// dropped (``, `.`, `:80`), and percent-escapes (`%41`), which no DNS name
/// has and a proxy in front may decode or not. `..` is refused too: hosts end
/// up in file paths (vhost directories, log names), as Apache's
/// `fix_hostname` knows.
pub fn valid_host(value: &[u8]) -> bool {
    let (host, port) = if value.first() == Some(&b'[') {
        let Some(close) = value.iter().position(|&b| b == b']') else {
            return false;
        };
        let literal = &value[1..close];
        let ipv6_shaped = literal
            .iter()
            .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        if literal.is_empty() || !(ipv6_shaped || is_ip_future(literal)) {
            return false;
        }
        match &value[close + 1..] {
            [] => (&value[..=close], None),
            [b':', port @ ..] => (&value[..=close], Some(port)),
            _ => return false,
        }
    } else {
        match value.iter().position(|&b| b == b':') {
            Some(colon) => (&value[..colon], Some(&value[colon + 1..])),
            None => (value, None),
        }
    };
    let reg_name_ok = host.starts_with(b"[")
        || host
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b));
    let named = !host.strip_suffix(b".").unwrap_or(host).is_empty();
    let port_ok = port.is_none_or(|p| p.iter().all(u8::is_ascii_digit));
    reg_name_ok && named && port_ok && !host.windows(2).any(|w| w == b"..")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(raw: &str) -> Vec<u8> {
        match decode_path(raw.as_bytes()) {
            Ok(p) => p,
            Err(e) => panic!("{raw}: {e}"),
        }
    }

    fn err(raw: &[u8]) -> u16 {
        match decode_path(raw) {
            Ok(p) => panic!("expected an error, got {:?}", String::from_utf8_lossy(&p)),
            Err(e) => e.status,
        }
    }

    #[test]
    fn plain_paths_unchanged() {
        assert_eq!(path("/"), b"/");
        assert_eq!(path("/index.html"), b"/index.html");
        assert_eq!(path("/a/b/"), b"/a/b/");
    }

    #[test]
    fn decodes_once() {
        assert_eq!(path("/a%20b"), b"/a b");
        assert_eq!(path("/%41%6a"), b"/Aj");
        assert_eq!(path("/%252e%252e/x"), b"/%2e%2e/x");
        assert_eq!(path("/a+b"), b"/a+b"); // '+' is not a space in a path
    }

    #[test]
    fn non_utf8_bytes_kept() {
        assert_eq!(path("/caf%E9"), b"/caf\xe9");
        assert_eq!(path("/%ff%fe"), b"/\xff\xfe");
    }

    #[test]
    fn nul_400() {
        assert_eq!(err(b"/a%00b"), 400);
        assert_eq!(err(b"/a\0b"), 400);
    }

    #[test]
    fn encoded_slash_404() {
        assert_eq!(err(b"/a%2Fb"), 404);
        assert_eq!(err(b"/a%2fb"), 404);
        assert_eq!(err(b"/..%2f..%2fetc"), 404);
    }

    #[test]
    fn bad_escapes_400() {
        assert_eq!(err(b"/%G1"), 400);
        assert_eq!(err(b"/%1G"), 400);
        assert_eq!(err(b"/%4"), 400);
        assert_eq!(err(b"/%"), 400);
        assert_eq!(err(b"/%%41"), 400);
        assert_eq!(err(b"/%+1"), 400);
    }

    #[test]
    fn dot_segments_resolved() {
        assert_eq!(path("/a/./b"), b"/a/b");
        assert_eq!(path("/a/../b"), b"/b");
        assert_eq!(path("/a/b/../../c"), b"/c");
        assert_eq!(path("/a/.."), b"/");
        assert_eq!(path("/a/b/.."), b"/a/");
        assert_eq!(path("/a/."), b"/a/");
        assert_eq!(path("/."), b"/");
        assert_eq!(path("/%2e/a/%2E%2E/b"), b"/b");
        assert_eq!(path("/a/.../b"), b"/a/.../b");
        assert_eq!(path("/.hidden/..x"), b"/.hidden/..x");
    }

    #[test]
    fn slashes_collapsed_trailing_kept() {
        assert_eq!(path("//"), b"/");
        assert_eq!(path("//a///b//"), b"/a/b/");
        assert_eq!(path("/a//../b"), b"/b");
    }

    #[test]
    fn above_root_400() {
        assert_eq!(err(b"/.."), 400);
        assert_eq!(err(b"/../"), 400);
        assert_eq!(err(b"/a/../../b"), 400);
        assert_eq!(err(b"/%2e%2e/etc/passwd"), 400);
        assert_eq!(err(b"/.%2e/x"), 400);
    }

    #[test]
    fn must_start_with_slash() {
        assert_eq!(err(b""), 400);
        assert_eq!(err(b"a/b"), 400);
        assert_eq!(err(b"%2fa"), 400);
    }

    #[test]
    fn target_forms() {
        let t = parse_target("/p/q?x=%20&y", "GET").unwrap();
        assert_eq!(
            (t.path.as_slice(), t.query.as_str(), t.authority),
            (&b"/p/q"[..], "x=%20&y", None)
        );
        let t = parse_target("/?", "GET").unwrap();
        assert_eq!((t.path.as_slice(), t.query.as_str()), (&b"/"[..], ""));
        let t = parse_target("http://h:81/a?b?c", "GET").unwrap();
        assert_eq!(t.authority.as_deref(), Some("h:81"));
        assert_eq!((t.path.as_slice(), t.query.as_str()), (&b"/a"[..], "b?c"));
        let t = parse_target("*", "OPTIONS").unwrap();
        assert_eq!(t.path, b"*");
        assert_eq!(parse_target("*", "GET").unwrap_err().status, 400);
        assert_eq!(parse_target("h:443", "CONNECT").unwrap_err().status, 400);
        assert_eq!(parse_target("mailto:x@y", "GET").unwrap_err().status, 400);
        assert_eq!(parse_target("http://h/%2F", "GET").unwrap_err().status, 404);
    }

    #[test]
    fn hosts() {
        for ok in [
            "a",
            "a.",
            ".a",
            "a.b-c_d~",
            "a:80",
            "a:",
            "[::1]",
            "[::1]:80",
            "[v1.x]",
            "xn--bcher-kva.example",
        ] {
            assert!(valid_host(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "a/b", "a b", "a:8x", "a:1:2", "[::1", "[]", "[::1]x", "[a/b]", "u@h", "..", "a..b",
            "a\\b", "[::g]", "", ".", ":80", ".:80", "%41", "a%2eb",
        ] {
            assert!(!valid_host(bad.as_bytes()), "{bad}");
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn decoded_paths_are_normal(
                raw in prop::collection::vec(prop_oneof![
                    any::<u8>(),
                    prop::sample::select(b"/./%2e%2E%2f%00%41..//".to_vec()),
                ], 0..60),
            ) {
                let mut raw = raw;
                raw.insert(0, b'/');
                if let Ok(p) = decode_path(&raw) {
                    prop_assert!(p.starts_with(b"/"));
                    prop_assert!(!p.contains(&0));
                    prop_assert!(!p.windows(2).any(|w| w == b"//"));
                    for seg in p.split(|&b| b == b'/') {
                        prop_assert!(seg != b"." && seg != b"..");
                    }
                    // Normal already: decoding is not applied twice, but
                    // resolving again (on a path without '%') changes nothing.
                    if !p.contains(&b'%') {
                        prop_assert_eq!(decode_path(&p).ok(), Some(p.clone()));
                    }
                }
            }
        }
    }
}
