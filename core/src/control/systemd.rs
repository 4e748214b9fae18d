//! systemd: listening sockets passed by socket activation (`LISTEN_PID`, `LISTEN_FDS`,
//! `LISTEN_FDNAMES`), readiness notification on `NOTIFY_SOCKET`, and the same fd-passing
//! protocol reused to keep listeners open across a re-exec of the master in place.
//!
//! Written by hand rather than with a crate: the protocol is one environment check and one
//! datagram of text, std has Unix datagram sockets with Linux abstract addresses, and the
//! re-exec needs to set the variables itself, which the crates (sd-notify, listenfd) do not do.

use socket2::SockRef;
use std::net::SocketAddr;
use std::os::fd::{BorrowedFd, RawFd};

/// The first descriptor of the protocol (`SD_LISTEN_FDS_START`).
const LISTEN_FDS_START: RawFd = 3;

/// The name our own re-exec gives sockets it bound for a Listen line: unlike systemd's, they are
/// closed when the new configuration no longer names them.
pub const REEXEC_NAME: &str = "mapache-listen";

/// A listening TCP socket received through `LISTEN_FDS`.
#[derive(Debug, Clone)]
pub struct Inherited {
    /// The descriptor, now non-blocking and close-on-exec.
    pub fd: RawFd,
    /// Its local address.
    pub addr: SocketAddr,
    /// Its name from `LISTEN_FDNAMES` (systemd's FileDescriptorName=, or [`REEXEC_NAME`]).
    pub name: String,
}

/// What socket activation handed over, with messages for the error log once it is open.
#[derive(Debug, Default)]
pub struct Activation {
    /// Usable listeners.
    pub sockets: Vec<Inherited>,
    /// Why other passed descriptors were refused (they are closed).
    pub refused: Vec<String>,
}

/// Takes the sockets passed to this process, if `LISTEN_PID` names it, and removes the three
/// variables from the environment so forked children and programs we start (piped logs) do not
/// take them for their own. Call before anything else starts a program: the descriptors come
/// without close-on-exec.
pub fn take_listen_fds() -> Activation {
    let pid = std::env::var("LISTEN_PID").ok();
    let count = std::env::var("LISTEN_FDS").ok();
    let names = std::env::var("LISTEN_FDNAMES").unwrap_or_default();
    for v in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] {
        // Edition 2021: safe; the master is single-threaded here.
        std::env::remove_var(v);
    }
    let mut out = Activation::default();
    let ours = pid.and_then(|p| p.trim().parse::<u32>().ok()) == Some(std::process::id());
    let Some(n) = count.and_then(|c| c.trim().parse::<RawFd>().ok()) else {
        return out;
    };
    if !ours || n <= 0 {
        return out;
    }
    let names: Vec<&str> = names.split(':').collect();
    for (i, fd) in (LISTEN_FDS_START..LISTEN_FDS_START.saturating_add(n)).enumerate() {
        match check_listener(fd) {
            Ok(addr) => out.sockets.push(Inherited {
                fd,
                addr,
                name: names.get(i).copied().unwrap_or("").to_owned(),
            }),
            Err(why) => {
                out.refused.push(format!(
                    "socket activation: ignoring descriptor {fd}: {why}"
                ));
                // SAFETY: the descriptor was passed to us and nothing else refers to it.
                unsafe { libc::close(fd) };
            }
        }
    }
    out
}

/// Checks that `fd` is a listening TCP socket, and makes it non-blocking and close-on-exec.
fn check_listener(fd: RawFd) -> Result<SocketAddr, String> {
    // SAFETY: fcntl on a descriptor number is harmless if it is not open (EBADF).
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return Err("not open".to_owned());
    }
    // SAFETY: open (checked above) for the rest of the process; borrowed only here.
    let fd_ref = unsafe { BorrowedFd::borrow_raw(fd) };
    let sock = SockRef::from(&fd_ref);
    let ty = sock.r#type().map_err(|e| format!("not a socket ({e})"))?;
    if ty != socket2::Type::STREAM {
        return Err("not a stream socket".to_owned());
    }
    if !sock.is_listener().map_err(|e| e.to_string())? {
        return Err("not listening".to_owned());
    }
    let addr = sock
        .local_addr()
        .map_err(|e| e.to_string())?
        .as_socket()
        .ok_or_else(|| "not a TCP socket".to_owned())?;
    sock.set_nonblocking(true).map_err(|e| e.to_string())?;
    sock.set_cloexec(true).map_err(|e| e.to_string())?;
    Ok(addr)
}

/// Prepares `fds` (name, descriptor) to be inherited by `exec` of ourselves, in the protocol's
/// places 3, 4, …, and sets the variables (our pid stays the same through exec); `extra`
/// descriptors (ours, not listeners) follow in the next places, outside `LISTEN_FDS`. Returns the
/// first descriptor number after them: nothing from there on is meant for the new process.
/// Descriptors already at those numbers are overwritten: call it just before exec.
pub fn pass_on_exec(fds: &[(&str, RawFd)], extra: &[RawFd]) -> std::io::Result<RawFd> {
    let all: Vec<RawFd> = fds
        .iter()
        .map(|(_, fd)| *fd)
        .chain(extra.iter().copied())
        .collect();
    // First move every descriptor above the target range, so no dup2 below overwrites one not
    // yet moved.
    let floor = LISTEN_FDS_START + all.len() as RawFd;
    let mut high = Vec::with_capacity(all.len());
    for fd in &all {
        // SAFETY: duplicating a descriptor we own.
        let h = unsafe { libc::fcntl(*fd, libc::F_DUPFD_CLOEXEC, floor) };
        if h < 0 {
            return Err(std::io::Error::last_os_error());
        }
        high.push(h);
    }
    for (i, h) in high.iter().enumerate() {
        // SAFETY: dup2 onto the protocol's numbers; the result lacks close-on-exec, as it must.
        if unsafe { libc::dup2(*h, LISTEN_FDS_START + i as RawFd) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: our temporary copy.
        unsafe { libc::close(*h) };
    }
    let names: Vec<&str> = fds.iter().map(|(n, _)| *n).collect();
    std::env::set_var("LISTEN_PID", std::process::id().to_string());
    std::env::set_var("LISTEN_FDS", fds.len().to_string());
    std::env::set_var("LISTEN_FDNAMES", names.join(":"));
    Ok(floor)
}

/// Sends `state` (e.g. `READY=1`) to the service manager when `NOTIFY_SOCKET` is set; a no-op
/// otherwise. `@name` is a Linux abstract socket. The variable is left in place: a re-exec in
/// place notifies again.
pub fn notify(state: &str) -> std::io::Result<()> {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return Ok(());
    };
    let sock = std::os::unix::net::UnixDatagram::unbound()?;
    let bytes = path.as_encoded_bytes();
    if let Some(name) = bytes.strip_prefix(b"@") {
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
        sock.send_to_addr(state.as_bytes(), &addr)?;
    } else {
        sock.send_to(state.as_bytes(), &path)?;
    }
    Ok(())
}

/// `READY=1` with our pid, once the listeners are bound.
pub fn ready_message() -> String {
    format!("READY=1\nMAINPID={}\nSTATUS=serving", std::process::id())
}

/// `RELOADING=1` with the CLOCK_MONOTONIC timestamp systemd (Type=notify-reload) asks for.
pub fn reloading_message() -> String {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    let usec = ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000;
    format!("RELOADING=1\nMONOTONIC_USEC={usec}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_reaches_a_pathname_and_an_abstract_socket() {
        use std::os::unix::net::UnixDatagram;
        let path = std::env::temp_dir().join(format!("mapache-notify-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let rx = UnixDatagram::bind(&path).unwrap();
        std::env::set_var("NOTIFY_SOCKET", &path);
        notify("READY=1").unwrap();
        let mut buf = [0u8; 64];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");
        let _ = std::fs::remove_file(&path);

        use std::os::linux::net::SocketAddrExt;
        let name = format!("mapache-notify-test-{}", std::process::id());
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let rx = UnixDatagram::bind_addr(&addr).unwrap();
        std::env::set_var("NOTIFY_SOCKET", format!("@{name}"));
        notify("STOPPING=1").unwrap();
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"STOPPING=1");
        std::env::remove_var("NOTIFY_SOCKET");
    }

    #[test]
    fn reloading_carries_a_timestamp() {
        assert!(reloading_message().starts_with("RELOADING=1\nMONOTONIC_USEC="));
    }
}
