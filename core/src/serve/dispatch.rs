//! Handler dispatch: find the configuration that applies to a request, then offer the request to
//! each handler module in LoadModule order until one takes it (Apache's handler hook). The
//! handler name from `SetHandler` is visible to every module; mod-static is the default handler.

use super::conn::Connection;
use super::request::{write_bare_error, RequestCtx};
use crate::config::store::View;
use crate::http::RequestHead;
use crate::logs::error_log;
use crate::server;
use mapache_plugin_api::abi::{MapacheRequest, MAPACHE_DECLINED, MAPACHE_OK};
use std::os::unix::ffi::OsStrExt;

/// Serves one framed request on `conn`.
pub fn serve(conn: &mut Connection, head: RequestHead) {
    let srv = server::get();
    let mut fs_path = srv.settings.document_root.as_os_str().as_bytes().to_vec();
    fs_path.extend_from_slice(&head.path);
    let view = View {
        sections: srv.store.matching_sections(&head.path, &fs_path),
    };
    let handler = view
        .last(&srv.store, "sethandler")
        .map(|o| o.arg0())
        .filter(|h| !h.eq_ignore_ascii_case("none"))
        .unwrap_or("")
        .to_owned();
    let mut req = RequestCtx::new(conn, head, view, handler);
    let outcome = run_handlers(&mut req);
    req.finish(outcome);
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
            code @ 100..=599 => return Some(code as u16),
            other => {
                error_log::log(
                    "core",
                    error_log::ERROR,
                    Some(&req.conn.peer),
                    &format!(
                        "handler of {} returned {other}, which is not a status; answering 500",
                        module.symbol
                    ),
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

/// Answers a framing error or a timeout (there is no request to build a context from).
pub fn answer_error(conn: &mut Connection, status: u16) {
    write_bare_error(conn, status);
}
