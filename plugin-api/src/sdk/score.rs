//! The scoreboard as modules read it (ABI 1.2): consistent copies of the global record, the
//! process records and the worker records, for status pages (handler modules) and maintenance
//! (MPMs). Writing is the core's and the MPM's business: [`MpmContext`](super::MpmContext) for the
//! master and a child's main thread, [`bind_worker`] and [`set_worker_status`] for worker threads.

use super::host::{host, host_provides};
use crate::abi::{self, MapacheHost, MapacheScoreGlobal, MapacheScoreProcess, MapacheScoreWorker};
use core::mem::{offset_of, size_of};

/// Whether the core has a scoreboard API at all (ABI 1.2 or later).
pub fn available() -> bool {
    host_provides(offset_of!(MapacheHost, score_worker))
}

/// The global record, or `None` without a scoreboard (an older core, or before the MPM made it).
pub fn global() -> Option<MapacheScoreGlobal> {
    if !available() {
        return None;
    }
    let mut out = MapacheScoreGlobal {
        struct_size: size_of::<MapacheScoreGlobal>() as u32,
        ..Default::default()
    };
    ((host().score_global)(&mut out) == abi::MAPACHE_OK).then_some(out)
}

/// Process record `slot`, or `None` without a scoreboard or past its end.
pub fn process(slot: u32) -> Option<MapacheScoreProcess> {
    if !available() {
        return None;
    }
    let mut out = MapacheScoreProcess {
        struct_size: size_of::<MapacheScoreProcess>() as u32,
        ..Default::default()
    };
    ((host().score_process)(slot, &mut out) == abi::MAPACHE_OK).then_some(out)
}

/// Worker record `thread` of process slot `slot`, or `None` without a scoreboard or past its end.
pub fn worker(slot: u32, thread: u32) -> Option<MapacheScoreWorker> {
    if !available() {
        return None;
    }
    let mut out = MapacheScoreWorker::default();
    ((host().score_worker)(slot, thread, &mut out) == abi::MAPACHE_OK).then_some(out)
}

/// Binds the calling worker thread to record `thread` of its child's slot (see
/// [`MapacheHost::worker_bind`]); threads have no `MpmContext`, so this is a free function.
pub fn bind_worker(thread: u32) {
    (host().worker_bind)(thread)
}

/// Sets the calling thread's worker state, a `MAPACHE_WORKER_*` letter (see
/// [`MapacheHost::worker_status`]).
pub fn set_worker_status(status: u8) {
    (host().worker_status)(status)
}

/// The text of a NUL-padded field of a worker record (client, request line).
pub fn field_text(bytes: &[u8]) -> &str {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    core::str::from_utf8(&bytes[..end]).unwrap_or("")
}

/// Whether a worker state counts as busy for Apache's BusyWorkers: anything but idle (`_`),
/// an open slot (`.`) and starting (`S`). Graceful (`G`) is busy: it still finishes a request.
pub fn is_busy(status: u8) -> bool {
    !matches!(
        status,
        abi::MAPACHE_WORKER_READY | abi::MAPACHE_WORKER_DEAD | abi::MAPACHE_WORKER_STARTING
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_stop_at_the_first_nul() {
        let mut f = [0u8; 16];
        f[..3].copy_from_slice(b"GET");
        assert_eq!(field_text(&f), "GET");
        assert_eq!(field_text(b"full"), "full");
    }

    #[test]
    fn busy_follows_apache() {
        for s in *b"RWKLDCGI" {
            assert!(is_busy(s), "{}", s as char);
        }
        for s in *b"_.S" {
            assert!(!is_busy(s), "{}", s as char);
        }
    }
}
