//! A child's life, and `-X`: start the worker threads, then run the listener loop on the
//! process's first thread until told to stop.

use crate::listener::{Ended, ListenerLoop, Options};
use crate::pool::Pool;
use crate::settings::Settings;
use mapache_plugin_api::mpm_kit::child;
use mapache_plugin_api::mpm_kit::exit::EXIT_FATAL;
use mapache_plugin_api::mpm_kit::signals::Role;
use mapache_plugin_api::mpm_kit::ChildStart;
use mapache_plugin_api::sdk::{log, Level, MpmContext, MpmExit};
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

/// How long a child that finished draining waits for closes still lingering on workers
/// (Apache's longest lingering close).
const DRAIN_CLOSE_GRACE: Duration = Duration::from_secs(30);
/// How long `-X` lets requests being served finish after a stop.
const ONE_PROCESS_STOP_GRACE: Duration = Duration::from_secs(3);

/// A forked child's life: the common prologue, the worker threads, then the listener loop on the
/// process's first thread until told to stop.
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
        let mut listener = match self::start(
            ctx,
            settings,
            started.signals.wake_fd(),
            Some(started.pod),
            opts,
        ) {
            Ok(l) => l,
            Err(msg) => {
                log(Level::Error, &msg);
                ctx.child_exit();
                return Ok(EXIT_FATAL);
            }
        };
        match listener.run() {
            Ended::Drained => {
                listener.finish(Instant::now() + DRAIN_CLOSE_GRACE);
                ctx.child_exit();
                Ok(0)
            }
            // Stopped now, as Apache's children are on TERM: the connections in hand are
            // dropped with the process, and nothing is closed one by one.
            Ended::Stopped => child::finish(ctx, 0),
            Ended::Failed(msg) => {
                log(Level::Error, &msg);
                child::finish(ctx, EXIT_FATAL)
            }
        }
    })
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
