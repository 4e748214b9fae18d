//! The request pipeline (ABI 1.4): the phases a request goes through, the modules' hooks in
//! each, the filters, and each scope's merged configuration.
//!
//! The whole order is [`process`], one call per phase, as Apache's
//! `ap_process_request_internal`: post_read_request, then (again after an internal redirect)
//! translate, map_to_storage and the core's mapping, access, `Require` (with authn when a
//! provider needs a user), the core's own checks, fixups, insert_filter, the handler; the log
//! phase runs after the response. Run-first phases stop at the first hook that takes the
//! request; run-all phases run every hook until one answers.
//!
//! - `drive.rs`: the driver a connection is handed (it never calls up into the pipeline).
//! - `hooks.rs`: registrations sorted per phase at startup.
//! - `filters.rs`: the filter registry and a request's chains.
//! - `scope.rs`: the merged configuration of a combination of sections, cached.
//! - `module_config.rs`: the modules' typed configuration objects.
//! - `authorize.rs`: `Require` with the modules' providers, and authn.
//! - `lookup.rs`: what another path or URL maps to, for `req_map` and `req_lookup`.
//! - `conditions.rs`: the `<If>` sections that hold for the request, merged last.

pub mod authorize;
pub mod conditions;
pub mod drive;
pub mod error_document;
pub mod filters;
pub mod hooks;
pub mod lookup;
pub mod module_config;
pub mod scope;
mod trace;

use crate::config::store::{FilePaths, Store, View};
use crate::http::{BodyFraming, RequestHead};
use crate::loader::LoadedModule;
use crate::logs::error_log;
use crate::serve::conn::Connection;
use crate::serve::request::RequestCtx;
use crate::storage;
use mapache_plugin_api::abi;
use std::os::unix::ffi::OsStrExt;

/// Apache's LimitInternalRecursion default.
const MAX_REDIRECTS: u32 = 10;

/// The handler name of a request without `SetHandler`.
pub const DEFAULT_HANDLER: &str = "default-handler";

/// What the loaded modules plug into the request's path.
pub struct Pipeline {
    /// Each phase's hooks.
    pub hooks: hooks::Hooks,
    /// Every filter offered.
    pub filters: filters::Registry,
    /// Each scope's merged configuration.
    pub scopes: scope::Scopes,
}

impl Pipeline {
    /// Builds the pipeline of `modules` (the handler modules, in LoadModule order) over the
    /// configuration; errors are the `-t` kind (file:line where a line is at fault).
    pub fn build(store: &Store, modules: &[LoadedModule]) -> Result<Pipeline, String> {
        let hooks = hooks::Hooks::build(modules)?;
        let filters = filters::Registry::build(modules)?;
        let scopes = scope::Scopes::build(store, modules, &filters)?;
        check_handlers(store, modules, &hooks)?;
        Ok(Pipeline {
            hooks,
            filters,
            scopes,
        })
    }
}

/// A `SetHandler` or `AddHandler` name no module declares fails `-t`, unless some module takes any name.
fn check_handlers(
    store: &Store,
    modules: &[LoadedModule],
    hooks: &hooks::Hooks,
) -> Result<(), String> {
    if hooks.has_open_handler() {
        return Ok(());
    }
    let all = store
        .server
        .iter()
        .chain(store.sections.iter().flat_map(|s| s.directives.iter()));
    for occ in all.filter(|o| o.is_named("sethandler") || o.is_named("addhandler")) {
        let name = occ.arg0();
        if name.eq_ignore_ascii_case("none") && occ.is_named("sethandler") {
            continue;
        }
        let directive = if occ.is_named("sethandler") {
            "SetHandler"
        } else {
            "AddHandler"
        };
        let declared = modules.iter().any(|m| {
            m.tables
                .handler_names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(name))
        });
        if !declared {
            return Err(format!(
                "Syntax error on line {} of {}: {directive} {name}: no loaded module declares a handler of that name: check the LoadModule lines",
                occ.line, occ.file
            ));
        }
    }
    Ok(())
}

/// How a request ends: `None` when its response was produced, `Some(status)` for the core's
/// page for that status.
pub type Outcome = Option<u16>;

/// What one hook said.
enum Verdict {
    Ok,
    Declined,
    Stop(Outcome),
}

/// Calls one hook. The usual answers are decided inline (a phase with five modules makes
/// five calls per request); the rest goes to [`verdict`].
#[inline(always)]
fn call(req: &mut RequestCtx<'_>, hook: &hooks::Hook, phase: &str) -> Verdict {
    let raw = req.as_raw();
    match (hook.func)(raw) {
        abi::MAPACHE_DECLINED => Verdict::Declined,
        abi::MAPACHE_OK => Verdict::Ok,
        other => verdict(req, hook, phase, other),
    }
}

/// What a hook's answer other than OK or DECLINED means.
#[cold]
#[inline(never)]
fn verdict(req: &mut RequestCtx<'_>, hook: &hooks::Hook, phase: &str, answer: i32) -> Verdict {
    match answer {
        abi::MAPACHE_DONE => Verdict::Stop(None),
        code @ 300..=599 => Verdict::Stop(Some(code as u16)),
        other => {
            let symbol = &req.conn.srv.handlers[hook.module].symbol;
            let why = if other == abi::MAPACHE_ERROR {
                "failed (MAPACHE_ERROR)".to_owned()
            } else {
                format!("returned {other}, which is neither a status from 300 to 599 nor MAPACHE_OK/DECLINED/DONE/ERROR")
            };
            req.log(
                "core",
                error_log::ERROR,
                &format!("{phase} hook of {symbol} {why}; answering 500"),
            );
            Verdict::Stop(Some(500))
        }
    }
}

/// A run-all phase: every hook, until one answers.
fn run_all(req: &mut RequestCtx<'_>, phase: u32, name: &str) -> Result<(), Outcome> {
    let srv = req.conn.srv;
    for hook in srv.pipeline.hooks.of(phase) {
        if let Verdict::Stop(o) = call(req, hook, name) {
            return Err(o);
        }
    }
    Ok(())
}

/// A run-first phase: hooks until one takes the request (`Ok(true)`) or answers.
fn run_first(req: &mut RequestCtx<'_>, phase: u32, name: &str) -> Result<bool, Outcome> {
    let srv = req.conn.srv;
    for hook in srv.pipeline.hooks.of(phase) {
        match call(req, hook, name) {
            Verdict::Ok => return Ok(true),
            Verdict::Declined => {}
            Verdict::Stop(o) => return Err(o),
        }
    }
    Ok(false)
}

/// Serves one framed request on `conn`.
pub fn serve(conn: &mut Connection, head: RequestHead) {
    let mut req = RequestCtx::new(conn, head);
    let outcome = process(&mut req);
    let outcome = error_document::apply(&mut req, outcome);
    conclude(&mut req, outcome);
}

/// Every request's end: the response completed, the log phase (which sees the final status,
/// bytes and duration), the filters' states freed, the scoreboard and the access log.
fn conclude(req: &mut RequestCtx<'_>, outcome: Outcome) {
    req.finish(outcome);
    let _ = run_all(req, abi::MAPACHE_PHASE_LOG, "log");
    req.chain.release(&req.conn.srv.pipeline.filters);
    req.end();
    req.recycle();
}

/// The filters the request's scope configures, then the insert_filter hooks.
fn insert_filters(req: &mut RequestCtx<'_>) -> Result<(), Outcome> {
    let registry = &req.conn.srv.pipeline.filters;
    for &f in req
        .scope
        .output_filters
        .iter()
        .chain(&req.scope.input_filters)
    {
        req.chain.add(registry, f);
    }
    run_all(req, abi::MAPACHE_PHASE_INSERT_FILTER, "insert_filter")
}

/// The phases up to the handler, in order.
fn process(req: &mut RequestCtx<'_>) -> Outcome {
    if req.select_vhost().is_err() {
        return Some(400);
    }
    if let Err(o) = run_all(
        req,
        abi::MAPACHE_PHASE_POST_READ_REQUEST,
        "post_read_request",
    ) {
        return o;
    }
    run(req)
}

/// From translate to the handler, again after each internal redirect.
fn run(req: &mut RequestCtx<'_>) -> Outcome {
    loop {
        if let Err(o) = prepare(req) {
            return o;
        }
        // A fixups hook may have asked for an internal redirect already: no handler then.
        let outcome = if req.redirect.is_none() {
            run_handler(req)
        } else {
            None
        };
        let Some(uri) = req.redirect.take() else {
            return outcome;
        };
        if let Err(o) = restart(req, &uri) {
            return o;
        }
    }
}

/// From translate to insert_filter: what the request names, whether it may have it, and the
/// filters its response passes.
fn prepare(req: &mut RequestCtx<'_>) -> Result<(), Outcome> {
    let hooks = &req.conn.srv.pipeline.hooks;
    if !hooks.of(abi::MAPACHE_PHASE_TRANSLATE).is_empty()
        || !hooks.of(abi::MAPACHE_PHASE_MAP_TO_STORAGE).is_empty()
    {
        // The hooks before the file is known see the `<Location>` sections of the URL (the
        // core's mapping below finds the sections again, with the file).
        set_view(req, None);
    }
    run_first(req, abi::MAPACHE_PHASE_TRANSLATE, "translate")?;
    trace::answer(req)?;
    if run_first(req, abi::MAPACHE_PHASE_MAP_TO_STORAGE, "map_to_storage")? {
        req.unmapped = true;
        set_view(req, None);
        let srv = req.conn.srv;
        for (name, value) in srv
            .store
            .match_variables(&req.view.sections, &req.head.path, None)
        {
            req.table_put_env(&name, &value);
        }
    } else {
        map_request(req)?;
    }
    conditions::apply(req);
    if req.handler != req.scope.handler {
        req.handler.clone_from(&req.scope.handler);
    }
    if req.handler.is_empty() && !req.scope.handler_by_extension.is_empty() {
        // AddHandler by the file's extensions; SetHandler, above, wins over it.
        let name = req
            .mapped
            .first()
            .map_or(req.head.path.as_slice(), |m| m.requested.as_slice());
        if let Some(h) = scope::handler_for(&req.scope, name) {
            req.handler = h.to_owned();
        }
    }
    if let Some(forced) = &req.forced_handler {
        req.handler.clone_from(forced);
    }
    let limit = req.scope.limit_request_body;
    req.set_body_limit(limit);
    run_all(req, abi::MAPACHE_PHASE_ACCESS, "access")?;
    authorize::check(req)?;
    core_checks(req, limit)?;
    run_all(req, abi::MAPACHE_PHASE_FIXUPS, "fixups")?;
    insert_filters(req)
}

/// Sets the request's sections (those of the URL, and of the file when it is mapped) and
/// the merged configuration that goes with them.
fn set_view(req: &mut RequestCtx<'_>, paths: Option<FilePaths<'_>>) {
    let srv = req.conn.srv;
    if srv.store.sections.is_empty() {
        return;
    }
    let view = req.view_for(&req.head.path, paths);
    set_sections(req, view.sections);
}

/// Sets the request's sections and the merged configuration that goes with them.
fn set_sections(req: &mut RequestCtx<'_>, sections: Vec<usize>) {
    if sections == req.view.sections {
        return;
    }
    let srv = req.conn.srv;
    req.view = View { sections };
    req.scope = srv
        .pipeline
        .scopes
        .of(&req.view, &srv.store, &srv.handlers, &srv.pipeline.filters);
}

/// The core's map_to_storage: the file the request names (the translated file name, or the
/// path under DocumentRoot), opened, and the sections of where it really is. A link `Options`
/// forbid is a 403 (the sections of the name asked for still apply to it).
fn map_request(req: &mut RequestCtx<'_>) -> Result<(), Outcome> {
    if !req.head.path.starts_with(b"/") {
        // `OPTIONS *`: nothing on disk.
        return Ok(());
    }
    let mapped = match &req.filename {
        Some(f) => map_logged(req, b"/", f).map(|mut m| {
            m.url_path = storage::path::normalize(&req.head.path);
            m
        }),
        None => map_logged(req, document_root(req), &req.head.path),
    };
    match mapped {
        Ok(mapped) => {
            // First: the request's own (lookups made by translate hooks may be there already).
            req.mapped.insert(0, mapped);
            let srv = req.conn.srv;
            if !srv.store.sections.is_empty() {
                let m = &req.mapped[0];
                let paths = FilePaths {
                    requested: &m.requested,
                    real: &m.real,
                };
                let mut view = req.view_for(&req.head.path, Some(paths));
                // The one place `.htaccess` files join the request's sections (on a bad
                // one, those read before it stay).
                let is_dir = m.kind == storage::Kind::Directory;
                let read = crate::htaccess::extend(
                    srv,
                    req.vhost.entry,
                    &req.conn.peer,
                    &mut view.sections,
                    &m.requested,
                    is_dir,
                );
                // After the files: their `<FilesMatch>` groups count too.
                let vars = srv
                    .store
                    .match_variables(&view.sections, &req.head.path, Some(paths));
                set_sections(req, view.sections);
                for (name, value) in vars {
                    req.table_put_env(&name, &value);
                }
                read.map_err(Some)?;
            }
            Ok(())
        }
        Err(()) => {
            let requested = match &req.filename {
                Some(f) => storage::requested(b"/", f),
                None => storage::requested(document_root(req), &req.head.path),
            };
            set_view(
                req,
                Some(FilePaths {
                    requested: &requested,
                    real: &requested,
                }),
            );
            Err(Some(403))
        }
    }
}

/// The DocumentRoot of the request's virtual host.
pub(crate) fn document_root(req: &RequestCtx<'_>) -> &'static [u8] {
    req.vhost.document_root.as_os_str().as_bytes()
}

/// Maps `name` under `root`, following links as the `Options` of their `<Directory>` allow;
/// a refused link is logged (for the request's client) and is `Err`.
pub(crate) fn map_logged(
    req: &RequestCtx<'_>,
    root: &[u8],
    name: &[u8],
) -> Result<storage::Mapped, ()> {
    let store = &req.conn.srv.store;
    storage::map(root, name, &|dir| {
        crate::config::settings::links_in(store, req.vhost.entry, dir)
    })
    .map_err(|refused| {
        req.log(
            "core",
            error_log::ERROR,
            &storage::refusal_message(&refused),
        )
    })
}

/// What the core answers itself once access is settled: a declared body over
/// LimitRequestBody (413, closing: the body is not read) and `OPTIONS *`.
fn core_checks(req: &mut RequestCtx<'_>, limit: u64) -> Result<(), Outcome> {
    if let BodyFraming::Length(n) = req.head.framing {
        if limit > 0 && n > limit {
            req.log(
                "core",
                error_log::INFO,
                &format!(
                    "Requested content-length of {n} is larger than the configured limit of {limit}"
                ),
            );
            req.conn.close_after_response();
            return Err(Some(413));
        }
    }
    if req.head.method == "OPTIONS" && req.head.path == b"*" {
        req.set_header("Allow", "GET, HEAD, POST, OPTIONS", false);
        req.set_content_length(0);
        return Err(None);
    }
    Ok(())
}

/// The handler phase: the hooks that take the request's handler name, until one produces the
/// response. What a declining hook changed is undone, so the next starts clean.
fn run_handler(req: &mut RequestCtx<'_>) -> Outcome {
    let srv = req.conn.srv;
    let clean = req.snapshot();
    for hook in srv.pipeline.hooks.of(abi::MAPACHE_PHASE_HANDLER) {
        let name = if req.handler.is_empty() {
            DEFAULT_HANDLER
        } else {
            req.handler.as_str()
        };
        if !hook.takes(name) {
            continue;
        }
        let before = req.changes;
        match call(req, hook, "handler") {
            Verdict::Ok => return None,
            Verdict::Stop(o) => return o,
            Verdict::Declined if req.changes == before => {}
            Verdict::Declined if req.committed() => {
                req.log(
                    "core",
                    error_log::ERROR,
                    &format!(
                        "handler of {} declined after its response was committed; answering 500",
                        srv.handlers[hook.module].symbol
                    ),
                );
                return Some(500);
            }
            Verdict::Declined => req.restore(&clean),
        }
        if req.redirect.is_some() {
            return None;
        }
    }
    if req.handler.is_empty() {
        Some(404)
    } else {
        req.log(
            "core",
            error_log::ERROR,
            &format!(
                "no loaded module handles SetHandler {}: check the LoadModule lines",
                req.handler
            ),
        );
        Some(500)
    }
}

/// Starts over for an internal redirect to `uri`.
fn restart(req: &mut RequestCtx<'_>, uri: &str) -> Result<(), Outcome> {
    req.redirects += 1;
    if req.redirects > MAX_REDIRECTS {
        req.log(
            "core",
            error_log::ERROR,
            &format!("AH00124: Request exceeded the limit of {MAX_REDIRECTS} internal redirects due to probable configuration error. Use 'LimitInternalRecursion' to increase the limit if necessary. Use 'LogLevel debug' to get a backtrace."),
        );
        return Err(Some(500));
    }
    if req.committed() {
        req.log(
            "core",
            error_log::ERROR,
            "internal redirect asked for after the response was committed; answering 500",
        );
        return Err(Some(500));
    }
    // Apache's: the old request's variables are kept with `REDIRECT_` before their names,
    // with the URL, query and status it had.
    let from = String::from_utf8_lossy(&req.head.path).into_owned();
    let status = req.status.to_string();
    for (name, _) in req.env.iter_mut() {
        name.insert_str(0, "REDIRECT_");
    }
    req.table_put_env("REDIRECT_URL", &from);
    if !req.head.query.is_empty() {
        let query = req.head.query.clone();
        req.table_put_env("REDIRECT_QUERY_STRING", &query);
    }
    req.table_put_env("REDIRECT_STATUS", &status);
    let srv = req.conn.srv;
    req.reset_for_redirect(&srv.pipeline.filters);
    req.set_uri(uri.as_bytes()).map_err(Some)
}
