//! The narrow byte stream a connection is served over: the only code on the socket's data path.
//! [`Transport`] is what a connection needs of it (read, write, send a file range, shut down our
//! side), each attempt non-blocking; the waiting around the attempts (poll deadlines) is
//! `io.rs`'s. [`PlainSocket`] is a TCP socket with thin libc calls; TLS (a later mod-ssl module,
//! through the C ABI) is another implementation of the same trait.

use super::io;
use std::io::{Error, ErrorKind, Result};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// Most slices handed to one writev(2) (IOV_MAX is 1024 on Linux; fewer is plenty).
const MAX_IOV: usize = 64;

/// Most bytes of a file range the provided [`Transport::send_file`] reads per attempt.
const FILE_CHUNK: usize = 16 * 1024;

/// A connection's byte stream. Every primitive is one non-blocking attempt: `Ok(None)` means it
/// would block, and the caller waits for readiness of [`Transport::fd`] (with its deadline) and
/// tries again. Callers always attempt before they wait, so a transport that holds bytes of its
/// own (TLS records decrypted ahead) is asked before the socket is polled.
///
/// What TLS needs is `read`, `write_vectored` and `shutdown_write` (close_notify, then the TCP
/// shutdown); its handshake runs inside those attempts. It cannot sendfile (the bytes must be
/// encrypted in user space), so it keeps the provided [`Transport::send_file`], which reads the
/// range and writes it. `read_blocking` and `sleep_in_reads` are an optimisation of the plain
/// socket that TLS does not need to provide. `fd` exists because waiting is not the
/// transport's: the MPMs' pollers and `io::wait` watch the socket itself.
pub trait Transport: Send {
    /// The socket, for readiness waits (poll, epoll) and socket options (addresses, timeouts)
    /// only: its bytes go through the other methods, which a TLS transport encrypts.
    fn fd(&self) -> RawFd;

    /// Reads what is available into `buf`: `Some(0)` at end of stream, `None` if nothing is.
    fn read(&mut self, buf: &mut [u8]) -> Result<Option<usize>>;

    /// Writes (a prefix of) `parts` in order; returns the bytes taken, `None` if none could be.
    /// `more` says the caller writes more right after (a file), so a short head may wait to
    /// share its packet (`MSG_MORE`); a transport may ignore it.
    fn write_vectored(&mut self, parts: &[&[u8]], more: bool) -> Result<Option<usize>>;

    /// Writes (a prefix of) `len` bytes of `file` from `offset`; returns the bytes taken, `None`
    /// if none could be. A file that ends before `offset + len` is an error of kind
    /// `UnexpectedEof`: the response announced those bytes.
    ///
    /// Provided: reads up to 16 KiB of the range (pread, so the file's offset is untouched) and
    /// writes them with [`Transport::write_vectored`], for transports that cannot sendfile.
    fn send_file(&mut self, file: RawFd, offset: u64, len: u64) -> Result<Option<u64>> {
        if len == 0 {
            return Ok(Some(0));
        }
        let mut chunk = [0u8; FILE_CHUNK];
        let want = len.min(FILE_CHUNK as u64) as usize;
        let n = loop {
            // SAFETY: chunk is valid for writes of `want` bytes.
            let n = unsafe { libc::pread(file, chunk.as_mut_ptr().cast(), want, offset as _) };
            if n >= 0 {
                break n as usize;
            }
            let e = Error::last_os_error();
            if e.kind() != ErrorKind::Interrupted {
                return Err(e);
            }
        };
        if n == 0 {
            return Err(short_file());
        }
        let taken = self.write_vectored(&[&chunk[..n]], (n as u64) < len)?;
        Ok(taken.map(|t| t as u64))
    }

    /// Shuts down our sending side (the start of a lingering close).
    fn shutdown_write(&mut self);

    /// Called once by the blocking driver before it serves: the transport may make
    /// [`Transport::read_blocking`] sleep in the read itself. Returns whether it did; provided:
    /// no.
    fn sleep_in_reads(&mut self) -> bool {
        false
    }

    /// Reads at least one byte (0 = end of stream), waiting at most `timeout`; an error of kind
    /// `TimedOut` when nothing came, `Interrupted` (a signal) for the caller to retry within its
    /// own deadline. Provided: attempts and polls (`io::read`).
    fn read_blocking(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize> {
        io::read(self, buf, timeout)
    }
}

/// The error of a file shorter than the range to send.
fn short_file() -> Error {
    Error::new(ErrorKind::UnexpectedEof, "file shorter than announced")
}

/// A TCP socket (or, in tests and for what is not a socket, a pipe: then plain read(2) and
/// writev(2)). Attempts pass `MSG_DONTWAIT`, so they never block whether the descriptor is
/// non-blocking or not.
pub struct PlainSocket {
    sock: OwnedFd,
    /// Whether `sleep_in_reads` made the socket blocking.
    blocking: bool,
    /// The socket's `SO_RCVTIMEO` once it is blocking, so it is set only when the wait changes.
    rcv_timeout: Option<Duration>,
}

impl PlainSocket {
    /// Takes ownership of `fd` (an open socket the caller no longer uses) as it is.
    ///
    /// # Safety
    /// `fd` must be open and owned by nothing else: it is closed when the transport drops.
    pub unsafe fn from_raw_fd(fd: RawFd) -> Self {
        PlainSocket {
            // SAFETY: the caller's promise.
            sock: unsafe { OwnedFd::from_raw_fd(fd) },
            blocking: false,
            rcv_timeout: None,
        }
    }

    /// Makes the socket non-blocking or blocking (one FIONBIO ioctl).
    pub fn set_nonblocking(&mut self, on: bool) -> Result<()> {
        set_nonblocking(self.fd(), on)?;
        self.blocking = !on;
        Ok(())
    }
}

impl Transport for PlainSocket {
    fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    /// One recv(2) with `MSG_DONTWAIT` (a read(2) for what is not a socket).
    fn read(&mut self, buf: &mut [u8]) -> Result<Option<usize>> {
        try_read(self.fd(), buf)
    }

    /// One sendmsg(2) with `MSG_DONTWAIT` of (the first 64 of) `parts`; with `more`, also
    /// `MSG_MORE`: the kernel holds a partial segment for what follows, so the head and a small
    /// body leave in one packet despite TCP_NODELAY.
    fn write_vectored(&mut self, parts: &[&[u8]], more: bool) -> Result<Option<usize>> {
        try_send(self.fd(), parts, more)
    }

    /// One sendfile(2) (blocking, if the socket is, for at most its `SO_SNDTIMEO`: sendfile has
    /// no flag to make it non-blocking).
    fn send_file(&mut self, file: RawFd, offset: u64, len: u64) -> Result<Option<u64>> {
        try_sendfile(self.fd(), file, offset, len)
    }

    fn shutdown_write(&mut self) {
        // SAFETY: our own socket.
        unsafe { libc::shutdown(self.fd(), libc::SHUT_WR) };
    }

    /// Makes the socket blocking: the send timeout (Timeout, from the listener: see
    /// `listen::set_accepted_options`) keeps sendfile from blocking longer than that.
    fn sleep_in_reads(&mut self) -> bool {
        self.set_nonblocking(false).is_ok()
    }

    /// On a blocking socket (see `sleep_in_reads`), one read(2) that sleeps in the socket,
    /// bounded by `SO_RCVTIMEO`, where polling first costs a syscall and a high-resolution timer
    /// more per wait (a prefork child spent 23 instead of 27 us of CPU per keep-alive request).
    /// The timeout is rounded up to the millisecond, so successive keep-alive waits share it.
    fn read_blocking(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize> {
        if !self.blocking {
            return io::read(self, buf, timeout);
        }
        read_blocking(self.fd(), buf, timeout, &mut self.rcv_timeout)
    }
}

/// One recv(2) with `MSG_DONTWAIT` (a read(2) for what is not a socket); `Ok(None)` when it
/// would block.
fn try_read(fd: RawFd, buf: &mut [u8]) -> Result<Option<usize>> {
    retrying(|socket| {
        if socket {
            // SAFETY: buf is valid for writes of its length.
            unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) }
        } else {
            // SAFETY: as above.
            unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) }
        }
    })
}

/// Runs a non-blocking system call until it is not interrupted: its count, `Ok(None)` when
/// it would block. `call(true)` is the socket call; after `ENOTSOCK` (tests use pipes at
/// times) `call(false)`, the plain file one, is used instead.
fn retrying(mut call: impl FnMut(bool) -> isize) -> Result<Option<usize>> {
    let mut socket = true;
    loop {
        let n = call(socket);
        if n >= 0 {
            return Ok(Some(n as usize));
        }
        let e = Error::last_os_error();
        match e.kind() {
            ErrorKind::Interrupted => continue,
            ErrorKind::WouldBlock => return Ok(None),
            _ if socket && e.raw_os_error() == Some(libc::ENOTSOCK) => socket = false,
            _ => return Err(e),
        }
    }
}

/// A sendmsg(2) with `MSG_DONTWAIT` (and `MSG_MORE` when `more`) of (the first [`MAX_IOV`] of)
/// `bufs`; `Ok(None)` when it would block.
fn try_send(fd: RawFd, bufs: &[&[u8]], more: bool) -> Result<Option<usize>> {
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
    retrying(|socket| {
        if socket {
            // SAFETY: msghdr is plain data; zeroed is "no address, no control data".
            let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
            msg.msg_iov = iov.as_mut_ptr();
            msg.msg_iovlen = count as _;
            // SAFETY: every iovec points into a live slice.
            unsafe { libc::sendmsg(fd, &msg, flags) }
        } else {
            // SAFETY: every iovec points into a live slice.
            unsafe { libc::writev(fd, iov.as_ptr(), count as i32) }
        }
    })
}

/// One sendfile(2) of up to `len` bytes of `file` from `offset`; `Ok(None)` when it would block.
fn try_sendfile(fd: RawFd, file: RawFd, offset: u64, len: u64) -> Result<Option<u64>> {
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
            return Err(short_file());
        }
        let e = Error::last_os_error();
        match e.kind() {
            ErrorKind::Interrupted => continue,
            ErrorKind::WouldBlock => return Ok(None),
            _ => return Err(e),
        }
    }
}

/// Makes socket `fd` non-blocking or blocking in one ioctl (fcntl needs two: F_GETFL, then
/// F_SETFL).
fn set_nonblocking(fd: RawFd, on: bool) -> Result<()> {
    let mut on = libc::c_int::from(on);
    // SAFETY: FIONBIO takes a pointer to an int.
    if unsafe { libc::ioctl(fd, libc::FIONBIO, &mut on) } < 0 {
        return Err(Error::last_os_error());
    }
    Ok(())
}

/// Sets `SO_RCVTIMEO` of socket `fd` (at least 1 ms: 0 would mean forever).
fn set_receive_timeout(fd: RawFd, timeout: Duration) -> Result<()> {
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
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(Error::last_os_error());
    }
    Ok(())
}

/// Reads at least one byte (0 = end of stream) from blocking socket `fd`, waiting at most
/// `timeout` in one read(2) bounded by `SO_RCVTIMEO`; `current` is the socket's `SO_RCVTIMEO`,
/// set only when the wait changes.
fn read_blocking(
    fd: RawFd,
    buf: &mut [u8],
    timeout: Duration,
    current: &mut Option<Duration>,
) -> Result<usize> {
    if timeout.is_zero() {
        // What arrived by the deadline still counts.
        return try_read(fd, buf)?.ok_or_else(|| Error::new(ErrorKind::TimedOut, "timed out"));
    }
    let want = Duration::from_millis(timeout.as_micros().div_ceil(1000) as u64);
    if *current != Some(want) {
        set_receive_timeout(fd, want)?;
        *current = Some(want);
    }
    // SAFETY: buf is valid for writes of its length.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    if n >= 0 {
        return Ok(n as usize);
    }
    let e = Error::last_os_error();
    // A signal (Interrupted) is the caller's to retry: its deadline decides.
    match e.kind() {
        ErrorKind::WouldBlock => Err(Error::new(ErrorKind::TimedOut, "timed out")),
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::fd::IntoRawFd;
    use std::os::unix::net::UnixStream;
    use std::time::Instant;

    /// A transport on one end of a socket pair, and the other end.
    fn pair() -> (PlainSocket, UnixStream) {
        let (a, b) = UnixStream::pair().unwrap();
        // SAFETY: `a`'s descriptor, given up.
        (unsafe { PlainSocket::from_raw_fd(a.into_raw_fd()) }, b)
    }

    #[test]
    fn read_blocking_returns_data_waits_out_its_timeout_and_keeps_the_socket_timeout() {
        let (mut a, mut b) = pair();
        a.set_nonblocking(true).unwrap();
        assert!(a.sleep_in_reads());
        let mut buf = [0u8; 16];
        b.write_all(b"hello").unwrap();
        let n = a
            .read_blocking(&mut buf, Duration::from_millis(2500))
            .unwrap();
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(a.rcv_timeout, Some(Duration::from_millis(2500)));
        let started = Instant::now();
        let e = a
            .read_blocking(&mut buf, Duration::from_millis(50))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TimedOut);
        assert!(
            started.elapsed() >= Duration::from_millis(45),
            "{:?}",
            started.elapsed()
        );
        // At the deadline, what already arrived is still read.
        b.write_all(b"late").unwrap();
        let n = a.read_blocking(&mut buf, Duration::ZERO).unwrap();
        assert_eq!(&buf[..n], b"late");
        drop(b);
        let n = a.read_blocking(&mut buf, Duration::from_secs(1)).unwrap();
        assert_eq!(n, 0, "end of stream");
    }

    #[test]
    fn attempts_stay_non_blocking_on_a_blocking_socket_and_work_on_pipes() {
        let (mut a, _b) = pair();
        a.set_nonblocking(false).unwrap();
        let mut buf = [0u8; 8];
        let started = Instant::now();
        assert_eq!(a.read(&mut buf).unwrap(), None);
        assert!(started.elapsed() < Duration::from_millis(500));
        let (r, w) = nix::unistd::pipe().unwrap();
        // SAFETY: the pipe's ends, given up.
        let (mut r, mut w) = unsafe {
            (
                PlainSocket::from_raw_fd(r.into_raw_fd()),
                PlainSocket::from_raw_fd(w.into_raw_fd()),
            )
        };
        assert_eq!(w.write_vectored(&[b"abc"], false).unwrap(), Some(3));
        assert_eq!(r.read(&mut buf).unwrap(), Some(3));
        assert_eq!(&buf[..3], b"abc");
    }

    /// A transport that cannot sendfile: it keeps the provided `send_file`.
    struct NoSendfile(PlainSocket);

    impl Transport for NoSendfile {
        fn fd(&self) -> RawFd {
            self.0.fd()
        }
        fn read(&mut self, buf: &mut [u8]) -> Result<Option<usize>> {
            self.0.read(buf)
        }
        fn write_vectored(&mut self, parts: &[&[u8]], more: bool) -> Result<Option<usize>> {
            self.0.write_vectored(parts, more)
        }
        fn shutdown_write(&mut self) {
            self.0.shutdown_write()
        }
    }

    #[test]
    fn the_provided_send_file_reads_the_range_and_writes_it() {
        let (a, mut b) = pair();
        let mut t = NoSendfile(a);
        let path = std::env::temp_dir().join(format!("mapache-transport-{}", std::process::id()));
        let data: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        let (mut offset, mut len) = (100u64, 30_000u64);
        while len > 0 {
            let n = t.send_file(file.as_raw_fd(), offset, len).unwrap().unwrap();
            assert!(n > 0 && n <= len);
            offset += n;
            len -= n;
        }
        // Past the end of the file: the response announced bytes that are not there.
        let e = t.send_file(file.as_raw_fd(), 40_000, 10).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnexpectedEof);
        t.shutdown_write();
        let mut got = Vec::new();
        b.read_to_end(&mut got).unwrap();
        assert_eq!(got, &data[100..30_100]);
    }
}
