//! Access control in the core (`Require`): per-Location rules against clients on 127.0.0.1 and
//! 127.0.0.2 (a client socket bound there before connecting), the server level denying what no
//! section grants, containers with a negation, the 403 with its error-log and access-log lines
//! on a connection that stays open, and bad lines refused by `-t` with their file and line.

use mapache_tests::*;
use socket2::{Domain, Socket, Type};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

/// Sends `raw` from a socket bound to `from` (any port), half-closes, reads until the server
/// closes.
fn exchange_from(s: &Server, from: &str, raw: &[u8]) -> Vec<u8> {
    let ip: IpAddr = from.parse().expect("a client address");
    let sock = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    sock.bind(&SocketAddr::new(ip, 0).into())
        .expect("bind the client (127.0.0.0/8 is all loopback on Linux)");
    sock.connect(&s.addr.into()).expect("connect");
    let mut stream: TcpStream = sock.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(raw).unwrap();
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    out
}

fn get(path: &str, last: bool) -> String {
    let close = if last { "Connection: close\r\n" } else { "" };
    format!("GET {path} HTTP/1.1\r\nHost: t\r\n{close}\r\n")
}

const RULES: &str = "Require all denied
<Location /public>
Require all granted
</Location>
<Location /private>
Require ip 127.0.0.1 ::1
</Location>
<Location /local>
Require local
</Location>
<Location /lan>
<RequireAll>
Require ip 127.0.0.0/8
Require not ip 127.0.0.2
</RequireAll>
</Location>
";

#[test]
fn require_lines_decide_per_location_on_every_mpm() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        for dir in ["public", "private", "local", "lan"] {
            root.write(&format!("htdocs/{dir}/f.txt"), dir);
        }
        root.write("htdocs/top.txt", "top");
        root.config(&format!(
            "{}StartServers 1\nCustomLog logs/access_log \"%a %>s %U\"\n{RULES}",
            modules_for(mpm)
        ));
        let s = Server::start(&root, &[]);

        // From 127.0.0.1, every section grants; outside them the server level denies.
        for dir in ["public", "private", "local", "lan"] {
            let r = s.get(&format!("/{dir}/f.txt"));
            assert_eq!(
                (r.status, r.body.as_slice()),
                (200, dir.as_bytes()),
                "{mpm} /{dir}"
            );
        }
        let r = s.get("/top.txt");
        assert_eq!(r.status, 403, "{mpm}");
        assert!(
            String::from_utf8_lossy(&r.body).contains("Forbidden"),
            "{mpm}"
        );

        // From 127.0.0.2, on one kept-alive connection: a refused body is not a reason to
        // close, and refusals do not stop the requests after them.
        let mut raw =
            b"POST /private/f.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello".to_vec();
        for (path, last) in [
            ("/private/f.txt", false),
            ("/lan/f.txt", false),
            ("/local/f.txt", false),
            ("/public/f.txt", true),
        ] {
            raw.extend_from_slice(get(path, last).as_bytes());
        }
        let rs = parse_responses(&exchange_from(&s, "127.0.0.2", &raw), false);
        let statuses: Vec<u16> = rs.iter().map(|r| r.status).collect();
        assert_eq!(statuses, [403, 403, 403, 200, 200], "{mpm}");
        assert_eq!(rs[4].body, b"public", "{mpm}");

        let denied = format!(
            "client denied by server configuration: {}/htdocs/private/f.txt",
            root.path().display()
        );
        assert!(s.wait_log(&denied, 5), "{mpm}: {}", s.log_text());
        let line = s
            .log_lines()
            .into_iter()
            .find(|l| l.contains(&denied))
            .unwrap();
        assert!(line.contains("[authz_core:error] [pid "), "{mpm}: {line}");
        assert!(line.contains("] [client 127.0.0.2:"), "{mpm}: {line}");
        // The lines are written by whichever threads served; give the last one a moment.
        wait_until(Duration::from_secs(5), || {
            s.log_count("client denied by server configuration") >= 4
        });
        assert_eq!(
            s.log_count("client denied by server configuration"),
            4,
            "{mpm}: /top.txt, POST and GET /private, /lan\n{}",
            s.log_text()
        );

        let access_log = root.path().join("logs/access_log");
        let mut text = String::new();
        wait_until(Duration::from_secs(5), || {
            text = std::fs::read_to_string(&access_log).unwrap_or_default();
            text.lines().count() >= 10
        });
        for line in [
            "127.0.0.1 403 /top.txt",
            "127.0.0.2 403 /private/f.txt",
            "127.0.0.2 403 /lan/f.txt",
            "127.0.0.2 200 /local/f.txt",
        ] {
            assert!(text.lines().any(|l| l == line), "{mpm}: {line} in\n{text}");
        }
    });
}

#[test]
fn bad_require_lines_fail_the_check_with_file_and_line() {
    let cases = [
        (
            "Require ip 10.0.0.1 300.1.1.1",
            "ip address '300.1.1.1' appears to be invalid: The specified IP address is invalid.",
        ),
        (
            "Require not ip 10.1",
            "negative Require directive has no effect in <RequireAny> directive",
        ),
        ("Require host example.com", "Unknown Authz provider: host"),
    ];
    for (line, message) in cases {
        let root = Root::new();
        let conf = root.config(&format!(
            "{}<Location /x>\n{line}\n</Location>\n",
            standard_modules()
        ));
        let number = std::fs::read_to_string(&conf)
            .unwrap()
            .lines()
            .position(|l| l == line)
            .unwrap()
            + 1;
        let conf = conf.display().to_string();
        let out = run(&["-t", "-f", &conf]);
        assert_eq!(out.code, Some(1), "{line}: {}", out.stderr);
        let expected = format!("Syntax error on line {number} of {conf}: {message}");
        assert!(
            out.stderr.contains(&expected),
            "{expected}\nin: {}",
            out.stderr
        );
    }
}
