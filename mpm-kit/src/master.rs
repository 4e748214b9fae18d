//! The master process every bundled MPM runs: it forks the children, reaps and replaces them,
//! keeps the idle workers between their bounds, watches the children's health, and carries out
//! the control signals (stop, restart, graceful restart, graceful stop).
//!
//! It stays single-threaded (threads start only in children) and sleeps in `poll` on its
//! self-pipe, woken by SIGCHLD and the control signals, and at least once a second for
//! maintenance. What a child does is the MPM's: [`run`] takes it as a function that never
//! returns.
//!
//! Generations: the scoreboard (made by the core, see `score_open`) carries the generation. A
//! graceful restart returns [`MpmExit::Graceful`] with the children still running; the core
//! re-executes the server in place, and the new master finds them in the scoreboard's process
//! records, tells them to finish, reaps them, and stops them after GracefulRestartTimeout.

use crate::exit::{ChildExit, StartupWatch};
use crate::lifecycle::Lifecycle;
use crate::maintenance::{self, Action, Backoff, Census, Spares};
use crate::signals::{self, Request, Role, Signals};
use mapache_plugin_api::abi;
use mapache_plugin_api::sdk::{log, score, Level, MpmContext, MpmExit};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, SigSet, Signal};
use nix::unistd::{fork, getpid, pipe2, ForkResult, Pid};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How often maintenance runs.
const TICK: Duration = Duration::from_secs(1);
/// How long children get to exit after SIGTERM before SIGKILL (threaded children give busy
/// workers half a second, then exit under them).
const STOP_GRACE: Duration = Duration::from_secs(3);
/// How long to wait for children to be reaped after SIGKILL.
const KILL_GRACE: Duration = Duration::from_secs(2);
/// How long a threaded child with a stuck worker may finish its other requests before it is
/// killed.
const STUCK_GRACE: Duration = Duration::from_secs(10);

/// What an MPM tells the master about its children.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The module's name, for log lines (`mpm_prefork`).
    pub name: &'static str,
    /// Process slots (ServerLimit): the scoreboard's process records.
    pub server_limit: u32,
    /// Worker records per process (ThreadLimit; 1 for prefork).
    pub thread_limit: u32,
    /// Workers each child runs (ThreadsPerChild; 1 for prefork).
    pub threads_per_child: u32,
    /// Children forked at start (StartServers).
    pub start_servers: u32,
    /// Children of the current generation alive at once at most (MaxRequestWorkers divided by
    /// ThreadsPerChild).
    pub max_children: u32,
    /// Idle workers wanted at least (MinSpareServers, MinSpareThreads).
    pub min_spare: u32,
    /// Idle workers tolerated at most (MaxSpareServers, MaxSpareThreads).
    pub max_spare: u32,
    /// MaxConnectionsPerChild (0: no limit), before jitter.
    pub max_connections_per_child: u32,
    /// The shared lifecycle directives.
    pub lifecycle: Lifecycle,
    /// The MPM's settings in one line, for the start-up log line.
    pub summary: String,
}

/// What a freshly forked child receives.
#[derive(Debug)]
pub struct ChildStart {
    /// Its process slot (handed to `child_init`).
    pub slot: u32,
    /// The generation it belongs to.
    pub generation: u32,
    /// Connections to serve before exiting (jitter applied); 0 for no limit.
    pub max_connections: u32,
    /// The master, to notice that it died before `PR_SET_PDEATHSIG` was set.
    pub master_pid: Pid,
    /// The master's signal mask from before the fork (every signal is blocked until then).
    pub mask: SigSet,
    /// Descriptors that belong to the master alone, to close: its self-pipe, the pipe of
    /// death's write end.
    pub close: Vec<RawFd>,
    /// Read end of the pipe of death: a byte asks one child to stop gracefully (maintenance);
    /// end of file means the master is gone or was replaced by a restart (stop gracefully too).
    pub pod: RawFd,
}

/// One child the master knows of.
#[derive(Clone, Debug)]
struct Child {
    pid: Pid,
    generation: u32,
    started: Instant,
    /// Told to stop gracefully (old generation, memory ceiling, watchdog); not counted by
    /// maintenance.
    stopping: bool,
    /// Stopped accepting on its own, as the scoreboard says (MaxConnectionsPerChild in a
    /// threaded child, a byte on the pipe of death, a failure): finishing what it holds, and no
    /// longer counted by maintenance either.
    quiescing: bool,
    /// Stopped by the master (TERM or KILL): its death by those signals is not reported.
    killed: bool,
    /// Stop it (TERM) at this time: an old generation's deadline.
    deadline: Option<Instant>,
    /// Send SIGKILL at this time (after a TERM, or for a child with a stuck worker).
    kill_at: Option<Instant>,
}

/// Runs the master loop until the server stops or restarts. `child` runs a forked child to its
/// end and should exit the process itself ([`child::run`](crate::child::run)); should it return,
/// the child exits with status 2.
pub fn run(ctx: &MpmContext<'_>, plan: &Plan, child: &dyn Fn(ChildStart)) -> MpmExit {
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
    let board = ctx.score_open(plan.server_limit, plan.thread_limit);
    if !board {
        log(
            Level::Warn,
            "no scoreboard: spare-worker maintenance and the stuck-request watchdog are off",
        );
    }
    let generation = score::global().map_or(0, |g| g.generation);
    let mut master = Master {
        ctx,
        plan,
        child,
        signals,
        pod_read,
        pod_write: Some(pod_write),
        slots: vec![None; plan.server_limit as usize],
        generation,
        board,
        startup: StartupWatch::new(Vec::new()),
        spares: Spares::new(plan.min_spare, plan.max_spare),
        backoff: Backoff::default(),
        floor: maintenance::floor(
            plan.min_spare,
            plan.threads_per_child,
            plan.start_servers,
            plan.max_children,
        ),
        hold_until: None,
        newest: None,
        owed: 0,
        asked: 0,
        pid: getpid(),
    };
    master.run()
}

struct Master<'a> {
    ctx: &'a MpmContext<'a>,
    plan: &'a Plan,
    child: &'a dyn Fn(ChildStart),
    signals: Signals,
    pod_read: OwnedFd,
    /// Closed when the master stops or restarts, so children still polling see end of file.
    pod_write: Option<OwnedFd>,
    /// The children by process slot; `None` is a free slot.
    slots: Vec<Option<Child>>,
    generation: u32,
    /// The scoreboard exists (maintenance and the watchdog read it).
    board: bool,
    startup: StartupWatch,
    spares: Spares,
    backoff: Backoff,
    /// The fewest serving children the backoff may leave (see [`maintenance::floor`]).
    floor: u32,
    /// No child beyond the floor is started before this time (backoff after early crashes).
    hold_until: Option<Instant>,
    /// The most recently forked child, to end a backoff streak once it lives long enough.
    newest: Option<Pid>,
    /// Children that ended on their own (crashed, killed from outside, or recycled after
    /// MaxConnectionsPerChild) and are replaced as soon as the backoff allows, whatever the spare
    /// counts say.
    owed: u32,
    /// Stop requests written to the pipe of death and not yet matched by a clean exit: those
    /// exits are maintenance's doing and are not replaced.
    asked: u32,
    pid: Pid,
}

impl Master<'_> {
    fn run(&mut self) -> MpmExit {
        log(
            Level::Debug,
            &format!("settings: {}; {}", self.plan.summary, self.plan.lifecycle),
        );
        let old = self.adopt_old_generation();
        let first = self.spawn_up_to(self.plan.start_servers);
        log(
            Level::Notice,
            &format!(
                "generation {}: {} children started ({}){}",
                self.generation,
                first.len(),
                self.plan.summary,
                if old > 0 {
                    format!(", {old} of older generations finishing")
                } else {
                    String::new()
                }
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
            if let Some(req) = signals::take_request() {
                if let Some(exit) = self.on_request(req) {
                    return exit;
                }
            }
            let reaped = self.reap();
            if reaped.startup_failed {
                log(
                    Level::Emerg,
                    "Child failed to initialize: see the error log above; stopping the server",
                );
                self.stop_children();
                return MpmExit::Failed;
            }
            self.fill_floor();
            let now = Instant::now();
            if now >= next_tick {
                self.startup.expire();
                self.check_health(now);
                self.note_quiescing();
                self.fill_floor();
                self.replace_owed();
                self.maintain();
                next_tick = now + TICK;
            } else if self.owed > 0 {
                self.replace_owed();
            }
        }
    }

    /// Carries out HUP, USR1 or WINCH; `Some` when the master's run ends.
    fn on_request(&mut self, req: Request) -> Option<MpmExit> {
        match req {
            Request::GracefulStop => {
                log(Level::Notice, "caught SIGWINCH, shutting down gracefully");
                self.graceful_stop();
                Some(MpmExit::Stop)
            }
            Request::Restart | Request::Graceful => {
                log(
                    Level::Notice,
                    if req == Request::Restart {
                        "SIGHUP received.  Attempting to restart"
                    } else {
                        "Graceful restart requested, doing restart"
                    },
                );
                if let Err(e) = self.ctx.config_check() {
                    log(
                        Level::Error,
                        &format!(
                            "restart refused: {e}; still serving with the running configuration \
                             (fix it, then restart again)"
                        ),
                    );
                    return None;
                }
                if req == Request::Restart {
                    self.stop_children();
                    Some(MpmExit::Restart)
                } else {
                    // The children finish what they hold; the new master reaps them. The pipe
                    // of death closing tells those that are idle; USR1 tells those in the middle
                    // of a kept-alive connection to close it after the current request.
                    self.pod_write = None;
                    for c in self.slots.iter().flatten() {
                        let _ = kill(c.pid, Signal::SIGUSR1);
                    }
                    Some(MpmExit::Graceful)
                }
            }
        }
    }

    /// After a graceful restart: the children still in the scoreboard are the old generations'.
    /// They are told to finish (again: a USR1 before the exec may have met a child still
    /// starting) and get their deadline. Returns how many there are.
    fn adopt_old_generation(&mut self) -> usize {
        if !self.board {
            return 0;
        }
        let now = Instant::now();
        let deadline = self
            .plan
            .lifecycle
            .graceful_restart_timeout
            .map(|d| now + d);
        let mut count = 0;
        for slot in 0..self.plan.server_limit {
            let Some(p) = score::process(slot) else {
                break;
            };
            if p.pid <= 0 {
                continue;
            }
            let pid = Pid::from_raw(p.pid);
            let _ = kill(pid, Signal::SIGUSR1);
            self.slots[slot as usize] = Some(Child {
                pid,
                generation: p.generation,
                started: now,
                stopping: true,
                quiescing: false,
                killed: false,
                deadline,
                kill_at: None,
            });
            count += 1;
        }
        count
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

    /// Children of the current generation that maintenance counts (still accepting: neither
    /// told to stop nor quiescing).
    fn serving(&self) -> impl Iterator<Item = (usize, &Child)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().map(|c| (i, c)))
            .filter(|(_, c)| !c.stopping && !c.quiescing && c.generation == self.generation)
    }

    /// Forks children into free slots until `target` of the current generation serve. Returns
    /// the new pids.
    fn spawn_up_to(&mut self, target: u32) -> Vec<Pid> {
        let have = self.serving().count() as u32;
        self.spawn(target.saturating_sub(have))
    }

    /// Forks up to `n` children into free slots, within the child limit.
    fn spawn(&mut self, n: u32) -> Vec<Pid> {
        let mut spawned = Vec::new();
        for _ in 0..n {
            if self.serving().count() as u32 >= self.plan.max_children {
                break;
            }
            let Some(slot) = self.slots.iter().position(Option::is_none) else {
                break;
            };
            match self.fork_child(slot) {
                Ok(pid) => {
                    log(
                        Level::Debug,
                        &format!("child pid {pid} started in slot {slot}"),
                    );
                    self.ctx.score_child_started(slot as u32, pid.as_raw());
                    self.slots[slot] = Some(Child {
                        pid,
                        generation: self.generation,
                        started: Instant::now(),
                        stopping: false,
                        quiescing: false,
                        killed: false,
                        deadline: None,
                        kill_at: None,
                    });
                    self.newest = Some(pid);
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
    fn fork_child(&self, slot: usize) -> nix::Result<Pid> {
        let mask = signals::block_all()?;
        let max_connections = self
            .plan
            .lifecycle
            .connection_limit(self.plan.max_connections_per_child, random());
        // SAFETY: the master is single-threaded (the ABI forbids threads in it, and the MPMs
        // start their threads in children only), so the child may run ordinary code after fork.
        let forked = unsafe { fork() };
        match forked {
            Ok(ForkResult::Child) => {
                let mut close = self.signals.raw_fds().to_vec();
                close.extend(self.pod_write.as_ref().map(|fd| fd.as_raw_fd()));
                let start = ChildStart {
                    slot: slot as u32,
                    generation: self.generation,
                    max_connections,
                    master_pid: self.pid,
                    mask,
                    close,
                    pod: self.pod_read.as_raw_fd(),
                };
                let _ =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (self.child)(start)));
                // SAFETY: never return into the master's loop from a child.
                unsafe { libc::_exit(crate::exit::EXIT_FATAL) }
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

    /// Reaps every child that exited, logs abnormal ends and frees their slots.
    fn reap(&mut self) -> Reaped {
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
            let Some(slot) = self
                .slots
                .iter()
                .position(|s| s.as_ref().is_some_and(|c| c.pid == pid))
            else {
                log(
                    Level::Debug,
                    &format!(
                        "reaped pid {pid}, which is not a child of {}",
                        self.plan.name
                    ),
                );
                continue;
            };
            let ready = self.was_ready(slot);
            let Some(child) = self.slots[slot].take() else {
                continue;
            };
            self.ctx.score_child_exited(slot as u32);
            if let Some(msg) = exit.describe(pid, child.killed) {
                log(Level::Warn, &msg);
            }
            if child.generation != self.generation {
                if !self
                    .slots
                    .iter()
                    .flatten()
                    .any(|c| c.generation == child.generation)
                {
                    log(
                        Level::Info,
                        &format!("generation {}: all children have exited", child.generation),
                    );
                }
                continue;
            }
            if self.startup.record(pid, exit) {
                reaped.startup_failed = true;
            }
            // A quiescing child was accounted for when it began to quiesce.
            if !child.stopping && !child.killed && !child.quiescing {
                self.account_for_end(exit.is_clean());
            }
            if exit.is_crash() && !child.killed {
                let lived = child.started.elapsed();
                let hold = self.backoff.record_crash(lived, ready);
                if !hold.is_zero() {
                    let (what, next) = if self.backoff.holds_floor() {
                        (
                            ", before it was ready to serve,",
                            "the next child".to_owned(),
                        )
                    } else {
                        ("", format!("children beyond {} start", self.floor))
                    };
                    log(
                        Level::Error,
                        &format!(
                            "child pid {pid} died {:.1} s after it started{what} {} times in a \
                             row: backoff, {next} in {} s",
                            lived.as_secs_f64(),
                            self.backoff.streak(),
                            hold.as_secs()
                        ),
                    );
                    self.hold_until = Some(Instant::now() + hold);
                }
            }
        }
        reaped
    }

    /// A child of the current generation stopped accepting on its own (it ended, or began to
    /// quiesce). A clean end is the answer to a stop request of maintenance's when one is
    /// pending; any other is replaced.
    fn account_for_end(&mut self, clean: bool) {
        if clean && self.asked > 0 {
            self.asked -= 1;
        } else {
            self.owed += 1;
        }
    }

    /// Whether the child in `slot` got ready to serve: one of its worker records left `S` (the
    /// core binds a child's first record once its `child_init` succeeded). Read before the slot
    /// is freed; without a scoreboard, never.
    fn was_ready(&self, slot: usize) -> bool {
        self.board
            && (0..self.plan.thread_limit)
                .map_while(|t| score::worker(slot as u32, t))
                .any(|w| {
                    !matches!(
                        w.status,
                        abi::MAPACHE_WORKER_STARTING | abi::MAPACHE_WORKER_DEAD
                    )
                })
    }

    /// Marks the children that the scoreboard shows quiescing on their own: they accept no
    /// more, so maintenance and the floor stop counting them now rather than when they exit,
    /// which may take as long as their connections last.
    fn note_quiescing(&mut self) {
        if !self.board {
            return;
        }
        for slot in 0..self.slots.len() {
            let Some(c) = &self.slots[slot] else {
                continue;
            };
            if c.stopping || c.quiescing || c.killed || c.generation != self.generation {
                continue;
            }
            let pid = c.pid;
            let quiescing = score::process(slot as u32)
                .is_some_and(|p| p.pid == pid.as_raw() && p.quiescing != 0);
            if quiescing {
                log(
                    Level::Debug,
                    &format!("child pid {pid} accepts no more and finishes what it holds"),
                );
                self.update(slot, |c| c.quiescing = true);
                self.account_for_end(true);
            }
        }
    }

    /// Starts children at once while fewer than the floor serve: the backoff only slows what
    /// comes beyond it. Except while the first batch's verdict is pending, and during a hold
    /// after children crashed before they were ready (a crash loop at start-up).
    fn fill_floor(&mut self) {
        if self.startup.holds_respawns() {
            return;
        }
        let held = self.hold_until.is_some_and(|t| Instant::now() < t);
        if held && self.backoff.holds_floor() {
            return;
        }
        let serving = self.serving().count() as u32;
        if serving >= self.floor {
            return;
        }
        let started = self.spawn(self.floor - serving).len() as u32;
        // They stand in for children owed.
        self.owed = self.owed.saturating_sub(started);
    }

    /// Whether new children must wait: the first batch's verdict is pending, or a backoff runs.
    fn held(&mut self) -> bool {
        if self.startup.holds_respawns() {
            return true;
        }
        if let Some(t) = self.hold_until {
            if Instant::now() < t {
                return true;
            }
            self.hold_until = None;
        }
        false
    }

    /// Replaces children that ended on their own, one at a time while a backoff streak runs.
    fn replace_owed(&mut self) {
        if self.owed == 0 || self.held() {
            return;
        }
        let n = if self.backoff.streak() > 1 {
            1
        } else {
            self.owed
        };
        let started = self.spawn(n).len() as u32;
        // What could not start (no room) is maintenance's to judge.
        self.owed = if started == n { self.owed - n } else { 0 };
    }

    /// Starts or stops children to keep the idle workers between their bounds.
    fn maintain(&mut self) {
        if self.held() {
            return;
        }
        if !self.board {
            self.spawn_up_to(self.plan.start_servers);
            return;
        }
        let census = self.census();
        let (action, line) = self.spares.decide(census);
        if let Some(line) = line {
            log(Level::Error, line);
        }
        match action {
            Action::Spawn(n) => {
                // While the backoff streak runs, one child at a time.
                let n = if self.backoff.streak() > 1 { 1 } else { n };
                self.spawn(n);
            }
            Action::StopOne => {
                if let Some(pod) = &self.pod_write {
                    // Any idle child takes the byte and stops gracefully.
                    if nix::unistd::write(pod, b"!").is_ok() {
                        self.asked += 1;
                    }
                }
            }
            Action::Nothing => {}
        }
    }

    /// Counts idle workers (ready or starting, as Apache does) of the serving children.
    fn census(&self) -> Census {
        let mut idle = 0;
        let mut children = 0;
        for (slot, _) in self.serving() {
            children += 1;
            for t in 0..self.plan.threads_per_child {
                let status = score::worker(slot as u32, t)
                    .map_or(abi::MAPACHE_WORKER_STARTING, |w| w.status);
                if matches!(
                    status,
                    abi::MAPACHE_WORKER_READY | abi::MAPACHE_WORKER_STARTING
                ) {
                    idle += 1;
                }
            }
        }
        let free = self.slots.iter().filter(|s| s.is_none()).count() as u32;
        Census {
            idle,
            children,
            room: self.plan.max_children.saturating_sub(children).min(free),
        }
    }

    /// Deadlines of old generations, the stuck-request watchdog, the memory ceiling, and the end
    /// of a backoff streak.
    fn check_health(&mut self, now: Instant) {
        if let Some(pid) = self.newest {
            if let Some(c) = self.slots.iter().flatten().find(|c| c.pid == pid) {
                if now.duration_since(c.started) >= Backoff::EARLY {
                    self.backoff.record_survivor();
                    self.newest = None;
                }
            }
        }
        let restart_timeout = self.plan.lifecycle.graceful_restart_timeout;
        let stuck_limit = self.plan.lifecycle.stuck_request_timeout;
        let memory_limit = self.plan.lifecycle.max_memory_per_child;
        for slot in 0..self.slots.len() {
            let Some(c) = self.slots[slot].clone() else {
                continue;
            };
            if let Some(t) = c.kill_at {
                if now >= t {
                    let _ = kill(c.pid, Signal::SIGKILL);
                    self.update(slot, |c| c.kill_at = None);
                }
                continue;
            }
            if c.killed {
                continue;
            }
            if let (Some(deadline), Some(limit)) = (c.deadline, restart_timeout) {
                if now >= deadline {
                    log(
                        Level::Warn,
                        &format!(
                            "child pid {} of generation {} still running after \
                             GracefulRestartTimeout ({} s): stopping it",
                            c.pid,
                            c.generation,
                            limit.as_secs()
                        ),
                    );
                    let _ = kill(c.pid, Signal::SIGTERM);
                    self.update(slot, |c| {
                        c.killed = true;
                        c.kill_at = Some(now + STOP_GRACE);
                    });
                    continue;
                }
            }
            if let Some(limit) = stuck_limit {
                if self.board && self.condemn_if_stuck(slot, &c, limit, now) {
                    continue;
                }
            }
            if let Some(limit) = memory_limit {
                if !c.stopping {
                    if let Some(rss) = resident_bytes(c.pid) {
                        if rss > limit {
                            log(
                                Level::Warn,
                                &format!(
                                    "child pid {} uses {} MiB, over MaxMemoryPerChild ({} MiB): \
                                     replacing it gracefully",
                                    c.pid,
                                    rss >> 20,
                                    limit >> 20
                                ),
                            );
                            let _ = kill(c.pid, Signal::SIGUSR1);
                            self.update(slot, |c| c.stopping = true);
                        }
                    }
                }
            }
        }
    }

    /// The watchdog: a worker running a handler or writing a reply (`W`, `L`) whose heartbeat is
    /// older than `limit` is stuck; its child is killed at once when it serves nothing else,
    /// otherwise told to stop gracefully and killed when its other workers are done (or after
    /// [`STUCK_GRACE`]). True when the child was condemned (or already is).
    fn condemn_if_stuck(&mut self, slot: usize, c: &Child, limit: Duration, now: Instant) -> bool {
        let now_us = unix_micros();
        let limit_us = limit.as_micros() as u64;
        let mut stuck = Vec::new();
        let mut other_busy = false;
        for t in 0..self.plan.thread_limit {
            let Some(w) = score::worker(slot as u32, t) else {
                break;
            };
            let working = matches!(
                w.status,
                abi::MAPACHE_WORKER_WRITE | abi::MAPACHE_WORKER_LOG
            );
            if working && now_us.saturating_sub(w.last_active_us) > limit_us {
                stuck.push((t, w));
            } else if score::is_busy(w.status) && w.status != abi::MAPACHE_WORKER_GRACEFUL {
                other_busy = true;
            }
        }
        if stuck.is_empty() {
            return false;
        }
        for (t, w) in &stuck {
            log(
                Level::Error,
                &format!(
                    "child pid {}: worker {t} stuck for {} s on \"{}\" from {} \
                     (StuckRequestTimeout {} s): killing the child",
                    c.pid,
                    now_us.saturating_sub(w.last_active_us) / 1_000_000,
                    score::field_text(&w.request),
                    score::field_text(&w.client),
                    limit.as_secs()
                ),
            );
        }
        if other_busy {
            let _ = kill(c.pid, Signal::SIGUSR1);
            self.update(slot, |c| {
                c.stopping = true;
                c.killed = true;
                c.kill_at = Some(now + STUCK_GRACE);
            });
        } else {
            let _ = kill(c.pid, Signal::SIGKILL);
            self.update(slot, |c| {
                c.stopping = true;
                c.killed = true;
            });
        }
        true
    }

    fn update(&mut self, slot: usize, f: impl FnOnce(&mut Child)) {
        if let Some(c) = self.slots[slot].as_mut() {
            f(c);
        }
    }

    /// WINCH: the listeners close (here, and in each child as it stops accepting), the children
    /// finish what they hold, bounded by GracefulShutdownTimeout; a TERM meanwhile stops them now.
    fn graceful_stop(&mut self) {
        // shutdown(2) on a listening socket stops it listening for every process that shares
        // it, at once: new connections are refused rather than queued for children that will
        // never accept them (a busy prefork child keeps its copy open until it exits).
        // The children hear first, so one woken by the shut-down socket knows why.
        self.pod_write = None;
        for c in self.slots.iter().flatten() {
            let _ = kill(c.pid, Signal::SIGUSR1);
        }
        for l in self.ctx.listeners() {
            // SAFETY: plain shutdown(2) on a descriptor the core keeps open during the run.
            unsafe { libc::shutdown(l.fd, libc::SHUT_RD) };
        }
        self.ctx.listeners_close();
        let limit = self.plan.lifecycle.graceful_shutdown_timeout;
        let deadline = limit.map(|d| Instant::now() + d);
        loop {
            self.reap();
            if self.alive() == 0 {
                return;
            }
            if signals::stop_requested() {
                log(Level::Notice, "caught SIGTERM, shutting down");
                break;
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                log(
                    Level::Warn,
                    &format!(
                        "GracefulShutdownTimeout ({} s) reached: stopping the {} remaining children",
                        limit.map_or(0, |d| d.as_secs()),
                        self.alive()
                    ),
                );
                break;
            }
            let next = now + TICK;
            self.wait_until(deadline.map_or(next, |d| d.min(next)));
        }
        self.stop_children();
    }

    /// Reaps until no child is left or `deadline` passes; true when none is left. It reaps before
    /// it sleeps: children signalled together with the master (a TERM to the whole process group,
    /// as systemd sends) may be gone already, their SIGCHLD wake-up consumed.
    fn wait_for_exits(&mut self, deadline: Instant) -> bool {
        loop {
            self.reap();
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
        for c in self.slots.iter_mut().flatten() {
            c.killed = true;
            let _ = kill(c.pid, Signal::SIGTERM);
        }
        if self.wait_for_exits(Instant::now() + STOP_GRACE) {
            return;
        }
        for c in self.slots.iter().flatten() {
            log(
                Level::Warn,
                &format!(
                    "child process {} still did not exit, sending a SIGKILL",
                    c.pid
                ),
            );
            let _ = kill(c.pid, Signal::SIGKILL);
        }
        self.wait_for_exits(Instant::now() + KILL_GRACE);
        for c in self.slots.iter().flatten() {
            log(
                Level::Error,
                &format!("child process {} did not exit after SIGKILL", c.pid),
            );
        }
    }
}

/// What one round of reaping found.
#[derive(Clone, Copy, Debug, Default)]
struct Reaped {
    /// Every child of the first batch failed in `child_init`.
    startup_failed: bool,
}

/// The resident set size of `pid`, from /proc/PID/statm; `None` when it is gone.
fn resident_bytes(pid: Pid) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    let pages: u64 = text.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).unwrap_or(4096))
}

fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// A random number from the kernel (for jitter); falls back to the clock.
fn random() -> u64 {
    let mut buf = [0u8; 8];
    // SAFETY: getrandom writes at most `buf.len()` bytes into `buf`.
    let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), libc::GRND_NONBLOCK) };
    if n == buf.len() as isize {
        u64::from_ne_bytes(buf)
    } else {
        unix_micros()
    }
}
