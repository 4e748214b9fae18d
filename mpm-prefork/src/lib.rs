//! # mpm_prefork
//!
//! mapache's prefork multi-processing module, after Apache httpd's: a single-threaded master
//! forks StartServers child processes; each child accepts one connection at a time on the core's
//! listeners and hands it to the core's `serve_connection`. A crash takes one connection down, not
//! the server. The master reaps and replaces children, and stops them on SIGTERM or SIGINT.
//!
//! The master, the signals and the spare-server maintenance are the shared ones of
//! `mapache_mpm_kit`; this crate holds what a prefork child does and its settings.
//!
//! Among the workspace crates it depends on `mapache-plugin-api` and `mapache-mpm-kit` (built on
//! it) only, never on the core.

mod child;
mod settings;

use mapache_mpm_kit::{Lifecycle, Plan};
use mapache_plugin_api::mapache_module;
use mapache_plugin_api::sdk::{log, Config, MpmContext, MpmExit, MpmModule};
use settings::Settings;

/// The module's value: the corrected settings, read once in the master before any fork.
pub struct Prefork {
    settings: Settings,
    lifecycle: Lifecycle,
}

impl MpmModule for Prefork {
    fn init(config: &Config<'_>) -> Result<Self, String> {
        let (settings, notes) = Settings::read(|name| config.number::<u32>(name))?;
        for (level, msg) in notes {
            log(level, &msg);
        }
        let lifecycle = Lifecycle::from_config(config)?;
        Ok(Prefork {
            settings,
            lifecycle,
        })
    }

    fn run(&self, ctx: &MpmContext<'_>) -> MpmExit {
        if ctx.one_process() {
            return child::run_one_process(ctx);
        }
        let s = &self.settings;
        // Prefork's workers are its children: one worker record each.
        let plan = Plan {
            name: "mpm_prefork",
            server_limit: s.server_limit,
            thread_limit: 1,
            threads_per_child: 1,
            start_servers: s.start_servers,
            max_children: s.max_request_workers,
            min_spare: s.min_spare_servers,
            max_spare: s.max_spare_servers,
            max_connections_per_child: s.max_connections_per_child,
            lifecycle: self.lifecycle.clone(),
            summary: s.to_string(),
        };
        mapache_mpm_kit::master::run(ctx, &plan, &|start| child::run_child(ctx, start))
    }
}

mapache_module! {
    symbol: mpm_prefork_module,
    name: "mpm_prefork",
    mpm: Prefork,
    flags: mapache_plugin_api::abi::MAPACHE_MPM_FORKED,
    directives: [
        ("StartServers", TAKE1, SERVER, "Number of child processes launched at server startup"),
        ("MinSpareServers", TAKE1, SERVER, "Minimum number of idle children, to handle request spikes"),
        ("MaxSpareServers", TAKE1, SERVER, "Maximum number of idle children"),
        ("MaxRequestWorkers", TAKE1, SERVER, "Maximum number of children alive at the same time"),
        ("MaxClients", TAKE1, SERVER, "Deprecated name of MaxRequestWorkers"),
        ("ServerLimit", TAKE1, SERVER, "Maximum value of MaxRequestWorkers for this run of Apache"),
        ("MaxConnectionsPerChild", TAKE1, SERVER,
            "Maximum number of connections a particular child serves before dying."),
        ("MaxRequestsPerChild", TAKE1, SERVER, "Deprecated name of MaxConnectionsPerChild"),
    ] + mapache_mpm_kit::LIFECYCLE_DIRECTIVES,
}
