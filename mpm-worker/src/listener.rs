//! A child's listener thread: waits for an idle worker, then sleeps on the core's listeners and
//! its stop pipe, accepts one connection and hands it to that worker.

use crate::handoff::Handoff;
use mapache_plugin_api::mpm_kit::child::{accept_error_is_transient, AcceptPoll};
use nix::errno::Errno;
use nix::sys::socket::{accept4, SockFlag};
use std::os::fd::{BorrowedFd, OwnedFd, RawFd};

/// Why the listener stopped accepting.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The control thread told it to stop (stop pipe readable, or the handoff closed).
    Stopped,
    /// MaxConnectionsPerChild connections were accepted.
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

/// The accept loop of one child.
pub(crate) struct Listener<'a> {
    /// The core's listening sockets; they stay open for the whole life of the process.
    pub(crate) sockets: Vec<Socket>,
    /// Readable when the control thread wants the listener to stop.
    pub(crate) stop: BorrowedFd<'a>,
    /// Where idle workers wait.
    pub(crate) handoff: &'a Handoff,
    /// Stop after this many connections; 0 for no limit.
    pub(crate) max_connections: u32,
}

impl Listener<'_> {
    /// Accepts until a reason to stop; each connection goes to an idle worker.
    pub(crate) fn run(&self) -> Ended {
        let mut reserved = false;
        let ended = self.accept_loop(&mut reserved);
        if reserved {
            // The worker held for a connection that never came may leave.
            self.handoff.release();
        }
        ended
    }

    fn accept_loop(&self, reserved: &mut bool) -> Ended {
        let mut accepted: u32 = 0;
        let fds: Vec<RawFd> = self.sockets.iter().map(|s| s.fd).collect();
        // An epoll of this child's own, where a new connection wakes one child's listener.
        let mut poll = match AcceptPoll::new(&[self.stop], &fds) {
            Ok(p) => p,
            Err(msg) => return Ended::Failed(msg),
        };
        loop {
            // Only accept when a worker is free: otherwise the connection stays in the backlog,
            // where a child with an idle worker can take it (only listeners that sleep in their
            // epoll are woken for it).
            if !*reserved {
                if !self.handoff.reserve_idle() {
                    return Ended::Stopped;
                }
                *reserved = true;
            }

            let polled = match poll.wait() {
                Ok(p) => p,
                Err(msg) => return Ended::Failed(msg),
            };
            // Woken for that connection alone: take it before heeding a stop, or it would wait
            // for the next connection to wake another child. Its worker is reserved and stays.
            if let Some(i) = polled.listener {
                let socket = &self.sockets[i];
                match accept4(socket.fd, SockFlag::SOCK_CLOEXEC) {
                    Ok(fd) => {
                        self.handoff.push(fd);
                        *reserved = false;
                        accepted = accepted.saturating_add(1);
                        if self.max_connections != 0 && accepted >= self.max_connections {
                            return Ended::MaxConnections;
                        }
                    }
                    Err(e) if accept_error_is_transient(e) => {}
                    // The socket was shut down: a graceful stop (see mpm_kit's master).
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

/// The pipe the control thread writes to when the listener must stop (non-blocking, close on
/// exec): `(read end, write end)`.
pub(crate) fn stop_pipe() -> nix::Result<(OwnedFd, OwnedFd)> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::{AsFd, AsRawFd, FromRawFd};
    use std::sync::Arc;
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

    /// A worker that answers "hello" on every connection and closes it, as the core's
    /// serve_connection would after one response.
    fn worker(h: Arc<Handoff>) -> thread::JoinHandle<usize> {
        thread::spawn(move || {
            let mut n = 0;
            while let Some(fd) = h.next() {
                // SAFETY: the handoff passes ownership of the accepted socket.
                let mut s = unsafe { TcpStream::from_raw_fd(fd) };
                s.write_all(b"hello").unwrap();
                n += 1;
            }
            n
        })
    }

    fn fetch(addr: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn serves_until_max_connections() {
        let (_l, sock) = socket();
        let (stop_r, _stop_w) = stop_pipe().unwrap();
        let h = Arc::new(Handoff::new());
        let workers: Vec<_> = (0..2).map(|_| worker(h.clone())).collect();
        let client = {
            let addr = sock.addr.clone();
            thread::spawn(move || (0..5).map(|_| fetch(&addr)).collect::<Vec<_>>())
        };
        let listener = Listener {
            sockets: vec![sock],
            stop: stop_r.as_fd(),
            handoff: &h,
            max_connections: 5,
        };
        assert_eq!(listener.run(), Ended::MaxConnections);
        assert_eq!(client.join().unwrap(), ["hello"; 5]);
        h.close();
        let served: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
        assert_eq!(served, 5);
    }

    #[test]
    fn serves_every_socket() {
        let (_a, sock_a) = socket();
        let (_b, sock_b) = socket();
        let (stop_r, _stop_w) = stop_pipe().unwrap();
        let h = Arc::new(Handoff::new());
        let w = worker(h.clone());
        let client = {
            let (a, b) = (sock_a.addr.clone(), sock_b.addr.clone());
            thread::spawn(move || [fetch(&b), fetch(&a), fetch(&b)])
        };
        let listener = Listener {
            sockets: vec![sock_a, sock_b],
            stop: stop_r.as_fd(),
            handoff: &h,
            max_connections: 3,
        };
        assert_eq!(listener.run(), Ended::MaxConnections);
        assert_eq!(client.join().unwrap(), ["hello"; 3]);
        h.close();
        assert_eq!(w.join().unwrap(), 3);
    }

    #[test]
    fn does_not_accept_while_every_worker_is_busy() {
        let (l, sock) = socket();
        let (stop_r, stop_w) = stop_pipe().unwrap();
        let h = Handoff::new();
        // No worker at all: a connection must stay in the backlog.
        let client = TcpStream::connect(&sock.addr).unwrap();
        thread::scope(|scope| {
            let listener = Listener {
                sockets: vec![sock],
                stop: stop_r.as_fd(),
                handoff: &h,
                max_connections: 0,
            };
            let run = scope.spawn(move || listener.run());
            thread::sleep(Duration::from_millis(50));
            // Close the handoff first: the listener is waiting for an idle worker, not polling.
            h.close();
            nix::unistd::write(&stop_w, b"!").unwrap();
            assert_eq!(run.join().unwrap(), Ended::Stopped);
        });
        // Still queued in the kernel: accepting it here succeeds.
        let (accepted, _) = l.accept().unwrap();
        drop(accepted);
        drop(client);
    }

    #[test]
    fn the_stop_pipe_ends_a_listener_waiting_in_poll() {
        let (_l, sock) = socket();
        let (stop_r, stop_w) = stop_pipe().unwrap();
        let h = Arc::new(Handoff::new());
        let w = worker(h.clone());
        thread::scope(|scope| {
            let listener = Listener {
                sockets: vec![sock],
                stop: stop_r.as_fd(),
                handoff: &h,
                max_connections: 0,
            };
            let run = scope.spawn(move || listener.run());
            thread::sleep(Duration::from_millis(50));
            nix::unistd::write(&stop_w, b"!").unwrap();
            assert_eq!(run.join().unwrap(), Ended::Stopped);
        });
        h.close();
        assert_eq!(w.join().unwrap(), 0);
    }

    #[test]
    fn transient_accept_errors_are_told_apart() {
        assert!(accept_error_is_transient(Errno::EAGAIN));
        assert!(accept_error_is_transient(Errno::ECONNABORTED));
        assert!(!accept_error_is_transient(Errno::EMFILE));
        assert!(!accept_error_is_transient(Errno::EBADF));
    }
}
