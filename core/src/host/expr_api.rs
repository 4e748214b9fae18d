//! The expression language and request variables for modules (ABI 1.6): an expression parsed
//! while the configuration is read is a boxed [`Expr`] behind the opaque `MapacheExpr`, freed
//! by the module with `expr_free`; values are copied into the caller's buffer.

use super::{arg_bytes, arg_text, request};
use crate::expr::{self, Expr};
use crate::pipeline::conditions::RequestVars;
use mapache_plugin_api::abi::{
    MapacheExpr, MapacheRequest, MapacheStr, MAPACHE_ERROR, MAPACHE_EXPR_STRING,
};
use std::ffi::c_char;

pub(super) extern "C" fn expr_parse(
    text: MapacheStr,
    flags: u32,
    err: *mut c_char,
    err_cap: usize,
) -> *mut MapacheExpr {
    // SAFETY: valid for the call.
    let text = unsafe { arg_text(text) };
    let parsed = if flags & MAPACHE_EXPR_STRING != 0 {
        Expr::parse_string(&text)
    } else {
        Expr::parse(&text)
    };
    match parsed {
        Ok(e) => Box::into_raw(Box::new(e)) as *mut MapacheExpr,
        Err(why) => {
            // SAFETY: the caller passes `err_cap` writable bytes at `err`, or null.
            unsafe { super::control_api::write_c_string(&why, err, err_cap) };
            std::ptr::null_mut()
        }
    }
}

pub(super) extern "C" fn expr_free(e: *mut MapacheExpr) {
    if !e.is_null() {
        // SAFETY: made by expr_parse's Box::into_raw, freed once by its owner.
        drop(unsafe { Box::from_raw(e as *mut Expr) });
    }
}

/// The expression behind a handle.
fn parsed<'a>(e: *const MapacheExpr) -> Option<&'a Expr> {
    // SAFETY: a live handle from expr_parse (or null).
    unsafe { (e as *const Expr).as_ref() }
}

pub(super) extern "C" fn expr_eval(
    e: *const MapacheExpr,
    r: *mut MapacheRequest,
    err: *mut c_char,
    err_cap: usize,
) -> i32 {
    let Some(e) = parsed(e) else {
        return MAPACHE_ERROR;
    };
    match e.eval(&RequestVars { req: request(r) }) {
        Ok(true) => 1,
        Ok(false) => 0,
        Err(why) => {
            // SAFETY: as in expr_parse.
            unsafe { super::control_api::write_c_string(&why, err, err_cap) };
            MAPACHE_ERROR
        }
    }
}

pub(super) extern "C" fn expr_eval_string(
    e: *const MapacheExpr,
    r: *mut MapacheRequest,
    buf: *mut u8,
    cap: usize,
) -> isize {
    let Some(e) = parsed(e) else {
        return -1;
    };
    match e.eval_string(&RequestVars { req: request(r) }) {
        Ok(value) => copy_out(value.as_bytes(), buf, cap),
        Err(_) => -1,
    }
}

pub(super) extern "C" fn req_var(
    r: *const MapacheRequest,
    name: MapacheStr,
    buf: *mut u8,
    cap: usize,
) -> isize {
    // SAFETY: valid for the call.
    let name = unsafe { arg_bytes(name) };
    let Ok(name) = std::str::from_utf8(name) else {
        return -1;
    };
    match expr::variable(&RequestVars { req: request(r) }, name) {
        Some(value) => copy_out(value.as_bytes(), buf, cap),
        None => -1,
    }
}

/// Copies `value` into the caller's buffer when it fits; its length either way.
fn copy_out(value: &[u8], buf: *mut u8, cap: usize) -> isize {
    if value.len() <= cap && !buf.is_null() {
        // SAFETY: the caller passes `cap` writable bytes at `buf`.
        unsafe { std::ptr::copy_nonoverlapping(value.as_ptr(), buf, value.len()) };
    }
    value.len() as isize
}
