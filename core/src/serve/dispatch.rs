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
    // Not a path (`OPTIONS *`): nothing on disk.
    let mapping = head
        .path
        .starts_with(b"/")
        .then(|| map_logged(&conn.peer, &head.path));
    // A refused link: the sections of the name asked for still apply to the 403.
    let refused_name = match &mapping {
        Some(Err(())) => Some(storage::requested(document_root(), &head.path)),
        _ => None,
    };
    let paths = match (&mapping, &refused_name) {
        (Some(Ok(m)), _) => Some(FilePaths {
            requested: &m.requested,
            real: &m.real,
        }),
        (_, Some(name)) => Some(FilePaths {
            requested: name,
            real: name,
        }),
        _ => None,
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
    let refused = refused_name.is_some();
    if let Some(Ok(mapped)) = mapping {
        req.mapped.push(mapped);
    }
    let outcome = match core_answer(&mut req, limit, refused) {
        Some(answer) => answer,
        None => run_handlers(&mut req),
    };
    req.finish(outcome);
    req.end();
    req.recycle();
}

fn document_root() -> &'static [u8] {
    server::get().settings.document_root.as_os_str().as_bytes()
}

/// Maps `url_path` under DocumentRoot, following links as the `Options` of their
/// `<Directory>` allow; a refused link is logged (for `peer`) and is `Err`.
fn map_logged(peer: &str, url_path: &[u8]) -> Result<storage::Mapped, ()> {
    let store = &server::get().store;
    storage::map(document_root(), url_path, &|dir| {
        settings::links_in(store, dir)
    })
    .map_err(|refused| {
        error_log::log(
            "core",
            error_log::ERROR,
            Some(peer),
            &storage::refusal_message(&refused),
        )
    })
}

/// What the core answers itself, before any handler: a path through a link `Options` forbid
/// (403, `refused`: logged as it was mapped), a client the Require lines in effect refuse (403),
/// a declared body over LimitRequestBody (413, closing: the body is not read) and `OPTIONS *`
/// (the server's own options).
fn core_answer(req: &mut RequestCtx<'_>, limit: u64, refused: bool) -> Option<Option<u16>> {
    if refused {
        return Some(Some(403));
    }
    let name = req.mapped.first().map(|m| m.requested.as_slice());
    if denied(req, &req.view, name) {
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
    let mapped = map_logged(&req.conn.peer, &normalized).map_err(|()| 403u16)?;
    let view = View {
        sections: server::get().store.matching_sections(
            &normalized,
            Some(FilePaths {
                requested: &mapped.requested,
                real: &mapped.real,
            }),
        ),
    };
    if denied(req, &view, Some(&mapped.requested)) {
        return Err(403);
    }
    req.mapped.push(mapped);
    Ok(req.mapped.len() - 1)
}

/// Whether the Require lines in effect for `view` refuse the request's client; logs the
/// refusal as Apache's mod_authz_core does (under its name, so `LogLevel authz_core:…` applies),
/// naming the file asked for (`name`), or the URI when there is none (`*`).
fn denied(req: &RequestCtx<'_>, view: &View, name: Option<&[u8]>) -> bool {
    let srv = server::get();
    let Some(requirement) = access::in_effect(&srv.store, view) else {
        return false;
    };
    // A peer the socket could not name is refused: the rules cannot be shown to allow it.
    let allowed = req.conn.client.is_some_and(|c| requirement.allows(&c));
    if !allowed {
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
