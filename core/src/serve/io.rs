//! Waiting with deadlines around a connection's [`Transport`]: every attempt is the
//! transport's (non-blocking), every wait a poll(2) of its descriptor bounded by a timeout. The
//! blocking driver's wait for a request may instead sleep in the read itself
//! ([`Transport::read_blocking`]). Thin libc calls: no crate offers "poll deadline" on a raw
//! descriptor without an async runtime.

use super::transport::Transport;
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

/// Reads at least one byte (0 = end of stream) from `t`, waiting at most `timeout`.
pub fn read<T: Transport + ?Sized>(
    t: &mut T,
    buf: &mut [u8],
    timeout: Duration,
) -> io::Result<usize> {
    loop {
        if let Some(n) = t.read(buf)? {
            return Ok(n);
        }
        wait(t.fd(), libc::POLLIN, timeout)?;
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

/// Writes as much of `slices` to `t` as it takes now and drops what was written; returns the
/// number of bytes written. Stops when it would block. `more` as in
/// [`Transport::write_vectored`].
pub fn write_now<T: Transport + ?Sized>(
    t: &mut T,
    slices: &mut Vec<&[u8]>,
    more: bool,
) -> io::Result<usize> {
    let mut total = 0;
    slices.retain(|s| !s.is_empty());
    while !slices.is_empty() {
        match t.write_vectored(slices, more)? {
            Some(n) => {
                total += n;
                advance(slices, n);
            }
            None => break,
        }
    }
    Ok(total)
}

/// Writes all of `bufs` to `t` (gathered), each stall bounded by `timeout`. `more` as in
/// [`Transport::write_vectored`].
pub fn write_all<T: Transport + ?Sized>(
    t: &mut T,
    bufs: &[&[u8]],
    timeout: Duration,
    more: bool,
) -> io::Result<()> {
    // The usual case, everything taken at once, needs no list of what is left.
    let total: usize = bufs.iter().map(|b| b.len()).sum();
    let first = t.write_vectored(bufs, more)?;
    if first == Some(total) {
        return Ok(());
    }
    let mut slices: Vec<&[u8]> = bufs.to_vec();
    advance(&mut slices, first.unwrap_or(0));
    loop {
        write_now(t, &mut slices, more)?;
        if slices.is_empty() {
            return Ok(());
        }
        wait(t.fd(), libc::POLLOUT, timeout)?;
    }
}

/// Sends `len` bytes of `file` from `offset` to `t` ([`Transport::send_file`]), each stall
/// bounded by `timeout`.
pub fn send_file_all<T: Transport + ?Sized>(
    t: &mut T,
    file: RawFd,
    mut offset: u64,
    mut len: u64,
    timeout: Duration,
) -> io::Result<()> {
    while len > 0 {
        match t.send_file(file, offset, len)? {
            Some(n) => {
                offset += n;
                len -= n;
            }
            None => wait(t.fd(), libc::POLLOUT, timeout)?,
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
}
