//! Apache's sections on the real binary: `<Files>` (wildcards), `<FilesMatch>`, `<Files ~>`,
//! `<LocationMatch>`, `<Location ~>`, `<DirectoryMatch>`, `<Directory ~>`, merged in Apache's
//! order (which one wins when several set the same directive), the usual deny blocks (Debian's
//! `^\.ht`, `.git`, `*.sql`, `wp-config.php`), the `MATCH_<NAME>` variables of named groups
//! as the access log sees them (`%{MATCH_NAME}e`), and `-t` refusing what Apache refuses, with
//! the file and line.

use mapache_tests::*;

/// A site under htdocs with the files the tests ask for.
fn site(root: &Root) {
    for f in [
        "htdocs/index.html",
        "htdocs/a/x.txt",
        "htdocs/a/y.html",
        "htdocs/b/x.txt",
        "htdocs/.htpasswd",
        "htdocs/repo/.git/config",
        "htdocs/repo/readme.txt",
        "htdocs/dump.sql",
        "htdocs/.env",
        "htdocs/blog/wp-config.php",
        "htdocs/blog/index.php",
    ] {
        root.write(f, f);
    }
}

/// The greeting `test-greeting` answers for `path`.
fn greeting(s: &Server, path: &str) -> String {
    let r = s.get(path);
    assert_eq!(r.status, 200, "{path}: {r:?}");
    String::from_utf8_lossy(&r.body).trim().to_owned()
}

#[test]
fn each_kind_applies_and_later_kinds_override_earlier_ones() {
    let root = Root::new();
    site(&root);
    let docs = format!("{}/htdocs", root.path().display());
    // Written in the reverse of the merge order, so file order alone cannot explain the result.
    root.config(&format!(
        "{}StartServers 1\nSetHandler test-greeting\nTestGreeting server\n\
         <LocationMatch \"^/a/.*\\.txt$\">\nTestGreeting locationmatch\n</LocationMatch>\n\
         <Location /a>\nTestGreeting location\n</Location>\n\
         <Location ~ \"^/b/\">\nTestGreeting location-tilde\n</Location>\n\
         <FilesMatch \"\\.html$\">\nTestGreeting filesmatch\n</FilesMatch>\n\
         <Files \"*.txt\">\nTestGreeting files\n</Files>\n\
         <DirectoryMatch \"/b/\">\nTestGreeting directorymatch\n</DirectoryMatch>\n\
         <Directory {docs}/b>\nTestGreeting directory-b\n<Files x.txt>\nTestGreeting files-in-b\n</Files>\n</Directory>\n\
         <Directory {docs}>\nTestGreeting directory\n</Directory>\n\
         <Directory ~ \"/blog/\">\nTestGreeting directory-tilde\n</Directory>\n\
         <Files ~ \"^index\\.php$\">\nTestGreeting files-tilde\n</Files>\n",
        modules_for("prefork")
    ));
    let s = Server::start(&root, &[]);
    // Directory only.
    assert_eq!(greeting(&s, "/index.html"), "filesmatch");
    assert_eq!(greeting(&s, "/dump.sql"), "directory");
    // Regex directory after the plain one.
    assert_eq!(greeting(&s, "/blog/wp-config.php"), "directory-tilde");
    // Files after any directory.
    assert_eq!(greeting(&s, "/blog/index.php"), "files-tilde");
    // The Files inside <Directory b> comes after the top-level ones, and Location after all.
    assert_eq!(greeting(&s, "/b/x.txt"), "location-tilde");
    // Location then LocationMatch in file order: the LocationMatch comes first in the file.
    assert_eq!(greeting(&s, "/a/x.txt"), "location");
    assert_eq!(greeting(&s, "/a/y.html"), "location");
    assert_eq!(greeting(&s, "/repo/readme.txt"), "files");
}

#[test]
fn files_inside_a_directory_apply_only_with_it() {
    let root = Root::new();
    site(&root);
    let docs = format!("{}/htdocs", root.path().display());
    root.config(&format!(
        "{}StartServers 1\nSetHandler test-greeting\nTestGreeting server\n\
         <Directory {docs}/b>\n<Files x.txt>\nTestGreeting files-in-b\n</Files>\n</Directory>\n\
         <DirectoryMatch /b/>\nTestGreeting directorymatch\n</DirectoryMatch>\n",
        modules_for("prefork")
    ));
    let s = Server::start(&root, &[]);
    assert_eq!(greeting(&s, "/b/x.txt"), "files-in-b");
    assert_eq!(greeting(&s, "/a/x.txt"), "server");
}

#[test]
fn the_usual_deny_blocks_work() {
    let root = Root::new();
    site(&root);
    root.config(&format!(
        "{}StartServers 1\n\
         <FilesMatch \"^\\.ht\">\n    Require all denied\n</FilesMatch>\n\
         <DirectoryMatch \"/\\.git\">\n    Require all denied\n</DirectoryMatch>\n\
         <FilesMatch \"\\.(sql|env)$\">\n    Require all denied\n</FilesMatch>\n\
         <Files wp-config.php>\n    Require all denied\n</Files>\n\
         <Files .env>\n    Require all denied\n</Files>\n",
        modules_for("prefork")
    ));
    let s = Server::start(&root, &[]);
    for denied in [
        "/.htpasswd",
        "/repo/.git/config",
        "/dump.sql",
        "/.env",
        "/blog/wp-config.php",
    ] {
        assert_eq!(s.get(denied).status, 403, "{denied}");
    }
    for allowed in ["/index.html", "/repo/readme.txt", "/blog/index.php"] {
        assert_eq!(s.get(allowed).status, 200, "{allowed}");
    }
    assert!(s.wait_log("client denied by server configuration", 5));
}

#[test]
fn named_groups_become_match_variables_in_the_log() {
    let root = Root::new();
    site(&root);
    root.config(&format!(
        "{}StartServers 1\n\
         CustomLog logs/access_log \"%U site=%{{MATCH_SITE}}e file=%{{MATCH_STEM}}e dir=%{{MATCH_TOP}}e\"\n\
         <LocationMatch \"^/(?<site>[a-z]+)/\">\n</LocationMatch>\n\
         <FilesMatch \"^(?<stem>[^.]+)\\.\">\n</FilesMatch>\n\
         <DirectoryMatch \"htdocs/(?<Top>[^/]+)/\">\n</DirectoryMatch>\n",
        modules_for("prefork")
    ));
    let s = Server::start(&root, &[]);
    assert_eq!(s.get("/blog/index.php").status, 200);
    assert_eq!(s.get("/index.html").status, 200);
    let lines = file_lines(&root.path().join("logs/access_log"), 2);
    assert_eq!(
        lines,
        [
            "/blog/index.php site=blog file=index dir=blog",
            "/index.html site=- file=index dir=-"
        ]
    );
}

/// `mapache -t` on `body` fails with `want` at `line` of the config (the header is 4 lines).
fn refused(body: &str, line: u32, want: &str) {
    let root = Root::new();
    let conf = root.config(&format!("{}{body}", modules_for("prefork")));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_ne!(out.code, Some(0), "{body}");
    let at = format!("line {} of {}", line + 7, conf.display());
    assert!(
        out.stderr.contains(&at) && out.stderr.contains(want),
        "{body:?}: want {at}: {want}, got {}",
        out.stderr
    );
}

#[test]
fn t_refuses_what_apache_refuses_with_file_and_line() {
    refused(
        "<Directory /x>\n<Location /a>\n</Location>\n</Directory>",
        2,
        "<Location not allowed in <Directory> context",
    );
    refused(
        "<LocationMatch /x>\n<Files a>\n</Files>\n</LocationMatch>",
        2,
        "<Files> cannot occur within <LocationMatch> section",
    );
    refused(
        "<FilesMatch \"(unclosed\">\n</FilesMatch>",
        1,
        "Regex could not be compiled: (unclosed: missing closing parenthesis",
    );
    refused(
        "<Files ~ \"[\">\n</Files>",
        1,
        "Regex could not be compiled",
    );
    refused(
        "<Files a b>\n</Files>",
        1,
        "Multiple <Files> arguments not (yet) supported.",
    );
    refused(
        "<FilesMatch x>\nListen 80\n</FilesMatch>",
        2,
        "Listen not allowed in <FilesMatch> context",
    );
}

/// The status of `method path` (with an empty body).
fn status_of(s: &Server, method: &str, path: &str) -> u16 {
    let raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    parse_responses(&s.exchange(raw.as_bytes()), method == "HEAD")
        .first()
        .map(|r| r.status)
        .expect("a response")
}

#[test]
fn limit_and_limitexcept_restrict_require_to_methods() {
    let root = Root::new();
    site(&root);
    root.config(&format!(
        "{}StartServers 1\nSetHandler test-greeting\n\
         <Location /a>\n<Limit POST PUT>\nRequire all denied\nTestGreeting inside-limit-location\n</Limit>\n</Location>\n\
         <Location /b>\n<LimitExcept GET>\nRequire all denied\n</LimitExcept>\n</Location>\n",
        modules_for("prefork")
    ));
    let s = Server::start(&root, &[]);
    assert_eq!(status_of(&s, "GET", "/a/x.txt"), 200);
    assert_eq!(status_of(&s, "POST", "/a/x.txt"), 403);
    assert_eq!(status_of(&s, "PUT", "/a/x.txt"), 403);
    assert_eq!(status_of(&s, "DELETE", "/a/x.txt"), 200);
    assert_eq!(status_of(&s, "GET", "/b/x.txt"), 200);
    assert_eq!(status_of(&s, "HEAD", "/b/x.txt"), 200);
    assert_eq!(status_of(&s, "POST", "/b/x.txt"), 403);
    assert_eq!(status_of(&s, "OPTIONS", "/b/x.txt"), 403);
    // Directives other than Require inside <Limit> apply to every method (GET here).
    assert_eq!(greeting(&s, "/a/x.txt"), "inside-limit-location");
}

/// The greeting for `GET path` with the `Host` and extra header lines given.
fn greeting_with(s: &Server, path: &str, host: &str, extra: &str) -> String {
    let raw = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n");
    let r = parse_responses(&s.exchange(raw.as_bytes()), false)
        .into_iter()
        .next()
        .expect("a response");
    assert_eq!(r.status, 200, "{path} {host} {extra}: {r:?}");
    String::from_utf8_lossy(&r.body).trim().to_owned()
}

#[test]
fn if_elseif_else_chains_apply_last() {
    let root = Root::new();
    site(&root);
    let docs = format!("{}/htdocs", root.path().display());
    root.config(&format!(
        "{}StartServers 1\nSetHandler test-greeting\nTestGreeting server\n\
         <If \"%{{HTTP_HOST}} == 'a.test'\">\nTestGreeting if-a\n</If>\n\
         <ElseIf \"req('X-Mode') in {{'beta', 'gamma'}}\">\nTestGreeting elseif-mode\n</ElseIf>\n\
         <Else>\nTestGreeting else\n</Else>\n\
         <Location /a>\nTestGreeting location\n\
         <If \"%{{QUERY_STRING}} =~ /^v=(\\d+)$/ && $1 -ge 2\">\nTestGreeting location-if\n</If>\n\
         </Location>\n\
         <Directory {docs}/b>\n<If \"-f %{{REQUEST_FILENAME}} && ! -d %{{REQUEST_FILENAME}}\">\nTestGreeting b-file\n</If>\n</Directory>\n\
         <If \"%{{REQUEST_URI}} =~ m#^/blog/# && %{{REMOTE_ADDR}} -ipmatch '127.0.0.0/8'\">\nRequire all denied\n</If>\n",
        modules_for("prefork")
    ));
    let s = Server::start(&root, &[]);
    assert_eq!(greeting_with(&s, "/index.html", "a.test", ""), "if-a");
    assert_eq!(
        greeting_with(&s, "/index.html", "a.test", "X-Mode: beta\r\n"),
        "if-a",
        "the first branch that holds ends the chain"
    );
    assert_eq!(
        greeting_with(&s, "/index.html", "b.test", "X-Mode: gamma\r\n"),
        "elseif-mode"
    );
    assert_eq!(greeting_with(&s, "/index.html", "b.test", ""), "else");
    // <If> comes after <Location>: the top-level Else overrides the Location, and the
    // Location's own If (with its regex group) overrides both.
    assert_eq!(greeting_with(&s, "/a/x.txt?v=1", "b.test", ""), "else");
    assert_eq!(
        greeting_with(&s, "/a/x.txt?v=3", "b.test", ""),
        "location-if"
    );
    // A condition inside a Directory is evaluated when that Directory applies.
    assert_eq!(greeting_with(&s, "/b/x.txt", "b.test", ""), "b-file");
    assert_eq!(greeting_with(&s, "/b/missing.txt", "b.test", ""), "else");
    // Require inside an <If>.
    assert_eq!(s.get("/blog/index.php").status, 403);
    assert_eq!(s.get("/repo/readme.txt").status, 200);
}

#[test]
fn t_refuses_bad_conditions_with_file_and_line() {
    refused(
        "<If \"%{FOO} == 1\">\n</If>",
        1,
        "Cannot parse condition clause: Variable 'FOO' does not exist",
    );
    refused(
        "<If \"%{HTTP_HOST} == 'a' &&\">\n</If>",
        1,
        "Cannot parse condition clause: syntax error, unexpected end of expression",
    );
    refused(
        "ServerName x\n<Else>\n</Else>",
        2,
        "<Else> or <ElseIf> section without previous <If> or <ElseIf> section in same scope",
    );
    refused(
        "<If \"true\">\n</If>\n<Else \"x\">\n</Else>",
        3,
        "<Else> does not take an argument",
    );
    refused(
        "<If \"true\">\n<Files x>\n</Files>\n</If>",
        2,
        "<Files> inside <If> would never apply",
    );
    refused(
        "<Location /a>\n<Limit GET>\n<If \"true\">\n</If>\n</Limit>\n</Location>",
        3,
        "<If> cannot occur within <Limit> or <LimitExcept> section",
    );
    refused(
        "<If \"true\">\nDocumentRoot /x\n</If>",
        2,
        "DocumentRoot not allowed in <If> context",
    );
}

#[test]
fn wildcards_in_directory_and_location_paths() {
    let root = Root::new();
    site(&root);
    let docs = format!("{}/htdocs", root.path().display());
    root.config(&format!(
        "{}StartServers 1\nSetHandler test-greeting\nTestGreeting server\n\
         <Directory \"{docs}/*/.git\">\nTestGreeting any-git\n</Directory>\n\
         <Location \"/a/*.html\">\nTestGreeting html-in-a\n</Location>\n",
        modules_for("prefork")
    ));
    let s = Server::start(&root, &[]);
    assert_eq!(greeting(&s, "/repo/.git/config"), "any-git");
    assert_eq!(greeting(&s, "/repo/readme.txt"), "server");
    assert_eq!(greeting(&s, "/a/y.html"), "html-in-a");
    assert_eq!(greeting(&s, "/a/x.txt"), "server");
}
