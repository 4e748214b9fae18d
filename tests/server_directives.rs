//! The core's server-wide directives of Debian's stock configuration, against the real server,
//! each with Apache's meaning: TraceEnable, ServerSignature with ServerAdmin, EnableSendfile,
//! the special environment variables (nokeepalive, downgrade-1.0, force-response-1.0), and
//! the `-t` checks of Mutex, Protocols and DefaultRuntimeDir.

use mapache_tests::*;

fn probe_line() -> String {
    format!(
        "LoadModule pipeline_probe_module {}\n",
        module("libpipeline_probe.so").display()
    )
}

fn start(root: &Root, mpm: &str, body: &str) -> Server {
    root.write("htdocs/a.txt", b"file a");
    root.config(&format!(
        "{}{}StartServers 1\nServerName www.example.test\n\
         <Location /echo>\nSetHandler test-echo\n</Location>\n{body}\n",
        modules_for(mpm),
        probe_line()
    ));
    Server::start(root, &[])
}

fn one(s: &Server, raw: &[u8]) -> Response {
    let got = s.exchange(raw);
    parse_responses(&got, false)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no response in {}", String::from_utf8_lossy(&got)))
}

#[test]
fn trace_echoes_the_request_head_as_apache() {
    let root = Root::new();
    let s = start(&root, "prefork", "");
    let head = "TRACE /a.txt?q=1 HTTP/1.1\r\nHost: t\r\nX-A: b\r\nConnection: close\r\n\r\n";
    let r = one(&s, head.as_bytes());
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("message/http"));
    assert_eq!(String::from_utf8_lossy(&r.body), head);
    // A body is refused unless TraceEnable extended, with Apache's sentence.
    let r = one(
        &s,
        b"TRACE / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
    );
    assert_eq!(r.status, 413);
    let page = String::from_utf8_lossy(&r.body);
    assert!(
        page.contains("does not allow request data with TRACE requests"),
        "{page}"
    );
}

#[test]
fn trace_enable_off_and_extended() {
    let root = Root::new();
    let s = start(&root, "prefork", "TraceEnable Off");
    let r = one(
        &s,
        b"TRACE / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(r.status, 405);
    assert_eq!(r.header("Allow"), Some(""));
    let page = String::from_utf8_lossy(&r.body);
    assert!(
        page.contains("<p>The requested method TRACE is not allowed for this URL.</p>"),
        "{page}"
    );
    drop(s);

    let root = Root::new();
    let s = start(&root, "prefork", "TraceEnable extended");
    let head =
        "TRACE / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    let r = one(&s, format!("{head}3\r\nabc\r\n0\r\n\r\n").as_bytes());
    assert_eq!(r.status, 200);
    assert_eq!(String::from_utf8_lossy(&r.body), format!("{head}abc"));
    let big = vec![b'x'; 64 * 1024 + 1];
    let mut raw = format!(
        "TRACE / HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        big.len()
    )
    .into_bytes();
    raw.extend_from_slice(&big);
    assert_eq!(one(&s, &raw).status, 413);
    let e = run(&[
        "-t",
        "-f",
        root.config("TraceEnable maybe\n").to_str().unwrap(),
    ]);
    assert!(
        e.stderr
            .contains("TraceEnable must be one of 'on', 'off', or 'extended'"),
        "{}",
        e.stderr
    );
}

#[test]
fn server_signature_footers_as_apache() {
    let missing = b"GET /missing HTTP/1.1\r\nHost: h.example:8123\r\nConnection: close\r\n\r\n";
    let root = Root::new();
    let s = start(&root, "prefork", "");
    let page = String::from_utf8(one(&s, missing).body).unwrap();
    assert!(!page.contains("<address>"), "Off by default: {page}");
    drop(s);

    let root = Root::new();
    let s = start(&root, "prefork", "ServerSignature On\nServerTokens Prod");
    let r = one(&s, missing);
    assert_eq!(r.status, 404);
    let page = String::from_utf8(r.body.clone()).unwrap();
    assert!(
        page.ends_with(
            "<p>The requested URL was not found on this server.</p>\n<hr>\n\
             <address>mapache Server at h.example Port 8123</address>\n</body></html>\n"
        ),
        "{page}"
    );
    assert_eq!(
        r.header("Content-Length"),
        Some(page.len().to_string().as_str())
    );
    // HTTP/1.0 without Host: ServerName, port 80.
    let page = String::from_utf8(one(&s, b"GET /missing HTTP/1.0\r\n\r\n").body).unwrap();
    assert!(
        page.contains("<address>mapache Server at www.example.test Port 80</address>"),
        "{page}"
    );
    drop(s);

    let root = Root::new();
    let s = start(
        &root,
        "prefork",
        "ServerSignature EMail\nServerTokens Prod\nServerAdmin webmaster@example.test",
    );
    let page = String::from_utf8(one(&s, missing).body).unwrap();
    assert!(
        page.contains(
            "<address>mapache Server at <a href=\"mailto:webmaster@example.test\">h.example</a> Port 8123</address>"
        ),
        "{page}"
    );
}
