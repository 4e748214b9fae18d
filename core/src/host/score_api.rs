//! Scoreboard functions (ABI 1.2): the master's records of its children, the calling thread's
//! worker record, and consistent copies for readers. See [`crate::scoreboard`].

use crate::logs::error_log;
use crate::scoreboard::{self, worker};
use mapache_plugin_api::abi::{
    MapacheScoreGlobal, MapacheScoreProcess, MapacheScoreWorker, MAPACHE_ERROR, MAPACHE_OK,
};

fn result(ok: bool) -> i32 {
    if ok {
        MAPACHE_OK
    } else {
        MAPACHE_ERROR
    }
}

pub(super) extern "C" fn score_open(server_limit: u32, thread_limit: u32) -> i32 {
    match scoreboard::open(server_limit, thread_limit) {
        Ok(()) => MAPACHE_OK,
        Err(e) => {
            error_log::log(
                "core",
                error_log::ERROR,
                None,
                &format!("could not create the scoreboard: {e}"),
            );
            MAPACHE_ERROR
        }
    }
}

pub(super) extern "C" fn score_child_started(slot: u32, pid: i32) {
    scoreboard::child_started(slot, pid);
}

pub(super) extern "C" fn score_child_exited(slot: u32) {
    scoreboard::child_exited(slot);
}

pub(super) extern "C" fn worker_bind(thread: u32) {
    scoreboard::worker_bind(thread);
}

pub(super) extern "C" fn worker_status(status: u8) {
    if worker::is_status(status) {
        worker::set_status(status);
    }
}

pub(super) extern "C" fn score_conns(total: u32, writing: u32, keepalive: u32, closing: u32) {
    scoreboard::conns(total, writing, keepalive, closing);
}

pub(super) extern "C" fn score_global(out: *mut MapacheScoreGlobal) -> i32 {
    // SAFETY: the caller passes its struct with struct_size set (the ABI's contract), or null.
    result(scoreboard::board().is_some_and(|b| unsafe { b.read_global(out) }))
}

pub(super) extern "C" fn score_process(slot: u32, out: *mut MapacheScoreProcess) -> i32 {
    // SAFETY: as above.
    result(scoreboard::board().is_some_and(|b| unsafe { b.read_process(slot, out) }))
}

pub(super) extern "C" fn score_worker(slot: u32, thread: u32, out: *mut MapacheScoreWorker) -> i32 {
    // SAFETY: as above.
    result(scoreboard::board().is_some_and(|b| unsafe { b.read_worker(slot, thread, out) }))
}
