//! The error log against the real server: `ErrorLog syslog:facility` sending libc-shaped
//! syslog datagrams (to a socket the test binds, named by `MAPACHE_SYSLOG_SOCKET`), and
//! ErrorLogFormat.

use mapache_tests::*;
use std::os::unix::net::UnixDatagram;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A syslog daemon for one test: every datagram received on a socket in `root`.
struct Syslogd {
    path: std::path::PathBuf,
    got: Arc<Mutex<Vec<String>>>,
}

impl Syslogd {
    fn new(root: &Root) -> Syslogd {
        let path = root.path().join("log.sock");
        let socket = UnixDatagram::bind(&path).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::downgrade(&got);
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            loop {
                let r = socket.recv(&mut buf);
                let Some(sink) = sink.upgrade() else { return };
                if let Ok(n) = r {
                    sink.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&buf[..n]).into_owned());
                }
            }
        });
        Syslogd { path, got }
    }

    fn messages(&self) -> Vec<String> {
        self.got.lock().unwrap().clone()
    }

    fn wait_for(&self, needle: &str) -> Option<String> {
        let mut found = None;
        wait_until(Duration::from_secs(10), || {
            found = self.messages().into_iter().find(|m| m.contains(needle));
            found.is_some()
        });
        found
    }
}

#[test]
fn error_log_to_a_syslog_facility_sends_syslog_datagrams() {
    let root = Root::new();
    let syslogd = Syslogd::new(&root);
    root.config(&format!(
        "{}StartServers 1\nErrorLog syslog:local1\n<Location /denied>\nRequire all denied\n</Location>\n",
        modules_for("prefork")
    ));
    let socket = syslogd.path.to_str().unwrap().to_owned();
    let s = Server::start_with(&root, &[], &[("MAPACHE_SYSLOG_SOCKET", &socket)], |_| {
        syslogd
            .messages()
            .iter()
            .find_map(|m| m.split("listening on ").nth(1).map(|a| a.trim().to_owned()))
    });
    let master = s.pid();
    // local1 (17 << 3) | notice (5) = 141; the tag and pid as libc's LOG_PID writes them.
    let listening = syslogd.wait_for("listening on").unwrap();
    let prefix = "<141>";
    assert!(listening.starts_with(prefix), "{listening}");
    let tag = format!(" mapache[{master}]: [core:notice] [pid {master}] listening on ");
    assert!(listening.contains(&tag), "{listening}");
    // `Mmm dd hh:mm:ss` between the priority and the tag.
    let stamp = &listening[prefix.len()..listening.find(" mapache[").unwrap()];
    assert_eq!(stamp.len(), "Dec  3 17:15:47".len(), "{listening}");
    assert!(!listening.ends_with('\n'), "{listening:?}");

    // A child's line: error (3) at local1 = 139, with the child's pid.
    let raw = s.exchange(
        b"GET /denied HTTP/1.1\r\nHost: t\r\nReferer: http://r.example/\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(parse_responses(&raw, false)[0].status, 403);
    let denied = syslogd
        .wait_for("client denied by server configuration")
        .unwrap();
    assert!(denied.starts_with("<139>"), "{denied}");
    let child = s.children()[0];
    assert!(
        denied.contains(&format!(
            " mapache[{child}]: [authz_core:error] [pid {child}] [client 127.0.0.1:"
        )),
        "{denied}"
    );
    // Apache's default line ends with the request's Referer.
    assert!(
        denied.ends_with("/htdocs/denied, referer: http://r.example/"),
        "{denied}"
    );
    // Nothing went to a file, and standard error stayed quiet after the start.
    assert!(!root.path().join("syslog:local1").exists());
    assert!(!s.log_text().contains("client denied"), "{}", s.log_text());
}

#[test]
fn an_unknown_syslog_facility_is_refused() {
    let root = Root::new();
    let conf = root.config(&format!(
        "{}ErrorLog syslog:local9\n",
        modules_for("prefork")
    ));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "Syntax error on line 8 of {}: ErrorLog syslog:local9: unknown syslog facility 'local9'",
            conf.display()
        )),
        "{}",
        out.stderr
    );
}

#[test]
fn error_log_format_shows_apaches_items_and_drops_empty_fields() {
    let root = Root::new();
    root.config(&format!(
        "{}StartServers 1\nErrorLog logs/error_log\n\
         ErrorLogFormat \"[%{{cu}}t] [%-m:%l] [pid %P] %{{X-Trace}}i [client\\ %a] %M% ,\\ referer\\ %{{Referer}}i\"\n\
         <Location /denied>\nRequire all denied\n</Location>\n",
        modules_for("prefork")
    ));
    let log = root.path().join("logs/error_log");
    let s = Server::start_with(&root, &[], &[], |_| {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.split("listening on ").nth(1).map(|a| a.trim().to_owned()))
    });
    let master = s.pid();
    let raw = s.exchange(
        b"GET /denied HTTP/1.1\r\nHost: t\r\nX-Trace: tr1\r\nReferer: http://r.example/\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(parse_responses(&raw, false)[0].status, 403);
    let lines = file_lines(&log, 3);
    let listening = lines.iter().find(|l| l.contains("listening on")).unwrap();
    // `2026-12-03 17:23:27.801627`, then the fields a line without a request has.
    let (stamp, rest) = listening[1..].split_once("] ").unwrap();
    assert_eq!(
        stamp.len(),
        "2026-12-03 17:23:27.801627".len(),
        "{listening}"
    );
    assert_eq!(stamp.as_bytes()[4], b'-', "{listening}");
    assert!(
        rest.starts_with(&format!(
            "[core:notice] [pid {master}] listening on 127.0.0.1:"
        )),
        "{listening}"
    );
    let denied = file_lines(&log, 4)
        .into_iter()
        .find(|l| l.contains("client denied"))
        .unwrap();
    let child = s.children()[0];
    let (_, rest) = denied[1..].split_once("] ").unwrap();
    assert!(
        rest.starts_with(&format!(
            "[authz_core:error] [pid {child}] tr1 [client 127.0.0.1:"
        )),
        "{denied}"
    );
    assert!(
        denied.ends_with("/htdocs/denied, referer http://r.example/"),
        "{denied}"
    );
}

#[test]
fn bad_error_log_formats_are_refused() {
    let root = Root::new();
    for (line, message) in [
        (
            "ErrorLogFormat \"%Z %M\"",
            "Unrecognized error log format directive %Z",
        ),
        (
            "ErrorLogFormat request \"%L %M\"",
            "ErrorLogFormat request: the once-per-request lines are not supported",
        ),
    ] {
        let conf = root.config(&format!("{}{line}\n", modules_for("prefork")));
        let out = run(&["-t", "-f", conf.to_str().unwrap()]);
        assert_eq!(out.code, Some(1), "{}", out.stderr);
        assert!(
            out.stderr.contains(&format!(
                "Syntax error on line 8 of {}: {message}",
                conf.display()
            )),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn a_virtual_hosts_error_log_can_be_syslog() {
    let root = Root::new();
    let syslogd = Syslogd::new(&root);
    root.config(&format!(
        "{}StartServers 1\nServerName main.example\n\
         <VirtualHost *>\nServerName v.example\nErrorLog syslog:local2\n</VirtualHost>\n\
         <Location /denied>\nRequire all denied\n</Location>\n",
        modules_for("prefork")
    ));
    let socket = syslogd.path.to_str().unwrap().to_owned();
    let s = Server::start_with(&root, &[], &[("MAPACHE_SYSLOG_SOCKET", &socket)], |_| None);
    let raw = s.exchange(b"GET /denied HTTP/1.1\r\nHost: v.example\r\nConnection: close\r\n\r\n");
    assert_eq!(parse_responses(&raw, false)[0].status, 403);
    // local2 (18 << 3) | error (3) = 147.
    let denied = syslogd.wait_for("client denied").unwrap();
    assert!(denied.starts_with("<147>"), "{denied}");
    assert!(!root.path().join("syslog:local2").exists());
}
