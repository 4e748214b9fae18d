//! HostnameLookups: the client's name by reverse DNS (getnameinfo), and for `Double` only when
//! that name resolves back to the address (Apache's double-reverse check), else none (the
//! logs then show the address, as Apache's do).

use std::ffi::CStr;
use std::net::{IpAddr, SocketAddr};

/// The name of `ip`; with `double`, only a name whose addresses include `ip`.
pub fn lookup(ip: IpAddr, double: bool) -> Option<String> {
    let name = reverse(ip)?;
    if double && !forward(&name).contains(&ip) {
        return None;
    }
    Some(name)
}

fn reverse(ip: IpAddr) -> Option<String> {
    let sock = socket2::SockAddr::from(SocketAddr::new(ip, 0));
    let mut host = [0 as libc::c_char; libc::NI_MAXHOST as usize];
    // SAFETY: the address and its length come from SockAddr; host is writable for its length;
    // no service buffer is asked for.
    let rc = unsafe {
        libc::getnameinfo(
            sock.as_ptr().cast(),
            sock.len(),
            host.as_mut_ptr(),
            host.len() as libc::socklen_t,
            std::ptr::null_mut(),
            0,
            libc::NI_NAMEREQD,
        )
    };
    if rc != 0 {
        return None;
    }
    // SAFETY: getnameinfo wrote a NUL-terminated name.
    let name = unsafe { CStr::from_ptr(host.as_ptr()) };
    Some(name.to_string_lossy().into_owned())
}

fn forward(name: &str) -> Vec<IpAddr> {
    // std's resolution is getaddrinfo; the port is only what its API needs.
    use std::net::ToSocketAddrs;
    (name, 0)
        .to_socket_addrs()
        .map(|addrs| addrs.map(|a| a.ip()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_has_a_name_both_ways() {
        // The machine's resolver names 127.0.0.1 (/etc/hosts); its forward lookup gives it back.
        let name = lookup("127.0.0.1".parse().unwrap(), false).expect("a name for 127.0.0.1");
        assert!(!name.is_empty());
        assert_eq!(lookup("127.0.0.1".parse().unwrap(), true), Some(name));
    }
}
