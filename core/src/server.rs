//! The running server's state, shared by the host table's functions: the configuration, the
//! core settings and the loaded modules. Set once in the master before modules are initialised,
//! inherited by children through fork, read-only afterwards.

use crate::config::settings::CoreSettings;
use crate::config::store::{Store, View};
use crate::loader::LoadedModule;
use std::sync::OnceLock;

/// Everything the host functions need.
pub struct Server {
    /// The parsed configuration.
    pub store: Store,
    /// The core's typed settings.
    pub settings: CoreSettings,
    /// The MPM.
    pub mpm: LoadedModule,
    /// Handler modules, in LoadModule order.
    pub handlers: Vec<LoadedModule>,
    /// The server-level scope handed to modules as their `MapacheConfig`.
    pub server_view: View,
}

static SERVER: OnceLock<Server> = OnceLock::new();

/// Installs the server state (once per process; a reload re-executes the binary).
pub fn install(server: Server) -> &'static Server {
    if SERVER.set(server).is_err() {
        panic!("server state installed twice");
    }
    get()
}

/// The server state.
///
/// # Panics
/// Before [`install`]; the host table is never handed out before that.
pub fn get() -> &'static Server {
    SERVER
        .get()
        .expect("server state used before it was installed")
}
