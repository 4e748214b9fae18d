//! Request head parsing: bytes in, a validated [`RequestHead`] out.
//!
//! httparse judges the syntax (tokens, field values, line ends). This file adds
//! what httparse leaves to us: size limits, version and method policy, the
//! request target, Host, body framing and connection semantics (RFC 9112, with
//! Apache's limits and habits).
//!
//! A [`HeadParser`] keeps its place between reads: each byte is searched for
//! a line end once and each line is judged once, when its line end arrives
//! (or when it passes its size limit), so a head trickling in costs what it
//! costs at once. An error is judged at the first offending line, and a line
//! over its limit by its bytes up to the limit: the answer to a request never
//! depends on how its bytes were split across reads, and an incomplete head
//! never grows past [`Limits::max_head_len`].
//!
//! Line ends: CRLF, or a bare LF (RFC 9112 §2.2 lets a recipient accept it;
//! httparse does, and so do we). A bare CR is an error.

use std::fmt;

use super::target;

/// How many empty lines may precede a request line (Apache's
/// `DEFAULT_LIMIT_BLANK_LINES`). Some clients send a stray CRLF after a body;
/// more than this is not a client, it is a way to fill our buffer.
pub const MAX_LEADING_EMPTY_LINES: usize = 10;

/// The methods this server knows. Any other well-formed method is answered
/// with 501; whether a resource allows a known one is the handler's business (405).
pub const KNOWN_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// The protocol version of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `HTTP/1.0`: no Host required, keep-alive only on request.
    Http10,
    /// `HTTP/1.1`: Host required, keep-alive by default.
    Http11,
}

impl Version {
    /// The version as written on the wire: `"HTTP/1.0"` or `"HTTP/1.1"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

/// Size limits for a request head, in bytes and fields.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest request line, without its line end (`LimitRequestLine`); over → 414.
    pub request_line: usize,
    /// Most header fields (`LimitRequestFields`); over → 400.
    pub fields: usize,
    /// Longest field line, name and value, without its line end
    /// (`LimitRequestFieldSize`); over → 400.
    pub field_size: usize,
}

impl Default for Limits {
    /// Apache's defaults: 8190 bytes, 100 fields, 8190 bytes.
    fn default() -> Self {
        Limits {
            request_line: 8190,
            fields: 100,
            field_size: 8190,
        }
    }
}

impl Limits {
    /// The most bytes [`parse_request_head`] will ever ask for before it
    /// answers: empty lines, the request line, every field line with its CRLF
    /// and the final CRLF. A buffer this long that is still [`HeadParse::Partial`]
    /// cannot happen, so a read buffer of this size is always enough.
    pub fn max_head_len(&self) -> usize {
        (MAX_LEADING_EMPTY_LINES * 2)
            .saturating_add(self.request_line)
            .saturating_add(2)
            .saturating_add(
                self.fields
                    .saturating_mul(self.field_size.saturating_add(2)),
            )
            .saturating_add(2)
    }
}

/// How the request body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body.
    None,
    /// Exactly this many bytes (`Content-Length`).
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A parsed and validated request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// The method, one of [`KNOWN_METHODS`] (the table's own string: no copy per request).
    pub method: &'static str,
    /// The request target exactly as sent (for `%r` in the access log).
    pub target: String,
    /// The request's protocol version: how it is served.
    pub version: Version,
    /// The protocol as sent (`HTTP/1.0` to `HTTP/1.9`), for logs: a later minor version
    /// than 1.1 is served as HTTP/1.1 (RFC 9110 §2.5), but Apache logs it as sent (`%H`).
    pub protocol: &'static str,
    /// The path, percent-decoded once, `.`/`..` resolved, `//` collapsed;
    /// starts with `/`. May be non-UTF-8. `b"*"` for `OPTIONS *`.
    pub path: Vec<u8>,
    /// The query without its `?`, still percent-encoded; empty when absent.
    pub query: String,
    /// `host[:port]` of an absolute-form target (`GET http://host/x`), which
    /// RFC 9112 §3.2.2 says wins over the Host field; see [`RequestHead::host`].
    pub authority: Option<String>,
    /// The header fields in order: names as sent, values without surrounding whitespace.
    pub headers: Vec<(String, Vec<u8>)>,
    /// How the body is delimited.
    pub framing: BodyFraming,
    /// Whether the connection may carry another request after this one.
    /// Always false when `close_after` is set.
    pub keep_alive: bool,
    /// An HTTP/1.1 `Expect: 100-continue`: send `100 Continue` before reading the body.
    pub expect_continue: bool,
    /// The framing was suspicious but usable (Transfer-Encoding together with
    /// Content-Length): serve it as chunked, then close, so bytes after the
    /// body can never be read as a request.
    pub close_after: bool,
}

impl RequestHead {
    /// The head of a request that could not be framed (its bytes are not a request, or did not
    /// arrive in time), for answering it as any other: no method, path `/`, no header, no
    /// body, and the connection closes after it.
    pub fn unframed() -> RequestHead {
        RequestHead {
            method: "-",
            target: String::new(),
            version: Version::Http11,
            protocol: "HTTP/1.1",
            path: b"/".to_vec(),
            query: String::new(),
            authority: None,
            headers: Vec::new(),
            framing: BodyFraming::None,
            keep_alive: false,
            expect_continue: false,
            close_after: true,
        }
    }

    /// The value of the first field called `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// Treats the request as HTTP/1.0 (the `downgrade-1.0` environment variable): keep-alive
    /// only when the client asked for it, no chunked response. `protocol` stays as received.
    pub fn downgrade_to_http10(&mut self) {
        if self.version == Version::Http11 {
            self.version = Version::Http10;
            self.keep_alive = self.keep_alive && wants_keep_alive(&self.headers, Version::Http10);
        }
    }

    /// The values of every field called `name` (ASCII case-insensitive), in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        values(&self.headers, name)
    }

    /// The host the request is for: the absolute-form authority when there
    /// is one, else the Host field. None for an HTTP/1.0 request without Host.
    pub fn host(&self) -> Option<&[u8]> {
        match &self.authority {
            Some(a) => Some(a.as_bytes()),
            None => self.header("host"),
        }
    }
}

/// Why a request cannot be served: the status to answer with and a one-line
/// reason for the error log. The connection must be closed after answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    /// The status code to answer with (400, 404, 414, 501, 505, ...).
    pub status: u16,
    /// What was wrong, for the error log; one line, no control characters.
    pub reason: String,
}

impl HttpError {
    /// An error with `status` and a log `reason`.
    pub fn new(status: u16, reason: impl Into<String>) -> Self {
        HttpError {
            status,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.reason)
    }
}

impl std::error::Error for HttpError {}

/// The outcome of [`parse_request_head`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadParse {
    /// The head is not complete yet: read more and call again with the whole buffer.
    Partial,
    /// The head is complete; the body (or the next request) starts at `consumed`.
    Complete {
        /// The validated head.
        head: RequestHead,
        /// Bytes of the head, leading empty lines and the final empty line included.
        consumed: usize,
    },
    /// The request is bad; answer with the error's status and close.
    Error(HttpError),
}

/// Header fields parsed without allocating the field array: more than most clients send.
const STACK_FIELDS: usize = 32;

/// The protocol tokens a request may carry and be served: `HTTP/1.0` to `HTTP/1.9`.
const HTTP1_PROTOCOLS: [&str; 10] = [
    "HTTP/1.0", "HTTP/1.1", "HTTP/1.2", "HTTP/1.3", "HTTP/1.4", "HTTP/1.5", "HTTP/1.6", "HTTP/1.7",
    "HTTP/1.8", "HTTP/1.9",
];

/// Parse the request head at the start of `buf`, from scratch.
///
/// For a head that arrives in pieces, keep a [`HeadParser`] instead: this
/// function looks at the whole buffer again on every call. Pure: no I/O, no clock.
pub fn parse_request_head(buf: &[u8], limits: &Limits) -> HeadParse {
    HeadParser::new().parse(buf, limits)
}

/// A request head parser that keeps its place between reads, so a head
/// arriving in many pieces costs no more than one arriving at once: each byte
/// is searched for a line end once, and each line is judged once, when its
/// line end arrives (Apache reads a head line by line too). Only when the head
/// is complete are its fields taken apart, once.
///
/// Feed it the same buffer each time, grown at its end, with the same limits;
/// after an answer other than [`HeadParse::Partial`], or when the buffer is
/// changed otherwise, start again with [`HeadParser::reset`].
///
/// An error is judged at the first offending line, and within it at the first
/// offending byte: a line over its size limit is judged by the bytes up to the
/// limit. So the answer never depends on how the head was split across reads,
/// and an incomplete head never grows past [`Limits::max_head_len`].
#[derive(Debug, Clone, Default)]
pub struct HeadParser {
    /// Where the line being read starts.
    line_start: usize,
    /// How far the search for that line's LF got: bytes before this are not searched again.
    searched: usize,
    /// Whether the start of the current field line has been counted (see `count_field_line`).
    line_counted: bool,
    /// Empty lines seen before the request line.
    empty_lines: usize,
    /// The request line, LF included, once it is complete and valid.
    request_line: Option<(usize, usize)>,
    /// Field lines begun so far.
    field_lines: usize,
    /// Bytes looked at so far (searched, or handed to httparse): the parser's work.
    examined: u64,
}

impl HeadParser {
    /// A parser at the start of a head.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forget the head parsed so far: the next call starts at the beginning of the buffer.
    pub fn reset(&mut self) {
        *self = HeadParser {
            examined: self.examined,
            ..HeadParser::default()
        };
    }

    /// How many bytes the parser has looked at since it was made: each byte of
    /// a head is looked at about three times, however it was split.
    pub fn bytes_examined(&self) -> u64 {
        self.examined
    }

    /// Go on parsing the head at the start of `buf`, from where the last call stopped.
    ///
    /// After [`HeadParse::Partial`], read more and call again with the grown
    /// buffer; a buffer of [`Limits::max_head_len`] bytes always gets an answer.
    /// Pure: no I/O, no clock.
    pub fn parse(&mut self, buf: &[u8], limits: &Limits) -> HeadParse {
        debug_assert!(
            buf.len() >= self.searched,
            "the buffer shrank under the parser"
        );
        loop {
            let start = self.line_start;
            if self.request_line.is_some() && !self.line_counted {
                match count_field_line(buf, start, self.field_lines, limits) {
                    FieldStart::Wait => return HeadParse::Partial,
                    FieldStart::EndOfHead => {}
                    FieldStart::Field => self.field_lines += 1,
                    FieldStart::TooMany(e) => return HeadParse::Error(e),
                }
                self.line_counted = true;
            }
            let from = self.searched.max(start);
            let lf = buf[from..].iter().position(|&b| b == b'\n');
            self.examined += lf.map_or(buf.len() - from, |i| i + 1) as u64;
            let Some(lf) = lf.map(|i| from + i) else {
                self.searched = buf.len();
                return self.unfinished_line(buf, limits);
            };
            self.searched = lf + 1;
            self.line_start = lf + 1;
            self.line_counted = false;
            let line = &buf[start..=lf];
            let content = content_len(line);
            match self.request_line {
                None if content == 0 => {
                    if self.empty_lines == MAX_LEADING_EMPTY_LINES {
                        return HeadParse::Error(HttpError::new(
                            400,
                            format!(
                                "more than {MAX_LEADING_EMPTY_LINES} empty lines before the request line"
                            ),
                        ));
                    }
                    self.empty_lines += 1;
                }
                None if content > limits.request_line => {
                    return self.line_too_long(&buf[start..start + limits.request_line], limits)
                }
                None => {
                    self.examined += line.len() as u64;
                    if let Err(e) = check_request_line(line) {
                        return HeadParse::Error(e);
                    }
                    self.request_line = Some((start, lf + 1));
                }
                Some(_) if content == 0 => return self.finish(buf, lf + 1),
                Some(_) if content > limits.field_size => {
                    return self.line_too_long(&buf[start..start + limits.field_size], limits)
                }
                Some(_) => {
                    self.examined += line.len() as u64;
                    if let Err(e) = check_field_line(line) {
                        return HeadParse::Error(e);
                    }
                }
            }
        }
    }

    /// The line being read has no LF yet: wait, unless it is over its limit already.
    /// A trailing lone CR may be half of a CRLF, so it does not count yet.
    fn unfinished_line(&mut self, buf: &[u8], limits: &Limits) -> HeadParse {
        let start = self.line_start;
        let rest = &buf[start..];
        let len = rest.strip_suffix(b"\r").unwrap_or(rest).len();
        let limit = match self.request_line {
            None => limits.request_line,
            Some(_) => limits.field_size,
        };
        if len > limit {
            return self.line_too_long(&buf[start..start + limit], limits);
        }
        HeadParse::Partial
    }

    /// A line is longer than its limit; `prefix` is its first `limit` bytes. A
    /// syntax error in them is what is wrong with the line; else its size is.
    fn line_too_long(&mut self, prefix: &[u8], limits: &Limits) -> HeadParse {
        self.examined += prefix.len() as u64;
        let error = match self.request_line {
            None => {
                let mut req = httparse::Request::new(&mut []);
                match req.parse(prefix) {
                    Err(httparse::Error::Version) => match classify_version(prefix, false) {
                        VersionVerdict::Error(e) => e,
                        VersionVerdict::Wait | VersionVerdict::Later(_) => {
                            request_line_too_long(limits)
                        }
                    },
                    Err(e) => syntax_error(e, prefix),
                    Ok(_) => request_line_too_long(limits),
                }
            }
            Some(_) => match httparse::parse_headers(prefix, &mut [httparse::EMPTY_HEADER; 1]) {
                Err(e) => syntax_error(e, prefix),
                Ok(_) => {
                    let name_len = prefix
                        .iter()
                        .position(|&b| b == b':')
                        .unwrap_or(prefix.len());
                    HttpError::new(
                        400,
                        format!(
                            "header field {} longer than {} bytes",
                            printable(&prefix[..name_len], 40),
                            limits.field_size
                        ),
                    )
                }
            },
        };
        HeadParse::Error(error)
    }

    /// The empty line ending the head ends at `end`: take the head apart.
    fn finish(&mut self, buf: &[u8], end: usize) -> HeadParse {
        let Some((line_start, fields_start)) = self.request_line else {
            return HeadParse::Partial;
        };
        let fields = &buf[fields_start..end];
        self.examined += (fields_start - line_start + fields.len()) as u64;
        // Sized by the field lines actually present (already held to `limits.fields`): a large
        // configured limit should not cost an allocation of that size per request. On the
        // stack for the usual head (see `STACK_FIELDS`).
        let mut stack = [httparse::EMPTY_HEADER; STACK_FIELDS];
        let mut heap;
        let slots: &mut [httparse::Header<'_>] = if self.field_lines <= STACK_FIELDS {
            &mut stack[..self.field_lines]
        } else {
            heap = vec![httparse::EMPTY_HEADER; self.field_lines];
            &mut heap
        };
        let parsed = match httparse::parse_headers(fields, slots) {
            Ok(httparse::Status::Complete((_, parsed))) => parsed,
            // Every line was judged already; this is for the unexpected only.
            Ok(httparse::Status::Partial) => {
                return HeadParse::Error(HttpError::new(400, "malformed header section"))
            }
            Err(e) => return HeadParse::Error(syntax_error(e, fields)),
        };
        match build_head(&buf[line_start..fields_start], parsed) {
            Ok(head) => HeadParse::Complete {
                head,
                consumed: end,
            },
            Err(e) => HeadParse::Error(e),
        }
    }
}

/// What the first bytes of a line after the request line say.
enum FieldStart {
    /// Not enough bytes to tell.
    Wait,
    /// The empty line ending the head.
    EndOfHead,
    /// One more field line.
    Field,
    /// One field line more than the limit.
    TooMany(HttpError),
}

/// A field line is counted as soon as its first byte shows it is not the end
/// of the head, so one too many is refused before it is read.
fn count_field_line(buf: &[u8], start: usize, counted: usize, limits: &Limits) -> FieldStart {
    match (buf.get(start), buf.get(start + 1)) {
        (None, _) | (Some(b'\r'), None) => FieldStart::Wait,
        (Some(b'\n'), _) | (Some(b'\r'), Some(b'\n')) => FieldStart::EndOfHead,
        _ if counted == limits.fields => FieldStart::TooMany(HttpError::new(
            400,
            format!("more than {} header fields", limits.fields),
        )),
        _ => FieldStart::Field,
    }
}

/// The length of a complete line without its LF and the CR before it.
fn content_len(line: &[u8]) -> usize {
    let without_lf = &line[..line.len() - 1];
    without_lf.strip_suffix(b"\r").unwrap_or(without_lf).len()
}

fn request_line_too_long(limits: &Limits) -> HttpError {
    HttpError::new(
        414,
        format!("request line longer than {} bytes", limits.request_line),
    )
}

/// Judge a complete request line (its LF included). httparse judges the
/// syntax; after the line it wants field lines, so a good line is `Partial`.
fn check_request_line(line: &[u8]) -> Result<(), HttpError> {
    let mut req = httparse::Request::new(&mut []);
    match req.parse(line) {
        Ok(_) => Ok(()),
        Err(httparse::Error::Version) => match classify_version(line, true) {
            VersionVerdict::Later(_) => Ok(()),
            VersionVerdict::Error(e) => Err(e),
            VersionVerdict::Wait => Err(HttpError::new(400, "invalid protocol version")),
        },
        Err(e) => Err(syntax_error(e, line)),
    }
}

/// Judge one complete field line (its LF included). httparse judges it; after
/// the line it wants the next one, so a good line is `Partial`.
fn check_field_line(line: &[u8]) -> Result<(), HttpError> {
    match httparse::parse_headers(line, &mut [httparse::EMPTY_HEADER; 1]) {
        Ok(_) => Ok(()),
        Err(e) => Err(syntax_error(e, line)),
    }
}

enum VersionVerdict {
    /// What is there could still become a well-formed version: read more.
    Wait,
    /// `HTTP/1.x` with x from 2 to 9: served as HTTP/1.1 (RFC 9110 §2.5); the minor digit.
    Later(u8),
    Error(HttpError),
}

/// httparse only knows `HTTP/1.0` and `HTTP/1.1`. Tell a later minor version
/// of HTTP/1 (served as HTTP/1.1, as nginx and Apache do) from a major version
/// we do not speak (`HTTP/2.0` → 505, as nginx does) and from garbage (→ 400).
/// `line` is the request line, complete or cut at its size limit.
fn classify_version(line: &[u8], complete: bool) -> VersionVerdict {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    // httparse accepted "method SP target SP" before it judged the version.
    let token = line.splitn(3, |&b| b == b' ').nth(2).unwrap_or(b"");
    match (version_shape(token), complete) {
        (VersionShape::WellFormed { major: 1, minor }, true) => VersionVerdict::Later(minor),
        (VersionShape::WellFormed { .. }, true) => VersionVerdict::Error(HttpError::new(
            505,
            format!("unsupported protocol version {}", printable(token, 20)),
        )),
        // Name only the bytes up to the first bad one: the same whatever the split.
        (VersionShape::Invalid(at), _) => VersionVerdict::Error(HttpError::new(
            400,
            format!("invalid protocol version {}", printable(&token[..=at], 20)),
        )),
        (VersionShape::Prefix, true) => VersionVerdict::Error(HttpError::new(
            400,
            format!("incomplete protocol version {}", printable(token, 20)),
        )),
        (VersionShape::WellFormed { .. } | VersionShape::Prefix, false) => VersionVerdict::Wait,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum VersionShape {
    /// `HTTP/` DIGIT `.` DIGIT (RFC 9112 §2.3).
    WellFormed { major: u8, minor: u8 },
    /// A proper prefix of a well-formed version.
    Prefix,
    /// Not a version; the index of the first byte that cannot belong.
    Invalid(usize),
}

fn version_shape(token: &[u8]) -> VersionShape {
    const SHAPE: &[u8] = b"HTTP/0.0";
    for (i, &b) in token.iter().enumerate() {
        let fits = match SHAPE.get(i) {
            Some(b'0') => b.is_ascii_digit(),
            Some(&expected) => b == expected,
            None => false,
        };
        if !fits {
            return VersionShape::Invalid(i);
        }
    }
    if token.len() < SHAPE.len() {
        return VersionShape::Prefix;
    }
    VersionShape::WellFormed {
        major: token[5] - b'0',
        minor: token[7] - b'0',
    }
}

/// Turn an httparse error about `line` (a request line, or the field lines
/// from the start of the offending one) into a 400 with a reason that names
/// the culprit. Only bytes up to the offending one are looked at, like
/// httparse, so the reason is the same however the head was split.
fn syntax_error(e: httparse::Error, line: &[u8]) -> HttpError {
    let reason = match e {
        httparse::Error::Token => {
            // httparse stops at the first byte of the method that is not a
            // token byte; a space there (after at least one) ends the method.
            match line.iter().position(|&b| !is_tchar(b)) {
                Some(p) if p > 0 && line[p] == b' ' => {
                    "malformed request line (target or separators)".to_string()
                }
                Some(p) => format!("invalid method {}", printable(&line[..=p], 20)),
                None => "invalid method".to_string(),
            }
        }
        httparse::Error::HeaderName => describe_bad_field(line),
        httparse::Error::HeaderValue => {
            "invalid header field value (control character such as NUL or CR)".to_string()
        }
        httparse::Error::NewLine => "CR not followed by LF".to_string(),
        httparse::Error::TooManyHeaders => "too many header fields".to_string(),
        httparse::Error::Version => "invalid protocol version".to_string(),
        httparse::Error::Status => "malformed request".to_string(),
    };
    HttpError::new(400, reason)
}

/// Say which RFC 9112 §5 rule the first bad field line in `lines` breaks.
fn describe_bad_field(lines: &[u8]) -> String {
    for line in lines.split_inclusive(|&b| b == b'\n') {
        let Some(p) = line.iter().position(|&b| !is_tchar(b)) else {
            continue;
        };
        let name = printable(&line[..p], 40);
        return match line[p] {
            b':' if p > 0 => continue,
            b'\r' | b'\n' if p == 0 => continue, // the empty line ending the head
            b':' => "empty header field name".to_string(),
            b' ' | b'\t' if p == 0 => {
                "obsolete line folding (field line starting with whitespace)".to_string()
            }
            b' ' | b'\t' => {
                format!("whitespace after field name {name} (none is allowed before the colon)")
            }
            b'\r' | b'\n' => format!("field line without a colon: {name}"),
            other => format!(
                "invalid byte {} in header field name after {name}",
                printable(&[other], 1)
            ),
        };
    }
    "invalid header field name".to_string()
}

/// Everything httparse leaves to us, once the head is complete: `line` is the
/// request line (judged already, LF included), `fields` the parsed field lines.
fn build_head(line: &[u8], fields: &[httparse::Header<'_>]) -> Result<RequestHead, HttpError> {
    // httparse parses HTTP/1.0 and HTTP/1.1 only: a later minor version is
    // parsed as HTTP/1.1 from a copy, and remembered as sent.
    let later = match classify_version(line, true) {
        VersionVerdict::Later(minor) if minor > 1 => Some(minor),
        _ => None,
    };
    let copy;
    let line = match later {
        Some(_) => {
            let mut patched = line.to_vec();
            let minor_at = line.len() - 1 - usize::from(line.ends_with(b"\r\n")) - 1;
            patched[minor_at] = b'1';
            copy = patched;
            &copy[..]
        }
        None => line,
    };
    let mut req = httparse::Request::new(&mut []);
    let _ = req.parse(line);
    let (Some(method), Some(raw_target), Some(minor)) = (req.method, req.path, req.version) else {
        return Err(HttpError::new(400, "incomplete request line"));
    };
    let (version, protocol) = match (minor, later) {
        (0, _) => (Version::Http10, HTTP1_PROTOCOLS[0]),
        (_, Some(later)) => (Version::Http11, HTTP1_PROTOCOLS[usize::from(later)]),
        (_, None) => (Version::Http11, HTTP1_PROTOCOLS[1]),
    };
    let Some(&known) = KNOWN_METHODS.iter().find(|m| **m == method) else {
        return Err(HttpError::new(
            501,
            format!(
                "method {} not implemented",
                printable(method.as_bytes(), 20)
            ),
        ));
    };
    let target = target::parse_target(raw_target, method)?;
    let headers: Vec<(String, Vec<u8>)> = fields
        .iter()
        .map(|h| (h.name.to_string(), h.value.trim_ascii().to_vec()))
        .collect();

    check_host(&headers, version)?;

    let (framing, close_after) = body_framing(&headers, version)?;
    let keep_alive = !close_after && wants_keep_alive(&headers, version);
    let expect_continue = expects_continue(&headers, version)?;

    Ok(RequestHead {
        method: known,
        target: raw_target.to_string(),
        version,
        protocol,
        path: target.path,
        query: target.query,
        authority: target.authority,
        headers,
        framing,
        keep_alive,
        expect_continue,
        close_after,
    })
}

/// HTTP/1.1 needs exactly one Host; HTTP/1.0 at most one. Its value must be a
/// host, which HTTP/1.1 may not leave empty (nginx and Apache answer 400; an
/// empty Host on HTTP/1.0 names no host, like none, and Apache serves it).
fn check_host(headers: &[(String, Vec<u8>)], version: Version) -> Result<(), HttpError> {
    let mut hosts = values(headers, "host");
    match (hosts.next(), hosts.next()) {
        (_, Some(_)) => Err(HttpError::new(400, "more than one Host field")),
        (None, None) if version == Version::Http11 => {
            Err(HttpError::new(400, "HTTP/1.1 request without Host"))
        }
        (Some(b""), None) if version == Version::Http10 => Ok(()),
        (Some(h), None) if !target::valid_host(h) => Err(HttpError::new(
            400,
            format!("malformed Host {}", printable(h, 40)),
        )),
        _ => Ok(()),
    }
}

/// RFC 9112 §6.3: Transfer-Encoding wins over Content-Length, and the pair
/// means someone is trying to smuggle, so we close afterwards.
fn body_framing(
    headers: &[(String, Vec<u8>)],
    version: Version,
) -> Result<(BodyFraming, bool), HttpError> {
    let length = content_length(headers)?;
    // Empty members are refused rather than skipped (as RFC 9110 §5.6.1 would allow): a
    // proxy in front may not read `chunked,` as chunked; nginx and Apache answer 400 too.
    let codings: Vec<&[u8]> = values(headers, "transfer-encoding")
        .flat_map(|v| v.split(|&b| b == b','))
        .map(|c| c.trim_ascii())
        .collect();
    if codings.is_empty() {
        return Ok((length.map_or(BodyFraming::None, BodyFraming::Length), false));
    }
    if version == Version::Http10 {
        // An HTTP/1.0 peer cannot mean chunked; a proxy in between may read it differently.
        return Err(HttpError::new(
            400,
            "Transfer-Encoding in an HTTP/1.0 request",
        ));
    }
    if codings.iter().any(|c| c.is_empty()) {
        return Err(HttpError::new(
            400,
            "empty member in Transfer-Encoding (a stray comma or an empty field)",
        ));
    }
    let is_chunked = |c: &&[u8]| c.eq_ignore_ascii_case(b"chunked");
    let Some((last, before)) = codings.split_last() else {
        return Err(HttpError::new(400, "empty Transfer-Encoding"));
    };
    if before.iter().any(is_chunked) {
        return Err(HttpError::new(
            400,
            "chunked is not the last transfer coding",
        ));
    }
    // We decode no coding but chunked; anything else is one we do not understand.
    if let Some(other) = codings.iter().find(|c| !is_chunked(c)) {
        return Err(HttpError::new(
            501,
            format!("transfer coding {} not implemented", printable(other, 30)),
        ));
    }
    debug_assert!(is_chunked(last));
    Ok((BodyFraming::Chunked, length.is_some()))
}

/// The Content-Length, if any: one field with one value. A repeat, even of the
/// same value (which RFC 9112 §6.3 would let us accept), is refused, as nginx
/// and Apache do: a proxy in front may have read it differently.
fn content_length(headers: &[(String, Vec<u8>)]) -> Result<Option<u64>, HttpError> {
    let mut fields = values(headers, "content-length");
    let Some(value) = fields.next() else {
        return Ok(None);
    };
    if fields.next().is_some() || value.contains(&b',') {
        return Err(HttpError::new(400, "more than one Content-Length value"));
    }
    let n = parse_decimal(value).ok_or_else(|| {
        HttpError::new(
            400,
            format!("invalid Content-Length {}", printable(value, 30)),
        )
    })?;
    Ok(Some(n))
}

/// Digits only (no sign, no space), at least one, fitting a u64.
fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |n, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

/// HTTP/1.1 keeps the connection unless told `close`; HTTP/1.0 closes it
/// unless told `keep-alive`. `close` wins if both are sent.
fn wants_keep_alive(headers: &[(String, Vec<u8>)], version: Version) -> bool {
    let has = |token: &[u8]| {
        values(headers, "connection")
            .flat_map(list_items)
            .any(|t| t.eq_ignore_ascii_case(token))
    };
    if has(b"close") {
        return false;
    }
    match version {
        Version::Http11 => true,
        Version::Http10 => has(b"keep-alive"),
    }
}

/// `Expect: 100-continue` on HTTP/1.1. Any other expectation → 417 (Apache);
/// HTTP/1.0 clients cannot wait for a 100, so theirs is ignored (RFC 9110 §10.1.1).
fn expects_continue(headers: &[(String, Vec<u8>)], version: Version) -> Result<bool, HttpError> {
    if version == Version::Http10 {
        return Ok(false);
    }
    let mut wants = false;
    for item in values(headers, "expect").flat_map(list_items) {
        if item.eq_ignore_ascii_case(b"100-continue") {
            wants = true;
        } else {
            return Err(HttpError::new(
                417,
                format!("unsupported expectation {}", printable(item, 30)),
            ));
        }
    }
    Ok(wants)
}

/// Values of the fields called `name`, ASCII case-insensitive.
fn values<'a>(
    headers: &'a [(String, Vec<u8>)],
    name: &'a str,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

/// Members of a comma-separated list, trimmed, empty members skipped (RFC 9110 §5.6.1).
fn list_items(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(|item| item.trim_ascii())
        .filter(|item| !item.is_empty())
}

/// RFC 9110 §5.6.2 tchar.
pub(super) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Bytes from the request, made safe for a one-line log entry: quoted,
/// non-printable bytes escaped, cut at `max` bytes.
pub(super) fn printable(bytes: &[u8], max: usize) -> String {
    let mut s = String::with_capacity(bytes.len().min(max) + 2);
    s.push('"');
    for &b in bytes.iter().take(max) {
        match b {
            b'"' | b'\\' => {
                s.push('\\');
                s.push(char::from(b));
            }
            0x20..=0x7e => s.push(char::from(b)),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    if bytes.len() > max {
        s.push_str("...");
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(buf: &[u8]) -> HeadParse {
        parse_request_head(buf, &Limits::default())
    }

    fn ok(buf: &[u8]) -> (RequestHead, usize) {
        match parse(buf) {
            HeadParse::Complete { head, consumed } => (head, consumed),
            other => panic!("expected a head, got {other:?}"),
        }
    }

    fn status(buf: &[u8]) -> u16 {
        match parse(buf) {
            HeadParse::Error(e) => e.status,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    fn reason(buf: &[u8]) -> String {
        match parse(buf) {
            HeadParse::Error(e) => e.reason,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    /// A head of 100 fields of 8000 bytes (774 KiB, within the default limits).
    fn big_head() -> Vec<u8> {
        let mut head = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
        for i in 0..99 {
            let name = format!("X-F{i:02}: ");
            head.extend_from_slice(name.as_bytes());
            head.resize(head.len() + 8000 - name.len() - 2, b'v');
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"\r\n");
        head
    }

    #[test]
    fn head_in_small_pieces_is_examined_a_bounded_number_of_times() {
        let head = big_head();
        for piece in [1024, 4096, 100, 7] {
            let mut parser = HeadParser::new();
            let mut verdict = HeadParse::Partial;
            for end in (piece..head.len() + piece).step_by(piece) {
                verdict = parser.parse(&head[..end.min(head.len())], &Limits::default());
                if verdict != HeadParse::Partial {
                    break;
                }
            }
            assert!(
                matches!(verdict, HeadParse::Complete { consumed, .. } if consumed == head.len()),
                "{verdict:?}"
            );
            let per_byte = parser.bytes_examined() as f64 / head.len() as f64;
            assert!(
                per_byte <= 4.0,
                "{piece}-byte pieces: each byte of the head examined {per_byte:.1} times"
            );
        }
    }

    #[test]
    fn simple_get() {
        let (h, n) = ok(b"GET /a/b?x=1 HTTP/1.1\r\nHost: example.org\r\nAccept: */*\r\n\r\n");
        assert_eq!(n, 57);
        assert_eq!(h.method, "GET");
        assert_eq!(h.target, "/a/b?x=1");
        assert_eq!(h.version, Version::Http11);
        assert_eq!(h.path, b"/a/b");
        assert_eq!(h.query, "x=1");
        assert_eq!(h.framing, BodyFraming::None);
        assert!(h.keep_alive);
        assert!(!h.expect_continue);
        assert!(!h.close_after);
        assert_eq!(h.header("HOST"), Some(&b"example.org"[..]));
        assert_eq!(h.host(), Some(&b"example.org"[..]));
        assert_eq!(h.headers[1], ("Accept".to_string(), b"*/*".to_vec()));
    }

    #[test]
    fn version_as_str() {
        assert_eq!(Version::Http10.as_str(), "HTTP/1.0");
        assert_eq!(Version::Http11.as_str(), "HTTP/1.1");
    }

    #[test]
    fn default_limits_are_apaches() {
        let l = Limits::default();
        assert_eq!((l.request_line, l.fields, l.field_size), (8190, 100, 8190));
    }

    #[test]
    fn partial_until_empty_line() {
        let full = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        for k in 0..full.len() {
            assert_eq!(parse(&full[..k]), HeadParse::Partial, "prefix {k}");
        }
        ok(full);
    }

    #[test]
    fn pipelined_bytes_are_not_consumed() {
        let buf = b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
        let (h, n) = ok(buf);
        assert_eq!(h.path, b"/1");
        assert_eq!(n, 28);
        let (h2, n2) = ok(&buf[n..]);
        assert_eq!(h2.path, b"/2");
        assert_eq!(n + n2, buf.len());
    }

    #[test]
    fn leading_empty_lines_are_skipped_and_counted() {
        let (h, n) = ok(b"\r\n\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(h.path, b"/");
        assert_eq!(n, 5 + 27);
    }

    #[test]
    fn too_many_leading_empty_lines_400() {
        let mut buf = b"\r\n".repeat(MAX_LEADING_EMPTY_LINES + 1);
        assert_eq!(status(&buf), 400);
        buf.truncate(MAX_LEADING_EMPTY_LINES * 2);
        assert_eq!(parse(&buf), HeadParse::Partial);
    }

    #[test]
    fn bare_lf_line_ends_accepted() {
        let (h, n) = ok(b"GET /x HTTP/1.1\nHost: a\n\nrest");
        assert_eq!(h.path, b"/x");
        assert_eq!(n, 25);
    }

    #[test]
    fn bare_cr_400() {
        assert_eq!(status(b"GET / HTTP/1.1\rHost: a\r\n\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a\r\n\rX\r\n"), 400);
    }

    #[test]
    fn request_line_too_long_414() {
        let l = Limits::default();
        let long = format!(
            "GET /{} HTTP/1.1\r\nHost: a\r\n\r\n",
            "a".repeat(l.request_line)
        );
        assert_eq!(status(long.as_bytes()), 414);
    }

    #[test]
    fn request_line_at_limit_ok() {
        let line_overhead = "GET / HTTP/1.1".len();
        let path = "a".repeat(8190 - line_overhead);
        let req = format!("GET /{path} HTTP/1.1\r\nHost: a\r\n\r\n");
        ok(req.as_bytes());
    }

    #[test]
    fn unterminated_request_line_over_limit_414() {
        let mut buf = b"GET /".to_vec();
        buf.resize(8190, b'a');
        assert_eq!(parse(&buf), HeadParse::Partial);
        buf.push(b'a');
        assert_eq!(status(&buf), 414);
        // A line of exactly the limit may still get its CRLF.
        let mut line = b"GET /".to_vec();
        line.resize(8190 - " HTTP/1.1".len(), b'a');
        line.extend_from_slice(b" HTTP/1.1\r");
        assert_eq!(parse(&line), HeadParse::Partial);
        line.extend_from_slice(b"\nHost: a\r\n\r\n");
        ok(&line);
    }

    #[test]
    fn small_limits_apply() {
        let limits = Limits {
            request_line: 20,
            fields: 2,
            field_size: 10,
        };
        let p = |b: &[u8]| parse_request_head(b, &limits);
        assert!(matches!(
            p(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
            HeadParse::Complete { .. }
        ));
        assert!(matches!(
            p(b"GET /0123456789ab HTTP/1.1\r\n"),
            HeadParse::Error(HttpError { status: 414, .. })
        ));
        assert!(matches!(
            p(b"GET / HTTP/1.1\r\nHost: 0123456789\r\n\r\n"),
            HeadParse::Error(HttpError { status: 400, .. })
        ));
        assert!(matches!(
            p(b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n"),
            HeadParse::Error(HttpError { status: 400, .. })
        ));
    }

    #[test]
    fn field_too_long_400_names_the_field() {
        let req = format!(
            "GET / HTTP/1.1\r\nHost: a\r\nCookie: {}\r\n\r\n",
            "c".repeat(8190)
        );
        assert_eq!(status(req.as_bytes()), 400);
        assert!(reason(req.as_bytes()).contains("\"Cookie\""));
        // Also while it is still arriving.
        let partial = format!("GET / HTTP/1.1\r\nHost: a\r\nCookie: {}", "c".repeat(8190));
        assert_eq!(status(partial.as_bytes()), 400);
    }

    #[test]
    fn field_at_limit_ok() {
        let value = "v".repeat(8190 - "X-Big: ".len());
        let req = format!("GET / HTTP/1.1\r\nHost: a\r\nX-Big: {value}\r\n\r\n");
        ok(req.as_bytes());
    }

    #[test]
    fn too_many_fields_400() {
        let mut req = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
        for i in 0..99 {
            req.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        let mut exact = req.clone();
        exact.extend_from_slice(b"\r\n");
        ok(&exact);
        req.extend_from_slice(b"X-last: v\r\n\r\n");
        assert_eq!(status(&req), 400);
        assert!(reason(&req).contains("more than 100 header fields"));
    }

    #[test]
    fn head_bound_holds_for_a_huge_partial_head() {
        let limits = Limits {
            request_line: 30,
            fields: 3,
            field_size: 12,
        };
        let mut buf = b"\r\n".repeat(MAX_LEADING_EMPTY_LINES);
        buf.extend_from_slice(b"GET /aaaaaaaaaaaaaaaa HTTP/1.1\r\n");
        buf.extend_from_slice(b"Host: abcdef\r\nA: 123456789\r\nB: 123456789\r\n\r");
        assert_eq!(parse_request_head(&buf, &limits), HeadParse::Partial);
        assert!(buf.len() <= limits.max_head_len());
        buf.push(b'\n');
        assert!(matches!(
            parse_request_head(&buf, &limits),
            HeadParse::Complete { .. }
        ));
    }

    #[test]
    fn unknown_method_501() {
        assert_eq!(status(b"BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n"), 501);
        assert_eq!(status(b"get / HTTP/1.1\r\nHost: a\r\n\r\n"), 501);
    }

    #[test]
    fn all_known_methods_accepted() {
        for m in KNOWN_METHODS {
            if m == "CONNECT" {
                continue; // needs authority-form, which we refuse
            }
            let req = format!("{m} / HTTP/1.1\r\nHost: a\r\n\r\n");
            assert_eq!(ok(req.as_bytes()).0.method, m);
        }
    }

    #[test]
    fn invalid_method_token_400() {
        assert_eq!(status(b"GE(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
        assert!(reason(b"G@T / HTTP/1.1\r\n\r\n").contains("invalid method"));
    }

    #[test]
    fn malformed_request_lines_400() {
        assert_eq!(status(b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
        assert_eq!(status(b"GET /\r\n\r\n"), 400); // HTTP/0.9
        assert_eq!(status(b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400);
        assert_eq!(status(b"GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
        assert_eq!(status(b"GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    }

    #[test]
    fn other_major_versions_505() {
        assert_eq!(status(b"GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
        assert_eq!(status(b"GET / HTTP/3.0\r\nHost: a\r\n\r\n"), 505);
        assert_eq!(status(b"GET / HTTP/0.9\r\n\r\n"), 505);
    }

    #[test]
    fn later_http1_minor_served_as_http11() {
        for minor in 2..=9 {
            let req = format!("GET /x HTTP/1.{minor}\r\nHost: a\r\n\r\n");
            let (h, n) = ok(req.as_bytes());
            assert_eq!((h.version, n), (Version::Http11, req.len()));
            assert_eq!(h.protocol, format!("HTTP/1.{minor}"));
            assert_eq!((h.method, h.path.as_slice()), ("GET", &b"/x"[..]));
            assert!(h.keep_alive);
        }
        // Bare LF, and what HTTP/1.1 requires (Host) still applies.
        assert_eq!(ok(b"PUT /y HTTP/1.2\nHost: a\n\n").0.path, b"/y");
        assert_eq!(status(b"GET / HTTP/1.2\r\n\r\n"), 400);
        assert_eq!(ok(b"GET / HTTP/1.0\r\n\r\n").0.protocol, "HTTP/1.0");
        assert_eq!(
            ok(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").0.protocol,
            "HTTP/1.1"
        );
    }

    #[test]
    fn garbage_versions_400() {
        assert_eq!(status(b"GET / HTTX/1.1\r\nHost: a\r\n\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/2\r\n\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/1.1x\r\n\r\n"), 400);
        assert_eq!(status(b"GET / http/1.1\r\n\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/2.x\r\n\r\n"), 400);
        // More than one digit (nginx reads 1.10 as 1.10, Apache refuses it).
        assert_eq!(status(b"GET / HTTP/1.10\r\nHost: a\r\n\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/01.1\r\nHost: a\r\n\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/10.10\r\n\r\n"), 400);
    }

    #[test]
    fn a_line_is_judged_when_its_end_arrives() {
        assert_eq!(parse(b"GET / HTTP/2"), HeadParse::Partial);
        assert_eq!(parse(b"GET / HTTP/2.0"), HeadParse::Partial);
        assert_eq!(parse(b"GET / HTTP/2.0\r"), HeadParse::Partial);
        assert_eq!(status(b"GET / HTTP/2.0\r\n"), 505);
        assert_eq!(parse(b"GET / HTTP/2.0 "), HeadParse::Partial);
        assert_eq!(status(b"GET / HTTP/2.0 \r\n"), 400);
        assert_eq!(parse(b"GET / HTTP/1.1\r\nHost : a"), HeadParse::Partial);
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost : a\r\n"), 400);
    }

    #[test]
    fn http10_without_host_ok() {
        let (h, _) = ok(b"GET / HTTP/1.0\r\n\r\n");
        assert_eq!(h.version, Version::Http10);
        assert!(!h.keep_alive);
        assert_eq!(h.host(), None);
    }

    #[test]
    fn http11_without_host_400() {
        assert_eq!(status(b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"), 400);
    }

    #[test]
    fn two_hosts_400() {
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"), 400);
    }

    #[test]
    fn malformed_host_400() {
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost: ..\r\n\r\n"), 400);
        ok(b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
        ok(b"GET / HTTP/1.1\r\nHost: www.example.org:80\r\n\r\n");
        ok(b"GET / HTTP/1.1\r\nHost: a.\r\n\r\n");
    }

    #[test]
    fn hosts_nginx_and_apache_refuse_400() {
        for host in ["", "   ", ".", ":80", ".:80", "%41", "a%2eb"] {
            let req = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
            assert_eq!(status(req.as_bytes()), 400, "Host: {host:?}");
        }
        assert_eq!(status(b"GET / HTTP/1.0\r\nHost: .\r\n\r\n"), 400);
        for authority in ["%41", ":80", "."] {
            let req = format!("GET http://{authority}/ HTTP/1.1\r\nHost: a\r\n\r\n");
            assert_eq!(status(req.as_bytes()), 400, "authority {authority:?}");
        }
        // HTTP/1.0 needs no Host: an empty one names none, and Apache serves it.
        assert_eq!(
            ok(b"GET / HTTP/1.0\r\nHost:\r\n\r\n").0.host(),
            Some(&b""[..])
        );
    }

    #[test]
    fn space_before_colon_400() {
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400);
        assert!(reason(b"GET / HTTP/1.1\r\nHost : a\r\n\r\n")
            .contains("whitespace after field name \"Host\""));
    }

    #[test]
    fn obs_fold_400() {
        let req = b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  2\r\n\r\n";
        assert_eq!(status(req), 400);
        assert!(reason(req).contains("obsolete line folding"));
        assert_eq!(status(b"GET / HTTP/1.1\r\n\tHost: a\r\n\r\n"), 400);
    }

    #[test]
    fn nul_or_cr_in_value_400() {
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n"), 400);
        assert_eq!(
            status(b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fb\r\n\r\n"),
            400
        );
    }

    #[test]
    fn invalid_field_name_400() {
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a\r\nX(y): 1\r\n\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a\r\n: 1\r\n\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a\r\nnocolon\r\n\r\n"), 400);
        assert!(reason(b"GET / HTTP/1.1\r\nHost: a\r\nnocolon\r\n\r\n").contains("without a colon"));
    }

    #[test]
    fn values_are_trimmed_obs_text_kept() {
        let (h, _) = ok(b"GET / HTTP/1.1\r\nHost:   a  \r\nX-T: \t\xe9t\xe9 \t\r\nX-E:\r\n\r\n");
        assert_eq!(h.header("host"), Some(&b"a"[..]));
        assert_eq!(h.header("x-t"), Some(&b"\xe9t\xe9"[..]));
        assert_eq!(h.header("x-e"), Some(&b""[..]));
        assert_eq!(h.header("x-missing"), None);
    }

    #[test]
    fn header_returns_first_and_iterates_all() {
        let (h, _) = ok(b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nx: 2\r\n\r\n");
        assert_eq!(h.header("X"), Some(&b"1"[..]));
        assert_eq!(
            h.headers_named("x").collect::<Vec<_>>(),
            vec![&b"1"[..], &b"2"[..]]
        );
        assert_eq!(h.headers[2].0, "x"); // names as sent
    }

    #[test]
    fn absolute_form_target() {
        let (h, _) = ok(b"GET http://Example.org:8080/a/../b?q=1 HTTP/1.1\r\nHost: other\r\n\r\n");
        assert_eq!(h.path, b"/b");
        assert_eq!(h.query, "q=1");
        assert_eq!(h.authority.as_deref(), Some("Example.org:8080"));
        assert_eq!(h.host(), Some(&b"Example.org:8080"[..]));
        assert_eq!(h.target, "http://Example.org:8080/a/../b?q=1");
        let (h, _) = ok(b"GET http://example.org HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(h.path, b"/");
        let (h, _) = ok(b"GET HTTPS://example.org?x HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!((h.path.as_slice(), h.query.as_str()), (&b"/"[..], "x"));
    }

    #[test]
    fn bad_targets_400() {
        assert_eq!(status(b"GET foo HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
        assert_eq!(status(b"GET ftp://a/b HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
        assert_eq!(status(b"GET http:///b HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
        assert_eq!(status(b"GET http://u@h/b HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
        assert_eq!(status(b"CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
        assert_eq!(status(b"GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    }

    #[test]
    fn asterisk_only_with_options() {
        let (h, _) = ok(b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(h.path, b"*");
        assert_eq!(h.query, "");
        assert_eq!(status(b"GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    }

    #[test]
    fn path_errors_propagate() {
        assert_eq!(status(b"GET /a%2Fb HTTP/1.1\r\nHost: a\r\n\r\n"), 404);
        assert_eq!(status(b"GET /a%00 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
        assert_eq!(
            status(b"GET /../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n"),
            400
        );
        assert_eq!(status(b"GET /%2e%2e/x HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
        let (h, _) = ok(b"GET /a%20b//c/./d/ HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(h.path, b"/a b/c/d/");
    }

    #[test]
    fn raw_utf8_target_kept() {
        let (h, _) = ok("GET /caf\u{e9} HTTP/1.1\r\nHost: a\r\n\r\n".as_bytes());
        assert_eq!(h.path, "/caf\u{e9}".as_bytes());
        assert_eq!(status(b"GET /caf\xe9 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    }

    #[test]
    fn content_length_framing() {
        let (h, _) = ok(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n\r\n");
        assert_eq!(h.framing, BodyFraming::Length(42));
        let (h, _) = ok(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(h.framing, BodyFraming::Length(0));
        let (h, _) =
            ok(b"POST / HTTP/1.1\r\nHost: a\r\ncontent-length: 18446744073709551615\r\n\r\n");
        assert_eq!(h.framing, BodyFraming::Length(u64::MAX));
    }

    #[test]
    fn repeated_content_length_400_even_when_equal() {
        for req in [
            &b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n",
            b"POST / HTTP/1.0\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n",
        ] {
            assert_eq!(status(req), 400, "{:?}", String::from_utf8_lossy(req));
        }
    }

    #[test]
    fn conflicting_content_length_400() {
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
            400
        );
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n"),
            400
        );
    }

    #[test]
    fn bad_content_length_400() {
        for v in [
            "-1",
            "+5",
            "5 5",
            "0x10",
            "",
            "1e3",
            "5,",
            "18446744073709551616",
            "٣",
        ] {
            let req = format!("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {v}\r\n\r\n");
            assert_eq!(status(req.as_bytes()), 400, "Content-Length: {v}");
        }
    }

    #[test]
    fn chunked_framing() {
        let (h, _) = ok(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!(h.framing, BodyFraming::Chunked);
        assert!(h.keep_alive && !h.close_after);
        let (h, _) = ok(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ChUnKeD\r\n\r\n");
        assert_eq!(h.framing, BodyFraming::Chunked);
    }

    #[test]
    fn transfer_encoding_list_across_fields() {
        // chunked last across two fields, but gzip we cannot decode → 501
        assert_eq!(
            status(
                b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
            ),
            501
        );
        // chunked first across fields, something after it → 400
        assert_eq!(
            status(
                b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n"
            ),
            400
        );
        let (h, _) = ok(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\t chunked \t\r\n\r\n");
        assert_eq!(h.framing, BodyFraming::Chunked);
    }

    #[test]
    fn empty_transfer_coding_members_400() {
        for te in [
            "Transfer-Encoding: chunked,\r\n",
            "Transfer-Encoding: , chunked\r\n",
            "Transfer-Encoding: chunked, ,\r\n",
            "Transfer-Encoding: chunked\r\nTransfer-Encoding:\r\n",
            "Transfer-Encoding:\r\nTransfer-Encoding: chunked\r\n",
            "Transfer-Encoding: gzip,,chunked\r\n",
        ] {
            let req = format!("POST / HTTP/1.1\r\nHost: a\r\n{te}\r\n");
            assert_eq!(status(req.as_bytes()), 400, "{te:?}");
        }
    }

    #[test]
    fn chunked_not_last_400() {
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
            400
        );
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"),
            400
        );
    }

    #[test]
    fn unknown_transfer_coding_501() {
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo\r\n\r\n"),
            501
        );
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"),
            501
        );
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n"),
            501
        );
    }

    #[test]
    fn empty_transfer_encoding_400() {
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n"),
            400
        );
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\n\r\n"),
            400
        );
    }

    #[test]
    fn transfer_encoding_in_http10_400() {
        assert_eq!(
            status(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400
        );
    }

    #[test]
    fn te_and_cl_is_chunked_then_close() {
        let (h, _) = ok(
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        assert_eq!(h.framing, BodyFraming::Chunked);
        assert!(h.close_after);
        assert!(!h.keep_alive);
    }

    #[test]
    fn te_with_bad_cl_still_400() {
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400
        );
    }

    #[test]
    fn keep_alive_http11() {
        assert!(ok(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").0.keep_alive);
        assert!(
            !ok(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                .0
                .keep_alive
        );
        assert!(
            !ok(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n")
                .0
                .keep_alive
        );
        assert!(
            !ok(
                b"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n"
            )
            .0
            .keep_alive
        );
        assert!(
            ok(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n")
                .0
                .keep_alive
        );
    }

    #[test]
    fn keep_alive_http10() {
        assert!(!ok(b"GET / HTTP/1.0\r\n\r\n").0.keep_alive);
        assert!(
            ok(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
                .0
                .keep_alive
        );
        assert!(
            ok(b"GET / HTTP/1.0\r\nConnection: foo , keep-alive\r\n\r\n")
                .0
                .keep_alive
        );
        assert!(
            !ok(b"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n")
                .0
                .keep_alive
        );
    }

    #[test]
    fn expect_continue() {
        let (h, _) =
            ok(b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n");
        assert!(h.expect_continue);
        let (h, _) = ok(b"PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
        assert!(!h.expect_continue);
    }

    #[test]
    fn unknown_expectation_417() {
        assert_eq!(
            status(b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n"),
            417
        );
    }

    #[test]
    fn error_reasons_are_one_printable_line() {
        let r = reason(b"B\x01D / HTTP/1.1\r\n\r\n");
        assert!(r.chars().all(|c| (' '..='~').contains(&c)), "{r}");
        let r = reason(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: \xff\x1b[31m\r\n\r\n");
        assert!(r.chars().all(|c| (' '..='~').contains(&c)), "{r}");
    }

    #[test]
    fn version_shapes() {
        use VersionShape::*;
        assert_eq!(version_shape(b""), Prefix);
        assert_eq!(version_shape(b"HT"), Prefix);
        assert_eq!(version_shape(b"HTTP/"), Prefix);
        assert_eq!(version_shape(b"HTTP/1."), Prefix);
        assert_eq!(
            version_shape(b"HTTP/1.2"),
            WellFormed { major: 1, minor: 2 }
        );
        assert_eq!(
            version_shape(b"HTTP/2.0"),
            WellFormed { major: 2, minor: 0 }
        );
        // One digit each (RFC 9112 §2.3).
        assert_eq!(version_shape(b"HTTP/12"), Invalid(6));
        assert_eq!(version_shape(b"HTTP/1.23"), Invalid(8));
        assert_eq!(version_shape(b"HTTP/.1"), Invalid(5));
        assert_eq!(version_shape(b"HTTPS"), Invalid(4));
        assert_eq!(version_shape(b"HTTP/1.1 "), Invalid(8));
        assert_eq!(version_shape(b"\0TTP"), Invalid(0));
    }

    #[test]
    fn printable_escapes_and_cuts() {
        assert_eq!(printable(b"a\"b\\\x00", 10), "\"a\\\"b\\\\\\x00\"");
        assert_eq!(printable(b"abcdef", 3), "\"abc...\"");
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        /// Feed one parser growing prefixes, a byte more each time, until it
        /// answers; that answer must be what the whole buffer gets, whatever the split.
        fn incremental(buf: &[u8], limits: &Limits) -> HeadParse {
            let mut parser = HeadParser::new();
            for k in 0..=buf.len() {
                let r = parser.parse(&buf[..k], limits);
                if r != HeadParse::Partial {
                    return r;
                }
            }
            HeadParse::Partial
        }

        /// Two reads into one parser: the split at `k`, then the rest.
        fn two_reads(buf: &[u8], k: usize, limits: &Limits) -> HeadParse {
            let mut parser = HeadParser::new();
            match parser.parse(&buf[..k], limits) {
                HeadParse::Partial => parser.parse(buf, limits),
                other => other,
            }
        }

        fn token() -> impl Strategy<Value = String> {
            "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}"
        }

        /// A well-formed request and what parsing it must give.
        #[derive(Debug, Clone)]
        struct ValidRequest {
            wire: Vec<u8>,
            method: String,
            path: Vec<u8>,
            fields: Vec<(String, String)>,
        }

        fn valid_request() -> impl Strategy<Value = ValidRequest> {
            (
                prop::sample::select(vec![
                    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "TRACE",
                ]),
                // No all-dot segments: those are resolved away, tested in target.rs.
                prop::collection::vec("[a-z0-9_~-][a-z0-9._~-]{0,7}", 0..5),
                "[a-z0-9=&]{0,10}",
                prop::collection::vec((token(), "[ -~]{0,30}"), 0..8),
                any::<bool>(),
            )
                .prop_map(|(method, segments, query, fields, crlf)| {
                    let eol = if crlf { "\r\n" } else { "\n" };
                    let mut path = String::new();
                    for s in &segments {
                        path.push('/');
                        path.push_str(s);
                    }
                    if path.is_empty() {
                        path.push('/');
                    }
                    let target = if query.is_empty() {
                        path.clone()
                    } else {
                        format!("{path}?{query}")
                    };
                    let fields: Vec<(String, String)> = fields
                        .into_iter()
                        .filter(|(n, _)| {
                            ![
                                "host",
                                "content-length",
                                "transfer-encoding",
                                "connection",
                                "expect",
                            ]
                            .iter()
                            .any(|x| n.eq_ignore_ascii_case(x))
                        })
                        .map(|(n, v)| (n, v.trim().to_string()))
                        .collect();
                    let mut req = format!("{method} {target} HTTP/1.1{eol}Host: example.org{eol}");
                    for (n, v) in &fields {
                        req.push_str(&format!("{n}: {v}{eol}"));
                    }
                    req.push_str(eol);
                    ValidRequest {
                        wire: req.into_bytes(),
                        method: method.to_string(),
                        path: path.into_bytes(),
                        fields,
                    }
                })
        }

        fn mutate(mut buf: Vec<u8>, edits: Vec<(usize, u8, u8)>) -> Vec<u8> {
            for (at, kind, byte) in edits {
                if buf.is_empty() {
                    buf.push(byte);
                    continue;
                }
                let at = at % buf.len();
                match kind % 3 {
                    0 => buf[at] = byte,
                    1 => buf.insert(at, byte),
                    _ => {
                        buf.remove(at);
                    }
                }
            }
            buf
        }

        fn interesting_byte() -> impl Strategy<Value = u8> {
            prop_oneof![
                any::<u8>(),
                prop::sample::select(b"\r\n :\t/%.?0Hx,;".to_vec()),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn random_bytes_never_panic(buf in prop::collection::vec(any::<u8>(), 0..300)) {
                let _ = parse_request_head(&buf, &Limits::default());
            }

            #[test]
            fn valid_requests_parse_the_same_split_anywhere(
                ValidRequest { wire: buf, method, path, fields } in valid_request(),
                tail in prop::collection::vec(any::<u8>(), 0..20),
            ) {
                let limits = Limits::default();
                let whole = parse_request_head(&buf, &limits);
                let HeadParse::Complete { head, consumed } = whole.clone() else {
                    panic!("valid request rejected: {whole:?} {:?}", String::from_utf8_lossy(&buf));
                };
                prop_assert_eq!(consumed, buf.len());
                prop_assert_eq!(&head.method, &method);
                prop_assert_eq!(&head.path, &path);
                prop_assert_eq!(head.headers.len(), fields.len() + 1);
                for (i, (n, v)) in fields.iter().enumerate() {
                    prop_assert_eq!(&head.headers[i + 1].0, n);
                    prop_assert_eq!(&head.headers[i + 1].1, v.as_bytes());
                }
                for k in 0..buf.len() {
                    prop_assert_eq!(parse_request_head(&buf[..k], &limits), HeadParse::Partial);
                }
                // Bytes after the head (a body, a pipelined request) change nothing.
                let mut more = buf.clone();
                more.extend_from_slice(&tail);
                prop_assert_eq!(parse_request_head(&more, &limits), whole);
            }

            #[test]
            fn mutated_requests_answer_the_same_split_anywhere(
                ValidRequest { wire: buf, .. } in valid_request(),
                edits in prop::collection::vec((any::<usize>(), any::<u8>(), interesting_byte()), 1..4),
                split in any::<usize>(),
            ) {
                let limits = Limits { request_line: 40, fields: 4, field_size: 24 };
                let buf = mutate(buf, edits);
                let whole = parse_request_head(&buf, &limits);
                prop_assert_eq!(incremental(&buf, &limits), whole.clone());
                let k = split % (buf.len() + 1);
                prop_assert_eq!(two_reads(&buf, k, &limits), whole.clone());
                if whole == HeadParse::Partial {
                    prop_assert!(buf.len() <= limits.max_head_len());
                }
                if let HeadParse::Complete { consumed, .. } = whole {
                    prop_assert!(consumed <= buf.len());
                }
            }

            #[test]
            fn limits_hold_for_random_heads(
                lines in prop::collection::vec("[ -~]{0,40}", 0..10),
                eol in prop::sample::select(vec!["\r\n", "\n"]),
            ) {
                let limits = Limits { request_line: 30, fields: 3, field_size: 20 };
                let mut buf = String::from("GET / HTTP/1.1");
                for l in &lines {
                    buf.push_str(eol);
                    buf.push_str(l);
                }
                let buf = buf.into_bytes();
                let whole = parse_request_head(&buf, &limits);
                prop_assert_eq!(incremental(&buf, &limits), whole.clone());
                if whole == HeadParse::Partial {
                    prop_assert!(buf.len() <= limits.max_head_len());
                }
            }
        }
    }
}
