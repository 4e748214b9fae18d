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

/// Whether the core's host table has the function at byte `offset`, for modules that use a host
/// function appended in a later minor than the one they require:
/// `host_provides(core::mem::offset_of!(MapacheHost, conn_write))`.
pub fn host_provides(offset: usize) -> bool {
    provides(host().struct_size, offset)
}

/// [`host_provides`] for a table of `struct_size` bytes.
pub(crate) fn provides(struct_size: u32, offset: usize) -> bool {
    offset + core::mem::size_of::<usize>() <= struct_size as usize
}

std::thread_local! {
    /// The module whose entry point this thread is running. Modules linked into one binary
    /// (static modules) share this crate's statics, so the name cannot be a single global.
    static CURRENT: core::cell::Cell<Option<&'static str>> = const { core::cell::Cell::new(None) };
}

/// Runs `f` as module `name` (for log lines), restoring the previous module afterwards.
pub(crate) fn as_module<R>(name: &'static str, f: impl FnOnce() -> R) -> R {
    let previous = CURRENT.with(|c| c.replace(Some(name)));
    let result = f();
    CURRENT.with(|c| c.set(previous));
    result
}

/// This module's name, as declared in its descriptor.
pub(crate) fn module_name() -> &'static str {
    CURRENT
        .with(|c| c.get())
        .or_else(|| MODULE_NAME.get().copied())
        .unwrap_or("module")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::MapacheHost;
    use core::mem::offset_of;

    #[test]
    fn a_smaller_host_table_lacks_the_appended_functions() {
        // A core of an older minor hands over a table whose size ends before later functions.
        let older = offset_of!(MapacheHost, conn_write) as u32;
        assert!(provides(older, offset_of!(MapacheHost, log)));
        assert!(provides(older, offset_of!(MapacheHost, child_exit)));
        assert!(!provides(older, offset_of!(MapacheHost, conn_write)));
        let current = core::mem::size_of::<MapacheHost>() as u32;
        assert!(provides(current, offset_of!(MapacheHost, conn_write)));
    }
}
