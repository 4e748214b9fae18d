//! One client connection: bytes in, request heads framed by the sans-io engine, requests served
//! in order, keep-alive and closing decided. The same state machine serves blocking MPMs
//! (`serve_blocking`) and event MPMs (`feed` / `process` through the host table).

use super::{dispatch, io};
use crate::http::{self, HeadParse, HttpError, RequestHead};
use crate::logs::error_log;
use crate::server;
use mapache_plugin_api::abi::{
    MAPACHE_CONN_CLOSE, MAPACHE_CONN_NEED_READ, MAPACHE_CONN_NEED_WRITE, MAPACHE_CONN_READY,
};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

/// How long a lingering close waits for the client to finish sending (Apache: 2 s).
const LINGER: Duration = Duration::from_secs(2);

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Waiting for (more of) a request head.
    NeedRead,
    /// A complete head (or a framing error to answer) is buffered.
    Ready,
    /// Done: close it.
    Close,
    /// Output is queued; wait for writability, then `write_queued`.
    NeedWrite,
}

impl State {
    /// The ABI constant.
    pub fn to_raw(self) -> i32 {
        match self {
            State::NeedRead => MAPACHE_CONN_NEED_READ,
            State::Ready => MAPACHE_CONN_READY,
            State::Close => MAPACHE_CONN_CLOSE,
            State::NeedWrite => MAPACHE_CONN_NEED_WRITE,
        }
    }
}

/// A client connection owned by the core.
pub struct Connection {
    sock: OwnedFd,
    /// `ip:port` of the client, for logs.
    pub peer: String,
    /// The client's IP address.
    pub peer_ip: String,
    /// Received bytes not consumed yet (the next head, pipelined requests, body bytes).
    pub buf: Vec<u8>,
    parsed: Option<Result<(RequestHead, usize), HttpError>>,
    /// When the current wait started (connection start, or the end of the last response).
    wait_started: Instant,
    /// Requests answered on this connection.
    pub served: u64,
    /// Set when the connection must close after the current response.
    pub must_close: bool,
    /// Set when the client will send nothing more (EOF seen).
    eof: bool,
    /// Whether closing should linger (we close while the client may still be sending).
    linger: bool,
}

impl Connection {
    /// Takes ownership of an accepted socket and makes it non-blocking.
    pub fn new(fd: RawFd) -> Self {
        // SAFETY: the caller hands over an open socket it no longer uses.
        let sock = unsafe { OwnedFd::from_raw_fd(fd) };
        let sref = socket2::SockRef::from(&sock);
        let _ = sref.set_nonblocking(true);
        let _ = sref.set_tcp_nodelay(true);
        let (peer, peer_ip) = match sref.peer_addr().ok().and_then(|a| a.as_socket()) {
            Some(a) => (a.to_string(), a.ip().to_string()),
            None => ("-".to_owned(), "-".to_owned()),
        };
        Connection {
            sock,
            peer,
            peer_ip,
            buf: Vec::with_capacity(4096),
            parsed: None,
            wait_started: Instant::now(),
            served: 0,
            must_close: false,
            eof: false,
            linger: false,
        }
    }

    /// The socket.
    pub fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    /// Hands over bytes read from the socket (empty = end of stream) and frames the next head.
    pub fn feed(&mut self, data: &[u8]) -> State {
        if data.is_empty() {
            self.eof = true;
            return if self.parsed.is_some() {
                State::Ready
            } else {
                State::Close
            };
        }
        self.buf.extend_from_slice(data);
        self.frame()
    }

    /// Tries to frame a request head from the buffer.
    fn frame(&mut self) -> State {
        if self.parsed.is_some() {
            return State::Ready;
        }
        if self.buf.is_empty() {
            return if self.eof {
                State::Close
            } else {
                State::NeedRead
            };
        }
        match http::parse_request_head(&self.buf, &server::get().settings.limits) {
            HeadParse::Partial if self.eof => State::Close,
            HeadParse::Partial => State::NeedRead,
            HeadParse::Complete { head, consumed } => {
                self.parsed = Some(Ok((head, consumed)));
                State::Ready
            }
            HeadParse::Error(e) => {
                self.parsed = Some(Err(e));
                State::Ready
            }
        }
    }

    /// Serves every framed request, in order. Blocks on the socket for bodies and writes.
    pub fn process(&mut self) -> State {
        loop {
            match self.parsed.take() {
                None => return self.frame(),
                Some(Err(e)) => {
                    error_log::log("core", error_log::INFO, Some(&self.peer), &e.reason);
                    self.must_close = true;
                    dispatch::answer_error(self, e.status);
                    return State::Close;
                }
                Some(Ok((head, consumed))) => {
                    self.buf.drain(..consumed);
                    dispatch::serve(self, head);
                    self.served += 1;
                    if self.must_close {
                        return State::Close;
                    }
                    self.wait_started = Instant::now();
                    match self.frame() {
                        State::Ready => continue,
                        other => return other,
                    }
                }
            }
        }
    }

    /// Writes queued output without blocking. Nothing is queued yet (responses are written before
    /// `process` returns), so this only reports what the connection waits for next.
    pub fn write_queued(&mut self) -> State {
        if self.must_close {
            return State::Close;
        }
        self.frame()
    }

    /// Milliseconds left in the current wait: the request timeout while a head is arriving (or on
    /// a new connection), KeepAliveTimeout between requests.
    pub fn timeout_ms(&self) -> u64 {
        let settings = &server::get().settings;
        let limit = if self.served > 0 && self.buf.is_empty() {
            settings.keep_alive_timeout
        } else {
            settings.timeout
        };
        limit
            .saturating_sub(self.wait_started.elapsed())
            .as_millis() as u64
    }

    /// The current wait expired: a half-received head gets 408.
    pub fn expire(&mut self) -> State {
        if !self.buf.is_empty() {
            error_log::log(
                "core",
                error_log::INFO,
                Some(&self.peer),
                "request header read timeout",
            );
            self.must_close = true;
            dispatch::answer_error(self, 408);
        }
        State::Close
    }

    /// Closes the socket; when we close first and the client may still be sending, shut down our
    /// side and read what it sends for up to 2 s, so the response is not destroyed by a reset.
    pub fn close(self) {
        if self.linger && !self.eof {
            // SAFETY: our own socket.
            unsafe { libc::shutdown(self.fd(), libc::SHUT_WR) };
            let deadline = Instant::now() + LINGER;
            let mut scratch = [0u8; 4096];
            while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                match io::read(self.fd(), &mut scratch, left) {
                    Ok(n) if n > 0 => continue,
                    _ => break,
                }
            }
        }
    }

    /// Marks the connection to close after this response, lingering.
    pub fn close_after_response(&mut self) {
        self.must_close = true;
        self.linger = true;
    }

    /// Reads more bytes into `buf`, waiting at most Timeout. `Ok(0)` at end of stream.
    pub fn read_more(&mut self) -> std::io::Result<usize> {
        let mut chunk = [0u8; 16384];
        let n = io::read(self.fd(), &mut chunk, server::get().settings.timeout)?;
        if n == 0 {
            self.eof = true;
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Serves the whole connection on this thread (prefork, worker).
    pub fn serve_blocking(mut self) -> u64 {
        let mut chunk = vec![0u8; 16384];
        let mut state = self.frame();
        loop {
            state = match state {
                State::Ready => self.process(),
                State::Close => break,
                State::NeedWrite => {
                    match io::wait(self.fd(), libc::POLLOUT, server::get().settings.timeout) {
                        Ok(()) => self.write_queued(),
                        Err(_) => State::Close,
                    }
                }
                State::NeedRead => {
                    let left = Duration::from_millis(self.timeout_ms());
                    match io::read(self.fd(), &mut chunk, left) {
                        Ok(n) => self.feed(&chunk[..n]),
                        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => self.expire(),
                        Err(_) => State::Close,
                    }
                }
            };
        }
        let served = self.served;
        self.close();
        served
    }
}
