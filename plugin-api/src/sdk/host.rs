//! The host table as the module saw it in `init`, kept for the life of the process.

use crate::abi::{self, MapacheHost, MapacheStr};
use core::sync::atomic::{AtomicPtr, Ordering};
use std::sync::OnceLock;

/// Each module (cdylib) has its own copy of this static: it is set once in `init`.
static HOST: AtomicPtr<MapacheHost> = AtomicPtr::new(core::ptr::null_mut());
static MODULE_NAME: OnceLock<&'static str> = OnceLock::new();

/// Error-log severity, Apache's levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `emerg`
    Emerg,
    /// `alert`
    Alert,
    /// `crit`
    Crit,
    /// `error`
    Error,
    /// `warn`
    Warn,
    /// `notice`
    Notice,
    /// `info`
    Info,
    /// `debug`
    Debug,
}

impl Level {
    /// The ABI number of the level.
    pub fn to_raw(self) -> i32 {
        match self {
            Level::Emerg => abi::MAPACHE_LOG_EMERG,
            Level::Alert => abi::MAPACHE_LOG_ALERT,
            Level::Crit => abi::MAPACHE_LOG_CRIT,
            Level::Error => abi::MAPACHE_LOG_ERR,
            Level::Warn => abi::MAPACHE_LOG_WARN,
            Level::Notice => abi::MAPACHE_LOG_NOTICE,
            Level::Info => abi::MAPACHE_LOG_INFO,
            Level::Debug => abi::MAPACHE_LOG_DEBUG,
        }
    }
}

pub(crate) fn set_host(host: *const MapacheHost, name: &'static str) {
    HOST.store(host as *mut MapacheHost, Ordering::Release);
    let _ = MODULE_NAME.set(name);
}

/// The host table handed to this module in `init`.
///
/// # Panics
/// Before `init` ran (no core has loaded the module yet).
pub fn host() -> &'static MapacheHost {
    let p = HOST.load(Ordering::Acquire);
    assert!(!p.is_null(), "mapache host table used before module init");
    // SAFETY: the core guarantees the table outlives the process's use of the module.
    unsafe { &*p }
}

/// This module's name, as declared in its descriptor.
pub(crate) fn module_name() -> &'static str {
    MODULE_NAME.get().copied().unwrap_or("module")
}

/// Writes one line to the error log under this module's name.
pub fn log(level: Level, msg: &str) {
    if HOST.load(Ordering::Acquire).is_null() {
        eprintln!("[{}] {msg}", module_name());
        return;
    }
    (host().log)(
        to_abi(module_name().as_bytes()),
        level.to_raw(),
        to_abi(msg.as_bytes()),
    );
}

/// Borrows `bytes` as a [`MapacheStr`] for the duration of a host call.
pub(crate) fn to_abi(bytes: &[u8]) -> MapacheStr {
    MapacheStr {
        ptr: bytes.as_ptr(),
        len: bytes.len(),
    }
}

/// Views a host-owned [`MapacheStr`] as bytes.
///
/// # Safety
/// `s` must point to `len` readable bytes that live for `'a`.
pub(crate) unsafe fn from_abi<'a>(s: MapacheStr) -> &'a [u8] {
    if s.ptr.is_null() || s.len == 0 {
        &[]
    } else {
        core::slice::from_raw_parts(s.ptr, s.len)
    }
}

/// Views host-owned bytes as text, replacing nothing: invalid UTF-8 gives an empty string.
///
/// # Safety
/// As [`from_abi`].
pub(crate) unsafe fn str_from_abi<'a>(s: MapacheStr) -> &'a str {
    core::str::from_utf8(from_abi(s)).unwrap_or("")
}
