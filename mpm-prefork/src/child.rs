//! A child's life, and `-X`: accept connections one at a time and hand each to the core, which
//! serves it whole, until told to stop.

use mapache_mpm_kit::child::{self, accept_error_is_transient, read_pod, AcceptPoll, PodMessage};
use mapache_mpm_kit::exit::EXIT_FATAL;
use mapache_mpm_kit::signals::{self, Request, Role};
use mapache_mpm_kit::ChildStart;
use mapache_plugin_api::sdk::{log, Level, Listener, MpmContext, MpmExit};
use nix::errno::Errno;
use nix::sys::socket::{accept4, SockFlag};
use std::os::fd::{BorrowedFd, RawFd};

/// A forked child's life: the common prologue, then accept and serve one connection at a time
/// until told to stop, the master is gone, or MaxConnectionsPerChild is reached.
pub(crate) fn run_child(ctx: &MpmContext<'_>, start: ChildStart) -> ! {
    child::run(|| {
        let started = child::start(
            ctx,
            &start,
            Role::Child {
                exit_while_serving: true,
            },
        )?;
        let acceptor = Acceptor {
            listeners: ctx.listeners(),
            wake: started.signals.wake_fd(),
            pod: Some(started.pod),
            max_connections: start.max_connections,
        };
        let code = match acceptor.run(|fd| {
            ctx.serve_connection(fd);
        }) {
            Ended::Failed(msg) => {
                log(Level::Error, &msg);
                EXIT_FATAL
            }
            _ => 0,
        };
        ctx.child_exit();
        Ok(code)
    })
}

/// `-X`: serves in the master process itself, without forking, until TERM or INT.
pub(crate) fn run_one_process(ctx: &MpmContext<'_>) -> MpmExit {
    let signals = match child::start_one_process(ctx) {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    // MaxConnectionsPerChild does not apply: there is no one to fork a replacement.
    let acceptor = Acceptor {
        listeners: ctx.listeners(),
        wake: signals.wake_fd(),
        pod: None,
        max_connections: 0,
    };
    let ended = acceptor.run(|fd| {
        ctx.serve_connection(fd);
    });
    let exit = match ended {
        Ended::Restart(Request::GracefulStop) => {
            log(Level::Notice, "caught SIGWINCH, shutting down gracefully");
            MpmExit::Stop
        }
        Ended::Restart(_) => {
            log(
                Level::Notice,
                "restarts are not possible with -X (one process); stopping instead",
            );
            MpmExit::Stop
        }
        Ended::Failed(msg) => {
            log(Level::Emerg, &msg);
            MpmExit::Failed
        }
        _ => {
            log(Level::Notice, "caught SIGTERM, shutting down");
            MpmExit::Stop
        }
    };
    ctx.child_exit();
    exit
}

/// Why an [`Acceptor`] stopped.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Ended {
    /// A stop signal.
    Stopped,
    /// A graceful stop: USR1, or the master asked this child to stop (a byte on the pipe of
    /// death).
    Asked,
    /// `-X` only: a restart signal, which one process cannot carry out.
    Restart(Request),
    /// The pipe of death reached end of file: the master is gone.
    MasterGone,
    /// MaxConnectionsPerChild connections were served.
    MaxConnections,
    /// An error that accepting cannot go on after; the message says which.
    Failed(String),
}

/// The accept loop: sleep on the listeners, the self-pipe and the pipe of death; accept one
/// connection, serve it, sleep again.
pub(crate) struct Acceptor<'a> {
    /// The core's listening sockets (non-blocking, shared with the other children).
    pub(crate) listeners: Vec<Listener<'a>>,
    /// The self-pipe that signal handlers write to.
    pub(crate) wake: BorrowedFd<'a>,
    /// The pipe of death's read end (non-blocking, shared with the other children).
    pub(crate) pod: Option<BorrowedFd<'a>>,
    /// Stop after this many connections; 0 for no limit.
    pub(crate) max_connections: u32,
}

impl Acceptor<'_> {
    /// Accepts and serves until a reason to stop. `serve` owns the descriptor it is handed.
    pub(crate) fn run(&self, mut serve: impl FnMut(RawFd)) -> Ended {
        let mut served: u32 = 0;
        let mut control = vec![self.wake];
        control.extend(self.pod);
        let fds: Vec<RawFd> = self.listeners.iter().map(|l| l.fd).collect();
        // Each child sleeps in an epoll of its own, where a new connection wakes one of them.
        let mut poll = match AcceptPoll::new(&control, &fds) {
            Ok(p) => p,
            Err(msg) => return Ended::Failed(msg),
        };
        loop {
            if signals::stop_requested() {
                return Ended::Stopped;
            }
            if signals::graceful_requested() {
                return Ended::Asked;
            }
            if self.pod.is_none() {
                if let Some(req) = signals::take_request() {
                    return Ended::Restart(req);
                }
            }

            let polled = match poll.wait() {
                Ok(p) => p,
                Err(msg) => return Ended::Failed(msg),
            };

            // This child was woken for that connection alone: it takes it before it heeds
            // anything else that woke it (a stop serves it first, a graceful one too).
            if let Some(i) = polled.listener {
                let listener = &self.listeners[i];
                match accept4(listener.fd, SockFlag::SOCK_CLOEXEC) {
                    Ok(fd) => {
                        if !signals::begin_serving() {
                            // SAFETY: the connection was just accepted and is ours to close.
                            unsafe { libc::close(fd) };
                            signals::end_serving();
                            return Ended::Stopped;
                        }
                        serve(fd);
                        signals::end_serving();
                        served = served.saturating_add(1);
                        if self.max_connections != 0 && served >= self.max_connections {
                            return Ended::MaxConnections;
                        }
                    }
                    Err(e) if accept_error_is_transient(e) => {}
                    // The socket was shut down: a graceful stop (see mapache_mpm_kit::master).
                    Err(Errno::EINVAL) => return Ended::Asked,
                    Err(e) => return Ended::Failed(format!("accept on {}: {e}", listener.addr)),
                }
            }
            if polled.control[0] {
                signals::drain(self.wake);
            }
            if let (Some(pod), true) = (self.pod, polled.control[1]) {
                match read_pod(pod) {
                    Ok(Some(PodMessage::Stop)) => return Ended::Asked,
                    Ok(Some(PodMessage::MasterGone)) => return Ended::MasterGone,
                    Ok(None) => {}
                    Err(msg) => return Ended::Failed(msg),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::fcntl::OFlag;
    use nix::unistd::pipe2;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::{AsFd, AsRawFd, FromRawFd};

    fn listener() -> (TcpListener, String) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let addr = l.local_addr().unwrap().to_string();
        (l, addr)
    }

    fn pipe() -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd) {
        pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK).unwrap()
    }

    /// Answers "hello" and closes, as the core's serve_connection would after one response.
    fn answer(fd: RawFd) {
        // SAFETY: the acceptor hands over ownership of the accepted socket.
        let mut s = unsafe { TcpStream::from_raw_fd(fd) };
        s.write_all(b"hello").unwrap();
    }

    fn fetch(addr: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn serves_until_max_connections() {
        let (l, addr) = listener();
        let (wake_r, _wake_w) = pipe();
        let (pod_r, _pod_w) = pipe();
        let client = {
            let addr = addr.clone();
            std::thread::spawn(move || (0..3).map(|_| fetch(&addr)).collect::<Vec<_>>())
        };
        let acceptor = Acceptor {
            listeners: vec![Listener {
                fd: l.as_raw_fd(),
                addr: &addr,
            }],
            wake: wake_r.as_fd(),
            pod: Some(pod_r.as_fd()),
            max_connections: 3,
        };
        let mut count = 0;
        let ended = acceptor.run(|fd| {
            count += 1;
            answer(fd)
        });
        assert_eq!(ended, Ended::MaxConnections);
        assert_eq!(count, 3);
        assert_eq!(client.join().unwrap(), ["hello", "hello", "hello"]);
    }

    #[test]
    fn serves_every_listener() {
        let (a, addr_a) = listener();
        let (b, addr_b) = listener();
        let (wake_r, _wake_w) = pipe();
        let client = {
            let (addr_a, addr_b) = (addr_a.clone(), addr_b.clone());
            std::thread::spawn(move || [fetch(&addr_b), fetch(&addr_a), fetch(&addr_b)])
        };
        let acceptor = Acceptor {
            listeners: vec![
                Listener {
                    fd: a.as_raw_fd(),
                    addr: &addr_a,
                },
                Listener {
                    fd: b.as_raw_fd(),
                    addr: &addr_b,
                },
            ],
            wake: wake_r.as_fd(),
            pod: None,
            max_connections: 3,
        };
        assert_eq!(acceptor.run(answer), Ended::MaxConnections);
        assert_eq!(client.join().unwrap(), ["hello", "hello", "hello"]);
    }

    #[test]
    fn stops_when_the_master_is_gone() {
        let (l, addr) = listener();
        let (wake_r, _wake_w) = pipe();
        let (pod_r, pod_w) = pipe();
        drop(pod_w);
        let acceptor = Acceptor {
            listeners: vec![Listener {
                fd: l.as_raw_fd(),
                addr: &addr,
            }],
            wake: wake_r.as_fd(),
            pod: Some(pod_r.as_fd()),
            max_connections: 0,
        };
        assert_eq!(acceptor.run(answer), Ended::MasterGone);
    }

    #[test]
    fn stops_when_asked_through_the_pipe_of_death() {
        let (l, addr) = listener();
        let (wake_r, _wake_w) = pipe();
        let (pod_r, pod_w) = pipe();
        nix::unistd::write(&pod_w, b"!").unwrap();
        let acceptor = Acceptor {
            listeners: vec![Listener {
                fd: l.as_raw_fd(),
                addr: &addr,
            }],
            wake: wake_r.as_fd(),
            pod: Some(pod_r.as_fd()),
            max_connections: 0,
        };
        assert_eq!(acceptor.run(answer), Ended::Asked);
        // The byte was consumed: another child polling the same pipe would not stop as well.
        assert_eq!(read_pod(pod_r.as_fd()), Ok(None));
    }

    #[test]
    fn transient_accept_errors_are_told_apart() {
        assert!(accept_error_is_transient(Errno::EAGAIN));
        assert!(accept_error_is_transient(Errno::ECONNABORTED));
        assert!(!accept_error_is_transient(Errno::EMFILE));
        assert!(!accept_error_is_transient(Errno::EBADF));
    }
}
