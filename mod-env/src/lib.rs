//! # mod-env
//!
//! Apache's mod_env: `SetEnv`, `UnsetEnv` and `PassEnv` fill a table of variables per scope
//! (the server level, each `<Location>`/`<Directory>`), merged as Apache merges them, and the
//! fixups hook lays the table in effect over the request's environment (`MAPACHE_TABLE_ENV`),
//! so `%{VAR}e` in LogFormat, `Require env` in a later request's view, and later modules see
//! them. Like Apache, the variables are set late (fixups): `SetEnvIf` and the access phase do
//! not see them.
//!
//! `PassEnv` reads the server's own environment while the configuration is read (at start and
//! at each restart); a variable that is not set is skipped with Apache's warning AH01506.

mod vars;

use mapache_plugin_api::{mapache_module, sdk::*};
use vars::EnvConfig;

/// The module's value (nothing beyond the typed configuration).
struct Env;

impl HandlerModule for Env {
    fn init(_config: &Config<'_>) -> Result<Self, String> {
        // Warnings collected while the configuration was read (before the host was known).
        for warning in vars::take_warnings() {
            log(Level::Warn, &warning);
        }
        Ok(Env)
    }
}

impl Fixups for Env {
    fn fixups(&self, req: &mut Request<'_>) -> Verdict {
        let Some(config) = req.module_config::<EnvConfig>() else {
            return Verdict::Declined;
        };
        if config.vars.is_empty() {
            return Verdict::Declined;
        }
        for (name, value) in &config.vars {
            if let Err(e) = req.table_set(Table::Env, name, value) {
                req.log(Level::Error, &format!("SetEnv {name}: {e:?}"));
                return Verdict::Error;
            }
        }
        Verdict::Ok
    }
}

mapache_module! {
    symbol: env_module,
    name: "env",
    handler: Env,
    directives: [
        ("SetEnv", TAKE12, ANY | FILEINFO, "an environment variable name and optional value to pass to CGI."),
        ("UnsetEnv", ITERATE, ANY | FILEINFO, "a list of variables to remove from the CGI environment."),
        ("PassEnv", ITERATE, ANY | FILEINFO, "a list of environment variables to pass to CGI."),
    ],
    config: EnvConfig,
    hooks: [Fixups],
}
