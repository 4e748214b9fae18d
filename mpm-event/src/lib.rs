//! # mpm_event
//!
//! mapache's event multi-processing module, after Apache httpd's: a single-threaded master forks
//! StartServers child processes (the shared master of `mapache_mpm_kit`). Each child
//! runs ThreadsPerChild threads that take turns running its listener loop: one epoll over the
//! listening sockets and every connection that waits. The loop reads request heads itself, so
//! slow clients and idle keep-alive connections hold no thread (unlike Apache's event MPM, which
//! reads heads on its workers); the thread that polled then serves the complete requests it found
//! in place, with no hand-off, while the process's first thread watches that it is not held up
//! by a handler that blocks.
//!
//! The process side (master loop, signals, spare-thread maintenance, restarts) is the kit's;
//! what is this crate's is `child` (a child's life and `-X`), `listener` (the epoll loop),
//! `reactor` (which thread runs the loop, and the watch), `pool` (the threads and their queues),
//! `table` (the connections and their keep-alive list), `timers` (deadlines without a thread
//! each) and `admission` (when a child stops accepting).
//!
//! Among the workspace crates it depends on `mapache-plugin-api` and `mapache-mpm-kit` (built on
//! it) only, never on the core.

mod admission;
mod child;
mod listener;
mod pool;
mod reactor;
mod settings;
mod table;
mod timers;

use mapache_mpm_kit::{Lifecycle, Plan};
use mapache_plugin_api::abi::{MAPACHE_MPM_ASYNC, MAPACHE_MPM_FORKED, MAPACHE_MPM_THREADED};
use mapache_plugin_api::mapache_module;
use mapache_plugin_api::sdk::{log, Config, MpmContext, MpmExit, MpmModule};
use settings::Settings;

/// The module's value: the corrected settings, read once in the master before any fork.
pub struct Event {
    settings: Settings,
    lifecycle: Lifecycle,
}

impl MpmModule for Event {
    fn init(config: &Config<'_>) -> Result<Self, String> {
        let (settings, notes) = Settings::read(
            |name| config.number::<u32>(name),
            |name| config.number::<f64>(name),
        )?;
        for (level, msg) in notes {
            log(level, &msg);
        }
        let lifecycle = Lifecycle::from_config(config)?;
        Ok(Event {
            settings,
            lifecycle,
        })
    }

    fn run(&self, ctx: &MpmContext<'_>) -> MpmExit {
        let s = &self.settings;
        if ctx.one_process() {
            return child::run_one_process(ctx, s);
        }
        let plan = Plan {
            name: "mpm_event",
            server_limit: s.server_limit,
            thread_limit: s.thread_limit,
            threads_per_child: s.threads_per_child,
            start_servers: s.start_servers,
            max_children: s.max_children,
            min_spare: s.min_spare_threads,
            max_spare: s.max_spare_threads,
            max_connections_per_child: s.max_connections_per_child,
            lifecycle: self.lifecycle.clone(),
            summary: s.to_string(),
        };
        mapache_mpm_kit::master::run(ctx, &plan, &|start| child::run_child(ctx, start, s))
    }
}

mapache_module! {
    symbol: mpm_event_module,
    name: "mpm_event",
    mpm: Event,
    flags: MAPACHE_MPM_THREADED | MAPACHE_MPM_FORKED | MAPACHE_MPM_ASYNC,
    directives: [
        ("StartServers", TAKE1, SERVER, "Number of child processes launched at server startup"),
        ("ServerLimit", TAKE1, SERVER, "Maximum number of child processes for this run of Apache"),
        ("ThreadsPerChild", TAKE1, SERVER, "Number of threads each child creates"),
        ("ThreadLimit", TAKE1, SERVER,
            "Maximum number of worker threads per child process for this run of Apache - Upper limit for ThreadsPerChild"),
        ("MinSpareThreads", TAKE1, SERVER, "Minimum number of idle threads, to handle request spikes"),
        ("MaxSpareThreads", TAKE1, SERVER, "Maximum number of idle threads"),
        ("MaxRequestWorkers", TAKE1, SERVER, "Maximum number of threads alive at the same time"),
        ("MaxClients", TAKE1, SERVER, "Deprecated name of MaxRequestWorkers"),
        ("MaxConnectionsPerChild", TAKE1, SERVER,
            "Maximum number of connections a particular child serves before dying."),
        ("MaxRequestsPerChild", TAKE1, SERVER, "Deprecated name of MaxConnectionsPerChild"),
        ("AsyncRequestWorkerFactor", TAKE1, SERVER,
            "How many additional connects will be accepted per idle worker thread"),
    ] + mapache_mpm_kit::LIFECYCLE_DIRECTIVES,
}
