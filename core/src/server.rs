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
    /// What the modules plug into the request's path.
    pub pipeline: crate::pipeline::Pipeline,
    /// The main server and the virtual hosts.
    pub vhosts: crate::vhost::Vhosts,
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

/// The server state, if installed (for callers that may run before, such as scoreboard readers
/// in tests).
pub fn try_get() -> Option<&'static Server> {
    SERVER.get()
}

/// A server for the core's own unit tests: no MPM, no module file, one in-process handler, small
/// limits and timeouts. Installed once per test binary; every test shares it.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::config::dispatch::Dispatcher;
    use crate::config::Reader;
    use crate::loader::{LoadedModule, Origin};
    use crate::serve::request::RequestCtx;
    use mapache_plugin_api::abi::{
        MapacheModule, MapacheRequest, MAPACHE_DECLINED, MAPACHE_KIND_HANDLER, MAPACHE_KIND_MPM,
        MAPACHE_OK,
    };
    use std::os::fd::AsRawFd;
    use std::sync::Once;

    /// The configuration every core unit test runs with.
    pub const CONFIG: &str = "Timeout 3\nKeepAliveTimeout 2\n\
        RequestReadTimeout header=1-2,MinRate=500 body=1,MinRate=500\n\
        LimitRequestBody 100000\n<Location /echo/small>\nLimitRequestBody 10\n</Location>\n";

    /// Size of the file `/file` sends.
    pub const FILE_LEN: u64 = 1 << 20;

    static FILE: OnceLock<std::fs::File> = OnceLock::new();

    /// Handles `/echo…` (reads the body, answers it back with its length), `/big?N` (N bytes of
    /// `x`, streamed without a length) and `/file` ([`FILE_LEN`] bytes by sendfile); declines the
    /// rest (404).
    extern "C" fn handle(raw: *mut MapacheRequest) -> i32 {
        // SAFETY: the core passes a live RequestCtx for the call.
        let req = unsafe { &mut *(raw as *mut RequestCtx<'_>) };
        let path = req.head.path.clone();
        if path.starts_with(b"/echo") {
            let mut body = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                match req.read_body(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => body.extend_from_slice(&buf[..n]),
                    Err(_) => return 400,
                }
            }
            req.set_content_length(body.len() as u64);
            req.write(&body);
            MAPACHE_OK
        } else if path == b"/big" {
            let n: usize = req.head.query.parse().unwrap_or(0);
            let piece = [b'x'; 16384];
            let mut left = n;
            while left > 0 {
                let k = left.min(piece.len());
                if !req.write(&piece[..k]) {
                    break;
                }
                left -= k;
            }
            MAPACHE_OK
        } else if path == b"/file" {
            let file = FILE.get().expect("file made at install");
            req.sendfile(file.as_raw_fd(), 0, FILE_LEN);
            MAPACHE_OK
        } else {
            MAPACHE_DECLINED
        }
    }

    fn module(kind: u32, handler: bool) -> LoadedModule {
        // SAFETY: every field of the descriptor is an integer, a raw pointer or an Option of a
        // function pointer, for which all zeroes is valid (null / None).
        let mut desc: MapacheModule = unsafe { std::mem::zeroed() };
        desc.kind = kind;
        if handler {
            desc.handle = Some(handle);
        }
        LoadedModule {
            symbol: "test_module".to_owned(),
            origin: Origin::Shared("(in process)".into()),
            desc,
            name: "test".to_owned(),
            version: "0".to_owned(),
            directives: Vec::new(),
            ptr: std::ptr::null(),
            tables: Default::default(),
            configs: Default::default(),
        }
    }

    /// Installs the test server (once) and returns it.
    pub fn install() -> &'static Server {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            let root = std::env::temp_dir();
            let mut dispatcher =
                Dispatcher::new(root.clone()).expect("a dispatcher without linked modules");
            Reader::new(root.clone(), &[])
                .read_str(CONFIG, "test", &mut dispatcher)
                .expect("test configuration");
            dispatcher.record_defaults();
            let settings = CoreSettings::from_store(&dispatcher.store, &root).expect("settings");
            let path = root.join(format!("mapache-core-test-{}", std::process::id()));
            std::fs::write(&path, vec![b'f'; FILE_LEN as usize]).expect("test file");
            let file = std::fs::File::open(&path).expect("test file");
            let _ = std::fs::remove_file(&path);
            let _ = FILE.set(file);
            let handlers = vec![module(MAPACHE_KIND_HANDLER, true)];
            let pipeline = crate::pipeline::Pipeline::build(&dispatcher.store, &handlers)
                .expect("test pipeline");
            let vhosts =
                crate::vhost::Vhosts::build(&dispatcher.store, &settings).expect("test vhosts");
            super::install(Server {
                store: dispatcher.store,
                settings,
                mpm: module(MAPACHE_KIND_MPM, false),
                handlers,
                server_view: View::default(),
                pipeline,
                vhosts,
            });
        });
        get()
    }
}
