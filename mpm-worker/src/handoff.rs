//! Hands accepted connections from a child's listener thread to its worker threads.
//!
//! The listener accepts only when a worker is idle, as in Apache's worker MPM: it first reserves
//! an idle worker ([`Handoff::reserve_idle`]), then accepts, then queues the connection
//! ([`Handoff::push`]) for the worker that reserved slot belongs to. A connection therefore never
//! waits in this process for a thread; while every worker is busy the listener leaves new
//! connections in the kernel's backlog, where another child may take them.

use std::collections::VecDeque;
use std::os::fd::RawFd;
use std::sync::{Condvar, Mutex, MutexGuard};

/// The meeting point of one listener and the workers of a child (or of `-X`).
#[derive(Default)]
pub(crate) struct Handoff {
    state: Mutex<State>,
    /// Signalled when a connection is queued, or when closing.
    for_workers: Condvar,
    /// Signalled when a worker becomes idle, or when closing.
    for_listener: Condvar,
}

#[derive(Default)]
struct State {
    /// Workers waiting for a connection that no reservation has claimed yet.
    idle: usize,
    /// Accepted connections not yet taken by a worker; never more than the reservations made.
    queue: VecDeque<RawFd>,
    /// Reservations made and not yet followed by a push or a release: that many waiting workers
    /// must stay, even when closing, for connections the listener may be accepting right now.
    claimed: usize,
    /// Workers inside [`Handoff::next`].
    waiting: usize,
    /// No more connections come: workers exit once the queue is empty.
    closing: bool,
}

impl Handoff {
    /// A handoff with no worker idle yet.
    pub(crate) fn new() -> Handoff {
        Handoff::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the counters consistent (no step can panic
        // half-way), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Listener: waits until a worker is idle and claims it for the next accepted connection.
    /// `false` once closing.
    pub(crate) fn reserve_idle(&self) -> bool {
        let mut s = self.lock();
        loop {
            if s.closing {
                return false;
            }
            if s.idle > 0 {
                s.idle -= 1;
                s.claimed += 1;
                return true;
            }
            s = self.for_listener.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Listener: hands an accepted connection to the worker claimed by [`reserve_idle`]. The
    /// worker owns `fd` from here on.
    ///
    /// [`reserve_idle`]: Handoff::reserve_idle
    pub(crate) fn push(&self, fd: RawFd) {
        let mut s = self.lock();
        s.claimed = s.claimed.saturating_sub(1);
        s.queue.push_back(fd);
        drop(s);
        self.for_workers.notify_one();
    }

    /// Listener: gives back a reservation it will not use (it stops accepting).
    pub(crate) fn release(&self) {
        let mut s = self.lock();
        s.claimed = s.claimed.saturating_sub(1);
        drop(s);
        self.for_workers.notify_all();
    }

    /// Worker: announces itself idle and waits for a connection. `None` once closing with no
    /// connection left to serve: the worker ends.
    pub(crate) fn next(&self) -> Option<RawFd> {
        let mut s = self.lock();
        s.idle += 1;
        s.waiting += 1;
        self.for_listener.notify_one();
        loop {
            if let Some(fd) = s.queue.pop_front() {
                s.waiting -= 1;
                return Some(fd);
            }
            // While closing, a worker leaves only if enough others stay for the connections
            // the listener reserved workers for and may still be accepting.
            if s.closing && s.waiting > s.claimed {
                // Its idle token may have been claimed by a reservation that will never be used.
                s.idle = s.idle.saturating_sub(1);
                s.waiting -= 1;
                return None;
            }
            s = self.for_workers.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Stops the handoff: the listener's waits return `false`, and workers end once the
    /// connections already queued are taken.
    pub(crate) fn close(&self) {
        self.lock().closing = true;
        self.for_workers.notify_all();
        self.for_listener.notify_all();
    }

    /// Workers idle and unclaimed right now.
    #[cfg(test)]
    pub(crate) fn idle(&self) -> usize {
        self.lock().idle
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::thread;
    use std::time::Duration;

    fn wait_idle(h: &Handoff, n: usize) {
        for _ in 0..500 {
            if h.idle() == n {
                return;
            }
            thread::sleep(Duration::from_millis(2));
        }
        panic!("idle stayed {} instead of {n}", h.idle());
    }

    #[test]
    fn a_reservation_waits_for_an_idle_worker() {
        let h = Arc::new(Handoff::new());
        let listener = {
            let h = h.clone();
            thread::spawn(move || {
                assert!(h.reserve_idle());
                h.push(7);
            })
        };
        // No worker yet: the listener is still waiting.
        thread::sleep(Duration::from_millis(20));
        assert!(!listener.is_finished());
        let worker = {
            let h = h.clone();
            thread::spawn(move || h.next())
        };
        listener.join().unwrap();
        assert_eq!(worker.join().unwrap(), Some(7));
        assert_eq!(h.idle(), 0);
    }

    #[test]
    fn every_connection_reaches_exactly_one_worker() {
        let h = Arc::new(Handoff::new());
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let h = h.clone();
                thread::spawn(move || {
                    let mut got = Vec::new();
                    while let Some(fd) = h.next() {
                        got.push(fd);
                    }
                    got
                })
            })
            .collect();
        for fd in 0..100 {
            assert!(h.reserve_idle());
            h.push(fd);
        }
        // Every worker comes back idle once the queue is served.
        wait_idle(&h, 4);
        h.close();
        let mut all: Vec<RawFd> = workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect();
        all.sort();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn close_releases_the_listener_and_idle_workers() {
        let h = Arc::new(Handoff::new());
        let listener = {
            let h = h.clone();
            thread::spawn(move || h.reserve_idle())
        };
        thread::sleep(Duration::from_millis(20));
        h.close();
        assert!(!listener.join().unwrap());
        // A worker arriving after the close ends at once.
        assert_eq!(h.next(), None);
    }

    #[test]
    fn a_reserved_worker_stays_through_a_close_until_push_or_release() {
        for push in [true, false] {
            let h = Arc::new(Handoff::new());
            let worker = {
                let h = h.clone();
                thread::spawn(move || h.next())
            };
            // The listener claims the idle worker, then the child starts stopping while the
            // listener is still accepting.
            assert!(h.reserve_idle());
            h.close();
            thread::sleep(Duration::from_millis(50));
            assert!(
                !worker.is_finished(),
                "the claimed worker left before the push"
            );
            if push {
                h.push(42);
                assert_eq!(worker.join().unwrap(), Some(42));
            } else {
                h.release();
                assert_eq!(worker.join().unwrap(), None);
            }
        }
    }

    #[test]
    fn queued_connections_are_still_served_after_close() {
        let h = Arc::new(Handoff::new());
        let worker = {
            let h = h.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                while let Some(fd) = h.next() {
                    got.push(fd);
                }
                got
            })
        };
        assert!(h.reserve_idle());
        h.push(3);
        h.close();
        assert_eq!(worker.join().unwrap(), [3]);
    }

    #[test]
    fn an_unused_reservation_does_not_underflow() {
        let h = Arc::new(Handoff::new());
        let worker = {
            let h = h.clone();
            thread::spawn(move || h.next())
        };
        assert!(h.reserve_idle());
        h.close();
        h.release();
        assert_eq!(worker.join().unwrap(), None);
        assert_eq!(h.idle(), 0);
    }
}
