//! # mpm_worker
//!
//! mapache's worker multi-processing module, after Apache httpd's: a hybrid of processes and
//! threads. A single-threaded master forks StartServers child processes; each child runs
//! ThreadsPerChild worker threads. A worker that is idle sleeps on the listeners; a new connection
//! wakes one such worker, of any child, which accepts it and has the core serve it whole
//! (`serve_connection`, keep-alive included). A crash takes one child's connections down, not the
//! server: the master logs it and forks a replacement.
//!
//! The master, the signals and spare-thread maintenance are the shared ones of
//! `mapache_mpm_kit`; this crate holds what a worker child does and its settings.
//!
//! Among the workspace crates it depends on `mapache-plugin-api` and `mapache-mpm-kit` (built on
//! it) only, never on the core.

mod acceptor;
mod child;
mod settings;

use mapache_mpm_kit::{Lifecycle, Plan};
use mapache_plugin_api::mapache_module;
use mapache_plugin_api::sdk::{log, Config, MpmContext, MpmExit, MpmModule};
use settings::Settings;

/// The module's value: the corrected settings, read once in the master before any fork.
pub struct Worker {
    settings: Settings,
    lifecycle: Lifecycle,
}

impl MpmModule for Worker {
    fn init(config: &Config<'_>) -> Result<Self, String> {
        let (settings, notes) = Settings::read(|name| config.number::<u32>(name))?;
        for (level, msg) in notes {
            log(level, &msg);
        }
        let lifecycle = Lifecycle::from_config(config)?;
        Ok(Worker {
            settings,
            lifecycle,
        })
    }

    fn run(&self, ctx: &MpmContext<'_>) -> MpmExit {
        let s = &self.settings;
        if ctx.one_process() {
            return child::run_one_process(ctx, s.threads_per_child);
        }
        let plan = Plan {
            name: "mpm_worker",
            server_limit: s.server_limit,
            thread_limit: s.thread_limit,
            threads_per_child: s.threads_per_child,
            start_servers: s.start_servers,
            max_children: s.daemons_limit(),
            min_spare: s.min_spare_threads,
            max_spare: s.max_spare_threads,
            max_connections_per_child: s.max_connections_per_child,
            lifecycle: self.lifecycle.clone(),
            summary: s.to_string(),
        };
        let threads = s.threads_per_child;
        mapache_mpm_kit::master::run(ctx, &plan, &|start| child::run_child(ctx, start, threads))
    }
}

mapache_module! {
    symbol: mpm_worker_module,
    name: "mpm_worker",
    mpm: Worker,
    flags: mapache_plugin_api::abi::MAPACHE_MPM_THREADED | mapache_plugin_api::abi::MAPACHE_MPM_FORKED,
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
    ] + mapache_mpm_kit::LIFECYCLE_DIRECTIVES,
}
