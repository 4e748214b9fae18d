//! Apache httpd and mapache on the same site and the same `Options`/`<Directory>` lines,
//! compared answer by answer: where they agree, and the places where mapache answers
//! differently on purpose (README, core/README.md):
//! - before any `Options` line Apache follows every symbolic link (`FollowSymLinks`), mapache
//!   only links that stay inside DocumentRoot;
//! - a link into a `<Directory>`-protected directory: Apache matches `<Directory>` against the
//!   name asked for and serves the file once links are followed; mapache matches the directory
//!   the file really is in and refuses it;
//! - a `SetHandler` name no loaded module declares: Apache accepts it at `-t` and serves the
//!   file as if no handler were set; mapache refuses it at `-t`, with its line (a typo in a
//!   handler name must not quietly serve a script's source);
//! - an `AddDefaultCharset` value that is not a charset name (in a section too), and a filter
//!   name no loaded module offers: Apache's `-t` takes them without a word, mapache's refuses
//!   them with their line.
//!
//! Needs Debian's apache2 (`.ci/run` installs it); without it the test says so and passes.

use mapache_tests::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const APACHE: &str = "/usr/sbin/apache2";
const MODULES: &str = "/usr/lib/apache2/modules";

/// Apache in the foreground on a port of its own; stopped (with its children) when dropped.
struct Apache {
    child: Child,
    port: u16,
}

impl Apache {
    fn start(root: &Path, name: &str, body: &str) -> Apache {
        // Apache cannot listen on port 0: take a free port and hand it over.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = root.join(name);
        std::fs::create_dir_all(dir.join("logs")).unwrap();
        let conf = dir.join("httpd.conf");
        // SAFETY: getuid has no preconditions.
        let as_root = unsafe { libc::getuid() } == 0;
        std::fs::write(
            &conf,
            format!(
                "ServerRoot {d}\nServerName 127.0.0.1\nListen 127.0.0.1:{port}\n\
                 PidFile {d}/httpd.pid\nDefaultRuntimeDir {d}\nErrorLog {d}/logs/error_log\n\
                 {user}LoadModule mpm_event_module {MODULES}/mod_mpm_event.so\n\
                 LoadModule authz_core_module {MODULES}/mod_authz_core.so\n{body}\n",
                d = dir.display(),
                user = if as_root {
                    "User www-data\nGroup www-data\n"
                } else {
                    ""
                },
            ),
        )
        .unwrap();
        let child = Command::new(APACHE)
            .args(["-DFOREGROUND", "-f"])
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start apache2");
        let apache = Apache { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "apache2 did not start: {conf:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
        apache
    }

    fn get(&self, path: &str) -> Response {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        parse_responses(&out, false).remove(0)
    }

    fn status(&self, path: &str) -> u16 {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        parse_responses(&out, false)[0].status
    }
}

impl Drop for Apache {
    fn drop(&mut self) {
        // SAFETY: signalling our own child; Apache stops its children on TERM.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && self.child.try_wait().ok().flatten().is_none() {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// www/{public/a.txt, private/secret.txt, pub -> private, out -> ../outside}, outside/x.txt,
/// readable by Apache's www-data children.
fn site(root: &Root) {
    root.write("www/public/a.txt", b"a");
    root.write("www/private/secret.txt", b"s");
    root.write("outside/x.txt", b"x");
    symlink("private", root.path().join("www/pub")).unwrap();
    symlink("../outside", root.path().join("www/out")).unwrap();
    for p in [
        "",
        "www",
        "www/public",
        "www/private",
        "outside",
        "www/public/a.txt",
        "www/private/secret.txt",
        "outside/x.txt",
    ] {
        let mode = if p.ends_with(".txt") { 0o644 } else { 0o755 };
        std::fs::set_permissions(root.path().join(p), std::fs::Permissions::from_mode(mode))
            .unwrap();
    }
}

const URLS: [&str; 5] = [
    "/public/a.txt",
    "/private/secret.txt",
    "/pub/secret.txt",
    "/out/x.txt",
    "//private/./secret.txt",
];

#[test]
fn options_and_directory_answer_as_apache_except_where_mapache_is_stricter() {
    if !Path::new(APACHE).exists() {
        eprintln!("skipped: {APACHE} is not installed");
        return;
    }
    let root = Root::new();
    site(&root);
    let r = root.path().display().to_string();
    let deny = format!("<Directory {r}/www/private>\nRequire all denied\n</Directory>\n");
    // (Options lines, Apache's answers, mapache's answers) for URLS, in order.
    let cases: [(&str, [u16; 5], [u16; 5]); 3] = [
        // No Options line: Apache follows every link and matches the name asked for.
        ("", [200, 403, 200, 200, 403], [200, 403, 403, 403, 403]),
        (
            "Options None\n",
            [200, 403, 403, 403, 403],
            [200, 403, 403, 403, 403],
        ),
        // FollowSymLinks: the link into the protected directory is still refused by mapache.
        (
            "Options FollowSymLinks\n",
            [200, 403, 200, 200, 403],
            [200, 403, 403, 200, 403],
        ),
    ];
    for (i, (options, apache_wants, mapache_wants)) in cases.iter().enumerate() {
        let body = format!("DocumentRoot \"{r}/www/\"\n{deny}{options}");
        let apache = Apache::start(root.path(), &format!("apache{i}"), &body);
        root.config(&format!("{}{body}", standard_modules()));
        let mapache = Server::start(&root, &[]);
        let apache_got: Vec<u16> = URLS.iter().map(|u| apache.status(u)).collect();
        let mapache_got: Vec<u16> = URLS.iter().map(|u| mapache.get(u).status).collect();
        assert_eq!(
            apache_got, apache_wants,
            "apache2 with {options:?} on {URLS:?}"
        );
        assert_eq!(
            mapache_got, mapache_wants,
            "mapache with {options:?} on {URLS:?}"
        );
    }
}

#[test]
fn a_sethandler_nothing_declares_is_ignored_by_apache_and_a_t_error_in_mapache() {
    if !Path::new(APACHE).exists() {
        eprintln!("skipped: {APACHE} is not installed");
        return;
    }
    let root = Root::new();
    site(&root);
    let r = root.path().display().to_string();
    let body = format!(
        "DocumentRoot \"{r}/www/\"\n<Location /public>\nSetHandler no-such-handler\n</Location>\n"
    );
    let apache = Apache::start(root.path(), "apache", &body);
    assert_eq!(
        apache.status("/public/a.txt"),
        200,
        "apache2 starts and serves the file as if no handler were set"
    );
    // mapache with the MPM and mod-static alone, so that no module takes any handler name.
    let static_line = if static_build() {
        "# static_module is built into this mapache".to_owned()
    } else {
        format!(
            "LoadModule static_module {}",
            module("libmod_static.so").display()
        )
    };
    let conf = root.config(&format!(
        "LoadModule mpm_prefork_module {}\n{static_line}\n{body}",
        module("libmpm_prefork.so").display()
    ));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("SetHandler no-such-handler: no loaded module declares a handler"),
        "{}",
        out.stderr
    );
}

#[test]
fn lines_apache_takes_without_a_word_fail_mapache_t() {
    if !Path::new(APACHE).exists() {
        eprintln!("skipped: {APACHE} is not installed");
        return;
    }
    // (the line inside a <Location>, mapache's message)
    let cases = [
        (
            "AddDefaultCharset not/a/charset",
            "AddDefaultCharset takes On, Off or a charset name",
        ),
        (
            "SetOutputFilter DEFLATE",
            "SetOutputFilter: no loaded module offers a filter named DEFLATE",
        ),
    ];
    for (line, message) in cases {
        let root = Root::new();
        let r = root.path().display().to_string();
        std::fs::create_dir_all(root.path().join("htdocs")).unwrap();
        let body = format!("DocumentRoot \"{r}/htdocs\"\n<Location /x>\n{line}\n</Location>\n");
        let apache_conf = root.write(
            "apache.conf",
            format!(
                "ServerRoot {r}\nServerName 127.0.0.1\nListen 127.0.0.1:1\nDefaultRuntimeDir {r}\n\
                 LoadModule mpm_event_module {MODULES}/mod_mpm_event.so\n{body}"
            ),
        );
        let apache = Command::new(APACHE)
            .arg("-t")
            .arg("-f")
            .arg(&apache_conf)
            .output()
            .expect("apache2 -t");
        assert!(
            apache.status.success(),
            "apache2 -t with {line}: {}",
            String::from_utf8_lossy(&apache.stderr)
        );
        let conf = root.config(&format!("{}{body}", standard_modules()));
        let out = run(&["-t", "-f", conf.to_str().unwrap()]);
        assert_eq!(out.code, Some(1), "{line}: {}", out.stderr);
        assert!(out.stderr.contains(message), "{line}: {}", out.stderr);
    }
}

#[test]
fn error_documents_and_htaccess_files_answer_and_log_as_apache() {
    if !Path::new(APACHE).exists() {
        eprintln!("skipped: {APACHE} is not installed");
        return;
    }
    let root = Root::new();
    site(&root);
    root.write(
        "www/public/.htaccess",
        b"ErrorDocument 404 \"gone from public\"\n",
    );
    root.write("www/private/.htaccess", b"Options -Indexes\n");
    root.write("www/typo/.htaccess", b"Foo bar\n");
    root.write("www/typo/a.txt", b"a");
    let r = root.path().display().to_string();
    let body = format!(
        "DocumentRoot \"{r}/www/\"\n<Directory {r}/www>\nAllowOverride FileInfo\n</Directory>\n\
         ErrorDocument 404 /errors/missing.html\n"
    );
    let apache = Apache::start(root.path(), "apache", &body);
    root.config(&format!("{}{body}", standard_modules()));
    let mapache = Server::start(&root, &[]);
    // A text from a .htaccess: the same answer.
    let (a, m) = (
        apache.get("/public/nothing"),
        mapache.get("/public/nothing"),
    );
    assert_eq!((a.status, &a.body), (404, &b"gone from public".to_vec()));
    assert_eq!((m.status, &m.body), (a.status, &a.body));
    // A local document that is missing too: the same note in the canned page.
    let note = |r: &Response| {
        let body = String::from_utf8_lossy(&r.body).into_owned();
        body.find("<p>Additionally").map(|i| body[i..].to_owned())
    };
    let (a, m) = (apache.get("/nothing"), mapache.get("/nothing"));
    assert_eq!(a.status, 404);
    assert_eq!(m.status, 404);
    assert!(note(&a).is_some(), "{:?}", String::from_utf8_lossy(&a.body));
    assert_eq!(note(&m), note(&a));
    // A refused and an unknown directive: 500 and the same line after the file name.
    assert_eq!(apache.status("/private/secret.txt"), 500);
    assert_eq!(mapache.get("/private/secret.txt").status, 500);
    assert_eq!(apache.status("/typo/a.txt"), 500);
    assert_eq!(mapache.get("/typo/a.txt").status, 500);
    let apache_log = root.path().join("apache/logs/error_log");
    for line in [
        format!("{r}/www/private/.htaccess: Options not allowed here"),
        format!("{r}/www/typo/.htaccess: Invalid command 'Foo', perhaps misspelled or defined by a module not included in the server configuration"),
    ] {
        assert!(
            wait_until(Duration::from_secs(5), || std::fs::read_to_string(&apache_log)
                .unwrap_or_default()
                .contains(&line)),
            "apache2 did not log {line:?}"
        );
        assert!(mapache.wait_log(&line, 5), "mapache did not log {line:?}: {}", mapache.log_text());
    }
}
