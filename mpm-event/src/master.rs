//! The master process: forks the children, reaps and replaces them, relays a stop to them. The
//! same master as mpm_prefork's; only what a child does differs.
//!
//! It stays single-threaded and sleeps in `poll` on its self-pipe, woken by SIGCHLD and the stop
//! signals, and at least once a second for maintenance (refilling slots of dead children).

use crate::child::{self, Inherited, EXIT_INIT_FAILED};
use crate::settings::Settings;
use crate::signals::{self, Role, Signals};
use mapache_plugin_api::sdk::{log, Level, MpmContext, MpmExit};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, Signal};
use nix::unistd::{fork, getpid, pipe2, ForkResult, Pid};
use std::ffi::CStr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// How often maintenance runs, and so how soon a dead child is replaced.
const TICK: Duration = Duration::from_secs(1);
/// How long children get to exit after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(3);
/// How long to wait for children to be reaped after SIGKILL.
const KILL_GRACE: Duration = Duration::from_secs(2);

/// Logged when HUP or USR1 arrives: restarts come with a later version.
pub(crate) const RESTART_IGNORED: &str = "restart not supported yet by mpm_event, ignoring";

/// Runs the master loop until a stop signal, or until the first children all fail to start.
pub(crate) fn run(ctx: &MpmContext<'_>, settings: &Settings) -> MpmExit {
    let signals = match Signals::install(Role::Master) {
        Ok(s) => s,
        Err(e) => {
            log(
                Level::Emerg,
                &format!("cannot install signal handlers: {e}"),
            );
            return MpmExit::Failed;
        }
    };
    // The pipe of death: children poll the read end; end of file tells them the master is gone.
    let (pod_read, pod_write) = match pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK) {
        Ok(p) => p,
        Err(e) => {
            log(
                Level::Emerg,
                &format!("cannot create the pipe of death: {e}"),
            );
            return MpmExit::Failed;
        }
    };
    let mut master = Master {
        ctx,
        settings,
        signals,
        pod_read,
        pod_write: Some(pod_write),
        slots: vec![None; settings.max_children as usize],
        startup: StartupWatch::new(Vec::new()),
        pid: getpid(),
    };
    master.run()
}

struct Master<'a> {
    ctx: &'a MpmContext<'a>,
    settings: &'a Settings,
    signals: Signals,
    pod_read: OwnedFd,
    /// Closed at shutdown, so children still polling see end of file.
    pod_write: Option<OwnedFd>,
    /// The children by slot (the slot is handed to `child_init`); `None` is a free slot.
    slots: Vec<Option<Pid>>,
    startup: StartupWatch,
    pid: Pid,
}

impl Master<'_> {
    fn run(&mut self) -> MpmExit {
        log(Level::Debug, &format!("settings: {}", self.settings));
        let first = self.spawn_missing();
        log(
            Level::Notice,
            &format!(
                "{} children started (StartServers {})",
                first.len(),
                self.settings.start_servers
            ),
        );
        self.startup = StartupWatch::new(first);

        let mut next_tick = Instant::now() + TICK;
        loop {
            self.wait_until(next_tick);
            if signals::stop_requested() {
                log(Level::Notice, "caught SIGTERM, shutting down");
                self.stop_children();
                return MpmExit::Stop;
            }
            if signals::take_restart_request() {
                log(Level::Notice, RESTART_IGNORED);
            }
            let reaped = self.reap(false);
            if reaped.startup_failed {
                log(
                    Level::Emerg,
                    "Child failed to initialize: see the error log above; stopping",
                );
                self.stop_children();
                return MpmExit::Failed;
            }
            let now = Instant::now();
            if now >= next_tick {
                self.startup.expire();
                self.spawn_missing();
                next_tick = now + TICK;
            } else if reaped.clean_exits > 0 {
                // A child that served its MaxConnectionsPerChild is replaced at once; any other
                // end waits for the tick, so a child that cannot start is not forked in a loop.
                self.spawn_missing();
            }
        }
    }

    /// Sleeps until `deadline` or until a signal handler writes to the self-pipe.
    fn wait_until(&self, deadline: Instant) {
        let left = deadline.saturating_duration_since(Instant::now());
        // Rounded up, so the loop does not spin through the last fraction of a millisecond.
        let ms = left.as_micros().div_ceil(1000).min(u128::from(u16::MAX)) as u16;
        let mut fds = [PollFd::new(self.signals.wake_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => {
                log(Level::Error, &format!("poll: {e}"));
                // Keep the loop's pace even if poll cannot sleep.
                std::thread::sleep(left.min(TICK));
            }
        }
        signals::drain(self.signals.wake_fd());
    }

    fn alive(&self) -> usize {
        self.slots.iter().flatten().count()
    }

    /// Forks children into free slots until StartServers are alive. Returns the new pids.
    fn spawn_missing(&mut self) -> Vec<Pid> {
        let mut spawned = Vec::new();
        if self.startup.holds_respawns() {
            return spawned;
        }
        let target = self.settings.start_servers as usize;
        while self.alive() < target {
            let Some(slot) = self.slots.iter().position(Option::is_none) else {
                break;
            };
            match self.spawn(slot) {
                Ok(pid) => {
                    log(
                        Level::Debug,
                        &format!("child pid {pid} started in slot {slot}"),
                    );
                    self.slots[slot] = Some(pid);
                    spawned.push(pid);
                }
                Err(e) => {
                    // Retried at the next tick.
                    log(
                        Level::Error,
                        &format!("fork: Unable to fork new process: {e}"),
                    );
                    break;
                }
            }
        }
        spawned
    }

    /// Forks one child into `slot`. Signals stay blocked across the fork, so the child never runs
    /// the master's handlers.
    fn spawn(&self, slot: usize) -> nix::Result<Pid> {
        let mask = signals::block_all()?;
        // SAFETY: the master is single-threaded (the ABI forbids threads in it), so the child may
        // run ordinary code after fork.
        let forked = unsafe { fork() };
        match forked {
            Ok(ForkResult::Child) => {
                let mut close = self.signals.raw_fds().to_vec();
                close.extend(self.pod_write.as_ref().map(|fd| fd.as_raw_fd()));
                let inherited = Inherited {
                    master_pid: self.pid,
                    mask,
                    close,
                    pod: self.pod_read.as_raw_fd(),
                };
                child::run_child(self.ctx, slot as u32, self.settings, inherited)
            }
            Ok(ForkResult::Parent { child }) => {
                let _ = signals::set_mask(&mask);
                Ok(child)
            }
            Err(e) => {
                let _ = signals::set_mask(&mask);
                Err(e)
            }
        }
    }

    /// Reaps every child that exited, logs abnormal ends and frees their slots. `stopping`
    /// silences the SIGTERM and SIGKILL the master sent itself.
    fn reap(&mut self, stopping: bool) -> Reaped {
        let mut reaped = Reaped::default();
        loop {
            let mut status: libc::c_int = 0;
            // SAFETY: plain waitpid(2) on any child, without blocking. Every child is reaped here,
            // so none is left a zombie.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if pid == 0 {
                break;
            }
            if pid < 0 {
                match Errno::last() {
                    Errno::EINTR => continue,
                    Errno::ECHILD => break,
                    e => {
                        log(Level::Error, &format!("waitpid: {e}"));
                        break;
                    }
                }
            }
            let pid = Pid::from_raw(pid);
            let Some(exit) = ChildExit::from_wait_status(status) else {
                continue;
            };
            let Some(slot) = self.slots.iter().position(|s| *s == Some(pid)) else {
                log(
                    Level::Debug,
                    &format!("reaped pid {pid}, which is not a child of mpm_event"),
                );
                continue;
            };
            self.slots[slot] = None;
            if let Some(msg) = exit.describe(pid, stopping) {
                log(Level::Warn, &msg);
            }
            if exit == ChildExit::Exited(0) {
                reaped.clean_exits += 1;
            }
            if self.startup.record(pid, exit) {
                reaped.startup_failed = true;
            }
        }
        reaped
    }

    /// Reaps until no child is left or `deadline` passes; true when none is left. It reaps before
    /// it sleeps: children signalled together with the master (a TERM to the whole process group,
    /// as systemd sends) may be gone already, their SIGCHLD wake-up consumed.
    fn wait_for_exits(&mut self, deadline: Instant) -> bool {
        loop {
            self.reap(true);
            if self.alive() == 0 || Instant::now() >= deadline {
                return self.alive() == 0;
            }
            self.wait_until(deadline.min(Instant::now() + Duration::from_millis(100)));
        }
    }

    /// Stops every child: SIGTERM, up to [`STOP_GRACE`] to exit, then SIGKILL.
    fn stop_children(&mut self) {
        // End of file on the pipe of death stops any child that misses the signal.
        self.pod_write = None;
        for pid in self.slots.iter().flatten() {
            let _ = kill(*pid, Signal::SIGTERM);
        }
        if self.wait_for_exits(Instant::now() + STOP_GRACE) {
            return;
        }
        for pid in self.slots.iter().flatten() {
            log(
                Level::Warn,
                &format!("child process {pid} still did not exit, sending a SIGKILL"),
            );
            let _ = kill(*pid, Signal::SIGKILL);
        }
        self.wait_for_exits(Instant::now() + KILL_GRACE);
        for pid in self.slots.iter().flatten() {
            log(
                Level::Error,
                &format!("child process {pid} did not exit after SIGKILL"),
            );
        }
    }
}

/// What one round of reaping found.
#[derive(Clone, Copy, Debug, Default)]
struct Reaped {
    /// Children that exited with status 0 (recycled, or asked to stop).
    clean_exits: usize,
    /// Every child of the first batch failed in `child_init`.
    startup_failed: bool,
}

/// How a child ended, decoded from a waitpid(2) status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChildExit {
    /// It exited with this status.
    Exited(i32),
    /// A signal killed it.
    Signaled { signal: i32, core_dumped: bool },
}

impl ChildExit {
    /// `None` for a stop or continue report, which says nothing about an end.
    pub(crate) fn from_wait_status(status: libc::c_int) -> Option<ChildExit> {
        if libc::WIFEXITED(status) {
            Some(ChildExit::Exited(libc::WEXITSTATUS(status)))
        } else if libc::WIFSIGNALED(status) {
            Some(ChildExit::Signaled {
                signal: libc::WTERMSIG(status),
                core_dumped: libc::WCOREDUMP(status),
            })
        } else {
            None
        }
    }

    /// The error-log line for an end worth reporting, in Apache's words; `None` for a clean exit
    /// and, when `stopping`, for the signals the master sent.
    pub(crate) fn describe(self, pid: Pid, stopping: bool) -> Option<String> {
        match self {
            ChildExit::Exited(0) => None,
            ChildExit::Exited(status) => Some(format!("child pid {pid} exit status {status}")),
            ChildExit::Signaled { signal, .. }
                if stopping && (signal == libc::SIGTERM || signal == libc::SIGKILL) =>
            {
                None
            }
            ChildExit::Signaled {
                signal,
                core_dumped,
            } => Some(format!(
                "child pid {pid} exit signal {} ({signal}){}",
                signal_description(signal),
                if core_dumped {
                    ", possible coredump"
                } else {
                    ""
                }
            )),
        }
    }
}

/// The C library's description of a signal, e.g. `Segmentation fault`.
fn signal_description(signal: i32) -> String {
    // SAFETY: strsignal returns a NUL-terminated string that stays valid until the next call; it
    // is copied at once, and the master is single-threaded.
    let text = unsafe { libc::strsignal(signal) };
    if text.is_null() {
        return format!("signal {signal}");
    }
    // SAFETY: as above.
    unsafe { CStr::from_ptr(text) }
        .to_string_lossy()
        .into_owned()
}

/// Tells a child that cannot start from a server that cannot start: when every child of the first
/// batch exits with status 1 (`child_init` failed) before the first maintenance tick, the server
/// stops rather than fork replacements that would fail alike. Until then no slot is refilled.
#[derive(Debug)]
pub(crate) struct StartupWatch {
    /// First-batch children not reaped yet.
    pending: Vec<Pid>,
    size: usize,
    failed: usize,
    armed: bool,
}

impl StartupWatch {
    /// Watches `first_batch`; an empty batch (every fork failed) is not watched.
    pub(crate) fn new(first_batch: Vec<Pid>) -> StartupWatch {
        StartupWatch {
            size: first_batch.len(),
            armed: !first_batch.is_empty(),
            pending: first_batch,
            failed: 0,
        }
    }

    /// Slots freed while armed wait for the verdict.
    pub(crate) fn holds_respawns(&self) -> bool {
        self.armed
    }

    /// The first tick: children still alive have made it past `child_init`, or are slow at it.
    pub(crate) fn expire(&mut self) {
        self.armed = false;
    }

    /// Records a reaped child; `true` when it was the last of a first batch that all failed.
    pub(crate) fn record(&mut self, pid: Pid, exit: ChildExit) -> bool {
        if !self.armed {
            return false;
        }
        let Some(i) = self.pending.iter().position(|p| *p == pid) else {
            return false;
        };
        self.pending.swap_remove(i);
        if exit == ChildExit::Exited(EXIT_INIT_FAILED) {
            self.failed += 1;
            self.failed == self.size
        } else {
            self.armed = false;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(n: i32) -> Pid {
        Pid::from_raw(n)
    }

    #[test]
    fn exit_lines_use_apaches_words() {
        let segv = ChildExit::Signaled {
            signal: libc::SIGSEGV,
            core_dumped: false,
        };
        assert_eq!(
            segv.describe(pid(1234), false).unwrap(),
            "child pid 1234 exit signal Segmentation fault (11)"
        );
        let dumped = ChildExit::Signaled {
            signal: libc::SIGABRT,
            core_dumped: true,
        };
        assert_eq!(
            dumped.describe(pid(7), true).unwrap(),
            "child pid 7 exit signal Aborted (6), possible coredump"
        );
        assert_eq!(
            ChildExit::Exited(3).describe(pid(1234), false).unwrap(),
            "child pid 1234 exit status 3"
        );
        assert_eq!(ChildExit::Exited(0).describe(pid(1), false), None);
    }

    #[test]
    fn the_masters_own_kills_are_not_reported_while_stopping() {
        for signal in [libc::SIGTERM, libc::SIGKILL] {
            let exit = ChildExit::Signaled {
                signal,
                core_dumped: false,
            };
            assert_eq!(exit.describe(pid(1), true), None);
            assert!(exit.describe(pid(1), false).is_some());
        }
    }

    #[test]
    fn wait_statuses_are_decoded() {
        // Encodings as Linux builds them: exit status in the second byte, signal in the low bits,
        // 0x80 for a core dump, 0x7f for a stopped child.
        assert_eq!(
            ChildExit::from_wait_status(3 << 8),
            Some(ChildExit::Exited(3))
        );
        assert_eq!(
            ChildExit::from_wait_status(libc::SIGSEGV | 0x80),
            Some(ChildExit::Signaled {
                signal: libc::SIGSEGV,
                core_dumped: true
            })
        );
        assert_eq!(
            ChildExit::from_wait_status((libc::SIGSTOP << 8) | 0x7f),
            None
        );
    }

    #[test]
    fn startup_fails_when_every_first_child_fails_to_initialize() {
        let mut w = StartupWatch::new(vec![pid(1), pid(2), pid(3)]);
        assert!(w.holds_respawns());
        assert!(!w.record(pid(2), ChildExit::Exited(EXIT_INIT_FAILED)));
        assert!(!w.record(pid(99), ChildExit::Exited(EXIT_INIT_FAILED)));
        assert!(!w.record(pid(1), ChildExit::Exited(EXIT_INIT_FAILED)));
        assert!(w.record(pid(3), ChildExit::Exited(EXIT_INIT_FAILED)));
    }

    #[test]
    fn startup_is_fine_when_one_first_child_ends_otherwise() {
        let mut w = StartupWatch::new(vec![pid(1), pid(2)]);
        assert!(!w.record(pid(1), ChildExit::Exited(EXIT_INIT_FAILED)));
        assert!(!w.record(
            pid(2),
            ChildExit::Signaled {
                signal: libc::SIGSEGV,
                core_dumped: false
            }
        ));
        assert!(!w.holds_respawns());
    }

    #[test]
    fn startup_watch_ends_at_the_first_tick() {
        let mut w = StartupWatch::new(vec![pid(1), pid(2)]);
        assert!(!w.record(pid(1), ChildExit::Exited(EXIT_INIT_FAILED)));
        w.expire();
        assert!(!w.holds_respawns());
        assert!(!w.record(pid(2), ChildExit::Exited(EXIT_INIT_FAILED)));
    }

    #[test]
    fn an_empty_first_batch_is_not_watched() {
        let w = StartupWatch::new(Vec::new());
        assert!(!w.holds_respawns());
    }
}
