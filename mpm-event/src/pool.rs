//! The threads of one child and their queues. Each thread takes what there is to do: leading
//! (polling, then serving what the poll found: see `reactor`), serving a connection whose
//! request head is complete, answering an expired wait (a 408 may have to be written), or a close
//! that may linger. Results go back to the listener through a list and an eventfd wake-up.
//!
//! Connections to serve wait in their own queue, which the leader empties itself without waking
//! anyone: on a machine whose cores are all busy, a hand-off to another thread costs two context
//! switches per request, more than serving a small file does. Other threads take from that queue
//! only when awake anyway, or when the reactor's watch wakes them because requests waited there
//! a whole tick.

use mapache_mpm_kit::signals;
use mapache_plugin_api::abi::MAPACHE_WORKER_DEAD;
use mapache_plugin_api::sdk::score;
use mapache_plugin_api::sdk::{log, Conn, ConnState, Level};
use nix::sys::eventfd::{EfdFlags, EventFd};
use std::collections::VecDeque;
use std::os::fd::{AsFd, BorrowedFd, RawFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A connection with a complete request head, to serve.
pub(crate) struct Job {
    /// Its key and generation in the listener's table.
    pub(crate) key: usize,
    pub(crate) gen: u32,
    pub(crate) conn: Conn,
}

/// Work for a thread that may block, so never for the leader's own hands.
pub(crate) enum Task {
    /// Become the leader for term `term` (see [`Pool::depose`]); void once a later term began.
    Lead(u32),
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
        /// The thread re-armed the descriptor for reading itself (see [`Pool::set_epoll`]):
        /// the listener must not, and an event may come before this result is taken.
        armed: bool,
    },
    /// The connection was served and closed.
    Closed { key: usize, gen: u32 },
    /// An expiry or a close finished: a thread is free again (admission may resume accepting).
    Freed,
}

struct Shared {
    queue: Mutex<Queue>,
    work: Condvar,
    /// Jobs and tasks submitted and not finished yet (queued or running); leading is not one.
    outstanding: AtomicUsize,
    /// Threads started.
    size: AtomicUsize,
    /// Threads that have not exited.
    running: AtomicUsize,
    /// The current leadership term; written under the `done` lock (see [`Pool::depose`]).
    term: AtomicU32,
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
    /// Connections to serve, oldest first.
    jobs: VecDeque<Job>,
    /// Connections taken from `jobs` so far.
    taken: u64,
    /// Work that wakes a thread: leading first, then expiries and closes.
    tasks: VecDeque<Task>,
    /// Set at shutdown: threads exit once both queues are empty.
    quit: bool,
}

impl Queue {
    fn pop_job(&mut self) -> Option<Job> {
        let job = self.jobs.pop_front();
        self.taken += u64::from(job.is_some());
        job
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A thread that panicked while holding the lock left consistent data (plain pushes and pops).
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a thread found to do.
enum Work {
    Task(Task),
    Job(Job),
}

/// The threads of a child and their queues; clones share them.
#[derive(Clone)]
pub(crate) struct Pool {
    shared: Arc<Shared>,
}

impl Pool {
    /// Makes the queues; [`Pool::spawn`] starts the threads.
    pub(crate) fn new(size: usize) -> Result<Pool, String> {
        let wake = EventFd::from_flags(EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK)
            .map_err(|e| format!("eventfd: {e}"))?;
        Ok(Pool {
            shared: Arc::new(Shared {
                queue: Mutex::new(Queue {
                    jobs: VecDeque::with_capacity(size * 2),
                    taken: 0,
                    tasks: VecDeque::with_capacity(size * 2),
                    quit: false,
                }),
                work: Condvar::new(),
                outstanding: AtomicUsize::new(0),
                size: AtomicUsize::new(0),
                running: AtomicUsize::new(0),
                term: AtomicU32::new(0),
                done: Mutex::new(DoneList {
                    items: Vec::with_capacity(size * 2),
                    signaled: false,
                }),
                wake,
                epoll: AtomicI32::new(-1),
            }),
        })
    }

    /// Starts `size` threads with every signal blocked (handlers then run on the process's
    /// first thread). A thread handed [`Task::Lead`] calls `lead` with the term. Fails when not
    /// even one thread could start.
    pub(crate) fn spawn(
        &self,
        size: usize,
        lead: impl Fn(u32) + Send + Sync + 'static,
    ) -> Result<(), String> {
        let lead = Arc::new(lead);
        let mask = signals::block_all().map_err(|e| format!("sigprocmask: {e}"))?;
        let mut started = 0;
        let mut failure = None;
        for i in 0..size {
            let pool = self.clone();
            let lead = lead.clone();
            self.shared.running.fetch_add(1, Ordering::SeqCst);
            let spawned = std::thread::Builder::new()
                .name(format!("worker-{i}"))
                .spawn(move || {
                    score::bind_worker(i as u32);
                    pool.work(&*lead);
                    score::set_worker_status(MAPACHE_WORKER_DEAD);
                });
            match spawned {
                // Never joined: `finish` waits for the threads by their count, with a deadline.
                Ok(_) => started += 1,
                Err(e) => {
                    self.shared.running.fetch_sub(1, Ordering::SeqCst);
                    failure = Some(e);
                    break;
                }
            }
        }
        let _ = signals::set_mask(&mask);
        self.shared.size.store(started, Ordering::SeqCst);
        if let Some(e) = failure {
            if started == 0 {
                return Err(format!("cannot start worker threads: {e}"));
            }
            log(
                Level::Error,
                &format!("only {started} of {size} worker threads could start: {e}"),
            );
        }
        Ok(())
    }

    /// Number of threads.
    pub(crate) fn size(&self) -> usize {
        self.shared.size.load(Ordering::SeqCst)
    }

    /// Threads without a job or task, counting queued ones as taken.
    pub(crate) fn idle(&self) -> usize {
        self.size()
            .saturating_sub(self.shared.outstanding.load(Ordering::SeqCst))
    }

    /// Jobs and tasks waiting for a thread beyond what all threads could hold.
    pub(crate) fn queued(&self) -> usize {
        self.shared
            .outstanding
            .load(Ordering::SeqCst)
            .saturating_sub(self.size())
    }

    /// Queues a task and wakes a thread for it; leading goes first.
    pub(crate) fn submit(&self, task: Task) {
        {
            let mut q = lock(&self.shared.queue);
            if let Task::Lead(_) = task {
                q.tasks.push_front(task);
            } else {
                self.shared.outstanding.fetch_add(1, Ordering::SeqCst);
                q.tasks.push_back(task);
            }
        }
        self.shared.work.notify_one();
    }

    /// Queues a connection to serve, waking nobody: the leader serves it after its poll.
    pub(crate) fn queue_job(&self, job: Job) {
        self.shared.outstanding.fetch_add(1, Ordering::SeqCst);
        lock(&self.shared.queue).jobs.push_back(job);
    }

    /// The oldest connection waiting to be served, for the leader.
    pub(crate) fn take_job(&self) -> Option<Job> {
        lock(&self.shared.queue).pop_job()
    }

    /// Connections waiting to be served.
    pub(crate) fn jobs_waiting(&self) -> usize {
        self.jobs_progress().0
    }

    /// Connections waiting to be served, and how many were taken so far: a connection that
    /// waited at one look is still waiting at the next if fewer than that many were taken
    /// meanwhile.
    pub(crate) fn jobs_progress(&self) -> (usize, u64) {
        let q = lock(&self.shared.queue);
        (q.jobs.len(), q.taken)
    }

    /// Wakes up to `n` sleeping threads to help with the queued connections.
    pub(crate) fn help(&self, n: usize) {
        for _ in 0..n {
            self.shared.work.notify_one();
        }
    }

    /// The current leadership term.
    pub(crate) fn term(&self) -> u32 {
        self.shared.term.load(Ordering::SeqCst)
    }

    /// Ends the current leadership term and hands leading to another thread; the deposed leader
    /// finds out at its next look at [`Pool::term`] and carries on as a worker. A result it
    /// handed back quietly before the change (see [`Pool::hand_back`]) would wait for the new
    /// leader's next wake-up: the wake-up is sent here, under the same lock as the change.
    pub(crate) fn depose(&self) {
        let term = {
            let mut d = lock(&self.shared.done);
            let term = self.shared.term.load(Ordering::SeqCst).wrapping_add(1);
            self.shared.term.store(term, Ordering::SeqCst);
            if !d.items.is_empty() && !d.signaled {
                d.signaled = true;
                let _ = self.shared.wake.write(1);
            }
            term
        };
        self.submit(Task::Lead(term));
    }

    /// Readable when finished tasks wait to be taken.
    pub(crate) fn wake_fd(&self) -> BorrowedFd<'_> {
        self.shared.wake.as_fd()
    }

    /// Moves the finished tasks into `into` (which should be empty; its allocation is swapped
    /// in, so none is made per call).
    pub(crate) fn take_done(&self, into: &mut Vec<Done>) {
        let mut d = lock(&self.shared.done);
        // The wake-up is reset under the lock: a thread writes it again only after this.
        if d.signaled {
            let _ = self.shared.wake.read();
            d.signaled = false;
        }
        std::mem::swap(&mut d.items, into);
    }

    /// Lets threads re-arm a served connection that waits for its next request in `epoll`
    /// themselves, with the listener's token, instead of waking the listener to do it: one
    /// eventfd write, one eventfd read and one listener wake-up less per request. The listener
    /// takes such results when it next wakes: at the latest on the connection's next event, or
    /// after its longest wait (1 s), so an idle connection's keep-alive timer starts at most that
    /// late.
    pub(crate) fn set_epoll(&self, epoll: RawFd) {
        self.shared.epoll.store(epoll, Ordering::SeqCst);
    }

    /// Serves `job`: the core runs every buffered request. A panic here (the core catches
    /// handlers' own) loses the connection, never the thread.
    pub(crate) fn serve(&self, job: Job) -> Done {
        let Job { key, gen, mut conn } = job;
        let done = catch_unwind(AssertUnwindSafe(move || match conn.process() {
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
        }))
        .unwrap_or_else(|_| {
            log(
                Level::Error,
                "a worker thread panicked; the connection was dropped",
            );
            Done::Closed { key, gen }
        });
        self.shared.outstanding.fetch_sub(1, Ordering::SeqCst);
        done
    }

    /// Gives a result to the listener. A connection waiting for its next request is re-armed
    /// here, under the result list's lock: the listener sees the connection's next event only
    /// after the arming, and takes the lock to look for the result then, so it always finds it;
    /// and it cannot close the connection (and free its descriptor number) before the arming is
    /// done. Other results wake the listener, unless `leader` is the current term: a leader
    /// looks at the results itself before it polls again.
    pub(crate) fn hand_back(&self, mut done: Done, leader: Option<u32>) {
        let shared = &*self.shared;
        let epoll = shared.epoll.load(Ordering::SeqCst);
        let mut d = lock(&shared.done);
        let mut urgent = leader != Some(shared.term.load(Ordering::SeqCst));
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
                // SAFETY: the listener's epoll and the connection's open socket, registered
                // there.
                *armed = unsafe {
                    libc::epoll_ctl(epoll, libc::EPOLL_CTL_MOD, conn.fd(), &mut event) == 0
                };
                urgent &= !*armed;
            }
        }
        d.items.push(done);
        if urgent && !d.signaled {
            d.signaled = true;
            let _ = shared.wake.write(1);
        }
    }

    /// Lets the threads finish the queued work, then stop; waits until `deadline` at most for
    /// them (a thread still busy then is left to the process's exit).
    pub(crate) fn finish(&self, deadline: Instant) {
        lock(&self.shared.queue).quit = true;
        self.shared.work.notify_all();
        while self.shared.running.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// A thread's loop.
    fn work(&self, lead: &dyn Fn(u32)) {
        while let Some(work) = self.next() {
            match work {
                Work::Task(Task::Lead(term)) => lead(term),
                Work::Task(task) => {
                    // The core catches handler panics itself; this keeps a bug here from losing
                    // the thread and its place in the counts.
                    if catch_unwind(AssertUnwindSafe(|| match task {
                        Task::Expire(mut conn) => {
                            conn.expire();
                        }
                        Task::Close(conn) => drop(conn),
                        Task::Lead(_) => {}
                    }))
                    .is_err()
                    {
                        log(
                            Level::Error,
                            "a worker thread panicked; the connection was dropped",
                        );
                    }
                    self.shared.outstanding.fetch_sub(1, Ordering::SeqCst);
                    self.hand_back(Done::Freed, None);
                }
                Work::Job(job) => {
                    let done = self.serve(job);
                    self.hand_back(done, None);
                }
            }
        }
        self.shared.running.fetch_sub(1, Ordering::SeqCst);
    }

    /// Waits for work: tasks first (leading, then what may block), then connections to serve.
    /// `None` at shutdown once nothing is left.
    fn next(&self) -> Option<Work> {
        let mut q = lock(&self.shared.queue);
        loop {
            if let Some(t) = q.tasks.pop_front() {
                return Some(Work::Task(t));
            }
            if let Some(j) = q.pop_job() {
                return Some(Work::Job(j));
            }
            if q.quit {
                return None;
            }
            q = self.shared.work.wait(q).unwrap_or_else(|e| e.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn woken(pool: &Pool) -> bool {
        let mut p = [nix::poll::PollFd::new(
            pool.wake_fd(),
            nix::poll::PollFlags::POLLIN,
        )];
        nix::poll::poll(&mut p, nix::poll::PollTimeout::ZERO).is_ok_and(|n| n > 0)
    }

    fn taken(pool: &Pool) -> usize {
        let mut done = Vec::new();
        pool.take_done(&mut done);
        done.len()
    }

    #[test]
    fn the_leader_hands_back_quietly_others_wake_the_listener() {
        let pool = Pool::new(2).unwrap();
        let term = pool.term();
        pool.hand_back(Done::Closed { key: 1, gen: 1 }, Some(term));
        assert!(!woken(&pool), "the leader looks at its results itself");
        assert_eq!(taken(&pool), 1);
        pool.hand_back(Done::Closed { key: 2, gen: 1 }, None);
        assert!(woken(&pool), "a worker's result wakes the listener");
        assert_eq!(taken(&pool), 1);
        assert!(!woken(&pool), "taking the results resets the wake-up");
    }

    #[test]
    fn deposing_wakes_the_new_leader_for_results_handed_back_quietly() {
        let pool = Pool::new(2).unwrap();
        let old = pool.term();
        pool.hand_back(Done::Closed { key: 1, gen: 1 }, Some(old));
        assert!(!woken(&pool));
        pool.depose();
        assert_ne!(pool.term(), old);
        assert!(
            woken(&pool),
            "the quiet result must not wait for another event"
        );
        assert_eq!(taken(&pool), 1);
        // After the change the old leader's results are no longer quiet.
        pool.hand_back(Done::Closed { key: 2, gen: 1 }, Some(old));
        assert!(woken(&pool));
        // Deposing with no result waiting wakes nobody.
        assert_eq!(taken(&pool), 1);
        pool.depose();
        assert!(!woken(&pool));
    }

    #[test]
    fn the_newest_term_leads_first_and_leading_is_not_counted_as_work() {
        let pool = Pool::new(1).unwrap();
        pool.submit(Task::Lead(pool.term()));
        pool.depose();
        let first = pool.next();
        assert!(matches!(first, Some(Work::Task(Task::Lead(t))) if t == pool.term()));
        assert_eq!(pool.shared.outstanding.load(Ordering::SeqCst), 0);
        assert!(pool.take_job().is_none());
        assert_eq!(pool.jobs_progress(), (0, 0), "an empty take is not counted");
    }
}
