//! Lookups on a request's behalf (`req_map`, `req_lookup`): what another path or URL maps to,
//! checked as a request for it would be (links by `Options`, then `Require`).

use super::{authorize, document_root, map_logged, run_first};
use crate::config::store::FilePaths;
use crate::serve::request::RequestCtx;
use crate::storage;
use mapache_plugin_api::abi;

/// Maps `url_path` under DocumentRoot (`req_map`): the request's own mapping when it is the
/// same path, else a new one. The index into `req.mapped`, or the status to answer with (the
/// reason is logged).
pub fn map_path(req: &mut RequestCtx<'_>, url_path: &[u8]) -> Result<usize, u16> {
    let normalized = storage::path::normalize(url_path);
    if let Some(i) = req.mapped.iter().position(|m| m.url_path == normalized) {
        return Ok(i);
    }
    let root = document_root(req);
    map_checked(req, root, &normalized, normalized.clone())
}

/// What `uri` would map to if it were requested (`req_lookup`): the translate hooks run for
/// it (on the request, its URL swapped for the call), then the core maps and checks it.
pub fn lookup(req: &mut RequestCtx<'_>, uri: &[u8]) -> Result<usize, u16> {
    let saved = (
        std::mem::take(&mut req.head.path),
        std::mem::take(&mut req.head.query),
        req.filename.take(),
    );
    let outer = std::mem::replace(&mut req.in_lookup, true);
    let translated = req.set_uri(uri).and_then(|()| {
        run_first(req, abi::MAPACHE_PHASE_TRANSLATE, "translate")
            .map_err(|o| o.unwrap_or(500))
            .map(|_| (req.head.path.clone(), req.filename.take()))
    });
    req.in_lookup = outer;
    (req.head.path, req.head.query, req.filename) = saved;
    let (path, filename) = translated?;
    match filename {
        Some(file) => map_checked(req, b"/", &file, storage::path::normalize(&path)),
        None => {
            if let Some(i) = req.mapped.iter().position(|m| m.url_path == path) {
                return Ok(i);
            }
            let root = document_root(req);
            map_checked(req, root, &path, path.clone())
        }
    }
}

fn map_checked(
    req: &mut RequestCtx<'_>,
    root: &[u8],
    name: &[u8],
    url_path: Vec<u8>,
) -> Result<usize, u16> {
    let mut mapped = map_logged(req, root, name).map_err(|()| 403u16)?;
    mapped.url_path = url_path;
    let view = req.view_for(
        &mapped.url_path,
        Some(FilePaths {
            requested: &mapped.requested,
            real: &mapped.real,
        }),
    );
    if !authorize::allows(req, &view, Some(&mapped.requested)) {
        return Err(403);
    }
    req.mapped.push(mapped);
    Ok(req.mapped.len() - 1)
}
