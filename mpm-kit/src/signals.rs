//! Signal handling for a master, its children and `-X`.
//!
//! Handlers are async-signal-safe: they set atomics, write one byte to a self-pipe so the
//! process's `poll` or `epoll_wait` wakes without a race, call the host's `child_stopping` (an
//! atomic store), and in the cases below `_exit`. They never allocate or log; the loops read the
//! flags and do the rest. Every handler is installed with `SA_RESTART`, so the core's blocking I/O
//! is not disturbed.
//!
//! A forked child inherits the master's handlers, self-pipe and mask: it installs its own
//! [`Signals`] (with a fresh self-pipe) while every signal is still blocked from before the fork.
//! Threaded children start their workers with every signal blocked, so handlers run on the
//! thread that polls the self-pipe.

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::signal::{
    sigaction, sigprocmask, SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal,
};
use nix::unistd::pipe2;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicUsize, Ordering::SeqCst};

/// The process the handlers are installed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The master: TERM and INT stop the server, HUP asks for a restart, USR1 for a graceful
    /// restart, WINCH for a graceful stop; CHLD wakes the loop to reap.
    Master,
    /// A forked child. TERM and HUP stop it now; USR1 stops it gracefully (it accepts no more,
    /// tells the core, which closes each connection after its current request, and exits when its
    /// connections are done); INT and WINCH are ignored (they reach the whole process group, and
    /// the master relays what they mean); CHLD, SEGV and BUS get their default. A second TERM
    /// ends the process at once; with `exit_while_serving`, so does the first while a connection
    /// is being served ([`begin_serving`]), which suits one connection per process.
    Child {
        /// The first stop ends the process even in the middle of a connection.
        exit_while_serving: bool,
    },
    /// `-X`, serving in the master itself: TERM and INT stop it (a second one at once); HUP,
    /// USR1 and WINCH are reported as in the master; CHLD is left alone.
    OneProcess,
}

/// What the master (or `-X`) was asked besides a stop, most drastic first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Request {
    /// HUP, `-k restart`: stop the children now, re-read the configuration.
    Restart,
    /// WINCH, `-k graceful-stop`: stop accepting, let the children finish, exit.
    GracefulStop,
    /// USR1, `-k graceful`: a new generation; the old one finishes its requests.
    Graceful,
}

/// The signals this module sets a disposition for, in one role or another.
const HANDLED: [Signal; 8] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGUSR1,
    Signal::SIGWINCH,
    Signal::SIGCHLD,
    Signal::SIGSEGV,
    Signal::SIGBUS,
];

/// A stop was requested (TERM/INT in the master and `-X`, TERM/HUP in a child).
static STOP: AtomicBool = AtomicBool::new(false);
/// A graceful stop was requested in a child (USR1).
static GRACEFUL: AtomicBool = AtomicBool::new(false);
/// The pending [`Request`] in the master, as `request_code`; 0 for none.
static REQUEST: AtomicU8 = AtomicU8::new(0);
/// A connection is being served (one-connection children).
static SERVING: AtomicBool = AtomicBool::new(false);
/// The first stop ends the process while [`SERVING`].
static EXIT_WHILE_SERVING: AtomicBool = AtomicBool::new(false);
/// A second stop ends the process at once, should the loop that reads the flags be stuck.
static EXIT_ON_SECOND_STOP: AtomicBool = AtomicBool::new(false);
/// The host's `child_stopping`, as an address; 0 when the core lacks it or in the master.
static CHILD_STOPPING: AtomicUsize = AtomicUsize::new(0);
/// Write end of the current self-pipe; -1 when none.
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);

fn request_code(r: Request) -> u8 {
    match r {
        Request::Graceful => 1,
        Request::GracefulStop => 2,
        Request::Restart => 3,
    }
}

/// Wakes whichever thread polls the self-pipe, as a signal would (threads that end call it).
pub fn wake() {
    let fd = WAKE_FD.load(SeqCst);
    if fd >= 0 {
        let saved = Errno::last_raw();
        // SAFETY: write(2) is async-signal-safe. A full pipe (EAGAIN) already guarantees a wake-up.
        unsafe { libc::write(fd, b"!".as_ptr().cast(), 1) };
        Errno::set_raw(saved);
    }
}

extern "C" fn on_stop(_: libc::c_int) {
    let again = STOP.swap(true, SeqCst);
    if (again && EXIT_ON_SECOND_STOP.load(SeqCst))
        || (SERVING.load(SeqCst) && EXIT_WHILE_SERVING.load(SeqCst))
    {
        // SAFETY: _exit(2) is async-signal-safe. The connections are dropped, which is what a
        // stop in the middle of one (or an insisted one) means; nothing else needs to run.
        unsafe { libc::_exit(0) }
    }
    wake();
}

extern "C" fn on_graceful_stop(_: libc::c_int) {
    GRACEFUL.store(true, SeqCst);
    let f = CHILD_STOPPING.load(SeqCst);
    if f != 0 {
        // SAFETY: the address is the host's `child_stopping`, an `extern "C" fn()` documented as
        // async-signal-safe; it was stored by `install` from the live host table.
        let f: extern "C" fn() = unsafe { core::mem::transmute::<usize, extern "C" fn()>(f) };
        f();
    }
    wake();
}

/// Records the most drastic request seen: a HUP is not lost to a later USR1.
fn raise_request(r: Request) {
    let code = request_code(r);
    let _ = REQUEST.fetch_max(code, SeqCst);
    wake();
}

extern "C" fn on_restart(_: libc::c_int) {
    raise_request(Request::Restart);
}

extern "C" fn on_graceful_restart(_: libc::c_int) {
    raise_request(Request::Graceful);
}

extern "C" fn on_graceful_shutdown(_: libc::c_int) {
    raise_request(Request::GracefulStop);
}

/// The master reaps on every wake-up, so SIGCHLD only needs to wake it.
extern "C" fn on_child_exit(_: libc::c_int) {
    wake();
}

/// What `role` does on `sig`; `None` leaves the disposition as it is.
fn handler(role: Role, sig: Signal) -> Option<SigHandler> {
    use Signal::*;
    let h = match (role, sig) {
        (Role::Master | Role::OneProcess, SIGTERM | SIGINT) => SigHandler::Handler(on_stop),
        (Role::Master | Role::OneProcess, SIGHUP) => SigHandler::Handler(on_restart),
        (Role::Master | Role::OneProcess, SIGUSR1) => SigHandler::Handler(on_graceful_restart),
        (Role::Master | Role::OneProcess, SIGWINCH) => SigHandler::Handler(on_graceful_shutdown),
        (Role::Master, SIGCHLD) => SigHandler::Handler(on_child_exit),
        (Role::Child { .. }, SIGTERM | SIGHUP) => SigHandler::Handler(on_stop),
        (Role::Child { .. }, SIGUSR1) => SigHandler::Handler(on_graceful_stop),
        (Role::Child { .. }, SIGINT | SIGWINCH) => SigHandler::SigIgn,
        // Rust's std (in the core) handles SEGV and BUS to report stack overflows; for any other
        // cause its handler only restores the default and returns, so a first `kill -SEGV` would
        // be lost. A child dies of them at once, and the master reports it.
        (Role::Child { .. }, SIGCHLD | SIGSEGV | SIGBUS) => SigHandler::SigDfl,
        _ => return None,
    };
    Some(h)
}

/// Installed handlers and their self-pipe. Dropping it restores the previous dispositions and
/// signal mask (the master's `run` returns to the core).
pub struct Signals {
    wake_read: OwnedFd,
    wake_write: OwnedFd,
    saved: Vec<(Signal, SigAction)>,
    saved_mask: Option<SigSet>,
}

impl Signals {
    /// Installs the handlers of `role` and unblocks the signals they handle.
    pub fn install(role: Role) -> nix::Result<Signals> {
        let (wake_read, wake_write) = pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)?;
        STOP.store(false, SeqCst);
        GRACEFUL.store(false, SeqCst);
        REQUEST.store(0, SeqCst);
        SERVING.store(false, SeqCst);
        EXIT_WHILE_SERVING.store(
            matches!(
                role,
                Role::Child {
                    exit_while_serving: true
                }
            ),
            SeqCst,
        );
        EXIT_ON_SECOND_STOP.store(role != Role::Master, SeqCst);
        let stopping = match role {
            Role::Child { .. } => mapache_plugin_api::sdk::host().child_stopping as usize,
            _ => 0,
        };
        CHILD_STOPPING.store(stopping, SeqCst);
        WAKE_FD.store(wake_write.as_raw_fd(), SeqCst);
        // From here on, an early return drops `signals`, which undoes what was done so far.
        let mut signals = Signals {
            wake_read,
            wake_write,
            saved: Vec::new(),
            saved_mask: None,
        };
        let mut unblock = SigSet::empty();
        for sig in HANDLED {
            let Some(h) = handler(role, sig) else {
                continue;
            };
            let mut flags = SaFlags::SA_RESTART;
            if sig == Signal::SIGCHLD {
                flags |= SaFlags::SA_NOCLDSTOP;
            }
            // SAFETY: the handlers above only touch atomics and call write(2), _exit(2) and the
            // host's async-signal-safe child_stopping.
            let old = unsafe { sigaction(sig, &SigAction::new(h, flags, SigSet::empty())) }?;
            signals.saved.push((sig, old));
            unblock.add(sig);
        }
        let mut old_mask = SigSet::empty();
        sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(&unblock), Some(&mut old_mask))?;
        signals.saved_mask = Some(old_mask);
        Ok(signals)
    }

    /// The read end of the self-pipe: readable after any handled signal. Poll it, then
    /// [`drain`] it.
    pub fn wake_fd(&self) -> BorrowedFd<'_> {
        self.wake_read.as_fd()
    }

    /// Both ends of the self-pipe, for a forked child to close.
    pub fn raw_fds(&self) -> [RawFd; 2] {
        [self.wake_read.as_raw_fd(), self.wake_write.as_raw_fd()]
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        for (sig, old) in self.saved.drain(..).rev() {
            // SAFETY: restores the disposition that was in place before `install`.
            let _ = unsafe { sigaction(sig, &old) };
        }
        // Before the pipe closes, so no handler writes to a reused descriptor number.
        WAKE_FD.store(-1, SeqCst);
        CHILD_STOPPING.store(0, SeqCst);
        if let Some(mask) = self.saved_mask.take() {
            let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&mask), None);
        }
    }
}

/// Empties a non-blocking self-pipe (or any non-blocking pipe whose bytes carry no meaning).
pub fn drain(fd: BorrowedFd<'_>) {
    let mut buf = [0u8; 64];
    while let Ok(n) = nix::unistd::read(fd, &mut buf) {
        if n == 0 {
            break;
        }
    }
}

/// Blocks every signal and returns the mask in force before, to restore after `fork` (in the
/// parent) or once the child's own handlers are in place (in the child).
pub fn block_all() -> nix::Result<SigSet> {
    let mut old = SigSet::empty();
    sigprocmask(
        SigmaskHow::SIG_SETMASK,
        Some(&SigSet::all()),
        Some(&mut old),
    )?;
    Ok(old)
}

/// Sets the signal mask to `mask`.
pub fn set_mask(mask: &SigSet) -> nix::Result<()> {
    sigprocmask(SigmaskHow::SIG_SETMASK, Some(mask), None)
}

/// A stop was requested.
pub fn stop_requested() -> bool {
    STOP.load(SeqCst)
}

/// A graceful stop was requested (a child's USR1).
pub fn graceful_requested() -> bool {
    GRACEFUL.load(SeqCst)
}

/// Takes the master's pending request, if any.
pub fn take_request() -> Option<Request> {
    match REQUEST.swap(0, SeqCst) {
        1 => Some(Request::Graceful),
        2 => Some(Request::GracefulStop),
        3 => Some(Request::Restart),
        _ => None,
    }
}

/// Marks the start of a connection. `false` when a stop came first: then do not serve.
pub fn begin_serving() -> bool {
    SERVING.store(true, SeqCst);
    // Checked after SERVING is set: a stop signal arriving in between sees SERVING and exits.
    !STOP.load(SeqCst)
}

/// Marks the end of a connection.
pub fn end_serving() {
    SERVING.store(false, SeqCst);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_drastic_request_wins() {
        REQUEST.store(0, SeqCst);
        raise_request(Request::Graceful);
        raise_request(Request::Restart);
        raise_request(Request::GracefulStop);
        assert_eq!(take_request(), Some(Request::Restart));
        assert_eq!(take_request(), None);
        raise_request(Request::Graceful);
        assert_eq!(take_request(), Some(Request::Graceful));
    }
}
