//! mod-remoteip on the real server, on each MPM: the client taken from X-Forwarded-For through
//! internal (a list file with comments) and trusted proxies as Apache takes it, seen by
//! `Require ip`, `%a`, `%h`, `REMOTE_ADDR` (mod-headers' `expr=`), the scoreboard (mod-status'
//! JSON) while `%{c}a` keeps the peer; the header rewritten, `RemoteIPProxiesHeader` and the
//! `remoteip-proxy-ip-list` note; `-t` errors, `RemoteIPProxyProtocol` refused.

use mapache_tests::*;

#[path = "remoteip_site.rs"]
mod remoteip_site;
use remoteip_site::{lines, LIST, REQUESTS};

fn modules(mpm: &str) -> String {
    format!(
        "{}LoadModule remoteip_module {}\nLoadModule headers_module {}\nLoadModule status_module {}\n",
        modules_for(mpm),
        module("libmod_remoteip.so").display(),
        module("libmod_headers.so").display(),
        module("libmod_status.so").display()
    )
}

fn request(s: &Server, path: &str, xff: Option<&str>) -> Response {
    let extra = xff.map_or(String::new(), |v| format!("X-Forwarded-For: {v}\r\n"));
    let raw = format!("GET {path} HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n");
    parse_responses(&s.exchange(raw.as_bytes()), false).remove(0)
}

#[test]
fn the_client_behind_proxies_on_each_mpm() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        for d in ["public", "lan", "local"] {
            root.write(&format!("htdocs/{d}/a.txt"), "a\n");
        }
        let list = root.write("conf/internal-proxies", LIST);
        let log = root.path().join("logs/remote.log");
        root.config(&format!(
            "{}{}ExtendedStatus On\n<Location /server-status>\nSetHandler server-status\n</Location>\n",
            modules(mpm),
            lines(list.to_str().unwrap(), log.to_str().unwrap())
        ));
        let s = Server::start(&root, &[]);
        let mut statuses = Vec::new();
        let mut addrs = Vec::new();
        for (path, xff, _) in REQUESTS {
            let r = request(&s, path, xff);
            statuses.push(r.status);
            addrs.push(r.header("X-Remote-Addr").unwrap_or("").to_owned());
        }
        let expected: Vec<u16> = REQUESTS.iter().map(|r| r.2).collect();
        assert_eq!(statuses, expected, "{mpm}");
        assert_eq!(
            addrs,
            [
                "203.0.113.7",
                "127.0.0.1",
                "203.0.113.9",
                "198.51.100.2",
                "192.168.1.4",
                "192.0.2.44",
                "127.0.0.1",
                "127.0.0.1",
                "127.0.0.1",
                "203.0.113.7"
            ],
            "{mpm}: REMOTE_ADDR"
        );
        let logged = file_lines(&log, REQUESTS.len());
        assert_eq!(
            logged,
            [
                "203.0.113.7|127.0.0.1|203.0.113.7|-|-|-|200",
                "127.0.0.1|127.0.0.1|127.0.0.1|-|-|-|403",
                "203.0.113.9|127.0.0.1|203.0.113.9|192.0.2.1|198.51.100.2|198.51.100.2|200",
                "198.51.100.2|127.0.0.1|198.51.100.2|192.168.1.4|-|-|403",
                "192.168.1.4|127.0.0.1|192.168.1.4|-|-|-|200",
                "192.0.2.44|127.0.0.1|192.0.2.44|203.0.113.7|-|-|403",
                "127.0.0.1|127.0.0.1|127.0.0.1|not-an-ip|-|-|403",
                "127.0.0.1|127.0.0.1|127.0.0.1|203.0.113.7 ,|-|-|403",
                "127.0.0.1|127.0.0.1|127.0.0.1|-|-|-|200",
                "203.0.113.7|127.0.0.1|203.0.113.7|-|-|-|403",
            ],
            "{mpm}: %a|%{{c}}a|%h|X-Forwarded-For|X-Forwarded-By|note|status"
        );
        // The scoreboard's client for the request being served is the useragent.
        let status = request(&s, "/server-status?json", Some("203.0.113.77"));
        let json: serde_json::Value = serde_json::from_slice(&status.body).expect("json");
        let clients: Vec<&str> = json["processes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["workers"].as_array().unwrap())
            .filter_map(|w| w["client"].as_str())
            .collect();
        assert!(clients.contains(&"203.0.113.77"), "{mpm}: {clients:?}");
    });
}

#[test]
fn bad_lines_fail_t_with_their_line() {
    for (line, message) in [
        (
            "RemoteIPProxyProtocol On",
            "RemoteIPProxyProtocol: the PROXY protocol is not supported by mapache yet (issue 19)",
        ),
        (
            "RemoteIPTrustedProxy 10.0.0.0/33",
            "RemoteIP: Error parsing IP 10.0.0.0/33",
        ),
        (
            "RemoteIPInternalProxyList /nonexistent/list",
            "RemoteIPInternalProxyList: Could not open file /nonexistent/list",
        ),
        (
            "<Location /a>\nRemoteIPHeader X-Forwarded-For\n</Location>",
            "RemoteIPHeader",
        ),
    ] {
        let root = Root::new();
        let conf = root.config(&format!(
            "{}LoadModule remoteip_module {}\n{line}\n",
            standard_modules(),
            module("libmod_remoteip.so").display()
        ));
        let out = run(&["-t", "-f", conf.to_str().unwrap()]);
        assert_ne!(out.code, Some(0), "{line}");
        assert!(
            out.stderr.contains(message) && out.stderr.contains("line "),
            "{line}: {}",
            out.stderr
        );
        assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    }
}

/// With HostnameLookups On, `%h` is the useragent's name, looked up for the address
/// mod-remoteip set (Apache's ap_get_useragent_host), not the peer's: 127.0.0.1 is
/// `localhost`, the proxied 192.0.2.1 has no name and is logged as its address.
#[test]
fn hostname_lookups_name_the_useragent_not_the_peer() {
    let root = Root::new();
    root.write("htdocs/a.txt", "a\n");
    let log = root.path().join("logs/hosts.log");
    root.config(&format!(
        "{}LoadModule remoteip_module {}\nHostnameLookups On\n\
         RemoteIPHeader X-Forwarded-For\nRemoteIPInternalProxy 127.0.0.1\n\
         LogFormat \"%h %{{c}}a %{{c}}h\" hosts\nCustomLog \"{}\" hosts\n",
        standard_modules(),
        module("libmod_remoteip.so").display(),
        log.display()
    ));
    let s = Server::start(&root, &[]);
    assert_eq!(request(&s, "/a.txt", None).status, 200);
    assert_eq!(request(&s, "/a.txt", Some("192.0.2.1")).status, 200);
    assert_eq!(
        file_lines(&log, 2),
        [
            "localhost 127.0.0.1 localhost",
            "192.0.2.1 127.0.0.1 localhost"
        ]
    );
}

/// The error log's client is the useragent too, with port 0 as Apache writes it (mod_remoteip
/// does not know the client's port), and ErrorLogFormat's `%{c}a` the peer.
#[test]
fn the_error_log_names_the_useragent() {
    let root = Root::new();
    root.write("htdocs/a.txt", "a\n");
    let conf = |format: &str| {
        root.config(&format!(
            "{}LoadModule remoteip_module {}\nLogLevel info\n{format}\
             RemoteIPHeader X-Forwarded-For\nRemoteIPInternalProxy 127.0.0.1\n",
            standard_modules(),
            module("libmod_remoteip.so").display(),
        ))
    };
    conf("");
    let s = Server::start(&root, &[]);
    let mark = s.log_mark();
    assert_eq!(request(&s, "/missing.txt", Some("203.0.113.7")).status, 404);
    let line = s
        .wait_log_since(mark, "missing.txt", 10)
        .unwrap_or_else(|| s.log_text());
    assert!(line.contains("[client 203.0.113.7:0]"), "{line}");
    drop(s);
    conf("ErrorLogFormat \"%a %{c}a %M\"\n");
    let s = Server::start(&root, &[]);
    let mark = s.log_mark();
    request(&s, "/missing.txt", Some("203.0.113.7"));
    let line = s
        .wait_log_since(mark, "missing.txt", 10)
        .unwrap_or_else(|| s.log_text());
    assert!(line.starts_with("203.0.113.7:0 127.0.0.1:"), "{line}");
}
