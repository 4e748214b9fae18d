//! Filters (ABI 1.4): a `MapacheFilter` handle is a [`Call`] on the stack of the core's call
//! into the filter, naming the request and the filter's place in its chain.

use super::arg_text;
use crate::pipeline::filters::{Call, Piece};
use crate::serve::request::RequestCtx;
use crate::server;
use mapache_plugin_api::abi::{
    MapacheBucket, MapacheFilter, MapacheRequest, MapacheStr, MAPACHE_ERROR, MAPACHE_OK,
};
use std::ffi::c_void;

fn call<'a>(f: *const MapacheFilter) -> Option<&'a Call> {
    // SAFETY: the core hands filters a pointer to a live Call for the duration of the call.
    unsafe { (f as *const Call).as_ref() }
}

fn req_of<'a>(c: &Call) -> &'a mut RequestCtx<'a> {
    // SAFETY: the Call names the live request the filter was called for.
    unsafe { &mut *(c.req as *mut RequestCtx<'a>) }
}

pub(super) extern "C" fn req_add_filter(r: *mut MapacheRequest, name: MapacheStr) -> i32 {
    // SAFETY: valid for the call.
    let name = unsafe { arg_text(name) };
    let req = super::request_mut(r);
    let registry = &server::get().pipeline.filters;
    let Some(f) = registry.find(&name) else {
        return MAPACHE_ERROR;
    };
    let too_late = if registry.is_input(f) {
        req.body_reading_started()
    } else {
        req.committed()
    };
    if too_late {
        return MAPACHE_ERROR;
    }
    req.chain.add(registry, f);
    MAPACHE_OK
}

pub(super) extern "C" fn filter_pass(f: *mut MapacheFilter, bucket: *const MapacheBucket) -> i32 {
    let Some(c) = call(f) else {
        return MAPACHE_ERROR;
    };
    if c.input || bucket.is_null() {
        return MAPACHE_ERROR;
    }
    // SAFETY: the bucket and its bytes are the filter's, valid for the call.
    let Some(piece) = (unsafe { Piece::from_bucket(&*bucket) }) else {
        return MAPACHE_ERROR;
    };
    let next = c.index + 1;
    if req_of(c).pass_from(next, piece) {
        MAPACHE_OK
    } else {
        MAPACHE_ERROR
    }
}

pub(super) extern "C" fn filter_read(f: *mut MapacheFilter, buf: *mut u8, cap: usize) -> isize {
    let Some(c) = call(f) else {
        return -1;
    };
    if !c.input || buf.is_null() {
        return -1;
    }
    // SAFETY: the filter owns `cap` writable bytes at `buf` for the call.
    let dst = unsafe { std::slice::from_raw_parts_mut(buf, cap) };
    req_of(c).read_from(c.index + 1, dst)
}

pub(super) extern "C" fn filter_state(f: *const MapacheFilter) -> *mut c_void {
    let Some(c) = call(f) else {
        return std::ptr::null_mut();
    };
    let req = req_of(c);
    let list = if c.input {
        &req.chain.input
    } else {
        &req.chain.output
    };
    list.get(c.index).map_or(std::ptr::null_mut(), |i| i.state)
}

pub(super) extern "C" fn filter_set_state(f: *mut MapacheFilter, state: *mut c_void) {
    let Some(c) = call(f) else {
        return;
    };
    let req = req_of(c);
    let list = if c.input {
        &mut req.chain.input
    } else {
        &mut req.chain.output
    };
    if let Some(i) = list.get_mut(c.index) {
        i.state = state;
    }
}
