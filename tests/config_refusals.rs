//! Lines Apache users write that mapache cannot honour are refused at `-t` with their file and
//! line and what to do, rather than read and silently not done.

use mapache_tests::*;

/// Runs `-t` on the standard configuration plus `lines`; the message of the one-line error,
/// which must name the file and the `nth` (1-based) of `lines`.
fn refused_at(lines: &str, nth: usize) -> String {
    let root = Root::new();
    let conf = root.config(&format!("{}{lines}", standard_modules()));
    let text = std::fs::read_to_string(&conf).unwrap();
    let first = text
        .lines()
        .position(|l| l == lines.lines().next().unwrap())
        .unwrap()
        + nth;
    let out = run(&["-t", "-f", &conf.display().to_string()]);
    assert_eq!(out.code, Some(1), "{lines}: {}", out.stderr);
    let stderr = out.stderr.trim().to_owned();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    let at = format!("Syntax error on line {first} of {}: ", conf.display());
    assert!(stderr.contains(&at), "{lines}: expected '{at}' in {stderr}");
    stderr.split_once(&at).unwrap().1.to_owned()
}

fn refused(lines: &str) -> String {
    refused_at(lines, 1)
}

fn accepted(lines: &str) {
    let root = Root::new();
    let conf = root.config(&format!("{}{lines}", standard_modules()));
    let out = run(&["-t", "-f", &conf.display().to_string()]);
    assert_eq!(out.code, Some(0), "{lines}: {}", out.stderr);
}

#[test]
fn listen_with_a_protocol_no_module_speaks() {
    assert_eq!(
        refused("Listen 127.0.0.1:0 https\n"),
        "Listen 127.0.0.1:0 https: no loaded module provides https (TLS is mod_ssl's job and \
         mapache has no TLS module yet: terminate TLS in a proxy in front)"
    );
    assert_eq!(
        refused("Listen 127.0.0.1:0 ftp\n"),
        "Listen 127.0.0.1:0 ftp: no loaded module provides ftp"
    );
    accepted("Listen 127.0.0.1:0 http\n");
}

#[test]
fn loglevel_for_a_module_not_loaded() {
    for form in ["ssl", "ssl_module", "mod_ssl.c"] {
        let msg = refused(&format!("LogLevel warn {form}:info\n"));
        assert!(
            msg.starts_with(&format!("Cannot find module {form} (")),
            "{form}: {msg}"
        );
    }
    // The core's modules, a loaded module in each form Apache accepts, and an Apache name a
    // loaded module declares.
    accepted(
        "LogLevel warn core:info http:debug core_module:info mod_unixd.c:warn \
         mpm_prefork:info mpm_prefork_module:debug test_handlers:info \
         example_hooks:debug mod_example_hooks.c:info\n",
    );
}

#[test]
fn loglevel_for_a_module_changes_that_modules_level() {
    let root = Root::new();
    root.config(&format!(
        "{}LogLevel warn mod_mpm_prefork.c:debug\n",
        standard_modules()
    ));
    let server = Server::start(&root, &[]);
    assert!(
        server.wait_log("[mpm_prefork:debug]", 10),
        "{}",
        server.log_text()
    );
}

#[test]
fn apache_2_2_access_control_names_its_replacement() {
    let msg = refused_at(
        "<Directory />\nOrder allow,deny\nAllow from all\n</Directory>\n",
        2,
    );
    assert!(
        msg.contains("Apache 2.2's mod_access_compat") && msg.contains("Require all granted"),
        "{msg}"
    );
    for (line, replacement) in [
        ("Allow from 10.0.0.0/8", "Require ip 10.0.0.0/8"),
        ("Deny from all", "Require all denied"),
        ("Satisfy Any", "<RequireAny>"),
    ] {
        let msg = refused_at(&format!("<Location />\n{line}\n</Location>\n"), 2);
        assert!(msg.contains(replacement), "{line}: {msg}");
    }
}

#[test]
fn options_are_checked_in_every_scope() {
    let root = Root::new();
    let dir = root.path().join("htdocs").display().to_string();
    for scope in [
        (String::new(), String::new()),
        (
            format!("<Directory \"{dir}\">\n"),
            "</Directory>\n".to_owned(),
        ),
        ("<Location /x>\n".to_owned(), "</Location>\n".to_owned()),
    ] {
        let (open, close) = &scope;
        let nth = if open.is_empty() { 1 } else { 2 };
        let msg = refused_at(&format!("{open}Options -Indexs\n{close}"), nth);
        assert_eq!(msg, "Illegal option Indexs", "{open}");
        let msg = refused_at(
            &format!("{open}Options -Indexes FollowSymLinks\n{close}"),
            nth,
        );
        assert_eq!(
            msg, "Either all Options must start with + or -, or no Option may.",
            "{open}"
        );
        accepted(&format!("{open}Options -Indexes +FollowSymLinks\n{close}"));
    }
}
