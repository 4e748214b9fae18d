//! Listeners: `Listen [addr:]port` parsed and bound by the core (socket2), then handed to the MPM.
//! Sockets inherited through the systemd protocol (socket activation, or our own re-exec) are
//! matched to Listen lines by address and used instead of binding.

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{IntoRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

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
    /// Where it came from: bound here, or inherited (and under which name).
    pub origin: ListenerOrigin,
}

/// Where a listener came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenerOrigin {
    /// Bound by this process for a Listen line.
    Bound,
    /// Inherited through `LISTEN_FDS`, with its `LISTEN_FDNAMES` name.
    Inherited(String),
}

/// Whether an inherited socket bound to `addr` serves the Listen line `l`: same port (any port
/// for `:0`, which lets the choice be made elsewhere), same address (any for a bare port).
pub fn serves(l: &ListenAddr, addr: &SocketAddr) -> bool {
    (l.port == 0 || l.port == addr.port()) && l.ip.is_none_or(|ip| ip == addr.ip())
}

fn shown(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V6(v6) => format!("[{}]:{}", v6.ip(), v6.port()),
        SocketAddr::V4(v4) => v4.to_string(),
    }
}

/// What [`open_all`] opened.
#[derive(Debug, Default)]
pub struct Opened {
    /// The listeners, in Listen order (then unnamed inherited ones).
    pub listeners: Vec<BoundListener>,
    /// Notices for the error log.
    pub notes: Vec<String>,
    /// Listen lines skipped because they could not be bound (only with `keep_going`), one
    /// error line each.
    pub skipped: Vec<String>,
}

/// The listeners for `addrs`: an inherited socket where one serves the line, else a new one bound.
/// Inherited sockets no line names are kept when systemd passed them (with a notice: the unit
/// decides what we listen on), and closed when our own re-exec passed them (the new
/// configuration dropped that Listen line). An address that cannot be bound stops everything,
/// unless `keep_going` (a restarted server that was serving fine): then it is skipped, as long as
/// one listener is left.
pub fn open_all(
    addrs: &[ListenAddr],
    backlog: i32,
    inherited: Vec<crate::control::systemd::Inherited>,
    keep_going: bool,
) -> Result<Opened, String> {
    use crate::control::systemd::REEXEC_NAME;
    let mut pool: Vec<Option<crate::control::systemd::Inherited>> =
        inherited.into_iter().map(Some).collect();
    let mut out = Opened::default();
    for a in addrs {
        let found = pool
            .iter_mut()
            .find(|s| s.as_ref().is_some_and(|s| serves(a, &s.addr)))
            .and_then(Option::take);
        match found {
            Some(s) => {
                if s.name != REEXEC_NAME {
                    out.notes.push(format!(
                        "socket activation: descriptor {} ({}) serves Listen {}",
                        s.fd,
                        shown(s.addr),
                        display(a)
                    ));
                }
                out.listeners.push(BoundListener {
                    fd: s.fd,
                    addr: shown(s.addr),
                    origin: ListenerOrigin::Inherited(s.name),
                });
            }
            None => match bind_line(a, backlog) {
                Ok(l) => out.listeners.push(l),
                Err(e) if keep_going => out.skipped.push(e),
                Err(e) => {
                    return Err(format!(
                        "{e}; no listening sockets available, shutting down"
                    ))
                }
            },
        }
    }
    for s in pool.into_iter().flatten() {
        if s.name == REEXEC_NAME {
            out.notes.push(format!(
                "closing listener {}: no Listen line names it any more",
                shown(s.addr)
            ));
            // SAFETY: inherited, unused, ours to close.
            unsafe { libc::close(s.fd) };
        } else {
            out.notes.push(format!(
                "socket activation: descriptor {} ({}) matches no Listen line; serving it anyway",
                s.fd,
                shown(s.addr)
            ));
            out.listeners.push(BoundListener {
                fd: s.fd,
                addr: shown(s.addr),
                origin: ListenerOrigin::Inherited(s.name),
            });
        }
    }
    if out.listeners.is_empty() {
        if let Some(first) = out.skipped.first() {
            return Err(format!(
                "{first}; no listening sockets available, shutting down"
            ));
        }
    }
    Ok(out)
}

/// Options every accepted connection needs, set on the listener (bound or inherited) at each
/// start: Linux copies them into each socket `accept` returns, which saves system calls per
/// connection. TCP_NODELAY: a response goes out as it is written, never held for an ACK.
/// SO_SNDTIMEO = Timeout: the blocking driver's sendfile(2), which has no non-blocking flag,
/// never waits longer for a client that stopped reading.
pub fn set_accepted_options(fd: RawFd, timeout: std::time::Duration) {
    // SAFETY: a borrowed, open socket of ours for the duration of the call.
    let sock = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let sock = socket2::SockRef::from(&sock);
    // A socket that is not TCP (a Unix socket from systemd) has no Nagle to turn off.
    let _ = sock.set_tcp_nodelay(true);
    let _ = sock.set_write_timeout(Some(timeout.max(std::time::Duration::from_millis(1))));
}

/// The listeners handed to the MPM, kept where `listeners_close` and a re-exec find them.
struct HandedOver {
    list: Vec<BoundListener>,
    closed: AtomicBool,
}

impl HandedOver {
    /// Closes every listener once; later calls do nothing.
    fn close(&self) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            for l in &self.list {
                // SAFETY: ours since they were bound or inherited; nothing uses them afterwards
                // (the ABI's contract for listeners_close).
                unsafe { libc::close(l.fd) };
            }
        }
    }

    /// The listeners, none once closed.
    fn open(&self) -> &[BoundListener] {
        if self.closed.load(Ordering::SeqCst) {
            &[]
        } else {
            &self.list
        }
    }
}

static HANDED: OnceLock<HandedOver> = OnceLock::new();

/// Keeps the listeners for the life of the process (once per process: a restart re-executes).
pub fn hand_over(list: Vec<BoundListener>) -> &'static [BoundListener] {
    let _ = HANDED.set(HandedOver {
        list,
        closed: AtomicBool::new(false),
    });
    handed()
}

/// The listeners handed to the MPM and still open in this process.
pub fn handed() -> &'static [BoundListener] {
    HANDED.get().map_or(&[], HandedOver::open)
}

/// Closes this process's copies of the listeners (idempotent).
pub fn close_handed() {
    if let Some(h) = HANDED.get() {
        h.close();
    }
}

/// A Listen line as written by the user.
fn display(a: &ListenAddr) -> String {
    match a.ip {
        Some(IpAddr::V6(ip)) => format!("[{ip}]:{}", a.port),
        Some(ip) => format!("{ip}:{}", a.port),
        None => format!("{}", a.port),
    }
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
    addrs
        .iter()
        .map(|a| {
            bind_line(a, backlog)
                .map_err(|e| format!("{e}; no listening sockets available, shutting down"))
        })
        .collect()
}

/// Binds one Listen line; the error is Apache's `could not bind to address …`.
fn bind_line(a: &ListenAddr, backlog: i32) -> Result<BoundListener, String> {
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
    let wanted = match a.ip {
        Some(IpAddr::V6(ip)) => format!("[{ip}]:{}", a.port),
        Some(ip) => format!("{ip}:{}", a.port),
        None => format!("*:{}", a.port),
    };
    let (sock, real) = result.map_err(|e| format!("could not bind to address {wanted}: {e}"))?;
    Ok(BoundListener {
        fd: sock.into_raw_fd(),
        addr: shown(real),
        origin: ListenerOrigin::Bound,
    })
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

    #[test]
    fn inherited_sockets_replace_matching_binds() {
        use crate::control::systemd::{Inherited, REEXEC_NAME};
        let held = bind_all(&[parse_listen("127.0.0.1:0").unwrap()], 16).unwrap();
        let addr: SocketAddr = held[0].addr.parse().unwrap();
        let spare = bind_all(&[parse_listen("127.0.0.1:0").unwrap()], 16).unwrap();
        let spare_addr: SocketAddr = spare[0].addr.parse().unwrap();
        let inherited = vec![
            Inherited {
                fd: held[0].fd,
                addr,
                name: "web.socket".into(),
            },
            Inherited {
                fd: spare[0].fd,
                addr: spare_addr,
                name: REEXEC_NAME.into(),
            },
        ];
        let wanted = [
            parse_listen(&format!("127.0.0.1:{}", addr.port())).unwrap(),
            parse_listen("[::1]:0").unwrap(),
        ];
        // [::1] may be missing on the machine: then only the first line is asked for.
        let wanted = if std::net::TcpListener::bind("[::1]:0").is_ok() {
            &wanted[..]
        } else {
            &wanted[..1]
        };
        let Opened {
            listeners: got,
            notes,
            ..
        } = open_all(wanted, 16, inherited, false).unwrap();
        assert_eq!(
            got[0].fd, held[0].fd,
            "the inherited socket serves the line"
        );
        assert_eq!(
            got[0].origin,
            ListenerOrigin::Inherited("web.socket".into())
        );
        if wanted.len() == 2 {
            assert_eq!(got[1].origin, ListenerOrigin::Bound);
        }
        assert_eq!(
            got.len(),
            wanted.len(),
            "the spare re-exec socket is closed, not served"
        );
        assert!(
            notes.iter().any(|n| n.contains("no Listen line names it")),
            "{notes:?}"
        );
        for l in &got {
            // SAFETY: ours.
            unsafe { libc::close(l.fd) };
        }
    }

    #[test]
    fn serving_rules() {
        let sa: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert!(serves(&parse_listen("8080").unwrap(), &sa));
        assert!(serves(&parse_listen("127.0.0.1:0").unwrap(), &sa));
        assert!(!serves(&parse_listen("127.0.0.2:8080").unwrap(), &sa));
        assert!(!serves(&parse_listen("8081").unwrap(), &sa));
    }

    #[test]
    fn a_restarted_server_skips_an_address_it_cannot_bind() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let busy = parse_listen(&taken.local_addr().unwrap().to_string()).unwrap();
        let free = parse_listen("127.0.0.1:0").unwrap();
        let err = open_all(&[busy.clone(), free.clone()], 16, Vec::new(), false).unwrap_err();
        assert!(err.contains("could not bind to address"), "{err}");
        let got = open_all(&[busy.clone(), free], 16, Vec::new(), true).unwrap();
        assert_eq!(got.listeners.len(), 1);
        assert_eq!(got.skipped.len(), 1);
        assert!(got.skipped[0].starts_with("could not bind to address 127.0.0.1:"));
        for l in &got.listeners {
            // SAFETY: ours.
            unsafe { libc::close(l.fd) };
        }
        let err = open_all(&[busy], 16, Vec::new(), true).unwrap_err();
        assert!(err.contains("no listening sockets available"), "{err}");
    }

    #[test]
    fn handed_over_listeners_close_once() {
        let l = bind_all(&[parse_listen("127.0.0.1:0").unwrap()], 16).unwrap();
        let addr: SocketAddr = l[0].addr.parse().unwrap();
        let h = HandedOver {
            list: l,
            closed: AtomicBool::new(false),
        };
        assert_eq!(h.open().len(), 1);
        h.close();
        assert!(h.open().is_empty());
        assert!(
            std::net::TcpStream::connect(addr).is_err(),
            "nothing listens on {addr} any more"
        );
        h.close();
    }
}
