//! Response heads and chunk framing: what we put on the wire before and
//! between body bytes.
//!
//! The writer owns the framing and connection headers (`Content-Length`,
//! `Transfer-Encoding`, `Connection`, `Keep-Alive`) and `Date`/`Server`; the
//! same names among the caller's headers are dropped, so the head can never
//! say two things about where the body ends.

use super::request::Version;
use super::status::reason_phrase;

/// How the response body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseFraming {
    /// `Content-Length: n` (also for HEAD, with the length GET would send).
    Length(u64),
    /// `Transfer-Encoding: chunked`; HTTP/1.1 clients only.
    Chunked,
    /// The body ends when the connection closes (HTTP/1.0, length unknown);
    /// implies `Connection: close`.
    CloseDelimited,
    /// No body and no length: 1xx, 204, 304.
    NoBody,
}

impl ResponseFraming {
    /// The framing for a `status` response to a `version` request whose body
    /// length is `len` if known: no body for 1xx/204/304, else the length, else
    /// chunked for HTTP/1.1 and close-delimited for HTTP/1.0 (which has no chunked).
    pub fn choose(status: u16, version: Version, len: Option<u64>) -> Self {
        match (status, len, version) {
            _ if status_has_no_body(status) => ResponseFraming::NoBody,
            (_, Some(n), _) => ResponseFraming::Length(n),
            (_, None, Version::Http11) => ResponseFraming::Chunked,
            (_, None, Version::Http10) => ResponseFraming::CloseDelimited,
        }
    }
}

/// Whether a response with `status` never has a body (1xx, 204, 304: RFC 9110 §6.4.1).
pub fn status_has_no_body(status: u16) -> bool {
    (100..200).contains(&status) || status == 204 || status == 304
}

/// What decides whether a connection may carry another request after this response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepAlive {
    /// `KeepAlive On`.
    pub configured: bool,
    /// MaxKeepAliveRequests (0: no limit).
    pub max_requests: u64,
    /// Requests already answered on the connection before this one.
    pub served: u64,
    /// The client allows it (HTTP/1.1 without `Connection: close`, or a 1.0 keep-alive).
    pub requested: bool,
    /// The request's framing was suspicious (see `RequestHead::close_after`).
    pub suspicious_framing: bool,
    /// Something already decided to close (an error, a failed body read).
    pub must_close: bool,
    /// The process stops gracefully: it answers what it was asked, then closes.
    pub stopping: bool,
}

impl KeepAlive {
    /// Whether the connection may stay open, as far as the head and the settings go (an
    /// unread request body is the caller's to drain or not).
    pub fn allowed(&self) -> bool {
        self.configured
            && self.requested
            && !self.suspicious_framing
            && !self.must_close
            && !self.stopping
            && (self.max_requests == 0 || self.served + 1 < self.max_requests)
    }
}

/// Everything [`write_response_head`] needs.
#[derive(Debug, Clone, Copy)]
pub struct ResponseHead<'a> {
    /// Status code, 100..=999.
    pub status: u16,
    /// The request's version: decides how keep-alive is spelled.
    pub version: Version,
    /// The status line says HTTP/1.0 (`force-response-1.0`) instead of HTTP/1.1.
    pub status_line_10: bool,
    /// Other header fields, in order. Lines with a name that is not a token,
    /// or CR, LF or NUL in the value, are dropped (no response splitting).
    pub headers: &'a [(String, String)],
    /// How the body is delimited.
    pub framing: ResponseFraming,
    /// Whether the connection stays open after this response.
    pub keep_alive: bool,
    /// The `Server` value (ServerTokens); empty for none.
    pub server: &'a str,
}

/// The interim response sent before reading a body the client `Expect`s us to want.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";
/// The last chunk and the empty trailer section that end a chunked body.
pub const CHUNK_END: &[u8] = b"0\r\n\r\n";
/// The line end written after each chunk's data.
pub const CHUNK_DATA_END: &[u8] = b"\r\n";

/// Header names the writer sets itself.
const OWNED: [&str; 6] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "date",
    "server",
];

/// Append a response head to `out`:
///
/// ```text
/// HTTP/1.1 200 OK
/// Date: <date>
/// Server: <server>
/// <headers>
/// Content-Length: n | Transfer-Encoding: chunked
/// Connection: close | Connection: Keep-Alive
/// <empty line>
/// ```
///
/// The status line always says HTTP/1.1, our highest version (RFC 9110
/// §2.5), whatever the request's. `Connection: close` when not keeping the
/// connection (or the body is close-delimited); `Connection: Keep-Alive` when
/// keeping an HTTP/1.0 connection, whose default is to close. 1xx responses
/// carry no framing or connection fields.
pub fn write_response_head(out: &mut Vec<u8>, head: &ResponseHead<'_>, date: &[u8]) {
    out.extend_from_slice(match head.status_line_10 {
        true => b"HTTP/1.0 ",
        false => b"HTTP/1.1 ",
    });
    push_decimal(out, u64::from(head.status));
    out.push(b' ');
    out.extend_from_slice(reason_phrase(head.status).as_bytes());
    out.extend_from_slice(b"\r\nDate: ");
    out.extend_from_slice(date);
    out.extend_from_slice(b"\r\n");
    if !head.server.is_empty() && safe_value(head.server) {
        out.extend_from_slice(b"Server: ");
        out.extend_from_slice(head.server.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    for (name, value) in head.headers {
        let owned = OWNED.iter().any(|o| name.eq_ignore_ascii_case(o));
        if owned || !valid_name(name) || !safe_value(value) {
            continue;
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    let interim = (100..200).contains(&head.status);
    match head.framing {
        ResponseFraming::Length(n) if !interim => {
            out.extend_from_slice(b"Content-Length: ");
            push_decimal(out, n);
            out.extend_from_slice(b"\r\n");
        }
        ResponseFraming::Chunked if !interim => {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
        }
        _ => {}
    }
    if !interim {
        let close = !head.keep_alive || head.framing == ResponseFraming::CloseDelimited;
        if close {
            out.extend_from_slice(b"Connection: close\r\n");
        } else if head.version == Version::Http10 {
            out.extend_from_slice(b"Connection: Keep-Alive\r\n");
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// Append the size line of a chunk of `len` bytes: `{hex}\r\n`. Follow it
/// with the data and [`CHUNK_DATA_END`]. `len` 0 would end the body: use
/// [`CHUNK_END`] for that, and never send an empty chunk otherwise.
pub fn write_chunk_header(out: &mut Vec<u8>, len: usize) {
    let mut digits = [0u8; 16];
    let mut n = len;
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b"0123456789abcdef"[n % 16];
        n /= 16;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
    out.extend_from_slice(b"\r\n");
}

fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(super::request::is_tchar)
}

/// No byte that could end the line early or truncate it.
fn safe_value(value: &str) -> bool {
    !value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0))
}

#[cfg(test)]
mod tests {
    #[test]
    fn keep_alive_needs_every_condition() {
        let ok = super::KeepAlive {
            configured: true,
            max_requests: 100,
            served: 0,
            requested: true,
            suspicious_framing: false,
            must_close: false,
            stopping: false,
        };
        assert!(ok.allowed());
        assert!(!super::KeepAlive {
            configured: false,
            ..ok
        }
        .allowed());
        assert!(!super::KeepAlive {
            requested: false,
            ..ok
        }
        .allowed());
        assert!(!super::KeepAlive {
            suspicious_framing: true,
            ..ok
        }
        .allowed());
        assert!(!super::KeepAlive {
            must_close: true,
            ..ok
        }
        .allowed());
        assert!(!super::KeepAlive {
            stopping: true,
            ..ok
        }
        .allowed());
        // The 100th request of MaxKeepAliveRequests 100 is the last.
        assert!(super::KeepAlive { served: 98, ..ok }.allowed());
        assert!(!super::KeepAlive { served: 99, ..ok }.allowed());
        assert!(super::KeepAlive {
            served: 10_000,
            max_requests: 0,
            ..ok
        }
        .allowed());
    }

    #[test]
    fn bodiless_statuses() {
        for s in [100, 101, 199, 204, 304] {
            assert!(super::status_has_no_body(s), "{s}");
        }
        for s in [200, 203, 205, 206, 301, 404, 500] {
            assert!(!super::status_has_no_body(s), "{s}");
        }
    }

    use super::*;

    const DATE: &[u8] = b"Sun, 06 Nov 1994 08:49:37 GMT";

    fn head<'a>(
        status: u16,
        version: Version,
        headers: &'a [(String, String)],
        framing: ResponseFraming,
        keep_alive: bool,
    ) -> ResponseHead<'a> {
        ResponseHead {
            status,
            version,
            headers,
            framing,
            keep_alive,
            status_line_10: false,
            server: "mapache",
        }
    }

    fn written(h: &ResponseHead<'_>) -> String {
        let mut out = Vec::new();
        write_response_head(&mut out, h, DATE);
        String::from_utf8(out).unwrap()
    }

    fn fields(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn ok_with_length_keep_alive_11() {
        let h = fields(&[("Content-Type", "text/html"), ("ETag", "\"1-2\"")]);
        assert_eq!(
            written(&head(
                200,
                Version::Http11,
                &h,
                ResponseFraming::Length(1024),
                true
            )),
            "HTTP/1.1 200 OK\r\n\
             Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
             Server: mapache\r\n\
             Content-Type: text/html\r\n\
             ETag: \"1-2\"\r\n\
             Content-Length: 1024\r\n\
             \r\n"
        );
    }

    #[test]
    fn chunked_and_close() {
        assert_eq!(
            written(&head(
                200,
                Version::Http11,
                &[],
                ResponseFraming::Chunked,
                false
            )),
            "HTTP/1.1 200 OK\r\n\
             Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
             Server: mapache\r\n\
             Transfer-Encoding: chunked\r\n\
             Connection: close\r\n\
             \r\n"
        );
    }

    #[test]
    fn http10_keep_alive_is_spelled_out() {
        assert_eq!(
            written(&head(
                404,
                Version::Http10,
                &[],
                ResponseFraming::Length(0),
                true
            )),
            "HTTP/1.1 404 Not Found\r\n\
             Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
             Server: mapache\r\n\
             Content-Length: 0\r\n\
             Connection: Keep-Alive\r\n\
             \r\n"
        );
    }

    #[test]
    fn close_delimited_forces_close() {
        let s = written(&head(
            200,
            Version::Http10,
            &[],
            ResponseFraming::CloseDelimited,
            true,
        ));
        assert!(
            s.ends_with("Server: mapache\r\nConnection: close\r\n\r\n"),
            "{s}"
        );
        assert!(!s.contains("Content-Length") && !s.contains("Transfer-Encoding"));
    }

    #[test]
    fn no_body_statuses_have_no_length() {
        let s = written(&head(
            304,
            Version::Http11,
            &fields(&[("ETag", "\"x\"")]),
            ResponseFraming::NoBody,
            true,
        ));
        assert_eq!(
            s,
            "HTTP/1.1 304 Not Modified\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: mapache\r\nETag: \"x\"\r\n\r\n"
        );
        let s = written(&head(
            204,
            Version::Http11,
            &[],
            ResponseFraming::NoBody,
            false,
        ));
        assert!(!s.contains("Content-Length"));
        assert!(s.contains("Connection: close\r\n"));
    }

    #[test]
    fn interim_has_no_framing_or_connection() {
        let s = written(&head(
            100,
            Version::Http11,
            &[],
            ResponseFraming::Length(5),
            false,
        ));
        assert_eq!(s, "HTTP/1.1 100 Continue\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: mapache\r\n\r\n");
    }

    #[test]
    fn status_line_is_always_http11() {
        let s = written(&head(
            200,
            Version::Http10,
            &[],
            ResponseFraming::Length(1),
            false,
        ));
        assert!(s.starts_with("HTTP/1.1 200 OK\r\n"));
    }

    #[test]
    fn owned_headers_from_caller_dropped() {
        let h = fields(&[
            ("content-length", "5"),
            ("Transfer-Encoding", "chunked"),
            ("Connection", "keep-alive"),
            ("Keep-Alive", "timeout=5"),
            ("Date", "yesterday"),
            ("Server", "other"),
            ("X-Kept", "yes"),
        ]);
        let s = written(&head(
            200,
            Version::Http11,
            &h,
            ResponseFraming::Length(3),
            true,
        ));
        assert_eq!(
            s,
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: mapache\r\nX-Kept: yes\r\nContent-Length: 3\r\n\r\n"
        );
    }

    #[test]
    fn response_splitting_refused() {
        let h = fields(&[
            ("X-Evil", "a\r\nSet-Cookie: x=1"),
            ("X-Nul", "a\0b"),
            ("Bad Name", "v"),
            ("", "v"),
            ("X-Ok", "caf\u{e9}"),
        ]);
        let s = written(&head(
            200,
            Version::Http11,
            &h,
            ResponseFraming::Length(0),
            true,
        ));
        assert!(!s.contains("Set-Cookie") && !s.contains("X-Nul") && !s.contains("Bad Name"));
        assert!(s.contains("X-Ok: caf\u{e9}\r\n"));
        let mut evil = head(200, Version::Http11, &[], ResponseFraming::Length(0), true);
        evil.server = "x\r\nY: z";
        assert!(!written(&evil).contains("Y: z"));
    }

    #[test]
    fn empty_server_omitted() {
        let mut h = head(200, Version::Http11, &[], ResponseFraming::Length(0), true);
        h.server = "";
        assert!(!written(&h).contains("Server"));
    }

    #[test]
    fn big_length_and_unknown_status() {
        let s = written(&head(
            599,
            Version::Http11,
            &[],
            ResponseFraming::Length(u64::MAX),
            true,
        ));
        assert!(s.starts_with("HTTP/1.1 599 Unknown\r\n"));
        assert!(s.contains("Content-Length: 18446744073709551615\r\n"));
    }

    #[test]
    fn chunk_headers() {
        let mut out = Vec::new();
        write_chunk_header(&mut out, 1);
        write_chunk_header(&mut out, 255);
        write_chunk_header(&mut out, 0x1000);
        write_chunk_header(&mut out, usize::MAX);
        let expected = format!("1\r\nff\r\n1000\r\n{:x}\r\n", usize::MAX);
        assert_eq!(out, expected.as_bytes());
        assert_eq!(CHUNK_END, b"0\r\n\r\n");
    }

    #[test]
    fn chunked_response_decodes_with_our_decoder() {
        use super::super::body::BodyDecoder;
        use super::super::request::BodyFraming;
        let mut wire = Vec::new();
        for part in [&b"hello "[..], b"chunked ", b"world"] {
            write_chunk_header(&mut wire, part.len());
            wire.extend_from_slice(part);
            wire.extend_from_slice(CHUNK_DATA_END);
        }
        wire.extend_from_slice(CHUNK_END);
        let mut out = [0; 64];
        let r = BodyDecoder::new(BodyFraming::Chunked)
            .decode(&wire, &mut out)
            .unwrap();
        assert!(r.done);
        assert_eq!(r.consumed, wire.len());
        assert_eq!(&out[..r.produced], b"hello chunked world");
    }

    #[test]
    fn framing_choice() {
        use ResponseFraming::*;
        assert_eq!(
            ResponseFraming::choose(200, Version::Http11, Some(5)),
            Length(5)
        );
        assert_eq!(ResponseFraming::choose(200, Version::Http11, None), Chunked);
        assert_eq!(
            ResponseFraming::choose(200, Version::Http10, None),
            CloseDelimited
        );
        assert_eq!(
            ResponseFraming::choose(304, Version::Http11, Some(5)),
            NoBody
        );
        assert_eq!(ResponseFraming::choose(204, Version::Http10, None), NoBody);
        assert_eq!(ResponseFraming::choose(101, Version::Http11, None), NoBody);
    }

    #[test]
    fn continue_constant() {
        assert_eq!(CONTINUE, b"HTTP/1.1 100 Continue\r\n\r\n");
    }
}
