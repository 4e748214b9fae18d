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
    let s = start(
        &root,
        "prefork",
        "ServerSignature On\nServerTokens Prod\n<Location /texted>\nErrorDocument 404 \"gone away\"\n</Location>",
    );
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
    let text = one(
        &s,
        b"GET /texted HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(
        String::from_utf8_lossy(&text.body),
        "gone away",
        "an ErrorDocument text as it stands"
    );
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

#[test]
fn enable_sendfile_off_sends_files_with_read_and_write() {
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    for (setting, sendfile_expected) in [("On", true), ("Off", false)] {
        let root = Root::new();
        root.write("htdocs/big.bin", &body);
        let s = start(
            &root,
            "prefork",
            &format!("EnableSendfile {setting}\nMinSpareServers 1\nMaxSpareServers 1"),
        );
        let mut got = None;
        let traced = trace_syscalls(&s, root.path(), "sendfile", || {
            got = Some(one(
                &s,
                b"GET /big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
            ));
        });
        let Some(calls) = traced.map(|t| t.lines().filter(|l| l.contains("sendfile(")).count())
        else {
            eprintln!(
                "NOTE: strace is missing or cannot attach (apt-get install -y strace); skipping"
            );
            return;
        };
        let r = got.unwrap();
        assert_eq!(r.status, 200);
        assert!(
            r.body == body,
            "EnableSendfile {setting}: the file as it is"
        );
        assert_eq!(
            calls > 0,
            sendfile_expected,
            "EnableSendfile {setting}: {calls} sendfile calls"
        );
    }
}

#[test]
fn mutex_protocols_and_runtime_dir_are_checked_as_apache() {
    let root = Root::new();
    std::fs::create_dir_all(root.path().join("run")).unwrap();
    for (line, refusal) in [
        ("Mutex file:run default", None),
        ("Mutex fcntl:/tmp mpm-accept default OmitPID", None),
        ("Mutex posixsem", None),
        ("Mutex bogus", Some("Invalid Mutex argument bogus (Mutex mechanisms are: 'none', 'default', 'flock:/path/to/file', 'fcntl:/path/to/file', 'file:/path/to/file', 'pthread', 'sysvsem', 'posixsem', 'sem')")),
        ("Mutex file:/no/such/dir default", Some("Invalid Mutex directory in argument file:/no/such/dir")),
        ("Mutex default ssl-cache", Some("Mutex type ssl-cache is not valid")),
        ("Mutex none", Some("None is not allowed for mutex type default")),
        ("Protocols h2 h2c http/1.1", None),
        ("Protocols http/1.1 spdy/3", Some("Protocols: unknown protocol 'spdy/3'")),
        ("DefaultRuntimeDir run", None),
        ("DefaultRuntimeDir /no/such/dir", Some("DefaultRuntimeDir must be a valid directory, absolute or relative to ServerRoot")),
        ("EnableMMAP On", None),
        ("EnableMMAP Off", None),
        ("EnableMMAP maybe", Some("parameter must be 'on' or 'off'")),
        ("EnableSendfile maybe", Some("parameter must be 'on' or 'off'")),
        ("HostnameLookups maybe", Some("parameter must be 'on', 'off', or 'double'")),
        ("ServerSignature maybe", Some("ServerSignature: use one of: off | on | email")),
        ("BufferedLogs maybe", Some("BufferedLogs must be On or Off")),
    ] {
        let conf = root.config(&format!("{}{line}\n", modules_for("prefork")));
        let out = run(&["-t", "-f", conf.to_str().unwrap()]);
        match refusal {
            None => assert_eq!(out.code, Some(0), "{line}: {}", out.stderr),
            Some(message) => {
                assert_eq!(out.code, Some(1), "{line}: {}", out.stderr);
                let expected = format!("Syntax error on line 8 of {}: {message}", conf.display());
                assert!(out.stderr.contains(&expected), "{line}: {}", out.stderr);
                assert_eq!(out.stderr.lines().count(), 1, "{line}: one line: {}", out.stderr);
            }
        }
    }
}

#[test]
fn h2_listed_without_http2_still_serves_http_1_1() {
    // Apache without mod_http2 accepts `Protocols h2` and goes on with HTTP/1.1.
    let root = Root::new();
    let s = start(&root, "prefork", "Protocols h2\nEnableMMAP Off");
    let r = one(
        &s,
        b"GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!((r.status, r.body.as_slice()), (200, &b"file a"[..]));
}

#[test]
fn nokeepalive_downgrade_and_force_response_as_apache() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        let s = start(&root, mpm, "");
        let get = |extra: &str, version: &str| {
            format!("GET /a.txt HTTP/{version}\r\nHost: t\r\n{extra}\r\n")
        };
        // Without the variables: two responses on one connection.
        let plain = get("", "1.1");
        let raw = s.exchange(format!("{plain}{plain}").as_bytes());
        assert_eq!(parse_responses(&raw, false).len(), 2, "{mpm}");

        // nokeepalive: the connection closes after the response.
        let first = get("X-Set-Env: nokeepalive\r\n", "1.1");
        let raw = s.exchange(format!("{first}{plain}").as_bytes());
        let rs = parse_responses(&raw, false);
        assert_eq!(rs.len(), 1, "{mpm}");
        assert_eq!(rs[0].header("Connection"), Some("close"), "{mpm}");

        // downgrade-1.0: an HTTP/1.1 request without keep-alive is HTTP/1.0's: closed; the
        // status line still says HTTP/1.1 (Apache's).
        let first = get("X-Set-Env: downgrade-1.0\r\n", "1.1");
        let raw = s.exchange(format!("{first}{plain}").as_bytes());
        assert!(raw.starts_with(b"HTTP/1.1 200 OK\r\n"), "{mpm}");
        let rs = parse_responses(&raw, false);
        assert_eq!(rs.len(), 1, "{mpm}");
        assert_eq!(rs[0].header("Connection"), Some("close"), "{mpm}");
        // … and kept alive when it asked as HTTP/1.0 clients do.
        let first = get(
            "X-Set-Env: downgrade-1.0\r\nConnection: keep-alive\r\n",
            "1.1",
        );
        let raw = s.exchange(format!("{first}{plain}").as_bytes());
        let rs = parse_responses(&raw, false);
        assert_eq!(rs.len(), 2, "{mpm}");
        assert_eq!(rs[0].header("Connection"), Some("Keep-Alive"), "{mpm}");

        // force-response-1.0: an HTTP/1.0 request gets an HTTP/1.0 status line and a close,
        // keep-alive asked or not; an HTTP/1.1 request is unaffected.
        let first = get(
            "X-Set-Env: force-response-1.0\r\nConnection: keep-alive\r\n",
            "1.0",
        );
        let raw = s.exchange(format!("{first}{plain}").as_bytes());
        assert!(raw.starts_with(b"HTTP/1.0 200 OK\r\n"), "{mpm}");
        let rs = parse_responses(&raw, false);
        assert_eq!(rs.len(), 1, "{mpm}");
        assert_eq!(rs[0].header("Connection"), Some("close"), "{mpm}");
        let first = get("X-Set-Env: force-response-1.0\r\n", "1.1");
        let raw = s.exchange(format!("{first}{plain}").as_bytes());
        assert!(raw.starts_with(b"HTTP/1.1 200 OK\r\n"), "{mpm}");
        assert_eq!(parse_responses(&raw, false).len(), 2, "{mpm}");
    });
}

#[test]
fn main_server_only_directives_are_refused_in_a_virtual_host() {
    // Read for the main server only: inside <VirtualHost> they would be ignored, so -t refuses
    // them there (Apache's wording for a GLOBAL_ONLY directive).
    let root = Root::new();
    for line in [
        "HostnameLookups On",
        "EnableSendfile Off",
        "BufferedLogs On",
        "ErrorLogFormat \"%M\"",
        "Protocols http/1.1",
    ] {
        let conf = root.config(&format!(
            "{}<VirtualHost *>\nServerName v.example\n{line}\n</VirtualHost>\n",
            modules_for("prefork")
        ));
        let out = run(&["-t", "-f", conf.to_str().unwrap()]);
        let name = line.split(' ').next().unwrap();
        assert!(
            out.stderr.contains(&format!(
                "Syntax error on line 10 of {}: {name} cannot occur within <VirtualHost> section",
                conf.display()
            )),
            "{line}: {}",
            out.stderr
        );
    }
}

#[test]
fn trace_enable_and_server_signature_per_virtual_host() {
    let root = Root::new();
    let s = start(
        &root,
        "prefork",
        "ServerTokens Prod\n<VirtualHost *>\nServerName main.example\n</VirtualHost>\n\
         <VirtualHost *>\nServerName v.example\nTraceEnable Off\nServerSignature EMail\n\
         ServerAdmin v@example.test\n</VirtualHost>",
    );
    let trace = |host: &str| {
        one(
            &s,
            format!("TRACE / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .status
    };
    assert_eq!(trace("main.example"), 200);
    assert_eq!(trace("v.example"), 405);
    let page = |host: &str| {
        let r = one(
            &s,
            format!("GET /missing HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
        String::from_utf8(r.body).unwrap()
    };
    assert!(!page("main.example").contains("<address>"));
    assert!(
        page("v.example").contains(
            "<address>mapache Server at <a href=\"mailto:v@example.test\">v.example</a> Port 80"
        ),
        "{}",
        page("v.example")
    );
}
