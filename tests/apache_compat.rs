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
//! Sections of every kind (`<Directory>`, `<DirectoryMatch>`, `<Files>`, `<FilesMatch>`,
//! `<Location>`, `<LocationMatch>`, `<If>`) merge in Apache's order: the same answers; so do
//! those inside `.htaccess` files, and the ones refused there are refused with its line.
//!
//! mod_alias's lines (Alias, AliasMatch, every Redirect form, RedirectMatch, Redirect in sections): the
//! same status, Location and file body (redirect and error pages are each server's own text).
//!
//! mod_headers's lines (HSTS, CSP, `always` and `onsuccess` on 200, 304, 206, 302, 403, 404,
//! 500 and an ErrorDocument's page, append, merge, env=, edit, edit*, echo, RequestHeader,
//! sections merged): the same status and the same values of those headers.
//!
//! mod_remoteip's lines (X-Forwarded-For through internal proxies from a list file and trusted
//! ones, private and bad addresses): the same `Require ip` outcome, `REMOTE_ADDR`, and access
//! log line (`%a`, `%{c}a`, `%h`, the rewritten header, `RemoteIPProxiesHeader`, the note).
//!
//! Basic authentication (mod-auth against Apache's five modules): the same status,
//! WWW-Authenticate, body, `%u` and failure log lines (Apache's text and level, without its AH
//! numbers); where they differ: credentials with an empty user name are `""` in Apache's `%u`,
//! `-` in mapache's.
//!
//! mod_deflate's and mod_brotli's lines (AddOutputFilterByType for both, no-gzip,
//! gzip-only-text/html, AddEncoding'd files, tiny bodies, Accept-Encoding with q-values): the
//! same status, Content-Encoding, Vary, ETag, Content-Type and decoded body. Two differences
//! on purpose: a Range request gets the identity bytes it asked for from mapache (Apache ranges
//! its compressed stream), and a compressed HEAD carries no Content-Length in mapache (Apache
//! compresses the body it does not send to count it); and mapache's own error pages pass the
//! filters as every response does (Apache's skip the content filters), so they are compressed
//! where their type is listed.
//!
//! mod_rewrite's real rule sets (rewrite_site.rs: WordPress, Laravel, Symfony, Drupal, the
//! canonical-host and https redirects, a maintenance switch, one line per flag): the same
//! status, Location, file body, Set-Cookie and forced Content-Type.
//!
//! Needs Debian's apache2 (`.ci/run` installs it); without it the test says so and passes.

use mapache_tests::*;

#[path = "headers_site.rs"]
mod headers_site;
#[path = "remoteip_site.rs"]
mod remoteip_site;
#[path = "rewrite_site.rs"]
mod rewrite_site;
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
        self.get_from("t", path, extra)
    }

    /// [`Apache::get`] with another Host.
    fn get_from(&self, host: &str, path: &str, extra: &str) -> Response {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        parse_responses(&out, false).remove(0)
    }

    fn status(&self, path: &str) -> u16 {
        self.status_of("GET", path)
    }

    fn status_of(&self, method: &str, path: &str) -> u16 {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
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
fn sections_merge_in_apaches_order_as_apache_does() {
    if !Path::new(APACHE).exists() {
        eprintln!("skipped: {APACHE} is not installed");
        return;
    }
    let root = Root::new();
    site(&root);
    for f in ["www/public/b.txt", "www/.htpasswd", "www/top.txt"] {
        root.write(f, b"f");
        std::fs::set_permissions(root.path().join(f), std::fs::Permissions::from_mode(0o644))
            .unwrap();
    }
    let r = root.path().display().to_string();
    // Each line's Require replaces the one before it (AuthMerging Off): the status tells
    // which section was merged last. Written against the merge order.
    let body = format!(
        "DocumentRoot \"{r}/www/\"\n\
         <If \"%{{QUERY_STRING}} == 'deny'\">\nRequire all denied\n</If>\n\
         <Location /private>\nRequire all granted\n</Location>\n\
         <LocationMatch \"^/public/b\">\nRequire all granted\n</LocationMatch>\n\
         <FilesMatch \"^\\.ht\">\nRequire all denied\n</FilesMatch>\n\
         <Files a.txt>\nRequire all granted\n</Files>\n\
         <DirectoryMatch \"/www/public/\">\nRequire all denied\n</DirectoryMatch>\n\
         <Directory {r}/www/private>\nRequire all denied\n</Directory>\n\
         <Directory {r}/www>\nRequire all granted\n</Directory>\n"
    );
    let urls = [
        "/top.txt",
        "/public/a.txt",
        "/public/b.txt",
        "/.htpasswd",
        "/private/secret.txt",
        "/private/secret.txt?deny",
    ];
    let wants = [200, 200, 200, 403, 200, 403];
    let apache = Apache::start(root.path(), "apache", &body);
    root.config(&format!("{}{body}", standard_modules()));
    let mapache = Server::start(&root, &[]);
    let apache_got: Vec<u16> = urls.iter().map(|u| apache.status(u)).collect();
    let mapache_got: Vec<u16> = urls.iter().map(|u| mapache.get(u).status).collect();
    assert_eq!(apache_got, wants, "apache2 on {urls:?}");
    assert_eq!(mapache_got, wants, "mapache on {urls:?}");
}

#[test]
fn require_expr_answers_as_apache() {
    if !Path::new(APACHE).exists() {
        eprintln!("skipped: {APACHE} is not installed");
        return;
    }
    let root = Root::new();
    site(&root);
    let r = root.path().display().to_string();
    let body = format!(
        "DocumentRoot \"{r}/www/\"\n\
         <Directory {r}/www>\nRequire all granted\n</Directory>\n\
         <Location /public>\nRequire expr \"%{{QUERY_STRING}} =~ /^key=(open|ajar)$/\"\n</Location>\n\
         <Location /private>\n<RequireAll>\nRequire expr \"-R '127.0.0.0/8'\"\n\
         Require expr \"!(%{{HTTP_USER_AGENT}} -strmatch '*bot*')\"\n</RequireAll>\n</Location>\n"
    );
    let asks = [
        ("/public/a.txt?key=open", "curl"),
        ("/public/a.txt?key=ajar", "curl"),
        ("/public/a.txt?key=shut", "curl"),
        ("/public/a.txt", "curl"),
        ("/private/secret.txt", "curl"),
        ("/private/secret.txt", "a-bot/1"),
    ];
    let apache = Apache::start(root.path(), "apache", &body);
    root.config(&format!("{}{body}", standard_modules()));
    let mapache = Server::start(&root, &[]);
    let apache_got: Vec<u16> = asks
        .iter()
        .map(|(p, ua)| apache.get(p, &format!("User-Agent: {ua}\r\n")).status)
        .collect();
    let mapache_got: Vec<u16> = asks
        .iter()
        .map(|(p, ua)| {
            let raw = format!(
                "GET {p} HTTP/1.1\r\nHost: t\r\nUser-Agent: {ua}\r\nConnection: close\r\n\r\n"
            );
            parse_responses(&mapache.exchange(raw.as_bytes()), false)[0].status
        })
        .collect();
    assert_eq!(
        apache_got,
        [200, 200, 403, 403, 200, 403],
        "apache2 on {asks:?}"
    );
    assert_eq!(mapache_got, apache_got, "mapache and apache2 on {asks:?}");
}

#[test]
fn limit_and_limitexcept_answer_as_apache() {
    if !Path::new(APACHE).exists() {
        eprintln!("skipped: {APACHE} is not installed");
        return;
    }
    let root = Root::new();
    site(&root);
    let r = root.path().display().to_string();
    let body = format!(
        "DocumentRoot \"{r}/www/\"\n\
         <Directory {r}/www>\nRequire all granted\n</Directory>\n\
         <Location /public>\n<Limit DELETE PUT>\nRequire all denied\n</Limit>\n</Location>\n\
         <Location /private>\n<LimitExcept GET>\nRequire all denied\n</LimitExcept>\n</Location>\n"
    );
    let asks = [
        ("GET", "/public/a.txt"),
        ("HEAD", "/public/a.txt"),
        ("DELETE", "/public/a.txt"),
        ("PUT", "/public/a.txt"),
        ("GET", "/private/secret.txt"),
        ("HEAD", "/private/secret.txt"),
        ("DELETE", "/private/secret.txt"),
    ];
    let apache = Apache::start(root.path(), "apache", &body);
    root.config(&format!("{}{body}", standard_modules()));
    let mapache = Server::start(&root, &[]);
    let status = |m: &str, p: &str| {
        let raw = format!(
            "{m} {p} HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        parse_responses(&mapache.exchange(raw.as_bytes()), m == "HEAD")[0].status
    };
    let apache_got: Vec<u16> = asks.iter().map(|(m, p)| apache.status_of(m, p)).collect();
    let mapache_got: Vec<u16> = asks.iter().map(|(m, p)| status(m, p)).collect();
    assert_eq!(mapache_got, apache_got, "mapache and apache2 on {asks:?}");
    assert_eq!(apache_got[2], 403);
    assert_eq!(apache_got[6], 403);
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

/// Debian's autoindex.conf lines (without its `<IfModule>` and the `/icons/` alias).
const DEBIAN_AUTOINDEX: &str =
    "IndexOptions FancyIndexing VersionSort HTMLTable NameWidth=* DescriptionWidth=* Charset=UTF-8
AddIconByEncoding (CMP,/icons/compressed.gif) x-compress x-gzip x-bzip2
AddIconByType (TXT,/icons/text.gif) text/*
AddIconByType (IMG,/icons/image2.gif) image/*
AddIconByType (SND,/icons/sound2.gif) audio/*
AddIconByType (VID,/icons/movie.gif) video/*
AddIcon /icons/binary.gif .bin .exe
AddIcon /icons/binhex.gif .hqx
AddIcon /icons/tar.gif .tar
AddIcon /icons/world2.gif .wrl .wrl.gz .vrml .vrm .iv
AddIcon /icons/compressed.gif .Z .z .tgz .gz .zip
AddIcon /icons/a.gif .ps .ai .eps
AddIcon /icons/layout.gif .html .shtml .htm .pdf
AddIcon /icons/text.gif .txt
AddIcon /icons/c.gif .c
AddIcon /icons/p.gif .pl .py
AddIcon /icons/f.gif .for
AddIcon /icons/dvi.gif .dvi
AddIcon /icons/uuencoded.gif .uu
AddIcon /icons/script.gif .conf .sh .shar .csh .ksh .tcl
AddIcon /icons/tex.gif .tex
AddIcon /icons/bomb.gif /core
AddIcon (SND,/icons/sound2.gif) .ogg
AddIcon (VID,/icons/movie.gif) .ogm
AddIcon /icons/back.gif ..
AddIcon /icons/hand.right.gif README
AddIcon /icons/folder.gif ^^DIRECTORY^^
AddIcon /icons/blank.gif ^^BLANKICON^^
AddIcon /icons/odf6odt-20x22.png .odt
DefaultIcon /icons/unknown.gif
ReadmeName README.html
HeaderName HEADER.html
IndexIgnore .??* *~ *# RCS CVS *,v *,t
";

/// Sets the modification time of `path` (a file or a directory).
fn set_mtime(path: &Path, secs: i64) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    let t = libc::timespec {
        tv_sec: secs as libc::time_t,
        tv_nsec: 0,
    };
    // SAFETY: a NUL-terminated path and two timespecs, valid for the call.
    let rc = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), [t, t].as_ptr(), 0) };
    assert_eq!(rc, 0, "utimensat {path:?}");
}

/// Directory listings under mod_autoindex's directives (Debian's autoindex.conf, the plain
/// list, FancyIndexing's columns, HTMLTable with a style sheet), sorted by each column both
/// ways, and with the client's `F=`, `V=` and `P=`: mapache's page is Apache's, byte for byte.
#[test]
fn directory_listings_are_apaches_pages() {
    if !Path::new(APACHE).exists() {
        eprintln!("skipped: {APACHE} is not installed");
        return;
    }
    let root = Root::new();
    let files: [(&str, &[u8]); 14] = [
        ("a.txt", b"hello\n"),
        ("b.html", b"<p>\n"),
        ("file10.gz", &[0; 3000]),
        ("file9.tar", b"xy"),
        ("x~", b"#x\n"),
        (".hidden", b"z\n"),
        ("README.html", b"<p>README here</p>\n"),
        ("HEADER.html", b"<h2>Header</h2>\n"),
        ("Zed & <b>.c", b"q\n"),
        ("x:y", b"1"),
        ("a-very-long-file-name-that-goes-on.txt", b"long"),
        ("notes.en.txt.gz", &[1; 1500]),
        ("sub/inner.txt", b"i"),
        ("CVS/Entries", b""),
    ];
    let mut at = 1_577_934_245; // 2020-01-02 03:04:05 UTC, then a minute per file
    for (name, data) in files {
        world_readable(&root, &format!("www/idx/{name}"), data);
    }
    for (name, _) in files {
        at += 60;
        set_mtime(&root.path().join(format!("www/idx/{name}")), at);
    }
    for d in ["www/idx/sub", "www/idx/CVS"] {
        at += 60;
        set_mtime(&root.path().join(d), at);
    }
    let r = root.path().display().to_string();
    let common = format!(
        "DocumentRoot \"{r}/www/\"\nTypesConfig /etc/mime.types\nAddType application/x-gzip .gz .tgz\n\
         AddEncoding x-gzip .gz\nAddLanguage en .en\n<Directory \"{r}/www/idx\">\nOptions Indexes\n</Directory>\n"
    );
    let variants = [
        ("debian", DEBIAN_AUTOINDEX.to_owned()),
        ("plain", "IndexOptions Charset=UTF-8\n".to_owned()),
        (
            "fancy",
            "IndexOptions FancyIndexing IconsAreLinks Charset=UTF-8 FoldersFirst\n\
             AddIcon /i/t.gif .txt\nDefaultIcon /i/def.gif\nAddIcon /i/blank.gif ^^BLANKICON^^\n\
             AddIconByEncoding (CMP,/i/cmp.gif) x-gzip\n\
             AddDescription \"A long description <b>bold</b> that is much longer than twenty-three\" *.txt\n\
             AddDescription \"tar <ball>\" file9\nIndexIgnore *~\nIndexOrderDefault Descending Size\n"
                .to_owned(),
        ),
        (
            "table",
            "IndexOptions HTMLTable NameWidth=10 DescriptionWidth=15 SuppressLastModified Charset=UTF-8 IgnoreCase SuppressHTMLPreamble\n\
             IndexStyleSheet /s.css\nIndexHeadInsert \"<meta name=\\\"x\\\" content=\\\"y\\\">\"\n\
             AddAlt \"C source\" *.c\nAddIcon /i/c.gif .c\nAddDescription \"the sub directory\" sub\n\
             ReadmeName README.html\nIndexOptions +SuppressSize\n"
                .to_owned(),
        ),
        // + and - in a section change the server's flags; in the scope that has flags of its
        // own they are forgotten (the server's +SuppressDescription).
        (
            "sections",
            format!(
                "IndexOptions FancyIndexing SuppressSize Charset=UTF-8\nIndexOptions +SuppressDescription\n\
                 <Directory \"{r}/www/idx\">\nIndexOptions +HTMLTable -SuppressSize +IconsAreLinks\n\
                 AddIcon /i/t.gif .txt\n</Directory>\n"
            ),
        ),
    ];
    let queries = [
        "",
        "?C=N;O=D",
        "?C=M;O=A",
        "?C=M;O=D",
        "?C=S;O=A",
        "?C=S;O=D",
        "?C=D;O=A",
        "?C=D;O=D",
        // The format, version sort and pattern arguments, and what Apache makes of junk.
        "?C=S;O=D;F=1;V=0;P=*.t*",
        "?F=0",
        "?F=2&P=a*",
        "?P=.*",
        "?C=Q;O=D",
        "?O=D;junk;C=S",
    ];
    for (name, lines) in variants {
        let body = format!("{common}{lines}");
        let apache = Apache::start(
            root.path(),
            &format!("apache-{name}"),
            &format!(
                "LoadModule mime_module {MODULES}/mod_mime.so\nLoadModule autoindex_module {MODULES}/mod_autoindex.so\n{body}"
            ),
        );
        root.config(&format!("{}{body}", standard_modules()));
        let mapache = Server::start(&root, &[]);
        for q in queries {
            let url = format!("/idx/{q}");
            let want = apache.get(&url, "");
            let got = mapache.get(&url);
            assert_eq!(got.status, want.status, "{name} {url}");
            assert_eq!(
                got.header("Content-Type"),
                want.header("Content-Type"),
                "{name} {url}"
            );
            assert_eq!(
                String::from_utf8_lossy(&got.body),
                String::from_utf8_lossy(&want.body),
                "{name} {url}: mapache, apache2"
            );
        }
    }
}

/// Debian's stock mods-available files for the modules mapache's crates stand for pass `-t`
/// as they ship (mime.conf's `AddHandler type-map var` names mod-negotiation's handler).
#[test]
fn debians_mime_autoindex_setenvif_and_dir_files_pass_config_test() {
    let dir = Path::new("/etc/apache2/mods-available");
    if !dir.join("mime.conf").exists() {
        eprintln!("skipped: Debian's {} is not installed", dir.display());
        return;
    }
    let root = Root::new();
    let conf = root.config(&format!(
        "{}LoadModule env_module {}\nLoadModule setenvif_module {}\n\
         LoadModule negotiation_module {}\nInclude {d}/mime.conf\n\
         Include {d}/autoindex.conf\nInclude {d}/setenvif.conf\nInclude {d}/dir.conf\n\
         Include {d}/negotiation.conf\n",
        standard_modules(),
        module("libmod_env.so").display(),
        module("libmod_setenvif.so").display(),
        module("libmod_negotiation.so").display(),
        d = dir.display()
    ));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
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
        apache.get("/public/nothing", ""),
        mapache.get("/public/nothing"),
    );
    assert_eq!((a.status, &a.body), (404, &b"gone from public".to_vec()));
    assert_eq!((m.status, &m.body), (a.status, &a.body));
    // A local document that is missing too: the same note in the canned page.
    let note = |r: &Response| {
        let body = String::from_utf8_lossy(&r.body).into_owned();
        body.find("<p>Additionally").map(|i| body[i..].to_owned())
    };
    let (a, m) = (apache.get("/nothing", ""), mapache.get("/nothing"));
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

#[test]
fn sections_in_htaccess_files_answer_and_log_as_apache() {
    if !Path::new(APACHE).exists() {
        eprintln!("skipped: {APACHE} is not installed");
        return;
    }
    let root = Root::new();
    site(&root);
    for name in [
        "wp-config.php",
        "index.html",
        "debug.log",
        "x.env",
        "dump.sql",
    ] {
        root.write(&format!("www/h/{name}"), b"content");
    }
    root.write(
        "www/h/.htaccess",
        b"<Files wp-config.php>\nRequire all denied\n</Files>\n\
          <FilesMatch \"\\.(env|log)$\">\nRequire all denied\n</FilesMatch>\n\
          <Files ~ \"\\.sql$\">\nRequire all denied\n</Files>\n\
          <Limit POST>\nRequire all denied\n</Limit>\n\
          <If \"%{QUERY_STRING} == 'no'\">\nRequire all denied\n</If>\n",
    );
    root.write("www/d/a.txt", b"a");
    root.write("www/d/.htaccess", b"<Directory /x>\n</Directory>\n");
    root.write("www/n/a.txt", b"a");
    root.write(
        "www/n/.htaccess",
        b"<Limit POST>\n<Files a.txt>\n</Files>\n</Limit>\n",
    );
    // Under FileInfo only: Require inside <Files> is refused naming the section; under
    // AuthConfig, <Limit> is allowed.
    root.write("www/fi/a.txt", b"a");
    root.write(
        "www/fi/.htaccess",
        b"<Files a.txt>\nRequire all denied\n</Files>\n",
    );
    root.write("www/au/a.txt", b"a");
    root.write(
        "www/au/.htaccess",
        b"<Limit POST>\nRequire all denied\n</Limit>\n",
    );
    for p in ["www/h", "www/d", "www/n", "www/fi", "www/au"] {
        std::fs::set_permissions(root.path().join(p), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    let r = root.path().display().to_string();
    let body = format!(
        "DocumentRoot \"{r}/www/\"\n<Directory {r}/www>\nAllowOverride All\n</Directory>\n\
         <Directory {r}/www/fi>\nAllowOverride FileInfo\n</Directory>\n\
         <Directory {r}/www/au>\nAllowOverride AuthConfig\n</Directory>\n"
    );
    let apache = Apache::start(root.path(), "apache", &body);
    root.config(&format!("{}{body}", standard_modules()));
    let mapache = Server::start(&root, &[]);
    for (method, url) in [
        ("GET", "/fi/a.txt"),
        ("GET", "/au/a.txt"),
        ("POST", "/au/a.txt"),
        ("GET", "/h/wp-config.php"),
        ("GET", "/h/index.html"),
        ("GET", "/h/debug.log"),
        ("GET", "/h/x.env"),
        ("GET", "/h/dump.sql"),
        ("POST", "/h/index.html"),
        ("GET", "/h/index.html?no"),
        ("GET", "/d/a.txt"),
        ("GET", "/n/a.txt"),
    ] {
        let raw = format!(
            "{method} {url} HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let m = parse_responses(&mapache.exchange(raw.as_bytes()), false)[0].status;
        assert_eq!(m, apache.status_of(method, url), "{method} {url}");
    }
    let apache_log = root.path().join("apache/logs/error_log");
    for line in [
        format!("{r}/www/d/.htaccess: <Directory not allowed here"),
        format!(
            "{r}/www/n/.htaccess: <Files> cannot occur within <Limit> or <LimitExcept> section"
        ),
        format!("{r}/www/fi/.htaccess: Require not allowed in <Files> context"),
    ] {
        assert!(
            wait_until(Duration::from_secs(5), || std::fs::read_to_string(
                &apache_log
            )
            .unwrap_or_default()
            .contains(&line)),
            "apache2 did not log {line:?}"
        );
        assert!(
            mapache.wait_log(&line, 5),
            "mapache did not log {line:?}: {}",
            mapache.log_text()
        );
    }
}

/// mod_negotiation's type maps and MultiViews on both servers: the same variant chosen, with
/// the same Vary, TCN, Content-Location and Content-Language, and the same 406 (Alternates and
/// page; MultiViews' list is compared by status only, since Apache lists in directory order).
#[test]
fn type_maps_and_multiviews_negotiate_as_apache() {
    if !Path::new(APACHE).exists() {
        eprintln!("skipped: {APACHE} is not installed");
        return;
    }
    let root = Root::new();
    let files: [(&str, &str); 12] = [
        ("none/t.en-us.html", "us\n"),
        ("none/t.en-gb.html", "gb\n"),
        (
            "none/t.var",
            "URI: t.en-us.html\nContent-Type: text/html\nContent-Language: en-us\n\n\
             URI: t.en-gb.html\nContent-Type: text/html\nContent-Language: en-gb\n",
        ),
        ("tm/a.html", "<p>html</p>\n"),
        ("tm/a.txt", "plain\n"),
        (
            "tm/a.var",
            "URI: a\n\nURI: a.html\nContent-Type: text/html; qs=0.8\n\n\
             URI: a.txt\nContent-Type: text/plain; qs=0.5\nDescription: plain text\n",
        ),
        ("tm/l.en.html", "hello en\n"),
        ("tm/l.de.html", "hallo de\n"),
        (
            "tm/l.var",
            "URI: l.en.html\nContent-Type: text/html\nContent-Language: en\n\n\
             URI: l.de.html\nContent-Type: text/html\nContent-Language: de\n",
        ),
        ("mv/doc.en.html", "hello en\n"),
        ("mv/doc.de.html", "hallo de\n"),
        ("mv/doc.fr.txt", "bonjour\n"),
    ];
    for (f, data) in files {
        world_readable(&root, &format!("www/{f}"), data.as_bytes());
    }
    let r = root.path().display().to_string();
    let lines = format!(
        "DocumentRoot \"{r}/www/\"\nTypesConfig /etc/mime.types\nAddHandler type-map var\n\
         AddLanguage en .en\nAddLanguage de .de\nAddLanguage fr .fr\nLanguagePriority de en fr\n\
         <Directory {r}/www/mv>\nOptions +MultiViews\n</Directory>\n\
         <Directory {r}/www/none>\nForceLanguagePriority None\nLanguagePriority en-gb\n</Directory>\n"
    );
    let apache = Apache::start(
        root.path(),
        "apache",
        &format!(
            "LoadModule mime_module {MODULES}/mod_mime.so\n\
             LoadModule negotiation_module {MODULES}/mod_negotiation.so\n{lines}"
        ),
    );
    root.config(&format!(
        "{}LoadModule negotiation_module {}\n{lines}",
        standard_modules(),
        module("libmod_negotiation.so").display()
    ));
    let mapache = Server::start(&root, &[]);
    let asks = [
        ("/tm/a.var", ""),
        ("/tm/a.var", "Accept: text/plain\r\n"),
        ("/tm/a.var", "Accept: text/*, text/html;q=0.1\r\n"),
        ("/tm/a.var", "Accept: text/plain, */*\r\n"),
        ("/tm/a.var", "Accept: image/png\r\n"),
        ("/tm/l.var", ""),
        ("/tm/l.var", "Accept-Language: en\r\n"),
        ("/tm/l.var", "Accept-Language: de;q=0.2, en;q=0.3\r\n"),
        ("/tm/l.var", "Accept-Language: en-US\r\n"),
        ("/tm/l.var", "Accept-Language: fr\r\n"),
        ("/mv/doc", ""),
        ("/mv/doc", "Accept-Language: en\r\n"),
        ("/mv/doc", "Accept: text/plain\r\n"),
        (
            "/mv/doc",
            "Accept: text/html, text/plain;q=0.5\r\nAccept-Language: fr\r\n",
        ),
        ("/mv/doc", "Accept: image/png\r\n"),
        ("/mv/nothing", ""),
        // A tie under ForceLanguagePriority None: the first variant (no 300).
        ("/none/t.var", "Accept-Language: en\r\n"),
        ("/none/t.var", "Accept-Language: fr, *\r\n"),
    ];
    for (path, extra) in asks {
        let seen = |resp: Response| {
            let h = |n: &str| resp.header(n).map(str::to_owned);
            let multiviews_list = resp.status == 406 && path.starts_with("/mv");
            (
                resp.status,
                h("Content-Type"),
                h("Content-Language"),
                h("Content-Location"),
                h("Vary"),
                h("TCN"),
                if multiviews_list {
                    None
                } else {
                    h("Alternates")
                },
                (resp.status != 404 && !multiviews_list)
                    .then(|| String::from_utf8_lossy(&resp.body).into_owned()),
            )
        };
        assert_eq!(
            seen({
                let raw =
                    format!("GET {path} HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n");
                parse_responses(&mapache.exchange(raw.as_bytes()), false).remove(0)
            }),
            seen(apache.get(path, extra)),
            "{path} {extra:?}: mapache, apache2"
        );
    }
}

#[test]
fn aliases_and_redirects_answer_as_apache() {
    if !Path::new(APACHE).exists() {
        eprintln!("skipped: {APACHE} is not installed");
        return;
    }
    let root = Root::new();
    for (f, data) in [
        ("htdocs/index.html", "root"),
        ("htdocs/ax", "not aliased"),
        ("al/f.txt", "al"),
        ("al2/sub/f.txt", "al2"),
        ("m/x.txt", "m"),
        ("denied/d.txt", "d"),
        ("htdocs/dd/f.txt", "dd"),
        ("htdocs/h/a.txt", "h"),
        ("htdocs/gd/x", "gd"),
        (
            "htdocs/h/.htaccess",
            "Redirect seeother /h/a.txt http://example.com/ha\n",
        ),
    ] {
        root.write(f, data);
    }
    let r = root.path().display().to_string();
    for p in [
        "",
        "htdocs",
        "htdocs/dd",
        "htdocs/gd",
        "al",
        "al2",
        "al2/sub",
        "m",
        "denied",
    ] {
        let p = root.path().join(p);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let lines = format!(
        "DocumentRoot {r}/htdocs\n\
         Alias /a {r}/al\nAlias /a/sub {r}/al2/sub\nAliasMatch ^/m/(.*)\\.html$ {r}/m/$1.txt\n\
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
    );
    let apache = Apache::start(
        root.path(),
        "apache",
        &format!("LoadModule alias_module {MODULES}/mod_alias.so\n{lines}"),
    );
    root.config(&format!(
        "{}LoadModule alias_module {}\n{lines}",
        standard_modules(),
        module("libmod_alias.so").display()
    ));
    let mapache = Server::start(&root, &[]);
    let urls = [
        "/a/f.txt",
        "/a//f.txt",
        "/a/sub/f.txt",
        "/ax",
        "/m/x.html",
        "/d/d.txt",
        "/index.html",
        "/a/r/x",
        "/old/p%20q?z=1",
        "/old",
        "/oldx",
        "/rel/y?k",
        "/gone/x",
        "/so",
        "/t7",
        "/rm/a%20b?w=2",
        "/tmp1",
        "/perm1/z",
        "/s/a/x?q=2",
        "/s/b",
        "/one",
        "/one/sub?q=1",
        "/oneX",
        "/three/a",
        "/four/z",
        "/gd/x",
        "/dd/f.txt",
        "/h/a.txt",
    ];
    let ask = |get: &dyn Fn(&str) -> Response| -> Vec<(u16, Option<String>, Vec<u8>)> {
        urls.iter()
            .map(|u| {
                let r = get(u);
                // Error and redirect pages are each server's own text; a file's body is compared.
                let body = if r.status == 200 {
                    r.body.clone()
                } else {
                    Vec::new()
                };
                (r.status, r.header("Location").map(str::to_owned), body)
            })
            .collect()
    };
    let apache_got = ask(&|u| apache.get(u, ""));
    let mapache_got = ask(&|u| {
        let raw = format!("GET {u} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        parse_responses(&mapache.exchange(raw.as_bytes()), false).remove(0)
    });
    assert_eq!(mapache_got, apache_got, "mapache, apache2 on {urls:?}");
}

/// mod_expires's lines on both servers (ExpiresDefault, ExpiresByType exact and `image/*`,
/// access and modification codes in both syntaxes, a section with `ExpiresActive Off`, an
/// `.htaccess` under `AllowOverride Indexes`, a 404): the same status, `Cache-Control` and
/// `Expires` − `Date` per request.
#[test]
fn expiry_headers_answer_as_apache() {
    if !Path::new(APACHE).exists() {
        eprintln!("skipped: {APACHE} is not installed");
        return;
    }
    let root = Root::new();
    for f in ["a.html", "s.css", "off/a.html", "ht/s.css", "ht/a.html"] {
        world_readable(&root, &format!("www/{f}"), b"x\n");
    }
    world_readable(
        &root,
        "www/ht/.htaccess",
        b"ExpiresByType text/css \"access plus 2 minutes\"\nExpiresDefault M30\n",
    );
    world_readable(&root, "www/i.png", b"png");
    let day_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 86_400;
    set_mtime(&root.path().join("www/i.png"), day_ago);
    set_mtime(&root.path().join("www/ht/a.html"), day_ago);
    let r = root.path().display().to_string();
    let lines = format!(
        "DocumentRoot \"{r}/www/\"\nTypesConfig /etc/mime.types\n\
         AddType text/html .html\nAddType text/css .css\nAddType image/png .png\n\
         ExpiresActive On\nExpiresDefault \"access plus 1 hour 30 minutes\"\n\
         ExpiresByType text/css A60\nExpiresByType image/* \"modification plus 2 days\"\n\
         <Directory \"{r}/www/off\">\nExpiresActive Off\n</Directory>\n\
         <Directory \"{r}/www/ht\">\nAllowOverride Indexes\n</Directory>\n"
    );
    let apache = Apache::start(
        root.path(),
        "apache",
        &format!(
            "LoadModule mime_module {MODULES}/mod_mime.so\n\
             LoadModule expires_module {MODULES}/mod_expires.so\n{lines}"
        ),
    );
    root.config(&format!(
        "{}LoadModule expires_module {}\n{lines}",
        standard_modules(),
        module("libmod_expires.so").display()
    ));
    let mapache = Server::start(&root, &[]);
    let date = |r: &Response, name: &str| r.header(name).and_then(mod_expires::http_date::parse);
    // Status, Cache-Control and Expires − Date (each server's own clock reading).
    let meta = |r: &Response| {
        (
            r.status,
            r.header("Cache-Control").map(str::to_owned),
            date(r, "Expires").zip(date(r, "Date")).map(|(e, d)| e - d),
        )
    };
    for url in [
        "/a.html",
        "/s.css",
        "/i.png",
        "/off/a.html",
        "/ht/s.css",
        "/ht/a.html",
        "/missing.html",
    ] {
        assert_eq!(
            meta(&mapache.get(url)),
            meta(&apache.get(url, "")),
            "{url}: mapache, then apache"
        );
    }
}

/// mod_headers's lines on both servers (headers_site.rs): per request, the status, the values
/// of every header the lines touch, and whether a Server header is there.
#[test]
fn header_lines_answer_as_apache() {
    if !Path::new(APACHE).exists() {
        eprintln!("skipped: {APACHE} is not installed");
        return;
    }
    let root = Root::new();
    for f in headers_site::FILES {
        world_readable(&root, &format!("www/{f}"), format!("{f}\n").as_bytes());
    }
    world_readable(&root, "www/bad/.htaccess", b"BogusDirective x\n");
    world_readable(&root, "www/ht/.htaccess", headers_site::HTACCESS.as_bytes());
    let docs = root.path().join("www").display().to_string();
    let lines = format!("DocumentRoot \"{docs}\"\n{}", headers_site::lines(&docs));
    let apache = Apache::start(
        root.path(),
        "apache",
        &format!(
            "LoadModule alias_module {MODULES}/mod_alias.so\n\
             LoadModule env_module {MODULES}/mod_env.so\n\
             LoadModule expires_module {MODULES}/mod_expires.so\n\
             LoadModule headers_module {MODULES}/mod_headers.so\n{lines}"
        ),
    );
    root.config(&format!(
        "{}LoadModule alias_module {}\nLoadModule env_module {}\nLoadModule expires_module {}\nLoadModule headers_module {}\n{lines}",
        standard_modules(),
        module("libmod_alias.so").display(),
        module("libmod_env.so").display(),
        module("libmod_expires.so").display(),
        module("libmod_headers.so").display()
    ));
    let mapache = Server::start(&root, &[]);
    let mapache_get = |path: &str, extra: &str| {
        let raw = format!("GET {path} HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n");
        parse_responses(&mapache.exchange(raw.as_bytes()), false).remove(0)
    };
    let meta = |r: &Response| {
        let mut out = vec![r.status.to_string()];
        for name in [
            "Strict-Transport-Security",
            "Content-Security-Policy",
            "X-On",
            "X-Al",
            "Vary",
            "Cache-Control",
            "Set-Cookie",
            "Location",
            "X-Forwarded-Proto",
            "X-Scope",
            "X-Expr",
            "X-Not-Sub",
            "X-Ht",
        ] {
            out.push(format!("{name}: {:?}", headers_site::all(r, name)));
        }
        out.push(format!("Server: {}", r.header("Server").is_some()));
        out
    };
    let since = |r: Response| {
        format!(
            "If-Modified-Since: {}\r\n",
            r.header("Last-Modified").unwrap()
        )
    };
    let requests = [
        ("/a.txt", String::new(), String::new()),
        (
            "/a.txt",
            since(mapache_get("/a.txt", "")),
            since(apache.get("/a.txt", "")),
        ),
        (
            "/a.txt",
            "Range: bytes=0-1\r\n".into(),
            "Range: bytes=0-1\r\n".into(),
        ),
        ("/sub/x.txt", String::new(), String::new()),
        ("/ht/x.txt", String::new(), String::new()),
        ("/nocache/x.txt", String::new(), String::new()),
        ("/missing", String::new(), String::new()),
        ("/denied/x", String::new(), String::new()),
        ("/old", String::new(), String::new()),
        ("/bad/x.txt", String::new(), String::new()),
        ("/withdoc/missing", String::new(), String::new()),
    ];
    for (url, ours, theirs) in &requests {
        assert_eq!(
            meta(&mapache_get(url, ours)),
            meta(&apache.get(url, theirs)),
            "{url} {ours}: mapache, then apache"
        );
    }
}

/// mod_remoteip's lines on both servers (remoteip_site.rs): per request the status and
/// `REMOTE_ADDR`, then the access log lines.
#[test]
fn remoteip_lines_answer_and_log_as_apache() {
    if !Path::new(APACHE).exists() {
        eprintln!("skipped: {APACHE} is not installed");
        return;
    }
    let root = Root::new();
    for d in ["public", "lan", "local"] {
        world_readable(&root, &format!("www/{d}/a.txt"), b"a\n");
    }
    world_readable(&root, "proxies.list", remoteip_site::LIST.as_bytes());
    let list = root.path().join("proxies.list").display().to_string();
    let docs = root.path().join("www").display().to_string();
    let apache_log = root.path().join("apache/logs/remote.log");
    let mapache_log = root.path().join("logs/remote.log");
    let apache = Apache::start(
        root.path(),
        "apache",
        &format!(
            "LoadModule authz_host_module {MODULES}/mod_authz_host.so\n\
             LoadModule remoteip_module {MODULES}/mod_remoteip.so\n\
             LoadModule headers_module {MODULES}/mod_headers.so\n\
             DocumentRoot \"{docs}\"\n{}",
            remoteip_site::lines(&list, apache_log.to_str().unwrap())
        ),
    );
    root.config(&format!(
        "{}LoadModule remoteip_module {}\nLoadModule headers_module {}\nDocumentRoot \"{docs}\"\n{}",
        standard_modules(),
        module("libmod_remoteip.so").display(),
        module("libmod_headers.so").display(),
        remoteip_site::lines(&list, mapache_log.to_str().unwrap())
    ));
    let mapache = Server::start(&root, &[]);
    for (path, xff, _) in remoteip_site::REQUESTS {
        let extra = xff.map_or(String::new(), |v| format!("X-Forwarded-For: {v}\r\n"));
        let raw = format!("GET {path} HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n");
        let ours = parse_responses(&mapache.exchange(raw.as_bytes()), false).remove(0);
        let theirs = apache.get(path, &extra);
        let meta = |r: &Response| (r.status, r.header("X-Remote-Addr").map(str::to_owned));
        assert_eq!(
            meta(&ours),
            meta(&theirs),
            "{path} {xff:?}: mapache, then apache"
        );
    }
    let n = remoteip_site::REQUESTS.len();
    assert_eq!(
        file_lines(&mapache_log, n),
        file_lines(&apache_log, n),
        "access logs: mapache, then apache"
    );
}

/// The five auth modules' LoadModule lines for mapache (one file) and for Apache (five).
fn auth_modules() -> (String, String) {
    let names = [
        "authn_core",
        "auth_basic",
        "authn_file",
        "authz_user",
        "authz_groupfile",
    ];
    let so = module("libmod_auth.so");
    let ours = names
        .iter()
        .map(|m| format!("LoadModule {m}_module {}\n", so.display()))
        .collect();
    let apache = names
        .iter()
        .map(|m| format!("LoadModule {m}_module {MODULES}/mod_{m}.so\n"))
        .collect::<String>()
        + &format!("LoadModule authz_host_module {MODULES}/mod_authz_host.so\n");
    (ours, apache)
}

/// Basic authentication on both servers: files made by htpasswd in each format, users,
/// groups, `Require ip` in `<RequireAll>`/`<RequireAny>`, `.htaccess`, malformed
/// `Authorization` headers: the same status, `WWW-Authenticate` and (when served) body; and
/// each failure logged with Apache's text (its AH number aside).
#[test]
fn basic_auth_answers_and_logs_as_apache() {
    if !Path::new(APACHE).exists() || !Path::new("/usr/bin/htpasswd").exists() {
        eprintln!("skipped: {APACHE} or /usr/bin/htpasswd is not installed");
        return;
    }
    let root = Root::new();
    let users = root.path().join("auth/users");
    std::fs::create_dir_all(users.parent().unwrap()).unwrap();
    for (flag, user) in [
        ("B", "alice"),
        ("m", "bob"),
        ("s", "carol"),
        ("d", "dave"),
        ("5", "erin"),
    ] {
        let create = if users.exists() { "" } else { "c" };
        let out = Command::new("/usr/bin/htpasswd")
            .arg(format!("-b{create}{flag}"))
            .arg(&users)
            .args([user, &format!("{user}-pw")])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    // A plain-text line: Apache on Linux refuses it (crypt never gives back its input).
    let mut text = std::fs::read(&users).unwrap();
    text.extend_from_slice(b"plain:plain-pw\n");
    world_readable(&root, "auth/users", &text);
    world_readable(&root, "auth/groups", b"admins: alice\nstaff: bob carol\n");
    for d in [
        "all",
        "team",
        "bob",
        "any-local",
        "any-remote",
        "all-local",
        "all-remote",
        "ht",
    ] {
        world_readable(
            &root,
            &format!("www/{d}/a.txt"),
            format!("{d}\n").as_bytes(),
        );
    }
    let r = root.path().display().to_string();
    world_readable(
        &root,
        "www/ht/.htaccess",
        format!("AuthType Basic\nAuthName \"From htaccess\"\nAuthUserFile {r}/auth/users\nRequire user erin\n").as_bytes(),
    );
    let auth = format!(
        "AuthType Basic\nAuthName \"Team area\"\nAuthUserFile {r}/auth/users\nAuthGroupFile {r}/auth/groups\n"
    );
    let lines = format!(
        "LogLevel warn authz_user:debug authz_groupfile:debug\n\
         DocumentRoot \"{r}/www/\"\n<Directory \"{r}/www/ht\">\nAllowOverride AuthConfig\n</Directory>\n\
         <Location /all>\n{auth}Require valid-user\n</Location>\n\
         <Location /team>\n{auth}Require group admins\n</Location>\n\
         <Location /bob>\n{auth}Require user bob carol\n</Location>\n\
         <Location /any-local>\n{auth}<RequireAny>\nRequire ip 127.0.0.1\nRequire valid-user\n</RequireAny>\n</Location>\n\
         <Location /any-remote>\n{auth}<RequireAny>\nRequire ip 192.0.2.1\nRequire valid-user\n</RequireAny>\n</Location>\n\
         <Location /all-local>\n{auth}<RequireAll>\nRequire ip 127.0.0.1\nRequire group staff\n</RequireAll>\n</Location>\n\
         <Location /all-remote>\n{auth}<RequireAll>\nRequire ip 192.0.2.1\nRequire valid-user\n</RequireAll>\n</Location>\n\
         <Location /all/open>\nAuthType None\nRequire all granted\n</Location>\n\
         <Location /noname>\nAuthType Basic\nAuthUserFile {r}/auth/users\nRequire valid-user\n</Location>\n\
         <Location /notype>\nRequire valid-user\n</Location>\n\
         <Location /nofile>\n{auth}AuthUserFile {r}/auth/missing\nRequire valid-user\n</Location>\n\
         <Location /lenient>\n{auth}AuthBasicAuthoritative Off\nRequire valid-user\n</Location>\n\
         <Location /doc>\n{auth}Require user alice\nErrorDocument 401 /e401.txt\n</Location>\n\
         <Location /notbob>\n{auth}<RequireAll>\nRequire valid-user\nRequire not user bob\nRequire not group admins\n</RequireAll>\n</Location>\n"
    );
    world_readable(&root, "www/e401.txt", b"please log in\n");
    let (ours, theirs) = auth_modules();
    let apache = Apache::start(
        root.path(),
        "apache",
        &format!("{theirs}{lines}CustomLog {r}/apache/users_log \"%u %>s\"\n"),
    );
    root.config(&format!(
        "{}{ours}{lines}CustomLog {r}/logs/users_log \"%u %>s\"\n",
        standard_modules()
    ));
    let mapache = Server::start(&root, &[]);
    let basic = |user: &str, pw: &str| {
        format!(
            "Basic {}",
            mod_auth::base64::encode(format!("{user}:{pw}").as_bytes())
        )
    };
    let mut asked: Vec<(&str, Option<String>)> = Vec::new();
    for dir in [
        "all",
        "team",
        "bob",
        "any-local",
        "any-remote",
        "all-local",
        "all-remote",
        "ht",
    ] {
        asked.push((dir, None));
        for user in ["alice", "bob", "carol", "dave", "erin"] {
            asked.push((dir, Some(basic(user, &format!("{user}-pw")))));
        }
        asked.push((dir, Some(basic("alice", "wrong"))));
        asked.push((dir, Some(basic("nobody", "x"))));
    }
    for malformed in [
        "Bearer abc",
        "Basic",
        "Basic !!!!",
        "Basic YWxpY2U=",
        "basic    YWxpY2U6YWxpY2UtcHc=",
        "Basic YWxpY2U6YWxpY2UtcHc",
        "Basic YWxpY2U6YWxpY2UtcHc=!junk",
        "Basic Og==",
        // e<ESC>vil<TAB>x"q\\z:pw: the user name escaped in the log.
        "Basic ZRt2aWwJeCJxXFx6OnB3",
    ] {
        asked.push(("all", Some(malformed.to_owned())));
    }
    // The header twice (Apache merges them with ", "): the first credentials, either order.
    for (first, second) in [("alice", "wrong"), ("wrong", "alice")] {
        asked.push((
            "all",
            Some(format!(
                "{}\r\nAuthorization: {}",
                basic("alice", &format!("{first}-pw")),
                basic("alice", &format!("{second}-pw"))
            )),
        ));
    }
    let meta = |r: &Response| {
        (
            r.status,
            r.header("WWW-Authenticate").map(str::to_owned),
            // Served files, and the ErrorDocument of /doc's 401s.
            (r.status == 200 || r.body == b"please log in\n").then(|| r.body.clone()),
        )
    };
    for (dir, authorization) in &asked {
        let url = format!("/{dir}/a.txt");
        let extra = authorization
            .as_ref()
            .map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
        let raw = format!("GET {url} HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n");
        let ours = parse_responses(&mapache.exchange(raw.as_bytes()), false).remove(0);
        assert_eq!(
            meta(&ours),
            meta(&apache.get(&url, &extra)),
            "{url} with {authorization:?}: mapache, then apache"
        );
    }
    // %u (also the user of a failed attempt), request by request. (Apache's %{REMOTE_USER}e
    // is empty for a file: it sets REMOTE_USER only for CGI-style environments; mapache's
    // core puts it in every authenticated request's environment.)
    let n = asked.len();
    let ours = file_lines(&root.path().join("logs/users_log"), n);
    let theirs = file_lines(&root.path().join("apache/users_log"), n);
    assert_eq!(ours.len(), theirs.len());
    for ((o, t), (dir, authorization)) in ours.iter().zip(&theirs).zip(&asked) {
        // Credentials with an empty user name: Apache logs `""`, mapache `-` (its core takes
        // no empty user).
        let t = t.replace("\"\" ", "- ");
        assert_eq!(
            o, &t,
            "/{dir}/a.txt with {authorization:?}: mapache's %u %>s, then apache's"
        );
    }
    // ErrorDocument 401 serves its document with the challenge, as Apache.
    let doc = mapache.get("/doc/a.txt");
    assert_eq!(
        (doc.status, doc.body.as_slice()),
        (401, &b"please log in\n"[..])
    );
    assert_eq!(
        doc.header("WWW-Authenticate"),
        Some("Basic realm=\"Team area\"")
    );
    // Each module's failure lines, at Apache's level: Apache's text follows its AH number.
    let apache_log = std::fs::read_to_string(root.path().join("apache/logs/error_log")).unwrap();
    let logged =
        |log: &str, tag: &str, text: &str| log.lines().any(|l| l.contains(tag) && l.contains(text));
    for (tag, text) in [
        ("[auth_basic:error]", "user alice: authentication failure for \"/all/a.txt\": Password Mismatch"),
        ("[auth_basic:error]", "user nobody not found: /all/a.txt"),
        ("[auth_basic:error]", "user e\\x1bvil\\tx\"q\\\\\\\\z not found: /all/a.txt"),
        ("[auth_basic:error]", "client used wrong authentication scheme: /all/a.txt"),
        ("[authz_user:debug]", "access to /bob/a.txt failed, reason: user 'alice' does not meet 'require'ments for user to be allowed access"),
        ("[authz_groupfile:debug]", "Authorization of user bob to access /team/a.txt failed, reason: user is not part of the 'require'ed group(s)."),
        ("[authz_groupfile:info]", "Authorization of user erin to access /team/a.txt failed, reason: user doesn't appear in group file"),
        ("[authz_core:error]", "user alice: authorization failure for \"/bob/a.txt\": "),
    ] {
        assert!(logged(&apache_log, tag, text), "apache2 does not log {tag} {text:?}:\n{apache_log}");
        assert!(
            wait_until(Duration::from_secs(5), || logged(&mapache.log_text(), tag, text)),
            "mapache does not log {tag} {text:?}:\n{}",
            mapache.log_text()
        );
    }
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The body as a client decodes it by its Content-Encoding.
fn decoded(r: &Response) -> Vec<u8> {
    let mut out = Vec::new();
    match r.header("Content-Encoding") {
        Some("gzip") => {
            flate2::read::GzDecoder::new(&r.body[..])
                .read_to_end(&mut out)
                .expect("a gzip body");
        }
        Some("br") => {
            brotli::Decompressor::new(&r.body[..], 4096)
                .read_to_end(&mut out)
                .expect("a brotli body");
        }
        _ => out = r.body.clone(),
    }
    out
}

/// mod_deflate and mod_brotli on both servers, the same lines and requests: status,
/// Content-Encoding, Vary, ETag, Content-Type and the decoded body.
#[test]
fn compression_answers_as_apache() {
    if !Path::new(APACHE).exists() {
        eprintln!("skipped: {APACHE} is not installed");
        return;
    }
    let root = Root::new();
    let page: Vec<u8> = (0..400)
        .map(|i| format!("<p>paragraph {i}: the quick brown fox jumps over the lazy dog</p>\n"))
        .collect::<String>()
        .into_bytes();
    for f in [
        "big.html",
        "big.txt",
        "big.nogzip.txt",
        "only/big.html",
        "only/big.txt",
        "app.js",
        "style.css",
    ] {
        world_readable(&root, &format!("www/{f}"), &page);
    }
    world_readable(&root, "www/tiny.html", b"<p>hi</p>\n");
    world_readable(&root, "www/edge68.html", &[b'a'; 68]);
    world_readable(&root, "www/edge69.html", &[b'a'; 69]);
    world_readable(&root, "www/packed.html.gz", &gz(&page));
    let r = root.path().display().to_string();
    let lines = format!(
        "DocumentRoot \"{r}/www/\"\nTypesConfig /etc/mime.types\n\
         AddType text/html .html\nAddType text/css .css\nAddType text/plain .txt\n\
         AddType application/javascript .js\nAddEncoding gzip .gz\n\
         <IfModule mod_brotli.c>\nAddOutputFilterByType BROTLI_COMPRESS text/html text/css\n</IfModule>\n\
         <IfModule deflate_module>\nAddOutputFilterByType DEFLATE text/html text/css text/plain application/javascript\n</IfModule>\n\
         SetEnvIfNoCase Request_URI \\.nogzip\\.txt$ no-gzip\n\
         SetEnvIf Request_URI ^/only/ gzip-only-text/html=1\n"
    );
    let apache = Apache::start(
        root.path(),
        "apache",
        &format!(
            "LoadModule mime_module {MODULES}/mod_mime.so\n\
             LoadModule setenvif_module {MODULES}/mod_setenvif.so\n\
             LoadModule filter_module {MODULES}/mod_filter.so\n\
             LoadModule deflate_module {MODULES}/mod_deflate.so\n\
             LoadModule brotli_module {MODULES}/mod_brotli.so\n{lines}"
        ),
    );
    let so = module("libmod_deflate.so");
    root.config(&format!(
        "{}LoadModule setenvif_module {}\nLoadModule deflate_module {}\nLoadModule brotli_module {}\n{lines}",
        standard_modules(),
        module("libmod_setenvif.so").display(),
        so.display(),
        so.display()
    ));
    let mapache = Server::start(&root, &[]);
    let meta = |r: &Response| {
        let h = |n: &str| r.header(n).map(str::to_owned);
        (
            r.status,
            h("Content-Encoding"),
            h("Vary"),
            h("ETag"),
            h("Content-Type"),
        )
    };
    let on_mapache = |path: &str, extra: &str| {
        let raw = format!("GET {path} HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n");
        parse_responses(&mapache.exchange(raw.as_bytes()), false).remove(0)
    };
    for path in [
        "/big.html",
        "/big.txt",
        "/app.js",
        "/style.css",
        "/tiny.html",
        "/edge68.html",
        "/edge69.html",
        "/packed.html.gz",
        "/big.nogzip.txt",
        "/only/big.html",
        "/only/big.txt",
    ] {
        for ae in [
            "",
            "gzip",
            "br",
            "gzip, deflate, br, zstd",
            "gzip;q=0",
            "br;q=0, gzip",
            "x-gzip",
            "*",
            "identity",
        ] {
            let extra = if ae.is_empty() {
                String::new()
            } else {
                format!("Accept-Encoding: {ae}\r\n")
            };
            let (m, a) = (on_mapache(path, &extra), apache.get(path, &extra));
            assert_eq!(
                meta(&m),
                meta(&a),
                "{path} with {ae:?}: mapache, then apache"
            );
            assert_eq!(
                decoded(&m),
                decoded(&a),
                "{path} with {ae:?}: the decoded bodies"
            );
        }
    }
    // Revalidation: the identity ETag gets 304 (no type, so no DEFLATE by type); the suffixed
    // one matches nothing (Apache compares the file's own tag) and gets the compressed 200.
    let etag = apache
        .get("/big.html", "")
        .header("ETag")
        .unwrap()
        .to_owned();
    let gzip_etag = format!("{}-gzip\"", etag.trim_end_matches('"'));
    for tag in [&etag, &gzip_etag] {
        let extra = format!("Accept-Encoding: gzip\r\nIf-None-Match: {tag}\r\n");
        let (m, a) = (
            on_mapache("/big.html", &extra),
            apache.get("/big.html", &extra),
        );
        assert_eq!(
            meta(&m),
            meta(&a),
            "If-None-Match {tag}: mapache, then apache"
        );
        assert_eq!(decoded(&m), decoded(&a), "If-None-Match {tag}");
    }
    // A missing file: the same status. The pages differ on purpose: Apache sends its own
    // error pages past the content filters (ap_send_error_response), mapache's pass the same
    // filters as every response, so its 404 page is compressed where text/html is listed.
    let extra = "Accept-Encoding: gzip\r\n";
    let (m, a) = (
        on_mapache("/missing.html", extra),
        apache.get("/missing.html", extra),
    );
    assert_eq!((m.status, a.status), (404, 404));
    assert_eq!(a.header("Content-Encoding"), None);
}

/// Makes every directory under `dir` 0755 and every file 0644 (0755 when it was executable),
/// for Apache's www-data children.
fn open_tree(dir: &Path) {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            open_tree(&p);
        } else {
            // Readable by all; a program (a prg: map) stays runnable.
            let exec = p.metadata().unwrap().permissions().mode() & 0o111;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644 | exec)).unwrap();
        }
    }
}

/// mod_rewrite: the same rule sets, files and requests on both servers (rewrite_site.rs),
/// then the maintenance switch turned on: the same status, Location, body of a file,
/// Set-Cookie and Content-Type.
#[test]
fn rewrite_rule_sets_answer_as_apache() {
    if !Path::new(APACHE).exists() {
        eprintln!("skipped: {APACHE} is not installed");
        return;
    }
    let root = Root::new();
    let r = root.path().display().to_string();
    let lines = format!(
        "DocumentRoot \"{r}/htdocs\"\n{}",
        rewrite_site::site(root.path())
    );
    open_tree(root.path());
    let apache = Apache::start(
        root.path(),
        "apache",
        &format!(
            "LoadModule rewrite_module {MODULES}/mod_rewrite.so\n\
             LoadModule alias_module {MODULES}/mod_alias.so\n\
             LoadModule dir_module {MODULES}/mod_dir.so\n\
             LoadModule autoindex_module {MODULES}/mod_autoindex.so\n{lines}"
        ),
    );
    root.config(&format!(
        "{}LoadModule rewrite_module {}\nLoadModule alias_module {}\n{lines}",
        standard_modules(),
        module("libmod_rewrite.so").display(),
        module("libmod_alias.so").display()
    ));
    let mapache = Server::start(&root, &[]);
    type Seen = (u16, Option<String>, Vec<u8>, Option<String>, Option<String>);
    let seen = |r: Response, path: &str| -> Seen {
        // Error and redirect pages are each server's own text; a file's body is compared.
        let body = if r.status == 200 {
            r.body.clone()
        } else {
            Vec::new()
        };
        let typed = (path == "/typed")
            .then(|| r.header("Content-Type").map(str::to_owned))
            .flatten();
        (
            r.status,
            r.header("Location").map(str::to_owned),
            body,
            r.header("Set-Cookie").map(str::to_owned),
            typed,
        )
    };
    let from_mapache = |host: &str, path: &str| {
        let raw = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        parse_responses(&mapache.exchange(raw.as_bytes()), false).remove(0)
    };
    let mut cases: Vec<(&str, &str)> = rewrite_site::CASES.iter().map(|c| (c.0, c.1)).collect();
    cases.push(("t", "/shop/index.html#maintenance"));
    for (host, path) in cases {
        let path = match path.strip_suffix("#maintenance") {
            Some(p) => {
                world_readable(&root, "htdocs/shop/maintenance.on", b"");
                p
            }
            None => path,
        };
        assert_eq!(
            seen(from_mapache(host, path), path),
            seen(apache.get_from(host, path, ""), path),
            "{host}{path}: mapache, then apache2"
        );
    }
}
