//! mod-rewrite on the real server, on each MPM:
//! - real sites' rule sets (rewrite_site.rs): WordPress, Laravel and Symfony in `.htaccess`,
//!   Drupal's clean URLs in `<Directory>`, the www→bare and http→https redirects, and one
//!   line per flag (R with each code, F, G, L, END, N, S, C, NC, NE, B, QSA, QSD, PT into
//!   mod_alias, E seen by `Require env`, CO, T, RewriteMap txt, int and prg, `expr`);
//! - the maintenance switch: a file created while the server runs turns the shop into 503
//!   with its ErrorDocument page, without a restart;
//! - virtual hosts take the main server's rules only with `RewriteOptions Inherit`;
//! - `[H=]`, `-ge` on a header, `Set-Cookie` and the forced type;
//! - `LogLevel rewrite:trace3` shows how each rule applied, and nothing without it;
//! - `-t` refusing, with the file and line, what mapache cannot do (`[P]`, dbm:
//!   maps, look-ahead variables, rules in `<Location>`) and Apache's own errors.

#[path = "rewrite_site.rs"]
mod rewrite_site;

use mapache_tests::*;
use rewrite_site::{site, CASES};

fn rewrite_modules() -> String {
    format!(
        "LoadModule rewrite_module {}\nLoadModule alias_module {}\n",
        module("libmod_rewrite.so").display(),
        module("libmod_alias.so").display()
    )
}

/// One GET with `Host: host` and extra header lines, parsed.
fn get(s: &Server, host: &str, path: &str, extra: &str) -> Response {
    let raw = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n");
    parse_responses(&s.exchange(raw.as_bytes()), false)
        .into_iter()
        .next()
        .expect("a response")
}

/// Checks one case: the status, and the Location of a redirect or the body of a 200.
fn check(mpm: &str, r: &Response, (host, path, status, want): rewrite_site::Case) {
    assert_eq!(r.status, status, "{mpm} {host}{path}: {r:?}");
    if (300..400).contains(&status) {
        assert_eq!(r.header("Location"), Some(want), "{mpm} {host}{path}");
    } else if status == 200 {
        assert_eq!(String::from_utf8_lossy(&r.body), want, "{mpm} {host}{path}");
    }
}

#[test]
fn real_rule_sets_and_every_flag_on_each_mpm() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        let lines = site(root.path());
        root.config(&format!("{}{}{lines}", modules_for(mpm), rewrite_modules()));
        let s = Server::start(&root, &[]);
        for &case in CASES {
            let r = get(&s, case.0, case.1, "");
            check(mpm, &r, case);
        }
        // The redirect loop ends at the core's limit, logged as Apache logs it.
        assert!(s.log_text().contains("AH00124"), "{mpm}: {}", s.log_text());
        // The cookie as Apache formats it, the forced type, a numeric condition on a header.
        let r = get(&s, "t", "/cookie", "");
        assert_eq!(
            r.header("Set-Cookie"),
            Some("flavor=choc; path=/; domain=example.com"),
            "{mpm}"
        );
        let r = get(&s, "t", "/typed", "");
        assert_eq!(r.header("Content-Type"), Some("text/x-typed"), "{mpm}");
        let r = get(&s, "t", "/num", "X-Num: 12\r\n");
        assert_eq!(
            r.header("Location"),
            Some("http://example.com/big"),
            "{mpm}"
        );
        assert_eq!(get(&s, "t", "/num", "X-Num: 9\r\n").status, 404, "{mpm}");

        // Maintenance: the switch file appears while the server runs.
        root.write("htdocs/shop/maintenance.on", "");
        let r = get(&s, "t", "/shop/index.html", "");
        assert_eq!(r.status, 503, "{mpm}: {r:?}");
        assert_eq!(r.body, b"down for maintenance", "{mpm}");
        std::fs::remove_file(root.path().join("htdocs/shop/maintenance.on")).unwrap();
        assert_eq!(get(&s, "t", "/shop/index.html", "").status, 200, "{mpm}");
    });
}

#[test]
fn virtual_hosts_inherit_rules_only_with_rewrite_options_inherit() {
    let root = Root::new();
    root.write("htdocs/index.html", "root");
    root.write("htdocs/vh.html", "vh");
    root.config(&format!(
        "{}{}RewriteEngine On\nRewriteRule ^/main$ /index.html [L]\n\
         <VirtualHost *>\nServerName inherit.example\nRewriteEngine On\nRewriteOptions Inherit\n\
         RewriteRule ^/vh$ /vh.html [L]\n</VirtualHost>\n\
         <VirtualHost *>\nServerName alone.example\nRewriteEngine On\n\
         RewriteRule ^/vh$ /vh.html [L]\n</VirtualHost>\n",
        standard_modules(),
        rewrite_modules()
    ));
    let s = Server::start(&root, &[]);
    assert_eq!(get(&s, "inherit.example", "/vh", "").body, b"vh");
    assert_eq!(get(&s, "inherit.example", "/main", "").body, b"root");
    assert_eq!(get(&s, "alone.example", "/vh", "").body, b"vh");
    assert_eq!(get(&s, "alone.example", "/main", "").status, 404);
}

#[test]
fn handler_flag_sets_the_handler() {
    let root = Root::new();
    root.write("htdocs/index.html", "root");
    root.config(&format!(
        "{}{}RewriteEngine On\nRewriteRule ^/tea$ - [H=test-teapot]\n",
        standard_modules(),
        rewrite_modules()
    ));
    let s = Server::start(&root, &[]);
    assert_eq!(get(&s, "t", "/tea", "").status, 418);
    assert_eq!(get(&s, "t", "/index.html", "").status, 200);
}

#[test]
fn trace_levels_show_how_each_rule_applied() {
    for (level, expect) in [("LogLevel warn rewrite:trace3", true), ("", false)] {
        let root = Root::new();
        root.write("htdocs/index.html", "root");
        root.config(&format!(
            "{}{}{level}\nRewriteEngine On\nRewriteRule ^/a$ /index.html [L]\n",
            standard_modules(),
            rewrite_modules()
        ));
        let s = Server::start(&root, &[]);
        assert_eq!(get(&s, "t", "/a", "").body, b"root");
        let shown = s.wait_log("[rewrite:trace3]", 2);
        assert_eq!(shown, expect, "{level:?}: {}", s.log_text());
        if expect {
            let text = s.log_text();
            assert!(
                text.contains("applying pattern '^/a$' to uri '/a'"),
                "{text}"
            );
            assert!(
                text.contains("[rewrite:trace2]") && text.contains("rewrite '/a' -> '/index.html'"),
                "{text}"
            );
        }
    }
}

#[test]
fn t_refuses_what_mod_rewrite_cannot_do_with_the_line() {
    let cases = [
        (
            "RewriteRule ^/p http://backend/ [P]",
            "the [P] flag needs mod_proxy",
        ),
        (
            "RewriteMap m prg:/nonexistent/prog",
            "RewriteMap: file for map m not found",
        ),
        ("RewriteMap m dbm:/x.db", "dbm: maps are not supported"),
        (
            "RewriteCond %{LA-U:REMOTE_USER} x",
            "look-ahead variables (LA-U, LA-F) are not supported",
        ),
        (
            "<Location /x>\nRewriteRule ^ /y\n</Location>",
            "RewriteRule inside <Location> is not supported",
        ),
        (
            "RewriteOptions MergeBase",
            "RewriteOptions MergeBase is not supported",
        ),
        (
            "RewriteBase /x",
            "RewriteBase: only valid in per-directory config files",
        ),
        (
            "RewriteRule ^/a /b [XYZ]",
            "RewriteRule: unknown flag 'xyz'",
        ),
        ("RewriteRule ^/a /b L", "RewriteRule: bad flag delimiters"),
        (
            "RewriteRule ^/(a /b",
            "RewriteRule: cannot compile regular expression '^/(a'",
        ),
        (
            "RewriteRule ^/a /b [R=299]",
            "RewriteRule: invalid HTTP response code '299' for flag 'R'",
        ),
        (
            "RewriteCond %{HTTP_HOST} x [ZZ]",
            "RewriteCond: unknown flag 'zz'",
        ),
        (
            "RewriteMap m int:nothing",
            "RewriteMap: internal map not found",
        ),
        (
            "RewriteMap m txt:/nonexistent/map.txt",
            "RewriteMap: file for map m not found",
        ),
        (
            "RewriteCond expr \"%{REQUEST_URI} =~\"",
            "RewriteCond: cannot compile expression",
        ),
    ];
    for (line, message) in cases {
        let root = Root::new();
        let conf = root.config(&format!(
            "{}{}{line}\n",
            standard_modules(),
            rewrite_modules()
        ));
        let text = std::fs::read_to_string(&conf).unwrap();
        let last = line.lines().find(|l| l.starts_with("Rewrite"));
        let n = text.lines().position(|l| Some(l) == last).unwrap() + 1;
        let out = run(&["-t", "-f", conf.to_str().unwrap()]);
        assert_eq!(out.code, Some(1), "{line}: {}", out.stderr);
        assert!(out.stderr.contains(message), "{line}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!("line {n} of")),
            "{line}: {}",
            out.stderr
        );
    }
}

#[test]
fn t_takes_debians_rewrite_load_and_ifmodule() {
    let root = Root::new();
    let conf = root.config(&format!(
        "{}{}<IfModule mod_rewrite.c>\nRewriteEngine On\n</IfModule>\n\
         <IfModule rewrite_module>\nRewriteRule ^/x /y\n</IfModule>\n\
         <IfModule !mod_rewrite.c>\nBogusDirective\n</IfModule>\n",
        standard_modules(),
        rewrite_modules()
    ));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}
