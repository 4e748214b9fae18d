//! mod-headers on the real server, on each MPM: `Header always` on every response (200, 304,
//! 206, a 302 from mod-alias, 403, 404, a 500 from a bad `.htaccess`, an ErrorDocument's page)
//! and `Header` (onsuccess) only where Apache sends it (2xx, 304, the ErrorDocument's page);
//! HSTS, `Vary` appended, `Cache-Control` on `env=`, `Set-Cookie` edited, `Location` left as
//! Apache leaves it, `Server` kept, sections merged outer first, `RequestHeader` seen by
//! `Header echo`, `early`, `%t %D`, `expr=` conditions and values, `note` in the access log; and `-t` errors.

use mapache_tests::*;

#[path = "headers_site.rs"]
mod headers_site;
use headers_site::{all, lines, FILES, HTACCESS};

fn site(root: &Root) -> String {
    for f in FILES {
        root.write(&format!("htdocs/{f}"), format!("{f}\n"));
    }
    root.write("htdocs/bad/.htaccess", "BogusDirective x\n");
    root.write("htdocs/ht/.htaccess", HTACCESS);
    root.path().join("htdocs").display().to_string()
}

fn modules(mpm: &str) -> String {
    format!(
        "{}LoadModule alias_module {}\nLoadModule env_module {}\nLoadModule expires_module {}\nLoadModule headers_module {}\n",
        modules_for(mpm),
        module("libmod_alias.so").display(),
        module("libmod_env.so").display(),
        module("libmod_expires.so").display(),
        module("libmod_headers.so").display()
    )
}

fn request(s: &Server, path: &str, extra: &str) -> Response {
    let raw = format!("GET {path} HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n");
    parse_responses(&s.exchange(raw.as_bytes()), false).remove(0)
}

#[test]
fn always_and_onsuccess_as_apache_on_each_mpm() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        let docs = site(&root);
        root.config(&format!("{}{}", modules(mpm), lines(&docs)));
        let s = Server::start(&root, &[]);
        let hsts = Some("max-age=63072000; includeSubDomains");
        let ok = s.get("/a.txt");
        assert_eq!(ok.status, 200, "{mpm}");
        assert_eq!(ok.header("Strict-Transport-Security"), hsts, "{mpm}");
        assert_eq!(
            ok.header("Content-Security-Policy"),
            Some("default-src 'self'; img-src *")
        );
        assert_eq!(ok.header("X-On"), Some("on"), "{mpm}");
        assert_eq!(ok.header("X-Al"), Some("Al"), "{mpm}: edit* on every match");
        assert_eq!(ok.body, b"a.txt\n");
        // Apache cannot unset the Server header either.
        assert!(ok.header("Server").is_some());
        assert_eq!(ok.header("Vary"), Some("User-Agent"));
        assert_eq!(ok.header("Cache-Control"), None);
        assert_eq!(
            all(&ok, "Set-Cookie").as_deref(),
            Some("a=1;HttpOnly;Secure | b=2;HttpOnly;Secure")
        );
        // RequestHeader ran before the response's lines: echo sees its result.
        assert_eq!(ok.header("X-Forwarded-Proto"), Some("https, x"));
        assert_eq!(ok.header("X-Scope"), Some("server"));
        // expr= conditions and values (the core's expression engine).
        assert_eq!(
            (ok.header("X-Expr"), ok.header("X-Not-Sub")),
            (None, Some("1"))
        );
        // Directory lines after the server's, Location lines after those (Apache's order).
        let sub = s.get("/sub/x.txt");
        assert_eq!(
            sub.header("X-Scope"),
            Some("server, directory, location"),
            "{mpm}"
        );
        // Header runs after mod-expires: `append` follows its max-age.
        assert_eq!(
            sub.header("Cache-Control"),
            Some("max-age=60, public"),
            "{mpm}"
        );
        // `.htaccess` lines (AllowOverride FileInfo, `<IfModule mod_headers.c>`) run last.
        let ht = s.get("/ht/x.txt");
        assert_eq!(
            (ht.header("X-Ht"), ht.header("X-On")),
            (Some("1"), None),
            "{mpm}"
        );
        assert_eq!(
            (sub.header("X-Expr"), sub.header("X-Not-Sub")),
            (Some("/sub/x.txt"), None)
        );
        assert_eq!(
            s.get("/nocache/x.txt").header("Cache-Control"),
            Some("no-cache")
        );
        // The 304 and the 206 a handler answers take the normal path: both lists.
        let last_modified = ok.header("Last-Modified").unwrap().to_owned();
        let not_modified = request(
            &s,
            "/a.txt",
            &format!("If-Modified-Since: {last_modified}\r\n"),
        );
        assert_eq!(
            (not_modified.status, not_modified.header("X-On")),
            (304, Some("on"))
        );
        let part = request(&s, "/a.txt", "Range: bytes=0-1\r\n");
        assert_eq!((part.status, part.header("X-On")), (206, Some("on")));
        // Errors and redirects: only the `always` lines.
        for (path, status) in [
            ("/missing", 404),
            ("/denied/x", 403),
            ("/old", 302),
            ("/bad/x.txt", 500),
        ] {
            let r = s.get(path);
            assert_eq!(r.status, status, "{mpm} {path}");
            assert_eq!(r.header("Strict-Transport-Security"), hsts, "{mpm} {path}");
            assert_eq!(r.header("X-Al"), Some("Al"), "{mpm} {path}");
            assert_eq!(r.header("X-On"), None, "{mpm} {path}");
            assert_eq!(r.header("Set-Cookie"), None, "{mpm} {path}");
        }
        // As Apache: `always` edits err_headers_out, and a redirect's Location is not there.
        assert_eq!(
            s.get("/old").header("Location"),
            Some("http://example.com/new")
        );
        // An ErrorDocument's page is a response of its own: both lists, the error's status.
        let doc = s.get("/withdoc/missing");
        assert_eq!(
            (doc.status, doc.header("X-On"), doc.header("X-Al")),
            (404, Some("on"), Some("Al")),
            "{mpm}"
        );
        assert_eq!(doc.body, b"err.html\n");
    });
}

#[test]
fn early_lines_formats_and_notes() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        root.write("htdocs/a.txt", "a\n");
        let log = root.path().join("logs/access.log");
        root.config(&format!(
            "{}LogFormat \"%r %{{up}}n\" notes\nCustomLog \"{}\" notes\n\
             RequestHeader set X-Early 1 early\n\
             Header echo ^X-Early$\n\
             Header set X-Time \"%t %D\"\n\
             Header set X-Env \"%{{NOPE}}e 100%%\"\n\
             Header set X-Up upstream-value\n\
             Header note X-Up up\n",
            modules(mpm),
            log.display()
        ));
        let s = Server::start(&root, &[]);
        let r = s.get("/a.txt");
        assert_eq!(r.header("X-Early"), Some("1"), "{mpm}");
        let time = r.header("X-Time").unwrap();
        let (t, d) = time.split_once(' ').unwrap();
        let t: u64 = t.strip_prefix("t=").unwrap().parse().unwrap();
        let d: u64 = d.strip_prefix("D=").unwrap().parse().unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros() as u64;
        assert!(t <= now && now - t < 60_000_000, "{mpm}: {time}");
        assert!(d < 60_000_000, "{mpm}: {time}");
        assert_eq!(r.header("X-Env"), Some("(null) 100%"));
        let lines = file_lines(&log, 1);
        assert_eq!(lines, vec!["GET /a.txt HTTP/1.1 upstream-value"], "{mpm}");
    });
}

#[test]
fn bad_lines_fail_t_with_their_line() {
    for (line, message) in [
        (
            "Header replace X y",
            "first argument must be 'add', 'set', 'setifempty', 'append', 'merge', 'unset', 'echo', 'note', 'edit', or 'edit*'.",
        ),
        ("Header set X", "Header requires three arguments"),
        (
            "Header edit Set-Cookie ^(.*$ x",
            "Header edit regex could not be compiled",
        ),
        ("Header set X y sometimes", "Unknown parameter: sometimes"),
        ("RequestHeader echo X", "Header echo only valid on Header directives"),
        ("Header set X %{Y}z", "Unrecognized header format %z"),
        (
            "Header set X y \"expr=%{REQUEST_URI} =~\"",
            "Can't parse envclause/expression: ",
        ),
        ("Header set X \"expr=%{\"", "Can't parse value expression : "),
        (
            "<Location /a>\nHeader set X y early\n</Location>",
            "'early' is only valid at server or virtual host level",
        ),
    ] {
        let root = Root::new();
        let conf = root.config(&format!(
            "{}LoadModule headers_module {}\n{line}\n",
            standard_modules(),
            module("libmod_headers.so").display()
        ));
        let out = run(&["-t", "-f", conf.to_str().unwrap()]);
        assert_ne!(out.code, Some(0), "{line}");
        assert!(
            out.stderr.contains(message) && out.stderr.contains("line "),
            "{line}: {}",
            out.stderr
        );
        assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    }
}
