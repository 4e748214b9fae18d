//! Socket I/O with deadlines. Every attempt is non-blocking (the descriptor is, or the call
//! passes `MSG_DONTWAIT`), and every wait is a poll(2) bounded by a timeout; the blocking driver
//! also waits for a request in one blocking read bounded by `SO_RCVTIMEO` ([`read_blocking`]).
//! Thin libc calls: no crate offers "non-blocking fd + poll deadline + sendfile" on a raw
//! descriptor without an async runtime.

use std::io;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

/// Most slices handed to one writev(2) (IOV_MAX is 1024 on Linux; fewer is plenty).
const MAX_IOV: usize = 64;

/// Waits until `fd` is readable (`events = POLLIN`) or writable (`POLLOUT`), at most `timeout`.
pub fn wait(fd: RawFd, events: i16, timeout: Duration) -> io::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"));
        }
        let mut p = libc::pollfd {
            fd,
            events,
            revents: 0,
        };
        // Round up, so a wait of 0.4 ms does not spin with a 0 ms poll.
        let ms = left.as_micros().div_ceil(1000).clamp(1, i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut p, 1, ms) };
        if n > 0 {
            return Ok(());
        }
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
}

/// One recv(2) with `MSG_DONTWAIT` (a read(2) for what is not a socket); `Ok(None)` when it
/// would block.
pub fn try_read(fd: RawFd, buf: &mut [u8]) -> io::Result<Option<usize>> {
    let mut socket = true;
    loop {
        let n = if socket {
            // SAFETY: buf is valid for writes of its length.
            unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) }
        } else {
            // SAFETY: as above.
            unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) }
        };
        if n >= 0 {
            return Ok(Some(n as usize));
        }
        let e = io::Error::last_os_error();
        match e.kind() {
            io::ErrorKind::Interrupted => continue,
            io::ErrorKind::WouldBlock => return Ok(None),
            // A pipe (the configuration check's output, tests): a plain read.
            _ if socket && e.raw_os_error() == Some(libc::ENOTSOCK) => socket = false,
            _ => return Err(e),
        }
    }
}

/// Makes socket `fd` non-blocking or blocking in one ioctl (fcntl needs two: F_GETFL, then
/// F_SETFL). Blocking is for [`read_blocking`]; the socket's `SO_SNDTIMEO` (Timeout, from the
/// listener: see `listen::set_accepted_options`) then keeps a sendfile(2), which has no flag to
/// make it non-blocking, from blocking longer than that.
pub fn set_nonblocking(fd: RawFd, on: bool) -> io::Result<()> {
    let mut on = libc::c_int::from(on);
    // SAFETY: FIONBIO takes a pointer to an int.
    if unsafe { libc::ioctl(fd, libc::FIONBIO, &mut on) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Sets `SO_RCVTIMEO` or `SO_SNDTIMEO` of socket `fd` (at least 1 ms: 0 would mean forever).
fn set_timeout(fd: RawFd, option: libc::c_int, timeout: Duration) -> io::Result<()> {
    let timeout = timeout.max(Duration::from_millis(1));
    let tv = libc::timeval {
        tv_sec: timeout.as_secs().min(i32::MAX as u64) as libc::time_t,
        tv_usec: timeout.subsec_micros() as libc::suseconds_t,
    };
    // SAFETY: a timeval of the size passed.
    let r = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            option,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Reads at least one byte (0 = end of stream) from socket `fd`, in blocking mode (see
/// [`set_nonblocking`]), waiting at most `timeout`: one read(2) that sleeps in the socket, where
/// [`read`] polls first, which costs a syscall and a high-resolution timer more per wait (a
/// prefork child spent 23 instead of 27 us of CPU per keep-alive request). `current` is the
/// socket's `SO_RCVTIMEO`, kept by the caller so it is set only when the wait changes (rounded
/// up to the millisecond, so successive keep-alive waits share it).
pub fn read_blocking(
    fd: RawFd,
    buf: &mut [u8],
    timeout: Duration,
    current: &mut Option<Duration>,
) -> io::Result<usize> {
    if timeout.is_zero() {
        // What arrived by the deadline still counts.
        return try_read(fd, buf)?
            .ok_or_else(|| io::Error::new(io::ErrorKind::TimedOut, "timed out"));
    }
    let want = Duration::from_millis(timeout.as_micros().div_ceil(1000) as u64);
    if *current != Some(want) {
        set_timeout(fd, libc::SO_RCVTIMEO, want)?;
        *current = Some(want);
    }
    // SAFETY: buf is valid for writes of its length.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    if n >= 0 {
        return Ok(n as usize);
    }
    let e = io::Error::last_os_error();
    // A signal (Interrupted) is the caller's to retry: its deadline decides.
    match e.kind() {
        io::ErrorKind::WouldBlock => Err(io::Error::new(io::ErrorKind::TimedOut, "timed out")),
        _ => Err(e),
    }
}

/// Reads at least one byte (0 = end of stream), waiting at most `timeout`.
pub fn read(fd: RawFd, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
    loop {
        if let Some(n) = try_read(fd, buf)? {
            return Ok(n);
        }
        wait(fd, libc::POLLIN, timeout)?;
    }
}

/// One writev(2) of (the first [`MAX_IOV`] of) `bufs`; `Ok(None)` when it would block.
pub fn try_writev(fd: RawFd, bufs: &[&[u8]]) -> io::Result<Option<usize>> {
    try_send(fd, bufs, false)
}

/// As [`try_writev`]: a sendmsg(2) with `MSG_DONTWAIT`; with `more`, also `MSG_MORE`: the caller
/// sends more at once (a file with sendfile), so the kernel holds a partial segment for it and
/// the head and a small body leave in one packet despite TCP_NODELAY.
pub fn try_send(fd: RawFd, bufs: &[&[u8]], more: bool) -> io::Result<Option<usize>> {
    // On the stack: this runs for every response.
    let mut iov = [libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }; MAX_IOV];
    let mut count = 0;
    for s in bufs.iter().filter(|s| !s.is_empty()).take(MAX_IOV) {
        iov[count] = libc::iovec {
            iov_base: s.as_ptr() as *mut _,
            iov_len: s.len(),
        };
        count += 1;
    }
    if count == 0 {
        return Ok(Some(0));
    }
    let flags = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL | if more { libc::MSG_MORE } else { 0 };
    let mut socket = true;
    loop {
        let n = if socket {
            // SAFETY: msghdr is plain data; zeroed is "no address, no control data".
            let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
            msg.msg_iov = iov.as_mut_ptr();
            msg.msg_iovlen = count as _;
            // SAFETY: every iovec points into a live slice.
            unsafe { libc::sendmsg(fd, &msg, flags) }
        } else {
            // SAFETY: every iovec points into a live slice.
            unsafe { libc::writev(fd, iov.as_ptr(), count as i32) }
        };
        if n >= 0 {
            return Ok(Some(n as usize));
        }
        let e = io::Error::last_os_error();
        match e.kind() {
            io::ErrorKind::Interrupted => continue,
            io::ErrorKind::WouldBlock => return Ok(None),
            // Not a socket (tests use pipes at times): no flags then.
            _ if socket && e.raw_os_error() == Some(libc::ENOTSOCK) => socket = false,
            _ => return Err(e),
        }
    }
}

/// Drops the first `n` bytes from a list of slices.
pub fn advance(slices: &mut Vec<&[u8]>, mut n: usize) {
    slices.retain(|s| !s.is_empty());
    while n > 0 && !slices.is_empty() {
        if n >= slices[0].len() {
            n -= slices[0].len();
            slices.remove(0);
        } else {
            slices[0] = &slices[0][n..];
            n = 0;
        }
    }
}

/// Writes as much of `slices` as the socket takes now and drops what was written; returns the
/// number of bytes written. Stops when the socket would block.
pub fn write_now(fd: RawFd, slices: &mut Vec<&[u8]>) -> io::Result<usize> {
    write_now_more(fd, slices, false)
}

/// As [`write_now`], with `MSG_MORE` when `more` (see [`try_send`]).
pub fn write_now_more(fd: RawFd, slices: &mut Vec<&[u8]>, more: bool) -> io::Result<usize> {
    let mut total = 0;
    slices.retain(|s| !s.is_empty());
    while !slices.is_empty() {
        match try_send(fd, slices, more)? {
            Some(n) => {
                total += n;
                advance(slices, n);
            }
            None => break,
        }
    }
    Ok(total)
}

/// Writes all of `bufs` (gathered with writev), each stall bounded by `timeout`.
pub fn write_all(fd: RawFd, bufs: &[&[u8]], timeout: Duration) -> io::Result<()> {
    write_all_more(fd, bufs, timeout, false)
}

/// As [`write_all`], with `MSG_MORE` when `more` (see [`try_send`]).
pub fn write_all_more(fd: RawFd, bufs: &[&[u8]], timeout: Duration, more: bool) -> io::Result<()> {
    // The usual case, everything taken at once, needs no list of what is left.
    let total: usize = bufs.iter().map(|b| b.len()).sum();
    let first = try_send(fd, bufs, more)?;
    if first == Some(total) {
        return Ok(());
    }
    let mut slices: Vec<&[u8]> = bufs.to_vec();
    advance(&mut slices, first.unwrap_or(0));
    loop {
        write_now_more(fd, &mut slices, more)?;
        if slices.is_empty() {
            return Ok(());
        }
        wait(fd, libc::POLLOUT, timeout)?;
    }
}

/// One sendfile(2) of up to `len` bytes of `file` from `offset`; `Ok(None)` when it would block.
/// A file that ends before `offset + len` is an error: the response announced those bytes.
pub fn try_sendfile(fd: RawFd, file: RawFd, offset: u64, len: u64) -> io::Result<Option<u64>> {
    if len == 0 {
        return Ok(Some(0));
    }
    loop {
        let mut off = offset as libc::off_t;
        let chunk = len.min(1 << 30) as usize;
        // SAFETY: both descriptors are open; `off` is ours.
        let n = unsafe { libc::sendfile(fd, file, &mut off, chunk) };
        if n > 0 {
            return Ok(Some(n as u64));
        }
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file shorter than announced",
            ));
        }
        let e = io::Error::last_os_error();
        match e.kind() {
            io::ErrorKind::Interrupted => continue,
            io::ErrorKind::WouldBlock => return Ok(None),
            _ => return Err(e),
        }
    }
}

/// Sends `len` bytes of `file` from `offset` with sendfile(2), each stall bounded by `timeout`.
pub fn sendfile_all(
    fd: RawFd,
    file: RawFd,
    mut offset: u64,
    mut len: u64,
    timeout: Duration,
) -> io::Result<()> {
    while len > 0 {
        match try_sendfile(fd, file, offset, len)? {
            Some(n) => {
                offset += n;
                len -= n;
            }
            None => wait(fd, libc::POLLOUT, timeout)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_drops_whole_and_partial_slices() {
        let (a, b, c) = (&b"abc"[..], &b""[..], &b"defg"[..]);
        let mut v = vec![a, b, c];
        advance(&mut v, 4);
        assert_eq!(v, vec![&b"efg"[..]]);
        advance(&mut v, 3);
        assert!(v.is_empty());
    }

    #[test]
    fn read_blocking_returns_data_waits_out_its_timeout_and_keeps_the_socket_timeout() {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        set_nonblocking(a.as_raw_fd(), false).unwrap();
        let mut current = None;
        let mut buf = [0u8; 16];
        b.write_all(b"hello").unwrap();
        let n = read_blocking(
            a.as_raw_fd(),
            &mut buf,
            Duration::from_millis(2500),
            &mut current,
        )
        .unwrap();
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(current, Some(Duration::from_millis(2500)));
        let started = Instant::now();
        let e = read_blocking(
            a.as_raw_fd(),
            &mut buf,
            Duration::from_millis(50),
            &mut current,
        )
        .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(
            started.elapsed() >= Duration::from_millis(45),
            "{:?}",
            started.elapsed()
        );
        // At the deadline, what already arrived is still read.
        b.write_all(b"late").unwrap();
        let n = read_blocking(a.as_raw_fd(), &mut buf, Duration::ZERO, &mut current).unwrap();
        assert_eq!(&buf[..n], b"late");
        drop(b);
        let n = read_blocking(
            a.as_raw_fd(),
            &mut buf,
            Duration::from_secs(1),
            &mut current,
        )
        .unwrap();
        assert_eq!(n, 0, "end of stream");
    }

    #[test]
    fn attempts_stay_non_blocking_on_a_blocking_socket_and_work_on_pipes() {
        use std::os::fd::AsRawFd;
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        set_nonblocking(a.as_raw_fd(), false).unwrap();
        let mut buf = [0u8; 8];
        let started = Instant::now();
        assert_eq!(try_read(a.as_raw_fd(), &mut buf).unwrap(), None);
        assert!(started.elapsed() < Duration::from_millis(500));
        let (r, w) = nix::unistd::pipe().unwrap();
        assert_eq!(try_send(w.as_raw_fd(), &[b"abc"], false).unwrap(), Some(3));
        assert_eq!(try_read(r.as_raw_fd(), &mut buf).unwrap(), Some(3));
        assert_eq!(&buf[..3], b"abc");
    }
}
