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

    /// One GET with extra header lines (each ending in CRLF), parsed.
    fn get(&self, path: &str, extra: &str) -> Response {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n"
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

/// Makes `rel` under the root with `data`, readable by Apache's www-data children (directories
/// on the way too).
fn world_readable(root: &Root, rel: &str, data: &[u8]) {
    let path = root.write(rel, data);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d == root.path().parent().unwrap_or(Path::new("/")) {
            break;
        }
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        dir = d.parent();
    }
}

/// mod_mime's lines (Debian's kind) and mod_env/mod_setenvif's on both servers: the same
/// Content-Type, Content-Language and Content-Encoding per file, the same variables per request.
#[test]
fn mime_env_and_setenvif_lines_answer_as_apache() {
    if !Path::new(APACHE).exists() {
        eprintln!("skipped: {APACHE} is not installed");
        return;
    }
    let root = Root::new();
    let files = [
        "a.en.html",
        "b.tar.gz",
        "c.html.bak",
        "d.html.zzz",
        "e.fr.latin1.html",
        "f.es",
        "g.tar.Z.gz",
        "h.zzz",
        "i.pt-br.txt",
        ".png",
        "forced/j.txt",
        "forced/none/k.txt",
        "rm/l.gz",
        "rm/m.en.es",
    ];
    for f in files {
        world_readable(&root, &format!("www/{f}"), b"x");
    }
    let r = root.path().display().to_string();
    let mime = format!(
        "DocumentRoot \"{r}/www/\"\nTypesConfig /etc/mime.types\nDefaultType None\n\
         AddType application/x-gzip .gz .tgz\nAddLanguage en .en\nAddLanguage fr .fr\n\
         RemoveType  es\nAddLanguage es .es\nAddLanguage pt-BR .pt-br\n\
         AddCharset ISO-8859-1   .iso8859-1  .latin1\nAddEncoding x-gzip .gz\nAddEncoding x-compress .Z\n\
         <Directory {r}/www/forced>\nForceType text/x-forced\nDefaultLanguage de\n</Directory>\n\
         <Directory {r}/www/forced/none>\nForceType None\n</Directory>\n\
         <Directory {r}/www/rm>\nRemoveType .gz\nRemoveEncoding gz\nRemoveLanguage .en\n</Directory>\n"
    );
    let env = |log: &Path| {
        format!(
            "LogFormat \"%U a=%{{A}}e b=%{{B}}e c=%{{C}}e d=%{{D}}e e=%{{E}}e f=%{{F}}e g=%{{G}}e h=%{{H}}e\" envtest\n\
             CustomLog {} envtest\n\
             SetEnvIf Request_URI \"x\" B=fromsetenvif\nSetEnv A server\nSetEnv C server-c\n\
             SetEnvIf User-Agent \"^cu(r)l/([0-9])\" D=$1-$2 E\nSetEnvIf ^X-Fo. ^ba F=hdrregex\n\
             SetEnvIf D \"r-\" G=fromD\nSetEnvIfNoCase x-h \"^YES$\" H\n\
             <Location /sub>\nUnsetEnv A B\nSetEnv C sub-c\nSetEnvIf Request_URI \"sub\" !E\n</Location>\n",
            log.display()
        )
    };
    std::fs::create_dir_all(root.path().join("apache/logs")).unwrap();
    let apache_log = root.path().join("apache/logs/env_log");
    let apache = Apache::start(
        root.path(),
        "apache",
        &format!(
            "LoadModule mime_module {MODULES}/mod_mime.so\nLoadModule env_module {MODULES}/mod_env.so\n\
             LoadModule setenvif_module {MODULES}/mod_setenvif.so\n{mime}{}",
            env(&apache_log)
        ),
    );
    let mapache_log = root.path().join("logs/env_log");
    root.config(&format!(
        "{}LoadModule env_module {}\nLoadModule setenvif_module {}\n{mime}{}",
        standard_modules(),
        module("libmod_env.so").display(),
        module("libmod_setenvif.so").display(),
        env(&mapache_log)
    ));
    let mapache = Server::start(&root, &[]);
    let meta = |r: &Response| {
        let h = |n: &str| r.header(n).map(str::to_owned);
        (
            r.status,
            h("Content-Type"),
            h("Content-Language"),
            h("Content-Encoding"),
        )
    };
    for f in files {
        let url = format!("/{f}");
        assert_eq!(
            meta(&mapache.get(&url)),
            meta(&apache.get(&url, "")),
            "{f}: mapache, apache2"
        );
    }
    let requests = [
        ("/x", "User-Agent: curl/7.1\r\n"),
        ("/sub/x", "User-Agent: curl/8\r\nX-Foo: bar\r\nx-h: yes\r\n"),
    ];
    for (path, extra) in requests {
        apache.get(path, extra);
        let raw = format!("GET {path} HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n");
        mapache.exchange(raw.as_bytes());
    }
    // Apache writes its log lines as it goes (no BufferedLogs).
    let apache_lines = file_lines(&apache_log, requests.len() + files.len());
    let mapache_lines = file_lines(&mapache_log, requests.len() + files.len());
    assert_eq!(mapache_lines, apache_lines, "mapache, apache2");
}
