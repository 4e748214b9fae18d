//! mod-alias on the real server, on each MPM:
//! - Alias on segment boundaries (slash runs match), the first matching line winning over a
//!   longer later one, and `<Directory>` applied to the aliased file (a denied one is 403);
//! - AliasMatch with `$1`;
//! - Redirect in each form (default 302, permanent, temp, seeother, gone, a 3xx number,
//!   RedirectPermanent, RedirectTemp, RedirectMatch), the rest of the path escaped and the query
//!   appended, a path target made a full URL from the Host header, redirects before aliases;
//!   Redirect and RedirectMatch inside `<Location>` and `<Directory>`, Redirect in `.htaccess`;
//! - `-t` refusing ScriptAlias (no CGI), a regex the crate cannot express, and Apache's
//!   argument errors, each with its line.

use mapache_tests::*;

fn alias_module() -> String {
    format!(
        "LoadModule alias_module {}\n",
        module("libmod_alias.so").display()
    )
}

/// One GET, parsed.
fn get(s: &Server, path: &str) -> Response {
    let raw = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    parse_responses(&s.exchange(raw.as_bytes()), false)
        .into_iter()
        .next()
        .expect("a response")
}

/// The site and the lines the tests share (also used by apache_compat's side-by-side test).
fn site(root: &Root) -> String {
    root.write("htdocs/index.html", "root");
    root.write("htdocs/ax", "not aliased");
    root.write("al/f.txt", "al");
    root.write("al2/sub/f.txt", "al2");
    root.write("m/x.txt", "m");
    root.write("denied/d.txt", "d");
    root.write("htdocs/dd/f.txt", "dd");
    root.write("htdocs/h/a.txt", "h");
    root.write("htdocs/gd/x", "gd");
    root.write(
        "htdocs/h/.htaccess",
        "Redirect seeother /h/a.txt http://example.com/ha\n",
    );
    let r = root.path().display();
    format!(
        "Alias /a {r}/al\nAlias /a/sub {r}/al2/sub\nAliasMatch ^/m/(.*)\\.html$ {r}/m/$1.txt\n\
         Alias /d {r}/denied\n<Directory {r}/denied>\nRequire all denied\n</Directory>\n\
         Redirect /a/r http://example.com/r\nRedirect permanent /old http://example.com/new\n\
         Redirect /rel /target\nRedirect gone /gone\nRedirect seeother /so http://example.com/so\n\
         Redirect 307 /t7 http://example.com/t7\n\
         RedirectMatch ^/rm/(.*)$ http://example.com/x/$1?q=1\n\
         RedirectTemp /tmp1 http://example.com/tmp\nRedirectPermanent /perm1 http://example.com/perm\n\
         <Location /s>\nRedirect /s/a http://example.com/b\n</Location>\n\
         <Location /one>\nRedirect permanent http://example.com/two\n</Location>\n\
         <Location /three>\nRedirect /x\n</Location>\n\
         <LocationMatch ^/four>\nRedirect 307 http://example.com/four\n</LocationMatch>\n\
         <Directory {r}/htdocs/gd>\nRedirect gone\n</Directory>\n\
         <Directory {r}/htdocs/dd>\nRedirectMatch permanent ^/dd/(.*) http://example.com/dd/$1\n</Directory>\n\
         <Directory {r}/htdocs/h>\nAllowOverride FileInfo\n</Directory>\n"
    )
}

#[test]
fn aliases_and_redirects_on_each_mpm() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        let lines = site(&root);
        root.config(&format!("{}{}{lines}", modules_for(mpm), alias_module()));
        let s = Server::start(&root, &[]);
        // (path, status, body or Location)
        let cases: &[(&str, u16, &str)] = &[
            ("/a/f.txt", 200, "al"),
            ("/a//f.txt", 200, "al"),
            // The first matching Alias wins, not the longest.
            ("/a/sub/f.txt", 404, ""),
            // Not a segment boundary: DocumentRoot's file.
            ("/ax", 200, "not aliased"),
            ("/m/x.html", 200, "m"),
            ("/d/d.txt", 403, ""),
            ("/", 200, "root"),
            // Redirects are tried before aliases.
            ("/a/r/x", 302, "http://example.com/r/x"),
            ("/old/p%20q?z=1", 301, "http://example.com/new/p%20q?z=1"),
            ("/old", 301, "http://example.com/new"),
            ("/oldx", 404, ""),
            ("/rel/y?k", 302, "http://t/target/y?k"),
            ("/gone/x", 410, ""),
            ("/so", 303, "http://example.com/so"),
            ("/t7", 307, "http://example.com/t7"),
            ("/rm/a%20b?w=2", 302, "http://example.com/x/a%20b?q=1"),
            ("/tmp1", 302, "http://example.com/tmp"),
            ("/perm1/z", 301, "http://example.com/perm/z"),
            // In sections: tried in fixups, as Apache's fixup_redir.
            ("/s/a/x?q=2", 302, "http://example.com/b/x?q=2"),
            ("/s/b", 404, ""),
            // Without a URL-path in a section: every request of it, to the URL as it is.
            ("/one", 301, "http://example.com/two"),
            ("/one/sub?q=1", 301, "http://example.com/two?q=1"),
            ("/oneX", 404, ""),
            ("/three/a", 302, "http://t/x"),
            ("/four/z", 307, "http://example.com/four"),
            ("/gd/x", 410, ""),
            ("/dd/f.txt", 301, "http://example.com/dd/f.txt"),
            // In .htaccess (AllowOverride FileInfo).
            ("/h/a.txt", 303, "http://example.com/ha"),
        ];
        for &(path, status, want) in cases {
            let r = get(&s, path);
            assert_eq!(r.status, status, "{mpm} {path}: {r:?}");
            if (300..400).contains(&status) {
                assert_eq!(r.header("Location"), Some(want), "{mpm} {path}");
            } else if status == 200 {
                assert_eq!(r.body, want.as_bytes(), "{mpm} {path}");
            }
        }
    });
}

#[test]
fn t_refuses_what_mod_alias_cannot_do_with_the_line() {
    let cases = [
        (
            "ScriptAlias /cgi-bin/ /usr/lib/cgi-bin/",
            "ScriptAlias: mapache does not run CGI scripts",
        ),
        (
            "ScriptAliasMatch ^/cgi-bin/(.*) /usr/lib/cgi-bin/$1",
            "ScriptAliasMatch: mapache does not run CGI scripts",
        ),
        (
            "AliasMatch ^/(?!x)(.*) /tmp/$1",
            "AliasMatch regex could not be compiled",
        ),
        (
            "Redirect gone /g http://example.com/",
            "Redirect URL not valid for this status",
        ),
        ("Redirect /r relative", "Redirect to non-URL"),
        (
            "<Location /x>\nRedirect permanent\n</Location>",
            "URL to redirect to is missing",
        ),
        (
            "Redirect bogus /r http://example.com/",
            "Redirect: invalid first argument (of three)",
        ),
    ];
    for (line, message) in cases {
        let root = Root::new();
        let conf = root.config(&format!("{}{}{line}\n", standard_modules(), alias_module()));
        let text = std::fs::read_to_string(&conf).unwrap();
        let last = line
            .lines()
            .find(|l| l.starts_with("Redirect") || !l.starts_with('<'));
        let n = text.lines().position(|l| Some(l) == last).unwrap() + 1;
        let out = run(&["-t", "-f", conf.to_str().unwrap()]);
        assert_eq!(out.code, Some(1), "{line}: {}", out.stderr);
        assert!(out.stderr.contains(message), "{line}: {}", out.stderr);
        // Where: the file and the line of the directive.
        assert!(
            out.stderr
                .contains(&format!("Syntax error on line {n} of {}", conf.display())),
            "{line}: {}",
            out.stderr
        );
    }
}
