//! `<VirtualHost>`: IP-based (127.0.0.2) and name-based (127.0.0.1) virtual hosts with their
//! own DocumentRoot, access and error logs, a module directive (mod-static's
//! AddDefaultCharset), a `<Location>` inside one, KeepAlive and UseCanonicalName per vhost;
//! `-S` and the `-t -D DUMP_*` forms; the context errors at `-t`; and the choice of virtual
//! host compared request by request with Apache httpd itself (skipped without apache2).

use mapache_tests::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Sends `raw` to `addr`, half-closes, and parses the one response.
fn ask(addr: SocketAddr, raw: &str) -> Response {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    parse_responses(&out, false)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no response to {raw:?}: {out:?}"))
}

fn get(addr: SocketAddr, path: &str, host: &str) -> Response {
    ask(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    )
}

/// The address of the listener on `ip` from the server's "listening on" lines.
fn listener_on(server: &Server, ip: &str) -> SocketAddr {
    let find = || {
        server
            .log_lines()
            .iter()
            .filter_map(|l| l.split("listening on ").nth(1))
            .map(|a| a.trim().parse::<SocketAddr>().unwrap())
            .find(|a| a.ip().to_string() == ip)
    };
    // The lines are read from the server's standard error on a thread of the harness.
    wait_until(Duration::from_secs(10), || find().is_some());
    find().unwrap_or_else(|| panic!("no listener on {ip}: {}", server.log_text()))
}

/// Main server plus a, b (name-based on every address) and c (IP-based on 127.0.0.2), all
/// without a port, so they apply to the port-0 listeners.
fn config(root: &Root) -> String {
    for v in ["a", "b", "c"] {
        root.write(&format!("{v}/who.txt"), format!("vhost {v}\n"));
        root.write(&format!("{v}/page.html"), "<p>x</p>\n");
    }
    root.write("htdocs/who.txt", "main\n");
    root.write("outside/x.txt", "outside\n");
    for v in ["a", "b"] {
        std::os::unix::fs::symlink("../outside", root.path().join(format!("{v}/out"))).unwrap();
    }
    let r = root.path().display();
    let text = format!(
        "ServerRoot \"{r}\"\nListen 127.0.0.1:0\nListen 127.0.0.2:0\nPidFile logs/mapache.pid\n\
         DocumentRoot \"{r}/htdocs\"\n{modules}\
         ServerName main.example\n\
         LogFormat \"%v %V %U\" vh\nCustomLog logs/main_access vh\n\
         <Location /echo>\nSetHandler test-echo\n</Location>\n\
         <VirtualHost *>\nServerName a.example\nServerAlias www.a.example *.wild.example\n\
         DocumentRoot \"{r}/a\"\nAddDefaultCharset utf-8\nCustomLog logs/a_access vh\n\
         ErrorLog logs/a_error\nLogLevel debug\nLimitRequestFieldSize 100\n<Location /private>\nRequire all denied\n</Location>\n\
         </VirtualHost>\n\
         <VirtualHost *>\nServerName b.example\nDocumentRoot \"{r}/b\"\nUseCanonicalName On\n\
         KeepAlive Off\nTimeout 1\n<Directory \"{r}\">\nOptions FollowSymLinks\n</Directory>\n</VirtualHost>\n\
         <VirtualHost 127.0.0.2>\nServerName c.example\nDocumentRoot \"{r}/c\"\n</VirtualHost>\n",
        modules = standard_modules(),
    );
    root.write("conf/httpd.conf", &text);
    text
}

#[test]
fn each_vhost_serves_its_root_with_its_settings_and_logs() {
    let root = Root::new();
    config(&root);
    let server = Server::start(&root, &[]);
    let one = listener_on(&server, "127.0.0.1");
    let two = listener_on(&server, "127.0.0.2");

    let body = |r: Response| String::from_utf8_lossy(&r.body).into_owned();
    assert_eq!(body(get(one, "/who.txt", "WWW.A.Example.:81")), "vhost a\n");
    assert_eq!(body(get(one, "/who.txt", "B.EXAMPLE")), "vhost b\n");
    assert_eq!(
        body(get(one, "/who.txt", "nobody.example")),
        "vhost a\n",
        "the default"
    );
    assert_eq!(
        body(get(two, "/who.txt", "b.example")),
        "vhost c\n",
        "IP-based first"
    );

    // mod-static's AddDefaultCharset inside vhost a only.
    let ct = |host: &str| {
        get(one, "/page.html", host)
            .header("Content-Type")
            .unwrap()
            .to_owned()
    };
    assert_eq!(ct("a.example"), "text/html; charset=utf-8");
    assert_eq!(ct("b.example"), "text/html");

    // The <Location> inside vhost a applies to a only.
    assert_eq!(get(one, "/private/x", "a.example").status, 403);
    assert_eq!(get(one, "/private/x", "b.example").status, 404);

    // Timeout 1 in vhost b (not the first on 127.0.0.1): a body that stalls is given up
    // after b's Timeout, not the 20 s of RequestReadTimeout's body stage nor a's 60 s (the
    // client waits 10 s at most).
    let stalled = |host: &str| {
        let mut s = TcpStream::connect(one).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "POST /echo HTTP/1.1\r\nHost: {host}\r\nContent-Length: 10\r\n\r\nab"
        )
        .unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        out
    };
    let out = stalled("b.example");
    assert!(
        parse_responses(&out, false)
            .first()
            .is_some_and(|r| r.status == 408),
        "{}",
        String::from_utf8_lossy(&out)
    );

    // Links: vhost b's `<Directory>` (above every root) lets b follow its link out of its
    // DocumentRoot; a, and the main server, keep the default (links staying inside only).
    assert_eq!(get(one, "/out/x.txt", "b.example").status, 200);
    assert_eq!(get(one, "/out/x.txt", "a.example").status, 403);

    // KeepAlive Off in vhost b: its responses close the connection; a's do not.
    let keep = |host: &str| {
        let r = ask(
            one,
            &format!("GET /who.txt HTTP/1.1\r\nHost: {host}\r\n\r\n"),
        );
        r.header("Connection").map(str::to_owned)
    };
    assert_eq!(keep("b.example").as_deref(), Some("close"));
    assert_eq!(keep("a.example"), None);

    // LimitRequestFieldSize of the address's first vhost (a on 127.0.0.1; c on 127.0.0.2 has
    // the main server's): the head is read before the Host is known.
    let long = format!(
        "GET /who.txt HTTP/1.1\r\nHost: c.example\r\nX-Long: {}\r\nConnection: close\r\n\r\n",
        "y".repeat(200)
    );
    assert_eq!(ask(one, &long).status, 400);
    assert_eq!(ask(two, &long).status, 200);

    // Access logs: a's in its own file; b and c (none of their own) in the main server's.
    // %v is the vhost's ServerName; %V the Host sent (lower case, no port, no trailing dot),
    // or ServerName under UseCanonicalName On.
    let a_log = file_lines(&root.path().join("logs/a_access"), 1);
    assert!(
        a_log.contains(&"a.example www.a.example /who.txt".to_owned()),
        "{a_log:?}"
    );
    assert!(
        a_log.iter().all(|l| l.starts_with("a.example ")),
        "{a_log:?}"
    );
    let main_log = file_lines(&root.path().join("logs/main_access"), 2);
    assert!(
        main_log.contains(&"b.example b.example /who.txt".to_owned()),
        "{main_log:?}"
    );
    assert!(
        main_log.contains(&"c.example b.example /who.txt".to_owned()),
        "{main_log:?}"
    );
    assert!(
        main_log.iter().all(|l| !l.starts_with("a.example")),
        "{main_log:?}"
    );

    // The denial is logged in vhost a's ErrorLog, not in the main server's.
    let a_err = file_lines(&root.path().join("logs/a_error"), 1);
    assert!(
        a_err
            .iter()
            .any(|l| l.contains("client denied by server configuration")
                && l.contains("[client 127.0.0.1:")),
        "{a_err:?}"
    );
    assert!(!server
        .log_text()
        .contains("client denied by server configuration"));

    // A Host Apache refuses: 400, logged at debug in the ErrorLog of the address's first vhost
    // (a, with LogLevel debug), not in the main server's (LogLevel warn).
    assert_eq!(get(one, "/who.txt", "a.example:0").status, 400);
    assert!(
        file_lines(&root.path().join("logs/a_error"), 2)
            .iter()
            .any(|l| l.contains("[core:debug]")
                && l.contains("AH00550: Client sent malformed Host header: a.example:0")),
        "{:?}",
        file_lines(&root.path().join("logs/a_error"), 2)
    );
    assert!(!server.log_text().contains("AH00550"));
}

#[test]
fn every_mpm_chooses_by_address_and_host() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        let text = config(&root).replace(&standard_modules(), &modules_for(mpm));
        root.write("conf/httpd.conf", text);
        let server = Server::start(&root, &[]);
        let one = listener_on(&server, "127.0.0.1");
        let two = listener_on(&server, "127.0.0.2");
        // Two requests on one kept-alive connection for two vhosts: each picks its own.
        let r = {
            let mut s = TcpStream::connect(one).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s.write_all(
                b"GET /who.txt HTTP/1.1\r\nHost: a.example\r\n\r\n\
                  GET /who.txt HTTP/1.1\r\nHost: b.example\r\nConnection: close\r\n\r\n",
            )
            .unwrap();
            let mut out = Vec::new();
            let _ = s.read_to_end(&mut out);
            parse_responses(&out, false)
        };
        let bodies: Vec<_> = r.iter().map(|r| String::from_utf8_lossy(&r.body)).collect();
        assert_eq!(bodies, ["vhost a\n", "vhost b\n"], "{mpm}");
        let r = get(two, "/who.txt", "a.example");
        assert_eq!(r.body, b"vhost c\n", "{mpm}");
    });
}

#[test]
fn dash_s_prints_apaches_vhost_dump_and_run_settings() {
    let root = Root::new();
    let text = config(&root);
    let conf = root.path().join("conf/httpd.conf");
    let conf_s = conf.display().to_string();
    let out = run(&["-f", &conf_s, "-S"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let r = root.path().display();
    // The lines of the three `<VirtualHost` lines: a's, b's, c's.
    let at: Vec<String> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("<VirtualHost"))
        .map(|(i, _)| format!("({conf_s}:{})", i + 1))
        .collect();
    let expected = format!(
        "VirtualHost configuration:\n\
         127.0.0.2:*            c.example {c}\n\
         *:*                    is a NameVirtualHost\n\
         \x20        default server a.example {a}\n\
         \x20        port * namevhost a.example {a}\n\
         \x20                alias www.a.example\n\
         \x20                wild alias *.wild.example\n\
         \x20        port * namevhost b.example {b}\n\
         ServerRoot: \"{r}\"\n\
         Main DocumentRoot: \"{r}/htdocs\"\n\
         Main ErrorLog: \"(standard error)\"\n\
         PidFile: \"{r}/logs/mapache.pid\"\n\
         Define: DUMP_VHOSTS\n\
         Define: DUMP_RUN_CFG\n",
        a = at[0],
        b = at[1],
        c = at[2],
    );
    assert!(
        out.stdout.starts_with(&expected),
        "got:\n{}\nexpected:\n{expected}",
        out.stdout
    );
    assert!(out.stdout.contains("\nUser: "), "{}", out.stdout);
    assert!(!out.stderr.contains("Syntax OK"), "{}", out.stderr);

    let out = run(&["-f", &conf_s, "-t", "-D", "DUMP_VHOSTS"]);
    assert_eq!(out.code, Some(0));
    assert!(out
        .stdout
        .starts_with("VirtualHost configuration:\n127.0.0.2:*"));
    assert!(!out.stdout.contains("ServerRoot:"), "{}", out.stdout);
    let out = run(&["-f", &conf_s, "-t", "-D", "DUMP_MODULES"]);
    assert_eq!(out.code, Some(0));
    assert!(out
        .stdout
        .starts_with("Loaded Modules:\n core_module (static)\n"));
    let out = run(&["-f", &conf_s, "-t", "-D", "DUMP_RUN_CFG"]);
    assert!(
        out.stdout.starts_with(&format!("ServerRoot: \"{r}\"\n")),
        "{}",
        out.stdout
    );
}

#[test]
fn directives_only_the_main_server_may_have_fail_t_inside_a_vhost() {
    let root = Root::new();
    let cases = [
        (
            "<VirtualHost *:80>\nListen 8080\n</VirtualHost>",
            "Listen cannot occur within <VirtualHost> section",
        ),
        (
            "<VirtualHost *:80>\nUser nobody\n</VirtualHost>",
            "User cannot occur within <VirtualHost> section",
        ),
        (
            "<Location />\n<VirtualHost *:80>\n</VirtualHost>\n</Location>",
            "<VirtualHost> cannot occur within <Location> section",
        ),
        (
            "ServerAlias www.example",
            "ServerAlias only used in <VirtualHost>",
        ),
        (
            "<VirtualHost *:80>\nTypesConfig conf/mime.types\n</VirtualHost>",
            "TypesConfig cannot occur within <VirtualHost> section",
        ),
    ];
    for (body, message) in cases {
        root.config(&format!("{}{body}\n", standard_modules()));
        let conf = root.path().join("conf/httpd.conf");
        let out = run(&["-f", conf.to_str().unwrap(), "-t"]);
        assert_eq!(out.code, Some(1), "{body}: {}", out.stderr);
        assert!(out.stderr.contains(message), "{body}: {}", out.stderr);
        assert!(
            out.stderr.contains("Syntax error on line"),
            "{}",
            out.stderr
        );
    }
}

// ---- side by side with Apache ---------------------------------------------------------------

const APACHE: &str = "/usr/sbin/apache2";
const MODULES: &str = "/usr/lib/apache2/modules";

/// A port free on 127.0.0.1 and 127.0.0.2 now (Apache cannot listen on port 0).
fn free_port() -> u16 {
    loop {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.2", port)).is_ok() {
            return port;
        }
    }
}

/// Apache in the foreground; stopped when dropped.
struct Apache(Child);

impl Drop for Apache {
    fn drop(&mut self) {
        // SAFETY: signalling our own child; Apache stops its children on TERM.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && self.0.try_wait().ok().flatten().is_none() {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The virtual hosts both servers get: a default and two name-based ones on `*:port`, one
/// IP-based on 127.0.0.2:port; `main_port` has none (the main server answers there).
fn vhost_lines(dir: &Path, port: u16, main_port: u16) -> String {
    let d = dir.display();
    format!(
        "Listen 127.0.0.1:{port}\nListen 127.0.0.2:{port}\nListen 127.0.0.1:{main_port}\n\
         ServerName main.example\nDocumentRoot \"{d}/main\"\n\
         <VirtualHost *:{port}>\nServerName default.example\nDocumentRoot \"{d}/default\"\n</VirtualHost>\n\
         <VirtualHost *:{port}>\nServerName a.example\nServerAlias www.a.example *.wild.example\n\
         DocumentRoot \"{d}/a\"\n</VirtualHost>\n\
         <VirtualHost *:{port}>\nServerName b.example\nServerAlias b?.example\nDocumentRoot \"{d}/b\"\n</VirtualHost>\n\
         <VirtualHost 127.0.0.2:{port}>\nServerName c.example\nDocumentRoot \"{d}/c\"\n</VirtualHost>\n"
    )
}

/// The site: one directory per server, each `who.txt` naming it, readable by www-data.
fn vhost_site(root: &Root) {
    let names = ["main", "default", "a", "b", "c"];
    for n in names {
        root.write(&format!("site/{n}/who.txt"), format!("{n}\n"));
    }
    let mut paths = vec!["".to_owned(), "site".to_owned()];
    for n in names {
        paths.push(format!("site/{n}"));
        paths.push(format!("site/{n}/who.txt"));
    }
    for p in paths {
        let mode = if p.ends_with(".txt") { 0o644 } else { 0o755 };
        std::fs::set_permissions(root.path().join(&p), std::fs::Permissions::from_mode(mode))
            .unwrap();
    }
}

#[test]
fn the_vhost_chosen_is_apaches_for_every_host() {
    if !Path::new(APACHE).exists() {
        eprintln!("apache2 is not installed: the side-by-side comparison is skipped");
        return;
    }
    let root = Root::new();
    vhost_site(&root);
    let site = root.path().join("site");

    let (a_port, a_main) = (free_port(), free_port());
    let adir = root.path().join("apache");
    std::fs::create_dir_all(adir.join("logs")).unwrap();
    // SAFETY: getuid has no preconditions.
    let as_root = unsafe { libc::getuid() } == 0;
    let aconf = adir.join("httpd.conf");
    std::fs::write(
        &aconf,
        format!(
            "ServerRoot {a}\nPidFile {a}/httpd.pid\nDefaultRuntimeDir {a}\nErrorLog {a}/logs/error_log\n\
             {user}LoadModule mpm_event_module {MODULES}/mod_mpm_event.so\n\
             LoadModule authz_core_module {MODULES}/mod_authz_core.so\n{vhosts}",
            a = adir.display(),
            user = if as_root { "User www-data\nGroup www-data\n" } else { "" },
            vhosts = vhost_lines(&site, a_port, a_main),
        ),
    )
    .unwrap();
    let apache = Apache(
        Command::new(APACHE)
            .args(["-DFOREGROUND", "-f"])
            .arg(&aconf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start apache2"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while [
        ("127.0.0.1", a_port),
        ("127.0.0.2", a_port),
        ("127.0.0.1", a_main),
    ]
    .iter()
    .any(|a| TcpStream::connect(a).is_err())
    {
        assert!(
            Instant::now() < deadline,
            "apache2 did not start: {aconf:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let (m_port, m_main) = (free_port(), free_port());
    root.write(
        "conf/httpd.conf",
        format!(
            "ServerRoot \"{r}\"\nPidFile logs/mapache.pid\n{modules}{vhosts}",
            r = root.path().display(),
            modules = standard_modules(),
            vhosts = vhost_lines(&site, m_port, m_main),
        ),
    );
    let _server = Server::start(&root, &[]);

    let requests: Vec<(&str, bool, String)> = {
        let h11 = |host: &str| {
            format!("GET /who.txt HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
        };
        let h10 = |host: &str| format!("GET /who.txt HTTP/1.0\r\nHost: {host}\r\n\r\n");
        let no_host = "GET /who.txt HTTP/1.0\r\n\r\n".to_owned();
        vec![
            ("127.0.0.1", false, h11("a.example")),
            ("127.0.0.1", false, h11("b.example")),
            ("127.0.0.1", false, h11("default.example")),
            ("127.0.0.1", false, no_host.clone()),
            ("127.0.0.1", false, h11("A.EXAMPLE")),
            ("127.0.0.1", false, h11("a.example:{port}")),
            ("127.0.0.1", false, h11("a.example.")),
            ("127.0.0.1", false, h11("www.a.example")),
            ("127.0.0.1", false, h11("x.wild.example")),
            ("127.0.0.1", false, h11("deep.x.Wild.Example")),
            ("127.0.0.1", false, h11("wild.example")),
            ("127.0.0.1", false, h11("b1.example")),
            ("127.0.0.1", false, h11("b12.example")),
            ("127.0.0.1", false, h11("unknown.example")),
            ("127.0.0.1", false, h11("127.0.0.1")),
            ("127.0.0.1", false, h10("b.example")),
            ("127.0.0.1", false, "GET http://b.example/who.txt HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n".to_owned()),
            ("127.0.0.1", false, h11("B.Example.:80")),
            ("127.0.0.1", false, h11("main.example")),
            ("127.0.0.1", false, "GET /who.txt HTTP/1.1\r\nConnection: close\r\n\r\n".to_owned()),
            ("127.0.0.1", false, h11("a..example")),
            ("127.0.0.1", false, h11("a%41.example")),
            ("127.0.0.1", false, h11("a/b")),
            ("127.0.0.1", false, h11("a:80:90")),
            ("127.0.0.1", false, h11("80")),
            ("127.0.0.1", false, h11("a.example:99999")),
            ("127.0.0.1", false, h11("a.example:0")),
            ("127.0.0.1", false, h11("a.example:")),
            ("127.0.0.1", false, h11("a!.example")),
            ("127.0.0.1", false, h11("*.wild.example")),
            ("127.0.0.1", false, h11("b?.example")),
            ("127.0.0.1", false, h11("[::1]")),
            ("127.0.0.1", false, h11("[::1]:80")),
            ("127.0.0.1", false, h11("[::1")),
            ("127.0.0.1", false, h11("a_b.example")),
            ("127.0.0.1", false, h11("a.example..")),
            ("127.0.0.1", false, h11(".a.example")),
            ("127.0.0.1", false, h11("a example")),
            ("127.0.0.1", false, h11("10.0.0.1")),
            ("127.0.0.1", false, h11("010.0.0.1")),
            ("127.0.0.1", false, h11("1.2.3")),
            ("127.0.0.1", false, h11("a.1b")),
            ("127.0.0.1", false, "GET /who.txt HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n".to_owned()),
            ("127.0.0.1", false, "GET HTTP://B.EXAMPLE:99/who.txt HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n".to_owned()),
            ("127.0.0.2", false, h11("a.example")),
            ("127.0.0.2", false, h11("c.example")),
            ("127.0.0.2", false, no_host.clone()),
            ("127.0.0.2", false, h11("unknown.example")),
            ("127.0.0.1", true, h11("a.example")),
            ("127.0.0.1", true, no_host),
        ]
    };
    assert!(requests.len() >= 25);
    for (ip, main, raw) in &requests {
        let at = |port: u16, main_port: u16| {
            let port = if *main { main_port } else { port };
            let addr: SocketAddr = format!("{ip}:{port}").parse().unwrap();
            let r = ask(addr, &raw.replace("{port}", &port.to_string()));
            (r.status, String::from_utf8_lossy(&r.body).into_owned())
        };
        let theirs = at(a_port, a_main);
        let ours = at(m_port, m_main);
        let what = |(status, body): &(u16, String)| {
            if *status == 200 {
                body.trim().to_owned()
            } else {
                format!("status {status}")
            }
        };
        eprintln!("{ip} main port: {main} {raw:?}: {}", what(&theirs));
        assert_eq!(
            what(&ours),
            what(&theirs),
            "{ip} (main port: {main}) {raw:?}: mapache answered {} and Apache {}",
            what(&ours),
            what(&theirs)
        );
    }

    // And -S prints the same virtual host part (paths and ports aside).
    let theirs = Command::new(APACHE)
        .args(["-S", "-f"])
        .arg(&aconf)
        .output()
        .unwrap();
    let conf = root.path().join("conf/httpd.conf");
    let ours = run(&["-S", "-f", conf.to_str().unwrap()]);
    let vhost_part = |text: &str, conf: &Path, port: u16| {
        text.split("ServerRoot:")
            .next()
            .unwrap()
            .replace(&conf.display().to_string(), "CONF")
            .replace(&port.to_string(), "PORT")
            .lines()
            // The line numbers differ by the servers' own header lines.
            .map(|l| l.split(" (CONF:").next().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        vhost_part(&ours.stdout, &conf, m_port),
        vhost_part(&String::from_utf8_lossy(&theirs.stdout), &aconf, a_port)
    );
    drop(apache);
}

/// A virtual host's sections and `.htaccess` grants are its own: a `<FilesMatch>` deny inside
/// one vhost, its `<Directory>` granting overrides and its AccessFileName do nothing for the
/// other vhost serving the same directory.
#[test]
fn sections_and_htaccess_grants_of_a_vhost_are_its_own() {
    let root = Root::new();
    let r = root.path().display().to_string();
    root.write("site/page.txt", "page\n");
    root.write("site/key.secret", "key\n");
    // Read only where granted, each under its AccessFileName.
    root.write("site/.acl", "Require all denied\n");
    root.write("site/.htaccess", "ErrorDocument 404 \"read .htaccess\"\n");
    root.config(&format!(
        "{modules}DocumentRoot \"{r}/site\"\n\
         <VirtualHost *>\nServerName guarded.example\nDocumentRoot \"{r}/site\"\n\
         AccessFileName .acl\n\
         <Directory \"{r}/site\">\nAllowOverride AuthConfig FileInfo\n</Directory>\n\
         </VirtualHost>\n\
         <VirtualHost *>\nServerName open.example\nDocumentRoot \"{r}/site\"\n\
         <FilesMatch \"\\.secret$\">\nRequire all denied\n</FilesMatch>\n\
         </VirtualHost>\n",
        modules = standard_modules(),
    ));
    let server = Server::start(&root, &[]);
    let addr = server.addr;
    // The guarded vhost reads its .acl (not .htaccess) and is refused everything.
    assert_eq!(get(addr, "/page.txt", "guarded.example").status, 403);
    assert_eq!(get(addr, "/key.secret", "guarded.example").status, 403);
    // The open vhost reads no file at all and denies only its FilesMatch.
    assert_eq!(get(addr, "/page.txt", "open.example").status, 200);
    assert_eq!(get(addr, "/key.secret", "open.example").status, 403);
    let missing = get(addr, "/nothing", "open.example");
    assert_eq!(missing.status, 404);
    assert!(
        !String::from_utf8_lossy(&missing.body).contains("read .htaccess"),
        "the other vhost's grant let this one read .htaccess"
    );
}

/// One `.htaccess` under two virtual hosts whose `<Directory>` grants differ is judged by each
/// vhost's own grant, whichever asked first.
#[test]
fn a_htaccess_is_judged_by_each_vhosts_allowoverride() {
    let root = Root::new();
    let r = root.path().display().to_string();
    root.write("site/page.txt", "page\n");
    root.write("site/.htaccess", "Options -Indexes\n");
    root.config(&format!(
        "{modules}DocumentRoot \"{r}/site\"\n\
         <VirtualHost *>\nServerName strict.example\nDocumentRoot \"{r}/site\"\n\
         <Directory \"{r}/site\">\nAllowOverride FileInfo\n</Directory>\n</VirtualHost>\n\
         <VirtualHost *>\nServerName lax.example\nDocumentRoot \"{r}/site\"\n\
         <Directory \"{r}/site\">\nAllowOverride All\n</Directory>\n</VirtualHost>\n",
        modules = standard_modules(),
    ));
    let server = Server::start(&root, &[]);
    let addr = server.addr;
    assert_eq!(get(addr, "/page.txt", "lax.example").status, 200);
    assert_eq!(get(addr, "/page.txt", "strict.example").status, 500);
    assert_eq!(get(addr, "/page.txt", "lax.example").status, 200);
}
