//! `.htaccess` files against the real server: AllowOverride None (the default) ignores them,
//! All reads them, a class refuses another class's directive with 500 and Apache's log line,
//! AllowOverrideList grants single directives, AccessFileName, a changed file is seen without a
//! restart, and three levels merge in Apache's order with the `<Directory>` and `<Location>`
//! sections. Sections inside a file (`<Files>`, `<FilesMatch>`, `<Limit>`, `<If>`) apply as
//! Apache applies them; `<Directory>` and the other server sections are refused there.

use mapache_tests::*;
use std::time::Duration;

/// Starts a server whose DocumentRoot is `htdocs`, with `body` after the usual lines.
fn start(root: &Root, body: &str) -> Server {
    root.config(&format!(
        "{}StartServers 1\n{}\n",
        standard_modules(),
        body.replace("@", &root.path().display().to_string())
    ));
    Server::start(root, &[])
}

#[test]
fn none_ignores_a_file_and_all_reads_it() {
    let root = Root::new();
    root.write("htdocs/a.txt", b"file a");
    root.write("htdocs/.htaccess", b"Require all denied\n");
    for (conf, status) in [
        ("", 200),
        ("<Directory @/htdocs>\nAllowOverride None\n</Directory>", 200),
        ("<Directory @/htdocs>\nAllowOverride All\n</Directory>", 403),
        ("<Directory @/htdocs>\nAllowOverride AuthConfig\n</Directory>", 403),
        // The most specific section decides.
        (
            "<Directory @/htdocs>\nAllowOverride All\n</Directory>\n<Directory @/htdocs/>\nAllowOverride None\n</Directory>",
            200,
        ),
    ] {
        let s = start(&root, conf);
        assert_eq!(s.get("/a.txt").status, status, "{conf}");
    }
}

#[test]
fn a_directive_of_another_class_or_unknown_is_a_500_with_apaches_line() {
    let root = Root::new();
    root.write("htdocs/opts/a.txt", b"file a");
    root.write(
        "htdocs/opts/.htaccess",
        b"# only file info is granted\nOptions -Indexes\n",
    );
    root.write("htdocs/typo/a.txt", b"file a");
    root.write(
        "htdocs/typo/.htaccess",
        b"ErrorDocument 404 /x.html\nFoo bar\n",
    );
    root.write("htdocs/fine/a.txt", b"file a");
    root.write(
        "htdocs/fine/.htaccess",
        b"ErrorDocument 404 \"from the file\"\n",
    );
    let s = start(
        &root,
        "<Directory @/htdocs>\nAllowOverride FileInfo\n</Directory>",
    );
    let htdocs = root.path().join("htdocs");
    assert_eq!(s.get("/opts/a.txt").status, 500);
    assert!(
        s.wait_log(
            &format!(
                "{}/opts/.htaccess: Options not allowed here",
                htdocs.display()
            ),
            5
        ),
        "{}",
        s.log_text()
    );
    assert!(s.log_text().contains("[core:alert]"), "{}", s.log_text());
    assert_eq!(s.get("/typo/a.txt").status, 500);
    assert!(s.wait_log(
        &format!(
            "{}/typo/.htaccess: Invalid command 'Foo', perhaps misspelled or defined by a module not included in the server configuration",
            htdocs.display()
        ),
        5
    ));
    assert_eq!(s.get("/fine/a.txt").body, b"file a");
    let r = s.get("/fine/nothing");
    assert_eq!((r.status, r.body.as_slice()), (404, &b"from the file"[..]));
}

#[test]
fn allow_override_list_and_access_file_name() {
    let root = Root::new();
    root.write("htdocs/g/.htaccess", b"TestGreeting from-the-file\n");
    root.write("htdocs/g/.config", b"TestGreeting from-the-other-name\n");
    let conf = "<Location /g>\nSetHandler test-greeting\n</Location>\n\
                <Directory @/htdocs>\nAllowOverride None\nAllowOverrideList TestGreeting\n</Directory>";
    let s = start(&root, conf);
    assert_eq!(s.get("/g/x").body, b"from-the-file\n");
    drop(s);
    // TestGreeting belongs to no class: All does not grant it.
    let s = start(
        &root,
        "<Location /g>\nSetHandler test-greeting\n</Location>\n<Directory @/htdocs>\nAllowOverride All\n</Directory>",
    );
    assert_eq!(s.get("/g/x").status, 500);
    assert!(s.wait_log(".htaccess: TestGreeting not allowed here", 5));
    drop(s);
    let s = start(&root, &format!("AccessFileName .config\n{conf}"));
    assert_eq!(s.get("/g/x").body, b"from-the-other-name\n");
}

#[test]
fn a_changed_file_is_seen_without_a_restart() {
    let root = Root::new();
    let file = root.write("htdocs/d/.htaccess", b"ErrorDocument 404 \"first\"\n");
    let s = start(
        &root,
        "<Directory @/htdocs>\nAllowOverride FileInfo\n</Directory>",
    );
    assert_eq!(s.get("/d/nothing").body, b"first");
    assert_eq!(s.get("/d/nothing").body, b"first");
    // A level's look is trusted for a second (htaccess::RECHECK): the edit shows after it.
    let shows =
        |want: &[u8]| wait_until(Duration::from_secs(5), || s.get("/d/nothing").body == want);
    std::fs::write(&file, b"ErrorDocument 404 \"second\"\n").unwrap();
    assert!(shows(b"second"), "the edit is not seen");
    std::fs::write(&file, b"ErrorDocument 404 \"third, longer\"\n").unwrap();
    assert!(shows(b"third, longer"), "the second edit is not seen");
    std::fs::remove_file(&file).unwrap();
    assert!(
        wait_until(Duration::from_secs(5), || String::from_utf8_lossy(
            &s.get("/d/nothing").body
        )
        .contains("<title>404 Not Found</title>")),
        "the removal is not seen"
    );
}

#[test]
fn three_levels_merge_in_apaches_order() {
    let root = Root::new();
    root.write(
        "htdocs/.htaccess",
        b"SetHandler test-config\nTestGreeting level-1\n",
    );
    root.write("htdocs/a/.htaccess", b"TestGreeting level-2\n");
    root.write("htdocs/a/b/.htaccess", b"ErrorDocument 404 /x\n");
    root.write("htdocs/a/b/c/.htaccess", b"TestGreeting level-4\n");
    root.write(
        "htdocs/idx/.htaccess",
        b"SetHandler none\nDirectoryIndex start.html\n",
    );
    root.write("htdocs/idx/start.html", b"the start page");
    let s = start(
        &root,
        "<Directory @/htdocs>\nAllowOverride All\nAllowOverrideList TestGreeting\n</Directory>\n\
         <Directory @/htdocs/a>\nTestGreeting section-2\n</Directory>\n\
         <Directory @/htdocs/a/b/c>\nTestGreeting section-4\n</Directory>\n\
         <Location /a/b/c/loc>\nTestGreeting location\n</Location>",
    );
    // Each level's file after that level's sections; deeper levels after it.
    assert_eq!(s.get("/x?TestGreeting").body, b"level-1\n");
    assert_eq!(s.get("/a/x?TestGreeting").body, b"level-2\n");
    assert_eq!(s.get("/a/b/x?TestGreeting").body, b"level-2\n");
    assert_eq!(s.get("/a/b/x?ErrorDocument").body, b"404 /x\n");
    assert_eq!(s.get("/a/b/c/x?TestGreeting").body, b"level-4\n");
    assert_eq!(s.get("/a/b/c/loc?TestGreeting").body, b"location\n");
    // A directive modules read from the file (mod-static's DirectoryIndex).
    assert_eq!(s.get("/idx/").body, b"the start page");
}

#[test]
fn allow_override_outside_directory_sections() {
    let root = Root::new();
    let conf = root.config(&format!("{}AllowOverride All\n", standard_modules()));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr.contains("AllowOverride not allowed here"),
        "{}",
        out.stderr
    );
    let conf = root.config(&format!(
        "{}<Directory /tmp>\nAllowOverride Bogus\n</Directory>\n",
        standard_modules()
    ));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert!(
        out.stderr.contains("Illegal override option Bogus"),
        "{}",
        out.stderr
    );
    // In <Location>: Apache's warning, and the line has no effect.
    let conf = root.config(&format!(
        "{}<Location /x>\nAllowOverride All\n</Location>\n",
        standard_modules()
    ));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("AH00114: Useless use of AllowOverride in line"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_modules_typed_configuration_is_made_and_merged_for_a_file() {
    let root = Root::new();
    root.write("htdocs/t/a.mine", b"mine");
    root.write("htdocs/t/u/b.mine", b"mine too");
    root.write("htdocs/t/u/c.other", b"other");
    root.write("htdocs/t/.htaccess", b"AddType text/x-mine .mine\n");
    root.write("htdocs/t/u/.htaccess", b"AddType text/x-other .other\n");
    let s = start(
        &root,
        "<Directory @/htdocs>\nAllowOverrideList AddType\n</Directory>",
    );
    assert_eq!(
        s.get("/t/a.mine").header("Content-Type"),
        Some("text/x-mine")
    );
    // The deeper file's object merged over the upper one's.
    assert_eq!(
        s.get("/t/u/b.mine").header("Content-Type"),
        Some("text/x-mine")
    );
    assert_eq!(
        s.get("/t/u/c.other").header("Content-Type"),
        Some("text/x-other")
    );
}

#[test]
fn nonfatal_skips_unknown_and_refused_lines_with_apaches_warnings() {
    let root = Root::new();
    root.write(
        "htdocs/n/.htaccess",
        b"Foo bar\nOptions -Indexes\nErrorDocument 404 \"still read\"\n",
    );
    let s = start(
        &root,
        "<Directory @/htdocs>\nAllowOverride FileInfo Nonfatal=All\n</Directory>",
    );
    let r = s.get("/n/nothing");
    assert_eq!((r.status, r.body.as_slice()), (404, &b"still read"[..]));
    assert!(s.wait_log(
        "AH02296: Unknown directive foo perhaps misspelled or defined by a module not included in the server configuration",
        5
    ));
    assert!(s.wait_log(
        "AH02295: Options in .htaccess forbidden by AllowOverride",
        5
    ));
}

/// The status of `method path` with an empty body.
fn status_of(s: &Server, method: &str, path: &str) -> u16 {
    let raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    parse_responses(&s.exchange(raw.as_bytes()), false)[0].status
}

#[test]
fn files_and_files_match_in_a_file_deny_the_names_they_take() {
    let root = Root::new();
    for name in [
        "wp-config.php",
        "index.html",
        "debug.log",
        "dump.sql",
        "x.env",
        "notes.txt",
    ] {
        root.write(&format!("htdocs/blog/{name}"), b"content");
    }
    root.write(
        "htdocs/blog/.htaccess",
        b"<Files wp-config.php>\nRequire all denied\n</Files>\n          <FilesMatch \"\\.(env|log)$\">\nRequire all denied\n</FilesMatch>\n          <Files ~ \"\\.sql$\">\nRequire all denied\n</Files>\n",
    );
    let s = start(
        &root,
        "<Directory @/htdocs>\nAllowOverride All\n</Directory>",
    );
    for (url, status) in [
        ("/blog/wp-config.php", 403),
        ("/blog/debug.log", 403),
        ("/blog/x.env", 403),
        ("/blog/dump.sql", 403),
        ("/blog/index.html", 200),
        ("/blog/notes.txt", 200),
    ] {
        assert_eq!(s.get(url).status, status, "{url}");
    }
}

#[test]
fn a_files_section_of_a_file_merges_after_the_configurations_files() {
    let root = Root::new();
    root.write("htdocs/d/a.txt", b"a");
    root.write("htdocs/d/b.txt", b"b");
    // The configuration's <Files> (top level and in the <Directory>) say granted; the file's
    // <Files> comes after them and decides.
    root.write(
        "htdocs/d/.htaccess",
        b"<Files a.txt>\nRequire all denied\n</Files>\n",
    );
    let s = start(
        &root,
        "<Files a.txt>\nRequire all granted\n</Files>\n         <Directory @/htdocs>\nAllowOverride All\n<Files a.txt>\nRequire all granted\n</Files>\n</Directory>",
    );
    assert_eq!(s.get("/d/a.txt").status, 403);
    assert_eq!(s.get("/d/b.txt").status, 200);
}

#[test]
fn limit_in_a_file_is_for_its_methods_only() {
    let root = Root::new();
    root.write("htdocs/form/a.txt", b"a");
    root.write(
        "htdocs/form/.htaccess",
        b"<Limit POST PUT>\nRequire all denied\n</Limit>\n",
    );
    let s = start(
        &root,
        "<Directory @/htdocs>\nAllowOverride All\n</Directory>",
    );
    assert_eq!(status_of(&s, "GET", "/form/a.txt"), 200);
    assert_eq!(status_of(&s, "POST", "/form/a.txt"), 403);
    assert_eq!(status_of(&s, "PUT", "/form/a.txt"), 403);
    drop(s);
    // <Limit> takes AllowOverride Limit or AuthConfig (Apache's OR_LIMIT|OR_AUTHCFG).
    let s = start(
        &root,
        "<Directory @/htdocs>\nAllowOverride FileInfo\n</Directory>",
    );
    assert_eq!(s.get("/form/a.txt").status, 500);
    assert!(
        s.wait_log("/form/.htaccess: <Limit not allowed here", 5),
        "{}",
        s.log_text()
    );
}

#[test]
fn if_in_a_file_holds_per_request() {
    let root = Root::new();
    root.write("htdocs/i/a.txt", b"a");
    root.write(
        "htdocs/i/.htaccess",
        b"<If \"%{QUERY_STRING} == 'no'\">\nRequire all denied\n</If>\n          <ElseIf \"%{QUERY_STRING} == 'other'\">\nErrorDocument 404 \"from elseif\"\n</ElseIf>\n          <Files b.txt>\n<If \"%{REQUEST_METHOD} == 'GET'\">\nRequire all denied\n</If>\n</Files>\n",
    );
    root.write("htdocs/i/b.txt", b"b");
    let s = start(
        &root,
        "<Directory @/htdocs>\nAllowOverride All\n</Directory>",
    );
    assert_eq!(s.get("/i/a.txt").status, 200);
    assert_eq!(s.get("/i/a.txt?no").status, 403);
    let r = s.get("/i/nothing?other");
    assert_eq!((r.status, r.body.as_slice()), (404, &b"from elseif"[..]));
    // An <If> inside the file's <Files>.
    assert_eq!(s.get("/i/b.txt").status, 403);
}

#[test]
fn server_sections_in_a_file_are_refused_with_apaches_line() {
    let root = Root::new();
    root.write("htdocs/d/.htaccess", b"<Directory /x>\n</Directory>\n");
    root.write("htdocs/l/.htaccess", b"<Location /x>\n</Location>\n");
    root.write(
        "htdocs/v/.htaccess",
        b"<VirtualHost *:80>\n</VirtualHost>\n",
    );
    root.write(
        "htdocs/n/.htaccess",
        b"<Limit POST>\n<Files a>\n</Files>\n</Limit>\n",
    );
    root.write("htdocs/m/.htaccess", b"<Files a.txt>\n</Limit>\n");
    root.write("htdocs/u/.htaccess", b"<Files a.txt>\nRequire all denied\n");
    for d in ["d", "l", "v", "n", "m", "u"] {
        root.write(&format!("htdocs/{d}/a.txt"), b"a");
    }
    let s = start(
        &root,
        "<Directory @/htdocs>\nAllowOverride All\n</Directory>",
    );
    let htdocs = root.path().join("htdocs").display().to_string();
    for (d, line) in [
        ("d", "<Directory not allowed here".to_owned()),
        ("l", "<Location not allowed here".to_owned()),
        ("v", "<VirtualHost not allowed here".to_owned()),
        (
            "n",
            "<Files> cannot occur within <Limit> or <LimitExcept> section".to_owned(),
        ),
        ("m", "Expected </Files> but saw </Limit>".to_owned()),
        (
            "u",
            format!("{htdocs}/u/.htaccess:1: <Files> was not closed."),
        ),
    ] {
        assert_eq!(s.get(&format!("/{d}/a.txt")).status, 500, "{d}");
        let want = format!("{htdocs}/{d}/.htaccess: {line}");
        assert!(s.wait_log(&want, 5), "{want}: {}", s.log_text());
    }
}

#[test]
fn named_groups_of_a_files_match_in_a_file_become_match_variables() {
    let root = Root::new();
    root.write("htdocs/m/report.txt", b"r");
    root.write(
        "htdocs/m/.htaccess",
        b"<FilesMatch \"^(?<stem>[^.]+)\\.txt$\">\n</FilesMatch>\n",
    );
    let s = start(
        &root,
        "CustomLog logs/access_log \"%U stem=%{MATCH_STEM}e\"\n\
         <Directory @/htdocs>\nAllowOverride All\n</Directory>",
    );
    assert_eq!(s.get("/m/report.txt").status, 200);
    let lines = file_lines(&root.path().join("logs/access_log"), 1);
    assert_eq!(lines, ["/m/report.txt stem=report"]);
}
