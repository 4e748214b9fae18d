//! Reading the typed configuration of another module of this file. Apache's auth modules
//! share theirs through optional functions (`ap_auth_type`, `ap_auth_name`) and providers;
//! here the five descriptors live in one shared object, and the host's `req_module_config`
//! gives any loaded module's object for a request.

use mapache_plugin_api::abi::MapacheModule;
use mapache_plugin_api::sdk::{host, Request};

/// The configuration `module` has in effect for `req`; `None` when that module is not
/// loaded.
///
/// # Safety
/// `T` must be the type named in `module`'s `config:` (the SDK made the object as a `Box<T>`).
pub unsafe fn config_of<'a, T>(
    req: &mut Request<'a>,
    module: &'static MapacheModule,
) -> Option<&'a T> {
    let p = (host().req_module_config)(req.as_raw(), module) as *const T;
    // SAFETY: per the caller's promise the object is a `T`, kept by the core until the
    // request ends.
    unsafe { p.as_ref() }
}
