//! prefork + mod-static end to end: files byte-exact, headers, errors, containment.

use mapache_tests::*;

fn server_with(mpm: &str, root: &Root, extra: &str) -> Server {
    root.config(&format!("{}StartServers 2\n{extra}", modules_for(mpm)));
    Server::start(root, &[])
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn files_are_served_byte_exact() {
    for mpm in mpms() {
        files_are_served_byte_exact_on(mpm);
    }
}

fn files_are_served_byte_exact_on(mpm: &str) {
    let root = Root::new();
    root.write("htdocs/1k.txt", pattern(1024));
    root.write("htdocs/big.bin", pattern(3 * 1024 * 1024 + 7));
    root.write("htdocs/empty.html", b"");
    let s = server_with(mpm, &root, "");
    for (path, len) in [
        ("/1k.txt", 1024),
        ("/big.bin", 3 * 1024 * 1024 + 7),
        ("/empty.html", 0),
    ] {
        let r = s.get(path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.body, pattern(len), "{path} body differs");
        assert_eq!(r.header("Content-Length"), Some(len.to_string().as_str()));
        assert!(r
            .header("Last-Modified")
            .is_some_and(|v| v.ends_with(" GMT")));
        assert!(r.header("Date").is_some());
        assert!(r
            .header("Server")
            .is_some_and(|v| v.starts_with("mapache/")));
    }
    assert_eq!(s.get("/1k.txt").header("Content-Type"), Some("text/plain"));
    assert_eq!(
        s.get("/empty.html").header("Content-Type"),
        Some("text/html")
    );
    assert_eq!(
        s.get("/big.bin").header("Content-Type"),
        Some("application/octet-stream")
    );
}

#[test]
fn head_has_get_headers_and_no_body() {
    for mpm in mpms() {
        head_has_get_headers_and_no_body_on(mpm);
    }
}

fn head_has_get_headers_and_no_body_on(mpm: &str) {
    let root = Root::new();
    root.write("htdocs/a.txt", pattern(500));
    let s = server_with(mpm, &root, "");
    let raw = s.exchange(b"HEAD /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("Content-Length: 500\r\n"), "{text}");
    assert!(
        text.ends_with("\r\n\r\n"),
        "HEAD response carries a body: {text}"
    );
}

#[test]
fn missing_file_is_404_with_html_body() {
    for mpm in mpms() {
        missing_file_is_404_with_html_body_on(mpm);
    }
}

fn missing_file_is_404_with_html_body_on(mpm: &str) {
    let root = Root::new();
    let s = server_with(mpm, &root, "");
    let r = s.get("/nope.html");
    assert_eq!(r.status, 404);
    assert!(String::from_utf8_lossy(&r.body).contains("<title>404 Not Found</title>"));
    assert_eq!(
        r.header("Content-Type"),
        Some("text/html; charset=iso-8859-1")
    );
}

#[test]
fn directory_index_and_slash_redirect() {
    for mpm in mpms() {
        directory_index_and_slash_redirect_on(mpm);
    }
}

fn directory_index_and_slash_redirect_on(mpm: &str) {
    let root = Root::new();
    root.write("htdocs/docs/index.html", b"<p>docs</p>");
    root.write("htdocs/other/home.htm", b"home");
    root.write("htdocs/noindex/file.txt", b"x");
    let s = server_with(
        mpm,
        &root,
        "<Location /other>\nDirectoryIndex index.html home.htm\n</Location>\n",
    );
    let r = s.get("/docs/");
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, b"<p>docs</p>".as_slice())
    );
    let r = s.get("/docs?x=1");
    assert_eq!(r.status, 301);
    assert_eq!(r.header("Location"), Some("http://t/docs/?x=1"));
    assert_eq!(s.get("/other/").body, b"home");
    assert_eq!(s.get("/noindex/").status, 403);
}

#[test]
fn nothing_outside_the_document_root_is_served() {
    for mpm in mpms() {
        nothing_outside_the_document_root_is_served_on(mpm);
    }
}

fn nothing_outside_the_document_root_is_served_on(mpm: &str) {
    let root = Root::new();
    root.write("secret.txt", b"secret");
    root.write("htdocs/ok.txt", b"ok");
    root.write("htdocs/.htaccess", b"deny");
    std::os::unix::fs::symlink(
        root.path().join("secret.txt"),
        root.path().join("htdocs/link.txt"),
    )
    .unwrap();
    let s = server_with(mpm, &root, "");
    for target in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/ok.txt/../../secret.txt",
        "/..%2fsecret.txt",
    ] {
        let raw = s.exchange(
            format!("GET {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        let r = &parse_responses(&raw, false)[0];
        assert!(
            r.status == 400 || r.status == 404 || r.status == 403,
            "{target} answered {}",
            r.status
        );
        assert!(
            !String::from_utf8_lossy(&r.body).contains("secret"),
            "{target} leaked the file"
        );
    }
    assert_eq!(
        s.get("/link.txt").status,
        403,
        "a symlink leaving DocumentRoot is refused"
    );
    assert_eq!(s.get("/.htaccess").status, 403);
    assert_eq!(s.get("/ok.txt").status, 200);
}

#[test]
fn keep_alive_and_pipelining_on_one_connection() {
    for mpm in mpms() {
        keep_alive_and_pipelining_on_one_connection_on(mpm);
    }
}

fn keep_alive_and_pipelining_on_one_connection_on(mpm: &str) {
    let root = Root::new();
    root.write("htdocs/a.txt", b"AAAA");
    root.write("htdocs/b.txt", b"BB");
    let s = server_with(mpm, &root, "");
    let raw = s.exchange(
        b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /b.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /missing HTTP/1.1\r\nHost: t\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    let rs = parse_responses(&raw, false);
    let got: Vec<(u16, Vec<u8>)> = rs
        .iter()
        .map(|r| {
            (
                r.status,
                if r.status == 200 {
                    r.body.clone()
                } else {
                    vec![]
                },
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (200, b"AAAA".to_vec()),
            (200, b"BB".to_vec()),
            (404, vec![]),
            (200, b"AAAA".to_vec())
        ],
        "{}",
        String::from_utf8_lossy(&raw)
    );
    assert_eq!(rs[3].header("Connection"), Some("close"));
}

#[test]
fn http10_closes_by_default() {
    for mpm in mpms() {
        http10_closes_by_default_on(mpm);
    }
}

fn http10_closes_by_default_on(mpm: &str) {
    let root = Root::new();
    root.write("htdocs/a.txt", b"A");
    let s = server_with(mpm, &root, "");
    let raw = s.exchange(b"GET /a.txt HTTP/1.0\r\n\r\nGET /a.txt HTTP/1.0\r\n\r\n");
    assert_eq!(
        parse_responses(&raw, false).len(),
        1,
        "{}",
        String::from_utf8_lossy(&raw)
    );
}

#[test]
fn post_to_a_file_is_refused_and_its_body_consumed() {
    for mpm in mpms() {
        post_to_a_file_is_refused_and_its_body_consumed_on(mpm);
    }
}

fn post_to_a_file_is_refused_and_its_body_consumed_on(mpm: &str) {
    let root = Root::new();
    root.write("htdocs/a.txt", b"A");
    let s = server_with(mpm, &root, "");
    let raw = s.exchange(
        b"POST /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello worldGET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    let rs = parse_responses(&raw, false);
    assert_eq!(rs.len(), 2, "{}", String::from_utf8_lossy(&raw));
    assert_eq!(rs[0].status, 405);
    assert!(rs[0].header("Allow").is_some_and(|a| a.contains("GET")));
    assert_eq!(
        rs[1].status, 404,
        "the body bytes must not be parsed as a request"
    );
}

#[test]
fn relative_document_root_resolves_against_the_core_server_root() {
    for mpm in mpms() {
        relative_document_root_resolves_against_the_core_server_root_on(mpm);
    }
}

fn relative_document_root_resolves_against_the_core_server_root_on(mpm: &str) {
    // No ServerRoot line: the root comes from -d, and modules must see the same one.
    let root = Root::new();
    root.write("site/hello.txt", b"relative works");
    root.write(
        "conf/httpd.conf",
        format!(
            "Listen 127.0.0.1:0\nPidFile logs/mapache.pid\nDocumentRoot site\n{}StartServers 1\n",
            modules_for(mpm)
        ),
    );
    let s = Server::start(&root, &["-d", root.path().to_str().unwrap()]);
    let r = s.get("/hello.txt");
    assert_eq!(r.status, 200, "{}", s.log_text());
    // Modules see the effective ServerRoot and the DocumentRoot made absolute.
    drop(s);
    root.write(
        "conf/httpd.conf",
        format!(
            "Listen 127.0.0.1:0\nPidFile logs/mapache.pid\nDocumentRoot site\n{}StartServers 1\n<Location /cfg>\nSetHandler test-config\n</Location>\n",
            modules_for(mpm)
        ),
    );
    let s = Server::start(&root, &["-d", root.path().to_str().unwrap()]);
    let canonical = root.path().display().to_string();
    assert_eq!(
        String::from_utf8_lossy(&s.get("/cfg?ServerRoot").body).trim(),
        canonical
    );
    assert_eq!(
        String::from_utf8_lossy(&s.get("/cfg?DocumentRoot").body).trim(),
        format!("{canonical}/site")
    );
    let r = s.get("/hello.txt");
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, b"relative works".as_slice()),
        "{}",
        s.log_text()
    );
}

#[test]
fn ipv6_listener_serves() {
    for mpm in mpms() {
        ipv6_listener_serves_on(mpm);
    }
}

fn ipv6_listener_serves_on(mpm: &str) {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("no IPv6 loopback on this machine; skipping");
        return;
    }
    let root = Root::new();
    root.write("htdocs/a.txt", b"six");
    root.config(&format!(
        "Listen [::1]:0\n{}StartServers 1\n",
        modules_for(mpm)
    ));
    let s = Server::start(&root, &[]);
    // The first listener logged is 127.0.0.1; find the IPv6 one too.
    assert!(s.wait_log("listening on [::1]:", 5), "{}", s.log_text());
    let line = s
        .log_text()
        .lines()
        .find(|l| l.contains("listening on [::1]:"))
        .unwrap()
        .to_owned();
    let addr: std::net::SocketAddr = line
        .split("listening on ")
        .nth(1)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    use std::io::{Read, Write};
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    c.write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = Vec::new();
    c.read_to_end(&mut out).unwrap();
    assert_eq!(parse_responses(&out, false)[0].body, b"six");
}

#[test]
fn error_log_file_and_keep_alive_limits() {
    for mpm in mpms() {
        error_log_file_and_keep_alive_limits_on(mpm);
    }
}

fn error_log_file_and_keep_alive_limits_on(mpm: &str) {
    let root = Root::new();
    root.write("htdocs/a.txt", b"A");
    root.config(&format!(
        "ErrorLog logs/error_log\nMaxKeepAliveRequests 2\n{}StartServers 1\n",
        modules_for(mpm)
    ));
    // The address is read from the error log file instead of standard error.
    use std::io::{Read, Write};
    let mut child = std::process::Command::new(mapache_bin())
        .arg("-f")
        .arg(root.path().join("conf/httpd.conf"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let log = root.path().join("logs/error_log");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let addr = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(a) = text.lines().find_map(|l| l.split("listening on ").nth(1)) {
            break a.trim().to_owned();
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("no listening line in {}", log.display());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut c = std::net::TcpStream::connect(addr.as_str()).unwrap();
    c.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    c.write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    let rs = parse_responses(&out, false);
    // SAFETY: stopping our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let _ = child.wait();
    assert_eq!(
        rs.len(),
        2,
        "MaxKeepAliveRequests 2 closes after the second response"
    );
    assert_eq!(rs[1].header("Connection"), Some("close"));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("[core:notice] [pid "), "{text}");
    assert!(text.contains("caught SIGTERM, shutting down"), "{text}");
}

#[test]
fn keep_alive_off_closes_after_each_response() {
    for mpm in mpms() {
        keep_alive_off_closes_after_each_response_on(mpm);
    }
}

fn keep_alive_off_closes_after_each_response_on(mpm: &str) {
    let root = Root::new();
    root.write("htdocs/a.txt", b"A");
    let s = server_with(mpm, &root, "KeepAlive Off\n");
    let raw =
        s.exchange(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    let rs = parse_responses(&raw, false);
    assert_eq!(rs.len(), 1);
    assert_eq!(rs[0].header("Connection"), Some("close"));
}
