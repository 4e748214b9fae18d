//! Calling a module's entry points that answer with a one-line error (`check_directive`,
//! `set_directive`, a `Require` provider's `check`, `init`): the core lends the error buffer
//! and the arguments, and reads the line back.

use mapache_plugin_api::abi::{self, MapacheStr};
use std::ffi::c_char;

/// Room a module has for its error line.
const ERR_CAP: usize = 1024;

/// `args` as ABI strings, borrowing them.
pub fn abi_args(args: &[String]) -> Vec<MapacheStr> {
    args.iter()
        .map(|a| MapacheStr {
            ptr: a.as_ptr(),
            len: a.len(),
        })
        .collect()
}

/// Calls `entry` with an error buffer and its size. `Ok` when it answers `MAPACHE_OK`; else
/// the line it wrote, or `None` when it wrote nothing.
pub fn call_with_error(
    entry: impl FnOnce(*mut c_char, usize) -> i32,
) -> Result<(), Option<String>> {
    let mut err = [0u8; ERR_CAP];
    if entry(err.as_mut_ptr().cast(), err.len()) == abi::MAPACHE_OK {
        return Ok(());
    }
    let end = err.iter().position(|&b| b == 0).unwrap_or(err.len());
    let line = String::from_utf8_lossy(&err[..end]);
    Err((!line.is_empty()).then(|| line.into_owned()))
}
