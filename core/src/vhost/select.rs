//! Choosing a request's virtual host as Apache 2.4 does (`ap_update_vhost_given_ip`, then
//! `ap_update_vhost_from_headers`): the connection's local address and port pick the candidate
//! set (an exact address beats `*` and `_default_`), then the Host the client sent picks among
//! them by ServerName, then ServerAlias (`*` and `?` wildcards), case-insensitively, the first
//! match in configuration order winning; no match, or no Host, is the set's first virtual host.
//! No candidate set at all: the main server.

use crate::config::store::VhostAddr;
use std::net::IpAddr;

/// A name a virtual host answers to, lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// ServerName, without scheme and port.
    pub server_name: String,
    /// ServerAlias names without a wildcard.
    pub exact: Vec<String>,
    /// ServerAlias names with `*` or `?`.
    pub wild: Vec<String>,
}

impl Names {
    /// The names of a virtual host: its ServerName and aliases, as configured.
    pub fn new(server_name: &str, aliases: &[String]) -> Names {
        let (wild, exact): (Vec<String>, Vec<String>) = aliases
            .iter()
            .map(|a| a.to_ascii_lowercase())
            .partition(|a| a.contains(['*', '?']));
        Names {
            server_name: server_name.to_ascii_lowercase(),
            exact,
            wild,
        }
    }

    /// Whether `host` (normalized, see [`normalize_host`]) is one of them (Apache's
    /// `matches_aliases`).
    pub fn matches(&self, host: &str) -> bool {
        self.server_name == host
            || self.exact.iter().any(|n| n == host)
            || self
                .wild
                .iter()
                .any(|w| wildcard_match(w.as_bytes(), host.as_bytes()))
    }
}

/// One virtual host on a candidate set: which one, and the port its address named (0: any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Member {
    vhost: usize,
    port: u16,
}

/// The virtual hosts sharing one address (and port), in configuration order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidates {
    /// The address and port of the set, as the first virtual host named it.
    pub addr: VhostAddr,
    members: Vec<Member>,
}

impl Candidates {
    /// The virtual hosts of the set, first (the default) first, without repeats.
    pub fn vhosts(&self) -> impl Iterator<Item = usize> + '_ {
        self.members
            .iter()
            .enumerate()
            .filter(|(i, m)| !self.members[..*i].iter().any(|o| o.vhost == m.vhost))
            .map(|(_, m)| m.vhost)
    }

    /// Whether several virtual hosts share the set (Apache's "is a NameVirtualHost").
    pub fn is_name_based(&self) -> bool {
        self.vhosts().nth(1).is_some()
    }

    /// The virtual host for a request with `host` (the Host the client sent, or the absolute
    /// URI's authority) arriving on `port`.
    pub fn choose(&self, host: Option<&[u8]>, port: u16, names: &[Names]) -> usize {
        if let Some(host) = host.and_then(normalize_host) {
            let found = self
                .members
                .iter()
                .filter(|m| m.port == 0 || m.port == port)
                .find(|m| names[m.vhost].matches(&host));
            if let Some(m) = found {
                return m.vhost;
            }
        }
        self.members[0].vhost
    }
}

/// Every candidate set.
#[derive(Debug, Default, Clone)]
pub struct Table {
    /// Sets of an exact address, in the order their first address was configured.
    pub exact: Vec<Candidates>,
    /// Sets of `*` or `_default_`, by port.
    pub wildcard: Vec<Candidates>,
}

impl Table {
    /// Builds the sets from each virtual host's addresses (in configuration order). As in
    /// Apache, an address joins the set of the same address and port; one differing only in
    /// the port (one of them `*`) makes a set of its own.
    pub fn build<'a>(vhosts: impl IntoIterator<Item = &'a [VhostAddr]>) -> Table {
        let mut t = Table::default();
        for (vhost, addrs) in vhosts.into_iter().enumerate() {
            for addr in addrs {
                let sets = match addr.ip {
                    None => &mut t.wildcard,
                    Some(_) => &mut t.exact,
                };
                let member = Member {
                    vhost,
                    port: addr.port,
                };
                match sets
                    .iter_mut()
                    .find(|s| s.addr.port == addr.port && same_ip(s.addr.ip, addr.ip))
                {
                    Some(s) => s.members.push(member),
                    None => sets.push(Candidates {
                        addr: *addr,
                        members: vec![member],
                    }),
                }
            }
        }
        t
    }

    /// The candidate set of a connection to `ip`:`port` (None: the main server serves it).
    pub fn candidates(&self, ip: IpAddr, port: u16) -> Option<&Candidates> {
        let ip = ip.to_canonical();
        self.exact
            .iter()
            .find(|s| (s.addr.port == 0 || s.addr.port == port) && same_ip(s.addr.ip, Some(ip)))
            .or_else(|| {
                self.wildcard
                    .iter()
                    .find(|s| s.addr.port == 0 || s.addr.port == port)
            })
    }
}

fn same_ip(a: Option<IpAddr>, b: Option<IpAddr>) -> bool {
    a.map(|a| a.to_canonical()) == b.map(|b| b.to_canonical())
}

/// The Host as Apache compares it (`fix_hostname`): lower case, without the port, without a
/// trailing dot; IPv6 literals keep their brackets. None when nothing is left or the host is
/// one Apache refuses (see [`apache_host`]).
pub fn normalize_host(host: &[u8]) -> Option<String> {
    apache_host(host).ok().flatten()
}

/// A Host Apache answers with 400 (AH00550).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedHost;

/// Apache's `fix_hostname` with its default `HttpProtocolOptions Strict` check, on a Host the
/// HTTP engine already accepted: `Ok(None)` for an empty one, `Err` for one Apache answers
/// with 400 (AH00550): a port that is empty, 0 or past 65535; a name with other bytes than
/// letters, digits, `-`, `_` and `.`; a dotted-decimal address that is not four numbers
/// without leading zeros; a top-level label that starts with a digit.
pub fn apache_host(value: &[u8]) -> Result<Option<String>, MalformedHost> {
    Ok(check_host(value)?.map(str::to_ascii_lowercase))
}

/// [`apache_host`] without the copy: the host part as sent (case kept), checked.
pub fn check_host(value: &[u8]) -> Result<Option<&str>, MalformedHost> {
    let s = std::str::from_utf8(value)
        .map_err(|_| MalformedHost)?
        .trim();
    if s.is_empty() {
        return Ok(None);
    }
    // A bare number is a name (Apache does not take it for a port).
    let (host, port) = if s.bytes().all(|b| b.is_ascii_digit()) {
        (s, None)
    } else if s.starts_with('[') {
        let end = s.find(']').ok_or(MalformedHost)?;
        match &s[end + 1..] {
            "" => (&s[..=end], None),
            rest => (
                &s[..=end],
                Some(rest.strip_prefix(':').ok_or(MalformedHost)?),
            ),
        }
    } else {
        match s.rfind(':') {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        }
    };
    if let Some(p) = port {
        let ok = !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n));
        if !ok {
            return Err(MalformedHost);
        }
    }
    if host.starts_with('[') {
        return Ok(Some(host));
    }
    if host.contains("..") || host.contains(['/', '\\']) {
        return Err(MalformedHost);
    }
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() {
        return Ok(None);
    }
    strict_hostname(host.as_bytes())
        .then_some(Some(host))
        .ok_or(MalformedHost)
}

/// Apache's `strict_hostname_check` (RFC 3986 7.4, RFC 1123 2.1).
fn strict_hostname(host: &[u8]) -> bool {
    let mut dotted_decimal = true;
    let mut leading_zeroes = false;
    let mut dots = 0;
    for (i, &b) in host.iter().enumerate() {
        if b.is_ascii_alphabetic() || b == b'-' || b == b'_' {
            dotted_decimal = false;
        } else if b == b'.' {
            dots += 1;
            if host.get(i + 1) == Some(&b'0') && host.get(i + 2).is_some_and(u8::is_ascii_digit) {
                leading_zeroes = true;
            }
        } else if !b.is_ascii_digit() {
            return false;
        }
    }
    if dotted_decimal {
        if host[0] == b'.' || (host[0] == b'0' && host.get(1).is_some_and(u8::is_ascii_digit)) {
            leading_zeroes = true;
        }
        return !leading_zeroes && dots == 3;
    }
    // The top-level label starts with a letter.
    match host.iter().rposition(|&b| b == b'.') {
        Some(i) => host.get(i + 1).is_none_or(u8::is_ascii_alphabetic),
        None => true,
    }
}

/// Apache's `ap_strcasecmp_match` (case-folded by the caller): `*` any run, `?` one byte.
pub fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> VhostAddr {
        VhostAddr::parse(s).unwrap()
    }

    /// a, b: name-based on *:80; c: 127.0.0.2:80 alone; d: 127.0.0.2:80 too and 10.0.0.1:81.
    fn table() -> (Table, Vec<Names>) {
        let addrs = [
            vec![addr("*:80")],
            vec![addr("*:80")],
            vec![addr("127.0.0.2:80")],
            vec![addr("127.0.0.2:80"), addr("10.0.0.1:81")],
        ];
        let names = vec![
            Names::new(
                "a.example",
                &["www.a.example".into(), "*.wild.example".into()],
            ),
            Names::new("b.example", &["b?.example".into()]),
            Names::new("c.example", &[]),
            Names::new("d.example", &[]),
        ];
        (Table::build(addrs.iter().map(Vec::as_slice)), names)
    }

    fn pick(ip: &str, port: u16, host: Option<&str>) -> Option<usize> {
        let (t, names) = table();
        t.candidates(ip.parse().unwrap(), port)
            .map(|c| c.choose(host.map(str::as_bytes), port, &names))
    }

    #[test]
    fn the_local_address_picks_the_set_and_host_the_vhost() {
        assert_eq!(pick("127.0.0.1", 80, Some("b.example")), Some(1));
        assert_eq!(pick("127.0.0.1", 80, Some("B.Example:80")), Some(1));
        assert_eq!(pick("127.0.0.1", 80, Some("b.example.")), Some(1));
        assert_eq!(pick("127.0.0.1", 80, Some("www.a.example")), Some(0));
        assert_eq!(pick("127.0.0.1", 80, Some("x.y.wild.example")), Some(0));
        assert_eq!(pick("127.0.0.1", 80, Some("b1.example")), Some(1));
        assert_eq!(
            pick("127.0.0.1", 80, Some("b12.example")),
            Some(0),
            "? is one byte"
        );
        assert_eq!(
            pick("127.0.0.1", 80, Some("unknown")),
            Some(0),
            "the default"
        );
        assert_eq!(pick("127.0.0.1", 80, None), Some(0));
        // The exact address beats *, and its names only are considered.
        assert_eq!(pick("127.0.0.2", 80, Some("b.example")), Some(2));
        assert_eq!(pick("127.0.0.2", 80, Some("d.example")), Some(3));
        assert_eq!(pick("10.0.0.1", 81, Some("c.example")), Some(3));
        // No set for that port: the main server.
        assert_eq!(pick("127.0.0.1", 8080, Some("a.example")), None);
        assert_eq!(pick("::ffff:127.0.0.2", 80, None), Some(2), "v4-mapped");
    }

    #[test]
    fn sets_are_name_based_when_shared() {
        let (t, _) = table();
        assert!(t.wildcard[0].is_name_based());
        assert!(t.exact[0].is_name_based());
        assert!(!t.exact[1].is_name_based());
        assert_eq!(t.exact[0].vhosts().collect::<Vec<_>>(), vec![2, 3]);
    }

    #[test]
    fn hosts_normalize_like_apache() {
        assert_eq!(
            normalize_host(b"WWW.Example.COM:8080").as_deref(),
            Some("www.example.com")
        );
        assert_eq!(
            normalize_host(b"example.com.").as_deref(),
            Some("example.com")
        );
        assert_eq!(normalize_host(b"[::1]:80").as_deref(), Some("[::1]"));
        assert_eq!(normalize_host(b""), None);
        assert_eq!(normalize_host(b":80"), None);
    }

    #[test]
    fn hosts_apache_refuses() {
        for bad in [
            "a.example:",
            "a.example:0",
            "a.example:99999",
            "*.wild.example",
            "a!.example",
            "80",
            "1.2.3",
            "010.0.0.1",
            "a.1b",
            "a..b",
        ] {
            assert_eq!(apache_host(bad.as_bytes()), Err(MalformedHost), "{bad}");
        }
        for (ok, name) in [
            ("10.0.0.1", "10.0.0.1"),
            ("A_b.Example.:8080", "a_b.example"),
            (".a.example", ".a.example"),
            ("[::1]:80", "[::1]"),
            ("localhost", "localhost"),
        ] {
            assert_eq!(
                apache_host(ok.as_bytes()),
                Ok(Some(name.to_owned())),
                "{ok}"
            );
        }
        assert_eq!(apache_host(b""), Ok(None));
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match(b"*.example", b"a.b.example"));
        assert!(!wildcard_match(b"*.example", b"example"));
        assert!(wildcard_match(b"a*b*c", b"aXXbYYc"));
        assert!(!wildcard_match(b"a?c", b"ac"));
        assert!(wildcard_match(b"*", b""));
    }
}
