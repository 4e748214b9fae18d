//! Socket I/O with deadlines: the descriptor stays non-blocking (so an event MPM can poll it)
//! and every wait is a poll(2) bounded by a timeout. Thin libc calls: no crate offers
//! "non-blocking fd + poll deadline + sendfile" on a raw descriptor without an async runtime.

use std::io;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

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
        let ms = left.as_millis().clamp(1, i32::MAX as u128) as i32;
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

/// One read(2); `Ok(None)` when it would block.
pub fn try_read(fd: RawFd, buf: &mut [u8]) -> io::Result<Option<usize>> {
    loop {
        // SAFETY: buf is valid for writes of its length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(Some(n as usize));
        }
        let e = io::Error::last_os_error();
        match e.kind() {
            io::ErrorKind::Interrupted => continue,
            io::ErrorKind::WouldBlock => return Ok(None),
            _ => return Err(e),
        }
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

/// Writes all of `bufs` (gathered with writev), each stall bounded by `timeout`.
pub fn write_all(fd: RawFd, bufs: &[&[u8]], timeout: Duration) -> io::Result<()> {
    let mut slices: Vec<&[u8]> = bufs.iter().copied().filter(|b| !b.is_empty()).collect();
    while !slices.is_empty() {
        let iov: Vec<libc::iovec> = slices
            .iter()
            .take(64)
            .map(|s| libc::iovec {
                iov_base: s.as_ptr() as *mut _,
                iov_len: s.len(),
            })
            .collect();
        // SAFETY: every iovec points into a live slice.
        let n = unsafe { libc::writev(fd, iov.as_ptr(), iov.len() as i32) };
        if n < 0 {
            let e = io::Error::last_os_error();
            match e.kind() {
                io::ErrorKind::Interrupted => continue,
                io::ErrorKind::WouldBlock => {
                    wait(fd, libc::POLLOUT, timeout)?;
                    continue;
                }
                _ => return Err(e),
            }
        }
        let mut n = n as usize;
        while n > 0 {
            if n >= slices[0].len() {
                n -= slices[0].len();
                slices.remove(0);
            } else {
                slices[0] = &slices[0][n..];
                n = 0;
            }
        }
    }
    Ok(())
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
        let mut off = offset as libc::off_t;
        let chunk = len.min(1 << 30) as usize;
        // SAFETY: both descriptors are open; `off` is ours.
        let n = unsafe { libc::sendfile(fd, file, &mut off, chunk) };
        if n < 0 {
            let e = io::Error::last_os_error();
            match e.kind() {
                io::ErrorKind::Interrupted => continue,
                io::ErrorKind::WouldBlock => {
                    wait(fd, libc::POLLOUT, timeout)?;
                    continue;
                }
                _ => return Err(e),
            }
        }
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file shorter than announced",
            ));
        }
        offset += n as u64;
        len -= n as u64;
    }
    Ok(())
}
