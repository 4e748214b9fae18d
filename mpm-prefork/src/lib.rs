//! # mpm_prefork
//!
//! mapache's prefork multi-processing module, after Apache httpd's: a single-threaded master
//! forks StartServers child processes; each child accepts one connection at a time on the core's
//! listeners and hands it to the core's `serve_connection`. A crash takes one connection down, not
//! the server. The master reaps and replaces children, and stops them on SIGTERM or SIGINT.
//!
//! Not here yet: spare-server maintenance (MinSpareServers/MaxSpareServers are read and corrected
//! but not acted on), restarts (HUP and USR1 are logged and ignored), a scoreboard.
//!
//! Depends on `mapache-plugin-api` alone among the workspace crates, like every module.

mod child;
mod master;
mod settings;
mod signals;

use mapache_plugin_api::mapache_module;
use mapache_plugin_api::sdk::{log, Config, MpmContext, MpmExit, MpmModule};
use settings::Settings;

/// The module's value: the corrected settings, read once in the master before any fork.
pub struct Prefork {
    settings: Settings,
}

impl MpmModule for Prefork {
    fn init(config: &Config<'_>) -> Result<Self, String> {
        let (settings, notes) = Settings::read(|name| config.number::<u32>(name))?;
        for (level, msg) in notes {
            log(level, &msg);
        }
        Ok(Prefork { settings })
    }

    fn run(&self, ctx: &MpmContext<'_>) -> MpmExit {
        if ctx.one_process() {
            child::run_one_process(ctx)
        } else {
            master::run(ctx, &self.settings)
        }
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
    ],
}
