//! A child's life, and `-X`: start the threads, which take turns running the listener loop
//! (see `reactor`), while the process's first thread keeps watch until told to stop.

use crate::listener::{Ended, ListenerLoop, Options};
use crate::pool::Pool;
use crate::reactor::Reactor;
use crate::settings::Settings;
use mapache_mpm_kit::child;
use mapache_mpm_kit::exit::EXIT_FATAL;
use mapache_mpm_kit::signals::Role;
use mapache_mpm_kit::ChildStart;
use mapache_plugin_api::sdk::{log, Level, MpmContext, MpmExit};
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

/// How long a child that finished draining waits for closes still lingering on workers
/// (Apache's longest lingering close).
const DRAIN_CLOSE_GRACE: Duration = Duration::from_secs(30);
/// How long `-X` lets requests being served finish after a stop.
const ONE_PROCESS_STOP_GRACE: Duration = Duration::from_secs(3);

/// A forked child's life: the common prologue, the threads and their listener loop, the watch
/// on the process's first thread until told to stop.
pub(crate) fn run_child(ctx: &MpmContext<'_>, start: ChildStart, settings: &Settings) -> ! {
    child::run(|| {
        let started = child::start(
            ctx,
            &start,
            Role::Child {
                exit_while_serving: false,
            },
        )?;
        let opts = Options {
            max_connections: start.max_connections,
            factor: settings.async_request_worker_factor,
            shared: settings.max_children > 1,
        };
        let ended = run_loop(
            ctx,
            settings,
            started.signals.wake_fd(),
            Some(started.pod),
            opts,
        );
        match ended {
            Err(msg) => {
                log(Level::Error, &msg);
                ctx.child_exit();
                Ok(EXIT_FATAL)
            }
            Ok((Ended::Drained, listener)) => {
                if let Some(l) = listener {
                    l.finish(Instant::now() + DRAIN_CLOSE_GRACE);
                }
                ctx.child_exit();
                Ok(0)
            }
            // Stopped now, as Apache's children are on TERM: the connections in hand are
            // dropped with the process, and nothing is closed one by one.
            Ok((Ended::Stopped, _)) => child::finish(ctx, 0),
            Ok((Ended::Failed(msg), _)) => {
                log(Level::Error, &msg);
                child::finish(ctx, EXIT_FATAL)
            }
        }
    })
}

/// Sets up the listener loop, starts the threads, and keeps watch until the loop ends; returns
/// how it ended, with the loop when it is to be finished.
fn run_loop<'a>(
    ctx: &'a MpmContext<'a>,
    settings: &Settings,
    wake: BorrowedFd<'a>,
    pod: Option<BorrowedFd<'a>>,
    opts: Options,
) -> Result<(Ended, Option<ListenerLoop<'a>>), String> {
    let threads = settings.threads_per_child as usize;
    let pool = Pool::new(threads)?;
    let listener = ListenerLoop::new(ctx, pool.clone(), wake, pod, opts)?;
    // SAFETY: everything the loop borrows outlives this call, and `watch` returns only once the
    // loop is moved out of the reactor (or was moved out already), so no thread reaches it after.
    let reactor = unsafe { Reactor::new(listener, pool.clone()) };
    let lead = reactor.clone();
    pool.spawn(threads, move |term| lead.lead(term))?;
    let (ended, listener) = reactor.watch();
    Ok((ended, listener))
}

/// `-X`: the listener and the workers run in the master process itself, without forking, until
/// TERM or INT.
pub(crate) fn run_one_process(ctx: &MpmContext<'_>, settings: &Settings) -> MpmExit {
    let signals = match child::start_one_process(ctx) {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    // MaxConnectionsPerChild does not apply: there is no one to start a replacement.
    let opts = Options {
        max_connections: 0,
        factor: settings.async_request_worker_factor,
        shared: false,
    };
    let (ended, listener) = match run_loop(ctx, settings, signals.wake_fd(), None, opts) {
        Ok(r) => r,
        Err(msg) => {
            log(Level::Emerg, &msg);
            ctx.child_exit();
            return MpmExit::Failed;
        }
    };
    let exit = match ended {
        Ended::Failed(msg) => {
            log(Level::Emerg, &msg);
            MpmExit::Failed
        }
        _ => {
            log(Level::Notice, "caught SIGTERM, shutting down");
            MpmExit::Stop
        }
    };
    if let Some(l) = listener {
        l.finish(Instant::now() + ONE_PROCESS_STOP_GRACE);
    }
    ctx.child_exit();
    exit
}
