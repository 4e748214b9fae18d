//! The 301 from a directory path without its trailing slash to the path with it.

use crate::escape::{html_escape, is_path_byte, percent_decode, percent_encode};
use mapache_plugin_api::sdk::{Outcome, Request};

/// 301 to `location`, with a small page like Apache's. Produced here rather than returned as a
/// status: the ABI lets a handler hand the core only 400..=599 for its own error page.
pub fn redirect(req: &mut Request<'_>, location: &str) -> Outcome {
    let body = format!(
        "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n\
         <title>301 Moved Permanently</title>\n</head><body>\n<h1>Moved Permanently</h1>\n\
         <p>The document has moved <a href=\"{}\">here</a>.</p>\n</body></html>\n",
        html_escape(location)
    );
    req.set_status(301);
    req.set_header("Location", location);
    req.set_header("Content-Type", "text/html; charset=iso-8859-1");
    req.set_content_length(body.len() as u64);
    if req.method() != "HEAD" {
        // An error means the client has gone; there is nothing left to do either way.
        let _ = req.write(body.as_bytes());
    }
    Outcome::Done
}

/// The `Location` of the redirect from a directory to its slash-terminated path.
///
/// Built from the raw request target so the client's encoding is kept, but only when that raw
/// path decodes to exactly the path being served; otherwise (dot segments the core resolved,
/// merged slashes, bytes a URI may not hold, a target that was not UTF-8) the decoded path is
/// encoded afresh. Leading slashes collapse to one: `//host/…` would send the client elsewhere.
pub fn build_location(raw_target: &str, decoded_path: &[u8], query: &str) -> String {
    let raw_path = origin_path(raw_target);
    let raw_is_faithful = raw_path.bytes().all(|b| is_path_byte(b) || b == b'%')
        && percent_decode(raw_path.as_bytes()).as_deref() == Some(decoded_path);
    let mut path = String::with_capacity(decoded_path.len() + 2);
    if raw_is_faithful {
        path.push_str(raw_path);
    } else {
        percent_encode(&mut path, decoded_path, is_path_byte);
    }
    let mut location = format!("/{}/", path.trim_start_matches('/'));
    if !query.is_empty() {
        location.push('?');
        // Already encoded by the client; only bytes that may not appear in a header are escaped.
        percent_encode(&mut location, query.as_bytes(), |b| {
            is_path_byte(b) || b == b'?' || b == b'%'
        });
    }
    location
}

/// The path part of a request target: up to `?`, without the `scheme://authority` of the
/// absolute form.
fn origin_path(target: &str) -> &str {
    let target = target.split(['?', '#']).next().unwrap_or("");
    if let Some((scheme, rest)) = target.split_once("://") {
        let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
        if is_scheme {
            return rest.find('/').map_or("/", |i| &rest[i..]);
        }
    }
    target
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_locations() {
        assert_eq!(build_location("/docs", b"/docs", ""), "/docs/");
        assert_eq!(
            build_location("/docs?a=1&b", b"/docs", "a=1&b"),
            "/docs/?a=1&b"
        );
        // The client's encoding is kept when it decodes to the served path.
        assert_eq!(build_location("/a%20b", b"/a b", ""), "/a%20b/");
        assert_eq!(
            build_location("/caf%C3%A9", b"/caf\xc3\xa9", ""),
            "/caf%C3%A9/"
        );
        assert_eq!(build_location("/%7euser", b"/~user", ""), "/%7euser/");
        // Absolute form: the path only.
        assert_eq!(
            build_location("http://example.com/docs?x", b"/docs", "x"),
            "/docs/?x"
        );
        // Dot segments the core resolved: the decoded path, encoded afresh.
        assert_eq!(build_location("/x/../docs", b"/docs", ""), "/docs/");
        // Never a protocol-relative Location.
        assert_eq!(
            build_location("//evil.com/%2e%2e/docs", b"/docs", ""),
            "/docs/"
        );
        assert_eq!(
            build_location("//evil.com", b"//evil.com", ""),
            "/evil.com/"
        );
        // Not UTF-8 (the SDK then hands an empty target), bytes a URI may not hold.
        assert_eq!(build_location("", b"/caf\xe9 x", ""), "/caf%E9%20x/");
        assert_eq!(build_location("", b"/a\\b?#%", ""), "/a%5Cb%3F%23%25/");
        // A query is passed on, with header-unsafe bytes escaped.
        assert_eq!(
            build_location("/d", b"/d", "q=%20 \r\n\""),
            "/d/?q=%20%20%0D%0A%22"
        );
    }

    #[test]
    fn origin_paths() {
        assert_eq!(origin_path("/a?b"), "/a");
        assert_eq!(origin_path("HTTPS://h:8080/a/b?c"), "/a/b");
        assert_eq!(origin_path("http://h"), "/");
        assert_eq!(origin_path("/x/http://y"), "/x/http://y");
    }
}
