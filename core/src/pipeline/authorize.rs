//! `Require`: the requirement in effect for the request's scope, evaluated after the access
//! hooks, with the core's providers (`all`, `ip`, `local`) and those modules offer.

use super::Outcome;
use crate::access;
use crate::loader::LoadedModule;
use crate::logs::error_log;
use crate::serve::request::RequestCtx;
use crate::server;

/// The `Require` providers modules offer (ABI 1.4).
#[derive(Default)]
pub struct Providers {
    /// (name, module index, definition).
    pub entries: Vec<(String, usize, mapache_plugin_api::abi::MapacheAuthzProvider)>,
}

// SAFETY: the definitions point to the modules' static, immutable data.
unsafe impl Send for Providers {}
// SAFETY: as above.
unsafe impl Sync for Providers {}

impl Providers {
    /// Collects the providers of `modules`.
    pub fn build(modules: &[LoadedModule]) -> Providers {
        let mut entries = Vec::new();
        for (i, m) in modules.iter().enumerate() {
            for p in &m.tables.providers {
                entries.push((p.name.clone(), i, p.def));
            }
        }
        Providers { entries }
    }
}

/// Whether the Require lines in effect let the request through; a refusal is logged as
/// Apache's mod_authz_core logs it (under its name, so `LogLevel authz_core:…` applies),
/// naming the file asked for, or the URI when there is none.
pub fn check(req: &mut RequestCtx<'_>) -> Result<(), Outcome> {
    if access::in_effect(&server::get().store, &req.view).is_none() {
        return Ok(());
    }
    let name = req.mapped.first().map(|m| m.requested.clone());
    let view = std::mem::take(&mut req.view);
    let allowed = allows(req, &view, name.as_deref());
    req.view = view;
    if allowed {
        Ok(())
    } else {
        Err(Some(403))
    }
}

/// Whether the Require lines in effect for `view` let the request through (for the request
/// itself, or a file looked up on its behalf, `name`); a refusal is logged.
pub fn allows(
    req: &mut RequestCtx<'_>,
    view: &crate::config::store::View,
    name: Option<&[u8]>,
) -> bool {
    let srv = server::get();
    let Some(requirement) = access::in_effect(&srv.store, view) else {
        return true;
    };
    // A peer the socket could not name is refused: the rules cannot be shown to allow it.
    if req.conn.client.is_some_and(|c| requirement.allows(&c)) {
        return true;
    }
    let what = match name {
        Some(name) => String::from_utf8_lossy(name).into_owned(),
        None => format!("uri {}", String::from_utf8_lossy(&req.head.path)),
    };
    error_log::log(
        "authz_core",
        error_log::ERROR,
        Some(&req.conn.peer),
        &format!("client denied by server configuration: {what}"),
    );
    false
}
