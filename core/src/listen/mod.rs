//! Listeners: `Listen [addr:]port` parsed and bound by the core (socket2), then handed to the MPM.

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{IntoRawFd, RawFd};

/// One Listen line, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenAddr {
    /// The address; `None` for a bare port (all addresses, IPv6 and IPv4).
    pub ip: Option<IpAddr>,
    /// The port (0 lets the kernel choose, which tests use).
    pub port: u16,
}

/// Parses `8080`, `127.0.0.1:8080`, `[::1]:8080`.
pub fn parse_listen(s: &str) -> Result<ListenAddr, String> {
    let bad = || format!("Listen: invalid address or port '{s}': use port, ip:port or [ipv6]:port");
    if let Ok(port) = s.parse::<u16>() {
        return Ok(ListenAddr { ip: None, port });
    }
    let sa: SocketAddr = s.parse().map_err(|_| bad())?;
    Ok(ListenAddr {
        ip: Some(sa.ip()),
        port: sa.port(),
    })
}

/// A bound, listening socket.
#[derive(Debug)]
pub struct BoundListener {
    /// The descriptor (non-blocking, close-on-exec), owned for the life of the process.
    pub fd: RawFd,
    /// The address it is bound to, with the real port.
    pub addr: String,
}

fn bind_one(addr: SocketAddr, backlog: i32, v6only: bool) -> std::io::Result<(Socket, SocketAddr)> {
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    sock.set_reuse_address(true)?;
    if addr.is_ipv6() {
        sock.set_only_v6(v6only)?;
    }
    sock.set_nonblocking(true)?;
    sock.bind(&SockAddr::from(addr))?;
    sock.listen(backlog)?;
    let real = sock.local_addr()?.as_socket().unwrap_or(addr);
    Ok((sock, real))
}

/// Binds every Listen line. A bare port binds `[::]` in dual-stack mode, or `0.0.0.0` where the
/// machine has no IPv6. Errors use Apache's words.
pub fn bind_all(addrs: &[ListenAddr], backlog: i32) -> Result<Vec<BoundListener>, String> {
    let mut out = Vec::new();
    for a in addrs {
        let result = match a.ip {
            Some(ip) => bind_one(SocketAddr::new(ip, a.port), backlog, true),
            None => bind_one(
                SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), a.port),
                backlog,
                false,
            )
            .or_else(|_| {
                bind_one(
                    SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), a.port),
                    backlog,
                    false,
                )
            }),
        };
        let shown = match a.ip {
            Some(IpAddr::V6(ip)) => format!("[{ip}]:{}", a.port),
            Some(ip) => format!("{ip}:{}", a.port),
            None => format!("*:{}", a.port),
        };
        let (sock, real) = result.map_err(|e| format!("could not bind to address {shown}: {e}; no listening sockets available, shutting down"))?;
        let addr = match real {
            SocketAddr::V6(v6) => format!("[{}]:{}", v6.ip(), v6.port()),
            SocketAddr::V4(v4) => v4.to_string(),
        };
        out.push(BoundListener {
            fd: sock.into_raw_fd(),
            addr,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_forms() {
        assert_eq!(
            parse_listen("8080").unwrap(),
            ListenAddr {
                ip: None,
                port: 8080
            }
        );
        assert_eq!(
            parse_listen("127.0.0.1:80").unwrap().ip,
            Some("127.0.0.1".parse().unwrap())
        );
        assert_eq!(parse_listen("[::1]:81").unwrap().port, 81);
        assert!(parse_listen("localhost:80").is_err());
        assert!(parse_listen("99999").is_err());
    }

    #[test]
    fn binds_port_zero_on_loopback() {
        let l = bind_all(&[parse_listen("127.0.0.1:0").unwrap()], 16).unwrap();
        assert!(
            l[0].addr.starts_with("127.0.0.1:") && !l[0].addr.ends_with(":0"),
            "{}",
            l[0].addr
        );
        // SAFETY: we own the descriptor.
        unsafe { libc::close(l[0].fd) };
    }
}
