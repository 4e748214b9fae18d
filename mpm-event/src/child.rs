//! A child's life, and `-X`: start the worker threads, then run the listener loop on the
//! process's first thread until told to stop.

use crate::listener::{Ended, ListenerLoop, Options};
use crate::pool::Pool;
use crate::settings::Settings;
use crate::signals::{self, Role, Signals};
use mapache_plugin_api::sdk::{log, Level, MpmContext, MpmExit};
use nix::sys::signal::{SigSet, Signal};
use nix::unistd::{getppid, Pid};
use std::os::fd::{BorrowedFd, RawFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// Exit status of a child whose `child_init` failed (the ABI's rule; nothing else uses it).
pub(crate) const EXIT_INIT_FAILED: i32 = 1;
/// Exit status of a child that met an error it cannot serve through (logged before exiting).
pub(crate) const EXIT_FATAL: i32 = 2;

/// How long a child that finished draining waits for closes still lingering on workers
/// (Apache's longest lingering close).
const DRAIN_CLOSE_GRACE: Duration = Duration::from_secs(30);
/// How long `-X` lets requests being served finish after a stop.
const ONE_PROCESS_STOP_GRACE: Duration = Duration::from_secs(3);

/// What a freshly forked child received from the master besides the context.
pub(crate) struct Inherited {
    /// The master, to notice that it died before `PR_SET_PDEATHSIG` was set.
    pub(crate) master_pid: Pid,
    /// The master's signal mask from before the fork (every signal is blocked until then).
    pub(crate) mask: SigSet,
    /// Descriptors that belong to the master alone: its self-pipe, the pipe of death's write end.
    pub(crate) close: Vec<RawFd>,
    /// Read end of the pipe of death.
    pub(crate) pod: RawFd,
}

/// Runs a forked child to its end; never returns into the core, not even by a panic.
pub(crate) fn run_child(
    ctx: &MpmContext<'_>,
    slot: u32,
    settings: &Settings,
    inherited: Inherited,
) -> ! {
    let code = catch_unwind(AssertUnwindSafe(|| {
        child_main(ctx, slot, settings, inherited)
    }))
    .unwrap_or(EXIT_FATAL);
    exit(code)
}

/// Ends the child at once: worker threads still serving are cut off with it.
fn exit(code: i32) -> ! {
    // SAFETY: _exit skips atexit handlers and destructors that belong to the master's copy of the
    // process; the logs were flushed by child_exit.
    unsafe { libc::_exit(code) }
}

fn child_main(ctx: &MpmContext<'_>, slot: u32, settings: &Settings, inherited: Inherited) -> i32 {
    for fd in &inherited.close {
        // SAFETY: these descriptors are the master's; this process never uses them.
        unsafe { libc::close(*fd) };
    }
    let signals = match Signals::install(Role::Child) {
        Ok(s) => s,
        Err(e) => {
            log(
                Level::Error,
                &format!("child: cannot install signal handlers: {e}"),
            );
            return EXIT_FATAL;
        }
    };
    if let Err(e) = signals::set_mask(&inherited.mask) {
        log(
            Level::Error,
            &format!("child: cannot reset signal mask: {e}"),
        );
        return EXIT_FATAL;
    }
    if let Err(e) = nix::sys::prctl::set_pdeathsig(Signal::SIGTERM) {
        log(Level::Warn, &format!("child: PR_SET_PDEATHSIG: {e}"));
    }
    if getppid() != inherited.master_pid {
        // The master died before PR_SET_PDEATHSIG took effect.
        return 0;
    }
    if !ctx.child_init(slot) {
        ctx.child_exit();
        return EXIT_INIT_FAILED;
    }
    // SAFETY: the pipe of death's read end stays open for the whole life of the child.
    let pod = unsafe { BorrowedFd::borrow_raw(inherited.pod) };
    let opts = Options {
        max_connections: settings.max_connections_per_child,
        factor: settings.async_request_worker_factor,
        shared: settings.max_children > 1,
    };
    let mut listener = match start(ctx, settings, signals.wake_fd(), Some(pod), opts) {
        Ok(l) => l,
        Err(msg) => {
            log(Level::Error, &msg);
            ctx.child_exit();
            return EXIT_FATAL;
        }
    };
    match listener.run() {
        Ended::Drained => {
            listener.finish(Instant::now() + DRAIN_CLOSE_GRACE);
            ctx.child_exit();
            0
        }
        Ended::Stopped | Ended::MasterGone => {
            // Stopped now, as Apache's children are on TERM: the connections in hand are
            // dropped with the process, and nothing is closed one by one.
            ctx.child_exit();
            exit(0)
        }
        Ended::Failed(msg) => {
            log(Level::Error, &msg);
            ctx.child_exit();
            exit(EXIT_FATAL)
        }
    }
}

/// Starts the worker threads and sets up the listener loop.
fn start<'a>(
    ctx: &'a MpmContext<'a>,
    settings: &Settings,
    wake: BorrowedFd<'a>,
    pod: Option<BorrowedFd<'a>>,
    opts: Options,
) -> Result<ListenerLoop<'a>, String> {
    let pool = Pool::start(settings.threads_per_child as usize)?;
    ListenerLoop::new(ctx, pool, wake, pod, opts)
}

/// `-X`: the listener and the workers run in the master process itself, without forking, until
/// TERM or INT.
pub(crate) fn run_one_process(ctx: &MpmContext<'_>, settings: &Settings) -> MpmExit {
    let signals = match Signals::install(Role::OneProcess) {
        Ok(s) => s,
        Err(e) => {
            log(
                Level::Emerg,
                &format!("cannot install signal handlers: {e}"),
            );
            return MpmExit::Failed;
        }
    };
    if !ctx.child_init(0) {
        log(
            Level::Emerg,
            "Child failed to initialize: see the error log above; stopping",
        );
        return MpmExit::Failed;
    }
    // MaxConnectionsPerChild does not apply: there is no one to start a replacement.
    let opts = Options {
        max_connections: 0,
        factor: settings.async_request_worker_factor,
        shared: false,
    };
    let mut listener = match start(ctx, settings, signals.wake_fd(), None, opts) {
        Ok(l) => l,
        Err(msg) => {
            log(Level::Emerg, &msg);
            ctx.child_exit();
            return MpmExit::Failed;
        }
    };
    let exit = match listener.run() {
        Ended::Failed(msg) => {
            log(Level::Emerg, &msg);
            MpmExit::Failed
        }
        _ => {
            log(Level::Notice, "caught SIGTERM, shutting down");
            MpmExit::Stop
        }
    };
    listener.finish(Instant::now() + ONE_PROCESS_STOP_GRACE);
    ctx.child_exit();
    exit
}
