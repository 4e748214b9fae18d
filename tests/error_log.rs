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
    assert_eq!(s.get("/denied").status, 403);
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
