//! mod-expires on the real server, on each MPM: `ExpiresDefault`, `ExpiresByType` (exact and
//! `image/*`), access- and modification-based codes in both syntaxes, `Cache-Control` merged
//! after one a section sets, nothing for errors or where `ExpiresActive Off`, `.htaccess` lines
//! under `AllowOverride Indexes`, and `-t` errors in Apache's words.

use mapache_tests::*;
use mod_expires::http_date;
use std::time::{Duration, SystemTime};

/// The lines after the modules (shared with the Apache comparison in apache_compat.rs).
fn lines(htdocs: &str) -> String {
    format!(
        "AddType text/html .html\nAddType text/css .css\nAddType image/png .png\n\
         ExpiresActive On\nExpiresDefault \"access plus 1 hour\"\n\
         ExpiresByType text/css A60\nExpiresByType image/* \"modification plus 2 days\"\n\
         <Directory \"{htdocs}/off\">\nExpiresActive Off\n</Directory>\n\
         <Directory \"{htdocs}/ht\">\nAllowOverride Indexes\n</Directory>\n"
    )
}

/// Expires minus Date, in seconds.
fn lifetime(r: &Response) -> i64 {
    let date = http_date::parse(r.header("Date").expect("Date")).expect("a Date");
    let expires = http_date::parse(r.header("Expires").expect("Expires")).expect("an Expires");
    expires - date
}

fn max_age(r: &Response) -> i64 {
    let cc = r.header("Cache-Control").expect("Cache-Control");
    cc.rsplit("max-age=")
        .next()
        .unwrap()
        .parse()
        .expect("max-age=N")
}

fn site(root: &Root) {
    for f in ["a.html", "s.css", "off/a.html", "ht/s.css", "ht/a.html"] {
        root.write(&format!("htdocs/{f}"), "x\n");
    }
    root.write(
        "htdocs/ht/.htaccess",
        "ExpiresByType text/css \"access plus 2 minutes\"\n",
    );
    let png = root.write("htdocs/i.png", "png");
    // Modified a day ago: two days after that is one day from now.
    let day_ago = SystemTime::now() - Duration::from_secs(86_400);
    std::fs::File::options()
        .write(true)
        .open(png)
        .unwrap()
        .set_modified(day_ago)
        .unwrap();
}

#[test]
fn expiry_headers_as_apache_on_each_mpm() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        site(&root);
        let htdocs = root.path().join("htdocs").display().to_string();
        root.config(&format!(
            "{}LoadModule expires_module {}\n{}",
            modules_for(mpm),
            module("libmod_expires.so").display(),
            lines(&htdocs)
        ));
        let s = Server::start(&root, &[]);
        let r = s.get("/a.html");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("Cache-Control"), Some("max-age=3600"), "{mpm}");
        assert_eq!(lifetime(&r), 3600, "{mpm}");
        let r = s.get("/s.css");
        assert_eq!(r.header("Cache-Control"), Some("max-age=60"), "{mpm}");
        assert_eq!(lifetime(&r), 60);
        // image/* from the file's modification time: a day from now (a second of slack for
        // the clock turning between the request and Date).
        let r = s.get("/i.png");
        let age = max_age(&r);
        assert!((86_398..=86_400).contains(&age), "{mpm}: {age}");
        assert!((86_398..=86_401).contains(&lifetime(&r)), "{mpm}");
        // The body still arrives whole (the filter only touched the head).
        assert_eq!(r.body, b"png");
        // .htaccess under AllowOverride Indexes overrides text/css; the default still holds.
        assert_eq!(
            s.get("/ht/s.css").header("Cache-Control"),
            Some("max-age=120")
        );
        assert_eq!(
            s.get("/ht/a.html").header("Cache-Control"),
            Some("max-age=3600")
        );
        // Off in a section; nothing on errors.
        let r = s.get("/off/a.html");
        assert_eq!(
            (r.header("Expires"), r.header("Cache-Control")),
            (None, None)
        );
        let r = s.get("/missing.html");
        assert_eq!(r.status, 404);
        assert_eq!(
            (r.header("Expires"), r.header("Cache-Control")),
            (None, None)
        );
    });
}

#[test]
fn bad_codes_fail_t_in_apaches_words() {
    let root = Root::new();
    let conf = root.config(&format!(
        "{}LoadModule expires_module {}\nExpiresDefault \"access plus 1 fortnight\"\n",
        standard_modules(),
        module("libmod_expires.so").display()
    ));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr.contains(
            "'ExpiresDefault access plus 1 fortnight': bad expires code, unrecognised <type>'fortnight'"
        ),
        "{}",
        out.stderr
    );
}
