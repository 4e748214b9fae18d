//! A child's life, and `-X`: start ThreadsPerChild worker threads, each accepting and serving
//! connections (see `acceptor`), then watch signals and the pipe of death on the main thread until
//! it is time to stop.
//!
//! Threads start only here: after fork and `child_init` in a child, or in the master itself under
//! `-X` (Apache's one sanctioned exception). They start with every signal blocked, so only the
//! main thread runs the handlers; it is the control thread, and never serves.

use crate::acceptor::{self, Acceptor, Ended, Socket};
use mapache_mpm_kit::child::{self, read_pod, PodMessage};
use mapache_mpm_kit::exit::EXIT_FATAL;
use mapache_mpm_kit::signals::{self, Request, Role, Signals};
use mapache_mpm_kit::ChildStart;
use mapache_plugin_api::abi::MAPACHE_WORKER_DEAD;
use mapache_plugin_api::sdk::{host, log, score, Level, MpmContext, MpmExit};
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a stop waits for busy workers before the process exits under them: long enough for
/// a response being written to finish, short enough that a stop stays a stop (idle keep-alive
/// connections would otherwise hold it for KeepAliveTimeout).
const STOP_GRACE: Duration = Duration::from_millis(500);

/// The per-process part of the settings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Crew {
    /// Worker threads to start (ThreadsPerChild).
    pub(crate) threads: u32,
    /// Connections to accept before stopping (MaxConnectionsPerChild); 0 for no limit.
    pub(crate) max_connections: u32,
}

/// A forked child's life: the common prologue, then the threads until it is time to stop.
pub(crate) fn run_child(ctx: &MpmContext<'_>, start: ChildStart, threads: u32) -> ! {
    child::run(|| {
        let started = child::start(
            ctx,
            &start,
            Role::Child {
                exit_while_serving: false,
            },
        )?;
        let crew = Crew {
            threads,
            max_connections: start.max_connections,
        };
        let code = if signals::stop_requested() {
            0
        } else {
            match serve(ctx, &started.signals, Some(started.pod), crew) {
                Ok(()) => 0,
                Err(msg) => {
                    log(Level::Error, &msg);
                    EXIT_FATAL
                }
            }
        };
        ctx.child_exit();
        Ok(code)
    })
}

/// `-X`: serves in the master process itself, without forking, until TERM or INT.
pub(crate) fn run_one_process(ctx: &MpmContext<'_>, threads: u32) -> MpmExit {
    let signals = match child::start_one_process(ctx) {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    // MaxConnectionsPerChild does not apply: there is no one to start a replacement.
    let crew = Crew {
        threads,
        max_connections: 0,
    };
    let exit = match serve(ctx, &signals, None, crew) {
        Ok(()) => {
            log(Level::Notice, "shutting down");
            MpmExit::Stop
        }
        Err(msg) => {
            log(Level::Emerg, &msg);
            MpmExit::Failed
        }
    };
    ctx.child_exit();
    exit
}

/// What the worker threads share with the control thread. Owned by all of them (`Arc`): after a
/// stop with busy workers the control thread returns without joining them.
struct Shared {
    /// The core's listening sockets.
    sockets: Vec<Socket>,
    /// The stop pipe: its read end is in every thread's epoll; the control thread, or the thread
    /// that takes the child's last connection, writes to the other.
    stop: (OwnedFd, OwnedFd),
    /// Connections the threads accepted.
    accepted: AtomicU32,
    /// Worker threads still running.
    workers_alive: AtomicUsize,
    /// Worker threads still in their accept loop: the last one out lets go of the listening
    /// sockets, which no thread may be sleeping on when they close.
    accepting: AtomicUsize,
    /// Why accepting ended, once a thread's accept loop ended for a reason of its own
    /// (MaxConnectionsPerChild, a failure).
    ended: Mutex<Option<Ended>>,
}

impl Shared {
    fn take_end(&self) -> Option<Ended> {
        self.ended.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Records why accepting ended (the first reason stays) and tells the control thread.
    fn end(&self, why: Ended) {
        self.ended
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(why);
        signals::wake();
    }

    /// Every thread sleeping on the listeners leaves its accept loop.
    fn stop_accepting(&self) {
        let _ = nix::unistd::write(&self.stop.1, b"!");
    }
}

/// Counts a worker thread out when it ends, however it ends, and tells the control thread.
struct WorkerAlive(Arc<Shared>);

impl Drop for WorkerAlive {
    fn drop(&mut self) {
        self.0.workers_alive.fetch_sub(1, SeqCst);
        signals::wake();
    }
}

/// Counts a worker thread out of accepting when its accept loop ends, however it ends; the last
/// one closes this process's copies of the listening sockets.
struct Accepting(Arc<Shared>);

impl Drop for Accepting {
    fn drop(&mut self) {
        if self.0.accepting.fetch_sub(1, SeqCst) == 1 {
            (host().listeners_close)();
        }
    }
}

/// How far a stop has gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stopping {
    /// No more accepting; workers finish their connections, however long that takes.
    Graceful,
    /// No more accepting; busy workers are abandoned at the deadline.
    Now(Instant),
}

/// Starts the threads and runs the control loop until every worker has ended or a stop's grace
/// has run out. `Err` carries a message for the error log: the threads could not start, or
/// accepting failed (the child then exits so the master replaces it).
fn serve(
    ctx: &MpmContext<'_>,
    signals: &Signals,
    mut pod: Option<BorrowedFd<'_>>,
    crew: Crew,
) -> Result<(), String> {
    let stop =
        acceptor::stop_pipe().map_err(|e| format!("cannot create the workers' stop pipe: {e}"))?;
    let sockets: Vec<Socket> = ctx
        .listeners()
        .iter()
        .map(|l| Socket {
            fd: l.fd,
            addr: l.addr.to_owned(),
        })
        .collect();
    let shared = Arc::new(Shared {
        sockets,
        stop,
        accepted: AtomicU32::new(0),
        workers_alive: AtomicUsize::new(0),
        accepting: AtomicUsize::new(0),
        ended: Mutex::new(None),
    });
    let started = start_threads(&shared, crew);
    if let Err(msg) = started {
        // Threads already running see the stop; the process exits under any that do not.
        shared.stop_accepting();
        return Err(msg);
    }

    let mut failure = None;
    let mut stopping: Option<Stopping> = None;
    loop {
        let timeout = match stopping {
            Some(Stopping::Now(deadline)) => {
                let left = deadline.saturating_duration_since(Instant::now());
                // Rounded up, so the loop does not spin through the last fraction of a ms.
                let ms = left.as_micros().div_ceil(1000).min(u128::from(u16::MAX)) as u16;
                PollTimeout::from(ms)
            }
            _ => PollTimeout::NONE,
        };
        let pod_ready = wait(signals.wake_fd(), pod, timeout)?;
        signals::drain(signals.wake_fd());

        let mut wanted = None;
        if signals::stop_requested() {
            wanted = Some(Stopping::Now(Instant::now() + STOP_GRACE));
        } else if signals::graceful_requested() {
            wanted = Some(Stopping::Graceful);
        }
        if pod.is_none() && stopping.is_none() {
            // `-X`: there is no master to carry out a restart.
            match signals::take_request() {
                Some(Request::GracefulStop) => wanted = wanted.or(Some(Stopping::Graceful)),
                Some(_) => {
                    log(
                        Level::Notice,
                        "restarts are not possible with -X (one process); stopping instead",
                    );
                    wanted = wanted.or(Some(Stopping::Graceful));
                }
                None => {}
            }
        }
        if let (Some(fd), true) = (pod, pod_ready) {
            // A byte asks this child to stop; end of file means the master is gone or was
            // replaced by a graceful restart. Either way: finish what is in hand. (A master that
            // died also sends SIGTERM through PR_SET_PDEATHSIG, which stops the child now.)
            match read_pod(fd) {
                Ok(None) => {}
                Ok(Some(PodMessage::Stop | PodMessage::MasterGone)) => {
                    pod = None;
                    wanted = wanted.or(Some(Stopping::Graceful));
                }
                Err(msg) => {
                    pod = None;
                    failure = Some(msg);
                    wanted = wanted.or(Some(Stopping::Graceful));
                }
            }
        }
        match shared.take_end() {
            None | Some(Ended::Stopped) => {}
            Some(Ended::MaxConnections) => wanted = wanted.or(Some(Stopping::Graceful)),
            Some(Ended::Failed(msg)) => {
                failure = Some(msg);
                wanted = wanted.or(Some(Stopping::Graceful));
            }
        }

        if let Some(w) = wanted {
            let first = stopping.is_none();
            stopping = Some(match (stopping, w) {
                // A stop already under way only ever gets more urgent.
                (Some(Stopping::Now(d)), _) => Stopping::Now(d),
                _ => w,
            });
            if first {
                // Stop accepting: idle workers end at once (the last one out closes this
                // process's copies of the listening sockets), busy ones after their connection;
                // responses from now on close their connections.
                ctx.child_stopping();
                shared.stop_accepting();
            }
        }

        if shared.workers_alive.load(SeqCst) == 0 {
            if stopping.is_none() {
                failure.get_or_insert_with(|| "every worker thread ended".to_owned());
            }
            break;
        }
        if let Some(Stopping::Now(deadline)) = stopping {
            if Instant::now() >= deadline {
                log(
                    Level::Debug,
                    &format!(
                        "{} workers still busy after {} ms; exiting under them",
                        shared.workers_alive.load(SeqCst),
                        STOP_GRACE.as_millis()
                    ),
                );
                break;
            }
        }
    }
    match failure {
        Some(msg) => Err(msg),
        None => Ok(()),
    }
}

/// Starts the worker threads, with every signal blocked on them.
fn start_threads(shared: &Arc<Shared>, crew: Crew) -> Result<(), String> {
    // The host table lives as long as the process, unlike the context borrowed by `run`: threads
    // abandoned by a stop under `-X` may still be serving when `run` has returned.
    let serve_connection = host().serve_connection;
    let mask = signals::block_all().map_err(|e| format!("cannot block signals: {e}"))?;
    // Counted in before any starts: the first thread to finish must not find itself the last.
    shared.accepting.store(crew.threads as usize, SeqCst);
    let result = (|| {
        for n in 0..crew.threads {
            let mine = shared.clone();
            shared.workers_alive.fetch_add(1, SeqCst);
            let spawned = std::thread::Builder::new()
                .name(format!("worker-{n}"))
                .spawn(move || {
                    let alive = WorkerAlive(mine.clone());
                    let accepting = Accepting(mine);
                    score::bind_worker(n);
                    let shared = &*alive.0;
                    let ended = Acceptor {
                        sockets: &shared.sockets,
                        stop: shared.stop.0.as_fd(),
                        accepted: &shared.accepted,
                        max_connections: crew.max_connections,
                    }
                    .run(
                        |fd| {
                            serve_connection(fd);
                        },
                        // The child's last connection: the others stop accepting now, and the
                        // control thread stops the child gracefully while this one serves it.
                        || {
                            shared.stop_accepting();
                            shared.end(Ended::MaxConnections);
                        },
                    );
                    drop(accepting);
                    if let Ended::Failed(_) = ended {
                        shared.end(ended);
                    }
                    score::set_worker_status(MAPACHE_WORKER_DEAD);
                });
            if let Err(e) = spawned {
                shared.workers_alive.fetch_sub(1, SeqCst);
                // This thread and those after it never accept.
                for _ in n..crew.threads {
                    drop(Accepting(shared.clone()));
                }
                return Err(format!("unable to create worker thread: {e}"));
            }
        }
        Ok(())
    })();
    // The control thread takes signals again, whatever happened.
    let _ = signals::set_mask(&mask);
    result
}

/// Sleeps in poll on the self-pipe (and the pipe of death) until something happens or `timeout`.
/// Returns whether the pipe of death is readable.
fn wait(
    wake: BorrowedFd<'_>,
    pod: Option<BorrowedFd<'_>>,
    timeout: PollTimeout,
) -> Result<bool, String> {
    let mut fds = vec![PollFd::new(wake, PollFlags::POLLIN)];
    if let Some(pod) = pod {
        fds.push(PollFd::new(pod, PollFlags::POLLIN));
    }
    match poll(&mut fds, timeout) {
        Ok(_) | Err(Errno::EINTR) => {}
        Err(e) => return Err(format!("poll: {e}")),
    }
    Ok(fds
        .get(1)
        .is_some_and(|p| p.revents().is_none_or(|r| !r.is_empty())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::fcntl::OFlag;
    use nix::unistd::pipe2;

    #[test]
    fn wait_reports_a_readable_pipe_of_death() {
        let (wake_r, _wake_w) = pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK).unwrap();
        let (pod_r, pod_w) = pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK).unwrap();
        let zero = PollTimeout::from(0u16);
        assert_eq!(wait(wake_r.as_fd(), Some(pod_r.as_fd()), zero), Ok(false));
        drop(pod_w);
        assert_eq!(wait(wake_r.as_fd(), Some(pod_r.as_fd()), zero), Ok(true));
        assert_eq!(wait(wake_r.as_fd(), None, zero), Ok(false));
    }
}
