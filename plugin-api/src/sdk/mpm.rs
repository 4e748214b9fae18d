//! What an MPM sees: the listeners and the core's connection functions.

use super::config::Config;
use super::host::{host, str_from_abi, to_abi};
use crate::abi::{self, MapacheConn, MapacheRunInfo};

/// How the MPM's master loop ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MpmExit {
    /// Stopped; the core exits 0.
    Stop,
    /// A full restart: every child was stopped; the core re-executes the server in place.
    Restart,
    /// The MPM failed; the core exits 1.
    Failed,
    /// A graceful restart: the children were left to finish; the core re-executes the server
    /// with the listeners and the scoreboard (ABI 1.2).
    Graceful,
}

impl MpmExit {
    /// The ABI return value.
    pub fn to_raw(self) -> i32 {
        match self {
            MpmExit::Stop => abi::MAPACHE_MPM_EXIT,
            MpmExit::Restart => abi::MAPACHE_MPM_RESTART,
            MpmExit::Failed => abi::MAPACHE_MPM_FAILED,
            MpmExit::Graceful => abi::MAPACHE_MPM_GRACEFUL,
        }
    }
}

/// A listening socket owned by the core.
#[derive(Clone, Copy, Debug)]
pub struct Listener<'a> {
    /// The socket (non-blocking). Never close it.
    pub fd: i32,
    /// Its address, e.g. `127.0.0.1:8080`.
    pub addr: &'a str,
}

/// The MPM's view of the run: listeners, configuration, flags, and the core's connection functions.
pub struct MpmContext<'a> {
    raw: &'a MapacheRunInfo,
}

impl<'a> MpmContext<'a> {
    /// Wraps the run info handed to `mpm_run`.
    ///
    /// # Safety
    /// `raw` must be the live run info of this `mpm_run` call.
    pub unsafe fn from_raw(raw: *const MapacheRunInfo) -> Self {
        MpmContext { raw: &*raw }
    }

    /// The listeners bound by the core.
    pub fn listeners(&self) -> Vec<Listener<'a>> {
        // SAFETY: the core guarantees `listener_count` entries for the call's duration.
        let raw =
            unsafe { core::slice::from_raw_parts(self.raw.listeners, self.raw.listener_count) };
        // SAFETY: addresses are owned by the core for the same duration.
        raw.iter()
            .map(|l| Listener {
                fd: l.fd,
                addr: unsafe { str_from_abi(l.addr) },
            })
            .collect()
    }

    /// The server configuration.
    pub fn config(&self) -> Config<'a> {
        // SAFETY: valid for the call.
        unsafe { Config::from_raw(self.raw.config) }
    }

    /// `-X`: run one process in the foreground.
    pub fn one_process(&self) -> bool {
        self.raw.flags & abi::MAPACHE_RUN_ONE_PROCESS != 0
    }

    /// Prepares a freshly forked child (see [`abi::MapacheHost::child_init`]). `false` means the
    /// child cannot serve and must exit with status 1 (the reason was logged).
    pub fn child_init(&self, slot: u32) -> bool {
        (host().child_init)(slot) == abi::MAPACHE_OK
    }

    /// Flushes logs before a child exits.
    pub fn child_exit(&self) {
        (host().child_exit)()
    }

    /// Serves a whole connection, blocking; takes ownership of `fd`. Returns requests served.
    pub fn serve_connection(&self, fd: i32) -> u64 {
        (host().serve_connection)(fd)
    }

    /// Creates the scoreboard (see [`abi::MapacheHost::score_open`]); master only, before
    /// forking. `false` when the core could not (it logged why).
    pub fn score_open(&self, server_limit: u32, thread_limit: u32) -> bool {
        (host().score_open)(server_limit, thread_limit) == abi::MAPACHE_OK
    }

    /// Records a forked child in the scoreboard (master, right after `fork`).
    pub fn score_child_started(&self, slot: u32, pid: i32) {
        (host().score_child_started)(slot, pid)
    }

    /// Frees a reaped child's scoreboard slot (master).
    pub fn score_child_exited(&self, slot: u32) {
        (host().score_child_exited)(slot)
    }

    /// Publishes this child's connection counts (event MPMs).
    pub fn score_conns(&self, total: u32, writing: u32, keepalive: u32, closing: u32) {
        (host().score_conns)(total, writing, keepalive, closing)
    }

    /// Tells the core that this child stops gracefully (see
    /// [`abi::MapacheHost::child_stopping`]). Async-signal-safe.
    pub fn child_stopping(&self) {
        (host().child_stopping)()
    }

    /// Closes this process's copies of the listeners; [`MpmContext::listeners`] is stale after.
    pub fn listeners_close(&self) {
        (host().listeners_close)()
    }

    /// Checks the configuration a restart would read; `Err` carries the one-line reason.
    pub fn config_check(&self) -> Result<(), String> {
        let mut err = [0u8; 1024];
        if (host().config_check)(err.as_mut_ptr().cast(), err.len()) == abi::MAPACHE_OK {
            return Ok(());
        }
        let end = err.iter().position(|&b| b == 0).unwrap_or(err.len());
        let msg = String::from_utf8_lossy(&err[..end]).into_owned();
        Err(if msg.is_empty() {
            "no reason given".to_owned()
        } else {
            msg
        })
    }

    /// Starts a connection for step-by-step serving; takes ownership of `fd`.
    pub fn conn_open(&self, fd: i32) -> Conn {
        Conn {
            raw: (host().conn_open)(fd),
        }
    }
}

/// What a connection waits for next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnState {
    /// Wait until the socket is readable.
    NeedRead,
    /// A request head is complete: call [`Conn::process`].
    Ready,
    /// Close it.
    Close,
    /// Output is queued: wait until the socket is writable, then call [`Conn::write`].
    NeedWrite,
}

impl ConnState {
    fn from_raw(v: i32) -> Self {
        match v {
            abi::MAPACHE_CONN_NEED_READ => ConnState::NeedRead,
            abi::MAPACHE_CONN_READY => ConnState::Ready,
            abi::MAPACHE_CONN_NEED_WRITE => ConnState::NeedWrite,
            _ => ConnState::Close,
        }
    }
}

/// A connection owned by the core, served step by step. Dropping it closes it.
pub struct Conn {
    raw: *mut MapacheConn,
}

// SAFETY: the core allows a connection to move between threads as long as one uses it at a time,
// which `&mut self` methods guarantee.
unsafe impl Send for Conn {}

impl Conn {
    /// The socket, for polling.
    pub fn fd(&self) -> i32 {
        (host().conn_fd)(self.raw)
    }

    /// Hands over bytes read from the socket; an empty slice means end of stream.
    pub fn feed(&mut self, data: &[u8]) -> ConnState {
        ConnState::from_raw((host().conn_feed)(self.raw, to_abi(data)))
    }

    /// Serves the buffered requests, blocking on this thread.
    pub fn process(&mut self) -> ConnState {
        ConnState::from_raw((host().conn_process)(self.raw))
    }

    /// Writes queued output without blocking.
    pub fn write(&mut self) -> ConnState {
        ConnState::from_raw((host().conn_write)(self.raw))
    }

    /// Milliseconds until the current wait times out.
    pub fn timeout_ms(&self) -> u64 {
        (host().conn_timeout_ms)(self.raw)
    }

    /// The current wait expired.
    pub fn expire(&mut self) -> ConnState {
        ConnState::from_raw((host().conn_expire)(self.raw))
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        (host().conn_close)(self.raw)
    }
}
