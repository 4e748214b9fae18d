//! `Require ip` arguments: the address forms Apache (through APR's `apr_ipsubnet_create`)
//! accepts, and the test of a client address against them.
//!
//! Written by hand on top of std's address parsers: the CIDR crates parse `a.b.c.d/n` only, and
//! Apache also takes partial addresses (`10.1` = `10.1.0.0/16`), dotted netmasks (any mask, even
//! one with holes, as APR) and refuses IPv4-mapped IPv6 rules; what is left is a mask compare.

use super::Addr;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A network: the client matches when `client & mask == net`. `net` has no bit outside `mask`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subnet {
    /// An IPv4 network; also matches IPv4-mapped IPv6 clients (`::ffff:a.b.c.d`).
    V4 {
        /// Network bits.
        net: u32,
        /// Mask.
        mask: u32,
    },
    /// An IPv6 network (never an IPv4-mapped one: those are written as IPv4).
    V6 {
        /// Network bits.
        net: u128,
        /// Mask.
        mask: u128,
    },
}

/// Why an argument is refused, as APR tells `mod_authz_host`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// Not shaped like an address at all (a host name, say).
    NotAnAddress,
    /// Shaped like one but not valid (`300.1.1.1`, `::ffff:1.2.3.4`, `10.1/16`).
    BadAddress,
    /// The part after `/` is neither 1..=bits nor an IPv4 netmask.
    BadMask,
}

impl Subnet {
    /// Parses one argument of `Require ip`: `10.1.2.3`, `10.1.0.0/16`, `10.1` (a partial
    /// address: its octets are the network), `10.1.0.0/255.255.0.0`, `2001:db8::1`,
    /// `2001:db8::/32`. The error is Apache's sentence.
    pub fn parse(word: &str) -> Result<Subnet, String> {
        Self::parse_apr(word).map_err(|why| match why {
            Refusal::NotAnAddress => format!("ip address '{word}' appears to be invalid"),
            Refusal::BadAddress => format!(
                "ip address '{word}' appears to be invalid: The specified IP address is invalid."
            ),
            Refusal::BadMask => format!(
                "ip address '{word}' appears to be invalid: The specified network mask is invalid."
            ),
        })
    }

    fn parse_apr(word: &str) -> Result<Subnet, Refusal> {
        let (addr, mask) = match word.split_once('/') {
            Some((a, m)) => (a, Some(m)),
            None => (word, None),
        };
        // What is neither IPv6-ish (a colon) nor digits and dots is not meant as an address.
        if !addr.contains(':') && !addr.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(Refusal::NotAnAddress);
        }
        let subnet = if let Ok(v6) = addr.parse::<Ipv6Addr>() {
            // APR's rule: IPv4 networks are written as IPv4, so one test covers both families.
            if v6.to_ipv4_mapped().is_some() {
                return Err(Refusal::BadAddress);
            }
            Subnet::V6 {
                net: u128::from(v6),
                mask: u128::MAX,
            }
        } else if let Ok(v4) = addr.parse::<Ipv4Addr>() {
            Subnet::V4 {
                net: u32::from(v4),
                mask: u32::MAX,
            }
        } else if mask.is_none() {
            partial_v4(addr).ok_or(Refusal::BadAddress)?
        } else {
            return Err(Refusal::BadAddress);
        };
        let subnet = match mask {
            None => subnet,
            Some(m) => with_mask(subnet, m).ok_or(Refusal::BadMask)?,
        };
        Ok(match subnet {
            Subnet::V4 { net, mask } => Subnet::V4 {
                net: net & mask,
                mask,
            },
            Subnet::V6 { net, mask } => Subnet::V6 {
                net: net & mask,
                mask,
            },
        })
    }

    /// Whether `client` lies in this network (an IPv4-mapped client is an IPv4 one: see
    /// [`Addr`]).
    pub fn contains(&self, client: Addr) -> bool {
        match (self, client) {
            (Subnet::V4 { net, mask }, Addr::V4(a)) => a & mask == *net,
            (Subnet::V6 { net, mask }, Addr::V6(a)) => a & mask == *net,
            _ => false,
        }
    }
}

/// `10`, `10.1`, `10.1.2` (and with a trailing dot): the octets given are the network, the
/// rest is free. Apache's legacy form, only without a `/mask`.
fn partial_v4(s: &str) -> Option<Subnet> {
    // APR copies the text into a buffer the size of "255.255.255.255".
    if s.is_empty() || s.len() > 15 {
        return None;
    }
    let s = s.strip_suffix('.').unwrap_or(s);
    let mut net = 0u32;
    let mut mask = 0u32;
    for (i, part) in s.split('.').enumerate() {
        if i == 4 || part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let octet: u32 = part.parse().ok().filter(|&o| o <= 255)?;
        let shift = 24 - 8 * i as u32;
        net |= octet << shift;
        mask |= 0xff << shift;
    }
    Some(Subnet::V4 { net, mask })
}

/// Applies `/bits` (1 up to the family's width) or, for IPv4, `/a.b.c.d`.
fn with_mask(subnet: Subnet, m: &str) -> Option<Subnet> {
    let bits = if !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()) {
        m.parse::<u32>().ok()
    } else {
        None
    };
    match subnet {
        Subnet::V4 { net, .. } => {
            let mask = match bits {
                Some(b @ 1..=32) => u32::MAX << (32 - b),
                _ => u32::from(m.parse::<Ipv4Addr>().ok()?),
            };
            Some(Subnet::V4 { net, mask })
        }
        Subnet::V6 { net, .. } => match bits {
            Some(b @ 1..=128) => Some(Subnet::V6 {
                net,
                mask: u128::MAX << (128 - b),
            }),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(net: &str, mask: &str) -> Subnet {
        Subnet::V4 {
            net: u32::from(net.parse::<Ipv4Addr>().unwrap()),
            mask: u32::from(mask.parse::<Ipv4Addr>().unwrap()),
        }
    }

    fn ip(s: &str) -> Addr {
        s.parse::<std::net::IpAddr>().unwrap().into()
    }

    #[test]
    fn full_addresses_and_cidr() {
        assert_eq!(
            Subnet::parse("10.1.2.3").unwrap(),
            v4("10.1.2.3", "255.255.255.255")
        );
        assert_eq!(
            Subnet::parse("192.168.0.0/16").unwrap(),
            v4("192.168.0.0", "255.255.0.0")
        );
        // Bits outside the mask are dropped, as APR does.
        assert_eq!(
            Subnet::parse("192.168.7.9/16").unwrap(),
            v4("192.168.0.0", "255.255.0.0")
        );
        assert_eq!(
            Subnet::parse("10.0.0.0/32").unwrap(),
            v4("10.0.0.0", "255.255.255.255")
        );
        assert_eq!(
            Subnet::parse("1.2.3.4/1").unwrap(),
            v4("0.0.0.0", "128.0.0.0")
        );
    }

    #[test]
    fn partial_addresses_are_networks() {
        assert_eq!(Subnet::parse("10").unwrap(), v4("10.0.0.0", "255.0.0.0"));
        assert_eq!(
            Subnet::parse("10.1").unwrap(),
            v4("10.1.0.0", "255.255.0.0")
        );
        assert_eq!(
            Subnet::parse("172.16").unwrap(),
            v4("172.16.0.0", "255.255.0.0")
        );
        assert_eq!(
            Subnet::parse("10.1.2.").unwrap(),
            v4("10.1.2.0", "255.255.255.0")
        );
    }

    #[test]
    fn netmask_form() {
        assert_eq!(
            Subnet::parse("10.1.0.0/255.255.0.0").unwrap(),
            v4("10.1.0.0", "255.255.0.0")
        );
        // APR takes any IPv4 mask, holes included.
        assert_eq!(
            Subnet::parse("10.1.2.3/255.0.255.0").unwrap(),
            v4("10.0.2.0", "255.0.255.0")
        );
    }

    #[test]
    fn ipv6() {
        assert_eq!(
            Subnet::parse("::1").unwrap(),
            Subnet::V6 {
                net: 1,
                mask: u128::MAX
            }
        );
        let Subnet::V6 { net, mask } = Subnet::parse("2001:db8::/32").unwrap() else {
            panic!("not v6");
        };
        assert_eq!(net, 0x2001_0db8u128 << 96);
        assert_eq!(mask, u128::MAX << 96);
        assert!(Subnet::parse("2001:db8::/128").is_ok());
    }

    #[test]
    fn invalid_ones_in_apaches_words() {
        let bad_ip = |w: &str| {
            format!("ip address '{w}' appears to be invalid: The specified IP address is invalid.")
        };
        let bad_mask = |w: &str| {
            format!(
                "ip address '{w}' appears to be invalid: The specified network mask is invalid."
            )
        };
        for w in [
            "300.1.1.1",
            "1.2.3.4.5",
            "1..2",
            ".1",
            "10.1/16",
            "::ffff:1.2.3.4",
            "1:2:3",
            "1234567890123456",
            "",
        ] {
            assert_eq!(Subnet::parse(w).unwrap_err(), bad_ip(w), "{w}");
        }
        for w in [
            "10.0.0.0/0",
            "10.0.0.0/33",
            "10.0.0.0/x",
            "10.0.0.0/255.255",
            "10.0.0.0/",
            "::/0",
            "::1/129",
            "2001:db8::/ffff::",
            "2001:db8::/255.255.0.0",
        ] {
            assert_eq!(Subnet::parse(w).unwrap_err(), bad_mask(w), "{w}");
        }
        for w in ["example.com", "localhost", "10.0.0.0-8", "10.0.0.0 /8"] {
            assert_eq!(
                Subnet::parse(w).unwrap_err(),
                format!("ip address '{w}' appears to be invalid"),
                "{w}"
            );
        }
    }

    #[test]
    fn matching_v4_v6_and_v4_mapped() {
        let net = Subnet::parse("127.0.0.0/8").unwrap();
        assert!(net.contains(ip("127.0.0.2")));
        assert!(!net.contains(ip("128.0.0.1")));
        // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d.
        assert!(net.contains(ip("::ffff:127.0.0.2")));
        assert!(!net.contains(ip("::1")));
        let one = Subnet::parse("127.0.0.1").unwrap();
        assert!(one.contains(ip("127.0.0.1")));
        assert!(!one.contains(ip("127.0.0.2")));
        assert!(!one.contains(ip("::ffff:127.0.0.2")));
        let partial = Subnet::parse("172.16").unwrap();
        assert!(partial.contains(ip("172.16.200.1")));
        assert!(!partial.contains(ip("172.17.0.1")));

        let v6 = Subnet::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:1::5")));
        assert!(!v6.contains(ip("2001:db9::5")));
        assert!(!v6.contains(ip("32.1.13.184")), "families never mix");
        let lo = Subnet::parse("::1").unwrap();
        assert!(lo.contains(ip("::1")));
        assert!(!lo.contains(ip("127.0.0.1")));
    }
}
