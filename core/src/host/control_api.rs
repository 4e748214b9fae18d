//! Process-control functions (ABI 1.2): a child's graceful stop, closing the listeners, and the
//! configuration check before a restart.

use crate::control::config_check;
use mapache_plugin_api::abi::{MAPACHE_ERROR, MAPACHE_OK};
use std::ffi::c_char;

pub(super) extern "C" fn child_stopping() {
    // Async-signal-safe: atomic stores through statics only.
    crate::scoreboard::child_stopping();
}

pub(super) extern "C" fn listeners_close() {
    crate::listen::close_handed();
}

pub(super) extern "C" fn config_check(err: *mut c_char, err_cap: usize) -> i32 {
    match config_check::run() {
        Ok(()) => MAPACHE_OK,
        Err(why) => {
            // SAFETY: the caller passes `err_cap` writable bytes at `err`, or null.
            unsafe { write_c_string(&why, err, err_cap) };
            MAPACHE_ERROR
        }
    }
}

/// Copies `text` NUL-terminated into `dst`, cut (at a character boundary) to fit `cap`.
///
/// # Safety
/// `dst` is null or points to `cap` writable bytes.
pub(super) unsafe fn write_c_string(text: &str, dst: *mut c_char, cap: usize) {
    if dst.is_null() || cap == 0 {
        return;
    }
    let mut n = text.len().min(cap - 1);
    while !text.is_char_boundary(n) {
        n -= 1;
    }
    std::ptr::copy_nonoverlapping(text.as_ptr(), dst.cast::<u8>(), n);
    *dst.add(n) = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_cut_to_fit_and_terminated() {
        let mut buf = [0x7f as c_char; 8];
        // SAFETY: 8 writable bytes.
        unsafe { write_c_string("hélloöx", buf.as_mut_ptr(), buf.len()) };
        let bytes: Vec<u8> = buf.iter().map(|&c| c as u8).collect();
        // 7 bytes would cut `ö` in half: 6 are kept.
        assert_eq!(&bytes[..7], b"h\xc3\xa9llo\0");
        // SAFETY: null is allowed.
        unsafe { write_c_string("x", std::ptr::null_mut(), 4) };
    }
}
