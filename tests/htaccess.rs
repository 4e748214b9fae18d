//! `.htaccess` files against the real server: AllowOverride None (the default) ignores them,
//! All reads them, a class refuses another class's directive with 500 and Apache's log line,
//! AllowOverrideList grants single directives, AccessFileName, a changed file is seen without a
//! restart, and three levels merge in Apache's order with the `<Directory>` and `<Location>`
//! sections.

use mapache_tests::*;

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
    std::fs::write(&file, b"ErrorDocument 404 \"second\"\n").unwrap();
    assert_eq!(s.get("/d/nothing").body, b"second");
    std::fs::write(&file, b"ErrorDocument 404 \"third, longer\"\n").unwrap();
    assert_eq!(s.get("/d/nothing").body, b"third, longer");
    std::fs::remove_file(&file).unwrap();
    let r = s.get("/d/nothing");
    assert!(String::from_utf8_lossy(&r.body).contains("<title>404 Not Found</title>"));
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
