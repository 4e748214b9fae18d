//! Handler dispatch: find the configuration that applies to a request, then offer the request to
//! each handler module in LoadModule order until one takes it (Apache's handler hook). The
//! handler name from `SetHandler` is visible to every module; mod-static is the default handler.

use super::conn::Connection;
use super::request::RequestCtx;
use crate::access;
use crate::config::store::View;
use crate::http::{BodyFraming, RequestHead};
use crate::logs::error_log;
use crate::server;
use mapache_plugin_api::abi::{MapacheRequest, MAPACHE_DECLINED, MAPACHE_ERROR, MAPACHE_OK};
use std::os::unix::ffi::OsStrExt;

/// Serves one framed request on `conn`.
pub fn serve(conn: &mut Connection, head: RequestHead) {
    let srv = server::get();
    // The file path only matters to <Directory> sections: not built without any.
    let fs_path = if srv.store.sections.is_empty() {
        Vec::new()
    } else {
        let mut p = srv.settings.document_root.as_os_str().as_bytes().to_vec();
        p.extend_from_slice(&head.path);
        p
    };
    let view = View {
        sections: if srv.store.sections.is_empty() {
            Vec::new()
        } else {
            srv.store.matching_sections(&head.path, &fs_path)
        },
    };
    let handler = view
        .last(&srv.store, "sethandler")
        .map(|o| o.arg0())
        .filter(|h| !h.eq_ignore_ascii_case("none"))
        .unwrap_or("")
        .to_owned();
    let limit = crate::config::settings::limit_request_body(&srv.store, &view);
    let mut req = RequestCtx::new(conn, head, view, handler, limit);
    let outcome = match core_answer(&mut req, limit) {
        Some(answer) => answer,
        None => run_handlers(&mut req),
    };
    req.finish(outcome);
    req.end();
    req.recycle();
}

/// What the core answers itself, before any handler: a client the Require lines in effect
/// refuse (403), a declared body over LimitRequestBody (413, closing: the body is not read) and
/// `OPTIONS *` (the server's own options).
fn core_answer(req: &mut RequestCtx<'_>, limit: u64) -> Option<Option<u16>> {
    if denied(req) {
        return Some(Some(403));
    }
    if let BodyFraming::Length(n) = req.head.framing {
        if limit > 0 && n > limit {
            error_log::log(
                "core",
                error_log::INFO,
                Some(&req.conn.peer),
                &format!(
                    "Requested content-length of {n} is larger than the configured limit of {limit}"
                ),
            );
            req.conn.close_after_response();
            return Some(Some(413));
        }
    }
    if req.head.method == "OPTIONS" && req.head.path == b"*" {
        req.set_header("Allow", "GET, HEAD, POST, OPTIONS", false);
        req.set_content_length(0);
        return Some(None);
    }
    None
}

/// Whether the Require lines in effect for the request's scope refuse its client; logs the
/// refusal as Apache's mod_authz_core does (under its name, so `LogLevel authz_core:…` applies).
fn denied(req: &RequestCtx<'_>) -> bool {
    let srv = server::get();
    let Some(requirement) = access::in_effect(&srv.store, &req.view) else {
        return false;
    };
    // A peer the socket could not name is refused: the rules cannot be shown to allow it.
    let allowed = req.conn.client.is_some_and(|c| requirement.allows(&c));
    if !allowed {
        // Apache names the file the request maps to, or the URI when there is none (`*`).
        let path = String::from_utf8_lossy(&req.head.path);
        let what = if path.starts_with('/') {
            format!(
                "{}{path}",
                srv.settings
                    .document_root
                    .to_string_lossy()
                    .trim_end_matches('/')
            )
        } else {
            format!("uri {path}")
        };
        error_log::log(
            "authz_core",
            error_log::ERROR,
            Some(&req.conn.peer),
            &format!("client denied by server configuration: {what}"),
        );
    }
    !allowed
}

/// Offers the request to each handler; `None` = a handler produced the response, `Some(code)` =
/// the core answers with `code`.
fn run_handlers(req: &mut RequestCtx<'_>) -> Option<u16> {
    let srv = server::get();
    for module in &srv.handlers {
        let Some(handle) = module.desc.handle else {
            continue;
        };
        let raw = req as *mut RequestCtx<'_> as *mut MapacheRequest;
        match handle(raw) {
            MAPACHE_DECLINED => continue,
            MAPACHE_OK => return None,
            code @ 300..=599 => return Some(code as u16),
            other => {
                let why = if other == MAPACHE_ERROR {
                    "failed (MAPACHE_ERROR)".to_owned()
                } else {
                    format!("returned {other}, which is neither a status from 300 to 599 nor MAPACHE_OK/DECLINED/ERROR")
                };
                error_log::log(
                    "core",
                    error_log::ERROR,
                    Some(&req.conn.peer),
                    &format!("handler of {} {why}; answering 500", module.symbol),
                );
                return Some(500);
            }
        }
    }
    if req.handler.is_empty() {
        Some(404)
    } else {
        error_log::log(
            "core",
            error_log::ERROR,
            Some(&req.conn.peer),
            &format!(
                "no loaded module handles SetHandler {}: check the LoadModule lines",
                req.handler
            ),
        );
        Some(500)
    }
}
