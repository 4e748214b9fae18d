//! The first steps of every forked child, the same in every MPM: let go of the master's
//! descriptors, install the child's signal handlers, arm PR_SET_PDEATHSIG, and run the core's
//! `child_init`. Then the MPM's own loop takes over; [`finish`] ends the process.

use crate::exit::{EXIT_FATAL, EXIT_INIT_FAILED};
use crate::master::ChildStart;
use crate::signals::{self, Role, Signals};
use mapache_plugin_api::sdk::{log, Level, MpmContext, MpmExit};
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::signal::Signal;
use nix::unistd::getppid;
use std::os::fd::{BorrowedFd, RawFd};

/// A child past its prologue: its signals and the pipe of death.
pub struct Started {
    /// The child's signal handlers (dropping them would restore the master's).
    pub signals: Signals,
    /// Read end of the pipe of death (non-blocking, shared with the other children).
    pub pod: BorrowedFd<'static>,
}

/// Runs the prologue; `Err(status)` means the child must exit with that status now (after
/// `child_init` failed, status 1, the ABI's rule).
pub fn start(ctx: &MpmContext<'_>, start: &ChildStart, role: Role) -> Result<Started, i32> {
    for fd in &start.close {
        // SAFETY: these descriptors are the master's; this process never uses them.
        unsafe { libc::close(*fd) };
    }
    let signals = match Signals::install(role) {
        Ok(s) => s,
        Err(e) => {
            log(
                Level::Error,
                &format!("child: cannot install signal handlers: {e}"),
            );
            return Err(EXIT_FATAL);
        }
    };
    if let Err(e) = signals::set_mask(&start.mask) {
        log(
            Level::Error,
            &format!("child: cannot reset signal mask: {e}"),
        );
        return Err(EXIT_FATAL);
    }
    if let Err(e) = nix::sys::prctl::set_pdeathsig(Signal::SIGTERM) {
        log(Level::Warn, &format!("child: PR_SET_PDEATHSIG: {e}"));
    }
    if getppid() != start.master_pid {
        // The master died before PR_SET_PDEATHSIG took effect.
        return Err(0);
    }
    if !ctx.child_init(start.slot) {
        ctx.child_exit();
        return Err(EXIT_INIT_FAILED);
    }
    // SAFETY: the pipe of death's read end stays open for the whole life of the child.
    let pod = unsafe { BorrowedFd::borrow_raw(start.pod) };
    Ok(Started { signals, pod })
}

/// `-X`: prepares the master itself to serve: the one-process signal handlers and the core's
/// `child_init` for slot 0. `Err` means the server cannot run (the reason was logged).
pub fn start_one_process(ctx: &MpmContext<'_>) -> Result<Signals, MpmExit> {
    let signals = Signals::install(Role::OneProcess).map_err(|e| {
        log(
            Level::Emerg,
            &format!("cannot install signal handlers: {e}"),
        );
        MpmExit::Failed
    })?;
    if !ctx.child_init(0) {
        log(
            Level::Emerg,
            "Child failed to initialize: see the error log above; stopping",
        );
        return Err(MpmExit::Failed);
    }
    Ok(signals)
}

/// Ends a child process with `code`, without running the master's atexit handlers or
/// destructors (the logs write each line as it happens, so nothing is lost).
pub fn finish(ctx: &MpmContext<'_>, code: i32) -> ! {
    ctx.child_exit();
    // SAFETY: _exit skips atexit handlers and destructors that belong to the master's copy of the
    // process.
    unsafe { libc::_exit(code) }
}

/// Runs `body` as a child's whole life and exits with its status, `Ok` or `Err` alike (`Err`
/// carries the status of a child that could not start, so `?` works on [`start`]); a panic
/// exits with status 2.
pub fn run(body: impl FnOnce() -> Result<i32, i32>) -> ! {
    let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body))
        .map_or(EXIT_FATAL, |r| r.unwrap_or_else(|code| code));
    // SAFETY: as in `finish`.
    unsafe { libc::_exit(code) }
}

/// What a byte or end of file on the pipe of death means; `None` when another child took the
/// byte first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodMessage {
    /// A byte: maintenance asks one idle child to stop gracefully.
    Stop,
    /// End of file: the master is gone or was replaced by a graceful restart; stop gracefully.
    MasterGone,
}

/// Reads the pipe of death after poll said it is readable.
pub fn read_pod(pod: BorrowedFd<'_>) -> Result<Option<PodMessage>, String> {
    let mut byte = [0u8; 1];
    match nix::unistd::read(pod, &mut byte) {
        Ok(0) => Ok(Some(PodMessage::MasterGone)),
        Ok(_) => Ok(Some(PodMessage::Stop)),
        Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => Ok(None),
        Err(e) => Err(format!("reading the pipe of death: {e}")),
    }
}

/// What one [`AcceptPoll::wait`] found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Polled {
    /// Which of the control descriptors (in the order given) are readable.
    pub control: [bool; 2],
    /// A listening socket with a connection waiting, by index, taken round-robin.
    pub listener: Option<usize>,
}

/// What a prefork child, or an idle worker thread of a threaded child, sleeps on until there is a
/// connection to accept: up to two control descriptors (a self-pipe, a stop pipe, the pipe of
/// death) and the core's listening sockets, in an epoll of its own.
///
/// The listening sockets are registered with `EPOLLEXCLUSIVE`, so a new connection wakes one of
/// the processes sleeping on them: the first, in the order they registered, that is waiting (a
/// busy one is passed over). With poll(2), every idle child woke for every connection, raced for
/// it, and all but one went back to sleep empty-handed: 64 prefork children served a third of
/// what 8 did. The control descriptors wake every sleeper, as a signal or the master's end must.
///
/// One wake-up is one connection: a sleeper woken for a listener should accept before it acts on
/// anything else that woke it, or the connection waits for the next one to arrive.
pub struct AcceptPoll {
    epoll: Epoll,
    controls: usize,
    listeners: usize,
    /// Where the search for a ready listener starts, so that a busy one does not starve others.
    next: usize,
    events: Vec<EpollEvent>,
}

impl AcceptPoll {
    /// An epoll over `control` (at most two descriptors, which must stay open as long as it) and
    /// the listening sockets `listeners` (the core's, open for the whole run).
    pub fn new(control: &[BorrowedFd<'_>], listeners: &[RawFd]) -> Result<AcceptPoll, String> {
        assert!(control.len() <= 2, "at most two control descriptors");
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)
            .map_err(|e| format!("epoll_create: {e}"))?;
        for (i, fd) in control.iter().enumerate() {
            epoll
                .add(fd, EpollEvent::new(EpollFlags::EPOLLIN, i as u64))
                .map_err(|e| format!("epoll_ctl: {e}"))?;
        }
        for (i, fd) in listeners.iter().enumerate() {
            // SAFETY: the core keeps its listeners open for the whole run, in every process.
            let fd = unsafe { BorrowedFd::borrow_raw(*fd) };
            let flags = EpollFlags::EPOLLIN | EpollFlags::EPOLLEXCLUSIVE;
            epoll
                .add(fd, EpollEvent::new(flags, (control.len() + i) as u64))
                .map_err(|e| format!("epoll_ctl on a listening socket: {e}"))?;
        }
        Ok(AcceptPoll {
            epoll,
            controls: control.len(),
            listeners: listeners.len(),
            next: 0,
            events: vec![EpollEvent::empty(); control.len() + listeners.len().max(1)],
        })
    }

    /// Sleeps until a descriptor is readable (or a signal interrupts the sleep: then nothing is
    /// reported). The ready listener is looked for from where the last one was found on.
    pub fn wait(&mut self) -> Result<Polled, String> {
        let n = match self.epoll.wait(&mut self.events, EpollTimeout::NONE) {
            Ok(n) => n,
            Err(nix::errno::Errno::EINTR) => 0,
            Err(e) => return Err(format!("epoll_wait: {e}")),
        };
        let mut out = Polled::default();
        let count = self.listeners;
        // The first ready listener from `next` on, as (distance from `next`, index).
        let mut first: Option<(usize, usize)> = None;
        for event in &self.events[..n] {
            let token = event.data() as usize;
            if token < self.controls {
                out.control[token] = true;
            } else {
                let i = token - self.controls;
                let distance = (i + count - self.next) % count;
                if first.is_none_or(|(d, _)| distance < d) {
                    first = Some((distance, i));
                }
            }
        }
        out.listener = first.map(|(_, i)| i);
        if let Some(i) = out.listener {
            self.next = (i + 1) % count;
        }
        Ok(out)
    }
}

/// Errors of accept(2) after which the next connection can be accepted: nothing was waiting
/// (another child took it), the client gave up, or Linux passed on a network error of the new
/// socket. Running out of descriptors is not among them.
pub fn accept_error_is_transient(e: nix::errno::Errno) -> bool {
    use nix::errno::Errno;
    matches!(
        e,
        Errno::EAGAIN
            | Errno::EINTR
            | Errno::ECONNABORTED
            | Errno::EPROTO
            | Errno::EPERM
            | Errno::ENETDOWN
            | Errno::ENOPROTOOPT
            | Errno::EHOSTDOWN
            | Errno::ENONET
            | Errno::EHOSTUNREACH
            | Errno::EOPNOTSUPP
            | Errno::ENETUNREACH
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::fcntl::OFlag;
    use nix::unistd::pipe2;
    use std::os::fd::{AsFd, AsRawFd};

    #[test]
    fn listeners_are_taken_round_robin_and_control_first() {
        let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let _ca = std::net::TcpStream::connect(a.local_addr().unwrap()).unwrap();
        let _cb = std::net::TcpStream::connect(b.local_addr().unwrap()).unwrap();
        let fds = [a.as_raw_fd(), b.as_raw_fd()];
        let (r, w) = pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK).unwrap();
        let mut poll = AcceptPoll::new(&[r.as_fd()], &fds).unwrap();
        let first = poll.wait().unwrap();
        assert_eq!(
            first,
            Polled {
                control: [false, false],
                listener: Some(0)
            }
        );
        let second = poll.wait().unwrap();
        assert_eq!(second.listener, Some(1), "the other socket's turn");
        nix::unistd::write(&w, b"!").unwrap();
        assert!(poll.wait().unwrap().control[0]);
    }

    #[test]
    fn the_pipe_of_death_speaks_three_ways() {
        let (r, w) = pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK).unwrap();
        assert_eq!(read_pod(r.as_fd()), Ok(None));
        nix::unistd::write(&w, b"!").unwrap();
        assert_eq!(read_pod(r.as_fd()), Ok(Some(PodMessage::Stop)));
        drop(w);
        assert_eq!(read_pod(r.as_fd()), Ok(Some(PodMessage::MasterGone)));
    }
}
