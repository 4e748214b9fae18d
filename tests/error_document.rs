//! ErrorDocument against the real server: a local URL served by an internal redirect (the
//! client keeps the error's status; the document sees REDIRECT_STATUS, REDIRECT_URL,
//! REDIRECT_QUERY_STRING, REDIRECT_REQUEST_METHOD), a text as the body, a full URL as a 302
//! (ignored for 401, with Apache's notice), `default`, per section; for a handler's status and
//! the core's own 403, 404, 413 and 400 alike; and a document that fails itself (Apache's
//! "Additionally, a … error" page).

use mapache_tests::*;

fn start(root: &Root, body: &str) -> Server {
    root.write("htdocs/a.txt", b"file a");
    root.write("htdocs/errors/missing.html", b"sorry, not here\n");
    root.config(&format!(
        "{}StartServers 1\n\
         LogFormat \"%>s %U|%{{REDIRECT_STATUS}}e|%{{REDIRECT_URL}}e|%{{REDIRECT_QUERY_STRING}}e|%{{REDIRECT_REQUEST_METHOD}}e\" redirect\n\
         CustomLog logs/redirects redirect\n{body}\n",
        standard_modules()
    ));
    Server::start(root, &[])
}

fn content_type(r: &Response) -> &str {
    r.header("Content-Type").unwrap_or("")
}

#[test]
fn a_local_document_is_served_with_the_errors_status_and_the_redirect_variables() {
    let root = Root::new();
    let s = start(&root, "ErrorDocument 404 /errors/missing.html\n");
    let r = s.get("/nothing.html?a=1&b=2");
    assert_eq!(r.status, 404);
    assert_eq!(r.body, b"sorry, not here\n");
    // Served as a GET whatever the method (the static handler answers only GET and HEAD).
    let raw = s.exchange(
        b"POST /gone/x HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    let post = &parse_responses(&raw, false)[0];
    assert_eq!(post.status, 404);
    assert_eq!(post.body, b"sorry, not here\n");
    // HEAD stays HEAD: the status and no body.
    let raw = s.exchange(b"HEAD /nothing.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let head = &parse_responses(&raw, true)[0];
    assert_eq!(head.status, 404);
    assert!(head.body.is_empty());
    // Sent whole: never a 304 or a range of the document.
    let raw = s.exchange(
        b"GET /nothing.html HTTP/1.1\r\nHost: t\r\nIf-None-Match: *\r\nIf-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\r\nRange: bytes=0-1\r\nConnection: close\r\n\r\n",
    );
    let whole = &parse_responses(&raw, false)[0];
    assert_eq!(
        (whole.status, whole.body.as_slice()),
        (404, &b"sorry, not here\n"[..])
    );
    assert_eq!(s.get("/a.txt").body, b"file a");
    let lines = file_lines(&root.path().join("logs/redirects"), 5);
    assert_eq!(
        lines[..3],
        [
            "404 /errors/missing.html|404|/nothing.html|a=1&b=2|GET",
            "404 /errors/missing.html|404|/gone/x|-|POST",
            "404 /errors/missing.html|404|/nothing.html|-|HEAD",
        ]
    );
    assert_eq!(lines[4], "200 /a.txt|-|-|-|-");
}

#[test]
fn texts_urls_default_and_sections_for_handler_and_core_errors() {
    let root = Root::new();
    let s = start(
        &root,
        "ErrorDocument 404 \"Nothing to see here\"\n\
         ErrorDocument 403 Forbidden!\n\
         ErrorDocument 418 \"short and stout\"\n\
         ErrorDocument 413 \"too big\"\n\
         ErrorDocument 400 \"bad request, friend\"\n\
         ErrorDocument 401 http://example.com/login\n\
         LimitRequestBody 10\n\
         <Location /private>\nRequire all denied\n</Location>\n\
         <Location /teapot>\nSetHandler test-teapot\n</Location>\n\
         <Location /moved>\nErrorDocument 404 http://example.com/elsewhere\n</Location>\n\
         <Location /plain>\nErrorDocument 404 default\n</Location>\n\
         <Location /sub>\nErrorDocument 404 \"the sub section's text\"\n</Location>\n",
    );
    let r = s.get("/nothing");
    assert_eq!(
        (r.status, r.body.as_slice()),
        (404, &b"Nothing to see here"[..])
    );
    assert_eq!(content_type(&r), "text/html; charset=iso-8859-1");
    let r = s.get("/private/x");
    assert_eq!((r.status, r.body.as_slice()), (403, &b"Forbidden!"[..]));
    // A handler's status.
    let r = s.get("/teapot");
    assert_eq!(
        (r.status, r.body.as_slice()),
        (418, &b"short and stout"[..])
    );
    // A full URL: a 302 there.
    let r = s.get("/moved/x");
    assert_eq!(r.status, 302);
    assert_eq!(r.header("Location"), Some("http://example.com/elsewhere"));
    assert!(
        String::from_utf8_lossy(&r.body).contains(
            "<p>The document has moved <a href=\"http://example.com/elsewhere\">here</a>.</p>"
        ),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    // `default`: the core's page again.
    let r = s.get("/plain/x");
    assert_eq!(r.status, 404);
    assert!(String::from_utf8_lossy(&r.body).contains("<title>404 Not Found</title>"));
    let r = s.get("/sub/x");
    assert_eq!(r.body, b"the sub section's text");
    // The core's 413 (a declared body over LimitRequestBody) and 400 (no request at all).
    let raw = s.exchange(
        b"POST /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\nConnection: close\r\n\r\n",
    );
    let r = &parse_responses(&raw, false)[0];
    assert_eq!((r.status, r.body.as_slice()), (413, &b"too big"[..]));
    let raw = s.exchange(b"NOT A REQUEST\r\n\r\n");
    let r = &parse_responses(&raw, false)[0];
    assert_eq!(
        (r.status, r.body.as_slice()),
        (400, &b"bad request, friend"[..])
    );
    // A full URL for 401 is ignored, with Apache's notice naming the line.
    let conf = root.path().join("conf/httpd.conf");
    assert!(s.wait_log(&format!("AH00113: {}:", conf.display()), 5));
    assert!(s
        .log_text()
        .contains("cannot use a full URL in a 401 ErrorDocument directive --- ignoring!"));
}

#[test]
fn a_document_that_fails_too_gives_apaches_additionally_page() {
    let root = Root::new();
    let s = start(
        &root,
        "ErrorDocument 404 /errors/also-missing.html\n\
         <Location /denied>\nRequire all denied\n</Location>\n\
         ErrorDocument 403 /denied/page.html\n",
    );
    let r = s.get("/nothing");
    assert_eq!(r.status, 404);
    let body = String::from_utf8_lossy(&r.body);
    assert!(body.contains("<title>404 Not Found</title>"), "{body}");
    assert!(
        body.contains("<p>Additionally, a 404 Not Found\nerror was encountered while trying to use an ErrorDocument to handle the request.</p>\n</body></html>"),
        "{body}"
    );
    let r = s.get("/denied/x");
    assert_eq!(r.status, 403);
    let body = String::from_utf8_lossy(&r.body);
    assert!(body.contains("<title>403 Forbidden</title>"), "{body}");
    assert!(
        body.contains("Additionally, a 403 Forbidden\nerror"),
        "{body}"
    );
}

#[test]
fn bad_error_documents_fail_the_syntax_check() {
    let root = Root::new();
    for (line, expected) in [
        ("ErrorDocument 299 /x", "Unsupported HTTP response code 299"),
        (
            "ErrorDocument 404",
            "ErrorDocument takes two arguments, Change responses for HTTP errors",
        ),
    ] {
        let conf = root.config(&format!("{}{line}\n", standard_modules()));
        let out = run(&["-t", "-f", conf.to_str().unwrap()]);
        assert_ne!(out.code, Some(0), "{line}");
        assert!(out.stderr.contains(expected), "{line}: {}", out.stderr);
    }
}

#[test]
fn a_401_document_keeps_the_challenge() {
    let root = Root::new();
    root.write("htdocs/private/secret.txt", b"the secret\n");
    root.write("htdocs/errors/auth.html", b"please log in\n");
    let static_line = if static_build() {
        "# static_module is built into this mapache".to_owned()
    } else {
        format!(
            "LoadModule static_module {}",
            module("libmod_static.so").display()
        )
    };
    root.config(&format!(
        "LoadModule mpm_prefork_module {}\nLoadModule pipeline_probe_module {}\n{static_line}\n\
         StartServers 1\nErrorDocument 401 /errors/auth.html\n\
         <Location /private>\nRequire probe-user probe\n</Location>\n",
        module("libmpm_prefork.so").display(),
        module("libpipeline_probe.so").display(),
    ));
    let s = Server::start(&root, &[]);
    let r = s.get("/private/secret.txt");
    assert_eq!(r.status, 401);
    assert_eq!(r.header("WWW-Authenticate"), Some("Basic realm=\"probe\""));
    assert_eq!(r.body, b"please log in\n");
}
