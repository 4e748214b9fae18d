//! An address or network as `RemoteIPTrustedProxy` takes it (APR's apr_ipsubnet_create): a
//! full IPv4 or IPv6 address, a partial IPv4 address (`10.1` is 10.1.0.0/16), either with
//! `/bits`, or an IPv4 address with `/netmask`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A network: the address and how many leading bits must match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subnet {
    addr: IpAddr,
    bits: u8,
}

/// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as the IPv4 address it carries.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn prefix_bits(mask: Ipv4Addr) -> Option<u8> {
    let m = u32::from(mask);
    let bits = m.leading_ones();
    (m.checked_shl(bits).unwrap_or(0) == 0).then_some(bits as u8)
}

impl Subnet {
    /// The single address `ip`.
    pub fn host(ip: IpAddr) -> Subnet {
        let ip = canonical(ip);
        let bits = if ip.is_ipv4() { 32 } else { 128 };
        Subnet { addr: ip, bits }
    }

    /// Parses `ip` with the part after a `/` (`mask`); `None` when it is no network.
    pub fn parse(ip: &str, mask: Option<&str>) -> Option<Subnet> {
        let (addr, implied) = if let Ok(v6) = ip.parse::<Ipv6Addr>() {
            (canonical(IpAddr::V6(v6)), 128)
        } else {
            let octets: Vec<&str> = ip.split('.').collect();
            if octets.is_empty() || octets.len() > 4 {
                return None;
            }
            let mut bytes = [0u8; 4];
            for (i, o) in octets.iter().enumerate() {
                if o.is_empty() || !o.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                bytes[i] = o.parse().ok()?;
            }
            (IpAddr::V4(Ipv4Addr::from(bytes)), 8 * octets.len() as u8)
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let bits = match mask {
            None => implied,
            Some(m) if !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()) => {
                let bits: u8 = m.parse().ok()?;
                // A mapped IPv4 address took its /bits counted over 128.
                let bits = if max == 32 && ip.contains(':') {
                    bits.checked_sub(96)?
                } else {
                    bits
                };
                if bits == 0 || bits > max {
                    return None;
                }
                bits
            }
            Some(m) if addr.is_ipv4() => prefix_bits(m.parse().ok()?)?,
            Some(_) => return None,
        };
        let net = Subnet { addr, bits };
        Some(Subnet {
            addr: net.masked(addr)?,
            bits,
        })
    }

    /// `ip` with the bits past the prefix cleared; `None` for the other family.
    fn masked(&self, ip: IpAddr) -> Option<IpAddr> {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(_), IpAddr::V4(v4)) => {
                let m = u32::MAX.checked_shl(32 - u32::from(self.bits)).unwrap_or(0);
                Some(IpAddr::V4(Ipv4Addr::from(u32::from(v4) & m)))
            }
            (IpAddr::V6(_), IpAddr::V6(v6)) => {
                let m = u128::MAX
                    .checked_shl(128 - u32::from(self.bits))
                    .unwrap_or(0);
                Some(IpAddr::V6(Ipv6Addr::from(u128::from(v6) & m)))
            }
            _ => None,
        }
    }

    /// Whether `ip` is in the network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.masked(ip) == Some(self.addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forms_apr_takes() {
        let net = Subnet::parse("10.1", None).unwrap();
        assert!(net.contains(ip("10.1.200.3")) && !net.contains(ip("10.2.0.1")));
        let net = Subnet::parse("192.168.0.0", Some("255.255.0.0")).unwrap();
        assert!(net.contains(ip("192.168.7.7")) && !net.contains(ip("192.169.0.1")));
        let net = Subnet::parse("172.16.0.0", Some("12")).unwrap();
        assert!(net.contains(ip("172.31.255.255")) && !net.contains(ip("172.32.0.0")));
        let host = Subnet::parse("127.0.0.1", None).unwrap();
        assert!(host.contains(ip("::ffff:127.0.0.1")) && !host.contains(ip("127.0.0.2")));
        let v6 = Subnet::parse("2001:db8::", Some("32")).unwrap();
        assert!(v6.contains(ip("2001:db8::1")) && !v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        for bad in [
            ("10.x", None),
            ("1.2.3.4.5", None),
            ("10.0.0.0", Some("33")),
            ("10.0.0.0", Some("255.0.255.0")),
        ] {
            assert_eq!(Subnet::parse(bad.0, bad.1), None, "{bad:?}");
        }
    }
}
