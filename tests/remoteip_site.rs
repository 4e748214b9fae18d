//! The site mod-remoteip is tested on, shared by remoteip.rs and apache_compat.rs: the same
//! lines and requests go to mapache and to apache2.

/// The lines after the modules. `list` is the absolute path of the internal proxy list
/// ([`LIST`]), `log` the access log's.
pub fn lines(list: &str, log: &str) -> String {
    format!(
        "RemoteIPHeader X-Forwarded-For\n\
         RemoteIPTrustedProxy 198.51.100.0/24\n\
         RemoteIPInternalProxyList \"{list}\"\n\
         RemoteIPProxiesHeader X-Forwarded-By\n\
         LogFormat \"%a|%{{c}}a|%h|%{{X-Forwarded-For}}i|%{{X-Forwarded-By}}i|%{{remoteip-proxy-ip-list}}n|%>s\" remote\n\
         CustomLog \"{log}\" remote\n\
         Header always set X-Remote-Addr \"expr=%{{REMOTE_ADDR}}\"\n\
         <Location /public>\nRequire ip 203.0.113.0/24\n</Location>\n\
         <Location /lan>\nRequire ip 192.168.1.0/24\n</Location>\n\
         <Location /local>\nRequire local\n</Location>\n"
    )
}

/// The internal proxy list: the test's own address, with comments.
pub const LIST: &str = "# the balancer in front\n127.0.0.1 # loopback\n\n10.9.9.9\n";

/// (path, X-Forwarded-For or none, status): 127.0.0.1 is an internal proxy (it may present
/// private addresses), 198.51.100.0/24 trusted ones (they may not).
pub const REQUESTS: [(&str, Option<&str>, u16); 10] = [
    ("/public/a.txt", Some("203.0.113.7"), 200),
    ("/public/a.txt", None, 403),
    // Internal 127.0.0.1 presents trusted 198.51.100.2, which presents the client.
    (
        "/public/a.txt",
        Some("192.0.2.1, 203.0.113.9, 198.51.100.2"),
        200,
    ),
    // A trusted (external) proxy may not present a private address: it stays the client.
    ("/lan/a.txt", Some("192.168.1.4, 198.51.100.2"), 403),
    // The internal one may.
    ("/lan/a.txt", Some("192.168.1.4"), 200),
    // An untrusted address ends the walk: the one it presented is not believed. So does an
    // empty element (the field's value arrives with its outer blanks trimmed).
    ("/public/a.txt", Some("203.0.113.7, 192.0.2.44"), 403),
    ("/public/a.txt", Some("not-an-ip"), 403),
    ("/public/a.txt", Some(" 203.0.113.7 , "), 403),
    // `Require local` asks about the useragent too.
    ("/local/a.txt", None, 200),
    ("/local/a.txt", Some("203.0.113.7"), 403),
];
