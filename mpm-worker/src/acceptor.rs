//! A worker thread's accept loop: sleep on the core's listeners and the child's stop pipe, accept
//! one connection, serve it whole (keep-alive included), sleep again.
//!
//! Every worker thread sleeps in an epoll of its own, where the listeners are registered with
//! `EPOLLEXCLUSIVE` (see `AcceptPoll`): a new connection wakes one idle thread, of this child or
//! another, and that thread serves it. A busy thread is not sleeping there, so a connection is
//! only ever taken by a thread free to serve it; while every thread is busy it stays in the
//! kernel's backlog, where another child may take it. There is no listener thread handing
//! connections over: that cost two context switches per connection (the listener's wake-up and
//! the worker's) where this costs one.

use mapache_mpm_kit::child::{accept_error_is_transient, AcceptPoll};
use nix::errno::Errno;
use nix::sys::socket::{accept4, SockFlag};
use std::os::fd::{BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

/// Why a thread stopped accepting.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The control thread told it to stop (the stop pipe is readable).
    Stopped,
    /// The child accepted MaxConnectionsPerChild connections.
    MaxConnections,
    /// An error that accepting cannot go on after; the message says which.
    Failed(String),
}

/// One listening socket of the core, owned (the address) so the thread needs no borrow.
#[derive(Clone, Debug)]
pub(crate) struct Socket {
    /// The listening socket (non-blocking, shared with the other children). Never closed here.
    pub(crate) fd: RawFd,
    /// Its address, for error messages.
    pub(crate) addr: String,
}

/// The accept loop of one worker thread.
pub(crate) struct Acceptor<'a> {
    /// The core's listening sockets; they stay open while any thread of the child accepts.
    pub(crate) sockets: &'a [Socket],
    /// Readable when the control thread wants the threads to stop accepting; never drained, so
    /// every thread sees it.
    pub(crate) stop: BorrowedFd<'a>,
    /// Connections the child's threads accepted so far.
    pub(crate) accepted: &'a AtomicU32,
    /// Stop after the child accepted this many; 0 for no limit. (Threads woken for connections
    /// at the very same moment may take one each beyond it.)
    pub(crate) max_connections: u32,
}

impl Acceptor<'_> {
    /// Accepts and serves until a reason to stop. `serve` owns the descriptor it is handed.
    /// `at_limit` runs when the thread accepted the child's last connection, before serving it,
    /// to stop the other threads at once.
    pub(crate) fn run(&self, mut serve: impl FnMut(RawFd), at_limit: impl FnOnce()) -> Ended {
        let mut at_limit = Some(at_limit);
        let fds: Vec<RawFd> = self.sockets.iter().map(|s| s.fd).collect();
        let mut poll = match AcceptPoll::new(&[self.stop], &fds) {
            Ok(p) => p,
            Err(msg) => return Ended::Failed(msg),
        };
        loop {
            let polled = match poll.wait() {
                Ok(p) => p,
                Err(msg) => return Ended::Failed(msg),
            };
            let limited = self.max_connections != 0;
            if limited && self.accepted.load(SeqCst) >= self.max_connections {
                // Another thread took the last one: what woke this one is someone else's.
                return Ended::MaxConnections;
            }
            // Woken for that connection alone: take it before heeding a stop, or it would wait
            // for the next connection to wake another thread.
            if let Some(i) = polled.listener {
                let socket = &self.sockets[i];
                match accept4(socket.fd, SockFlag::SOCK_CLOEXEC) {
                    Ok(fd) => {
                        let n = self.accepted.fetch_add(1, SeqCst).saturating_add(1);
                        let last = limited && n >= self.max_connections;
                        if last {
                            if let Some(f) = at_limit.take() {
                                f();
                            }
                        }
                        serve(fd);
                        if last {
                            return Ended::MaxConnections;
                        }
                    }
                    Err(e) if accept_error_is_transient(e) => {}
                    // The socket was shut down: a graceful stop (see mapache_mpm_kit::master).
                    Err(Errno::EINVAL) => return Ended::Stopped,
                    Err(e) => return Ended::Failed(format!("accept on {}: {e}", socket.addr)),
                }
            }
            if polled.control[0] {
                return Ended::Stopped;
            }
        }
    }
}

/// The pipe the control thread writes to when the threads must stop accepting (non-blocking,
/// close on exec): `(read end, write end)`.
pub(crate) fn stop_pipe() -> nix::Result<(OwnedFd, OwnedFd)> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::{AsFd, AsRawFd, FromRawFd};
    use std::thread;
    use std::time::Duration;

    fn socket() -> (TcpListener, Socket) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let s = Socket {
            fd: l.as_raw_fd(),
            addr: l.local_addr().unwrap().to_string(),
        };
        (l, s)
    }

    /// Answers "hello" and closes, as the core's serve_connection would after one response.
    fn answer(fd: RawFd) {
        // SAFETY: the acceptor hands over ownership of the accepted socket.
        let mut s = unsafe { TcpStream::from_raw_fd(fd) };
        s.write_all(b"hello").unwrap();
    }

    fn fetch(addr: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn threads_serve_until_the_child_reached_max_connections() {
        let (_l, sock) = socket();
        let sockets = [sock];
        let (stop_r, stop_w) = stop_pipe().unwrap();
        let accepted = AtomicU32::new(0);
        let client = {
            let addr = sockets[0].addr.clone();
            thread::spawn(move || (0..5).map(|_| fetch(&addr)).collect::<Vec<_>>())
        };
        let acceptor = Acceptor {
            sockets: &sockets,
            stop: stop_r.as_fd(),
            accepted: &accepted,
            max_connections: 5,
        };
        let served = thread::scope(|scope| {
            let runs: Vec<_> = (0..2)
                .map(|_| {
                    scope.spawn(|| {
                        let mut n = 0;
                        let ended = acceptor.run(
                            |fd| {
                                n += 1;
                                answer(fd)
                            },
                            || {
                                let _ = nix::unistd::write(&stop_w, b"!");
                            },
                        );
                        (ended, n)
                    })
                })
                .collect();
            // The thread that took the fifth stops the other.
            let results: Vec<_> = runs.into_iter().map(|r| r.join().unwrap()).collect();
            let ends: Vec<&Ended> = results.iter().map(|r| &r.0).collect();
            assert!(ends.contains(&&Ended::MaxConnections), "{ends:?}");
            results.iter().map(|r| r.1).sum::<u32>()
        });
        assert_eq!(served, 5);
        assert_eq!(client.join().unwrap(), ["hello"; 5]);
    }

    #[test]
    fn serves_every_socket() {
        let (_a, sock_a) = socket();
        let (_b, sock_b) = socket();
        let sockets = [sock_a, sock_b];
        let (stop_r, _stop_w) = stop_pipe().unwrap();
        let accepted = AtomicU32::new(0);
        let client = {
            let (a, b) = (sockets[0].addr.clone(), sockets[1].addr.clone());
            thread::spawn(move || [fetch(&b), fetch(&a), fetch(&b)])
        };
        let acceptor = Acceptor {
            sockets: &sockets,
            stop: stop_r.as_fd(),
            accepted: &accepted,
            max_connections: 3,
        };
        assert_eq!(acceptor.run(answer, || {}), Ended::MaxConnections);
        assert_eq!(client.join().unwrap(), ["hello"; 3]);
    }

    #[test]
    fn a_connection_woken_for_is_taken_before_a_stop() {
        let (_l, sock) = socket();
        let sockets = [sock];
        let (stop_r, stop_w) = stop_pipe().unwrap();
        let accepted = AtomicU32::new(0);
        let acceptor = Acceptor {
            sockets: &sockets,
            stop: stop_r.as_fd(),
            accepted: &accepted,
            max_connections: 0,
        };
        let client = {
            let addr = sockets[0].addr.clone();
            thread::spawn(move || fetch(&addr))
        };
        while nothing_waits(&sockets[0]) {
            thread::sleep(Duration::from_millis(5));
        }
        nix::unistd::write(&stop_w, b"!").unwrap();
        assert_eq!(acceptor.run(answer, || {}), Ended::Stopped);
        assert_eq!(accepted.load(SeqCst), 1);
        assert_eq!(client.join().unwrap(), "hello");
    }

    /// Whether no connection waits on `s` yet.
    fn nothing_waits(s: &Socket) -> bool {
        let mut fds = [libc::pollfd {
            fd: s.fd,
            events: libc::POLLIN,
            revents: 0,
        }];
        // SAFETY: poll(2) on one open descriptor, without waiting.
        unsafe { libc::poll(fds.as_mut_ptr(), 1, 0) == 0 }
    }

    #[test]
    fn once_the_last_connection_was_taken_a_woken_thread_leaves_the_next_one() {
        let (l, sock) = socket();
        let sockets = [sock];
        let (stop_r, _stop_w) = stop_pipe().unwrap();
        // Another thread of the child took the last of its 3 connections.
        let accepted = AtomicU32::new(3);
        let acceptor = Acceptor {
            sockets: &sockets,
            stop: stop_r.as_fd(),
            accepted: &accepted,
            max_connections: 3,
        };
        let client = TcpStream::connect(&sockets[0].addr).unwrap();
        assert_eq!(acceptor.run(answer, || {}), Ended::MaxConnections);
        assert_eq!(accepted.load(SeqCst), 3);
        // Still queued, for another child.
        l.set_nonblocking(false).unwrap();
        drop(l.accept().unwrap());
        drop(client);
    }

    #[test]
    fn the_stop_pipe_ends_every_waiting_thread() {
        let (_l, sock) = socket();
        let sockets = [sock];
        let (stop_r, stop_w) = stop_pipe().unwrap();
        let accepted = AtomicU32::new(0);
        let acceptor = Acceptor {
            sockets: &sockets,
            stop: stop_r.as_fd(),
            accepted: &accepted,
            max_connections: 0,
        };
        thread::scope(|scope| {
            let runs: Vec<_> = (0..3)
                .map(|_| scope.spawn(|| acceptor.run(answer, || {})))
                .collect();
            thread::sleep(Duration::from_millis(50));
            nix::unistd::write(&stop_w, b"!").unwrap();
            for r in runs {
                assert_eq!(r.join().unwrap(), Ended::Stopped);
            }
        });
        assert_eq!(accepted.load(SeqCst), 0);
    }

    #[test]
    fn transient_accept_errors_are_told_apart() {
        assert!(accept_error_is_transient(Errno::EAGAIN));
        assert!(accept_error_is_transient(Errno::ECONNABORTED));
        assert!(!accept_error_is_transient(Errno::EMFILE));
        assert!(!accept_error_is_transient(Errno::EBADF));
    }
}
