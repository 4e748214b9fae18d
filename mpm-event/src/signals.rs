//! Signal handling for the master, the children and `-X`.
//!
//! Handlers are async-signal-safe: they set atomics, write one byte to a self-pipe so the
//! process's `poll` or `epoll_wait` wakes without a race, and (a second stop) call `_exit`. They
//! never allocate or log; the loops read the flags and do the rest. Every handler is installed with
//! `SA_RESTART`, so the core's blocking I/O on worker threads is not disturbed.
//!
//! A forked child inherits the master's handlers, self-pipe and mask: it installs its own
//! [`Signals`] (with a fresh self-pipe) while every signal is still blocked from before the fork.
//! Its worker threads start with every signal blocked, so handlers run on the listener thread.

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::signal::{
    sigaction, sigprocmask, SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal,
};
use nix::unistd::pipe2;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering::SeqCst};

/// The process the handlers are installed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// The master: TERM and INT stop the server, HUP and USR1 ask for a restart (reported, not
    /// supported yet), CHLD wakes the loop to reap.
    Master,
    /// A forked child: TERM and HUP stop it at once, dropping the connections it holds; USR1
    /// stops it gracefully (no more accepts, the connections in hand are finished); INT is
    /// ignored (Ctrl-C reaches the whole process group, and the master relays it as TERM); CHLD,
    /// SEGV and BUS get their default.
    Child,
    /// `-X`, serving in the master itself: TERM and INT stop it (requests being served get a
    /// moment to finish); HUP and USR1 as in the master; CHLD is left alone.
    OneProcess,
}

/// The signals this module sets a disposition for, in one role or another.
const HANDLED: [Signal; 7] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGUSR1,
    Signal::SIGCHLD,
    Signal::SIGSEGV,
    Signal::SIGBUS,
];

/// A stop was requested (TERM/INT in the master and `-X`, TERM/HUP in a child).
static STOP: AtomicBool = AtomicBool::new(false);
/// A graceful stop was requested (USR1 in a child).
static GRACEFUL: AtomicBool = AtomicBool::new(false);
/// HUP or USR1 reached the master (or `-X`).
static RESTART: AtomicBool = AtomicBool::new(false);
/// A second stop signal ends the process at once (children and `-X`), should the loop that
/// reads the flags be stuck.
static EXIT_ON_SECOND_STOP: AtomicBool = AtomicBool::new(false);
/// Write end of the current self-pipe; -1 when none.
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);

fn wake() {
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
    if again && EXIT_ON_SECOND_STOP.load(SeqCst) {
        // SAFETY: _exit(2) is async-signal-safe. The connections are dropped, which is what an
        // insisted stop means; nothing else of the process needs to run.
        unsafe { libc::_exit(0) }
    }
    wake();
}

extern "C" fn on_graceful_stop(_: libc::c_int) {
    GRACEFUL.store(true, SeqCst);
    wake();
}

extern "C" fn on_restart(_: libc::c_int) {
    RESTART.store(true, SeqCst);
    wake();
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
        (Role::Master | Role::OneProcess, SIGHUP | SIGUSR1) => SigHandler::Handler(on_restart),
        (Role::Master, SIGCHLD) => SigHandler::Handler(on_child_exit),
        (Role::Child, SIGTERM | SIGHUP) => SigHandler::Handler(on_stop),
        (Role::Child, SIGUSR1) => SigHandler::Handler(on_graceful_stop),
        (Role::Child, SIGINT) => SigHandler::SigIgn,
        // Rust's std (in the core) handles SEGV and BUS to report stack overflows; for any other
        // cause its handler only restores the default and returns, so a first `kill -SEGV` would
        // be lost. A child dies of them at once, and the master reports it.
        (Role::Child, SIGCHLD | SIGSEGV | SIGBUS) => SigHandler::SigDfl,
        _ => return None,
    };
    Some(h)
}

/// Installed handlers and their self-pipe. Dropping it restores the previous dispositions and
/// signal mask (the master's `run` returns to the core, which may run again).
pub(crate) struct Signals {
    wake_read: OwnedFd,
    wake_write: OwnedFd,
    saved: Vec<(Signal, SigAction)>,
    saved_mask: Option<SigSet>,
}

impl Signals {
    /// Installs the handlers of `role` and unblocks the signals they handle.
    pub(crate) fn install(role: Role) -> nix::Result<Signals> {
        let (wake_read, wake_write) = pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)?;
        STOP.store(false, SeqCst);
        GRACEFUL.store(false, SeqCst);
        RESTART.store(false, SeqCst);
        EXIT_ON_SECOND_STOP.store(role != Role::Master, SeqCst);
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
            // SAFETY: the handlers above only touch atomics and call write(2) and _exit(2), all
            // async-signal-safe.
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
    pub(crate) fn wake_fd(&self) -> BorrowedFd<'_> {
        self.wake_read.as_fd()
    }

    /// Both ends of the self-pipe, for a forked child to close.
    pub(crate) fn raw_fds(&self) -> [RawFd; 2] {
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
        if let Some(mask) = self.saved_mask.take() {
            let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&mask), None);
        }
    }
}

/// Empties a non-blocking self-pipe (or any non-blocking pipe whose bytes carry no meaning).
pub(crate) fn drain(fd: BorrowedFd<'_>) {
    let mut buf = [0u8; 64];
    while let Ok(n) = nix::unistd::read(fd, &mut buf) {
        if n == 0 {
            break;
        }
    }
}

/// Blocks every signal and returns the mask in force before, to restore after `fork` (in the
/// parent) or once the child's own handlers are in place (in the child).
pub(crate) fn block_all() -> nix::Result<SigSet> {
    let mut old = SigSet::empty();
    sigprocmask(
        SigmaskHow::SIG_SETMASK,
        Some(&SigSet::all()),
        Some(&mut old),
    )?;
    Ok(old)
}

/// Sets the signal mask to `mask`.
pub(crate) fn set_mask(mask: &SigSet) -> nix::Result<()> {
    sigprocmask(SigmaskHow::SIG_SETMASK, Some(mask), None)
}

/// A stop was requested.
pub(crate) fn stop_requested() -> bool {
    STOP.load(SeqCst)
}

/// A graceful stop was requested.
pub(crate) fn graceful_stop_requested() -> bool {
    GRACEFUL.load(SeqCst)
}

/// A restart was requested since the last call.
pub(crate) fn take_restart_request() -> bool {
    RESTART.swap(false, SeqCst)
}
