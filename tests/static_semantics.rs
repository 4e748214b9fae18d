//! mod-static's HTTP semantics end to end: validators and conditional requests, byte ranges
//! (single, multipart, 416, If-Range), content types (TypesConfig, AddType, AddDefaultCharset),
//! Options (Indexes listings, FollowSymLinks), and methods (405 with the body consumed, OPTIONS).
//! The key cases run under every MPM the workspace builds.

use mapache_tests::*;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Sun, 06 Nov 1994 08:49:37 GMT: an mtime far enough in the past for strong validators.
const OLD_SECS: u64 = 784_111_777;
const OLD_DATE: &str = "Sun, 06 Nov 1994 08:49:37 GMT";

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn set_mtime(path: &Path, t: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

/// Writes `htdocs/<rel>` with an mtime of [`OLD_DATE`].
fn old_file(root: &Root, rel: &str, data: &[u8]) {
    let p = root.write(&format!("htdocs/{rel}"), data);
    set_mtime(&p, UNIX_EPOCH + Duration::from_secs(OLD_SECS));
}

/// Apache's ETag of an [`old_file`] of `len` bytes.
fn old_etag(len: usize) -> String {
    format!("\"{:x}-{:x}\"", len, OLD_SECS * 1_000_000)
}

fn start(root: &Root, mpm: &str, extra: &str) -> Server {
    root.config(&format!("{}StartServers 2\n{extra}", modules_for(mpm)));
    Server::start(root, &[])
}

/// Sends `requests` pipelined on one connection (the last one closes it) and parses the answers.
fn pipeline(s: &Server, requests: &[String]) -> Vec<Response> {
    let mut raw = String::new();
    for (i, r) in requests.iter().enumerate() {
        let close = if i + 1 == requests.len() {
            "Connection: close\r\n"
        } else {
            ""
        };
        raw.push_str(&format!("{r}Host: t\r\n{close}\r\n"));
    }
    let out = s.exchange(raw.as_bytes());
    let responses = parse_responses(&out, false);
    assert_eq!(
        responses.len(),
        requests.len(),
        "{}",
        String::from_utf8_lossy(&out)
    );
    responses
}

/// One request: `head` is the request line and any fields, each ending in CRLF.
fn one(s: &Server, head: &str) -> Response {
    pipeline(s, &[head.to_owned()]).remove(0)
}

/// The raw bytes of one HEAD exchange, parsed.
fn head(s: &Server, head: &str) -> (Response, Vec<u8>) {
    let out = s.exchange(format!("{head}Host: t\r\nConnection: close\r\n\r\n").as_bytes());
    let r = parse_responses(&out, true).remove(0);
    (r, out)
}

/// The parts of a multipart/byteranges body: (Content-Type, Content-Range, bytes) each, checked
/// for exact framing.
fn multipart_parts(r: &Response) -> Vec<(String, String, Vec<u8>)> {
    let ct = r.header("Content-Type").unwrap();
    let boundary = ct
        .strip_prefix("multipart/byteranges; boundary=")
        .unwrap_or_else(|| panic!("not multipart: {ct}"));
    let delimiter = format!("\r\n--{boundary}");
    let body = &r.body;
    assert!(body.starts_with(delimiter.as_bytes()));
    let closing = format!("{delimiter}--\r\n");
    assert!(
        body.ends_with(closing.as_bytes()),
        "{}",
        String::from_utf8_lossy(body)
    );
    let inner = &body[..body.len() - closing.len()];
    let mut parts = Vec::new();
    let mut pieces: Vec<&[u8]> = Vec::new();
    let mut rest = inner;
    while let Some(pos) = find(rest, delimiter.as_bytes()) {
        pieces.push(&rest[..pos]);
        rest = &rest[pos + delimiter.len()..];
    }
    pieces.push(rest);
    assert!(pieces[0].is_empty(), "nothing before the first part");
    for piece in &pieces[1..] {
        let piece = piece
            .strip_prefix(b"\r\n")
            .expect("CRLF after the boundary");
        let end = find(piece, b"\r\n\r\n").expect("part head");
        let head = String::from_utf8_lossy(&piece[..end]).into_owned();
        let mut ct = String::new();
        let mut cr = String::new();
        for line in head.split("\r\n") {
            let (n, v) = line.split_once(": ").unwrap();
            match n {
                "Content-Type" => ct = v.to_owned(),
                "Content-Range" => cr = v.to_owned(),
                other => panic!("unexpected part field {other}"),
            }
        }
        parts.push((ct, cr, piece[end + 4..].to_vec()));
    }
    parts
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

// ---- validators and conditional requests ---------------------------------------------------

/// The cases every MPM must get right: validators, 304, 412, a range, multipart, 416.
fn key_cases(s: &Server, mpm: &str) {
    let body = pattern(1024);
    let etag = old_etag(1024);
    let rs = pipeline(
        s,
        &[
            "GET /f.txt HTTP/1.1\r\n".into(),
            format!("GET /f.txt HTTP/1.1\r\nIf-None-Match: {etag}\r\n"),
            "GET /f.txt HTTP/1.1\r\nIf-Match: \"nope\"\r\n".into(),
            "GET /f.txt HTTP/1.1\r\nRange: bytes=0-9\r\n".into(),
            "GET /f.txt HTTP/1.1\r\nRange: bytes=0-9,-5\r\n".into(),
            "GET /f.txt HTTP/1.1\r\nRange: bytes=2000-\r\n".into(),
            "GET /f.txt HTTP/1.1\r\n".into(),
        ],
    );
    let ok = &rs[0];
    assert_eq!(ok.status, 200, "{mpm}");
    assert_eq!(ok.body, body, "{mpm}");
    assert_eq!(ok.header("ETag"), Some(etag.as_str()), "{mpm}");
    assert_eq!(ok.header("Last-Modified"), Some(OLD_DATE), "{mpm}");
    assert_eq!(ok.header("Accept-Ranges"), Some("bytes"), "{mpm}");
    let nm = &rs[1];
    assert_eq!(nm.status, 304, "{mpm}");
    assert_eq!(nm.header("ETag"), Some(etag.as_str()), "{mpm}");
    assert_eq!(nm.header("Last-Modified"), Some(OLD_DATE), "{mpm}");
    assert_eq!(nm.header("Content-Length"), None, "{mpm}");
    assert_eq!(rs[2].status, 412, "{mpm}");
    assert_eq!(rs[3].status, 206, "{mpm}");
    assert_eq!(rs[3].header("Content-Range"), Some("bytes 0-9/1024"));
    assert_eq!(rs[3].body, &body[..10], "{mpm}");
    assert_eq!(rs[4].status, 206, "{mpm}");
    let parts = multipart_parts(&rs[4]);
    assert_eq!(parts.len(), 2, "{mpm}");
    assert_eq!(parts[1].1, "bytes 1019-1023/1024");
    assert_eq!(parts[1].2, &body[1019..], "{mpm}");
    assert_eq!(rs[5].status, 416, "{mpm}");
    assert_eq!(rs[5].header("Content-Range"), Some("bytes */1024"), "{mpm}");
    // The connection survived every answer above, framed right.
    assert_eq!((rs[6].status, &rs[6].body), (200, &body), "{mpm}");
}

#[test]
fn key_cases_under_every_mpm() {
    for mpm in mpms() {
        let root = Root::new();
        old_file(&root, "f.txt", &pattern(1024));
        let s = start(&root, mpm, "");
        key_cases(&s, mpm);
    }
}

#[test]
fn conditional_requests_in_rfc_order() {
    let root = Root::new();
    old_file(&root, "f.txt", b"0123456789");
    let s = start(&root, "prefork", "");
    let etag = old_etag(10);
    let weak = format!("W/{etag}");
    let before = "Sun, 06 Nov 1994 08:49:36 GMT";
    let get = |fields: &str| format!("GET /f.txt HTTP/1.1\r\n{fields}");
    let cases: Vec<(String, u16)> = vec![
        // If-Match: strong comparison, lists, *.
        (get(&format!("If-Match: {etag}\r\n")), 200),
        (get(&format!("If-Match: \"a\", {etag}\r\n")), 200),
        (get("If-Match: *\r\n"), 200),
        (get("If-Match: \"a\", \"b\"\r\n"), 412),
        (get(&format!("If-Match: {weak}\r\n")), 412),
        // If-Unmodified-Since.
        (get(&format!("If-Unmodified-Since: {OLD_DATE}\r\n")), 200),
        (get(&format!("If-Unmodified-Since: {before}\r\n")), 412),
        (get("If-Unmodified-Since: garbage\r\n"), 200),
        // If-Match present: If-Unmodified-Since is not looked at.
        (
            get(&format!(
                "If-Match: {etag}\r\nIf-Unmodified-Since: {before}\r\n"
            )),
            200,
        ),
        // If-None-Match: weak comparison, lists (also over several lines), *.
        (get(&format!("If-None-Match: {etag}\r\n")), 304),
        (get(&format!("If-None-Match: {weak}\r\n")), 304),
        (get(&format!("If-None-Match: \"a\", {etag}\r\n")), 304),
        (
            get(&format!(
                "If-None-Match: \"a\"\r\nIf-None-Match: {etag}\r\n"
            )),
            304,
        ),
        (get("If-None-Match: *\r\n"), 304),
        (get("If-None-Match: \"a\"\r\n"), 200),
        // If-Modified-Since: equal or later → 304; earlier, garbage or future → 200.
        (get(&format!("If-Modified-Since: {OLD_DATE}\r\n")), 304),
        (
            get("If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n"),
            304,
        ),
        (get(&format!("If-Modified-Since: {before}\r\n")), 200),
        (get("If-Modified-Since: yesterday\r\n"), 200),
        (
            get("If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\r\n"),
            200,
        ),
        // Order: If-Match fails before If-None-Match is looked at; If-None-Match present means
        // If-Modified-Since is ignored, both ways.
        (
            get(&format!("If-Match: \"a\"\r\nIf-None-Match: {etag}\r\n")),
            412,
        ),
        (
            get(&format!(
                "If-None-Match: \"a\"\r\nIf-Modified-Since: {OLD_DATE}\r\n"
            )),
            200,
        ),
        (
            get(&format!(
                "If-None-Match: {etag}\r\nIf-Modified-Since: {before}\r\n"
            )),
            304,
        ),
        // OPTIONS is not GET/HEAD: a matching If-None-Match fails, If-Modified-Since is ignored.
        (
            "OPTIONS /f.txt HTTP/1.1\r\nIf-None-Match: *\r\n".into(),
            412,
        ),
        (
            format!("OPTIONS /f.txt HTTP/1.1\r\nIf-Modified-Since: {OLD_DATE}\r\n"),
            200,
        ),
    ];
    let requests: Vec<String> = cases.iter().map(|(r, _)| r.clone()).collect();
    let rs = pipeline(&s, &requests);
    for ((request, want), r) in cases.iter().zip(&rs) {
        assert_eq!(r.status, *want, "{request}");
        match r.status {
            200 if request.starts_with("GET") => assert_eq!(r.body, b"0123456789"),
            304 => {
                assert_eq!(r.header("ETag"), Some(etag.as_str()), "{request}");
                assert_eq!(r.header("Last-Modified"), Some(OLD_DATE), "{request}");
                assert!(r.body.is_empty());
            }
            412 => assert_eq!(r.header("ETag"), None, "{request}"),
            _ => {}
        }
    }

    // HEAD: 304 alike, and a 304 on the wire has no body at all.
    let (r, raw) = head(
        &s,
        &format!("HEAD /f.txt HTTP/1.1\r\nIf-None-Match: {etag}\r\n"),
    );
    assert_eq!(r.status, 304);
    assert!(raw.ends_with(b"\r\n\r\n"));
}

#[test]
fn a_file_changed_within_the_last_second_has_a_weak_etag() {
    let root = Root::new();
    // An mtime ahead of the clock is "within the last second" whatever the test's speed.
    let p = root.write("htdocs/new.txt", b"fresh");
    set_mtime(&p, SystemTime::now() + Duration::from_secs(3600));
    let s = start(&root, "prefork", "");
    let r = s.get("/new.txt");
    let etag = r.header("ETag").unwrap().to_owned();
    assert!(etag.starts_with("W/\"5-"), "{etag}");
    let strong = etag.trim_start_matches("W/").to_owned();
    let rs = pipeline(
        &s,
        &[
            format!("GET /new.txt HTTP/1.1\r\nIf-Match: {strong}\r\n"),
            format!("GET /new.txt HTTP/1.1\r\nIf-None-Match: {strong}\r\n"),
            // A weak validator never allows a range: the whole file.
            format!("GET /new.txt HTTP/1.1\r\nRange: bytes=0-1\r\nIf-Range: {strong}\r\n"),
        ],
    );
    assert_eq!(rs[0].status, 412);
    assert_eq!(rs[1].status, 304);
    assert_eq!(
        (rs[2].status, rs[2].body.as_slice()),
        (200, b"fresh".as_slice())
    );
}

// ---- ranges ------------------------------------------------------------------------------

#[test]
fn ranges_byte_exact() {
    let root = Root::new();
    let body = pattern(1024);
    old_file(&root, "f.txt", &body);
    let big = pattern(3 * 1024 * 1024 + 7);
    old_file(&root, "big.bin", &big);
    old_file(&root, "empty.txt", b"");
    let s = start(&root, "prefork", "");
    let etag = old_etag(1024);
    let range = |r: &str| format!("GET /f.txt HTTP/1.1\r\nRange: {r}\r\n");
    let rs = pipeline(
        &s,
        &[
            range("bytes=0-9"),
            range("bytes=0-0"),
            range("bytes=-10"),
            range("bytes=100-"),
            range("bytes=1000-99999999999999999999999"),
            range("bytes=-2000"),
            range("bytes = 0-9"),
            range("bytes=5-1"),
            range("lines=0-9"),
            range("bytes=-0"),
            range("bytes=1024-"),
            range("bytes=0-9, 100-109"),
        ],
    );
    let single = |r: &Response, first: usize, last: usize| {
        assert_eq!(r.status, 206);
        assert_eq!(
            r.header("Content-Range"),
            Some(format!("bytes {first}-{last}/1024").as_str())
        );
        assert_eq!(
            r.header("Content-Length"),
            Some((last - first + 1).to_string().as_str())
        );
        assert_eq!(r.header("Content-Type"), Some("text/plain"));
        assert_eq!(r.header("ETag"), Some(etag.as_str()));
        assert_eq!(r.body, &body[first..=last]);
    };
    single(&rs[0], 0, 9);
    single(&rs[1], 0, 0);
    single(&rs[2], 1014, 1023);
    single(&rs[3], 100, 1023);
    single(&rs[4], 1000, 1023);
    single(&rs[5], 0, 1023);
    // Malformed or another unit: ignored, the whole file.
    for r in &rs[6..9] {
        assert_eq!((r.status, &r.body), (200, &body));
        assert_eq!(r.header("Content-Range"), None);
    }
    // Unsatisfiable: 416 with the current length, on the core's error page.
    for r in &rs[9..11] {
        assert_eq!(r.status, 416);
        assert_eq!(r.header("Content-Range"), Some("bytes */1024"));
        assert!(String::from_utf8_lossy(&r.body).contains("416"));
    }
    // Several: multipart, each part typed and ranged, byte-exact.
    let r = &rs[11];
    assert_eq!(r.status, 206);
    assert_eq!(
        r.header("Content-Length"),
        Some(r.body.len().to_string().as_str())
    );
    assert_eq!(r.header("Content-Range"), None);
    let parts = multipart_parts(r);
    assert_eq!(
        parts,
        [
            (
                "text/plain".to_owned(),
                "bytes 0-9/1024".to_owned(),
                body[0..10].to_vec()
            ),
            (
                "text/plain".to_owned(),
                "bytes 100-109/1024".to_owned(),
                body[100..110].to_vec()
            ),
        ]
    );

    // Reversed and overlapping ranges: order kept, neighbours merged.
    let r = one(&s, &range("bytes=500-599,-24,550-649,0-0"));
    let parts = multipart_parts(&r);
    let got: Vec<_> = parts.iter().map(|p| p.1.as_str()).collect();
    assert_eq!(
        got,
        [
            "bytes 500-599/1024",
            "bytes 1000-1023/1024",
            "bytes 550-649/1024",
            "bytes 0-0/1024"
        ]
    );
    assert_eq!(parts[2].2, &body[550..650]);
    let r = one(&s, &range("bytes=0-9,10-19,15-29"));
    assert_eq!(r.header("Content-Range"), Some("bytes 0-29/1024"));

    // Abuse: too many ranges, too many overlaps, more bytes than the file → the whole file.
    let many = (0..201)
        .map(|i| format!("{}-{}", i * 2, i * 2))
        .collect::<Vec<_>>()
        .join(",");
    let overlapping = vec!["0-1023"; 30].join(",");
    for r in [
        one(&s, &range(&format!("bytes={many}"))),
        one(&s, &range(&format!("bytes={overlapping}"))),
        one(&s, &range("bytes=0-599,700-799,100-899")),
    ] {
        assert_eq!((r.status, &r.body), (200, &body));
    }

    // A range deep inside a big file, sent with sendfile from the right offset.
    let r = one(
        &s,
        "GET /big.bin HTTP/1.1\r\nRange: bytes=1000000-2999999,3145000-\r\n",
    );
    let parts = multipart_parts(&r);
    assert_eq!(parts[0].0, "application/octet-stream");
    assert_eq!(parts[0].2, &big[1_000_000..3_000_000]);
    assert_eq!(
        parts[1].1,
        format!("bytes 3145000-{}/{}", big.len() - 1, big.len())
    );
    assert_eq!(parts[1].2, &big[3_145_000..]);

    // An empty file has no bytes to range over.
    let r = one(&s, "GET /empty.txt HTTP/1.1\r\nRange: bytes=0-0\r\n");
    assert_eq!((r.status, r.body.len()), (200, 0));

    // HEAD: Range handling is GET's only (RFC 9110 14.2), so the head of a plain GET.
    for ranges in ["bytes=10-19", "bytes=0-0,5-5", "bytes=2000-"] {
        let (r, raw) = head(&s, &format!("HEAD /f.txt HTTP/1.1\r\nRange: {ranges}\r\n"));
        assert_eq!(r.status, 200, "{ranges}");
        assert_eq!(r.header("Content-Length"), Some("1024"));
        assert_eq!(r.header("Content-Type"), Some("text/plain"));
        assert_eq!(r.header("Content-Range"), None);
        assert!(raw.ends_with(b"\r\n\r\n"));
    }
    let (r, _) = head(&s, "HEAD /f.txt HTTP/1.1\r\n");
    assert_eq!(r.header("Accept-Ranges"), Some("bytes"));
    // Other methods are refused before Range is looked at.
    let r = one(&s, "DELETE /f.txt HTTP/1.1\r\nRange: bytes=0-0\r\n");
    assert_eq!(r.status, 405);
}

#[test]
fn if_range_decides_between_part_and_whole() {
    let root = Root::new();
    let body = pattern(100);
    old_file(&root, "f.txt", &body);
    let s = start(&root, "prefork", "");
    let etag = old_etag(100);
    let req = |if_range: &str| {
        format!("GET /f.txt HTTP/1.1\r\nRange: bytes=10-19\r\nIf-Range: {if_range}\r\n")
    };
    let rs = pipeline(
        &s,
        &[
            req(&etag),
            req(OLD_DATE),
            req("\"other\""),
            req(&format!("W/{etag}")),
            req("Sun, 06 Nov 1994 08:49:38 GMT"),
            req("garbage"),
            // If-Range without Range: nothing to decide.
            "GET /f.txt HTTP/1.1\r\nIf-Range: \"other\"\r\n".into(),
        ],
    );
    for r in &rs[..2] {
        assert_eq!((r.status, r.body.as_slice()), (206, &body[10..20]));
    }
    for r in &rs[2..] {
        assert_eq!((r.status, &r.body), (200, &body));
    }
}

// ---- content types -------------------------------------------------------------------------

#[test]
fn types_config_add_type_and_default_charset() {
    let root = Root::new();
    root.write(
        "conf/mime.types",
        "# test types\ntext/html html\ntext/plain txt\napplication/x-foo foo FOO2\n",
    );
    for f in [
        "a.html", "a.txt", "a.foo", "a.foo2", "a.png", "a.bar", "a", "x/a.html", "x/a.txt",
        "x/a.foo",
    ] {
        root.write(&format!("htdocs/{f}"), b"x");
    }
    let s = start(
        &root,
        "prefork",
        "TypesConfig conf/mime.types\nAddType text/x-bar .bar\nAddDefaultCharset On\n\
         <Location /x>\nAddType application/x-override html foo\nAddDefaultCharset ISO-8859-1\n</Location>\n",
    );
    let ct = |p: &str| s.get(p).header("Content-Type").map(str::to_owned);
    assert_eq!(ct("/a.html").as_deref(), Some("text/html; charset=UTF-8"));
    assert_eq!(ct("/a.txt").as_deref(), Some("text/plain; charset=UTF-8"));
    assert_eq!(ct("/a.foo").as_deref(), Some("application/x-foo"));
    assert_eq!(ct("/a.foo2").as_deref(), Some("application/x-foo"));
    assert_eq!(ct("/a.bar").as_deref(), Some("text/x-bar"));
    // The types file replaces the built-in table: png is not in it.
    assert_eq!(ct("/a.png").as_deref(), Some("application/octet-stream"));
    assert_eq!(ct("/a").as_deref(), Some("application/octet-stream"));
    // A section's AddType wins over the server's; its charset applies to text/plain and html only.
    assert_eq!(ct("/x/a.html").as_deref(), Some("application/x-override"));
    assert_eq!(ct("/x/a.foo").as_deref(), Some("application/x-override"));
    assert_eq!(
        ct("/x/a.txt").as_deref(),
        Some("text/plain; charset=ISO-8859-1")
    );
}

/// Debian's mime.conf lines (languages, charsets, `RemoveType es` before `AddLanguage es`) and
/// the rest of mod_mime: every extension counts, as in Apache.
#[test]
fn languages_charsets_encodings_and_several_extensions() {
    let root = Root::new();
    root.write(
        "conf/mime.types",
        "text/html html\ntext/plain txt\napplication/ecmascript es\napplication/x-trash bak\n\
         application/gzip gz\napplication/x-tar tar\n",
    );
    for f in [
        "a.en.html",
        "b.tar.gz",
        "c.html.bak",
        "d.html.zzz",
        "e.fr.latin1.html",
        "f.es",
        "g.tar.Z.gz",
        "h.zzz",
        "force/i.txt",
        "force/none/j.txt",
        "untyped/k.zzz",
        "rm/l.gz",
    ] {
        root.write(&format!("htdocs/{f}"), b"x");
    }
    let s = start(
        &root,
        "prefork",
        "TypesConfig conf/mime.types\nAddType application/x-gzip .gz .tgz\n\
         AddLanguage en .en\nAddLanguage fr .fr\nRemoveType  es\nAddLanguage es .es\n\
         AddCharset ISO-8859-1   .iso8859-1  .latin1\nAddEncoding x-gzip .gz\nAddEncoding x-compress .Z\n\
         <Location /force>\nForceType text/x-forced\nDefaultLanguage de\n</Location>\n\
         <Location /force/none>\nForceType None\n</Location>\n\
         <Location /untyped>\nDefaultType None\n</Location>\n\
         <Location /rm>\nRemoveType .gz\nRemoveEncoding gz\n</Location>\n",
    );
    let meta = |p: &str| {
        let r = s.get(p);
        assert_eq!(r.status, 200, "{p}");
        let h = |n: &str| r.header(n).map(str::to_owned);
        (
            h("Content-Type"),
            h("Content-Language"),
            h("Content-Encoding"),
        )
    };
    let some = |v: &str| Some(v.to_owned());
    assert_eq!(meta("/a.en.html"), (some("text/html"), some("en"), None));
    assert_eq!(
        meta("/b.tar.gz"),
        (some("application/x-gzip"), None, some("x-gzip"))
    );
    // The last extension that has a type gives it; one that has none leaves it.
    assert_eq!(meta("/c.html.bak").0, some("application/x-trash"));
    assert_eq!(meta("/d.html.zzz").0, some("text/html"));
    assert_eq!(
        meta("/e.fr.latin1.html"),
        (some("text/html; charset=iso-8859-1"), some("fr"), None)
    );
    // RemoveType took the types file's ECMAScript away: no type, so mapache's default.
    assert_eq!(
        meta("/f.es"),
        (some("application/octet-stream"), some("es"), None)
    );
    assert_eq!(meta("/g.tar.Z.gz").2, some("x-compress, x-gzip"));
    assert_eq!(meta("/h.zzz").0, some("application/octet-stream"));
    assert_eq!(
        meta("/force/i.txt"),
        (some("text/x-forced"), some("de"), None)
    );
    assert_eq!(
        meta("/force/none/j.txt"),
        (some("text/plain"), some("de"), None)
    );
    // DefaultType None: as Apache, no Content-Type for a file nothing names a type for.
    assert_eq!(meta("/untyped/k.zzz"), (None, None, None));
    assert_eq!(
        meta("/rm/l.gz"),
        (some("application/octet-stream"), None, None)
    );
}

/// Apache 2.4 accepts `DefaultType` with any value and warns (AH00117) when it is not `None`.
#[test]
fn default_type_other_than_none_is_accepted_with_apaches_warning() {
    let root = Root::new();
    let conf = root.config(&format!(
        "{}DefaultType text/plain\nDefaultType None\n<Location /x>\nDefaultType application/x-y\n</Location>\n",
        standard_modules()
    ));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let line = format!(
        "AH00117: Ignoring deprecated use of DefaultType in line 8 of {}.",
        conf.display()
    );
    assert!(out.stderr.contains(&line), "{}", out.stderr);
    assert_eq!(out.stderr.matches("AH00117").count(), 2, "{}", out.stderr);
}

#[test]
fn bad_values_are_configuration_errors_with_file_and_line() {
    let root = Root::new();
    let cases = [
        ("Options Indexes Bogus", "Illegal option Bogus"),
        (
            "Options Indexes +FollowSymLinks",
            "Either all Options must start with + or -, or no Option may.",
        ),
        (
            "AddType text/plain",
            "AddType requires at least two arguments",
        ),
        (
            "AddDefaultCharset \"x y\"",
            "AddDefaultCharset takes On, Off or a charset name",
        ),
        (
            "AddLanguage en",
            "AddLanguage requires at least two arguments, a language (e.g., fr), followed by one or more file extensions",
        ),
        ("ForceType text", "ForceType: 'text' is not a media type"),
        ("IndexOptions FancyIndexing Bogus", "Invalid directory indexing option"),
        (
            "IndexOrderDefault Up Name",
            "First keyword must be 'Ascending' or 'Descending'",
        ),
        (
            "AddIcon /i.gif",
            "AddIcon requires at least two arguments, an icon URL followed by one or more filenames",
        ),
        (
            "TypesConfig conf/missing.types",
            "could not open mime types config file",
        ),
    ];
    for (line, message) in cases {
        let conf = root.config(&format!("{}{line}\n", standard_modules()));
        let out = run(&["-t", "-f", conf.to_str().unwrap()]);
        assert_eq!(out.code, Some(1), "{line}: {}", out.stderr);
        // Line 8: after the four lines of the header and the three LoadModule lines.
        let at = format!("Syntax error on line 8 of {}", conf.display());
        assert!(out.stderr.contains(&at), "{line}: {}", out.stderr);
        assert!(out.stderr.contains(message), "{line}: {}", out.stderr);
    }
    let conf = root.config(&format!(
        "{}Options -Indexes +FollowSymLinks\nAddType text/plain txt\nAddDefaultCharset utf-8\n",
        standard_modules()
    ));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

// ---- Options -------------------------------------------------------------------------------

#[test]
fn indexes_lists_a_directory_without_an_index() {
    let root = Root::new();
    old_file(&root, "pub/a b.txt", b"12345");
    old_file(&root, "pub/<b>&.txt", b"");
    old_file(&root, "pub/.hidden", b"x");
    old_file(&root, "pub/.htaccess", b"x");
    old_file(&root, "pub/zdir/x", b"x");
    old_file(&root, "pub/Adir/x", b"x");
    old_file(&root, "pub/withindex/index.html", b"<p>index</p>");
    old_file(&root, "closed/a.txt", b"x");
    old_file(&root, "pub/closed/a.txt", b"x");
    let s = start(
        &root,
        "prefork",
        "<Location /pub>\nOptions Indexes\n</Location>\n<Location /pub/closed>\nOptions -Indexes\n</Location>\n",
    );
    let r = s.get("/pub/");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("text/html;charset=UTF-8"));
    let page = String::from_utf8(r.body.clone()).unwrap();
    // Apache's plain list (no FancyIndexing): the title without the slash, the parent by its
    // path, then names in byte order, a directory's with its slash; .ht* hidden, other
    // dotfiles shown.
    assert!(page.contains("<title>Index of /pub</title>"), "{page}");
    let links: Vec<&str> = page
        .split("<a href=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    assert_eq!(
        links,
        [
            "/",
            ".hidden",
            "%3cb%3e&amp;.txt",
            "Adir/",
            "a%20b.txt",
            "closed/",
            "withindex/",
            "zdir/"
        ]
    );
    assert!(
        page.contains("<li><a href=\"%3cb%3e&amp;.txt\"> &lt;b&gt;&amp;.txt</a></li>\n"),
        "{page}"
    );
    assert!(!page.contains("htaccess"));
    // An index file still wins; -Indexes and no Options at all refuse.
    assert_eq!(s.get("/pub/withindex/").body, b"<p>index</p>");
    assert_eq!(s.get("/pub/closed/").status, 403);
    assert_eq!(s.get("/closed/").status, 403);
    // The listing's links work.
    assert_eq!(s.get("/pub/a%20b.txt").body, b"12345");
    // HEAD and OPTIONS on a listing.
    let (h, raw) = head(&s, "HEAD /pub/ HTTP/1.1\r\n");
    assert_eq!(
        h.header("Content-Length"),
        Some(page.len().to_string().as_str())
    );
    assert!(raw.ends_with(b"\r\n\r\n"));
    let o = one(&s, "OPTIONS /pub/ HTTP/1.1\r\n");
    assert_eq!(
        (o.status, o.header("Allow")),
        (200, Some("GET, HEAD, OPTIONS"))
    );
}

/// mod_autoindex's directives without apache2 at hand (apache_compat.rs compares whole pages
/// with Apache's): HTMLTable rows, FoldersFirst, IndexIgnore, AddDescription, a text
/// HeaderName, AddIcon, the sort query and IgnoreClient, options merged per section.
#[test]
fn autoindex_directives_shape_the_listing() {
    let root = Root::new();
    old_file(&root, "pub/small.txt", b"12");
    old_file(&root, "pub/big.txt", &[b'x'; 3000]);
    old_file(&root, "pub/.hidden", b"x");
    old_file(&root, "pub/zdir/x", b"x");
    old_file(&root, "pub/HEADER.txt", b"<Read> & me");
    let s = start(
        &root,
        "prefork",
        "<Location /pub>\nOptions Indexes\nIndexOptions HTMLTable FoldersFirst Charset=ISO-8859-1\n\
         IndexIgnore .??* HEADER*\nAddDescription \"two bytes\" small.txt\nHeaderName HEADER.txt\n\
         AddIcon /i/txt.gif .txt\nDefaultIcon /i/unknown.gif\n</Location>\n\
         <Location /pub/zdir>\nIndexOptions +IgnoreClient -FoldersFirst\n</Location>\n",
    );
    let names = |page: &str| -> Vec<String> {
        page.split("<td><a href=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_owned())
            .collect()
    };
    let r = s.get("/pub/");
    assert_eq!(
        r.header("Content-Type"),
        Some("text/html;charset=ISO-8859-1")
    );
    let page = String::from_utf8(r.body).unwrap();
    assert_eq!(
        names(&page),
        ["/", "zdir/", "big.txt", "small.txt"],
        "{page}"
    );
    assert!(
        page.contains("<pre>\n&lt;Read&gt; &amp; me</pre>\n"),
        "{page}"
    );
    assert!(
        !page.contains("<h1>"),
        "a header file replaces the title: {page}"
    );
    assert!(page.contains(
        "<tr><td valign=\"top\"><img src=\"/i/txt.gif\" alt=\"[   ]\"></td><td><a href=\"small.txt\">small.txt</a>              </td><td align=\"right\">"
    ), "{page}");
    assert!(
        page.contains("<td align=\"right\">  2 </td><td>two bytes</td></tr>"),
        "{page}"
    );
    assert!(
        page.contains("<td align=\"right\">2.9K</td><td>&nbsp;</td></tr>"),
        "{page}"
    );
    assert!(
        page.contains("<img src=\"/i/unknown.gif\" alt=\"[DIR]\"></td><td><a href=\"zdir/\">"),
        "{page}"
    );
    // Sorting by size, largest first: folders still first; the column link turns around.
    let page = String::from_utf8(s.get("/pub/?C=S;O=D").body).unwrap();
    assert_eq!(
        names(&page),
        ["/", "zdir/", "big.txt", "small.txt"],
        "{page}"
    );
    let page = String::from_utf8(s.get("/pub/?C=S;O=A").body).unwrap();
    assert_eq!(
        names(&page),
        ["/", "zdir/", "small.txt", "big.txt"],
        "{page}"
    );
    assert!(page.contains("<a href=\"?C=S;O=D\">Size</a>"), "{page}");
    // The inner section keeps HTMLTable, drops FoldersFirst and ignores the query.
    old_file(&root, "pub/zdir/a", b"aaaa");
    let page = String::from_utf8(s.get("/pub/zdir/?C=S;O=D").body).unwrap();
    assert_eq!(names(&page), ["/pub/", "a", "x"], "{page}");
}

#[test]
fn follow_symlinks_decides_links_out_of_the_document_root() {
    let root = Root::new();
    let outside = root.write("outside/secret.txt", b"outside content");
    root.write("outside/dir/inner.txt", b"inner");
    root.write("htdocs/strict/.keep", b"");
    root.write("htdocs/follow/.keep", b"");
    root.write("htdocs/in.txt", b"inside");
    for dir in ["strict", "follow"] {
        let d = root.path().join("htdocs").join(dir);
        std::os::unix::fs::symlink(&outside, d.join("out.txt")).unwrap();
        std::os::unix::fs::symlink(root.path().join("outside/dir"), d.join("outdir")).unwrap();
        std::os::unix::fs::symlink(root.path().join("htdocs/in.txt"), d.join("in.txt")).unwrap();
    }
    // FollowSymLinks decides in <Directory> only, as in Apache; in <Location> it changes nothing.
    let s = start(
        &root,
        "prefork",
        "Options +Indexes\n<Directory htdocs/follow>\nOptions +FollowSymLinks\n</Directory>\n\
         <Location /strict>\nOptions +FollowSymLinks\n</Location>\n",
    );
    // Links inside the root work by default.
    assert_eq!(s.get("/strict/in.txt").body, b"inside");
    assert_eq!(s.get("/follow/in.txt").body, b"inside");
    // Out of the root: refused by default, followed with FollowSymLinks.
    assert_eq!(s.get("/strict/out.txt").status, 403);
    assert_eq!(s.get("/strict/outdir/inner.txt").status, 403);
    assert_eq!(s.get("/follow/out.txt").body, b"outside content");
    assert_eq!(s.get("/follow/outdir/inner.txt").body, b"inner");
    // Listings show what can be served.
    let strict = String::from_utf8(s.get("/strict/").body).unwrap();
    assert!(strict.contains("in.txt") && !strict.contains("out.txt") && !strict.contains("outdir"));
    let follow = String::from_utf8(s.get("/follow/").body).unwrap();
    assert!(
        follow.contains("\"out.txt\"") && follow.contains("\"outdir/\""),
        "{follow}"
    );
    let outdir = s.get("/follow/outdir/");
    assert_eq!(outdir.status, 200);
    assert!(String::from_utf8_lossy(&outdir.body).contains("\"inner.txt\""));
    assert_eq!(s.get("/strict/outdir/").status, 403);
}

// ---- methods -------------------------------------------------------------------------------

#[test]
fn post_is_refused_with_its_body_consumed_and_options_answers() {
    for mpm in mpms() {
        let root = Root::new();
        old_file(&root, "a.txt", b"AAA");
        let s = start(&root, mpm, "");
        let raw = s.exchange(
            b"POST /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 17\r\n\r\nGET /x HTTP/1.1\r\n\
              PUT /a.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nGET \r\n0\r\n\r\n\
              OPTIONS /a.txt HTTP/1.1\r\nHost: t\r\n\r\n\
              GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        );
        let rs = parse_responses(&raw, false);
        let statuses: Vec<u16> = rs.iter().map(|r| r.status).collect();
        assert_eq!(
            statuses,
            [405, 405, 200, 200],
            "{mpm}: {}",
            String::from_utf8_lossy(&raw)
        );
        for r in &rs[..3] {
            assert_eq!(r.header("Allow"), Some("GET, HEAD, OPTIONS"), "{mpm}");
        }
        assert_eq!(rs[2].header("Content-Length"), Some("0"), "{mpm}");
        assert!(rs[2].body.is_empty());
        assert_eq!(rs[3].body, b"AAA", "{mpm}");
    }
}

/// mod-static does the jobs of Apache's mod_mime, mod_dir and mod_autoindex, so `<IfModule>`
/// knows it by those names (Debian's mods-available files test them).
#[test]
fn ifmodule_knows_mod_static_by_apaches_names() {
    let root = Root::new();
    let mut body = String::new();
    for name in [
        "mime_module",
        "mod_mime.c",
        "dir_module",
        "autoindex_module",
        "mod_autoindex.c",
    ] {
        body.push_str(&format!(
            "<IfModule !{name}>\nNoSuchDirective {name}\n</IfModule>\n"
        ));
    }
    let conf = root.config(&format!("{}{body}", standard_modules()));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let conf = root.config(&format!(
        "{}<IfModule autoindex_module>\nNoSuchDirective x\n</IfModule>\n",
        standard_modules()
    ));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("Invalid command 'NoSuchDirective'"),
        "{}",
        out.stderr
    );
}
