//! A request's name/value tables (ABI 1.4): response headers, error headers, request headers,
//! notes and environment, through one set of functions.

use super::{abi_str, arg_bytes};
use crate::serve::request::RequestCtx;
use mapache_plugin_api::abi::{
    MapacheRequest, MapacheStr, MAPACHE_ERROR, MAPACHE_OK, MAPACHE_TABLE_ADD, MAPACHE_TABLE_ENV,
    MAPACHE_TABLE_ERR_HEADERS_OUT, MAPACHE_TABLE_HEADERS_IN, MAPACHE_TABLE_HEADERS_OUT,
    MAPACHE_TABLE_NOTES, MAPACHE_TABLE_SET, MAPACHE_TABLE_UNSET,
};

use super::{request as req, request_mut as req_mut};

/// Field `index` of `table` as (name, value) bytes.
fn field<'a>(r: &'a RequestCtx<'_>, table: u32, index: usize) -> Option<(&'a [u8], &'a [u8])> {
    let text =
        |l: &'a Vec<(String, String)>| l.get(index).map(|(n, v)| (n.as_bytes(), v.as_bytes()));
    match table {
        MAPACHE_TABLE_HEADERS_OUT => text(&r.headers),
        MAPACHE_TABLE_ERR_HEADERS_OUT => text(&r.err_headers),
        MAPACHE_TABLE_NOTES => text(&r.notes),
        MAPACHE_TABLE_ENV => text(&r.env),
        MAPACHE_TABLE_HEADERS_IN => r
            .head
            .headers
            .get(index)
            .map(|(n, v)| (n.as_bytes(), v.as_slice())),
        _ => None,
    }
}

fn len(r: &RequestCtx<'_>, table: u32) -> usize {
    match table {
        MAPACHE_TABLE_HEADERS_OUT => r.headers.len(),
        MAPACHE_TABLE_ERR_HEADERS_OUT => r.err_headers.len(),
        MAPACHE_TABLE_NOTES => r.notes.len(),
        MAPACHE_TABLE_ENV => r.env.len(),
        MAPACHE_TABLE_HEADERS_IN => r.head.headers.len(),
        _ => 0,
    }
}

pub(super) extern "C" fn table_count(r: *const MapacheRequest, table: u32) -> usize {
    len(req(r), table)
}

pub(super) extern "C" fn table_at(
    r: *const MapacheRequest,
    table: u32,
    index: usize,
    name: *mut MapacheStr,
    value: *mut MapacheStr,
) -> i32 {
    let Some((n, v)) = field(req(r), table, index) else {
        return 0;
    };
    // SAFETY: out-pointers are the module's, checked for null.
    unsafe {
        if !name.is_null() {
            *name = abi_str(n);
        }
        if !value.is_null() {
            *value = abi_str(v);
        }
    }
    1
}

pub(super) extern "C" fn table_get(
    r: *const MapacheRequest,
    table: u32,
    name: MapacheStr,
    index: usize,
    value: *mut MapacheStr,
) -> i32 {
    // SAFETY: valid for the call.
    let wanted = unsafe { arg_bytes(name) };
    let r = req(r);
    let found = (0..len(r, table))
        .filter_map(|i| field(r, table, i))
        .filter(|(n, _)| n.eq_ignore_ascii_case(wanted))
        .nth(index);
    match found {
        Some((_, v)) => {
            if !value.is_null() {
                // SAFETY: the module's writable struct.
                unsafe { *value = abi_str(v) };
            }
            1
        }
        None => 0,
    }
}

pub(super) extern "C" fn table_set(
    r: *mut MapacheRequest,
    table: u32,
    name: MapacheStr,
    value: MapacheStr,
    mode: u32,
) -> i32 {
    // SAFETY: valid for the call.
    let (name, value) = unsafe { (arg_bytes(name), arg_bytes(value)) };
    let bad = |b: &[u8]| b.iter().any(|&c| c == b'\r' || c == b'\n' || c == 0);
    if name.is_empty() || bad(name) || (mode != MAPACHE_TABLE_UNSET && bad(value)) {
        return MAPACHE_ERROR;
    }
    if mode > MAPACHE_TABLE_UNSET {
        return MAPACHE_ERROR;
    }
    let (Ok(name), Ok(value)) = (std::str::from_utf8(name), std::str::from_utf8(value)) else {
        return MAPACHE_ERROR;
    };
    let r = req_mut(r);
    let ok = match table {
        MAPACHE_TABLE_HEADERS_OUT => match mode {
            MAPACHE_TABLE_UNSET => r.unset_header(name),
            m => r.set_header(name, value, m == MAPACHE_TABLE_ADD),
        },
        MAPACHE_TABLE_ERR_HEADERS_OUT => {
            if r.head_sent() || !crate::serve::request::may_set_header(name, value) {
                false
            } else {
                r.changes += 1;
                edit(&mut r.err_headers, name, value, mode);
                true
            }
        }
        MAPACHE_TABLE_NOTES => {
            edit(&mut r.notes, name, value, mode);
            true
        }
        MAPACHE_TABLE_ENV => {
            edit(&mut r.env, name, value, mode);
            true
        }
        MAPACHE_TABLE_HEADERS_IN => {
            if mode != MAPACHE_TABLE_ADD {
                // Kept until the request ends: `req_header` promised their bytes that long.
                let (gone, kept) = std::mem::take(&mut r.head.headers)
                    .into_iter()
                    .partition(|(n, _)| n.eq_ignore_ascii_case(name));
                r.head.headers = kept;
                for (n, v) in gone {
                    r.retire(n.into_bytes());
                    r.retire(v);
                }
            }
            if mode != MAPACHE_TABLE_UNSET {
                r.head
                    .headers
                    .push((name.to_owned(), value.as_bytes().to_vec()));
            }
            true
        }
        _ => false,
    };
    if ok {
        MAPACHE_OK
    } else {
        MAPACHE_ERROR
    }
}

fn edit(list: &mut Vec<(String, String)>, name: &str, value: &str, mode: u32) {
    if mode == MAPACHE_TABLE_SET || mode == MAPACHE_TABLE_UNSET {
        list.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }
    if mode != MAPACHE_TABLE_UNSET {
        list.push((name.to_owned(), value.to_owned()));
    }
}
