//! Apache's remoteip_modify_request as a function: the header's addresses taken from the
//! right while the address that presented them is a proxy trusted to, each checked as Apache
//! checks it.

use crate::subnet::{canonical, Subnet};
use std::net::IpAddr;

/// One `RemoteIPTrustedProxy` / `RemoteIPInternalProxy` network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proxy {
    /// The network.
    pub net: Subnet,
    /// `RemoteIPInternalProxy`: may present private addresses.
    pub internal: bool,
}

/// What the walk found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The useragent.
    pub client: IpAddr,
    /// What is left of the header (`None`: remove it).
    pub remaining: Option<String>,
    /// The trusted (not internal) proxies stepped over, nearest first (Apache's note
    /// `remoteip-proxy-ip-list` and `RemoteIPProxiesHeader`).
    pub proxy_ips: Option<String>,
}

/// Apache's test for an address an external proxy may not present: RFC 3330's private and
/// local IPv4 networks, and IPv6 outside global unicast 2000::/3.
fn private(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            o[0] == 10
                || o[0] == 127
                || (o[0] == 169 && o[1] == 254)
                || (o[0] == 172 && (o[1] & 0xf0) == 16)
                || (o[0] == 192 && o[1] == 168)
        }
        IpAddr::V6(v6) => (v6.octets()[0] & 0xe0) != 0x20,
    }
}

/// Walks `header` (the field's value) for a request from `peer`. `proxies`: the configured
/// networks, or `None` when none is (then every peer is a trusted, external proxy). `None`
/// when no address was taken.
pub fn walk(peer: IpAddr, header: &str, proxies: Option<&[Proxy]>) -> Option<Found> {
    // With a list, what is not found stays internal only while every proxy so far was.
    let mut internal = proxies.is_some();
    let mut current = canonical(peer);
    let mut rest: Option<&str> = Some(header);
    let mut taken = false;
    let mut proxy_ips: Vec<String> = Vec::new();
    while let Some(remote) = rest {
        if let Some(list) = proxies {
            match list.iter().find(|p| p.net.contains(current)) {
                Some(p) => internal = internal && p.internal,
                None if !list.is_empty() => break,
                None => {}
            }
        }
        let (left, last) = match remote.rfind(',') {
            Some(i) => (Some(&remote[..i]), &remote[i + 1..]),
            None => (None, remote),
        };
        let candidate = last.trim_matches(' ');
        let Ok(ip) = candidate.parse::<IpAddr>() else {
            // Empty or no address: it stays in the header and the walk ends.
            break;
        };
        let ip = canonical(ip);
        if !internal && private(ip) {
            break;
        }
        if !internal {
            proxy_ips.push(current.to_string());
        }
        taken = true;
        current = ip;
        rest = left;
    }
    taken.then(|| Found {
        client: current,
        remaining: rest.map(str::to_owned),
        proxy_ips: (!proxy_ips.is_empty()).then(|| proxy_ips.join(", ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxy(net: &str, internal: bool) -> Proxy {
        let (a, m) = match net.split_once('/') {
            Some((a, m)) => (a, Some(m)),
            None => (net, None),
        };
        Proxy {
            net: Subnet::parse(a, m).unwrap(),
            internal,
        }
    }

    #[test]
    fn without_a_list_every_peer_is_trusted_but_private_addresses_are_not_taken() {
        // Each address taken is trusted in turn: the walk goes to the left end.
        let f = walk(ip("127.0.0.1"), "203.0.113.7, 198.51.100.2", None).unwrap();
        assert_eq!(f.client, ip("203.0.113.7"));
        assert_eq!(f.remaining, None);
        assert_eq!(f.proxy_ips.as_deref(), Some("127.0.0.1, 198.51.100.2"));
        let f = walk(ip("127.0.0.1"), "192.168.0.9, 198.51.100.2", None).unwrap();
        assert_eq!(f.client, ip("198.51.100.2"));
        assert_eq!(f.remaining.as_deref(), Some("192.168.0.9"));
        assert_eq!(walk(ip("127.0.0.1"), "10.0.0.5", None), None);
        assert_eq!(walk(ip("127.0.0.1"), "fd00::1", None), None);
        assert_eq!(walk(ip("127.0.0.1"), "", None), None);
    }

    #[test]
    fn trusted_proxies_walk_right_to_left_until_an_untrusted_address() {
        let list = [proxy("127.0.0.1", false), proxy("198.51.100.0/24", false)];
        let f = walk(
            ip("127.0.0.1"),
            "203.0.113.9, 203.0.113.7 , 198.51.100.2",
            Some(&list),
        )
        .unwrap();
        // 198.51.100.2 is a trusted proxy: it presented 203.0.113.7, which is not one.
        assert_eq!(f.client, ip("203.0.113.7"));
        assert_eq!(f.remaining.as_deref(), Some("203.0.113.9"));
        assert_eq!(f.proxy_ips.as_deref(), Some("127.0.0.1, 198.51.100.2"));
        // A peer not in the list: nothing.
        assert_eq!(walk(ip("192.0.2.1"), "203.0.113.7", Some(&list)), None);
        // Everything taken: the header goes.
        let f = walk(ip("127.0.0.1"), "203.0.113.7", Some(&list)).unwrap();
        assert_eq!((f.client, f.remaining), (ip("203.0.113.7"), None));
    }

    #[test]
    fn internal_proxies_may_present_private_addresses_and_are_not_listed() {
        let list = [proxy("127.0.0.0/8", true), proxy("10.0.0.0/8", false)];
        let f = walk(ip("127.0.0.1"), "192.168.1.4, 10.1.1.1", Some(&list)).unwrap();
        // 127.0.0.1 (internal) presented 10.1.1.1 (a trusted proxy, external): that one may
        // not present the private 192.168.1.4.
        assert_eq!(f.client, ip("10.1.1.1"));
        assert_eq!(f.remaining.as_deref(), Some("192.168.1.4"));
        assert_eq!(f.proxy_ips, None);
        let f = walk(ip("127.0.0.1"), "garbage, 192.168.1.4", Some(&list[..1])).unwrap();
        assert_eq!(f.client, ip("192.168.1.4"));
        assert_eq!(f.remaining.as_deref(), Some("garbage"));
    }
}
