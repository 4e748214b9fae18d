//! Handler dispatch: find the configuration that applies to a request, then offer the request to
//! each handler module in LoadModule order until one takes it (Apache's handler hook). The
//! handler name from `SetHandler` is visible to every module; mod-static is the default handler.

use super::conn::Connection;
use super::request::RequestCtx;
use crate::access;
use crate::config::settings;
use crate::config::store::{FilePaths, View};
use crate::http::{BodyFraming, RequestHead};
use crate::logs::error_log;
use crate::server;
use crate::storage;
use mapache_plugin_api::abi::{MapacheRequest, MAPACHE_DECLINED, MAPACHE_ERROR, MAPACHE_OK};
use std::os::unix::ffi::OsStrExt;

/// Serves one framed request on `conn`: map the path onto the file system, find the
/// configuration that applies to the file and the path, then the core's own answers (a refused
/// link or client, a body too large, `OPTIONS *`), else the handlers.
pub fn serve(conn: &mut Connection, head: RequestHead) {
    let srv = server::get();
    let root = srv.settings.document_root.as_os_str().as_bytes();
    // Not a path (`OPTIONS *`): nothing on disk.
    let mapping = head
        .path
        .starts_with(b"/")
        .then(|| storage::map(root, &head.path, &|dir| settings::links_in(&srv.store, dir)));
    let requested = match &mapping {
        Some(Err(_)) => storage::requested(root, &head.path),
        _ => Vec::new(),
    };
    let paths = match &mapping {
        Some(Ok(m)) => Some(FilePaths {
            requested: &m.requested,
            real: &m.real,
        }),
        // A refused link: the sections of the name asked for still apply to the 403.
        Some(Err(_)) => Some(FilePaths {
            requested: &requested,
            real: &requested,
        }),
        None => None,
    };
    let view = View {
        sections: if srv.store.sections.is_empty() {
            Vec::new()
        } else {
            srv.store.matching_sections(&head.path, paths)
        },
    };
    let handler = view
        .last(&srv.store, "sethandler")
        .map(|o| o.arg0())
        .filter(|h| !h.eq_ignore_ascii_case("none"))
        .unwrap_or("")
        .to_owned();
    let limit = settings::limit_request_body(&srv.store, &view);
    let mut req = RequestCtx::new(conn, head, view, handler, limit);
    let refused = match mapping {
        Some(Ok(mapped)) => {
            req.mapped.push(mapped);
            None
        }
        Some(Err(refused)) => Some(refused),
        None => None,
    };
    let outcome = match core_answer(&mut req, limit, refused) {
        Some(answer) => answer,
        None => run_handlers(&mut req),
    };
    req.finish(outcome);
    req.end();
    req.recycle();
}

/// What the core answers itself, before any handler: a path through a link `Options` forbid
/// (403), a client the Require lines in effect refuse (403), a declared body over
/// LimitRequestBody (413, closing: the body is not read) and `OPTIONS *` (the server's own
/// options).
fn core_answer(
    req: &mut RequestCtx<'_>,
    limit: u64,
    refused: Option<storage::Refused>,
) -> Option<Option<u16>> {
    if let Some(refused) = refused {
        error_log::log(
            "core",
            error_log::ERROR,
            Some(&req.conn.peer),
            &storage::refusal_message(&refused),
        );
        return Some(Some(403));
    }
    if denied(req, &req.view) {
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

/// Maps `url_path` for a handler (`req_map`): the request's own mapping when it is the same
/// path, else a new one, checked as a request for it would be (links, then Require). The index
/// into `req.mapped`, or the status to answer with (the reason is logged).
pub fn map_path(req: &mut RequestCtx<'_>, url_path: &[u8]) -> Result<usize, u16> {
    let normalized = storage::path::normalize(url_path);
    if let Some(i) = req.mapped.iter().position(|m| m.url_path == normalized) {
        return Ok(i);
    }
    let srv = server::get();
    let root = srv.settings.document_root.as_os_str().as_bytes();
    let mapped = match storage::map(root, &normalized, &|dir| {
        settings::links_in(&srv.store, dir)
    }) {
        Ok(m) => m,
        Err(refused) => {
            error_log::log(
                "core",
                error_log::ERROR,
                Some(&req.conn.peer),
                &storage::refusal_message(&refused),
            );
            return Err(403);
        }
    };
    let view = View {
        sections: srv.store.matching_sections(
            &normalized,
            Some(FilePaths {
                requested: &mapped.requested,
                real: &mapped.real,
            }),
        ),
    };
    req.mapped.push(mapped);
    if denied(req, &view) {
        req.mapped.pop();
        return Err(403);
    }
    Ok(req.mapped.len() - 1)
}

/// Whether the Require lines in effect for `view` refuse the request's client; logs the
/// refusal as Apache's mod_authz_core does (under its name, so `LogLevel authz_core:…` applies),
/// naming the file asked for (the last mapped), or the URI when there is none (`*`).
fn denied(req: &RequestCtx<'_>, view: &View) -> bool {
    let srv = server::get();
    let Some(requirement) = access::in_effect(&srv.store, view) else {
        return false;
    };
    // A peer the socket could not name is refused: the rules cannot be shown to allow it.
    let allowed = req.conn.client.is_some_and(|c| requirement.allows(&c));
    if !allowed {
        let what = match req.mapped.last() {
            Some(m) => String::from_utf8_lossy(&m.requested).into_owned(),
            None if req.head.path.starts_with(b"/") => {
                String::from_utf8_lossy(&storage::requested(
                    srv.settings.document_root.as_os_str().as_bytes(),
                    &req.head.path,
                ))
                .into_owned()
            }
            None => format!("uri {}", String::from_utf8_lossy(&req.head.path)),
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
