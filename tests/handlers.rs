//! Handler dispatch through the ABI: SetHandler in sections, module directives per section,
//! request bodies, streaming, statuses, and a panicking handler answering 500 while the server
//! goes on.

use mapache_tests::*;
use std::time::Duration;

fn server(mpm: &str, root: &Root) -> Server {
    let body = format!(
        "{}StartServers 1\nTestGreeting hello\n<Location /panic>\nSetHandler test-panic\n</Location>\n<Location /echo>\nSetHandler test-echo\n</Location>\n<Location /stream>\nSetHandler test-stream\n</Location>\n<Location /greet>\nSetHandler test-greeting\n</Location>\n<Location /greet/fr>\nTestGreeting bonjour\n</Location>\n<Location /teapot>\nSetHandler test-teapot\n</Location>\n<Location /nobody>\nSetHandler no-such-handler\n</Location>\n",
        modules_for(mpm)
    );
    root.config(&body);
    root.write("htdocs/a.txt", b"file");
    Server::start(root, &[])
}

#[test]
fn panicking_handler_answers_500_and_the_server_goes_on() {
    for mpm in mpms() {
        panicking_handler_answers_500_and_the_server_goes_on_on(mpm);
    }
}

fn panicking_handler_answers_500_and_the_server_goes_on_on(mpm: &str) {
    let root = Root::new();
    let s = server(mpm, &root);
    for _ in 0..3 {
        assert_eq!(s.get("/panic").status, 500);
        assert_eq!(s.get("/a.txt").status, 200);
    }
    // Each panic writes its message (and, with RUST_BACKTRACE set, a backtrace), then the
    // "answering 500" line; the log is read as it arrives, so wait for every one of them.
    for line in ["test-panic handler panics on purpose", "answering 500"] {
        assert!(
            wait_until(Duration::from_secs(10), || s.log_count(line) >= 3),
            "{mpm}: {} of 3 '{line}' lines; log:\n{}",
            s.log_count(line),
            s.log_text()
        );
    }
}

#[test]
fn module_directive_follows_sections() {
    for mpm in mpms() {
        module_directive_follows_sections_on(mpm);
    }
}

fn module_directive_follows_sections_on(mpm: &str) {
    let root = Root::new();
    let s = server(mpm, &root);
    assert_eq!(s.get("/greet").body, b"hello\n");
    assert_eq!(s.get("/greet/fr").body, b"bonjour\n");
    assert_eq!(
        s.get("/greeting").status,
        404,
        "/greeting is not inside <Location /greet>"
    );
}

#[test]
fn request_bodies_content_length_and_chunked() {
    for mpm in mpms() {
        request_bodies_content_length_and_chunked_on(mpm);
    }
}

fn request_bodies_content_length_and_chunked_on(mpm: &str) {
    let root = Root::new();
    let s = server(mpm, &root);
    let raw = s.exchange(b"POST /echo/x?q=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
    let r = &parse_responses(&raw, false)[0];
    assert_eq!(r.body, b"POST /echo/x?q=1 HTTP/1.1 5\nhello");
    let raw = s.exchange(
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: y\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    let rs = parse_responses(&raw, false);
    assert_eq!(rs.len(), 2, "{}", String::from_utf8_lossy(&raw));
    assert_eq!(rs[0].body, b"POST /echo HTTP/1.1 11\nhello world");
    assert_eq!(rs[1].body, b"file");
}

#[test]
fn expect_continue_is_answered_when_the_handler_reads() {
    for mpm in mpms() {
        expect_continue_is_answered_when_the_handler_reads_on(mpm);
    }
}

fn expect_continue_is_answered_when_the_handler_reads_on(mpm: &str) {
    let root = Root::new();
    let s = server(mpm, &root);
    use std::io::{Read, Write};
    let mut c = s.connect();
    c.write_all(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n").unwrap();
    let mut buf = [0u8; 25];
    c.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"HTTP/1.1 100 Continue\r\n\r\n");
    c.write_all(b"abc").unwrap();
    let mut rest = Vec::new();
    let _ = c.read_to_end(&mut rest);
    let r = &parse_responses(&rest, false)[0];
    assert_eq!(r.body, b"POST /echo HTTP/1.1 3\nabc");
}

#[test]
fn streamed_body_without_length_is_chunked() {
    for mpm in mpms() {
        streamed_body_without_length_is_chunked_on(mpm);
    }
}

fn streamed_body_without_length_is_chunked_on(mpm: &str) {
    let root = Root::new();
    let s = server(mpm, &root);
    let r = s.get("/stream?8");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Transfer-Encoding"), Some("chunked"));
    let text = String::from_utf8_lossy(&r.body);
    assert_eq!(text.lines().count(), 8);
    assert!(text.lines().all(|l| l.len() == "piece 0 ".len() + 30_000));
    let small = s.get("/stream?1");
    assert_eq!(
        small.header("Content-Length"),
        Some((8 + 30_000 + 1).to_string().as_str())
    );
}

#[test]
fn handler_status_and_missing_handler() {
    for mpm in mpms() {
        handler_status_and_missing_handler_on(mpm);
    }
}

fn handler_status_and_missing_handler_on(mpm: &str) {
    let root = Root::new();
    let s = server(mpm, &root);
    let r = s.get("/teapot");
    assert_eq!(r.status, 418);
    assert!(String::from_utf8_lossy(&r.body).contains("418"));
    assert_eq!(s.get("/nobody").status, 500);
    assert!(
        s.wait_log("no loaded module handles SetHandler no-such-handler", 5),
        "{}",
        s.log_text()
    );
}

#[test]
fn framing_errors_get_400_and_close() {
    for mpm in mpms() {
        framing_errors_get_400_and_close_on(mpm);
    }
}

fn framing_errors_get_400_and_close_on(mpm: &str) {
    let root = Root::new();
    let s = server(mpm, &root);
    let raw = s.exchange(b"GET /a.txt HTTP/1.1\r\n\r\n");
    assert!(
        raw.starts_with(b"HTTP/1.1 400 "),
        "{}",
        String::from_utf8_lossy(&raw)
    );
    let raw = s.exchange(b"GET /a.txt HTTP/2.0\r\nHost: t\r\n\r\n");
    assert!(
        raw.starts_with(b"HTTP/1.1 505 "),
        "{}",
        String::from_utf8_lossy(&raw)
    );
    let raw = s.exchange(b"BREW /a.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert!(
        raw.starts_with(b"HTTP/1.1 501 "),
        "{}",
        String::from_utf8_lossy(&raw)
    );
}

#[test]
fn add_handler_by_extension_and_set_handler_over_it() {
    let root = Root::new();
    root.config(&format!(
        "{}StartServers 1\nAddHandler test-teapot .tea brew\n\
         <Location /greet>\nSetHandler test-greeting\n</Location>\n\
         <Location /plain>\nRemoveHandler .tea\n</Location>\n",
        standard_modules()
    ));
    for f in [
        "x.tea",
        "x.tea.en",
        "x.brew",
        "x.TEA",
        "plain/x.tea",
        "greet/x.tea",
        "x.txt",
    ] {
        root.write(&format!("htdocs/{f}"), b"file");
    }
    let s = Server::start(&root, &[]);
    // Every extension counts (`x.tea.en` too), case-insensitively, with or without the dot.
    for url in ["/x.tea", "/x.tea.en", "/x.brew", "/x.TEA"] {
        assert_eq!(s.get(url).status, 418, "{url}");
    }
    assert_eq!(s.get("/x.txt").body, b"file");
    assert_eq!(s.get("/plain/x.tea").body, b"file");
    // SetHandler wins over the extension.
    assert_eq!(s.get("/greet/x.tea").body, b"no greeting\n");
}

#[test]
fn an_add_handler_no_module_declares_fails_the_syntax_check() {
    let root = Root::new();
    let conf = root.config(&format!(
        "LoadModule mpm_prefork_module {}\nLoadModule static_module {}\nAddHandler no-such-handler .x\n",
        module("libmpm_prefork.so").display(),
        module("libmod_static.so").display()
    ));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr.contains(
            "AddHandler no-such-handler: no loaded module declares a handler of that name"
        ),
        "{}",
        out.stderr
    );
}
