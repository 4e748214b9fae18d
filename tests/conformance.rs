//! Raw-socket conformance table (issue 3 item 7): RFC 9110/9112 request heads, body framing,
//! connections, static files and response invariants, run against every built MPM.
//!
//! Each row is one fresh connection: its request bytes (several pipelined requests, or parts sent
//! one after another with a response read in between, for `100 Continue`), the responses
//! expected in order and whether the server must close afterwards. Every final response is also
//! held to the invariants every response shares (`universal`). All failing rows are reported
//! together at the end, so one run gives the whole list.
//!
//! Responses are parsed here rather than with the harness's `parse_responses`: a conformance
//! test must notice a HEAD or 304 with a body, a missing `Connection: close` before a close, or
//! bytes after the last expected response, which a lenient parser glosses over.

use mapache_tests::*;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant, SystemTime};

/// How long one row's connection may take, reads included.
const CONN_DEADLINE: Duration = Duration::from_secs(5);
/// Rows run at once per server: prefork with StartServers 2 serves two connections at a time,
/// and a row must not wait in the listen queue while its deadline runs.
const THREADS_PER_MPM: usize = 2;
/// The mtime given to every file, so validators are strong (not "changed within the last
/// second") and Last-Modified is known in advance.
const MTIME_SECS: u64 = 1_609_459_200;
const LAST_MODIFIED: &str = "Fri, 01 Jan 2021 00:00:00 GMT";
/// The directive a row depends on that the core may not know yet.
const LIMIT_REQUEST_BODY: &str = "LimitRequestBody";
/// Content of a file outside DocumentRoot: no traversal may ever return it.
const SECRET: &str = "TOPSECRET-outside-docroot";
/// What `/probe.txt` holds; a row that must keep the connection open is followed by a request
/// for it.
const PROBE: &[u8] = b"probe\n";
const PROBE_REQUEST: &[u8] = b"GET /probe.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

/// What must happen to the connection after the expected responses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Close {
    /// The server closes it: nothing but end of stream follows.
    Yes,
    /// It stays open: a further request is answered.
    No,
    /// Either is conformant.
    Any,
}

/// One expectation on a response.
#[derive(Debug)]
enum Check {
    Has(&'static str),
    Absent(&'static str),
    Is(&'static str, String),
    /// The comma-separated field value has this token (ASCII case-insensitive).
    Token(&'static str, &'static str),
    NoToken(&'static str, &'static str),
    StartsWith(&'static str, String),
    EndsWith(&'static str, String),
    Body(Vec<u8>),
    BodyLacks(&'static str),
    /// A `multipart/byteranges` body of `/a.txt` with these inclusive ranges, in order.
    Multipart(Vec<(usize, usize)>),
}

/// One expected response.
#[derive(Debug)]
struct Exp {
    /// Any of these statuses is conformant.
    status: Vec<u16>,
    /// It answers a HEAD request (so has no body whatever its headers say).
    head: bool,
    checks: Vec<Check>,
}

fn st(status: &[u16]) -> Exp {
    Exp {
        status: status.to_vec(),
        head: false,
        checks: Vec::new(),
    }
}

impl Exp {
    fn head(mut self) -> Self {
        self.head = true;
        self
    }
    fn with(mut self, c: Check) -> Self {
        self.checks.push(c);
        self
    }
    fn has(self, n: &'static str) -> Self {
        self.with(Check::Has(n))
    }
    fn absent(self, n: &'static str) -> Self {
        self.with(Check::Absent(n))
    }
    fn is(self, n: &'static str, v: impl Into<String>) -> Self {
        self.with(Check::Is(n, v.into()))
    }
    fn token(self, n: &'static str, t: &'static str) -> Self {
        self.with(Check::Token(n, t))
    }
    fn no_token(self, n: &'static str, t: &'static str) -> Self {
        self.with(Check::NoToken(n, t))
    }
    fn starts(self, n: &'static str, v: impl Into<String>) -> Self {
        self.with(Check::StartsWith(n, v.into()))
    }
    fn ends(self, n: &'static str, v: impl Into<String>) -> Self {
        self.with(Check::EndsWith(n, v.into()))
    }
    fn body(self, b: impl AsRef<[u8]>) -> Self {
        self.with(Check::Body(b.as_ref().to_vec()))
    }
    fn lacks(self, s: &'static str) -> Self {
        self.with(Check::BodyLacks(s))
    }
    fn multipart(self, ranges: &[(usize, usize)]) -> Self {
        self.with(Check::Multipart(ranges.to_vec()))
    }
    fn describe(&self) -> String {
        let codes: Vec<String> = self.status.iter().map(u16::to_string).collect();
        format!(
            "{}{}",
            codes.join("|"),
            if self.head { " (HEAD)" } else { "" }
        )
    }
}

/// One row of the table.
struct Row {
    name: &'static str,
    /// Sent in order; after each part but the last, one response is read before sending on.
    parts: Vec<Vec<u8>>,
    expect: Vec<Exp>,
    close: Close,
    /// A directive the row depends on; skipped when the server does not know it.
    needs: Option<&'static str>,
}

fn row(name: &'static str, close: Close, request: impl Into<Vec<u8>>, expect: Vec<Exp>) -> Row {
    Row {
        name,
        parts: vec![request.into()],
        expect,
        close,
        needs: None,
    }
}

impl Row {
    /// Sends `more` once the response to what was sent so far (a `100 Continue`) has arrived.
    fn then_send(mut self, more: &[u8]) -> Self {
        self.parts.push(more.to_vec());
        self
    }
    fn needs(mut self, directive: &'static str) -> Self {
        self.needs = Some(directive);
        self
    }
}

/// `/a.txt`: 1024 printable bytes, so ranges are easy to read in a failure message.
fn a_txt() -> Vec<u8> {
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..1024).map(|i| alphabet[i % alphabet.len()]).collect()
}

fn a_range(first: usize, last: usize) -> Vec<u8> {
    a_txt()[first..=last].to_vec()
}

/// `METHOD target HTTP/1.1` with `Host: t` and `extra` header lines (each ending in CRLF).
fn h11(method: &str, target: &str, extra: &str) -> String {
    format!("{method} {target} HTTP/1.1\r\nHost: t\r\n{extra}\r\n")
}

fn get(target: &str) -> String {
    h11("GET", target, "")
}

fn get_with(target: &str, extra: &str) -> String {
    h11("GET", target, extra)
}

/// The table. `etag` is what the server sends for `/a.txt` (validator rows need it).
// Laid out by hand, one row to a few lines, so it reads as a table.
#[rustfmt::skip]
fn table(etag: &str) -> Vec<Row> {
    use Close::{Any, No, Yes};
    let a = a_txt();
    let a_len = a.len().to_string();
    let echo = |body: &[u8]| {
        let mut out = format!("POST /echo HTTP/1.1 {}\n", body.len()).into_bytes();
        out.extend_from_slice(body);
        out
    };
    let fields = |n: usize| -> String { (1..n).map(|i| format!("X-F{i}: v\r\n")).collect() };
    // A request line of exactly `len` bytes (without CRLF) for /a.txt with a filler query.
    let line_of = |len: usize| format!("GET /a.txt?{} HTTP/1.1", "q".repeat(len - 20));
    // A field line of exactly `len` bytes (without CRLF).
    let field_of = |len: usize| format!("X-Long: {}", "v".repeat(len - 8));
    let weak = if etag.starts_with("W/") {
        etag.to_owned()
    } else {
        format!("W/{etag}")
    };
    let bad = |code: &[u16]| st(code).starts("Content-Type", "text/html");
    let smuggled = get("/echo?smuggled");

    vec![
        // ---- request head (RFC 9112 §2-§5) ----
        row("head/get-file", No, get("/a.txt"), vec![st(&[200])
            .is("Content-Length", a_len.clone())
            .starts("Content-Type", "text/plain")
            .is("Last-Modified", LAST_MODIFIED)
            .has("ETag")
            .is("Accept-Ranges", "bytes")
            .no_token("Connection", "close")
            .body(&a)]),
        row("head/request-line-8190-ok", No,
            format!("{}\r\nHost: t\r\n\r\n", line_of(8190)),
            vec![st(&[200]).body(&a)]),
        row("head/request-line-8191-414", Yes,
            format!("{}\r\nHost: t\r\n\r\n", line_of(8191)),
            vec![bad(&[414])]),
        row("head/request-line-huge-414", Yes,
            format!("{}\r\nHost: t\r\n\r\n", line_of(20_000)),
            vec![bad(&[414])]),
        row("head/100-fields-ok", No, get_with("/a.txt", &fields(100)),
            vec![st(&[200]).body(&a)]),
        row("head/101-fields-rejected", Yes, get_with("/a.txt", &fields(101)),
            vec![bad(&[400, 431])]),
        row("head/field-8190-ok", No, get_with("/a.txt", &format!("{}\r\n", field_of(8190))),
            vec![st(&[200]).body(&a)]),
        row("head/field-8191-rejected", Yes,
            get_with("/a.txt", &format!("{}\r\n", field_of(8191))),
            vec![bad(&[400, 431])]),
        row("head/field-huge-rejected", Yes,
            get_with("/a.txt", &format!("{}\r\n", field_of(20_000))),
            vec![bad(&[400, 431])]),
        row("head/http11-without-host-400", Yes, "GET /a.txt HTTP/1.1\r\n\r\n",
            vec![bad(&[400])]),
        row("head/two-host-fields-400", Yes,
            "GET /a.txt HTTP/1.1\r\nHost: t\r\nHost: u\r\n\r\n", vec![bad(&[400])]),
        row("head/two-equal-host-fields-400", Yes,
            "GET /a.txt HTTP/1.1\r\nHost: t\r\nHost: t\r\n\r\n", vec![bad(&[400])]),
        row("head/host-invalid-value-400", Yes,
            "GET /a.txt HTTP/1.1\r\nHost: bad host\r\n\r\n", vec![bad(&[400])]),
        // Hosts nginx and Apache refuse (a proxy in front may read them differently).
        row("head/host-empty-value-400", Yes, "GET /a.txt HTTP/1.1\r\nHost:\r\n\r\n",
            vec![bad(&[400])]),
        row("head/host-dot-400", Yes, "GET /a.txt HTTP/1.1\r\nHost: .\r\n\r\n",
            vec![bad(&[400])]),
        row("head/absolute-form-percent-authority-400", Yes,
            "GET http://%41/a.txt HTTP/1.1\r\nHost: t\r\n\r\n", vec![bad(&[400])]),
        // HTTP/1.0 needs no Host; an empty one names none (Apache serves it, nginx says 400).
        row("head/http10-host-empty-value-ok", Yes, "GET /a.txt HTTP/1.0\r\nHost:\r\n\r\n",
            vec![st(&[200]).body(&a)]),
        row("head/http10-without-host-ok", Yes, "GET /a.txt HTTP/1.0\r\n\r\n",
            vec![st(&[200]).body(&a)]),
        row("head/absolute-form-ok", No, get("http://t/a.txt"), vec![st(&[200]).body(&a)]),
        row("head/absolute-form-other-host-ok", No,
            "GET http://other.example/a.txt HTTP/1.1\r\nHost: t\r\n\r\n",
            vec![st(&[200]).body(&a)]),
        row("head/absolute-form-without-host-400", Yes,
            "GET http://t/a.txt HTTP/1.1\r\n\r\n", vec![bad(&[400])]),
        row("head/asterisk-form-with-get-400", Yes, get("*"), vec![bad(&[400])]),
        row("head/authority-form-with-get-400", Yes, get("t:80"), vec![bad(&[400])]),
        row("head/space-in-target-400", Yes, get("/a b.txt"), vec![bad(&[400])]),
        row("head/space-before-colon-400", Yes, get_with("/a.txt", "X-Foo : bar\r\n"),
            vec![bad(&[400])]),
        row("head/obs-fold-space-400", Yes, get_with("/a.txt", "X-Foo: a\r\n  b\r\n"),
            vec![bad(&[400])]),
        row("head/obs-fold-tab-400", Yes, get_with("/a.txt", "X-Foo: a\r\n\tb\r\n"),
            vec![bad(&[400])]),
        row("head/nul-in-value-400", Yes, get_with("/a.txt", "X-Foo: a\0b\r\n"),
            vec![bad(&[400])]),
        row("head/bare-cr-in-value-400", Yes, get_with("/a.txt", "X-Foo: a\rb\r\n"),
            vec![bad(&[400])]),
        row("head/bare-cr-line-end-400", Yes, "GET /a.txt HTTP/1.1\rHost: t\r\n\r\n",
            vec![bad(&[400])]),
        row("head/bad-method-token-400", Yes, h11("GE(T", "/a.txt", ""), vec![bad(&[400])]),
        row("head/empty-method-400", Yes, " /a.txt HTTP/1.1\r\nHost: t\r\n\r\n",
            vec![bad(&[400])]),
        row("head/bad-header-name-400", Yes, get_with("/a.txt", "Bad(Name): v\r\n"),
            vec![bad(&[400])]),
        row("head/empty-header-name-400", Yes, get_with("/a.txt", ": v\r\n"),
            vec![bad(&[400])]),
        // A later minor version of HTTP/1 is served as HTTP/1.1 (RFC 9110 §2.5; nginx and
        // Apache too): the status line says HTTP/1.1 (`universal`), keep-alive by default.
        row("head/http12-served-as-http11", No, "GET /a.txt HTTP/1.2\r\nHost: t\r\n\r\n",
            vec![st(&[200]).no_token("Connection", "close").body(&a)]),
        row("head/http19-post-served-as-http11", No,
            "POST /echo HTTP/1.9\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
            vec![st(&[200]).body(echo(b"hello"))]),
        row("head/http12-without-host-400", Yes, "GET /a.txt HTTP/1.2\r\n\r\n",
            vec![bad(&[400])]),
        row("head/http20-505", Yes, "GET /a.txt HTTP/2.0\r\nHost: t\r\n\r\n",
            vec![bad(&[505])]),
        row("head/http30-505", Yes, "GET /a.txt HTTP/3.0\r\nHost: t\r\n\r\n",
            vec![bad(&[505])]),
        row("head/lowercase-version-400", Yes, "GET /a.txt http/1.1\r\nHost: t\r\n\r\n",
            vec![bad(&[400])]),
        row("head/two-digit-minor-version-400", Yes,
            "GET /a.txt HTTP/1.10\r\nHost: t\r\n\r\n", vec![bad(&[400, 505])]),
        row("head/no-version-http09-400", Yes, "GET /a.txt\r\n\r\n", vec![bad(&[400])]),
        row("head/unknown-method-501", Any, h11("BREW", "/a.txt", ""), vec![bad(&[501])]),
        // Methods are case-sensitive (RFC 9110 §9.1): `get` is an unknown method, not GET.
        row("head/method-is-case-sensitive-501", Any, h11("get", "/a.txt", ""),
            vec![bad(&[501])]),
        row("head/options-asterisk-200-allow", No, h11("OPTIONS", "*", ""),
            vec![st(&[200]).has("Allow")]),
        row("head/expect-100-continue-echo", No,
            h11("POST", "/echo", "Content-Length: 5\r\nExpect: 100-continue\r\n"),
            vec![st(&[100]), st(&[200]).body(echo(b"hello"))])
            .then_send(b"hello"),
        row("head/expect-100-continue-http10-ignored", Yes,
            "POST /echo HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello",
            vec![st(&[200]).body(b"POST /echo HTTP/1.0 5\nhello")]),
        row("head/expect-100-not-sent-when-body-unread", Any,
            h11("GET", "/a.txt", "Content-Length: 5\r\nExpect: 100-continue\r\n"),
            vec![st(&[200]).body(&a)]),
        row("head/expect-unknown-417-or-ignored", Any,
            get_with("/a.txt", "Expect: teapot\r\n"), vec![st(&[417, 200])]),
        row("head/leading-empty-lines-ok", No,
            format!("\r\n\r\n{}", get("/a.txt")), vec![st(&[200]).body(&a)]),
        row("head/empty-line-between-pipelined-ok", No,
            format!("{}\r\n{}", get("/a.txt"), get("/a.txt")),
            vec![st(&[200]).body(&a), st(&[200]).body(&a)]),
        row("head/bare-lf-line-ends-accepted-or-400", Any,
            "GET /a.txt HTTP/1.1\nHost: t\n\n", vec![st(&[200, 400])]),
        row("head/field-ows-and-empty-value-ok", No,
            get_with("/a.txt", "X-Pad: \t padded \t\r\nX-Empty:\r\n"),
            vec![st(&[200]).body(&a)]),
        row("head/field-names-case-insensitive", No, "GET /a.txt HTTP/1.1\r\nhOsT: t\r\n\r\n",
            vec![st(&[200]).body(&a)]),

        // ---- body framing (RFC 9112 §6-§7) ----
        row("body/content-length-echo", No,
            h11("POST", "/echo", "Content-Length: 5\r\n") + "hello",
            vec![st(&[200]).body(echo(b"hello"))]),
        row("body/content-length-ows-ok", No,
            h11("POST", "/echo", "Content-Length:  5 \r\n") + "hello",
            vec![st(&[200]).body(echo(b"hello"))]),
        row("body/no-length-post-is-empty", No, h11("POST", "/echo", ""),
            vec![st(&[200, 411])]),
        row("body/content-length-two-values-400", Yes,
            h11("POST", "/echo", "Content-Length: 5\r\nContent-Length: 6\r\n") + "hello!",
            vec![bad(&[400])]),
        row("body/content-length-list-differs-400", Yes,
            h11("POST", "/echo", "Content-Length: 5, 6\r\n") + "hello!",
            vec![bad(&[400])]),
        // Equal repeats too: nginx and Apache refuse them, a proxy may have used either.
        row("body/content-length-list-same-400", Yes,
            h11("POST", "/echo", "Content-Length: 5, 5\r\n") + "hello",
            vec![bad(&[400])]),
        row("body/content-length-repeated-same-400", Yes,
            h11("POST", "/echo", "Content-Length: 5\r\nContent-Length: 5\r\n") + "hello",
            vec![bad(&[400])]),
        row("body/te-chunked-trailing-comma-400", Yes,
            h11("POST", "/echo", "Transfer-Encoding: chunked,\r\n") + "5\r\nhello\r\n0\r\n\r\n",
            vec![bad(&[400])]),
        row("body/te-chunked-and-empty-field-400", Yes,
            h11("POST", "/echo", "Transfer-Encoding: chunked\r\nTransfer-Encoding:\r\n")
                + "5\r\nhello\r\n0\r\n\r\n",
            vec![bad(&[400])]),
        row("body/content-length-non-digits-400", Yes,
            h11("POST", "/echo", "Content-Length: 5a\r\n") + "hello",
            vec![bad(&[400])]),
        row("body/content-length-plus-400", Yes,
            h11("POST", "/echo", "Content-Length: +5\r\n") + "hello",
            vec![bad(&[400])]),
        row("body/content-length-negative-400", Yes,
            h11("POST", "/echo", "Content-Length: -1\r\n") + "hello",
            vec![bad(&[400])]),
        row("body/content-length-hex-400", Yes,
            h11("POST", "/echo", "Content-Length: 0x5\r\n") + "hello",
            vec![bad(&[400])]),
        row("body/content-length-empty-400", Yes,
            h11("POST", "/echo", "Content-Length:\r\n") + "hello",
            vec![bad(&[400])]),
        row("body/content-length-overflow-400", Yes,
            h11("POST", "/echo", "Content-Length: 99999999999999999999999999\r\n") + "hello",
            vec![bad(&[400, 413])]),
        row("body/chunked-echo", No,
            h11("POST", "/echo", "Transfer-Encoding: chunked\r\n")
                + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            vec![st(&[200]).body(echo(b"hello world"))]),
        row("body/chunked-extensions-echo", No,
            h11("POST", "/echo", "Transfer-Encoding: chunked\r\n")
                + "5;name=value\r\nhello\r\n6 ; a ; b=\"q;x\"\r\n world\r\n0;last\r\n\r\n",
            vec![st(&[200]).body(echo(b"hello world"))]),
        row("body/chunked-trailers-then-pipelined", No,
            h11("POST", "/echo", "Transfer-Encoding: chunked\r\n")
                + "5\r\nhello\r\n0\r\nX-Trailer: yes\r\nX-Other: 2\r\n\r\n"
                + &get("/a.txt"),
            vec![st(&[200]).body(echo(b"hello")), st(&[200]).body(&a)]),
        row("body/chunked-uppercase-hex-and-leading-zeros", No,
            h11("POST", "/echo", "Transfer-Encoding: chunked\r\n")
                + "A\r\n0123456789\r\n0005\r\nhello\r\n0\r\n\r\n",
            vec![st(&[200]).body(echo(b"0123456789hello"))]),
        row("body/chunked-coding-name-case-insensitive", No,
            h11("POST", "/echo", "Transfer-Encoding: Chunked\r\n")
                + "5\r\nhello\r\n0\r\n\r\n",
            vec![st(&[200]).body(echo(b"hello"))]),
        row("body/chunk-size-overflow-400", Yes,
            h11("POST", "/echo", "Transfer-Encoding: chunked\r\n")
                + "FFFFFFFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n",
            vec![bad(&[400])]),
        row("body/chunk-size-not-hex-400", Yes,
            h11("POST", "/echo", "Transfer-Encoding: chunked\r\n")
                + "zz\r\nhello\r\n0\r\n\r\n",
            vec![bad(&[400])]),
        row("body/chunk-data-without-crlf-400", Yes,
            h11("POST", "/echo", "Transfer-Encoding: chunked\r\n")
                + "5\r\nhelloXX0\r\n\r\n",
            vec![bad(&[400])]),
        row("body/te-gzip-not-chunked-rejected", Yes,
            h11("POST", "/echo", "Transfer-Encoding: gzip\r\n") + "hello",
            vec![bad(&[400, 501])]),
        row("body/te-chunked-then-gzip-rejected", Yes,
            h11("POST", "/echo", "Transfer-Encoding: chunked, gzip\r\n")
                + "5\r\nhello\r\n0\r\n\r\n",
            vec![bad(&[400, 501])]),
        row("body/te-gzip-then-chunked-rejected", Yes,
            h11("POST", "/echo", "Transfer-Encoding: gzip, chunked\r\n")
                + "5\r\nhello\r\n0\r\n\r\n",
            vec![bad(&[400, 501])]),
        row("body/te-two-fields-gzip-chunked-rejected", Yes,
            h11("POST", "/echo", "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")
                + "5\r\nhello\r\n0\r\n\r\n",
            vec![bad(&[400, 501])]),
        row("body/te-chunked-twice-rejected", Yes,
            h11("POST", "/echo", "Transfer-Encoding: chunked, chunked\r\n")
                + "5\r\nhello\r\n0\r\n\r\n",
            vec![bad(&[400, 501])]),
        row("body/te-unknown-coding-rejected", Yes,
            h11("POST", "/echo", "Transfer-Encoding: chunkedx\r\n")
                + "5\r\nhello\r\n0\r\n\r\n",
            vec![bad(&[400, 501])]),
        row("body/te-in-http10-400", Yes,
            "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            vec![bad(&[400])]),
        // The chunked body ends at once; the Content-Length-counted bytes hold a second request.
        // Whatever the first answer, /smuggled must never be answered and the connection closes.
        row("body/te-and-cl-smuggling-te-first", Yes, {
            let tail = format!("0\r\n\r\n{}", get("/echo?smuggled"));
            h11("POST", "/echo",
                &format!("Transfer-Encoding: chunked\r\nContent-Length: {}\r\n", tail.len()))
                + &tail
        }, vec![st(&[200, 400]).lacks("smuggled")]),
        row("body/te-and-cl-smuggling-cl-first", Yes, {
            let tail = format!("0\r\n\r\n{}", get("/echo?smuggled"));
            h11("POST", "/echo",
                &format!("Content-Length: {}\r\nTransfer-Encoding: chunked\r\n", tail.len()))
                + &tail
        }, vec![st(&[200, 400]).lacks("smuggled")]),
        // Content-Length 0 and a chunked body holding a request: a CL-framing parser would
        // answer the chunk as a request.
        row("body/te-and-cl-zero-smuggling", Yes,
            h11("POST", "/echo", "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n")
                + &format!("{:x}\r\n{}\r\n0\r\n\r\n", smuggled.len(), smuggled),
            vec![st(&[200, 400]).lacks("?smuggled HTTP/1.1 0\n")]),
        row("body/unread-cl-body-drained", No,
            h11("POST", "/a.txt", "Content-Length: 10\r\n") + "0123456789" + &get("/a.txt"),
            vec![st(&[200, 405]), st(&[200]).body(&a)]),
        row("body/unread-chunked-body-drained", No,
            h11("POST", "/a.txt", "Transfer-Encoding: chunked\r\n")
                + "5\r\nhello\r\n0\r\n\r\n" + &get("/a.txt"),
            vec![st(&[200, 405]), st(&[200]).body(&a)]),
        row("body/get-with-body-drained", No,
            get_with("/a.txt", "Content-Length: 5\r\n") + "hello" + &get("/probe.txt"),
            vec![st(&[200]).body(&a), st(&[200]).body(PROBE)]),
        row("body/te-identity-rejected", Yes,
            h11("POST", "/echo", "Transfer-Encoding: identity\r\n") + "hello",
            vec![bad(&[400, 501])]),
        row("body/limit-request-body-100-ok", No,
            h11("POST", "/echo", "Content-Length: 100\r\n") + &"b".repeat(100),
            vec![st(&[200]).body(echo(&[b'b'; 100]))]).needs(LIMIT_REQUEST_BODY),
        row("body/limit-request-body-cl-413", Any,
            h11("POST", "/echo", "Content-Length: 101\r\n") + &"b".repeat(101),
            vec![bad(&[413])]).needs(LIMIT_REQUEST_BODY),
        row("body/limit-request-body-chunked-413", Any,
            h11("POST", "/echo", "Transfer-Encoding: chunked\r\n")
                + &format!("96\r\n{}\r\n0\r\n\r\n", "b".repeat(150)),
            vec![bad(&[413])]).needs(LIMIT_REQUEST_BODY),
        // A chunk whose declared size takes the body past the limit is refused when its size
        // line ends, without waiting for data that will not come (within CONN_DEADLINE, well
        // under the 20 s body timeout).
        row("body/limit-request-body-huge-chunk-413-at-once", Yes,
            h11("POST", "/echo", "Transfer-Encoding: chunked\r\n") + "ffffffffffffffff\r\n",
            vec![bad(&[413])]).needs(LIMIT_REQUEST_BODY),
        row("body/limit-request-body-chunk-101-413-at-once", Yes,
            h11("POST", "/echo", "Transfer-Encoding: chunked\r\n") + "65\r\n",
            vec![bad(&[413])]).needs(LIMIT_REQUEST_BODY),
        row("body/limit-request-body-chunks-total-413-at-once", Yes,
            h11("POST", "/echo", "Transfer-Encoding: chunked\r\n")
                + &format!("32\r\n{}\r\n33\r\n", "b".repeat(50)),
            vec![bad(&[413])]).needs(LIMIT_REQUEST_BODY),
        row("body/chunk-size-overflow-at-once", Yes,
            h11("POST", "/echo", "Transfer-Encoding: chunked\r\n") + "10000000000000000\r\n",
            vec![bad(&[400, 413])]),
        row("body/limit-request-body-expect-413-without-100", Any,
            h11("POST", "/echo", "Content-Length: 101\r\nExpect: 100-continue\r\n"),
            vec![bad(&[413])]).needs(LIMIT_REQUEST_BODY),

        // ---- connections (RFC 9112 §9) ----
        row("conn/http11-keep-alive-by-default", No, get("/a.txt"),
            vec![st(&[200]).no_token("Connection", "close").body(&a)]),
        row("conn/http10-closes-by-default", Yes, "GET /a.txt HTTP/1.0\r\nHost: t\r\n\r\n",
            vec![st(&[200]).body(&a)]),
        row("conn/http10-keep-alive-opt-in", No,
            "GET /a.txt HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\n\r\n\
             GET /probe.txt HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\n\r\n",
            vec![st(&[200]).token("Connection", "keep-alive").body(&a),
                 st(&[200]).token("Connection", "keep-alive").body(PROBE)]),
        row("conn/http10-keep-alive-then-plain-closes", Yes,
            "GET /a.txt HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\n\r\n\
             GET /probe.txt HTTP/1.0\r\nHost: t\r\n\r\n",
            vec![st(&[200]).token("Connection", "keep-alive").body(&a),
                 st(&[200]).body(PROBE)]),
        row("conn/close-honoured", Yes, get_with("/a.txt", "Connection: close\r\n"),
            vec![st(&[200]).body(&a)]),
        row("conn/close-token-case-and-list", Yes,
            get_with("/a.txt", "Connection: x-foo, CLOSE\r\n"), vec![st(&[200]).body(&a)]),
        row("conn/close-stops-pipeline", Yes,
            get_with("/a.txt", "Connection: close\r\n") + &get("/probe.txt"),
            vec![st(&[200]).body(&a)]),
        row("conn/pipelined-in-order", Yes,
            format!("{}{}{}{}", get("/a.txt"), get("/probe.txt"), h11("HEAD", "/a.txt", ""),
                get_with("/dir/", "Connection: close\r\n")),
            vec![st(&[200]).body(&a), st(&[200]).body(PROBE),
                 st(&[200]).head().is("Content-Length", a_len.clone()),
                 st(&[200]).body("dir index\n")]),
        row("conn/pipelined-with-bodies-in-order", No,
            format!("{}{}hello{}", get("/probe.txt"),
                h11("POST", "/echo", "Content-Length: 5\r\n"), get("/a.txt")),
            vec![st(&[200]).body(PROBE), st(&[200]).body(echo(b"hello")),
                 st(&[200]).body(&a)]),
        row("conn/error-404-keeps-connection", No, get("/nope.txt"), vec![bad(&[404])]),
        row("conn/error-400-closes-and-drops-pipeline", Yes,
            format!("{}{}", "GET /a.txt HTTP/1.1\r\n\r\n", get("/probe.txt")),
            vec![bad(&[400])]),
        row("conn/max-keep-alive-requests-5", Yes, get("/probe.txt").repeat(6), vec![
            st(&[200]).no_token("Connection", "close").body(PROBE),
            st(&[200]).no_token("Connection", "close").body(PROBE),
            st(&[200]).no_token("Connection", "close").body(PROBE),
            st(&[200]).no_token("Connection", "close").body(PROBE),
            st(&[200]).token("Connection", "close").body(PROBE),
        ]),

        // ---- static files (RFC 9110 §9.3, §13, §14, §15) ----
        row("static/head-same-headers-no-body", No, h11("HEAD", "/a.txt", ""),
            vec![st(&[200]).head()
                .is("Content-Length", a_len.clone())
                .starts("Content-Type", "text/plain")
                .is("Last-Modified", LAST_MODIFIED)
                .is("ETag", etag)
                .is("Accept-Ranges", "bytes")]),
        row("static/head-404-no-body", No, h11("HEAD", "/nope.txt", ""),
            vec![st(&[404]).head()]),
        row("static/html-type", No, get("/index.html"),
            vec![st(&[200]).starts("Content-Type", "text/html").body("<h1>conformance</h1>\n")]),
        row("static/unknown-extension-octet-stream", No, get("/file.zzqq"),
            vec![st(&[200]).is("Content-Type", "application/octet-stream").body("zz\n")]),
        row("static/missing-404-html", No, get("/nope.txt"), vec![bad(&[404])]),
        row("static/htaccess-403", No, get("/.htaccess"), vec![bad(&[403]).lacks(SECRET)]),
        row("static/htpasswd-in-subdir-403", No, get("/dir/.htpasswd"),
            vec![bad(&[403]).lacks(SECRET)]),
        row("static/htaccess-percent-encoded-403", Any, get("/%2ehtaccess"),
            vec![bad(&[403, 404]).lacks(SECRET)]),
        row("static/method-not-allowed-405-allow", Any, h11("DELETE", "/a.txt", ""),
            vec![bad(&[405]).has("Allow")]),
        row("static/traversal-dotdot", Any, get("/../secret.txt"),
            vec![bad(&[400, 403, 404]).lacks(SECRET)]),
        row("static/traversal-nested-dotdot", Any, get("/dir/../../secret.txt"),
            vec![bad(&[400, 403, 404]).lacks(SECRET)]),
        row("static/traversal-encoded-dots", Any, get("/%2e%2e/secret.txt"),
            vec![bad(&[400, 403, 404]).lacks(SECRET)]),
        row("static/traversal-encoded-dots-upper", Any, get("/dir/%2E%2E/%2E%2E/secret.txt"),
            vec![bad(&[400, 403, 404]).lacks(SECRET)]),
        row("static/traversal-encoded-slash", Any, get("/..%2fsecret.txt"),
            vec![bad(&[400, 403, 404]).lacks(SECRET)]),
        row("static/traversal-double-encoded", Any, get("/%252e%252e/secret.txt"),
            vec![bad(&[400, 403, 404]).lacks(SECRET)]),
        row("static/traversal-absolute-form", Any, get("http://t/../secret.txt"),
            vec![bad(&[400, 403, 404]).lacks(SECRET)]),
        row("static/encoded-slash-not-served", Any, get("/dir%2findex.html"),
            vec![bad(&[400, 403, 404]).lacks("dir index")]),
        row("static/encoded-nul-rejected", Any, get("/a.txt%00.html"),
            vec![bad(&[400, 403, 404])]),
        row("static/dot-segments-inside-root-ok", No, get("/dir/./../dir/index.html"),
            vec![st(&[200]).body("dir index\n")]),
        row("static/percent-encoded-name-ok", No, get("/%61.txt"), vec![st(&[200]).body(&a)]),
        row("static/directory-301-keeps-query", No, get("/dir?x=1&y=2"),
            vec![st(&[301]).ends("Location", "/dir/?x=1&y=2")]),
        row("static/directory-index", No, get("/dir/"), vec![st(&[200]).body("dir index\n")]),
        row("static/directory-without-index-403", No, get("/noindex/"), vec![bad(&[403])]),
        row("static/range-single", No, get_with("/a.txt", "Range: bytes=0-9\r\n"),
            vec![st(&[206]).is("Content-Range", "bytes 0-9/1024").is("Content-Length", "10")
                .body(a_range(0, 9))]),
        row("static/range-suffix", No, get_with("/a.txt", "Range: bytes=-10\r\n"),
            vec![st(&[206]).is("Content-Range", "bytes 1014-1023/1024")
                .body(a_range(1014, 1023))]),
        row("static/range-open", No, get_with("/a.txt", "Range: bytes=1000-\r\n"),
            vec![st(&[206]).is("Content-Range", "bytes 1000-1023/1024")
                .body(a_range(1000, 1023))]),
        row("static/range-end-past-size", No, get_with("/a.txt", "Range: bytes=1000-5000\r\n"),
            vec![st(&[206]).is("Content-Range", "bytes 1000-1023/1024")
                .body(a_range(1000, 1023))]),
        row("static/range-multi", No, get_with("/a.txt", "Range: bytes=0-9,500-509\r\n"),
            vec![st(&[206]).starts("Content-Type", "multipart/byteranges; boundary=")
                .absent("Content-Range").multipart(&[(0, 9), (500, 509)])]),
        row("static/range-unsatisfiable-416", No, get_with("/a.txt", "Range: bytes=2000-3000\r\n"),
            vec![st(&[416]).is("Content-Range", "bytes */1024")]),
        row("static/range-unknown-unit-ignored", No, get_with("/a.txt", "Range: items=0-9\r\n"),
            vec![st(&[200]).body(&a)]),
        row("static/range-on-head-ignored", No,
            h11("HEAD", "/a.txt", "Range: bytes=0-9\r\n"),
            vec![st(&[200]).head().is("Content-Length", a_len.clone()).absent("Content-Range")]),
        row("static/if-range-etag-match-206", No,
            get_with("/a.txt", &format!("Range: bytes=0-9\r\nIf-Range: {etag}\r\n")),
            vec![st(&[206]).is("Content-Range", "bytes 0-9/1024").body(a_range(0, 9))]),
        row("static/if-range-etag-mismatch-200", No,
            get_with("/a.txt", "Range: bytes=0-9\r\nIf-Range: \"other\"\r\n"),
            vec![st(&[200]).body(&a)]),
        row("static/if-range-date-match-206", No,
            get_with("/a.txt", &format!("Range: bytes=0-9\r\nIf-Range: {LAST_MODIFIED}\r\n")),
            vec![st(&[206]).body(a_range(0, 9))]),
        row("static/if-range-date-mismatch-200", No,
            get_with("/a.txt", "Range: bytes=0-9\r\nIf-Range: Thu, 31 Dec 2020 00:00:00 GMT\r\n"),
            vec![st(&[200]).body(&a)]),
        row("static/if-none-match-304", No,
            get_with("/a.txt", &format!("If-None-Match: {etag}\r\n")),
            vec![st(&[304]).is("ETag", etag).absent("Transfer-Encoding")]),
        row("static/if-none-match-head-304", No,
            h11("HEAD", "/a.txt", &format!("If-None-Match: {etag}\r\n")),
            vec![st(&[304]).head().is("ETag", etag)]),
        row("static/if-none-match-star-304", No, get_with("/a.txt", "If-None-Match: *\r\n"),
            vec![st(&[304]).is("ETag", etag)]),
        row("static/if-none-match-list-304", No,
            get_with("/a.txt", &format!("If-None-Match: \"x\", {etag}\r\n")),
            vec![st(&[304]).is("ETag", etag)]),
        row("static/if-none-match-weak-compare-304", No,
            get_with("/a.txt", &format!("If-None-Match: {weak}\r\n")),
            vec![st(&[304]).is("ETag", etag)]),
        row("static/if-none-match-mismatch-200", No,
            get_with("/a.txt", "If-None-Match: \"other\"\r\n"), vec![st(&[200]).body(&a)]),
        row("static/if-modified-since-equal-304", No,
            get_with("/a.txt", &format!("If-Modified-Since: {LAST_MODIFIED}\r\n")),
            vec![st(&[304]).is("ETag", etag)]),
        row("static/if-modified-since-older-200", No,
            get_with("/a.txt", "If-Modified-Since: Thu, 31 Dec 2020 00:00:00 GMT\r\n"),
            vec![st(&[200]).body(&a)]),
        row("static/if-modified-since-garbage-ignored", No,
            get_with("/a.txt", "If-Modified-Since: yesterday-ish\r\n"),
            vec![st(&[200]).body(&a)]),
        row("static/if-none-match-overrides-if-modified-since", No,
            get_with("/a.txt",
                &format!("If-None-Match: \"other\"\r\nIf-Modified-Since: {LAST_MODIFIED}\r\n")),
            vec![st(&[200]).body(&a)]),
        row("static/if-match-mismatch-412", No, get_with("/a.txt", "If-Match: \"other\"\r\n"),
            vec![bad(&[412])]),
        row("static/if-match-weak-never-matches-412", No,
            get_with("/a.txt", &format!("If-Match: {weak}\r\n")), vec![bad(&[412])]),
        row("static/if-match-match-200", No, get_with("/a.txt", &format!("If-Match: {etag}\r\n")),
            vec![st(&[200]).body(&a)]),
        row("static/if-match-star-200", No, get_with("/a.txt", "If-Match: *\r\n"),
            vec![st(&[200]).body(&a)]),
        row("static/if-match-on-missing-is-404", No, get_with("/nope.txt", "If-Match: *\r\n"),
            vec![bad(&[404])]),
        row("static/if-unmodified-since-older-412", No,
            get_with("/a.txt", "If-Unmodified-Since: Thu, 31 Dec 2020 00:00:00 GMT\r\n"),
            vec![bad(&[412])]),
        row("static/if-unmodified-since-equal-200", No,
            get_with("/a.txt", &format!("If-Unmodified-Since: {LAST_MODIFIED}\r\n")),
            vec![st(&[200]).body(&a)]),
        row("static/if-match-beats-if-none-match-412", No,
            get_with("/a.txt", &format!("If-Match: \"other\"\r\nIf-None-Match: {etag}\r\n")),
            vec![bad(&[412])]),
    ]
}

/// A response as read off the wire.
struct Resp {
    status_line: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count()
    }
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }
}

/// How reading stopped short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Eof,
    Reset,
    Timeout,
}

/// Why a response could not be read.
enum ReadFail {
    End(End),
    Malformed(String),
}

/// A client connection with a buffer and one deadline for the whole row.
struct Wire {
    s: TcpStream,
    buf: Vec<u8>,
    deadline: Instant,
    /// Set once end of stream (or a reset) is seen.
    ended: Option<End>,
}

impl Wire {
    fn fill(&mut self) -> Result<(), End> {
        if let Some(e) = self.ended {
            return Err(e);
        }
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(End::Timeout);
        }
        let _ = self.s.set_read_timeout(Some(left));
        let mut chunk = [0u8; 16384];
        match self.s.read(&mut chunk) {
            Ok(0) => {
                self.ended = Some(End::Eof);
                Err(End::Eof)
            }
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Err(End::Timeout)
            }
            Err(_) => {
                self.ended = Some(End::Reset);
                Err(End::Reset)
            }
        }
    }

    /// Position of the next CRLF at or after `from`, reading more as needed.
    fn crlf(&mut self, from: usize) -> Result<usize, End> {
        loop {
            if let Some(p) = find(&self.buf[from.min(self.buf.len())..], b"\r\n") {
                return Ok(from + p);
            }
            self.fill()?;
        }
    }

    fn need(&mut self, n: usize) -> Result<(), End> {
        while self.buf.len() < n {
            self.fill()?;
        }
        Ok(())
    }

    /// Reads one response (1xx included). `head_req`: it answers HEAD, so it has no body.
    fn response(&mut self, head_req: bool) -> Result<Resp, ReadFail> {
        let end = loop {
            if let Some(p) = find(&self.buf, b"\r\n\r\n") {
                break p;
            }
            match self.fill() {
                Ok(()) => {}
                Err(End::Eof | End::Reset) if !self.buf.is_empty() => {
                    return Err(ReadFail::Malformed(format!(
                        "connection ended inside a response head: {}",
                        preview(&self.buf)
                    )))
                }
                Err(e) => return Err(ReadFail::End(e)),
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
        self.buf.drain(..end + 4);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or("").to_owned();
        let status = status_line
            .strip_prefix("HTTP/1.1 ")
            .or_else(|| status_line.strip_prefix("HTTP/1.0 "))
            .and_then(|r| r.get(..3))
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| ReadFail::Malformed(format!("bad status line {status_line:?}")))?;
        let mut headers = Vec::new();
        for line in lines {
            let (n, v) = line
                .split_once(':')
                .ok_or_else(|| ReadFail::Malformed(format!("bad header line {line:?}")))?;
            headers.push((n.to_owned(), v.trim().to_owned()));
        }
        let mut resp = Resp {
            status_line,
            status,
            headers,
            body: Vec::new(),
        };
        if head_req || (100..200).contains(&status) || status == 204 || status == 304 {
            return Ok(resp);
        }
        let eof_msg = |what: &str| ReadFail::Malformed(format!("connection ended inside {what}"));
        if resp.has_token("Transfer-Encoding", "chunked") {
            loop {
                let le = self.crlf(0).map_err(|_| eof_msg("a chunk size"))?;
                let line = String::from_utf8_lossy(&self.buf[..le]).into_owned();
                let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                    .map_err(|_| ReadFail::Malformed(format!("bad chunk size {line:?}")))?;
                self.buf.drain(..le + 2);
                if size == 0 {
                    // Trailer fields up to the empty line.
                    loop {
                        let le = self.crlf(0).map_err(|_| eof_msg("the trailer"))?;
                        self.buf.drain(..le + 2);
                        if le == 0 {
                            return Ok(resp);
                        }
                    }
                }
                self.need(size + 2).map_err(|_| eof_msg("chunk data"))?;
                if &self.buf[size..size + 2] != b"\r\n" {
                    return Err(ReadFail::Malformed(
                        "chunk data not followed by CRLF".into(),
                    ));
                }
                resp.body.extend(self.buf.drain(..size));
                self.buf.drain(..2);
            }
        } else if let Some(cl) = resp.header("Content-Length") {
            let n: usize = cl
                .parse()
                .map_err(|_| ReadFail::Malformed(format!("bad Content-Length {cl:?}")))?;
            self.need(n).map_err(|_| eof_msg("a Content-Length body"))?;
            resp.body = self.buf.drain(..n).collect();
        } else {
            // Close-delimited.
            loop {
                match self.fill() {
                    Ok(()) => {}
                    Err(End::Timeout) => {
                        return Err(ReadFail::Malformed(
                            "body without length did not end with the connection".into(),
                        ))
                    }
                    Err(_) => break,
                }
            }
            resp.body = std::mem::take(&mut self.buf);
        }
        Ok(resp)
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// At most 120 bytes, escaped, for failure messages.
fn preview(b: &[u8]) -> String {
    let s: String = b
        .iter()
        .take(120)
        .flat_map(|&c| std::ascii::escape_default(c))
        .map(char::from)
        .collect();
    if b.len() > 120 {
        format!("\"{s}\"... ({} bytes)", b.len())
    } else {
        format!("\"{s}\"")
    }
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7).
fn is_imf_fixdate(v: &str) -> bool {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let digits = |r: std::ops::Range<usize>| v[r].bytes().all(|b| b.is_ascii_digit());
    v.is_ascii()
        && v.len() == 29
        && DAYS.contains(&&v[0..3])
        && &v[3..5] == ", "
        && digits(5..7)
        && &v[7..8] == " "
        && MONTHS.contains(&&v[8..11])
        && &v[11..12] == " "
        && digits(12..16)
        && &v[16..17] == " "
        && digits(17..19)
        && &v[19..20] == ":"
        && digits(20..22)
        && &v[22..23] == ":"
        && digits(23..25)
        && &v[25..] == " GMT"
}

/// What every final response must satisfy, whatever the row.
fn universal(r: &Resp, head_req: bool) -> Vec<String> {
    let mut bad = Vec::new();
    if (100..200).contains(&r.status) {
        return bad;
    }
    if !r.status_line.starts_with("HTTP/1.1 ") {
        bad.push(format!("status line {:?} is not HTTP/1.1", r.status_line));
    }
    match r.header("Date") {
        Some(d) if is_imf_fixdate(d) => {}
        Some(d) => bad.push(format!("Date {d:?} is not an IMF-fixdate")),
        None => bad.push("no Date".into()),
    }
    if r.header("Server").is_none() {
        bad.push("no Server".into());
    }
    for once in [
        "Content-Length",
        "Content-Type",
        "Date",
        "Server",
        "ETag",
        "Connection",
    ] {
        if r.count(once) > 1 {
            bad.push(format!("{once} sent {} times", r.count(once)));
        }
    }
    if r.header("Content-Length").is_some() && r.header("Transfer-Encoding").is_some() {
        bad.push("both Content-Length and Transfer-Encoding".into());
    }
    if r.status == 204 && r.header("Content-Length").is_some() {
        bad.push("204 with Content-Length".into());
    }
    if (r.status == 204 || r.status == 304) && r.header("Transfer-Encoding").is_some() {
        bad.push(format!("{} with Transfer-Encoding", r.status));
    }
    if r.status >= 400 {
        if !r
            .header("Content-Type")
            .is_some_and(|t| t.to_ascii_lowercase().starts_with("text/html"))
        {
            bad.push(format!(
                "error without Content-Type text/html (got {:?})",
                r.header("Content-Type")
            ));
        }
        if head_req {
            // The HEAD answer must announce the GET answer's body, not be empty-framed.
        } else if r.body.is_empty() {
            bad.push("error response with an empty body".into());
        } else if !String::from_utf8_lossy(&r.body)
            .to_ascii_lowercase()
            .contains("<html")
        {
            bad.push(format!("error body is not HTML: {}", preview(&r.body)));
        }
    }
    bad
}

/// `Check`s of one expected response.
fn check(r: &Resp, c: &Check) -> Option<String> {
    let h = |n: &str| r.header(n);
    match c {
        Check::Has(n) => h(n).is_none().then(|| format!("no {n}")),
        Check::Absent(n) => h(n).map(|v| format!("unexpected {n}: {v}")),
        Check::Is(n, v) => {
            (h(n) != Some(v.as_str())).then(|| format!("{n}: expected {v:?}, got {:?}", h(n)))
        }
        Check::Token(n, t) => {
            (!r.has_token(n, t)).then(|| format!("{n}: expected token {t:?}, got {:?}", h(n)))
        }
        Check::NoToken(n, t) => r.has_token(n, t).then(|| format!("unexpected {n}: {t}")),
        Check::StartsWith(n, v) => (!h(n).is_some_and(|x| x.starts_with(v.as_str())))
            .then(|| format!("{n}: expected {v:?}..., got {:?}", h(n))),
        Check::EndsWith(n, v) => (!h(n).is_some_and(|x| x.ends_with(v.as_str())))
            .then(|| format!("{n}: expected ...{v:?}, got {:?}", h(n))),
        Check::Body(b) => (&r.body != b)
            .then(|| format!("body: expected {}, got {}", preview(b), preview(&r.body))),
        Check::BodyLacks(s) => find(&r.body, s.as_bytes())
            .map(|_| format!("body contains {s:?}: {}", preview(&r.body))),
        Check::Multipart(ranges) => check_multipart(r, ranges).err(),
    }
}

/// A `multipart/byteranges` body of `/a.txt` (RFC 9110 §14.6) with exactly these parts.
fn check_multipart(r: &Resp, ranges: &[(usize, usize)]) -> Result<(), String> {
    let ct = r.header("Content-Type").unwrap_or("");
    let boundary = ct
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()
        .map(|b| b.trim_matches('"'))
        .ok_or_else(|| format!("no boundary in Content-Type {ct:?}"))?;
    let delim = format!("--{boundary}");
    let body = &r.body;
    let a = a_txt();
    let mut pos = find(body, delim.as_bytes()).ok_or("no first boundary in the body")?;
    for &(first, last) in ranges {
        pos += delim.len();
        if body.get(pos..pos + 2) != Some(b"\r\n") {
            return Err(format!("boundary not followed by CRLF at byte {pos}"));
        }
        pos += 2;
        let head_end = find(&body[pos..], b"\r\n\r\n").ok_or("part without a head")? + pos;
        let head = String::from_utf8_lossy(&body[pos..head_end]).to_ascii_lowercase();
        let want = format!("content-range: bytes {first}-{last}/1024");
        if !head.split("\r\n").any(|l| l == want) {
            return Err(format!("part head {head:?} lacks {want:?}"));
        }
        if !head
            .split("\r\n")
            .any(|l| l.starts_with("content-type: text/plain"))
        {
            return Err(format!("part head {head:?} lacks Content-Type text/plain"));
        }
        pos = head_end + 4;
        let data_end = pos + (last - first + 1);
        if body.get(pos..data_end) != Some(&a[first..=last]) {
            return Err(format!("part {first}-{last} data differs"));
        }
        if body.get(data_end..data_end + 2) != Some(b"\r\n") {
            return Err(format!("part {first}-{last} data not followed by CRLF"));
        }
        pos = data_end + 2;
        if !body[pos..].starts_with(delim.as_bytes()) {
            return Err(format!("part {first}-{last} not followed by the boundary"));
        }
    }
    if !body[pos..].starts_with(format!("{delim}--").as_bytes()) {
        return Err("no closing boundary after the expected parts".into());
    }
    Ok(())
}

/// Runs one row on a fresh connection; returns what went wrong (empty: it passed).
/// `MAPACHE_CONFORMANCE_VERBOSE=1` prints what every row got, passing or not, labelled `label`.
fn run_row(addr: SocketAddr, row: &Row, limit: Duration, label: &str) -> Vec<String> {
    let s = match TcpStream::connect(addr) {
        Ok(s) => s,
        Err(e) => return vec![format!("connect: {e}")],
    };
    let verbose = std::env::var_os("MAPACHE_CONFORMANCE_VERBOSE").is_some();
    let _ = s.set_write_timeout(Some(limit));
    let mut w = Wire {
        s,
        buf: Vec::new(),
        deadline: Instant::now() + limit,
        ended: None,
    };
    let mut got: Vec<Resp> = Vec::new();
    let mut problems = Vec::new();
    let mut stopped: Option<String> = None;
    let read_next = |w: &mut Wire, got: &mut Vec<Resp>| -> Result<(), String> {
        let head_req = row.expect.get(got.len()).is_some_and(|e| e.head);
        match w.response(head_req) {
            Ok(r) => {
                got.push(r);
                Ok(())
            }
            Err(ReadFail::End(End::Eof)) => Err("connection closed".into()),
            Err(ReadFail::End(End::Reset)) => Err("connection reset".into()),
            Err(ReadFail::End(End::Timeout)) => Err(format!("no response within {limit:?}")),
            Err(ReadFail::Malformed(m)) => Err(m),
        }
    };
    for (i, part) in row.parts.iter().enumerate() {
        if w.s.write_all(part).is_err() {
            // The server may answer and close before taking every byte (a 414, a 413): what
            // it answered is judged below.
            break;
        }
        if i + 1 < row.parts.len() {
            if let Err(e) = read_next(&mut w, &mut got) {
                stopped = Some(e);
                break;
            }
        }
    }
    while stopped.is_none() && got.len() < row.expect.len() {
        if let Err(e) = read_next(&mut w, &mut got) {
            stopped = Some(e);
        }
    }

    if verbose {
        let seen: Vec<String> = got.iter().map(|r| r.status_line.clone()).collect();
        println!(
            "[{label}] {}: {seen:?} {}",
            row.name,
            stopped.as_deref().unwrap_or("")
        );
    }

    // Statuses and checks, response by response.
    for (i, exp) in row.expect.iter().enumerate() {
        let Some(r) = got.get(i) else { break };
        if !exp.status.contains(&r.status) {
            problems.push(format!(
                "response {}: status {} (expected {})",
                i + 1,
                r.status,
                exp.describe()
            ));
        }
        for c in &exp.checks {
            if let Some(p) = check(r, c) {
                problems.push(format!("response {}: {p}", i + 1));
            }
        }
        for p in universal(r, exp.head) {
            problems.push(format!("response {} ({}): {p}", i + 1, r.status));
        }
    }
    if got.len() < row.expect.len() {
        problems.push(format!(
            "only {} of {} responses: {}",
            got.len(),
            row.expect.len(),
            stopped.as_deref().unwrap_or("?")
        ));
        return problems;
    }
    if !w.buf.is_empty() {
        problems.push(format!(
            "bytes after the expected responses: {}",
            preview(&w.buf)
        ));
        return problems;
    }

    // What becomes of the connection.
    let last_says_close = got
        .last()
        .is_some_and(|r| r.has_token("Connection", "close"));
    match row.close {
        Close::Yes => {
            let closed = match w.fill() {
                Ok(()) => {
                    problems.push(format!(
                        "bytes after the expected responses: {}",
                        preview(&w.buf)
                    ));
                    false
                }
                Err(End::Timeout) => {
                    problems.push("connection stayed open (expected the server to close)".into());
                    false
                }
                Err(_) => true,
            };
            if closed && !last_says_close {
                problems
                    .push("server closed without Connection: close in its last response".into());
            }
        }
        Close::No => {
            if last_says_close {
                problems.push("Connection: close sent (expected keep-alive)".into());
            }
            if w.ended.is_some() {
                problems.push("connection closed (expected keep-alive)".into());
            } else if w.s.write_all(PROBE_REQUEST).is_err() {
                problems.push("connection closed (expected keep-alive): probe not sent".into());
            } else {
                match w.response(false) {
                    Ok(r) if r.status == 200 && r.body == PROBE => {
                        if !r.has_token("Connection", "close") {
                            problems
                                .push("probe with Connection: close answered without it".into());
                        }
                    }
                    Ok(r) => problems.push(format!(
                        "probe request after the row got {} {}",
                        r.status,
                        preview(&r.body)
                    )),
                    Err(ReadFail::End(End::Timeout)) => {
                        problems.push("probe request after the row got no answer".into())
                    }
                    Err(ReadFail::End(_)) => {
                        problems.push("connection closed (expected keep-alive)".into())
                    }
                    Err(ReadFail::Malformed(m)) => problems.push(format!("probe: {m}")),
                }
            }
        }
        Close::Any => {
            if w.ended.is_some() && !last_says_close {
                problems
                    .push("server closed without Connection: close in its last response".into());
            }
        }
    }
    problems
}

/// Files the rows ask for, all with the same old mtime.
fn populate(root: &Root) {
    root.write("htdocs/a.txt", a_txt());
    root.write("htdocs/probe.txt", PROBE);
    root.write("htdocs/index.html", "<h1>conformance</h1>\n");
    root.write("htdocs/file.zzqq", "zz\n");
    root.write("htdocs/dir/index.html", "dir index\n");
    root.write("htdocs/dir/.htpasswd", SECRET);
    root.write("htdocs/noindex/file.txt", "x\n");
    root.write("htdocs/.htaccess", SECRET);
    root.write("secret.txt", SECRET);
    let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(MTIME_SECS);
    for rel in [
        "htdocs/a.txt",
        "htdocs/probe.txt",
        "htdocs/index.html",
        "htdocs/file.zzqq",
        "htdocs/dir/index.html",
    ] {
        let f = std::fs::File::options()
            .write(true)
            .open(root.path().join(rel))
            .expect("open for mtime");
        f.set_modified(mtime).expect("set mtime");
    }
}

/// Starts a server for `mpm` with the row config. A directive the core does not know yet is
/// dropped (with the rows needing it skipped) rather than failing the whole table.
fn start(root: &Root, mpm: &str) -> (Server, Vec<&'static str>) {
    let mut optional = vec![(LIMIT_REQUEST_BODY, "LimitRequestBody 100\n")];
    let mut missing = Vec::new();
    loop {
        let lines: String = optional.iter().map(|(_, l)| *l).collect();
        let conf = root.config(&format!(
            "{}StartServers 2\n{lines}MaxKeepAliveRequests 5\n\
             <Location /echo>\nSetHandler test-echo\n</Location>\n",
            modules_for(mpm)
        ));
        let out = run(&["-t", "-f", &conf.display().to_string()]);
        if out.code == Some(0) {
            return (Server::start(root, &[]), missing);
        }
        let unknown = optional
            .iter()
            .position(|(d, _)| out.stderr.contains(&format!("Invalid command '{d}'")));
        match unknown {
            Some(i) => missing.push(optional.remove(i).0),
            None => panic!(
                "{mpm}: the configuration is refused:\n{}{}",
                out.stdout, out.stderr
            ),
        }
    }
}

/// Runs the whole table against one MPM; returns failure lines and skipped row names.
fn run_table(mpm: &'static str) -> (usize, Vec<String>, Vec<String>) {
    let root = Root::new();
    populate(&root);
    let (server, missing) = start(&root, mpm);
    let etag = server
        .get("/a.txt")
        .header("ETag")
        .map(str::to_owned)
        .unwrap_or_else(|| "\"no-etag-served\"".to_owned());
    let rows = table(&etag);
    let total = rows.len();
    let skipped: Vec<String> = rows
        .iter()
        .filter(|r| r.needs.is_some_and(|d| missing.contains(&d)))
        .map(|r| {
            format!(
                "{mpm}: {} (the core does not know {} yet)",
                r.name,
                r.needs.unwrap_or("")
            )
        })
        .collect();
    let runnable: Vec<&Row> = rows
        .iter()
        .filter(|r| !r.needs.is_some_and(|d| missing.contains(&d)))
        .collect();
    let addr = server.addr;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..THREADS_PER_MPM {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(row) = runnable.get(i) else { break };
                let problems = run_row(addr, row, CONN_DEADLINE, mpm);
                if !problems.is_empty() {
                    let expected: Vec<String> = row.expect.iter().map(Exp::describe).collect();
                    failures.lock().unwrap().push((
                        i,
                        format!(
                            "[{mpm}] {}: expected [{}] then {:?}; got: {}",
                            row.name,
                            expected.join(", "),
                            row.close,
                            problems.join("; ")
                        ),
                    ));
                }
            });
        }
    });
    drop(server);
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    (
        total,
        failures.into_iter().map(|(_, f)| f).collect(),
        skipped,
    )
}

#[test]
fn conformance_table() {
    let mpms = mpms();
    assert!(!mpms.is_empty(), "no MPM is built");
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = mpms
            .iter()
            .map(|&m| scope.spawn(move || run_table(m)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("table thread"))
            .collect()
    });
    let mut failures = Vec::new();
    for (mpm, (total, fails, skipped)) in mpms.iter().zip(results) {
        assert!(total >= 80, "the table has only {total} rows");
        for s in &skipped {
            println!("skipped: {s}");
        }
        println!(
            "{mpm}: {total} rows, {} failing, {} skipped",
            fails.len(),
            skipped.len()
        );
        failures.extend(fails);
    }
    assert!(
        failures.is_empty(),
        "{} conformance row(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Answers one connection with `reply` after reading the request, then closes or holds the
/// connection open for `hold`.
fn fake_server(reply: Vec<u8>, hold: Duration) -> (SocketAddr, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let t = std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(&reply);
            std::thread::sleep(hold);
        }
    });
    (addr, t)
}

/// The runner itself must catch what a lenient client would not: a fake server misbehaves on
/// purpose and each row must fail with the matching complaint.
#[test]
fn runner_catches_misbehaving_servers() {
    const DATE: &str = "Date: Fri, 01 Jan 2021 00:00:00 GMT\r\nServer: fake\r\n";
    let ok = |fields: &str| format!("HTTP/1.1 200 OK\r\n{DATE}{fields}\r\n");
    let quick = Duration::ZERO;
    let cases = vec![
        (
            ok("Content-Length: 5\r\n") + "hello",
            quick,
            row(
                "fake/head-with-body",
                Close::Any,
                h11("HEAD", "/", ""),
                vec![st(&[200]).head()],
            ),
            "bytes after the expected responses",
        ),
        (
            ok("Content-Length: 0\r\n"),
            quick,
            row(
                "fake/close-unannounced",
                Close::Yes,
                get("/"),
                vec![st(&[200])],
            ),
            "without Connection: close",
        ),
        (
            ok("Content-Length: 0\r\nConnection: close\r\n")
                + "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            quick,
            row(
                "fake/smuggled-answer",
                Close::Yes,
                get("/"),
                vec![st(&[200])],
            ),
            "bytes after the expected responses",
        ),
        (
            ok("Content-Length: 0\r\nConnection: close\r\n"),
            Duration::from_millis(1500),
            row("fake/stays-open", Close::Yes, get("/"), vec![st(&[200])]),
            "stayed open",
        ),
        (
            "HTTP/1.1 200 OK\r\nDate: yesterday\r\nContent-Length: 0\r\n\r\n".to_owned(),
            quick,
            row(
                "fake/bad-date-no-server",
                Close::Any,
                get("/"),
                vec![st(&[200])],
            ),
            "not an IMF-fixdate; response 1 (200): no Server",
        ),
        (
            format!("HTTP/1.1 404 Not Found\r\n{DATE}Content-Type: text/plain\r\n")
                + "Content-Length: 0\r\n\r\n",
            quick,
            row("fake/bare-error", Close::Any, get("/"), vec![st(&[404])]),
            "error without Content-Type text/html",
        ),
        (
            ok("Content-Length: 0\r\n"),
            quick,
            row(
                "fake/closes-keep-alive",
                Close::No,
                get("/"),
                vec![st(&[200])],
            ),
            "expected keep-alive",
        ),
        (
            ok("Content-Length: 3\r\n") + "abc",
            quick,
            row(
                "fake/wrong-body",
                Close::Any,
                get("/"),
                vec![st(&[200]).body("abd")],
            ),
            "body: expected \"abd\", got \"abc\"",
        ),
    ];
    for (reply, hold, row, complaint) in cases {
        let (addr, t) = fake_server(reply.into_bytes(), hold);
        let problems = run_row(addr, &row, Duration::from_millis(700), "fake").join("; ");
        assert!(
            problems.contains(complaint),
            "{}: expected a complaint containing {complaint:?}, got {problems:?}",
            row.name
        );
        t.join().expect("fake server");
    }
}
