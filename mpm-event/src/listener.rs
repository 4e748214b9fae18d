//! The listener loop of a child: one epoll over the listening sockets and every connection that
//! waits, so that waiting costs a table entry and a timer, never a thread. The loop is run by
//! one of the child's threads at a time, the leader (see `reactor`), one turn at a time
//! ([`ListenerLoop::poll_once`]).
//!
//! A connection lives here while it waits to be readable (a request head arriving, or an idle
//! keep-alive connection) or writable (queued output). The loop reads what arrives, 16 KiB at a
//! time into one buffer, and feeds it to the core; only when the core has a complete request head
//! is the connection queued for serving (the leader serves it after the poll, in place), and it
//! comes back when served. Slow clients therefore hold no thread (Puma's reactor, nginx), unlike
//! Apache's event MPM, which still reads request heads on its workers.
//!
//! Every connection descriptor is registered with `EPOLLONESHOT`: one event disarms it, so a
//! connection being served produces no events until it is re-armed. The epoll token carries the
//! table key and its generation, so an event or a result about a connection that is gone is told
//! apart from one about a new connection in the same place.
//!
//! A turn never blocks but in `epoll_wait`. What may block is done off the loop: serving requests
//! (after the turn), answering an expired wait (a 408 may have to be written) and any close the
//! core may linger on (`conn_close` may block for a lingering close), which go to a worker. Only
//! a connection whose client has finished (end of stream, or a reset) is closed in the loop
//! itself: there is nothing left to read, so nothing to linger on. That is the common end of a
//! keep-alive connection.

use crate::admission::{self, Load};
use crate::pool::{Done, Job, Pool, Task};
use crate::table::Table;
use crate::timers::Timers;
use mapache_mpm_kit::child::{accept_error_is_transient, read_pod};
use mapache_mpm_kit::signals::{self, Request};
use mapache_plugin_api::sdk::{log, Conn, ConnState, Level, Listener, MpmContext};
use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::socket::{accept4, SockFlag};
use std::os::fd::{BorrowedFd, RawFd};
use std::time::{Duration, Instant};

/// Bytes read from a connection per readable event.
const READ_CHUNK: usize = 16 * 1024;
/// Connections accepted from one listening socket per wake-up, so that a burst is spread over
/// the children.
const ACCEPT_BATCH: usize = 8;
/// Idle keep-alive connections closed per loop turn when shedding.
const SHED_BATCH: usize = 64;
/// Keep-alive connections idle for less than this are not shed: such a client is usually about
/// to send its next request, and closing it would only make it connect again.
const SHED_MIN_IDLE: Duration = Duration::from_secs(1);
/// Events taken per `epoll_wait`.
const EVENTS: usize = 256;
/// How long accepting pauses after the process ran out of descriptors or memory.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);
/// Interval between two reports of the same accept failure.
const ACCEPT_FAILURE_REPORT: Duration = Duration::from_secs(10);
/// Stands for a deadline too far away to represent.
const FOREVER: Duration = Duration::from_secs(365 * 24 * 3600);
/// How long connections may wait in the listen backlog, while this child is paused by
/// admission, before it takes them anyway (no other child did).
const STARVING: Duration = Duration::from_millis(20);
/// Longest sleep in `epoll_wait`; signals and results wake it earlier.
const MAX_WAIT_MS: u16 = 1000;

/// Token of the signal self-pipe.
const WAKE: u64 = 0;
/// Token of the pool's eventfd (results handed back).
const DONE: u64 = 1;
/// Token of the pipe of death.
const POD: u64 = 2;
/// Token of listening socket 0; socket `i` is `LISTENER + i`. Connection tokens are at least
/// `1 << 32` (their generation is never 0).
const LISTENER: u64 = 16;

pub(crate) fn conn_token(key: usize, gen: u32) -> u64 {
    (u64::from(gen) << 32) | key as u64
}

pub(crate) fn read_flags() -> EpollFlags {
    EpollFlags::EPOLLIN | EpollFlags::EPOLLRDHUP | EpollFlags::EPOLLONESHOT
}

fn write_flags() -> EpollFlags {
    EpollFlags::EPOLLOUT | EpollFlags::EPOLLONESHOT
}

fn borrow(fd: RawFd) -> BorrowedFd<'static> {
    // SAFETY: used only for descriptors that stay open while the listener uses them: the core's
    // listeners, and sockets of connections in the table (closed only after leaving it).
    unsafe { BorrowedFd::borrow_raw(fd) }
}

/// Why the listener loop ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Ended {
    /// A stop signal: end now.
    Stopped,
    /// A graceful stop finished: no connection is left.
    Drained,
    /// An error that the loop cannot go on after.
    Failed(String),
}

/// What the listener does with a child's limits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Options {
    /// Stop accepting and finish after this many connections (`MaxConnectionsPerChild`); 0 for
    /// no limit.
    pub(crate) max_connections: u32,
    /// `AsyncRequestWorkerFactor`.
    pub(crate) factor: f64,
    /// Other children accept on the same listening sockets.
    pub(crate) shared: bool,
}

/// Where a connection in the table is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Parked until readable.
    Reading,
    /// Parked until writable.
    Writing,
    /// Queued for serving or being served.
    Busy,
}

/// The listener's record of one connection.
struct Parked {
    fd: RawFd,
    /// `None` while it is queued or served.
    conn: Option<Conn>,
    phase: Phase,
    /// Bytes were fed since the connection was last parked: a request head is arriving.
    fed: bool,
    /// At least one request was served on it.
    served: bool,
    /// The client has finished: end of stream or an error was read. Closing it cannot linger.
    finished: bool,
    /// Sequence of its armed deadline; 0 when none is armed.
    timer: u32,
    /// When it last entered the keep-alive list.
    idle_since: Instant,
}

#[derive(Debug, Default)]
struct Counts {
    busy: usize,
    writing: usize,
}

impl Counts {
    fn leave(&mut self, phase: Phase) {
        match phase {
            Phase::Busy => self.busy -= 1,
            Phase::Writing => self.writing -= 1,
            Phase::Reading => {}
        }
    }

    fn enter(&mut self, phase: Phase) {
        match phase {
            Phase::Busy => self.busy += 1,
            Phase::Writing => self.writing += 1,
            Phase::Reading => {}
        }
    }
}

fn timer_is_live(table: &Table<Parked>, key: usize, seq: u32) -> bool {
    table
        .at(key)
        .is_some_and(|s| s.value.timer == seq && s.value.phase != Phase::Busy)
}

/// One child's listener loop: the epoll, the connection table, the deadlines, the thread pool.
pub(crate) struct ListenerLoop<'a> {
    ctx: &'a MpmContext<'a>,
    epoll: Epoll,
    listeners: Vec<Listener<'a>>,
    wake: BorrowedFd<'a>,
    pod: Option<BorrowedFd<'a>>,
    pool: Pool,
    opts: Options,
    table: Table<Parked>,
    timers: Timers,
    next_timer: u32,
    counts: Counts,
    /// The listening sockets are in the epoll.
    accepting: bool,
    /// Accepting is paused until then (out of descriptors).
    paused_until: Option<Instant>,
    last_accept_failure: Option<Instant>,
    accepted: u64,
    /// A graceful stop is under way: no more accepts, no more keep-alive.
    draining: bool,
    /// Since when connections have waited in the listen backlog while this child, paused by
    /// admission, did not accept: see [`ListenerLoop::take_starving`].
    backlog_since: Option<Instant>,
    /// Other processes accept on the same sockets: take turns with them.
    rotate: bool,
    /// Connection counts last published in the scoreboard: total, writing, keep-alive.
    published: (u32, u32, u32),
    buf: Box<[u8]>,
    done: Vec<Done>,
    events: Vec<EpollEvent>,
}

impl<'a> ListenerLoop<'a> {
    /// Sets up the epoll with the self-pipe, the pool's wake-up and the pipe of death (the
    /// listening sockets are added when accepting starts).
    pub(crate) fn new(
        ctx: &'a MpmContext<'a>,
        pool: Pool,
        wake: BorrowedFd<'a>,
        pod: Option<BorrowedFd<'a>>,
        opts: Options,
    ) -> Result<ListenerLoop<'a>, String> {
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)
            .map_err(|e| format!("epoll_create: {e}"))?;
        let add = |fd: BorrowedFd<'_>, token: u64| {
            epoll
                .add(fd, EpollEvent::new(EpollFlags::EPOLLIN, token))
                .map_err(|e| format!("epoll_ctl: {e}"))
        };
        add(wake, WAKE)?;
        add(pool.wake_fd(), DONE)?;
        pool.set_epoll(std::os::fd::AsRawFd::as_raw_fd(&epoll.0));
        if let Some(pod) = pod {
            add(pod, POD)?;
        }
        Ok(ListenerLoop {
            ctx,
            listeners: ctx.listeners(),
            epoll,
            wake,
            pod,
            done: Vec::with_capacity(pool.size() * 2),
            pool,
            opts,
            table: Table::new(),
            timers: Timers::new(),
            next_timer: 1,
            counts: Counts::default(),
            accepting: false,
            paused_until: None,
            last_accept_failure: None,
            accepted: 0,
            draining: false,
            backlog_since: None,
            rotate: opts.shared,
            published: (0, 0, 0),
            buf: vec![0u8; READ_CHUNK].into_boxed_slice(),
            events: vec![EpollEvent::empty(); EVENTS],
        })
    }

    /// One turn of the loop: housekeeping, one `epoll_wait` (without sleeping when connections
    /// wait to be served), and what it found; connections whose request head is complete are
    /// queued in the pool for serving. `Some` when the loop is over: a stop, the end of a
    /// graceful stop, or a failure.
    pub(crate) fn poll_once(&mut self) -> Option<Ended> {
        if signals::stop_requested() {
            return Some(Ended::Stopped);
        }
        if signals::graceful_requested() {
            self.drain();
        }
        if self.pod.is_none() {
            // `-X`: there is no master to carry out a restart.
            match signals::take_request() {
                Some(Request::GracefulStop) => self.drain(),
                Some(_) => {
                    log(
                        Level::Notice,
                        "restarts are not possible with -X (one process); stopping instead",
                    );
                    self.drain();
                }
                None => {}
            }
        }
        self.publish_counts();
        // Results that did not wake us (re-armed connections, the leader's own): apply them.
        self.collect_done();
        self.shed_keepalive();
        let now = Instant::now();
        if let Err(e) = self.update_accepting(now) {
            return Some(Ended::Failed(e));
        }
        if self.draining && self.table.is_empty() {
            return Some(Ended::Drained);
        }
        if let Err(e) = self.take_starving(now) {
            return Some(Ended::Failed(e));
        }
        let timeout = if self.pool.jobs_waiting() > 0 {
            EpollTimeout::ZERO
        } else {
            self.wait_timeout(now)
        };
        let n = match self.epoll.wait(&mut self.events, timeout) {
            Ok(n) => n,
            Err(Errno::EINTR) => 0,
            Err(e) => return Some(Ended::Failed(format!("epoll_wait: {e}"))),
        };
        for i in 0..n {
            let event = self.events[i];
            match event.data() {
                WAKE => signals::drain(self.wake),
                DONE => self.collect_done(),
                // A byte asks this child to stop; end of file means the master is gone or was
                // replaced by a graceful restart. Either way: finish what is in hand. (A
                // master that died also sends SIGTERM through PR_SET_PDEATHSIG.)
                POD => match self.pod.map(read_pod) {
                    Some(Ok(Some(_))) => self.drain(),
                    Some(Err(e)) => {
                        log(Level::Error, &e);
                        self.drain();
                    }
                    _ => {}
                },
                t if t < 1 << 32 => {
                    if let Err(e) = self.accept_from((t - LISTENER) as usize) {
                        return Some(Ended::Failed(e));
                    }
                }
                t => self.on_event((t & 0xffff_ffff) as usize, (t >> 32) as u32),
            }
        }
        self.expire_due(Instant::now());
        None
    }

    /// Ends the loop: closes the connections the listener holds (on workers when they may
    /// block), lets the threads finish what they have until `deadline`, then drops what is left.
    pub(crate) fn finish(mut self, deadline: Instant) {
        for key in self.table.keys() {
            let parked = self
                .table
                .at(key)
                .is_some_and(|s| s.value.phase != Phase::Busy);
            if parked {
                self.close(key);
            }
        }
        self.pool.finish(deadline);
    }

    /// Starts a graceful stop: accept no more (the listening sockets leave the epoll and this
    /// process lets go of them), let the pipe of death's next byte go to another child, and have
    /// the core close every connection after its current request. Idle keep-alive connections
    /// are not cut: their next request is served (with `Connection: close`) or they time out,
    /// so a client that sends just as the restart happens never sees its request dropped.
    fn drain(&mut self) {
        if self.draining {
            return;
        }
        self.draining = true;
        self.ctx.child_stopping();
        if let Some(pod) = self.pod.take() {
            let _ = self.epoll.delete(pod);
        }
        if self.accepting {
            for l in &self.listeners {
                let _ = self.epoll.delete(borrow(l.fd));
            }
            self.accepting = false;
        }
        self.listeners.clear();
        self.ctx.listeners_close();
    }

    /// Publishes the connection counts in this child's scoreboard record when they changed.
    fn publish_counts(&mut self) {
        let now = (
            self.table.len() as u32,
            self.counts.writing as u32,
            self.table.keepalive_len() as u32,
        );
        if now != self.published {
            self.published = now;
            self.ctx.score_conns(now.0, now.1, now.2, 0);
        }
    }

    fn load(&self) -> Load {
        Load {
            threads: self.pool.size(),
            idle: self.pool.idle(),
            demand: self.counts.busy + self.counts.writing + self.table.keepalive_len(),
        }
    }

    /// Adds the listening sockets to the epoll or takes them out, as admission says. Each child
    /// adds the shared sockets with `EPOLLEXCLUSIVE`, so a new connection wakes one child rather
    /// than all, and a connection still queued when a child exits stays for the others.
    fn update_accepting(&mut self, now: Instant) -> Result<(), String> {
        let paused = self.paused_until.is_some_and(|t| now < t);
        let want = !self.draining
            && !paused
            && !admission::above_limit(self.load(), self.opts.factor, !self.accepting);
        if want == self.accepting {
            return Ok(());
        }
        for (i, l) in self.listeners.iter().enumerate() {
            let fd = borrow(l.fd);
            let done = if want {
                let flags = EpollFlags::EPOLLIN | EpollFlags::EPOLLEXCLUSIVE;
                self.epoll
                    .add(fd, EpollEvent::new(flags, LISTENER + i as u64))
            } else {
                self.epoll.delete(fd)
            };
            done.map_err(|e| format!("epoll_ctl on listener {}: {e}", l.addr))?;
        }
        self.accepting = want;
        if want {
            self.paused_until = None;
        }
        Ok(())
    }

    /// Admission pauses accepting so that children with idle workers take the new connections.
    /// When none does (every child is above its limit, or ServerLimit allows no more children),
    /// a connection would wait in the listen backlog until the client gives up. So a child paused
    /// by admission looks at the backlog: once connections have waited there [`STARVING`], it
    /// takes a batch anyway, as nginx would have at once. Paused for lack of descriptors, it
    /// does not.
    fn take_starving(&mut self, now: Instant) -> Result<(), String> {
        let paused_by_load =
            !self.accepting && !self.draining && self.paused_until.is_none_or(|t| now >= t);
        if !paused_by_load {
            self.backlog_since = None;
            return Ok(());
        }
        let waiting: Vec<usize> = (0..self.listeners.len())
            .filter(|&i| backlog_waits(self.listeners[i].fd))
            .collect();
        if waiting.is_empty() {
            self.backlog_since = None;
            return Ok(());
        }
        let since = *self.backlog_since.get_or_insert(now);
        if now.duration_since(since) < STARVING {
            return Ok(());
        }
        for i in waiting {
            if let Some(listener) = self.listeners.get(i).copied() {
                self.accept_batch(listener)?;
            }
        }
        // Anything still queued has waited long enough: the next pass takes it too.
        Ok(())
    }

    /// How long `epoll_wait` may sleep: until the nearest deadline, the end of an accept pause,
    /// or [`MAX_WAIT_MS`]; while paused by admission, [`STARVING`], to look at the backlog.
    fn wait_timeout(&mut self, now: Instant) -> EpollTimeout {
        let table = &self.table;
        let mut until = self.timers.next(|k, s| timer_is_live(table, k, s));
        if !self.accepting {
            if let Some(p) = self.paused_until {
                until = Some(until.map_or(p, |u| u.min(p)));
            } else if !self.draining {
                let look = now + STARVING;
                until = Some(until.map_or(look, |u| u.min(look)));
            }
        }
        let ms = match until {
            None => MAX_WAIT_MS,
            Some(at) => {
                let left = at.saturating_duration_since(now);
                // Rounded up, so the loop does not spin through the last fraction of a ms.
                left.as_micros().div_ceil(1000).min(u128::from(MAX_WAIT_MS)) as u16
            }
        };
        EpollTimeout::from(ms)
    }

    /// Accepts up to [`ACCEPT_BATCH`] connections from listening socket `i`, then moves this
    /// child to the back of the socket's queue of waiters.
    ///
    /// With `EPOLLEXCLUSIVE`, Linux hands each new connection to the first epoll in the socket's
    /// wait queue, whether or not its thread is waiting: without a turn, the child that
    /// registered first would take nearly every connection while the others idle. Removing the
    /// socket and adding it again after a batch puts this child last, so connections go round the
    /// children. A connection still queued is not lost: the socket is ready again at once.
    fn accept_from(&mut self, i: usize) -> Result<(), String> {
        let Some(listener) = self.listeners.get(i).copied() else {
            return Ok(());
        };
        let before = self.accepted;
        let ended = self.accept_batch(listener);
        if self.rotate && self.accepting && self.accepted != before {
            let fd = borrow(listener.fd);
            let flags = EpollFlags::EPOLLIN | EpollFlags::EPOLLEXCLUSIVE;
            self.epoll
                .delete(fd)
                .and_then(|()| {
                    self.epoll
                        .add(fd, EpollEvent::new(flags, LISTENER + i as u64))
                })
                .map_err(|e| format!("epoll_ctl on listener {}: {e}", listener.addr))?;
        }
        ended
    }

    fn accept_batch(&mut self, listener: Listener<'a>) -> Result<(), String> {
        for _ in 0..ACCEPT_BATCH {
            if self.draining {
                break;
            }
            match accept4(
                listener.fd,
                SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
            ) {
                Ok(fd) => {
                    self.open(fd);
                    self.accepted += 1;
                    let max = u64::from(self.opts.max_connections);
                    if max != 0 && self.accepted >= max {
                        self.drain();
                    }
                }
                Err(Errno::EAGAIN) => break,
                Err(e) if accept_error_is_transient(e) => {}
                // The socket was shut down: a graceful stop (see mapache_mpm_kit::master).
                Err(Errno::EINVAL) => {
                    self.drain();
                    break;
                }
                Err(e) if accept_error_is_exhaustion(e) => {
                    let now = Instant::now();
                    self.paused_until = Some(now + ACCEPT_PAUSE);
                    if self
                        .last_accept_failure
                        .is_none_or(|t| now.duration_since(t) >= ACCEPT_FAILURE_REPORT)
                    {
                        self.last_accept_failure = Some(now);
                        log(
                            Level::Error,
                            &format!(
                                "accept on {}: {e} (client socket); no new connections for {} ms",
                                listener.addr,
                                ACCEPT_PAUSE.as_millis()
                            ),
                        );
                    }
                    break;
                }
                Err(e) => return Err(format!("accept on {}: {e}", listener.addr)),
            }
        }
        Ok(())
    }

    /// Takes a new connection: hands it to the core and parks it until readable.
    fn open(&mut self, fd: RawFd) {
        let conn = self.ctx.conn_open(fd);
        let fd = conn.fd();
        let (key, gen) = self.table.insert(Parked {
            fd,
            conn: Some(conn),
            phase: Phase::Reading,
            fed: false,
            served: false,
            finished: false,
            timer: 0,
            idle_since: Instant::now(),
        });
        let event = EpollEvent::new(read_flags(), conn_token(key, gen));
        if let Err(e) = self.epoll.add(borrow(fd), event) {
            log(
                Level::Error,
                &format!("epoll_ctl on a new connection: {e}; closing it"),
            );
            self.close(key);
            return;
        }
        self.arm_timer(key);
    }

    /// An event on connection `key` of generation `gen`.
    fn on_event(&mut self, key: usize, gen: u32) {
        let Some(p) = self.table.get_mut(key, gen) else {
            // The connection is gone (closed, or handed over to expire): a stale event.
            return;
        };
        match p.phase {
            Phase::Reading => self.on_readable(key),
            Phase::Writing => self.on_writable(key),
            Phase::Busy => {
                // Its server re-armed it and the result is waiting (see `Pool::set_epoll`).
                self.collect_done();
                if self
                    .table
                    .get_mut(key, gen)
                    .is_some_and(|p| p.phase == Phase::Reading)
                {
                    self.on_readable(key);
                }
            }
        }
    }

    fn on_readable(&mut self, key: usize) {
        let Some(slot) = self.table.at_mut(key) else {
            return;
        };
        let p = &mut slot.value;
        let Some(conn) = p.conn.as_mut() else {
            return;
        };
        // SAFETY: reads into the listener's own buffer, within its length, from the
        // connection's socket, which is open while it is in the table.
        let n = unsafe { libc::read(p.fd, self.buf.as_mut_ptr().cast(), self.buf.len()) };
        let state = if n > 0 {
            p.fed = true;
            conn.feed(&self.buf[..n as usize])
        } else if n == 0 {
            p.finished = true;
            conn.feed(&[])
        } else {
            match Errno::last() {
                Errno::EAGAIN | Errno::EINTR => {
                    self.rearm(key, read_flags());
                    return;
                }
                // Reset by the peer, or worse: nothing more will come.
                _ => {
                    p.finished = true;
                    ConnState::Close
                }
            }
        };
        if n > 0 {
            self.table.unlink(key);
        }
        self.advance(key, state);
    }

    fn on_writable(&mut self, key: usize) {
        let Some(conn) = self.table.at_mut(key).and_then(|s| s.value.conn.as_mut()) else {
            return;
        };
        let state = conn.write();
        self.advance(key, state);
    }

    /// Acts on what the core says connection `key` (held by the listener) waits for next.
    fn advance(&mut self, key: usize, state: ConnState) {
        match state {
            ConnState::NeedRead => self.park(key, Phase::Reading),
            ConnState::NeedWrite => self.park(key, Phase::Writing),
            ConnState::Ready => self.queue_for_serving(key),
            ConnState::Close => self.close(key),
        }
    }

    /// Parks connection `key` until readable or writable, with a deadline.
    fn park(&mut self, key: usize, phase: Phase) {
        self.park_armed(key, phase, false);
    }

    /// As `park`; `armed` when its server has re-armed the descriptor already.
    fn park_armed(&mut self, key: usize, phase: Phase, armed: bool) {
        let Some(slot) = self.table.at_mut(key) else {
            return;
        };
        let gen = slot.gen;
        let p = &mut slot.value;
        // Also while draining: the response just sent promised keep-alive (it was decided
        // before the core learnt of the stop), so the client may be sending its next request
        // right now; that one is answered with `Connection: close`, or the wait times out.
        let keepalive = phase == Phase::Reading && p.served && !p.fed;
        self.counts.leave(p.phase);
        self.counts.enter(phase);
        p.phase = phase;
        let fd = p.fd;
        if keepalive {
            p.idle_since = Instant::now();
            self.table.keepalive_push(key);
        }
        let flags = match phase {
            Phase::Writing => write_flags(),
            _ => read_flags(),
        };
        if armed {
            self.arm_timer(key);
            return;
        }
        if let Err(e) = self.epoll.modify(
            borrow(fd),
            &mut EpollEvent::new(flags, conn_token(key, gen)),
        ) {
            log(
                Level::Error,
                &format!("epoll_ctl: {e}; closing a connection"),
            );
            self.close(key);
            return;
        }
        self.arm_timer(key);
    }

    /// Re-arms the epoll registration of connection `key` without touching its deadline.
    fn rearm(&mut self, key: usize, flags: EpollFlags) {
        let Some(slot) = self.table.at(key) else {
            return;
        };
        let token = conn_token(key, slot.gen);
        if let Err(e) = self
            .epoll
            .modify(borrow(slot.value.fd), &mut EpollEvent::new(flags, token))
        {
            log(
                Level::Error,
                &format!("epoll_ctl: {e}; closing a connection"),
            );
            self.close(key);
        }
    }

    /// Sets connection `key`'s deadline from the core's `timeout_ms`.
    fn arm_timer(&mut self, key: usize) {
        let seq = self.next_timer;
        self.next_timer = self.next_timer.checked_add(1).unwrap_or(1);
        let Some(slot) = self.table.at_mut(key) else {
            return;
        };
        let Some(conn) = slot.value.conn.as_ref() else {
            return;
        };
        let now = Instant::now();
        // A wait too long to represent is as good as none.
        let at = now
            .checked_add(Duration::from_millis(conn.timeout_ms()))
            .unwrap_or(now + FOREVER);
        slot.value.timer = seq;
        let live = self.table.len() - self.counts.busy;
        let table = &self.table;
        self.timers
            .arm(at, key, seq, live, |k, s| timer_is_live(table, k, s));
    }

    /// Queues connection `key` (a complete request head is buffered) for serving: by the leader
    /// after this poll, or by a worker the reactor's watch wakes.
    fn queue_for_serving(&mut self, key: usize) {
        self.table.unlink(key);
        let Some(slot) = self.table.at_mut(key) else {
            return;
        };
        let gen = slot.gen;
        let p = &mut slot.value;
        let Some(conn) = p.conn.take() else {
            return;
        };
        self.counts.leave(p.phase);
        self.counts.enter(Phase::Busy);
        p.phase = Phase::Busy;
        p.timer = 0;
        self.pool.queue_job(Job { key, gen, conn });
    }

    /// Closes connection `key`: here when its client has finished, on a worker otherwise.
    fn close(&mut self, key: usize) {
        let Some(p) = self.table.remove(key) else {
            return;
        };
        self.counts.leave(p.phase);
        let Some(conn) = p.conn else {
            return;
        };
        if p.finished {
            drop(conn);
        } else {
            self.pool.submit(Task::Close(conn));
        }
    }

    /// Acts on the deadlines that passed: re-arms those the core extended (it may allow more
    /// time as data arrives), expires the others.
    fn expire_due(&mut self, now: Instant) {
        loop {
            let table = &self.table;
            let Some(key) = self.timers.pop_due(now, |k, s| timer_is_live(table, k, s)) else {
                break;
            };
            let left = self
                .table
                .at(key)
                .and_then(|s| s.value.conn.as_ref())
                .map_or(0, Conn::timeout_ms);
            if left > 0 {
                self.arm_timer(key);
                continue;
            }
            let Some(p) = self.table.remove(key) else {
                continue;
            };
            self.counts.leave(p.phase);
            if let Some(conn) = p.conn {
                self.pool.submit(Task::Expire(conn));
            }
        }
    }

    /// Closes idle keep-alive connections, oldest first, while every worker is busy and
    /// requests wait for one.
    fn shed_keepalive(&mut self) {
        if !admission::shed_keepalive(self.pool.idle(), self.pool.queued()) {
            return;
        }
        let now = Instant::now();
        for _ in 0..SHED_BATCH {
            let Some(key) = self.table.keepalive_oldest() else {
                break;
            };
            let idle_since = self.table.at(key).map_or(now, |s| s.value.idle_since);
            if now.duration_since(idle_since) < SHED_MIN_IDLE {
                break;
            }
            self.close(key);
        }
    }

    /// Takes the results handed back (served connections, finished closes).
    fn collect_done(&mut self) {
        let mut done = std::mem::take(&mut self.done);
        self.pool.take_done(&mut done);
        for d in done.drain(..) {
            match d {
                Done::Parked {
                    key,
                    gen,
                    conn,
                    state,
                    armed,
                } => {
                    let Some(p) = self.table.get_mut(key, gen) else {
                        // Cannot happen: the listener keeps busy entries until they come back.
                        self.pool.submit(Task::Close(conn));
                        continue;
                    };
                    p.conn = Some(conn);
                    p.fed = false;
                    p.served = true;
                    if armed {
                        self.park_armed(key, Phase::Reading, true);
                    } else {
                        self.advance(key, state);
                    }
                }
                Done::Closed { key, gen } => {
                    if self.table.get_mut(key, gen).is_some() {
                        if let Some(p) = self.table.remove(key) {
                            self.counts.leave(p.phase);
                        }
                    }
                }
                Done::Freed => {}
            }
        }
        self.done = done;
    }
}

/// Whether connections wait in the backlog of listening socket `fd`, without accepting them.
fn backlog_waits(fd: RawFd) -> bool {
    let mut p = [nix::poll::PollFd::new(
        borrow(fd),
        nix::poll::PollFlags::POLLIN,
    )];
    nix::poll::poll(&mut p, nix::poll::PollTimeout::ZERO).is_ok_and(|n| n > 0)
}

/// Errors of accept(2) that say the process or the system is out of descriptors or memory:
/// accepting pauses rather than spins, and resumes by itself.
fn accept_error_is_exhaustion(e: Errno) -> bool {
    matches!(
        e,
        Errno::EMFILE | Errno::ENFILE | Errno::ENOBUFS | Errno::ENOMEM
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_tokens_never_collide_with_fixed_ones() {
        assert!(conn_token(0, 1) >= 1 << 32);
        let t = conn_token(12345, 77);
        assert_eq!(((t & 0xffff_ffff) as usize, (t >> 32) as u32), (12345, 77));
        const { assert!(LISTENER + 1000 < 1 << 32) };
    }

    #[test]
    fn accept_errors_are_sorted() {
        assert!(accept_error_is_transient(Errno::ECONNABORTED));
        assert!(!accept_error_is_transient(Errno::EMFILE));
        assert!(accept_error_is_exhaustion(Errno::EMFILE));
        assert!(accept_error_is_exhaustion(Errno::ENFILE));
        assert!(!accept_error_is_exhaustion(Errno::EBADF));
        assert!(!accept_error_is_transient(Errno::EBADF));
    }
}
