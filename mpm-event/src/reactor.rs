//! Who runs the listener loop: leader and followers, with a watch.
//!
//! One of the pool's threads at a time is the leader: it polls (`ListenerLoop::poll_once`), then
//! serves the connections the poll found ready itself, one after another, and polls again. A
//! request for a small file is then read, served and answered on the thread that saw it arrive,
//! as in nginx's workers, with no hand-off: on 2 busy cores, handing each request from a
//! listener thread to a worker cost two context switches and held mpm_event at 35k req/s where
//! serving in place reaches 67k (1 KiB, 50 connections; nginx 50k on the same run).
//!
//! A handler may block, though (a slow backend, a request body still arriving), and while the
//! leader serves nobody polls. So the process's first thread keeps watch, every [`TICK`]:
//! - when the leader has been serving the same connection since the last tick, it is deposed:
//!   leading passes to the next free thread (a new term), and the old leader finishes its
//!   request and carries on as an ordinary worker;
//! - when connections have waited to be served over a whole tick (handlers slow enough that one
//!   thread cannot keep up), sleeping threads are woken to help.
//!
//! So other connections wait one or two ticks behind a handler that blocks, never longer; and
//! when nothing is served for [`PARK_AFTER`] the watch sleeps until the leader serves again, so
//! an idle server makes no wake-ups. The watch also acts on a stop itself, so TERM ends a child
//! whose threads are all held by handlers.

use crate::listener::{Ended, ListenerLoop};
use crate::pool::Pool;
use mapache_mpm_kit::signals;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, TryLockError};
use std::time::Duration;

/// How often the watch looks at the leader while requests are being served.
pub(crate) const TICK: Duration = Duration::from_millis(10);
/// The watch sleeps after this many ticks without a request served.
const PARK_AFTER: u32 = 100;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The value of [`Watch::serving`].
fn serving_mark(term: u32, served: u32, busy: bool) -> u64 {
    (u64::from(term) << 32) | (u64::from(served << 1)) | u64::from(busy)
}

/// The listener loop, made movable between threads.
struct Loop(ListenerLoop<'static>);

// SAFETY: the loop is only ever used under the reactor's mutex, by one thread at a time. What it
// holds that is not `Send` is its borrow of the MPM context (the run info of `mpm_run`, whose host
// functions may be called from any thread of a child) and the core's connections (`Send`).
unsafe impl Send for Loop {}

/// What the watch and the leaders share.
struct Watch {
    /// Who serves what: the term in the high 32 bits, then a count of connections served in
    /// that term, shifted left by one, with the low bit set while one is being served. Written
    /// by the leader only.
    serving: AtomicU64,
    /// The watch is asleep until the leader serves again.
    parked: AtomicBool,
    state: Mutex<WatchState>,
    wake: Condvar,
}

struct WatchState {
    /// Set when the loop ended, with the loop itself (moved out so that nobody polls again).
    ended: Option<(Ended, Loop)>,
}

/// The listener loop shared by a child's threads; see the module documentation.
pub(crate) struct Reactor {
    listener: Mutex<Option<Loop>>,
    pool: Pool,
    watch: Watch,
}

impl Reactor {
    /// Shares `listener`, whose connections `pool` serves, among the pool's threads.
    ///
    /// # Safety
    /// The loop borrows from the MPM context and the child's descriptors for `'a`; the caller
    /// keeps them alive until [`Reactor::watch`] has returned the loop, or the process exits.
    /// After that no thread can reach the loop: it is moved out of the reactor.
    pub(crate) unsafe fn new<'a>(listener: ListenerLoop<'a>, pool: Pool) -> Arc<Reactor> {
        // SAFETY: see the contract above; only the lifetime changes.
        let listener =
            unsafe { std::mem::transmute::<ListenerLoop<'a>, ListenerLoop<'static>>(listener) };
        Arc::new(Reactor {
            listener: Mutex::new(Some(Loop(listener))),
            pool,
            watch: Watch {
                serving: AtomicU64::new(0),
                parked: AtomicBool::new(false),
                state: Mutex::new(WatchState { ended: None }),
                wake: Condvar::new(),
            },
        })
    }

    /// A thread's term as leader: poll, serve what is ready, again, until deposed or the loop
    /// ends. Returns at once when `term` is over already.
    pub(crate) fn lead(&self, term: u32) {
        let mut served: u32 = 0;
        loop {
            {
                let mut guard = lock(&self.listener);
                if self.pool.term() != term {
                    return;
                }
                let Some(l) = guard.as_mut() else {
                    return;
                };
                if let Some(end) = l.0.poll_once() {
                    let l = guard.take().expect("the loop is here");
                    drop(guard);
                    lock(&self.watch.state).ended = Some((end, l));
                    self.watch.wake.notify_one();
                    return;
                }
            }
            while let Some(job) = self.pool.take_job() {
                self.watch
                    .serving
                    .store(serving_mark(term, served, true), Ordering::SeqCst);
                if self.watch.parked.load(Ordering::Relaxed) {
                    self.unpark();
                }
                let done = self.pool.serve(job);
                served = served.wrapping_add(1);
                self.pool.hand_back(done, Some(term));
                if self.pool.term() != term {
                    return;
                }
                self.watch
                    .serving
                    .store(serving_mark(term, served, false), Ordering::SeqCst);
            }
        }
    }

    fn unpark(&self) {
        if self.watch.parked.swap(false, Ordering::SeqCst) {
            let _guard = lock(&self.watch.state);
            self.watch.wake.notify_one();
        }
    }

    /// The process's first thread: hands leading to the first term, then keeps watch (see the
    /// module documentation) until the loop ends. Returns how it ended, with the loop, unless a
    /// stop came while no thread could poll.
    pub(crate) fn watch(&self) -> (Ended, Option<ListenerLoop<'static>>) {
        self.pool.submit(crate::pool::Task::Lead(self.pool.term()));
        let mut last_serving = u64::MAX;
        let mut last_jobs = (0, 0);
        let mut quiet = 0;
        let mut state = lock(&self.watch.state);
        loop {
            if let Some((end, l)) = state.ended.take() {
                return (end, Some(l.0));
            }
            if signals::stop_requested() {
                // A leader that is polling sees the stop too; one that serves, or none at all
                // (every thread held by a handler), cannot.
                let guard = match self.listener.try_lock() {
                    Ok(g) => Some(g),
                    Err(TryLockError::Poisoned(e)) => Some(e.into_inner()),
                    Err(TryLockError::WouldBlock) => None,
                };
                if let Some(mut guard) = guard {
                    return (Ended::Stopped, guard.take().map(|l| l.0));
                }
            }
            state = if self.watch.parked.load(Ordering::SeqCst) {
                self.watch
                    .wake
                    .wait(state)
                    .unwrap_or_else(|e| e.into_inner())
            } else {
                match self.watch.wake.wait_timeout(state, TICK) {
                    Ok((s, _)) => s,
                    Err(e) => e.into_inner().0,
                }
            };
            if state.ended.is_some() {
                continue;
            }
            let serving = self.watch.serving.load(Ordering::SeqCst);
            let current = serving >> 32 == u64::from(self.pool.term());
            if current && serving & 1 == 1 && serving == last_serving {
                self.pool.depose();
            }
            let jobs = self.pool.jobs_progress();
            let waiting = jobs.0;
            if jobs.1 - last_jobs.1 < last_jobs.0 as u64 {
                // A connection queued at the last look is still queued.
                self.pool.help(waiting);
            }
            quiet = if serving == last_serving {
                quiet + 1
            } else {
                0
            };
            if quiet >= PARK_AFTER && waiting == 0 {
                quiet = 0;
                self.watch.parked.store(true, Ordering::SeqCst);
            }
            last_serving = serving;
            last_jobs = jobs;
        }
    }
}
