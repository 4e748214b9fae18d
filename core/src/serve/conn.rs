//! One client connection: bytes in, request heads framed by the sans-io engine, requests served
//! in order, keep-alive, timeouts, output and closing decided. The same state machine serves
//! blocking MPMs (`serve_blocking`, one thread per connection) and event MPMs (`feed` /
//! `process` / `write_queued` / `timeout_ms` / `expire` through the host table): one mechanism,
//! two drivers.
//!
//! Timeouts, as in Apache: a request head must arrive within RequestReadTimeout's header stage
//! (from the connection's start, or from the first byte of a request on a kept-alive
//! connection); a kept-alive connection may idle for KeepAliveTimeout; every single blocked read
//! or write is bounded by Timeout. After a response that closes the connection, our side is shut
//! down and what the client still sends is read and dropped (lingering close) for up to 2 s of
//! silence and 30 s in all, so the client reads the response instead of a reset.

use super::io;
use super::output::OutQueue;
use super::transport::{PlainSocket, Transport};
use crate::http::{HeadParse, HeadParser, HttpError, RequestHead};
use crate::logs::error_log;
use crate::scoreboard::worker;
use crate::server::Server;
use mapache_plugin_api::abi::{
    MAPACHE_CONN_CLOSE, MAPACHE_CONN_NEED_READ, MAPACHE_CONN_NEED_WRITE, MAPACHE_CONN_READY,
    MAPACHE_WORKER_CLOSING, MAPACHE_WORKER_KEEPALIVE, MAPACHE_WORKER_READ,
};
use std::os::fd::{BorrowedFd, RawFd};
use std::time::{Duration, Instant};

/// A lingering close gives up after this long without data from the client (Apache's
/// SECONDS_TO_LINGER).
pub const LINGER_IDLE: Duration = Duration::from_secs(2);
/// A lingering close never lasts longer than this, however the client keeps sending (Apache's
/// MAX_SECS_TO_LINGER).
pub const LINGER_MAX: Duration = Duration::from_secs(30);

/// What a connection waits for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Wait until the socket is readable, read, then `feed`.
    NeedRead,
    /// A complete head (or a framing error to answer) is buffered: call `process`.
    Ready,
    /// Done: close it.
    Close,
    /// Output is queued: wait until the socket is writable, then `write_queued`.
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

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading request heads and serving requests.
    Reading,
    /// The last response's tail is queued (connections that queue output only).
    Writing,
    /// Our side is shut down; what the client sends is read and dropped until it closes.
    Lingering { since: Instant, last_read: Instant },
    /// Finished.
    Done,
}

/// A client connection owned by the core.
pub struct Connection {
    /// The configuration this connection serves (given when it was opened; nothing on the
    /// serving path reads a global).
    pub srv: &'static Server,
    /// The client's byte stream: every read and write of the connection goes through it.
    transport: Box<dyn Transport>,
    /// `ip:port` of the client, for logs.
    pub peer: String,
    /// The client's IP address.
    pub peer_ip: String,
    /// The client's port.
    pub peer_port: u16,
    /// Our IP address on this connection.
    pub local_ip: String,
    /// Our port on this connection.
    pub local_port: u16,
    /// The virtual hosts this connection's local address and port may serve (None: only the
    /// main server), found once when it opened.
    pub vhost_set: Option<&'static crate::vhost::select::Candidates>,
    /// The set's first virtual host (or the main server): whose Timeout and KeepAliveTimeout
    /// the connection keeps, as Apache's `base_server`.
    pub base: &'static crate::vhost::Vhost,
    /// Timeout for the current request's body and response: its vhost's, once chosen (Apache
    /// switches the socket to it after reading the head); the base's between requests.
    pub timeout: std::time::Duration,
    /// The client as access control sees it (None when the socket could not name the peer).
    pub client: Option<crate::access::Client>,
    /// Received bytes not consumed yet (the next head, pipelined requests, body bytes).
    pub buf: Vec<u8>,
    /// Where framing the head at the start of `buf` got: each read is parsed on from there.
    head_parser: HeadParser,
    parsed: Option<Result<(RequestHead, usize), HttpError>>,
    phase: Phase,
    /// When the current request head began (the header stage's clock); `None` while a
    /// kept-alive connection waits for the first byte of its next request.
    head_started: Option<Instant>,
    /// Bytes received since `head_started`.
    head_bytes: u64,
    /// When the current keep-alive wait began.
    idle_since: Instant,
    /// When bytes last arrived: a blocked read gives up `Timeout` after it.
    last_input: Instant,
    /// Requests answered on this connection.
    pub served: u64,
    /// Response bytes handed to the socket (or queued for it) on this connection.
    pub bytes_out: u64,
    /// The length of the last framed request head (`%I`).
    pub head_bytes_in: u64,
    /// The client's name by HostnameLookups, looked up once when first needed.
    remote_host: Option<Option<String>>,
    /// Set when the connection must close after the current response.
    pub must_close: bool,
    /// Set when the client went away (a write failed): close without lingering.
    pub aborted: bool,
    /// Set by the last request when its client said it was the last (`Connection: close`, or
    /// HTTP/1.0 without keep-alive) and its body was read to the end: nothing more is coming.
    pub(super) client_done: bool,
    /// Set when the client will send nothing more (EOF seen).
    eof: bool,
    /// Output that would block is queued instead of waited for (connections from `conn_open`).
    queue_output: bool,
    out: OutQueue,
    /// The response head being written, kept between requests so it is not allocated anew.
    pub(super) head_buf: Vec<u8>,
    /// The response header list of the last request, emptied, for the next one.
    pub(super) header_list: Vec<(String, String)>,
    /// Header name and value strings of earlier responses, for reuse.
    pub(super) header_strings: Vec<(String, String)>,
    /// The last request's filter chains, emptied, for the next one.
    pub(super) spare_chain: crate::pipeline::filters::Chain,
}

impl Connection {
    /// Takes ownership of an accepted socket and makes it non-blocking. Output that would block
    /// waits for the socket (bounded by Timeout).
    pub fn new(fd: RawFd, srv: &'static Server) -> Self {
        // SAFETY: the caller hands over an open socket it no longer uses.
        let mut sock = unsafe { PlainSocket::from_raw_fd(fd) };
        let _ = sock.set_nonblocking(true);
        Connection::over(Box::new(sock), srv)
    }

    /// Takes ownership of an accepted socket as it is, for [`Connection::serve_blocking`] (which
    /// makes it blocking itself). TCP_NODELAY and the send timeout come from the listener (see
    /// `listen::set_accepted_options`).
    pub fn for_blocking(fd: RawFd, srv: &'static Server) -> Self {
        // SAFETY: the caller hands over an open socket it no longer uses.
        Connection::over(Box::new(unsafe { PlainSocket::from_raw_fd(fd) }), srv)
    }

    /// A connection served over `transport`, whose socket names the peer and our address.
    fn over(transport: Box<dyn Transport>, srv: &'static Server) -> Self {
        // SAFETY: the transport's socket, open while it lives.
        let sock = unsafe { BorrowedFd::borrow_raw(transport.fd()) };
        let sref = socket2::SockRef::from(&sock);
        let peer_addr = sref.peer_addr().ok().and_then(|a| a.as_socket());
        let (peer, peer_ip, peer_port) = match peer_addr {
            Some(a) => (a.to_string(), a.ip().to_string(), a.port()),
            None => ("-".to_owned(), "-".to_owned(), 0),
        };
        let local_addr = sref.local_addr().ok().and_then(|a| a.as_socket());
        let (local_ip, local_port) = match local_addr {
            Some(a) => (a.ip().to_string(), a.port()),
            None => ("-".to_owned(), 0),
        };
        let now = Instant::now();
        let vhost_set = srv.vhosts.candidates(local_addr);
        let base = srv.vhosts.base(vhost_set);
        Connection {
            srv,
            vhost_set,
            base,
            timeout: base.timeout,
            transport,
            peer,
            peer_ip,
            peer_port,
            local_ip,
            local_port,
            client: peer_addr
                .map(|p| crate::access::Client::new(p.ip(), local_addr.map(|l| l.ip()))),
            buf: Vec::with_capacity(4096),
            head_parser: HeadParser::new(),
            parsed: None,
            phase: Phase::Reading,
            head_started: Some(now),
            head_bytes: 0,
            idle_since: now,
            last_input: now,
            served: 0,
            bytes_out: 0,
            head_bytes_in: 0,
            remote_host: None,
            must_close: false,
            aborted: false,
            client_done: false,
            eof: false,
            queue_output: false,
            out: OutQueue::default(),
            head_buf: Vec::with_capacity(512),
            header_list: Vec::new(),
            header_strings: Vec::new(),
            spare_chain: Default::default(),
        }
    }

    /// As [`Connection::new`], for step-by-step serving: output the socket does not take at once
    /// is queued (see [`super::output`]) and `process` returns [`State::NeedWrite`].
    pub fn new_queued(fd: RawFd, srv: &'static Server) -> Self {
        let mut c = Connection::new(fd, srv);
        c.queue_output = true;
        c
    }

    /// The socket, for readiness waits (its bytes go through the transport).
    pub fn fd(&self) -> RawFd {
        self.transport.fd()
    }

    /// What the connection waits for, without doing anything.
    fn state(&self) -> State {
        match self.phase {
            Phase::Done => State::Close,
            Phase::Lingering { .. } => State::NeedRead,
            Phase::Writing => State::NeedWrite,
            Phase::Reading if self.parsed.is_some() => State::Ready,
            Phase::Reading if self.eof => State::Close,
            Phase::Reading => State::NeedRead,
        }
    }

    /// Hands over bytes read from the socket (empty = end of stream) and frames the next head.
    pub fn feed(&mut self, data: &[u8]) -> State {
        if data.is_empty() {
            self.eof = true;
        }
        match self.phase {
            Phase::Done => State::Close,
            Phase::Lingering { since, .. } => {
                let now = Instant::now();
                if self.eof || now.duration_since(since) >= LINGER_MAX {
                    self.phase = Phase::Done;
                    return State::Close;
                }
                self.phase = Phase::Lingering {
                    since,
                    last_read: now,
                };
                State::NeedRead
            }
            // Not expected (the driver writes first); kept for the next request.
            Phase::Writing => {
                self.buf.extend_from_slice(data);
                State::NeedWrite
            }
            Phase::Reading => {
                if data.is_empty() {
                    return self.state();
                }
                worker::set_status(MAPACHE_WORKER_READ);
                let now = Instant::now();
                self.last_input = now;
                if self.head_started.is_none() {
                    self.head_started = Some(now);
                    self.head_bytes = 0;
                }
                self.head_bytes += data.len() as u64;
                self.buf.extend_from_slice(data);
                self.frame()
            }
        }
    }

    /// Tries to frame a request head from the buffer.
    fn frame(&mut self) -> State {
        if self.parsed.is_some() || self.buf.is_empty() {
            return self.state();
        }
        match self.head_parser.parse(&self.buf, &self.base.limits) {
            HeadParse::Partial => {}
            HeadParse::Complete { head, consumed } => self.parsed = Some(Ok((head, consumed))),
            HeadParse::Error(e) => self.parsed = Some(Err(e)),
        }
        self.state()
    }

    /// What comes next on the connection: a framed request to serve, a request that could not
    /// be framed (answer it with its status), or a wait (the state to hand back).
    pub fn take_next(&mut self) -> Next {
        if self.phase != Phase::Reading {
            return Next::Wait(self.state());
        }
        match self.parsed.take() {
            None => Next::Wait(self.frame()),
            Some(Err(e)) => Next::Malformed(e),
            Some(Ok((head, consumed))) => {
                self.buf.drain(..consumed);
                self.head_bytes_in = consumed as u64;
                // The next head starts at the new start of the buffer.
                self.head_parser.reset();
                Next::Request(head)
            }
        }
    }

    /// The client's name as HostnameLookups asks (None: Off, or no name found), looked up
    /// on first use and kept for the connection, as Apache does.
    pub fn remote_host(&mut self) -> Option<String> {
        let ip: std::net::IpAddr = self.peer_ip.parse().ok()?;
        if self.remote_host.is_none() {
            self.remote_host = Some(self.host_name(ip)?);
        }
        self.remote_host.clone().flatten()
    }

    /// The name of `ip` as HostnameLookups asks, looked up now; `None` when lookups are Off
    /// (outer) or no name was found (inner).
    pub fn host_name(&self, ip: std::net::IpAddr) -> Option<Option<String>> {
        use crate::config::settings::HostnameLookups;
        let mode = self.srv.settings.hostname_lookups;
        if mode == HostnameLookups::Off {
            return None;
        }
        Some(super::remote_host::lookup(
            ip,
            mode == HostnameLookups::Double,
        ))
    }

    /// After a framed request was answered: `Ready` when another is framed already.
    pub fn request_done(&mut self) -> State {
        self.served += 1;
        self.after_response()
    }

    /// After a request that could not be framed was answered (the connection closes).
    pub fn malformed_done(&mut self) -> State {
        self.close_after_response();
        self.after_response()
    }

    /// The first line of what the client sent, as received (for a request that could not be
    /// framed).
    pub fn raw_line(&self) -> &[u8] {
        raw_request_line(&self.buf)
    }

    /// After a response: wait for queued output, or go on with the next request, or close.
    fn after_response(&mut self) -> State {
        self.out.end_request();
        if self.aborted {
            self.out.clear();
            self.phase = Phase::Done;
            return State::Close;
        }
        if !self.out.is_empty() {
            self.phase = Phase::Writing;
            return State::NeedWrite;
        }
        self.next_request()
    }

    /// Everything is written: linger and close, or wait for the next request.
    fn next_request(&mut self) -> State {
        self.timeout = self.base.timeout;
        if self.must_close {
            return self.begin_linger();
        }
        let now = Instant::now();
        self.phase = Phase::Reading;
        self.idle_since = now;
        self.last_input = now;
        // A pipelined request's head clock starts now; an idle one's at its first byte.
        if self.buf.is_empty() {
            self.head_started = None;
            worker::set_status(MAPACHE_WORKER_KEEPALIVE);
        } else {
            self.head_started = Some(now);
            self.head_bytes = self.buf.len() as u64;
            worker::set_status(MAPACHE_WORKER_READ);
        }
        self.frame()
    }

    /// Shuts down our side after the last response and starts reading what the client still
    /// sends, so that closing does not reset the connection under the response.
    fn begin_linger(&mut self) -> State {
        let done = self.nothing_more_coming();
        self.buf.clear();
        self.head_parser.reset();
        self.parsed = None;
        if self.eof || self.aborted || done {
            self.phase = Phase::Done;
            return State::Close;
        }
        self.transport.shutdown_write();
        worker::set_status(MAPACHE_WORKER_CLOSING);
        let now = Instant::now();
        self.phase = Phase::Lingering {
            since: now,
            last_read: now,
        };
        State::NeedRead
    }

    /// Whether closing now cannot reset the connection under the response: the client said it
    /// sends nothing more, nothing of its is buffered, and nothing waits in the socket (a close
    /// with unread bytes sends RST, which may destroy the response before the client read it).
    /// Then the close needs no lingering, as nginx's heuristic has it: one non-blocking read
    /// instead of a shutdown and a wait for the client's FIN, which took a second wake-up per
    /// connection on a connection-per-request load.
    fn nothing_more_coming(&mut self) -> bool {
        if !self.client_done || !self.buf.is_empty() || self.eof || self.aborted {
            return false;
        }
        let mut probe = [0u8; 1];
        match self.transport.read(&mut probe) {
            // Nothing waiting: close at once.
            Ok(None) => true,
            // The client's FIN already: nothing to linger for either.
            Ok(Some(0)) => {
                self.eof = true;
                true
            }
            // It sent more after all: linger as usual (the byte read is discarded, as
            // lingering would).
            Ok(Some(_)) => false,
            Err(_) => true,
        }
    }

    /// Writes queued output without blocking.
    pub fn write_queued(&mut self) -> State {
        if self.phase != Phase::Writing {
            return self.state();
        }
        let flushed = self.out.flush(&mut *self.transport);
        if flushed.is_ok() {
            worker::heartbeat();
        }
        match flushed {
            Ok(false) => State::NeedWrite,
            Ok(true) => self.next_request(),
            Err(e) => {
                error_log::log_for(
                    self.base.entry,
                    "core",
                    error_log::INFO,
                    Some(&self.peer),
                    &format!("error writing the response: {e}"),
                );
                self.aborted = true;
                self.out.clear();
                self.phase = Phase::Done;
                State::Close
            }
        }
    }

    /// When the current wait ends.
    fn deadline(&self) -> Instant {
        match self.phase {
            Phase::Done => Instant::now(),
            Phase::Lingering { since, last_read } => {
                (last_read + LINGER_IDLE).min(since + LINGER_MAX)
            }
            Phase::Writing => self.out.last_progress + self.timeout,
            Phase::Reading => match self.head_started {
                None => self.idle_since + self.base.keep_alive_timeout,
                Some(started) => {
                    let read = self.last_input + self.base.timeout;
                    match self
                        .base
                        .request_read_timeout
                        .header
                        .deadline(started, self.head_bytes)
                    {
                        Some(stage) => stage.min(read),
                        None => read,
                    }
                }
            },
        }
    }

    /// Time left in the current wait.
    fn time_left(&self) -> Duration {
        self.deadline().saturating_duration_since(Instant::now())
    }

    /// Milliseconds left in the current wait, rounded up (0 only once it has expired): the
    /// header stage of RequestReadTimeout (and Timeout) while a head is awaited,
    /// KeepAliveTimeout between requests, Timeout while output is queued, the linger bounds
    /// while lingering.
    pub fn timeout_ms(&self) -> u64 {
        let left = self.time_left();
        left.as_micros().div_ceil(1000).min(u64::MAX as u128) as u64
    }

    /// The current wait expired. A partly received head is `HeadTimeout`: the driver answers
    /// 408, then calls [`Connection::timeout_answered`]; anything else just closes.
    pub fn expire(&mut self) -> Expiry {
        match self.phase {
            Phase::Reading if self.parsed.is_none() && !self.buf.is_empty() => {
                error_log::log_for(
                    self.base.entry,
                    "core",
                    error_log::INFO,
                    Some(&self.peer),
                    "Request header read timeout",
                );
                self.close_after_response();
                return Expiry::HeadTimeout;
            }
            Phase::Writing => {
                error_log::log_for(
                    self.base.entry,
                    "core",
                    error_log::INFO,
                    Some(&self.peer),
                    "timed out writing the response: the client does not read",
                );
                self.aborted = true;
                self.out.clear();
                self.phase = Phase::Done;
            }
            // Lingering, an idle wait, or nothing to wait for: just close.
            _ => self.phase = Phase::Done,
        }
        Expiry::Close
    }

    /// After the 408 for a head timeout: written now even when output queues (the caller
    /// closes), then the close lingers.
    pub fn timeout_answered(&mut self) -> State {
        if self.flush_blocking().is_err() {
            self.aborted = true;
        }
        self.begin_linger();
        State::Close
    }

    /// Closes the socket. A connection still lingering (its driver closed it early, or
    /// `expire` answered 408) finishes its lingering here, blocking within the same bounds.
    pub fn close(mut self) {
        let mut scratch = [0u8; 4096];
        if matches!(self.phase, Phase::Lingering { .. }) {
            worker::set_status(MAPACHE_WORKER_CLOSING);
        }
        while matches!(self.phase, Phase::Lingering { .. }) {
            let left = self.time_left();
            let n = match io::read(&mut *self.transport, &mut scratch, left) {
                Ok(n) => n,
                Err(_) => break,
            };
            self.feed(&scratch[..n]);
        }
    }

    /// Marks the connection to close after this response (lingering).
    pub fn close_after_response(&mut self) {
        self.must_close = true;
    }

    /// The client is gone (a write failed): close without lingering, drop queued output.
    pub fn abort(&mut self) {
        self.must_close = true;
        self.aborted = true;
        self.out.clear();
    }

    /// Reads more bytes into `buf` for a request body, waiting at most Timeout and never past
    /// `stage_deadline` (RequestReadTimeout's body stage). `Ok(0)` at end of stream; an error of
    /// kind `TimedOut` when either limit passed.
    pub fn read_more(&mut self, stage_deadline: Option<Instant>) -> std::io::Result<usize> {
        // Never wait for the client while it waits for us (a queued `100 Continue`).
        self.flush_blocking()?;
        let mut wait = self.timeout;
        if let Some(d) = stage_deadline {
            wait = wait.min(d.saturating_duration_since(Instant::now()));
        }
        let mut chunk = [0u8; 16384];
        let n = io::read(&mut *self.transport, &mut chunk, wait)?;
        if n == 0 {
            self.eof = true;
        }
        worker::heartbeat();
        self.last_input = Instant::now();
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Writes `parts` in order after anything queued. A blocking connection waits for the
    /// socket (each stall bounded by Timeout); a queuing one queues what the socket does not
    /// take, up to [`super::output::MAX_QUEUED_BYTES`], and waits only past that.
    pub fn send(&mut self, parts: &[&[u8]]) -> std::io::Result<()> {
        self.send_more(parts, false)
    }

    /// As [`Connection::send`]; `more` says the caller sends more right after (a file), so a
    /// short head can wait for it and share its packet (`MSG_MORE`).
    pub fn send_more(&mut self, parts: &[&[u8]], more: bool) -> std::io::Result<()> {
        let total: usize = parts.iter().map(|s| s.len()).sum();
        self.send_parts(parts, total, more)?;
        self.sent(total as u64);
        Ok(())
    }

    /// Counts bytes handed to the socket (or its queue): the progress a heartbeat reports.
    fn sent(&mut self, n: u64) {
        self.bytes_out += n;
        worker::heartbeat();
    }

    /// [`Connection::send_more`] without the counting; `total` is the bytes in `parts`.
    fn send_parts(&mut self, parts: &[&[u8]], total: usize, more: bool) -> std::io::Result<()> {
        let timeout = self.timeout;
        if !self.queue_output {
            return io::write_all(&mut *self.transport, parts, timeout, more);
        }
        let mut written = 0;
        if self.out.is_empty() {
            // The usual case: the socket takes it all, nothing to queue.
            written = self.transport.write_vectored(parts, more)?.unwrap_or(0);
            if written == total {
                return Ok(());
            }
        }
        let mut rest: Vec<&[u8]> = parts.to_vec();
        io::advance(&mut rest, written);
        loop {
            if self.out.flush(&mut *self.transport)? {
                io::write_now(&mut *self.transport, &mut rest, more)?;
            }
            let n: usize = rest.iter().map(|s| s.len()).sum();
            if n == 0 {
                return Ok(());
            }
            if self.out.room_for_bytes(n) {
                self.out.push_bytes(&rest);
                return Ok(());
            }
            io::wait(self.fd(), libc::POLLOUT, timeout)?;
        }
    }

    /// Sends `len` bytes of `file` from `offset` after anything queued: like [`send`], but a
    /// queued range holds a duplicate of the descriptor and is never copied.
    ///
    /// [`send`]: Connection::send
    pub fn send_file(&mut self, file: RawFd, offset: u64, len: u64) -> std::io::Result<()> {
        self.send_file_range(file, offset, len)?;
        self.sent(len);
        Ok(())
    }

    /// [`Connection::send_file`] without the counting.
    fn send_file_range(
        &mut self,
        file: RawFd,
        mut offset: u64,
        mut len: u64,
    ) -> std::io::Result<()> {
        let timeout = self.timeout;
        if !self.queue_output {
            return io::send_file_all(&mut *self.transport, file, offset, len, timeout);
        }
        loop {
            if self.out.flush(&mut *self.transport)? {
                while len > 0 {
                    match self.transport.send_file(file, offset, len)? {
                        Some(n) => {
                            offset += n;
                            len -= n;
                        }
                        None => break,
                    }
                }
            }
            if len == 0 {
                return Ok(());
            }
            if self.out.room_for_file() {
                return self.out.push_file(file, offset, len);
            }
            io::wait(self.fd(), libc::POLLOUT, timeout)?;
        }
    }

    /// Writes everything queued, waiting for the socket (each stall bounded by Timeout).
    fn flush_blocking(&mut self) -> std::io::Result<()> {
        while !self.out.flush(&mut *self.transport)? {
            io::wait(self.fd(), libc::POLLOUT, self.timeout)?;
        }
        Ok(())
    }

    /// Serves the whole connection on this thread (prefork, worker): the same state machine,
    /// driven by blocking waits.
    pub fn serve_blocking(mut self, driver: &dyn Driver) -> u64 {
        // Apache's `R` covers the wait for a new connection's first request too.
        worker::set_status(MAPACHE_WORKER_READ);
        let mut chunk = vec![0u8; 16384];
        // Waits for a request may sleep in the read itself (see `Transport::read_blocking`:
        // on a plain socket, one blocking read each; every other attempt stays non-blocking,
        // and sendfile is bounded by Timeout through SO_SNDTIMEO).
        self.transport.sleep_in_reads();
        let mut state = self.frame();
        loop {
            state = match state {
                State::Ready => driver.process(&mut self),
                State::Close => break,
                State::NeedWrite => match io::wait(self.fd(), libc::POLLOUT, self.time_left()) {
                    Ok(()) => self.write_queued(),
                    Err(_) => driver.expire(&mut self),
                },
                State::NeedRead => {
                    let left = self.time_left();
                    match self.transport.read_blocking(&mut chunk, left) {
                        Ok(n) => self.feed(&chunk[..n]),
                        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                            driver.expire(&mut self)
                        }
                        // A signal: wait again for what is left of the deadline.
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => State::NeedRead,
                        Err(_) => {
                            self.aborted = true;
                            State::Close
                        }
                    }
                }
            };
        }
        let served = self.served;
        self.close();
        served
    }
}

/// What serves the requests a connection frames: the connection calls nothing above itself;
/// its driver (the request pipeline) is handed in.
pub trait Driver {
    /// Serves every framed request (see [`Connection::take_next`]); returns the state to go on with.
    fn process(&self, conn: &mut Connection) -> State;
    /// The current wait expired (see [`Connection::expire`]); returns the state to go on with.
    fn expire(&self, conn: &mut Connection) -> State;
}

/// What [`Connection::take_next`] found.
pub enum Next {
    /// A framed request.
    Request(crate::http::RequestHead),
    /// Bytes that are not a request: answer with the error's status, then close.
    Malformed(crate::http::HttpError),
    /// Nothing to serve now: hand this state back.
    Wait(State),
}

/// What an expired wait calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Close.
    Close,
    /// A head was partly read: answer 408, then [`Connection::timeout_answered`].
    HeadTimeout,
}

/// The first line of what a client sent, as received (for a request that could not be parsed).
fn raw_request_line(buf: &[u8]) -> &[u8] {
    let line = buf.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    &line[..line.len().min(8190)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::drive::DRIVER;
    use crate::serve::output::MAX_QUEUED_BYTES;
    use crate::server::testing::{self, FILE_LEN};
    use std::io::{Read, Write};
    use std::os::fd::IntoRawFd;
    use std::os::unix::net::UnixStream;

    /// A connection on one end of a socket pair, and the client's end.
    fn pair(queued: bool) -> (Connection, UnixStream) {
        let srv = testing::install();
        let (server, client) = UnixStream::pair().unwrap();
        let fd = server.into_raw_fd();
        let c = if queued {
            Connection::new_queued(fd, srv)
        } else {
            Connection::new(fd, srv)
        };
        (c, client)
    }

    /// Drives a connection as an event MPM would (poll waits of at most 5 s) until it closes;
    /// returns how many times `process` or `write_queued` left output queued.
    fn drive(c: &mut Connection, mut state: State) -> usize {
        let mut queued = 0;
        let mut chunk = [0u8; 16384];
        for _ in 0..1_000_000 {
            state = match state {
                State::Ready => {
                    let s = DRIVER.process(c);
                    queued += usize::from(s == State::NeedWrite);
                    s
                }
                State::NeedWrite => {
                    assert!(c.out.queued_bytes() <= MAX_QUEUED_BYTES);
                    io::wait(c.fd(), libc::POLLOUT, Duration::from_secs(5)).unwrap();
                    c.write_queued()
                }
                State::NeedRead => {
                    let left = c.time_left();
                    match io::read(&mut *c.transport, &mut chunk, left) {
                        Ok(n) => c.feed(&chunk[..n]),
                        Err(_) => DRIVER.expire(c),
                    }
                }
                State::Close => return queued,
            };
        }
        panic!("the connection never closed");
    }

    /// Reads everything the server sends, slowly (4 KiB at a time with pauses), on a thread.
    fn slow_reader(mut client: UnixStream) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            client
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            loop {
                match client.read(&mut buf) {
                    Ok(0) | Err(_) => return got,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
                if got.len() % (64 * 1024) < 4096 {
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        })
    }

    /// Status codes and de-chunked body lengths of the responses in `raw`.
    fn responses(raw: &[u8]) -> Vec<(u16, usize)> {
        let mut out = Vec::new();
        let mut rest = raw;
        while let Some(end) = rest.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&rest[..end]).into_owned();
            rest = &rest[end + 4..];
            let status: u16 = head
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let field = |name: &str| {
                head.lines()
                    .filter_map(|l| l.split_once(':'))
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim().to_owned())
            };
            let mut len = 0;
            if status == 100 {
            } else if field("transfer-encoding").is_some() {
                loop {
                    let le = rest.windows(2).position(|w| w == b"\r\n").unwrap();
                    let size = usize::from_str_radix(std::str::from_utf8(&rest[..le]).unwrap(), 16)
                        .unwrap();
                    rest = &rest[le + 2..];
                    if size == 0 {
                        rest = &rest[2..];
                        break;
                    }
                    len += size;
                    rest = &rest[size + 2..];
                }
            } else if let Some(n) = field("content-length").and_then(|v| v.parse().ok()) {
                len = n;
                rest = &rest[n.min(rest.len())..];
            }
            out.push((status, len));
        }
        out
    }

    #[test]
    fn timeouts_follow_the_phase() {
        let (mut c, _client) = pair(false);
        // New connection: the header stage (1 s at first).
        let t = c.timeout_ms();
        assert!(t > 0 && t <= 1000, "{t}");
        assert_eq!(c.feed(b"GET / HTTP/1.1\r\nHost: x\r\n"), State::NeedRead);
        assert!(c.timeout_ms() <= 1100);
        assert_eq!(c.feed(b"\r\n"), State::Ready);
        assert_eq!(DRIVER.process(&mut c), State::NeedRead);
        // Kept alive: KeepAliveTimeout (2 s).
        let t = c.timeout_ms();
        assert!(t > 1000 && t <= 2000, "{t}");
        // The first byte of the next request starts its header stage.
        assert_eq!(c.feed(b"G"), State::NeedRead);
        let t = c.timeout_ms();
        assert!(t > 0 && t <= 1010, "{t}");
    }

    #[test]
    fn header_stage_extends_with_data_up_to_its_max() {
        let (mut c, _client) = pair(false);
        let line = format!("GET / HTTP/1.1\r\nX: {}\r\n", "y".repeat(1000));
        assert_eq!(c.feed(line.as_bytes()), State::NeedRead);
        // 1 s + 1014 bytes at 500 B/s ≈ 3 s, capped at the 2 s maximum.
        let t = c.timeout_ms();
        assert!(t > 1500 && t <= 2000, "{t}");
    }

    #[test]
    fn a_partial_head_expires_with_408_then_lingers() {
        let (mut c, mut client) = pair(false);
        assert_eq!(c.feed(b"GET / HTTP/1.1\r\nHost"), State::NeedRead);
        assert_eq!(DRIVER.expire(&mut c), State::Close);
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap(); // our side was shut down
        assert!(got.starts_with(b"HTTP/1.1 408 "), "{got:?}");
        assert!(String::from_utf8_lossy(&got).contains("Connection: close"));
        drop(client);
        c.close(); // lingering ends at the client's EOF
    }

    #[test]
    fn an_idle_connection_expires_silently() {
        let (mut c, mut client) = pair(false);
        assert_eq!(DRIVER.expire(&mut c), State::Close);
        c.close();
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        assert!(got.is_empty());
    }

    #[test]
    fn a_client_that_said_close_and_sent_nothing_more_is_closed_without_lingering() {
        let (mut c, mut client) = pair(true);
        let s = c.feed(b"GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert_eq!(s, State::Ready);
        assert_eq!(
            DRIVER.process(&mut c),
            State::Close,
            "no lingering: nothing more is coming"
        );
        c.close();
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        assert_eq!(responses(&got), vec![(404, 196)]);
    }

    #[test]
    fn lingering_discards_input_until_eof() {
        let (mut c, mut client) = pair(true);
        // Bytes after the last request: the client may send more, so the close lingers.
        let s = c.feed(b"GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nX");
        assert_eq!(s, State::Ready);
        assert_eq!(
            DRIVER.process(&mut c),
            State::NeedRead,
            "lingering waits for input"
        );
        let t = c.timeout_ms();
        assert!(t > 0 && t <= LINGER_IDLE.as_millis() as u64, "{t}");
        assert_eq!(c.feed(b"more junk from the client"), State::NeedRead);
        assert_eq!(
            DRIVER.process(&mut c),
            State::NeedRead,
            "nothing is served while lingering"
        );
        assert_eq!(c.feed(b""), State::Close);
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        assert_eq!(responses(&got), vec![(404, error_page_len(404))]);
    }

    #[test]
    fn options_star_is_answered_by_the_core() {
        let (mut c, mut client) = pair(false);
        client.shutdown(std::net::Shutdown::Write).unwrap();
        c.feed(b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        drive(&mut c, State::Ready);
        c.close();
        let mut got = String::new();
        client.read_to_string(&mut got).unwrap();
        assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{got}");
        assert!(
            got.contains("\r\nAllow: GET, HEAD, POST, OPTIONS\r\n"),
            "{got}"
        );
        assert!(got.contains("\r\nContent-Length: 0\r\n"), "{got}");
    }

    #[test]
    fn declared_body_over_the_limit_is_413_before_the_handler() {
        let (mut c, mut client) = pair(false);
        // LimitRequestBody 10 in <Location /echo/small>; the body is never sent.
        client.shutdown(std::net::Shutdown::Write).unwrap();
        c.feed(b"POST /echo/small HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n");
        drive(&mut c, State::Ready);
        c.close();
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        assert_eq!(responses(&got)[0].0, 413);
        // At the limit it is served.
        let (mut c, mut client) = pair(false);
        client.shutdown(std::net::Shutdown::Write).unwrap();
        c.feed(b"POST /echo/small HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789");
        drive(&mut c, State::Ready);
        c.close();
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        assert_eq!(responses(&got), vec![(200, 10)]);
    }

    #[test]
    fn chunked_body_over_the_limit_fails_the_read_with_413() {
        let (mut c, mut client) = pair(false);
        client.shutdown(std::net::Shutdown::Write).unwrap();
        c.feed(b"POST /echo/small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nghijkl\r\n0\r\n\r\n");
        drive(&mut c, State::Ready);
        c.close();
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        let text = String::from_utf8_lossy(&got);
        assert!(text.starts_with("HTTP/1.1 413 "), "{text}");
        assert!(text.contains("Connection: close"), "{text}");
    }

    #[test]
    fn a_stalled_body_is_408() {
        let (mut c, client) = pair(false);
        // The client reads what comes, and closes only when we have closed our side.
        let reader = slow_reader(client);
        c.feed(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
        // The body stage is 1 s; the client sends nothing more but keeps the connection open.
        drive(&mut c, State::Ready);
        c.close();
        let got = reader.join().unwrap();
        assert!(
            got.starts_with(b"HTTP/1.1 408 "),
            "{}",
            String::from_utf8_lossy(&got)
        );
    }

    #[test]
    fn queued_memory_output_waits_for_a_slow_reader() {
        let (mut c, client) = pair(true);
        let reader = slow_reader(client);
        let n = 2_000_000;
        let req = format!("GET /big?{n} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert_eq!(c.feed(req.as_bytes()), State::Ready);
        let queued = drive(&mut c, State::Ready);
        assert!(queued > 0, "the slow reader made output queue");
        c.close();
        let got = reader.join().unwrap();
        assert_eq!(responses(&got), vec![(200, n)]);
    }

    #[test]
    fn queued_file_ranges_are_not_copied() {
        let (mut c, client) = pair(true);
        // Fill the socket first so the file cannot go out at once.
        let reader_gate = std::sync::Arc::new(std::sync::Barrier::new(2));
        let gate = reader_gate.clone();
        let reader = std::thread::spawn(move || {
            gate.wait();
            slow_reader(client).join().unwrap()
        });
        c.feed(b"GET /file HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert_eq!(DRIVER.process(&mut c), State::NeedWrite);
        // Waiting for the socket is bounded by Timeout (3 s).
        let t = c.timeout_ms();
        assert!(t > 2000 && t <= 3000, "{t}");
        assert!(
            c.out.queued_bytes() < 1024,
            "only the chunk framing is copied, not the file: {}",
            c.out.queued_bytes()
        );
        reader_gate.wait();
        drive(&mut c, State::NeedWrite);
        c.close();
        assert_eq!(
            responses(&reader.join().unwrap()),
            vec![(200, FILE_LEN as usize)]
        );
    }

    #[test]
    fn pipelined_requests_wait_for_queued_output_and_stay_in_order() {
        let (mut c, client) = pair(true);
        let reader = slow_reader(client);
        c.feed(b"GET /big?500000 HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc");
        let queued = drive(&mut c, State::Ready);
        assert!(queued > 0);
        c.close();
        assert_eq!(
            responses(&reader.join().unwrap()),
            vec![(200, 500_000), (404, error_page_len(404)), (200, 3)]
        );
    }

    fn error_page_len(status: u16) -> usize {
        crate::http::status::error_page(status, crate::http::status::default_detail(status)).len()
    }

    #[test]
    fn blocking_connections_never_queue() {
        let (mut c, client) = pair(false);
        let reader = slow_reader(client);
        c.feed(b"GET /big?1000000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert_eq!(drive(&mut c, State::Ready), 0);
        c.close();
        assert_eq!(responses(&reader.join().unwrap()), vec![(200, 1_000_000)]);
    }

    #[test]
    fn serve_blocking_answers_pipelined_requests_in_order() {
        let (c, mut client) = pair(false);
        client
            .write_all(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhiGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(c.serve_blocking(&DRIVER), 3);
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        let r = responses(&got);
        assert_eq!(
            r.iter().map(|x| x.0).collect::<Vec<_>>(),
            vec![404, 200, 404]
        );
        assert_eq!(r[1].1, 2);
    }

    /// Waits (at most 5 s) until `cond` holds.
    fn wait_for(what: &str, cond: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !cond() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Reads one response with a Content-Length body.
    fn read_response(client: &mut UnixStream) -> String {
        let mut got = Vec::new();
        let mut byte = [0u8; 1];
        while !got.ends_with(b"\r\n\r\n") {
            assert_eq!(
                client.read(&mut byte).unwrap(),
                1,
                "the response ended early"
            );
            got.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&got).into_owned();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        client.read_exact(&mut body).unwrap();
        head + &String::from_utf8_lossy(&body)
    }

    fn leaked_record() -> &'static crate::scoreboard::records::WorkerRecord {
        let board = Box::leak(Box::new(
            crate::scoreboard::shm::Board::create(1, 1).unwrap(),
        ));
        board.worker(0, 0).unwrap()
    }

    fn text(field: &[u8]) -> &str {
        mapache_plugin_api::sdk::score::field_text(field)
    }

    #[test]
    fn the_worker_record_follows_a_blocking_connection() {
        let rec = leaked_record();
        let (c, mut client) = pair(false);
        let server = std::thread::spawn(move || {
            worker::bind(rec);
            let n = c.serve_blocking(&DRIVER);
            worker::idle();
            n
        });
        let status = || rec.snapshot().status;
        wait_for("R before the first request", || status() == b'R');
        client
            .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
            .unwrap();
        let first = read_response(&mut client);
        wait_for("K between requests", || status() == b'K');
        let w = rec.snapshot();
        assert_eq!((w.access_count, w.conn_count), (1, 1));
        assert_eq!(w.bytes_served, first.len() as u64);
        assert_eq!(text(&w.request), "POST /echo HTTP/1.1");
        assert_eq!(text(&w.client), "-", "a socket pair has no address");
        assert!(w.last_done_us >= w.last_request_us && w.last_request_us > 0);

        client
            .write_all(b"GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nX")
            .unwrap();
        let mut second = Vec::new();
        client.read_to_end(&mut second).unwrap();
        wait_for("C while lingering", || status() == b'C');
        drop(client);
        assert_eq!(server.join().unwrap(), 2);
        let w = rec.snapshot();
        assert_eq!(w.status, b'_');
        assert_eq!((w.access_count, w.conn_count), (2, 2));
        assert_eq!(w.bytes_served, (first.len() + second.len()) as u64);
        assert_eq!(w.conn_bytes, w.bytes_served);
        assert_eq!(text(&w.request), "GET /nothing HTTP/1.1");
        assert!(w.last_active_us > 0);
    }

    #[test]
    fn the_worker_record_counts_event_driven_requests_and_bad_ones() {
        let rec = leaked_record();
        worker::bind(rec);
        let (mut c, mut client) = pair(true);
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let s = c.feed(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.0\r\n\r\n");
        assert_eq!(rec.snapshot().status, b'R', "a head arrived");
        drive(&mut c, s);
        c.close();
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        let w = rec.snapshot();
        assert_eq!((w.access_count, w.conn_count), (2, 2));
        assert_eq!(w.bytes_served, got.len() as u64);
        assert_eq!(text(&w.request), "GET /b HTTP/1.0");

        // A request that cannot be parsed counts too, with its line as received.
        let (mut c, mut client) = pair(true);
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let s = c.feed(b"GET /x HTTP/1.1 junk\r\n\r\n");
        drive(&mut c, s);
        c.close();
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        let w = rec.snapshot();
        assert_eq!((w.access_count, w.conn_count), (3, 1));
        assert_eq!(text(&w.request), "GET /x HTTP/1.1 junk");
        assert_eq!(w.conn_bytes, got.len() as u64);
        worker::unbind();
    }

    /// The stopping flag is process-wide: this test runs itself again in a process of its own.
    #[test]
    fn a_stopping_process_closes_each_connection_after_its_next_response() {
        const NAME: &str =
            "serve::conn::tests::a_stopping_process_closes_each_connection_after_its_next_response";
        if std::env::var_os("MAPACHE_TEST_STOPPING").is_none() {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", NAME, "--test-threads=1", "--nocapture"])
                .env("MAPACHE_TEST_STOPPING", "1")
                .output()
                .unwrap();
            assert!(
                out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"),
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            return;
        }
        // A kept-alive connection idle when the stop comes is not cut: its next request is
        // answered, with Connection: close, and nothing after it.
        let (c, mut client) = pair(false);
        let server = std::thread::spawn(move || c.serve_blocking(&DRIVER));
        client
            .write_all(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let first = read_response(&mut client);
        assert!(!first.contains("Connection: close"), "{first}");
        crate::scoreboard::child_stopping();
        client
            .write_all(b"GET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).unwrap();
        let rest = String::from_utf8_lossy(&rest);
        assert_eq!(rest.matches("HTTP/1.1 ").count(), 1, "{rest}");
        assert!(rest.contains("\r\nConnection: close\r\n"), "{rest}");
        drop(client);
        assert_eq!(server.join().unwrap(), 2);

        // The event path the same.
        let (mut c, mut client) = pair(true);
        let s = c.feed(b"GET /d HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(
            DRIVER.process(&mut c),
            State::NeedRead,
            "lingering after the response"
        );
        let got = read_response(&mut client);
        assert!(got.contains("\r\nConnection: close\r\n"), "{got}");
        drop(client);
        drive(&mut c, s);
        c.close();
    }

    mod split_anywhere {
        use super::*;
        use proptest::prelude::*;

        /// Serves `input` with its first `split` bytes handed to `feed` and the rest arriving on
        /// the socket, the client's side then closed; returns the status codes answered.
        fn run(input: &[u8], split: usize, queued: bool) -> Vec<u16> {
            let (mut c, mut client) = pair(queued);
            client.write_all(&input[split..]).unwrap();
            client.shutdown(std::net::Shutdown::Write).unwrap();
            let state = if split == 0 {
                State::NeedRead
            } else {
                c.feed(&input[..split])
            };
            drive(&mut c, state);
            c.close();
            let mut got = Vec::new();
            client.read_to_end(&mut got).unwrap();
            let mut statuses = Vec::new();
            for line in got.split(|&b| b == b'\n') {
                if let Some(rest) = line.strip_prefix(b"HTTP/1.1 ") {
                    statuses.push(
                        std::str::from_utf8(&rest[..3.min(rest.len())])
                            .ok()
                            .and_then(|s| s.parse().ok())
                            .unwrap_or(0),
                    );
                }
            }
            statuses
        }

        fn one_request() -> impl Strategy<Value = Vec<u8>> {
            let method = prop::sample::select(vec![
                "GET", "GET", "HEAD", "POST", "POST", "OPTIONS", "PUT", "BREW",
            ]);
            let target = prop::sample::select(vec![
                "/",
                "/echo",
                "/echo",
                "/echo/small",
                "/x?y=1",
                "*",
                "http://h/echo",
                "/%2e%2e/a",
            ]);
            let version =
                prop::sample::select(vec!["HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0"]);
            let body = prop::collection::vec(any::<u8>(), 0..24);
            // Host is usually there: without it an HTTP/1.1 request is only ever a 400.
            let host = prop::bool::weighted(0.9);
            let framing = prop::sample::select(vec![0u8, 0, 1, 1, 2, 2, 3]);
            let close = prop::bool::weighted(0.2);
            (
                method,
                target,
                version,
                body,
                framing,
                host,
                close,
                prop::bool::weighted(0.2),
            )
                .prop_map(|(m, t, v, body, framing, host, close, expect)| {
                    let mut r = format!("{m} {t} {v}\r\n").into_bytes();
                    if host {
                        r.extend_from_slice(b"Host: h\r\n");
                    }
                    if close {
                        r.extend_from_slice(b"Connection: close\r\n");
                    }
                    if expect {
                        r.extend_from_slice(b"Expect: 100-continue\r\n");
                    }
                    match framing {
                        0 => r.extend_from_slice(b"\r\n"),
                        1 => {
                            r.extend_from_slice(
                                format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes(),
                            );
                            r.extend_from_slice(&body);
                        }
                        2 => {
                            r.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
                            if !body.is_empty() {
                                r.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
                                r.extend_from_slice(&body);
                                r.extend_from_slice(b"\r\n");
                            }
                            r.extend_from_slice(b"0\r\n\r\n");
                        }
                        _ => {
                            // A declared length the body does not match.
                            r.extend_from_slice(
                                format!("Content-Length: {}\r\n\r\n", body.len() + 5).as_bytes(),
                            );
                            r.extend_from_slice(&body);
                        }
                    }
                    r
                })
        }

        fn requests() -> impl Strategy<Value = Vec<u8>> {
            let edits = prop::collection::vec(
                (
                    any::<prop::sample::Index>(),
                    0u8..3,
                    prop::sample::select(vec![b'\r', b'\n', b' ', b':', 0u8, b'0', b'a', 0xff]),
                ),
                0..3,
            )
            .prop_map(|mut e| {
                // Half the inputs stay well-formed.
                if e.len() == 1 {
                    e.clear();
                }
                e
            });
            (prop::collection::vec(one_request(), 1..4), edits).prop_map(|(reqs, edits)| {
                let mut buf: Vec<u8> = reqs.concat();
                for (at, op, byte) in edits {
                    let i = at.index(buf.len() + 1);
                    match op {
                        0 => buf.insert(i, byte),
                        1 if i < buf.len() => {
                            buf.remove(i);
                        }
                        _ if i < buf.len() => buf[i] = byte,
                        _ => {}
                    }
                }
                buf
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]

            /// Whatever arrives, split at any byte, the connection answers the same statuses
            /// and ends in a close, without panicking or hanging.
            #[test]
            fn any_split_gives_the_same_answers(input in requests(), queued in any::<bool>()) {
                let whole = run(&input, input.len(), queued);
                for split in 0..input.len() {
                    prop_assert_eq!(&run(&input, split, queued), &whole, "split at {}", split);
                }
            }

            #[test]
            fn random_bytes_end_in_a_response_or_a_close(
                input in prop::collection::vec(any::<u8>(), 0..200),
                queued in any::<bool>(),
            ) {
                let whole = run(&input, input.len(), queued);
                prop_assert!(whole.iter().all(|s| (100..=599).contains(s)), "{:?}", whole);
                let half = input.len() / 2;
                prop_assert_eq!(run(&input, half, queued), whole);
            }
        }
    }
}
