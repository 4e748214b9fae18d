//! The worker threads of one child: they take connections with a complete request head from a
//! queue, have the core serve them (`Conn::process`), and hand them back to the listener through
//! a result list and an eventfd wake-up. They also do what may block that the listener must not:
//! answering an expired wait (a 408 may have to be written) and closes that may linger.

use mapache_plugin_api::abi::MAPACHE_WORKER_DEAD;
use mapache_plugin_api::mpm_kit::signals;
use mapache_plugin_api::sdk::score;
use mapache_plugin_api::sdk::{log, Conn, ConnState, Level};
use nix::sys::eventfd::{EfdFlags, EventFd};
use std::collections::VecDeque;
use std::os::fd::{AsFd, BorrowedFd, RawFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Work for a worker thread.
pub(crate) enum Task {
    /// Serve the buffered requests of the connection at `key` (generation `gen`) in the
    /// listener's table, then hand it back.
    Process { key: usize, gen: u32, conn: Conn },
    /// The connection's wait expired: tell the core (it may answer 408), then close it.
    Expire(Conn),
    /// Close the connection (the core may linger on it).
    Close(Conn),
}

/// A finished task, for the listener.
pub(crate) enum Done {
    /// The connection was served and waits for what `state` says.
    Parked {
        key: usize,
        gen: u32,
        conn: Conn,
        state: ConnState,
        /// The worker re-armed the descriptor for reading itself (see [`Pool::set_epoll`]):
        /// the listener must not, and an event may come before this result is taken.
        armed: bool,
    },
    /// The connection was served and closed.
    Closed { key: usize, gen: u32 },
    /// An expiry or a close finished: a worker is free again.
    Freed,
}

struct Shared {
    queue: Mutex<Queue>,
    work: Condvar,
    /// Tasks submitted and not finished yet (queued or running).
    outstanding: AtomicUsize,
    /// Worker threads that have not exited.
    running: AtomicUsize,
    done: Mutex<DoneList>,
    /// Readable when `done` has entries the listener must see soon.
    wake: EventFd,
    /// The listener's epoll, for re-arming kept-alive connections (-1: not set).
    epoll: AtomicI32,
}

/// Finished tasks, and whether the listener was woken for them.
struct DoneList {
    items: Vec<Done>,
    signaled: bool,
}

struct Queue {
    tasks: VecDeque<Task>,
    /// Set at shutdown: workers exit once the queue is empty.
    quit: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A worker that panicked while holding the lock left consistent data (plain pushes and pops).
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The worker threads and their queues.
pub(crate) struct Pool {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `size` worker threads with every signal blocked (handlers then run on the
    /// listener's thread). Fails when not even one thread could start.
    pub(crate) fn start(size: usize) -> Result<Pool, String> {
        let wake = EventFd::from_flags(EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK)
            .map_err(|e| format!("eventfd: {e}"))?;
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                tasks: VecDeque::with_capacity(size * 2),
                quit: false,
            }),
            work: Condvar::new(),
            outstanding: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            done: Mutex::new(DoneList {
                items: Vec::with_capacity(size * 2),
                signaled: false,
            }),
            wake,
            epoll: AtomicI32::new(-1),
        });
        let mask = signals::block_all().map_err(|e| format!("sigprocmask: {e}"))?;
        let mut threads = Vec::with_capacity(size);
        let mut failure = None;
        for i in 0..size {
            let s = shared.clone();
            s.running.fetch_add(1, Ordering::SeqCst);
            match std::thread::Builder::new()
                .name(format!("worker-{i}"))
                .spawn(move || {
                    score::bind_worker(i as u32);
                    work(&s);
                    score::set_worker_status(MAPACHE_WORKER_DEAD);
                }) {
                Ok(t) => threads.push(t),
                Err(e) => {
                    shared.running.fetch_sub(1, Ordering::SeqCst);
                    failure = Some(e);
                    break;
                }
            }
        }
        let _ = signals::set_mask(&mask);
        if let Some(e) = failure {
            if threads.is_empty() {
                return Err(format!("cannot start worker threads: {e}"));
            }
            log(
                Level::Error,
                &format!(
                    "only {} of {size} worker threads could start: {e}",
                    threads.len()
                ),
            );
        }
        Ok(Pool { shared, threads })
    }

    /// Number of worker threads.
    pub(crate) fn size(&self) -> usize {
        self.threads.len()
    }

    /// Worker threads without a task, counting queued tasks as taken.
    pub(crate) fn idle(&self) -> usize {
        self.size()
            .saturating_sub(self.shared.outstanding.load(Ordering::SeqCst))
    }

    /// Tasks waiting for a worker thread.
    pub(crate) fn queued(&self) -> usize {
        self.shared
            .outstanding
            .load(Ordering::SeqCst)
            .saturating_sub(self.size())
    }

    /// Queues a task for the next free worker.
    pub(crate) fn submit(&self, task: Task) {
        self.shared.outstanding.fetch_add(1, Ordering::SeqCst);
        lock(&self.shared.queue).tasks.push_back(task);
        self.shared.work.notify_one();
    }

    /// Readable when finished tasks wait to be taken.
    pub(crate) fn wake_fd(&self) -> BorrowedFd<'_> {
        self.shared.wake.as_fd()
    }

    /// Moves the finished tasks into `into` (which should be empty; its allocation is swapped
    /// in, so none is made per call).
    pub(crate) fn take_done(&self, into: &mut Vec<Done>) {
        let mut d = lock(&self.shared.done);
        // The wake-up is reset under the lock: a worker writes it again only after this.
        if d.signaled {
            let _ = self.shared.wake.read();
            d.signaled = false;
        }
        std::mem::swap(&mut d.items, into);
    }

    /// Lets workers re-arm a served connection that waits for its next request in `epoll`
    /// themselves, with the listener's token, instead of waking the listener to do it: one
    /// eventfd write, one eventfd read and one listener wake-up less per request. The listener
    /// takes such results when it next wakes: at the latest on the connection's next event, or
    /// after its longest wait (1 s), so an idle connection's keep-alive timer starts at most that
    /// late.
    pub(crate) fn set_epoll(&self, epoll: RawFd) {
        self.shared.epoll.store(epoll, Ordering::SeqCst);
    }

    /// Lets the workers finish the queued tasks, then stop; waits until `deadline` at most for
    /// them (a worker still busy then is left to the process's exit).
    pub(crate) fn finish(mut self, deadline: Instant) {
        lock(&self.shared.queue).quit = true;
        self.shared.work.notify_all();
        while self.shared.running.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        for t in self.threads.drain(..) {
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

/// A worker thread's loop.
fn work(shared: &Shared) {
    loop {
        let task = {
            let mut q = lock(&shared.queue);
            loop {
                if let Some(t) = q.tasks.pop_front() {
                    break Some(t);
                }
                if q.quit {
                    break None;
                }
                q = shared.work.wait(q).unwrap_or_else(|e| e.into_inner());
            }
        };
        let Some(task) = task else {
            break;
        };
        // The core catches handler panics itself; this keeps a bug here from losing the thread
        // and its place in the counts.
        let owner = match &task {
            Task::Process { key, gen, .. } => Some((*key, *gen)),
            _ => None,
        };
        let done = catch_unwind(AssertUnwindSafe(|| run(task))).unwrap_or_else(|_| {
            log(
                Level::Error,
                "a worker thread panicked; the connection was dropped",
            );
            match owner {
                Some((key, gen)) => Done::Closed { key, gen },
                None => Done::Freed,
            }
        });
        shared.outstanding.fetch_sub(1, Ordering::SeqCst);
        hand_back(shared, done);
    }
    shared.running.fetch_sub(1, Ordering::SeqCst);
}

/// Gives a result to the listener. A connection waiting for its next request is re-armed here,
/// under the result list's lock: the listener sees the connection's next event only after the
/// arming, and takes the lock to look for the result then, so it always finds it; and it cannot
/// close the connection (and free its descriptor number) before the arming is done.
fn hand_back(shared: &Shared, mut done: Done) {
    let epoll = shared.epoll.load(Ordering::SeqCst);
    let mut d = lock(&shared.done);
    let mut urgent = true;
    if let Done::Parked {
        key,
        gen,
        conn,
        state: ConnState::NeedRead,
        armed,
    } = &mut done
    {
        if epoll >= 0 {
            let mut event = libc::epoll_event {
                events: crate::listener::read_flags().bits() as u32,
                u64: crate::listener::conn_token(*key, *gen),
            };
            // SAFETY: the listener's epoll and the connection's open socket, registered there.
            *armed =
                unsafe { libc::epoll_ctl(epoll, libc::EPOLL_CTL_MOD, conn.fd(), &mut event) == 0 };
            urgent = !*armed;
        }
    }
    d.items.push(done);
    if urgent && !d.signaled {
        d.signaled = true;
        let _ = shared.wake.write(1);
    }
}

fn run(task: Task) -> Done {
    match task {
        Task::Process { key, gen, mut conn } => match conn.process() {
            ConnState::Close => {
                drop(conn);
                Done::Closed { key, gen }
            }
            state => Done::Parked {
                key,
                gen,
                conn,
                state,
                armed: false,
            },
        },
        Task::Expire(mut conn) => {
            conn.expire();
            Done::Freed
        }
        Task::Close(conn) => {
            drop(conn);
            Done::Freed
        }
    }
}
